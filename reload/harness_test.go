package reload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/snowflake-mcp/snowflake-mcp/testbin"
)

// Every generation after the first is a child of the one before it; once that
// exits it is re-parented to the nearest sub-reaper. Making the test process
// the sub-reaper lets it collect each generation's exit status.
var subreaperOnce sync.Once

func becomeSubreaper(t testing.TB) {
	subreaperOnce.Do(func() {
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			t.Fatalf("prctl(PR_SET_CHILD_SUBREAPER): %v", err)
		}
	})
}

// procs follows the generations of one server.
type procs struct {
	t      testing.TB
	stderr string // shared by every generation
	mu     sync.Mutex
	exits  map[int]*exitInfo
}

type exitInfo struct {
	done chan struct{}
	code int // -1 when killed by a signal
}

func (p *procs) info(pid int) *exitInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.exits[pid]
	if !ok {
		e = &exitInfo{done: make(chan struct{})}
		p.exits[pid] = e
	}
	return e
}

// start runs the first generation with stderr going to a file: a pipe would
// keep exec.Cmd.Wait waiting for every later generation too.
func startProcs(t testing.TB, bin string, args []string, env []string) (*procs, int) {
	t.Helper()
	becomeSubreaper(t)
	dir := t.TempDir()
	stderrPath := filepath.Join(dir, "stderr.log")
	f, err := os.Create(stderrPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(bin, args...)
	cmd.Env = testbin.CleanEnv(env...)
	cmd.Stdout = f
	cmd.Stderr = f
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	p := &procs{t: t, stderr: stderrPath, exits: map[int]*exitInfo{}}
	pid := cmd.Process.Pid
	e := p.info(pid)
	go func() {
		_ = cmd.Wait()
		e.code = cmd.ProcessState.ExitCode()
		close(e.done)
	}()
	t.Cleanup(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for pid, e := range p.exits {
			select {
			case <-e.done:
			default:
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		if t.Failed() {
			b, _ := os.ReadFile(stderrPath)
			t.Logf("server output:\n%s", tail(string(b), 12000))
			// RELOAD_TEST_KEEP_LOGS=DIR keeps the whole output for a post-mortem.
			if keep := os.Getenv("RELOAD_TEST_KEEP_LOGS"); keep != "" {
				name := filepath.Join(keep, strings.ReplaceAll(t.Name(), "/", "_")+".log")
				if err := os.WriteFile(name, b, 0o644); err == nil {
					t.Logf("full server output in %s", name)
				}
			}
		}
	})
	return p, pid
}

func tail(s string, n int) string {
	if len(s) > n {
		return "...\n" + s[len(s)-n:]
	}
	return s
}

// adopt starts collecting the exit status of a later generation: it becomes
// our child once its parent generation has exited.
func (p *procs) adopt(pid int) {
	e := p.info(pid)
	p.mu.Lock()
	p.exits[pid] = e
	p.mu.Unlock()
	go func() {
		for {
			var ws unix.WaitStatus
			_, err := unix.Wait4(pid, &ws, 0, nil)
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if errors.Is(err, unix.ECHILD) {
				// Not re-parented yet, or it was never ours (killed in cleanup).
				if syscall.Kill(pid, 0) != nil {
					e.code = -2
					close(e.done)
					return
				}
				time.Sleep(5 * time.Millisecond)
				continue
			}
			e.code = ws.ExitStatus()
			if ws.Signaled() {
				e.code = -1
			}
			close(e.done)
			return
		}
	}()
}

// waitExit waits up to d for pid to exit and returns its exit code.
func (p *procs) waitExit(pid int, d time.Duration) (int, bool) {
	e := p.info(pid)
	select {
	case <-e.done:
		return e.code, true
	case <-time.After(d):
		return 0, false
	}
}

func (p *procs) alive(pid int) bool {
	select {
	case <-p.info(pid).done:
		return false
	default:
		return true
	}
}

func (p *procs) output() string {
	b, _ := os.ReadFile(p.stderr)
	return string(b)
}

// waitFor polls cond every 5ms until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func readPID(path string) int {
	pid, err := readPIDFile(path)
	if err != nil {
		return 0
	}
	return pid
}

func sendSignal(t testing.TB, pid int, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(pid, sig); err != nil {
		t.Fatalf("kill -%v %d: %v", sig, pid, err)
	}
}

// load runs concurrent clients until stopped and records every outcome.
type load struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	ok     atomic.Int64
	mu     sync.Mutex
	pids   map[int]int
	fails  []string
	lat    []sample
}

type sample struct {
	at  time.Time
	dur time.Duration
}

// request is one client call: it returns the PID that served it.
type request func(ctx context.Context, worker int) (int, error)

func startLoad(workers int, do request) *load {
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{cancel: cancel, pids: map[int]int{}}
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for ctx.Err() == nil {
				start := time.Now()
				pid, err := do(ctx, w)
				if ctx.Err() != nil && err != nil {
					return // stopped mid-request: not the server's fault
				}
				l.mu.Lock()
				if err != nil {
					l.fails = append(l.fails, fmt.Sprintf("%s: %v", time.Now().Format("15:04:05.000"), err))
				} else {
					l.ok.Add(1)
					l.pids[pid]++
					l.lat = append(l.lat, sample{start, time.Since(start)})
				}
				l.mu.Unlock()
			}
		}()
	}
	return l
}

func (l *load) stop() {
	l.cancel()
	l.wg.Wait()
}

func (l *load) served() int64 { return l.ok.Load() }

func (l *load) failures() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.fails...)
}

func (l *load) servedBy() map[int]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := map[int]int{}
	for k, v := range l.pids {
		m[k] = v
	}
	return m
}

func newClient(workers int) *http.Client {
	return &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        workers * 2,
			MaxIdleConnsPerHost: workers * 2,
			IdleConnTimeout:     30 * time.Second,
		},
	}
}

// getPID performs a GET and returns the serving PID from PIDHeader.
func getPID(ctx context.Context, c *http.Client, url string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", fmt.Errorf("read body: %w", err)
	}
	pid, _ := strconv.Atoi(resp.Header.Get(PIDHeader))
	if resp.StatusCode != http.StatusOK {
		return pid, string(body), fmt.Errorf("status %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return pid, string(body), nil
}

// notifyListener is a fake systemd $NOTIFY_SOCKET.
type notifyListener struct {
	name string
	mu   sync.Mutex
	msgs []string
}

func listenNotify(t testing.TB, abstract bool) *notifyListener {
	t.Helper()
	name := filepath.Join(t.TempDir(), "notify.sock")
	if abstract {
		name = fmt.Sprintf("@snowflake-mcp-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatalf("listen %s: %v", name, err)
	}
	n := &notifyListener{name: name}
	go func() {
		buf := make([]byte, 4096)
		for {
			k, _, err := conn.ReadFromUnix(buf)
			if err != nil {
				return
			}
			n.mu.Lock()
			n.msgs = append(n.msgs, strings.TrimSpace(string(buf[:k])))
			n.mu.Unlock()
		}
	}()
	t.Cleanup(func() { conn.Close() })
	return n
}

func (n *notifyListener) messages() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.msgs...)
}

// percentile returns the p-th percentile (0..100) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}
