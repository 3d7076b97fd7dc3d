package e2e

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/snowflake-mcp/snowflake-mcp/testbin"
	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// pidHeader names the replica process that answered (reload.PIDHeader).
const pidHeader = "X-Served-By-Pid"

// Each generation after a SIGHUP is a child of the one before it; once that
// exits it is re-parented to the nearest sub-reaper. Being the sub-reaper lets
// the test reap every generation and know when it is gone.
var subreaperOnce sync.Once

func becomeSubreaper(t testing.TB) {
	subreaperOnce.Do(func() {
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			t.Fatalf("prctl(PR_SET_CHILD_SUBREAPER): %v", err)
		}
	})
}

// replicaOpts shape one replica's config file.
type replicaOpts struct {
	drainTimeout time.Duration
	// drainDelay is server.drain_delay: how long a stopping replica keeps
	// accepting after /readyz turned 503 (above HAProxy's fall * inter).
	drainDelay time.Duration
	// extraServer lines go under server: as written (e.g. "  drain_delay: 2s").
	extraServer []string
}

// replica is one snowflake-mcp "slot": a fixed loopback port and a PID file,
// served by successive processes (SIGHUP generations, restarts).
type replica struct {
	t       testing.TB
	name    string
	bin     string
	dir     string
	cfgPath string
	pidFile string
	logPath string
	port    int
	emu     *testemulator.Emulator
	opts    replicaOpts

	mu   sync.Mutex
	pid  int
	gone map[int]chan struct{} // closed when that process has exited
}

func startReplica(t testing.TB, emu *testemulator.Emulator, name string, o replicaOpts) *replica {
	t.Helper()
	becomeSubreaper(t)
	if o.drainTimeout == 0 {
		o.drainTimeout = 5 * time.Second
	}
	if o.drainDelay == 0 {
		o.drainDelay = 3 * time.Second
	}
	dir := t.TempDir()
	r := &replica{
		t: t, name: name, bin: testbin.Build(t, "./cmd/snowflake-mcp", "SNOWFLAKE_MCP_BIN"), dir: dir,
		cfgPath: filepath.Join(dir, "config.yaml"), pidFile: filepath.Join(dir, "snowflake-mcp.pid"),
		logPath: filepath.Join(dir, "stderr.log"), emu: emu, opts: o, gone: map[int]chan struct{}{},
	}
	t.Cleanup(r.killAll)
	r.start()
	return r
}

// config is the replica's config file; port 0 the first time (the kernel
// picks), the same port on every restart so the balancer config stays true.
func (r *replica) config() string {
	var b strings.Builder
	fmt.Fprintf(&b, "snowflake:\n  account: %s\n  user: %s\n  password: %s\n  host: %s\n  port: %d\n  protocol: http\n",
		r.emu.Account, r.emu.User, r.emu.Password, r.emu.Host, r.emu.Port)
	fmt.Fprintf(&b, "server:\n  listen: 127.0.0.1:%d\n  stateless: true\n  drain_timeout: %s\n  drain_delay: %s\n  trusted_proxies: [127.0.0.1]\n",
		r.port, r.opts.drainTimeout, r.opts.drainDelay)
	for _, l := range r.opts.extraServer {
		b.WriteString(l + "\n")
	}
	fmt.Fprintf(&b, "reload:\n  pid_file: %s\n  upgrade_timeout: 30s\n", r.pidFile)
	b.WriteString("pool:\n  warm: 2\n  max_idle: 8\n")
	b.WriteString("log:\n  output: stderr\n  format: json\n")
	return b.String()
}

var listenRE = regexp.MustCompile(`"msg":"listening".*?"addr":"127\.0\.0\.1:(\d+)"`)

