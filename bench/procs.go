package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a process the bench started, with the tail of its output kept for errors.
type proc struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{}
	tail   *tailBuffer
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// stop sends SIGTERM and waits up to d, then kills.
func (p *proc) stop(d time.Duration) {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(d):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// tailBuffer keeps the last lines written to it and reports the first match of a pattern.
type tailBuffer struct {
	mu    sync.Mutex
	lines []string
	match *regexp.Regexp
	found chan string
	once  sync.Once
}

func newTail(match *regexp.Regexp) *tailBuffer {
	return &tailBuffer{match: match, found: make(chan string, 1)}
}

func (t *tailBuffer) scan(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if t.match != nil {
			if m := t.match.FindStringSubmatch(line); m != nil {
				t.once.Do(func() { t.found <- m[1] })
			}
		}
		t.mu.Lock()
		t.lines = append(t.lines, line)
		if len(t.lines) > 40 {
			t.lines = t.lines[len(t.lines)-40:]
		}
		t.mu.Unlock()
	}
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}

// startProc runs cmd and waits for its output to match (the address it listens on).
func startProc(ctx context.Context, name string, cmd *exec.Cmd, match *regexp.Regexp, timeout time.Duration) (*proc, string, error) {
	tail := newTail(match)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // nothing outlives the bench
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, exited: make(chan struct{}), tail: tail}
	go tail.scan(pr)
	go func() { _ = cmd.Wait(); _ = pw.Close(); close(p.exited) }()
	select {
	case addr := <-tail.found:
		return p, addr, nil
	case <-p.exited:
		return nil, "", fmt.Errorf("%s exited before it listened: %s\n%s", name, cmd.ProcessState, tail)
	case <-time.After(timeout):
	case <-ctx.Done():
	}
	p.stop(time.Second)
	return nil, "", fmt.Errorf("%s did not listen within %s:\n%s", name, timeout, tail)
}

var (
	emulatorListening = regexp.MustCompile(`snowflake-emulator listening on (\S+)`)
	peerListening     = regexp.MustCompile(`peer listening on (\S+)`)
	serverListening   = regexp.MustCompile(`msg=listening .*addr=(\S+)|"msg":"listening".*"addr":"([^"]+)"`)
)

// emulator is the Snowflake emulator under a memory limit, seeded with the bench's big table.
type emulator struct {
	*proc
	addr string
}

// bigTableRows is the size of DEMO.PUBLIC.BENCH_BIG, the table the capped-query memory figure reads.
const bigTableRows = 1_000_000

func startEmulator(ctx context.Context, o *Options, dir string) (*emulator, error) {
	seed := filepath.Join(dir, "seed")
	if err := os.MkdirAll(seed, 0o755); err != nil {
		return nil, err
	}
	sql := fmt.Sprintf("CREATE TABLE DEMO.PUBLIC.BENCH_BIG AS SELECT i AS ID, 'row ' || i AS NAME, i * 1.5 AS AMOUNT FROM range(%d) t(i);\n", bigTableRows)
	if err := os.WriteFile(filepath.Join(seed, "01_bench_big.sql"), []byte(sql), 0o644); err != nil {
		return nil, err
	}
	args := []string{"--as=" + strconv.FormatInt(o.EmulatorMemLimit, 10), "--", o.EmulatorBin,
		"--listen", "127.0.0.1:0", "--seed", seed, "--log-level", "warn"}
	p, addr, err := startProc(ctx, "emulator", exec.CommandContext(ctx, "prlimit", args...), emulatorListening, 60*time.Second)
	if err != nil {
		return nil, err
	}
	return &emulator{proc: p, addr: addr}, nil
}

func (e *emulator) url() string { return "http://" + e.addr }

func (e *emulator) dsn() string {
	return "demo:demo@" + e.addr + "/DEMO/SALES?account=demo&protocol=http&loginTimeout=30"
}

