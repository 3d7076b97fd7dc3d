package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/testbin"
	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// reload.supervisor: keeper (a container's PID 1, any supervisor that keeps
// one PID): SIGHUP to the keeper hands off beneath it, the keeper's PID stays,
// SIGTERM drains and the keeper exits 0; a crash makes it exit non-zero.
func TestKeeperKeepsItsPIDAcrossHandoffs(t *testing.T) {
	emu := testemulator.Start(t)
	dir := t.TempDir()
	listen := freeListen(t)
	pidFile := filepath.Join(dir, "serving.pid")
	start := func() (*exec.Cmd, chan error, *syncBuffer) {
		cmd := exec.Command(serverBin(t), "daemon", "start", "--no-daemon", "--config", configFile(t, dir, emu, ""),
			"--listen", listen, "--pid-file", pidFile, "--set", "reload.supervisor=keeper")
		cmd.Env = testbin.CleanEnv()
		out := &syncBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		t.Cleanup(func() { _ = cmd.Process.Kill() })
		waitFor(t, 60*time.Second, "the server beneath the keeper", func() bool {
			code, by := get("http://" + listen + "/readyz")
			return code == 200 && by != 0 && by != cmd.Process.Pid && by == readPID(pidFile)
		})
		return cmd, exited, out
	}
	killOnCleanup(t, pidFile)

	keeper, exited, out := start()
	for range 2 {
		old := readPID(pidFile)
		if err := keeper.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 30*time.Second, "a new generation", func() bool {
			code, by := get("http://" + listen + "/readyz")
			return code == 200 && by != old && by == readPID(pidFile)
		})
		waitFor(t, 30*time.Second, "the old generation reaped", func() bool { return !alive(old) })
	}
	if !alive(keeper.Process.Pid) {
		t.Fatal("the keeper exited during the hand-offs")
	}
	if err := keeper.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("keeper after SIGTERM: %v, want exit 0\n%s", err, out.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("keeper still running 20s after SIGTERM\n%s", out.String())
	}
	if strings.Count(out.String(), "drain finished") < 3 {
		t.Errorf("want three clean drains (two hand-offs, one stop):\n%s", out.String())
	}

	// A crash of the serving process ends the keeper with its status.
	keeper, exited, out = start()
	if err := syscall.Kill(readPID(pidFile), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 128+int(syscall.SIGKILL) {
			t.Errorf("keeper after its server was killed: %v, want exit %d\n%s", err, 128+int(syscall.SIGKILL), out.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("keeper %d still running 10s after its server was killed\n%s", keeper.Process.Pid, out.String())
	}
	if readPID(pidFile) != 0 {
		t.Error("the dead server's PID file was left behind")
	}
}
