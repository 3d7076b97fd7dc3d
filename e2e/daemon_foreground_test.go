package e2e

import (
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/testbin"
	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// The seed's check: `daemon start --no-daemon` serves /healthz in the
// foreground and exits 0 on SIGTERM.
func TestDaemonNoDaemonServesAndStopsOnSIGTERM(t *testing.T) {
	emu := testemulator.Start(t)
	dir := t.TempDir()
	cfg := configFile(t, dir, emu, "")
	listen := freeListen(t)
	cmd := exec.Command(serverBin(t), "daemon", "start", "--listen", listen, "--pid-file", "./tmp/test.pid", "--no-daemon", "--config", cfg)
	cmd.Dir = dir
	cmd.Env = testbin.CleanEnv()
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	pidFile := filepath.Join(dir, "tmp", "test.pid")
	waitFor(t, 60*time.Second, "/healthz 200", func() bool {
		select {
		case err := <-exited:
			t.Fatalf("exited before serving: %v\n%s", err, stderr.String())
		default:
		}
		code, _ := get("http://" + listen + "/healthz")
		return code == 200
	})
	if pid := readPID(pidFile); pid != cmd.Process.Pid {
		t.Errorf("PID file ./tmp/test.pid holds %d, want the foreground process %d", pid, cmd.Process.Pid)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v, want 0", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("still running 20s after SIGTERM")
	}
	if readPID(pidFile) != 0 {
		t.Error("PID file left after a clean stop")
	}
}
