package reload

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/testbin"
	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// These tests run the real snowflake-mcp binary against the real emulator.

// The MCP tools the load calls.
const (
	queryTool = "execute_query"
	queryArg  = "query"
)

// binServer is one snowflake-mcp under test and its generations.
type binServer struct {
	*procs
	t       testing.TB
	dir     string
	bin     string
	cfgPath string
	pidFile string
	logDir  string
	pid     int
	base    string
	client  *http.Client
	emu     *testemulator.Emulator
	opts    serverOpts
}

type serverOpts struct {
	drain   time.Duration
	upgrade time.Duration
	logFile bool // log.output: file in logDir instead of stderr
	warm    int  // pool.warm (and pool.max_idle); 0 keeps the default
	// stateful serves MCP with sessions and GET event streams.
	stateful bool
	env      []string
}

func (o serverOpts) yaml(emu *testemulator.Emulator, pidFile, logDir string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "snowflake:\n  account: %s\n  user: %s\n  password: %s\n  host: %s\n  port: %d\n  protocol: http\n",
		emu.Account, emu.User, emu.Password, emu.Host, emu.Port)
	fmt.Fprintf(&b, "server:\n  listen: 127.0.0.1:0\n  stateless: %v\n  drain_timeout: %s\n", !o.stateful, o.drain)
	fmt.Fprintf(&b, "reload:\n  pid_file: %s\n  upgrade_timeout: %s\n", pidFile, o.upgrade)
	if o.warm > 0 {
		fmt.Fprintf(&b, "pool:\n  warm: %d\n  max_idle: %d\n", o.warm, o.warm)
	}
	if o.logFile {
		fmt.Fprintf(&b, "log:\n  output: file\n  dir: %s\n  format: json\n", logDir)
	} else {
		b.WriteString("log:\n  output: stderr\n  format: json\n")
	}
	return b.String()
}

func startServer(t testing.TB, emu *testemulator.Emulator, o serverOpts) *binServer {
	t.Helper()
	if o.drain == 0 {
		o.drain = 3 * time.Second
	}
	if o.upgrade == 0 {
		o.upgrade = 20 * time.Second
	}
	built := testbin.Build(t, "./cmd/snowflake-mcp", "SNOWFLAKE_MCP_BIN")
	dir := t.TempDir()
	s := &binServer{
		t: t, dir: dir, bin: filepath.Join(dir, "snowflake-mcp"), cfgPath: filepath.Join(dir, "config.yaml"),
		pidFile: filepath.Join(dir, "snowflake-mcp.pid"), logDir: filepath.Join(dir, "logs"),
		client: newClient(128), emu: emu, opts: o,
	}
	// A copy, so a test can replace the binary like a deploy would.
	copyFile(t, built, s.bin)
	if err := os.MkdirAll(s.logDir, 0o700); err != nil {
		t.Fatal(err)
	}
	s.writeConfig(o.yaml(emu, s.pidFile, s.logDir))
	s.procs, s.pid = startProcs(t, s.bin, []string{"serve", "--env", "development", "--config", s.cfgPath}, o.env)
	waitFor(t, 60*time.Second, "snowflake-mcp ready (PID file)", func() bool {
		if !s.alive(s.pid) {
			t.Fatalf("snowflake-mcp exited during startup")
		}
		return readPID(s.pidFile) == s.pid
	})
	waitFor(t, 5*time.Second, "the listening address", func() bool {
		s.base = s.listenAddr()
		return s.base != ""
	})
	return s
}

var listenRE = regexp.MustCompile(`"msg":"listening".*?"addr":"([^"]+)"`)

func (s *binServer) listenAddr() string {
	text := s.output()
	if s.opts.logFile {
		b, _ := os.ReadFile(filepath.Join(s.logDir, "application.log"))
		text = string(b)
	}
	m := listenRE.FindStringSubmatch(text)
	if m == nil {
		return ""
	}
	return "http://" + m[1]
}

// logs returns stderr plus the application log files (rotated ones too).
func (s *binServer) logs() string {
	text := s.output()
	if s.opts.logFile {
		matches, _ := filepath.Glob(filepath.Join(s.logDir, "application.log*"))
		for _, m := range matches {
			b, _ := os.ReadFile(m)
			text += string(b)
		}
	}
	return text
}

