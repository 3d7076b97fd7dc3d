package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// daemon start detaches for real and the control commands follow it through
// its PID file: status, a refused second start, reload, stop, status 3, and a
// stale PID file that does not block the next start.
func TestDaemonStartStatusReloadStop(t *testing.T) {
	emu := testemulator.Start(t)
	dir := t.TempDir()
	listen := freeListen(t)
	cfg := configFile(t, dir, emu, "")
	pidFile := filepath.Join(dir, "run", "snowflake-mcp.pid")
	args := func(sub string, more ...string) []string {
		return append([]string{"daemon", sub, "--config", cfg, "--listen", listen, "--pid-file", pidFile, "--log-dir", "logs", "--timeout", "30s"}, more...)
	}
	killOnCleanup(t, pidFile)

	start := time.Now()
	r := run(t, dir, nil, args("start")...)
	took := time.Since(start)
	if r.code != 0 || took > 10*time.Second {
		app, _ := os.ReadFile(filepath.Join(dir, "logs", "application.log"))
		out, _ := os.ReadFile(filepath.Join(dir, "logs", "daemon.out"))
		t.Fatalf("daemon start: exit %d after %v, want 0 within 10s\nstdout: %s\nstderr: %s\napplication.log:\n%s\ndaemon.out:\n%s", r.code, took, r.stdout, r.stderr, app, out)
	}
	pid := readPID(pidFile)
	if !alive(pid) {
		t.Fatalf("PID file names %d, not running", pid)
	}
	checkDetached(t, pid)
	if code, _ := get("http://" + listen + "/healthz"); code != 200 {
		t.Errorf("/healthz %d after start", code)
	}
	// Relative --log-dir was made absolute against the caller's directory.
	if _, err := os.Stat(filepath.Join(dir, "logs", "access.log")); err != nil {
		t.Errorf("log files not in ./logs: %v", err)
	}

	r = run(t, dir, nil, args("status")...)
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("PID %d", pid)) || !strings.Contains(r.stdout, "readiness: 200") ||
		!strings.Contains(r.stdout, "generation: 1") || !strings.Contains(r.stdout, "uptime:") || !strings.Contains(r.stdout, "version:") {
		t.Errorf("status: exit %d, output:\n%s%s", r.code, r.stdout, r.stderr)
	}

	r = run(t, dir, nil, args("start")...)
	if r.code == 0 || !strings.Contains(r.stderr, fmt.Sprintf("already running as PID %d", pid)) {
		t.Errorf("second start: exit %d, stderr %q; want a clear refusal", r.code, r.stderr)
	}

	r = run(t, dir, nil, args("reload")...)
	newPID := readPID(pidFile)
	if r.code != 0 || newPID == pid || !alive(newPID) {
		t.Fatalf("reload: exit %d, PID file %d (was %d)\n%s%s", r.code, newPID, pid, r.stdout, r.stderr)
	}
	if code, servedBy := get("http://" + listen + "/readyz"); code != 200 || servedBy != newPID {
		t.Errorf("after reload /readyz %d served by %d, want 200 from %d", code, servedBy, newPID)
	}
	waitFor(t, 15*time.Second, "the old generation to exit", func() bool { return !alive(pid) })
	if r = run(t, dir, nil, args("status")...); !strings.Contains(r.stdout, "generation: 2") {
		t.Errorf("status after reload:\n%s", r.stdout)
	}

	r = run(t, dir, nil, args("stop")...)
	if r.code != 0 || alive(newPID) {
		t.Fatalf("stop: exit %d, process alive %v\n%s%s", r.code, alive(newPID), r.stdout, r.stderr)
	}
	if r = run(t, dir, nil, args("status")...); r.code != 3 {
		t.Errorf("status after stop: exit %d, want 3\n%s", r.code, r.stdout)
	}

	// A PID file left by a killed server names a dead process.
	if err := os.WriteFile(pidFile, []byte(fmt.Sprint(newPID)), 0o644); err != nil {
		t.Fatal(err)
	}
	if r = run(t, dir, nil, args("status")...); r.code != 1 {
		t.Errorf("status with a stale PID file: exit %d, want 1\n%s", r.code, r.stdout)
	}
	r = run(t, dir, nil, args("start")...)
	if r.code != 0 || !strings.Contains(r.stdout, "removing stale PID file") {
		t.Fatalf("start over a stale PID file: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	beforeRestart := readPID(pidFile)
	if r = run(t, dir, nil, args("restart")...); r.code != 0 || readPID(pidFile) == beforeRestart || alive(beforeRestart) {
		t.Errorf("restart: exit %d, PID %d -> %d\n%s%s", r.code, beforeRestart, readPID(pidFile), r.stdout, r.stderr)
	}
	last := readPID(pidFile)
	if r = run(t, dir, nil, args("stop")...); r.code != 0 || alive(last) {
		t.Errorf("final stop: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// checkDetached asserts pid leads its own session with no controlling
// terminal, runs in /, and has stdin on /dev/null.
func checkDetached(t *testing.T, pid int) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	// f[3] is the session id, f[4] tty_nr.
	if f[3] != fmt.Sprint(pid) || f[4] != "0" {
		t.Errorf("PID %d: session %s, tty_nr %s; want its own session and no controlling terminal", pid, f[3], f[4])
	}
	if cwd, _ := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid)); cwd != "/" {
		t.Errorf("PID %d runs in %q, want /", pid, cwd)
	}
	if in, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/0", pid)); in != os.DevNull {
		t.Errorf("PID %d stdin is %q, want /dev/null", pid, in)
	}
}
