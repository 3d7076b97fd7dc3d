package daemon

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// LSB exit codes of Status.
const (
	StatusRunning    = 0
	StatusDead       = 1 // not running, but the PID file is left
	StatusNotRunning = 3
)

// Headers the server stamps on its answers (package reload); Status and
// Reload read them from /readyz.
const (
	pidHeader        = "X-Served-By-Pid"
	generationHeader = "X-Snowflake-Mcp-Generation"
	upgradesHeader   = "X-Snowflake-Mcp-Upgrades" // "<succeeded> <failed>"
)

// Control drives one server through its PID file.
type Control struct {
	PIDFile string
	// BaseURL is the server's http://host:port, for /readyz and /version;
	// "" when not known (a kernel-chosen port).
	BaseURL string
	// Timeout bounds each wait: start until ready, stop until gone, reload
	// until the new generation is ready.
	Timeout time.Duration
	Out     io.Writer // what the command reports
	client  *http.Client
}

func (c *Control) http() *http.Client {
	if c.client == nil {
		c.client = &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	}
	return c.client
}

// running returns the PID the PID file names when that process is alive.
func (c *Control) running() (pid int, stale bool, err error) {
	pid, err = ReadPIDFile(c.PIDFile)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, true, nil // garbage in the PID file: stale
	}
	if !Alive(pid) {
		return pid, true, nil
	}
	return pid, false, nil
}

// Start runs cmd detached (its own session, no controlling terminal, stdin
// /dev/null, stdout and stderr appended to output, working directory /,
// umask 027) and waits until the server is ready: the PID file names a live
// process and /readyz answers 200. It fails when a live process already owns
// the PID file, and with the child's own words when the child exits first.
func (c *Control) Start(cmd *exec.Cmd, output string) error {
	pid, stale, err := c.running()
	if err != nil {
		return err
	}
	if pid != 0 && !stale {
		return fmt.Errorf("already running as PID %d (PID file %s); stop it first (snowflake-mcp daemon stop) or use another --pid-file", pid, c.PIDFile)
	}
	if stale {
		fmt.Fprintf(c.Out, "removing stale PID file %s (PID %d is not running)\n", c.PIDFile, pid)
		if err := os.Remove(c.PIDFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove stale PID file: %w", err)
		}
	}
	out, err := os.OpenFile(output, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("daemon output file: %w", err)
	}
	defer out.Close()
	startAt, _ := out.Seek(0, io.SeekEnd)
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer devnull.Close()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, out, out
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	old := unix.Umask(0o027) // inherited by the child; this command exits soon
	err = cmd.Start()
	unix.Umask(old)
	if err != nil {
		return fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	deadline := time.Now().Add(c.Timeout)
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("the server exited before it was ready (%v):\n%s", err, tailFrom(output, startAt))
		case <-time.After(20 * time.Millisecond):
		}
		if pid, stale, _ := c.running(); pid != 0 && !stale && c.ready() {
			fmt.Fprintf(c.Out, "started: PID %d (PID file %s, output %s)\n", pid, c.PIDFile, output)
			return nil
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			return fmt.Errorf("not ready within --timeout %s; sent it SIGTERM. Its output:\n%s", c.Timeout, tailFrom(output, startAt))
		}
	}
}