func (s *binServer) writeConfig(text string) {
	tmp := s.cfgPath + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
		s.t.Fatal(err)
	}
	if err := os.Rename(tmp, s.cfgPath); err != nil {
		s.t.Fatal(err)
	}
}

// upgrade sends SIGHUP, waits for the new generation's PID in the PID file
// and for the old generation to exit within its deadline; it returns the old
// generation's exit code and the time from SIGHUP to the new PID file.
func (s *binServer) upgrade(deadline time.Duration) (int, time.Duration) {
	s.t.Helper()
	old := s.pid
	start := time.Now()
	sendSignal(s.t, old, syscall.SIGHUP)
	var took time.Duration
	deadlineAt := time.Now().Add(s.opts.upgrade + 10*time.Second)
	for {
		if p := readPID(s.pidFile); p != 0 && p != old {
			took = time.Since(start)
			s.pid = p
			break
		}
		if time.Now().After(deadlineAt) {
			s.t.Fatalf("no new generation %v after SIGHUP", time.Since(start))
		}
		time.Sleep(time.Millisecond)
	}
	s.adopt(s.pid)
	code, ok := s.waitExit(old, deadline)
	if !ok {
		s.t.Fatalf("old generation %d still running %v after SIGHUP (deadline)", old, deadline)
	}
	return code, took
}

// countLog counts log lines containing msg.
func (s *binServer) countLog(msg string) int {
	return strings.Count(s.logs(), `"msg":"`+msg+`"`)
}

type rpcResponse struct {
	Result *struct {
		IsError bool `json:"isError"`
		Content []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
	} `json:"result"`
	Error *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

var rpcID atomic.Int64

// callTool makes one stateless MCP tools/call and returns the serving PID and
// the result's text; a JSON-RPC error or an isError result is an error.
func callTool(ctx context.Context, c *http.Client, base, tool string, args map[string]any) (int, string, error) {
	body, _ := json.Marshal(map[string]any{
		"jsonrpc": "2.0", "id": rpcID.Add(1), "method": "tools/call",
		"params": map[string]any{"name": tool, "arguments": args},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/mcp", bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	pid, _ := strconv.Atoi(resp.Header.Get(PIDHeader))
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return pid, "", fmt.Errorf("read response from %d: %w", pid, err)
	}
	if resp.StatusCode != http.StatusOK {
		return pid, "", fmt.Errorf("HTTP %d from %d: %s", resp.StatusCode, pid, bytes.TrimSpace(raw))
	}
	payload := raw
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		payload = nil
		sc := bufio.NewScanner(bytes.NewReader(raw))
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data:"); ok {
				payload = []byte(strings.TrimSpace(d))
			}
		}
	}
	var r rpcResponse
	if err := json.Unmarshal(payload, &r); err != nil {
		return pid, "", fmt.Errorf("decode response from %d: %w: %q", pid, err, raw)
	}
	if r.Error != nil {
		return pid, "", fmt.Errorf("JSON-RPC error %d from %d: %s", r.Error.Code, pid, r.Error.Message)
	}
	if r.Result == nil {
		return pid, "", fmt.Errorf("no result from %d: %q", pid, raw)
	}
	var text strings.Builder
	for _, c := range r.Result.Content {
		text.WriteString(c.Text)
	}
	if r.Result.IsError {
		return pid, text.String(), fmt.Errorf("tool error from %d: %s", pid, text.String())
	}
	return pid, text.String(), nil
}

func queryLoad(s *binServer, workers int) *load {
	return startLoad(workers, func(ctx context.Context, w int) (int, error) {
		pid, text, err := callTool(ctx, s.client, s.base, queryTool, map[string]any{queryArg: fmt.Sprintf("SELECT %d AS worker", w)})
		if err == nil && !strings.Contains(text, strconv.Itoa(w)) {
			err = fmt.Errorf("result %q lacks the worker number %d", text, w)
		}
		return pid, err
	})
}

