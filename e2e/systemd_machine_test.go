//go:build e2e_systemd

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/testbin"
)

// machine is a booted container: a fresh overlay over a cached Debian root.
type machine struct {
	t       *testing.T
	suite   string
	name    string
	root    string // the overlay's merged directory: the container's /
	dir     string
	nspawn  *exec.Cmd
	exited  chan struct{}
	console *os.File
	pid     int // the container's systemd, in the host's PID namespace
}

// rootsDir is where scripts/e2e-systemd-roots.sh caches the debootstrapped roots.
func rootsDir() string {
	if d := os.Getenv("SNOWFLAKE_MCP_E2E_ROOTS"); d != "" {
		return d
	}
	return "/var/cache/snowflake-mcp-e2e"
}

// newMachine mounts a fresh overlay of the cached root for suite (trixie, bookworm). It is
// not booted yet: files can be put in place first.
func newMachine(t *testing.T, suite string) *machine {
	t.Helper()
	lower := filepath.Join(rootsDir(), suite)
	if _, err := os.Stat(lower + ".complete"); err != nil {
		t.Fatalf("no cached %s root in %s: run 'make e2e-roots' (scripts/e2e-systemd-roots.sh) first", suite, rootsDir())
	}
	if os.Geteuid() != 0 {
		t.Fatal("the systemd container tests need root (systemd-nspawn, overlay mounts)")
	}
	dir := t.TempDir()
	m := &machine{t: t, suite: suite, dir: dir, root: filepath.Join(dir, "root")}
	var b [4]byte
	_, _ = rand.Read(b[:])
	m.name = "sfmcp-" + suite + "-" + hex.EncodeToString(b[:])
	for _, d := range []string{"upper", "work", "root"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower, filepath.Join(dir, "upper"), filepath.Join(dir, "work"))
	if out, err := exec.Command("mount", "-t", "overlay", "overlay", "-o", opts, m.root).CombinedOutput(); err != nil {
		t.Fatalf("mount overlay: %v: %s", err, out)
	}
	t.Cleanup(m.destroy)
	return m
}

// put writes a file into the container's filesystem (before or during boot).
func (m *machine) put(path string, data []byte, mode os.FileMode) {
	m.t.Helper()
	full := filepath.Join(m.root, path)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		m.t.Fatal(err)
	}
	if err := os.WriteFile(full, data, mode); err != nil {
		m.t.Fatal(err)
	}
	if err := os.Chmod(full, mode); err != nil {
		m.t.Fatal(err)
	}
}

// copyIn copies a host file into the container.
func (m *machine) copyIn(hostPath, path string, mode os.FileMode) {
	m.t.Helper()
	data, err := os.ReadFile(hostPath)
	if err != nil {
		m.t.Fatal(err)
	}
	m.put(path, data, mode)
}

// boot starts systemd in the container and waits until it reports the system running.
func (m *machine) boot() {
	m.t.Helper()
	console, err := os.OpenFile(filepath.Join(m.dir, "console.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		m.t.Fatal(err)
	}
	m.console = console
	cmd := exec.Command("systemd-nspawn", "-D", m.root, "--machine", m.name, "--boot",
		"--register=no", "--keep-unit", "--console=passive", "--private-network")
	cmd.Stdout, cmd.Stderr = console, console
	// The unified cgroup hierarchy, as on every Debian 12/13 host, even when this host is on
	// cgroup v1: systemd 252 can only wait for a main process it did not fork (the new
	// generation after a reload) through cgroup v2's empty notification, and would SIGKILL a
	// drain at once on v1 inside a container.
	cmd.Env = append(os.Environ(), "SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1")
	if err := cmd.Start(); err != nil {
		m.t.Fatalf("systemd-nspawn: %v", err)
	}
	m.nspawn, m.exited = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(m.exited) }()
	// nspawn is a subreaper: the container's init ends up as its child.
	m.pid = 0
	m.waitFor(30*time.Second, "the container's systemd to start", func() bool {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", cmd.Process.Pid, cmd.Process.Pid))
		for _, f := range strings.Fields(string(b)) {
			pid, _ := strconv.Atoi(f)
			if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); strings.TrimSpace(string(comm)) == "systemd" {
				m.pid = pid
				return true
			}
		}
		return false
	})
	var state string
	m.waitFor(90*time.Second, "systemctl is-system-running to say running", func() bool {
		state, _ = m.run(10*time.Second, "systemctl", "is-system-running")
		state = strings.TrimSpace(state)
		return state == "running" || state == "degraded"
	})
	if state == "degraded" {
		failed, _ := m.run(10*time.Second, "systemctl", "--failed", "--no-legend")
		m.t.Fatalf("%s booted degraded: %s", m.suite, failed)
	}
}

// poweroff shuts the container down from inside and waits for nspawn to exit.
func (m *machine) poweroff() {
	m.t.Helper()
	if _, err := m.run(30*time.Second, "systemctl", "poweroff"); err != nil {
		m.t.Logf("systemctl poweroff: %v", err)
	}
	select {
	case <-m.exited:
	case <-time.After(60 * time.Second):
		m.t.Fatalf("%s did not power off within 60s", m.name)
	}
	m.nspawn, m.pid = nil, 0
}