// start runs a new first-generation process and waits until it is ready.
func (r *replica) start() {
	t := r.t
	t.Helper()
	if err := os.WriteFile(r.cfgPath, []byte(r.config()), 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.OpenFile(r.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(r.bin, "serve", "--env", "development", "--config", r.cfgPath)
	cmd.Env = testbin.CleanEnv()
	// A file, not a pipe: a pipe would keep Wait waiting for later generations.
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: start: %v", r.name, err)
	}
	pid := cmd.Process.Pid
	done := make(chan struct{})
	r.mu.Lock()
	r.gone[pid] = done
	r.mu.Unlock()
	go func() { _ = cmd.Wait(); close(done) }()
	r.waitPID(pid, 60*time.Second)
	if r.port == 0 {
		waitFor(t, 5*time.Second, r.name+" listening address", func() bool {
			m := listenRE.FindStringSubmatch(r.logs())
			if m != nil {
				r.port, _ = strconv.Atoi(m[1])
			}
			return m != nil
		})
	}
	r.waitReady(30 * time.Second)
}

// waitPID waits until pid is in the PID file (tableflip writes it on Ready).
func (r *replica) waitPID(pid int, d time.Duration) {
	r.t.Helper()
	waitFor(r.t, d, fmt.Sprintf("%s: PID %d in the PID file", r.name, pid), func() bool {
		if r.exited(pid) {
			r.t.Fatalf("%s: PID %d exited during startup:\n%s", r.name, pid, lastBytes(r.logs(), 4000))
		}
		return readPID(r.pidFile) == pid
	})
	r.mu.Lock()
	r.pid = pid
	r.mu.Unlock()
}

// waitReady polls /readyz on the replica itself.
func (r *replica) waitReady(d time.Duration) {
	r.t.Helper()
	waitFor(r.t, d, r.name+" /readyz 200", func() bool {
		resp, err := http.Get(r.url() + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

func (r *replica) url() string  { return fmt.Sprintf("http://127.0.0.1:%d", r.port) }
func (r *replica) addr() string { return fmt.Sprintf("127.0.0.1:%d", r.port) }

func (r *replica) currentPID() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pid
}

func (r *replica) exited(pid int) bool {
	r.mu.Lock()
	done := r.gone[pid]
	r.mu.Unlock()
	select {
	case <-done:
		return true
	default:
		return false
	}
}

func (r *replica) waitExit(pid int, d time.Duration) {
	r.t.Helper()
	r.mu.Lock()
	done := r.gone[pid]
	r.mu.Unlock()
	select {
	case <-done:
	case <-time.After(d):
		r.t.Fatalf("%s: PID %d still running after %v", r.name, pid, d)
	}
}

// upgrade sends SIGHUP and waits for the new generation to take the PID file
// and the old one to finish draining and exit.
func (r *replica) upgrade() (oldPID, newPID int) {
	r.t.Helper()
	oldPID = r.currentPID()
	if err := syscall.Kill(oldPID, syscall.SIGHUP); err != nil {
		r.t.Fatalf("%s: SIGHUP %d: %v", r.name, oldPID, err)
	}
	waitFor(r.t, 45*time.Second, r.name+": a new generation in the PID file", func() bool {
		p := readPID(r.pidFile)
		return p != 0 && p != oldPID
	})
	newPID = readPID(r.pidFile)
	r.adopt(newPID)
	r.mu.Lock()
	r.pid = newPID
	r.mu.Unlock()
	r.waitExit(oldPID, r.opts.drainDelay+r.opts.drainTimeout+30*time.Second)
	return oldPID, newPID
}

// stop sends sig and waits for the process to exit.
func (r *replica) stop(sig syscall.Signal) int {
	r.t.Helper()
	pid := r.currentPID()
	if err := syscall.Kill(pid, sig); err != nil {
		r.t.Fatalf("%s: kill -%v %d: %v", r.name, sig, pid, err)
	}
	r.waitExit(pid, r.opts.drainDelay+r.opts.drainTimeout+30*time.Second)
	return pid
}

// adopt reaps a later generation once it has been re-parented to us.
func (r *replica) adopt(pid int) {
	done := make(chan struct{})
	r.mu.Lock()
	r.gone[pid] = done
	r.mu.Unlock()
	go func() {
		defer close(done)
		for {
			var ws unix.WaitStatus
			_, err := unix.Wait4(pid, &ws, 0, nil)
			switch {
			case err == nil:
				return
			case errors.Is(err, unix.EINTR):
			case errors.Is(err, unix.ECHILD):
				// Not re-parented yet; or gone and reaped elsewhere.
				if syscall.Kill(pid, 0) != nil {
					return
				}
				time.Sleep(5 * time.Millisecond)
			default:
				return
			}
		}
	}()
}

func (r *replica) killAll() {
	r.mu.Lock()
	var pids []int
	for pid, done := range r.gone {
		select {
		case <-done:
		default:
			pids = append(pids, pid)
		}
	}
	r.mu.Unlock()
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	for _, pid := range pids {
		r.mu.Lock()
		done := r.gone[pid]
		r.mu.Unlock()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
	}
	if r.t.Failed() {
		r.t.Logf("%s output:\n%s", r.name, lastBytes(r.logs(), 6000))
	}
}

func (r *replica) logs() string {
	b, _ := os.ReadFile(r.logPath)
	return string(b)
}

func lastBytes(s string, n int) string {
	if len(s) > n {
		return "...\n" + s[len(s)-n:]
	}
	return s
}

// emulator starts one emulator for the replicas, bounded in memory.
func emulator(t testing.TB) *testemulator.Emulator {
	t.Helper()
	return testemulator.Start(t)
}