func TestBinaryUpgradesUnderLoad(t *testing.T) {
	emu := testemulator.Start(t)
	s := startServer(t, emu, serverOpts{drain: 3 * time.Second})
	gens := []int{s.pid}
	l := queryLoad(s, 32)
	defer l.stop()
	for i := range 10 {
		before := l.served()
		waitFor(t, 20*time.Second, "tool calls", func() bool { return l.served() > before+32 })
		// The old generation must be gone within drain_timeout plus the hard grace.
		code, took := s.upgrade(3*time.Second + 5*time.Second)
		if code != 0 {
			t.Fatalf("upgrade %d: old generation exited %d", i+1, code)
		}
		t.Logf("upgrade %d: new generation %d ready %v after SIGHUP", i+1, s.pid, took)
		gens = append(gens, s.pid)
	}
	before := l.served()
	waitFor(t, 20*time.Second, "tool calls on the last generation", func() bool { return l.served() > before+32 })
	l.stop()
	checkLoad(t, l, gens)
	if l.servedBy()[s.pid] == 0 {
		t.Errorf("the last generation %d served no tool call", s.pid)
	}
	t.Logf("%d tool calls, 0 failed, over %d generations", l.served(), len(gens))
}

func TestBinaryQueriesAcrossHandoff(t *testing.T) {
	emu := testemulator.Start(t)
	s := startServer(t, emu, serverOpts{drain: 5 * time.Second})
	old := s.pid
	type result struct {
		pid  int
		text string
		err  error
	}
	call := func(sql string) <-chan result {
		ch := make(chan result, 1)
		go func() {
			pid, text, err := callTool(context.Background(), s.client, s.base, queryTool, map[string]any{queryArg: sql})
			ch <- result{pid, text, err}
		}()
		return ch
	}
	running := func(sub string) func() bool {
		return func() bool {
			qs, err := emu.Queries(context.Background())
			if err != nil {
				return false
			}
			for _, q := range qs {
				if q.State == "running" && strings.Contains(q.SQL, sub) {
					return true
				}
			}
			return false
		}
	}
	short := call("SELECT SYSTEM$WAIT(3)")
	long := call("SELECT SYSTEM$WAIT(120)")
	waitFor(t, 15*time.Second, "both queries running in the emulator", func() bool {
		return running("SYSTEM$WAIT(3)")() && running("SYSTEM$WAIT(120)")()
	})
	start := time.Now()
	if code, _ := s.upgrade(5*time.Second + 5*time.Second); code != 0 {
		t.Errorf("old generation exited %d", code)
	}
	r := <-short
	if r.err != nil || r.pid != old {
		t.Errorf("SYSTEM$WAIT(3) across the hand-off: pid %d text %q err %v; want its result from %d", r.pid, r.text, r.err, old)
	}
	r = <-long
	if r.err == nil || r.pid != old {
		t.Errorf("SYSTEM$WAIT(120): pid %d text %q err %v; want an error from %d at the drain deadline", r.pid, r.text, r.err, old)
	} else {
		t.Logf("long query's error: %v", r.err)
		if !strings.Contains(strings.ToLower(r.err.Error()), "cancel") {
			t.Errorf("the aborted query's error does not say it was cancelled: %v", r.err)
		}
	}
	if took := time.Since(start); took < 5*time.Second {
		t.Errorf("old generation exited %v after SIGHUP, before its 5s drain deadline", took)
	}
	qs, err := emu.Queries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var aborted bool
	for _, q := range qs {
		if q.State == "running" {
			t.Errorf("query still running in the emulator: %+v", q)
		}
		if strings.Contains(q.SQL, "SYSTEM$WAIT(120)") && q.State == "aborted" {
			aborted = true
		}
	}
	if !aborted {
		t.Errorf("the emulator does not show SYSTEM$WAIT(120) aborted: %+v", qs)
	}
}