// destroy stops a container still running, unmounts the overlay and forgets nspawn's state.
func (m *machine) destroy() {
	if m.nspawn != nil {
		select {
		case <-m.exited:
		default:
			if m.t.Failed() {
				j, _ := m.run(20*time.Second, "journalctl", "--no-pager", "-o", "short-monotonic", "-n", "60", "-u", service)
				m.t.Logf("%s journal of %s (tail):\n%s", m.name, service, j)
			}
			_, _ = m.run(20*time.Second, "systemctl", "poweroff")
			select {
			case <-m.exited:
			case <-time.After(30 * time.Second):
				_ = syscall.Kill(m.pid, syscall.SIGKILL) // ends the container's PID namespace
				_ = m.nspawn.Process.Kill()
				<-m.exited
			}
		}
	}
	if m.console != nil {
		_ = m.console.Close()
		if m.t.Failed() {
			b, _ := os.ReadFile(m.console.Name())
			m.t.Logf("%s console (tail):\n%s", m.name, tail(string(b), 1500))
		}
	}
	if out, err := exec.Command("umount", m.root).CombinedOutput(); err != nil {
		m.t.Logf("umount %s: %v: %s; detaching it", m.root, err, out)
		_ = exec.Command("umount", "-l", m.root).Run()
	}
	_ = os.RemoveAll(filepath.Join("/run/systemd/nspawn/propagate", m.name))
	_ = os.Remove(filepath.Join("/run/systemd/nspawn/unix-export", m.name))
}

// run executes a command inside the booted container, bounded by timeout, and returns its
// combined output.
func (m *machine) run(timeout time.Duration, args ...string) (string, error) {
	if m.pid == 0 {
		return "", errors.New("container not booted")
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "nsenter", append([]string{"-t", strconv.Itoa(m.pid), "-a", "--"}, args...)...)
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0"}
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return string(out), fmt.Errorf("%s: timed out after %s", strings.Join(args, " "), timeout)
	}
	if err != nil {
		return string(out), fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, tail(string(out), 2000))
	}
	return string(out), nil
}

// must is run that fails the test on an error (a minute at most).
func (m *machine) must(args ...string) string {
	m.t.Helper()
	out, err := m.run(time.Minute, args...)
	if err != nil {
		m.t.Fatal(err)
	}
	return out
}

func (m *machine) sh(script string) string {
	m.t.Helper()
	return m.must("sh", "-c", script)
}

func (m *machine) waitFor(d time.Duration, what string, cond func() bool) {
	m.t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			m.t.Fatalf("%s: waited %s for %s", m.name, d, what)
		}
		select {
		case <-m.exited:
			if m.exited != nil && m.nspawn != nil {
				m.t.Fatalf("%s: the container exited while waiting for %s", m.name, what)
			}
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// show returns one property of a unit (systemctl show -p NAME --value).
func (m *machine) show(unit, prop string) string {
	m.t.Helper()
	return strings.TrimSpace(m.must("systemctl", "show", "-p", prop, "--value", unit))
}

func (m *machine) mainPID() int {
	m.t.Helper()
	pid, _ := strconv.Atoi(m.show(service, "MainPID"))
	return pid
}

// alive reports whether a process exists in the container.
func (m *machine) alive(pid int) bool {
	_, err := m.run(10*time.Second, "kill", "-0", strconv.Itoa(pid))
	return err == nil
}

// readyz returns /readyz's status code and the PID that answered ("000" when nothing listens).
func (m *machine) readyz() (code string, pid int) {
	out, _ := m.run(10*time.Second, "curl", "-s", "-o", "/dev/null", "-D", "-", "-w", "code=%{http_code}", "--max-time", "5", "http://127.0.0.1:8000/readyz")
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(strings.ToLower(line), "x-served-by-pid:"); ok {
			pid, _ = strconv.Atoi(strings.TrimSpace(v))
		}
		if v, ok := strings.CutPrefix(line, "code="); ok {
			code = v
		}
	}
	return code, pid
}

// load is an mcpload run inside the container; stop closes its stdin and reads its summary.
type load struct {
	m      *machine
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    bytes.Buffer
	cancel context.CancelFunc
}

type loadSummary struct {
	OK       int64          `json:"ok"`
	Failed   int64          `json:"failed"`
	Refused  int64          `json:"refused"`
	Errors   []string       `json:"errors"`
	ByPID    map[string]int `json:"by_pid"`
	Duration string         `json:"duration"`
}

func (m *machine) startLoad(args ...string) *load {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	l := &load{m: m, cancel: cancel}
	l.cmd = exec.CommandContext(ctx, "nsenter", append([]string{"-t", strconv.Itoa(m.pid), "-a", "--", "/usr/local/libexec/e2e/mcpload"}, args...)...)
	l.cmd.Stdout = &l.out
	l.cmd.Stderr = &l.out
	stdin, err := l.cmd.StdinPipe()
	if err != nil {
		m.t.Fatal(err)
	}
	l.stdin = stdin
	if err := l.cmd.Start(); err != nil {
		m.t.Fatal(err)
	}
	m.t.Cleanup(func() { _ = l.stdin.Close(); cancel() })
	return l
}

func (l *load) stop() loadSummary {
	l.m.t.Helper()
	_ = l.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- l.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			l.m.t.Fatalf("mcpload: %v: %s", err, l.out.String())
		}
	case <-time.After(3 * time.Minute):
		l.cancel()
		l.m.t.Fatalf("mcpload did not finish within 3 minutes: %s", l.out.String())
	}
	var s loadSummary
	if err := json.Unmarshal(l.out.Bytes(), &s); err != nil {
		l.m.t.Fatalf("mcpload summary: %v: %s", err, l.out.String())
	}
	return s
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// mcploadBinary builds e2e/mcpload statically into the test's temporary directory.
func mcploadBinary(t *testing.T) string {
	t.Helper()
	root, err := testbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "mcpload")
	cmd := exec.Command("go", "build", "-o", out, "./e2e/mcpload")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./e2e/mcpload: %v: %s", err, b)
	}
	return out
}