// ready reports whether /readyz answers 200 (true when the address is unknown).
func (c *Control) ready() bool {
	if c.BaseURL == "" {
		return true
	}
	resp, err := c.http().Get(c.BaseURL + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Stop sends SIGTERM and waits until the process is gone. After Timeout it
// sends SIGKILL when force is set, else it fails and leaves the drain going.
func (c *Control) Stop(force bool) error {
	pid, stale, err := c.running()
	if err != nil {
		return err
	}
	if pid == 0 || stale {
		fmt.Fprintf(c.Out, "not running (PID file %s)\n", c.PIDFile)
		if stale {
			_ = os.Remove(c.PIDFile)
		}
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("signal PID %d: %w", pid, err)
	}
	fmt.Fprintf(c.Out, "stopping PID %d (SIGTERM; waiting up to %s for the drain)\n", pid, c.Timeout)
	if waitUntil(c.Timeout, func() bool { return !Alive(pid) }) {
		fmt.Fprintf(c.Out, "stopped\n")
		return nil
	}
	if !force {
		return fmt.Errorf("PID %d still draining after --timeout %s; wait, or rerun with --force to SIGKILL it", pid, c.Timeout)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("SIGKILL PID %d: %w", pid, err)
	}
	waitUntil(5*time.Second, func() bool { return !Alive(pid) })
	if p, _ := ReadPIDFile(c.PIDFile); p == pid {
		_ = os.Remove(c.PIDFile)
	}
	fmt.Fprintf(c.Out, "killed PID %d (SIGKILL after %s)\n", pid, c.Timeout)
	return nil
}

// Status prints what is known about the server and returns an LSB code.
func (c *Control) Status() int {
	pid, stale, _ := c.running()
	switch {
	case pid == 0 && !stale:
		fmt.Fprintf(c.Out, "not running (no PID file %s)\n", c.PIDFile)
		return StatusNotRunning
	case stale:
		fmt.Fprintf(c.Out, "dead: PID file %s names PID %d, which is not running\n", c.PIDFile, pid)
		return StatusDead
	}
	fmt.Fprintf(c.Out, "running: PID %d\n", pid)
	if st, err := ReadProcStat(pid); err == nil && !st.Started.IsZero() {
		fmt.Fprintf(c.Out, "uptime: %s\n", time.Since(st.Started).Round(time.Second))
	}
	if c.BaseURL == "" {
		fmt.Fprintf(c.Out, "readiness: unknown (no fixed server.listen address to ask)\n")
		return StatusRunning
	}
	if v := c.version(); v != "" {
		fmt.Fprintf(c.Out, "version: %s\n", v)
	}
	resp, err := c.http().Get(c.BaseURL + "/readyz")
	if err != nil {
		fmt.Fprintf(c.Out, "readiness: unreachable at %s/readyz: %v\n", c.BaseURL, err)
		return StatusRunning
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if g := resp.Header.Get(generationHeader); g != "" {
		fmt.Fprintf(c.Out, "generation: %s\n", g)
	}
	fmt.Fprintf(c.Out, "readiness: %d %s\n", resp.StatusCode, bytes.TrimSpace(body))
	return StatusRunning
}

func (c *Control) version() string {
	resp, err := c.http().Get(c.BaseURL + "/version")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var v struct {
		Version string `json:"version"`
		Commit  string `json:"commit"`
	}
	if json.NewDecoder(resp.Body).Decode(&v) != nil {
		return ""
	}
	return v.Version + " (" + v.Commit + ")"
}

// Reload sends SIGHUP and waits until a new generation's PID is in the PID
// file and it is ready, or until the old generation reports the upgrade
// failed (it then keeps serving).
func (c *Control) Reload() error {
	old, stale, err := c.running()
	if err != nil {
		return err
	}
	if old == 0 || stale {
		return fmt.Errorf("not running (PID file %s); start it with snowflake-mcp daemon start", c.PIDFile)
	}
	_, failedBefore := c.upgrades(old)
	if err := syscall.Kill(old, syscall.SIGHUP); err != nil {
		return fmt.Errorf("signal PID %d: %w", old, err)
	}
	var newPID int
	var failed bool
	ok := waitUntil(c.Timeout, func() bool {
		if p, _ := ReadPIDFile(c.PIDFile); p != 0 && p != old && Alive(p) && c.ready() {
			newPID = p
			return true
		}
		if _, f := c.upgrades(old); f > failedBefore {
			failed = true
			return true
		}
		return false
	})
	switch {
	case newPID != 0:
		fmt.Fprintf(c.Out, "reloaded: PID %d -> %d (the old generation drains and exits)\n", old, newPID)
		return nil
	case failed:
		return fmt.Errorf("upgrade failed: PID %d still serves; its log says why (\"upgrade failed\")", old)
	case !ok:
		return fmt.Errorf("no new generation ready within --timeout %s; PID %d still serves (see its log)", c.Timeout, old)
	}
	return nil
}

// upgrades asks /readyz for the upgrade counters of the generation pid;
// (-1, -1) when that cannot be told.
func (c *Control) upgrades(pid int) (int, int) {
	if c.BaseURL == "" {
		return -1, -1
	}
	resp, err := c.http().Get(c.BaseURL + "/readyz")
	if err != nil {
		return -1, -1
	}
	resp.Body.Close()
	if resp.Header.Get(pidHeader) != strconv.Itoa(pid) {
		return -1, -1
	}
	var ok, failed int
	if _, err := fmt.Sscanf(resp.Header.Get(upgradesHeader), "%d %d", &ok, &failed); err != nil {
		return -1, -1
	}
	return ok, failed
}

// ReopenLogs sends SIGUSR1: the server reopens its log files.
func (c *Control) ReopenLogs() error {
	pid, stale, err := c.running()
	if err != nil {
		return err
	}
	if pid == 0 || stale {
		return fmt.Errorf("not running (PID file %s)", c.PIDFile)
	}
	if err := syscall.Kill(pid, syscall.SIGUSR1); err != nil {
		return fmt.Errorf("signal PID %d: %w", pid, err)
	}
	fmt.Fprintf(c.Out, "asked PID %d to reopen its log files\n", pid)
	return nil
}

func waitUntil(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// tailFrom returns the last 4 KiB written to path since offset.
func tailFrom(path string, offset int64) string {
	b, err := os.ReadFile(path)
	if err != nil || int64(len(b)) < offset {
		return ""
	}
	b = b[offset:]
	if len(b) > 4096 {
		b = b[len(b)-4096:]
	}
	return string(b)
}