func TestBinaryFailedUpgrades(t *testing.T) {
	emu := testemulator.Start(t)
	s := startServer(t, emu, serverOpts{drain: 2 * time.Second, upgrade: 3 * time.Second})
	good, err := os.ReadFile(s.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	built, _ := os.ReadFile(s.bin)
	wantPID, _ := os.ReadFile(s.pidFile)
	l := queryLoad(s, 32)
	defer l.stop()
	cases := []struct {
		name, hint string
		breakIt    func()
	}{
		{"invalid config", "server.drain_timeout", func() {
			s.writeConfig(strings.Replace(string(good), "drain_timeout: 2s", "drain_timeout: soon", 1))
		}},
		{"binary exits 1", "exit status 1", func() { writeScript(t, s.bin, "echo 'broken build' >&2; exit 1") }},
		{"binary never ready", "timed out", func() { writeScript(t, s.bin, "exec sleep 600") }},
	}
	for i, c := range cases {
		c.breakIt()
		before := l.served()
		sendSignal(t, s.pid, syscall.SIGHUP)
		waitFor(t, 30*time.Second, c.name+": the rollback", func() bool {
			return s.countLog("upgrade failed; rolled back, this generation keeps serving") == i+1
		})
		if !strings.Contains(s.logs(), c.hint) {
			t.Errorf("%s: the log does not say why (%q)", c.name, c.hint)
		}
		if got, _ := os.ReadFile(s.pidFile); !bytes.Equal(got, wantPID) {
			t.Errorf("%s: PID file changed from %q to %q", c.name, wantPID, got)
		}
		waitFor(t, 20*time.Second, c.name+": tool calls after the rollback", func() bool { return l.served() > before+64 })
		if !s.alive(s.pid) {
			t.Fatalf("%s: the serving generation died", c.name)
		}
		s.writeConfig(string(good))
		if err := os.WriteFile(s.bin+".tmp", built, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(s.bin+".tmp", s.bin); err != nil {
			t.Fatal(err)
		}
	}
	l.stop()
	checkLoad(t, l, []int{s.pid})
}

func TestBinaryLogReopen(t *testing.T) {
	emu := testemulator.Start(t)
	s := startServer(t, emu, serverOpts{logFile: true})
	access := filepath.Join(s.logDir, "access.log")
	var sent atomic.Int64
	l := startLoad(8, func(context.Context, int) (int, error) {
		// Not cancelled by stop: every request counted must have finished.
		pid, _, err := getPID(context.Background(), s.client, s.base+"/healthz")
		if err == nil {
			sent.Add(1)
		}
		return pid, err
	})
	waitFor(t, 10*time.Second, "access log lines", func() bool { return sent.Load() > 500 })
	// logrotate's create mode: rename every file, then SIGUSR1.
	files, _ := filepath.Glob(filepath.Join(s.logDir, "*.log"))
	for _, f := range files {
		if err := os.Rename(f, f+".1"); err != nil {
			t.Fatal(err)
		}
	}
	sendSignal(t, s.pid, syscall.SIGUSR1)
	waitFor(t, 10*time.Second, "a new access.log", func() bool { _, err := os.Stat(access); return err == nil })
	mark := sent.Load()
	waitFor(t, 10*time.Second, "lines in the new file", func() bool { return sent.Load() > mark+500 })
	l.stop()
	checkLoad(t, l, []int{s.pid})
	count := func(path string) int {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Count(string(b), `"path":"/healthz"`)
	}
	// The access log line is written after the response: wait for the last ones.
	waitFor(t, 5*time.Second, "every request in the access logs", func() bool {
		return int64(count(access+".1")+count(access)) >= sent.Load()
	})
	old, cur := count(access+".1"), count(access)
	if int64(old+cur) != sent.Load() {
		t.Errorf("%d requests, %d access lines (%d rotated + %d new)", sent.Load(), old+cur, old, cur)
	}
	if cur == 0 || old == 0 {
		t.Errorf("rotated file has %d lines, new file %d: want both > 0", old, cur)
	}
	if !strings.Contains(s.logs(), "SIGUSR1: log files reopened") {
		t.Error("no log line about the reopen")
	}
}

func TestBinaryNotify(t *testing.T) {
	emu := testemulator.Start(t)
	n := listenNotify(t, true)
	s := startServer(t, emu, serverOpts{drain: 2 * time.Second, env: []string{"NOTIFY_SOCKET=" + n.name}})
	first := s.pid
	if code, _ := s.upgrade(8 * time.Second); code != 0 {
		t.Errorf("old generation exited %d", code)
	}
	second := s.pid
	good, _ := os.ReadFile(s.cfgPath)
	s.writeConfig(string(good) + "\nno_such_key: 1\n")
	sendSignal(t, second, syscall.SIGHUP)
	waitFor(t, 30*time.Second, "the rollback", func() bool {
		return s.countLog("upgrade failed; rolled back, this generation keeps serving") == 1
	})
	sendSignal(t, second, syscall.SIGTERM)
	if code, ok := s.waitExit(second, 8*time.Second); !ok || code != 0 {
		t.Fatalf("after SIGTERM: exited %v, code %d; want 0", ok, code)
	}
	var got []string
	for _, m := range n.messages() {
		var keep []string
		for _, line := range strings.Split(m, "\n") {
			k, _, _ := strings.Cut(line, "=")
			if k == "READY" || k == "RELOADING" || k == "STOPPING" || k == "MAINPID" {
				keep = append(keep, line)
			}
		}
		got = append(got, strings.Join(keep, " "))
	}
	want := []string{
		fmt.Sprintf("READY=1 MAINPID=%d", first),
		"RELOADING=1",
		fmt.Sprintf("READY=1 MAINPID=%d", second),
		"RELOADING=1",
		fmt.Sprintf("READY=1 MAINPID=%d", second),
		"STOPPING=1",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("sd_notify datagrams:\n got %q\nwant %q", got, want)
	}
}

func TestBinaryStopUnderLoad(t *testing.T) {
	emu := testemulator.Start(t)
	s := startServer(t, emu, serverOpts{drain: 5 * time.Second})
	var stopping atomic.Bool
	l := startLoad(32, func(ctx context.Context, w int) (int, error) {
		pid, _, err := callTool(ctx, s.client, s.base, queryTool, map[string]any{queryArg: "SELECT SYSTEM$WAIT(200, 'MILLISECONDS')"})
		if stopping.Load() && err != nil && isRefused(err) {
			return 0, nil // reached no server: the right answer once it stopped
		}
		return pid, err
	})
	waitFor(t, 20*time.Second, "tool calls", func() bool { return l.served() > 64 })
	stopping.Store(true)
	sendSignal(t, s.pid, syscall.SIGTERM)
	code, ok := s.waitExit(s.pid, 10*time.Second)
	l.stop()
	if !ok {
		t.Fatal("still running 10s after SIGTERM")
	}
	if code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	checkLoad(t, l, []int{s.pid, 0})
	if _, err := os.Stat(s.pidFile); err == nil {
		t.Error("PID file left after a clean stop")
	}
}

func isRefused(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "connection refused"))
}