// emuQuery is one entry of the emulator's admin view of queries.
type emuQuery struct {
	ID    string    `json:"id"`
	SQL   string    `json:"sql"`
	State string    `json:"state"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

func (e *emulator) queries(ctx context.Context, state string) ([]emuQuery, error) {
	u := e.url() + "/emulator/queries"
	if state != "" {
		u += "?state=" + state
	}
	var qs []emuQuery
	return qs, getJSON(ctx, u, &qs)
}

func getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, b)
	}
	return json.Unmarshal(b, v)
}

// server is a snowflake-mcp serve process (and, after SIGHUPs, its later generations).
type server struct {
	*proc
	addr      string
	pidFile   string
	startedAt time.Time
	readyIn   time.Duration
}

// serverSets are the settings every bench server runs with, on top of the development defaults.
func serverSets(emu *emulator, poolMax int) []string {
	host, port, _ := strings.Cut(emu.addr, ":")
	return []string{
		"snowflake.host=" + host, "snowflake.port=" + port, "snowflake.protocol=http",
		"snowflake.account=demo", "snowflake.user=demo", "snowflake.password=demo",
		"pool.max_open=" + strconv.Itoa(poolMax), "pool.max_idle=" + strconv.Itoa(poolMax),
		"query.metadata_cache_ttl=1h", // list_databases is measured with a warm cache
		"server.bench_tools=true",
	}
}

func startServer(ctx context.Context, o *Options, dir string, emu *emulator, extra ...string) (*server, error) {
	pidFile := filepath.Join(dir, fmt.Sprintf("snowflake-mcp-%d.pid", time.Now().UnixNano()))
	args := []string{"serve", "--listen", "127.0.0.1:0", "--pid-file", pidFile}
	for _, s := range append(serverSets(emu, o.PoolMax), extra...) {
		args = append(args, "--set", s)
	}
	cmd := exec.CommandContext(ctx, o.ServerBin, args...)
	cmd.Env = append(cleanEnv(), o.serverEnv...)
	started := time.Now()
	p, addr, err := startProc(ctx, "snowflake-mcp", cmd, serverListening, 60*time.Second)
	if err != nil {
		return nil, err
	}
	s := &server{proc: p, addr: strings.Trim(addr, `"`), pidFile: pidFile, startedAt: started}
	if err := waitReady(ctx, "http://"+s.addr+"/readyz", 30*time.Second); err != nil {
		p.stop(5 * time.Second)
		return nil, fmt.Errorf("snowflake-mcp: %w\n%s", err, p.tail)
	}
	s.readyIn = time.Since(started)
	return s, nil
}

func (s *server) mcpURL() string { return "http://" + s.addr + "/mcp" }

// currentPID is the serving generation's PID, from the PID file it writes when ready.
func (s *server) currentPID() int {
	b, err := os.ReadFile(s.pidFile)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// stopAll stops the serving generation (which may not be our child after an upgrade).
func (s *server) stopAll() {
	if pid := s.currentPID(); pid > 0 && pid != s.pid() {
		_ = syscall.Kill(pid, syscall.SIGTERM)
		waitGone(pid, 10*time.Second)
	}
	s.stop(10 * time.Second)
}

func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "SNOWFLAKE_") || name == "CREDENTIALS_DIRECTORY" || name == "NOTIFY_SOCKET" {
			continue
		}
		out = append(out, kv)
	}
	return out
}

func waitReady(ctx context.Context, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("%s not 200 within %s", url, timeout)
}

// peer is the TypeScript reference server.
type peer struct {
	*proc
	addr    string
	readyIn time.Duration
}

func startPeer(ctx context.Context, o *Options, emu *emulator) (*peer, error) {
	cmd := exec.CommandContext(ctx, o.Node, filepath.Join(o.PeerDir, "server.mjs"))
	cmd.Dir = o.PeerDir
	cmd.Env = append(cleanEnv(), "SNOWFLAKE_URL="+emu.url(), "POOL_MAX="+strconv.Itoa(o.PoolMax), "POOL_MIN=2",
		"NODE_ENV=production", "NODE_NO_WARNINGS=1")
	started := time.Now()
	p, addr, err := startProc(ctx, "peer", cmd, peerListening, 60*time.Second)
	if err != nil {
		return nil, err
	}
	return &peer{proc: p, addr: addr, readyIn: time.Since(started)}, nil
}

func (p *peer) mcpURL() string { return "http://" + p.addr + "/mcp" }

// installPeer runs npm ci in the peer's directory when its node_modules is missing or stale.
func installPeer(ctx context.Context, o *Options, log io.Writer) error {
	stamp := filepath.Join(o.PeerDir, "node_modules", ".package-lock.json")
	lock := filepath.Join(o.PeerDir, "package-lock.json")
	if si, err := os.Stat(stamp); err == nil {
		if li, err := os.Stat(lock); err == nil && !li.ModTime().After(si.ModTime()) {
			return nil
		}
	}
	fmt.Fprintln(log, "bench: npm ci in", o.PeerDir)
	cmd := exec.CommandContext(ctx, o.NPM, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = o.PeerDir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm ci in %s: %w\n%s", o.PeerDir, err, out.String())
	}
	return nil
}

// clockTick is USER_HZ, 100 on every Linux the bench runs on.
const clockTick = 100

func readCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / clockTick, nil
}

// readMem returns VmRSS and VmHWM (peak RSS since start or the last resetPeak) in bytes.
func readMem(pid int) (rss, hwm int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			rss = kb << 10
		case "VmHWM":
			hwm = kb << 10
		}
	}
	return rss, hwm, nil
}

// resetPeak makes VmHWM start again from the current RSS.
func resetPeak(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// gone reports whether pid has exited (or is a zombie nobody reaped yet).
func gone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] == 'Z' || b[i+2] == 'X'
}

func waitGone(pid int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if gone(pid) {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}