// postRPC sends one JSON-RPC message on a stateful session and returns the
// response and its session id.
func postRPC(t *testing.T, s *binServer, session string, msg map[string]any) (*http.Response, []byte) {
	t.Helper()
	body, _ := json.Marshal(msg)
	req, _ := http.NewRequest(http.MethodPost, s.base+"/mcp", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	if session != "" {
		req.Header.Set("Mcp-Session-Id", session)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%v: HTTP %d: %s", msg["method"], resp.StatusCode, raw)
	}
	return resp, raw
}

// In stateful mode a client holds a GET event stream open; the drain must end
// it first instead of waiting for the drain deadline.
func TestBinaryStatefulStreamEndsOnHandoff(t *testing.T) {
	emu := testemulator.Start(t)
	s := startServer(t, emu, serverOpts{drain: 30 * time.Second, stateful: true})
	resp, _ := postRPC(t, s, "", map[string]any{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": map[string]any{
		"protocolVersion": "2025-11-25", "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "reload-test", "version": "0"},
	}})
	session := resp.Header.Get("Mcp-Session-Id")
	if session == "" {
		t.Fatal("stateful server gave no Mcp-Session-Id")
	}
	postRPC(t, s, session, map[string]any{"jsonrpc": "2.0", "method": "notifications/initialized"})
	req, _ := http.NewRequest(http.MethodGet, s.base+"/mcp", nil)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Mcp-Session-Id", session)
	req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	stream, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if stream.StatusCode != http.StatusOK {
		t.Fatalf("GET stream: HTTP %d", stream.StatusCode)
	}
	ended := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, stream.Body)
		close(ended)
	}()
	start := time.Now()
	// Well inside the 30s drain deadline: the open stream must not hold the old generation.
	if code, _ := s.upgrade(10 * time.Second); code != 0 {
		t.Errorf("old generation exited %d", code)
	}
	select {
	case <-ended:
	case <-time.After(time.Second):
		t.Error("the GET event stream is still open after the old generation exited")
	}
	t.Logf("old generation with an open event stream gone %v after SIGHUP", time.Since(start))
}
