// Package testemulator starts the real snowflake-emulator binary for tests
// and describes how to reach it. It deliberately does not import the
// emulator package (cgo/DuckDB), so any test can use it.
package testemulator

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/testbin"
)

// StartTimeout bounds how long Start waits for the readiness line.
var StartTimeout = 90 * time.Second

// Emulator is a running emulator process.
type Emulator struct {
	Host     string // 127.0.0.1
	Port     int
	Addr     string // host:port
	Account  string
	User     string
	Password string
	AdminURL string // base URL of the admin API, e.g. http://127.0.0.1:PORT/emulator

	cmd    *exec.Cmd
	logs   *syncBuffer
	exited chan struct{}
}

type options struct {
	args     []string
	account  string
	user     string
	password string
}

// Option configures Start.
type Option func(*options)

// DefaultMemoryLimit is the DuckDB memory limit test emulators run with.
const DefaultMemoryLimit = "1GiB"

// WithMemoryLimit sets --memory-limit (DuckDB's memory bound, e.g. "512MiB").
func WithMemoryLimit(limit string) Option { return WithArgs("--memory-limit", limit) }

// WithAsyncAfter sets --async-after (how long before a query answers "in progress").
func WithAsyncAfter(d time.Duration) Option {
	return WithArgs("--async-after", d.String())
}

// WithChunkRows sets --chunk-rows (result size above which rows come in chunks).
func WithChunkRows(n int) Option { return WithArgs("--chunk-rows", strconv.Itoa(n)) }

// WithSessionTTL sets --session-ttl (session tokens expire, forcing renewal).
func WithSessionTTL(d time.Duration) Option { return WithArgs("--session-ttl", d.String()) }

// WithSeedDir adds --seed DIR (extra DuckDB SQL files).
func WithSeedDir(dir string) Option { return WithArgs("--seed", dir) }

// WithUsersFile sets --users FILE; account, user and password become the
// Emulator's default credentials (for DSN).
func WithUsersFile(path, account, user, password string) Option {
	return func(o *options) {
		o.args = append(o.args, "--users", path)
		o.account, o.user, o.password = account, user, password
	}
}

// WithListen listens on addr instead of a kernel-chosen port (to start an
// emulator again where a killed one was).
func WithListen(addr string) Option { return WithArgs("--listen", addr) }

// WithArgs passes extra command-line arguments.
func WithArgs(args ...string) Option {
	return func(o *options) { o.args = append(o.args, args...) }
}

// Start builds (once per test process) and starts the emulator on a random
// loopback port, waits until it prints its readiness line and stops it when
// the test ends. Set SNOWFLAKE_EMULATOR_BIN to use a prebuilt binary.
func Start(t testing.TB, opts ...Option) *Emulator {
	t.Helper()
	o := options{account: "demo", user: "demo", password: "demo"}
	for _, opt := range opts {
		opt(&o)
	}
	bin := testbin.Build(t, "./cmd/snowflake-emulator", "SNOWFLAKE_EMULATOR_BIN")
	// Tests share a machine: DuckDB is bounded unless the test says otherwise (later flags win).
	args := append([]string{"--listen", "127.0.0.1:0", "--memory-limit", DefaultMemoryLimit, "--threads", "2"}, o.args...)
	cmd := exec.Command(bin, args...)
	logs := &syncBuffer{}
	cmd.Stderr = logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("testemulator: stdout pipe: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("testemulator: start %s: %v", bin, err)
	}
	e := &Emulator{Account: o.account, User: o.user, Password: o.password, cmd: cmd, logs: logs}
	exited := make(chan struct{})
	e.exited = exited
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() { e.stop(t, exited) })

	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		const prefix = "snowflake-emulator listening on "
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, prefix) {
				addrc <- strings.TrimSpace(strings.TrimPrefix(line, prefix))
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case addr := <-addrc:
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatalf("testemulator: bad address %q: %v", addr, err)
		}
		e.Host, e.Addr = host, addr
		e.Port, _ = strconv.Atoi(port)
		e.AdminURL = "http://" + addr + "/emulator"
	case <-exited:
		t.Fatalf("testemulator: emulator exited before becoming ready:\n%s", logs.String())
	case <-time.After(StartTimeout):
		t.Fatalf("testemulator: emulator not ready after %v:\n%s", StartTimeout, logs.String())
	}
	return e
}

func (e *Emulator) stop(t testing.TB, exited chan struct{}) {
	if e.cmd.Process != nil {
		_ = e.cmd.Process.Signal(os.Interrupt)
	}
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = e.cmd.Process.Kill()
		<-exited
	}
	if t.Failed() {
		t.Logf("emulator log (tail):\n%s", tail(e.logs.String(), 8000))
	}
}

// Kill ends the emulator at once (SIGKILL), as a crash would, and waits for it.
func (e *Emulator) Kill() {
	_ = e.cmd.Process.Kill()
	<-e.exited
}

// PID is the emulator process id (for /proc checks).
func (e *Emulator) PID() int { return e.cmd.Process.Pid }

// Logs returns what the emulator wrote to stderr so far.
func (e *Emulator) Logs() string { return e.logs.String() }

// LogsWhen returns the emulator's log once ready(log) holds, failing the test
// after 10s. The emulator logs before it answers, but its stderr reaches Logs
// through os/exec's copying goroutine: a line can trail the answer it belongs to.
func (e *Emulator) LogsWhen(t testing.TB, ready func(log string) bool) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		logs := e.logs.String()
		if ready(logs) {
			return logs
		}
		if time.Now().After(deadline) {
			t.Fatalf("testemulator: the emulator log did not reach the expected state within 10s:\n%s", tail(logs, 8000))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// DSN returns a gosnowflake DSN for the default credentials; database and
// schema may be empty.
func (e *Emulator) DSN(database, schema string) string {
	return e.DSNFor(e.User, e.Password, database, schema)
}

// DSNFor is DSN with other credentials.
func (e *Emulator) DSNFor(user, password, database, schema string) string {
	path := ""
	if database != "" {
		path = "/" + url.PathEscape(database)
		if schema != "" {
			path += "/" + url.PathEscape(schema)
		}
	}
	q := url.Values{}
	q.Set("account", e.Account)
	q.Set("protocol", "http")
	q.Set("loginTimeout", "30")
	return url.UserPassword(user, password).String() + "@" + e.Addr + path + "?" + q.Encode()
}

// QueryInfo is one entry of the emulator's admin query list.
type QueryInfo struct {
	ID        string     `json:"id"`
	RequestID string     `json:"request_id"`
	SessionID int64      `json:"session_id"`
	User      string     `json:"user"`
	SQL       string     `json:"sql"`
	State     string     `json:"state"` // running | succeeded | failed | aborted
	Start     time.Time  `json:"start"`
	End       *time.Time `json:"end,omitempty"`
	Rows      int64      `json:"rows"`
	Polls     int        `json:"polls"` // result-URL polls the client made
	// ChunkFetches counts chunk downloads of a chunked result.
	ChunkFetches int `json:"chunk_fetches"`
	// QueryTag is the QUERY_TAG in effect (request parameter or session).
	QueryTag  string `json:"query_tag,omitempty"`
	ErrorCode string `json:"error_code,omitempty"`
	Error     string `json:"error,omitempty"`
}

// Queries reads the admin view of queries, oldest first.
func (e *Emulator) Queries(ctx context.Context) ([]QueryInfo, error) {
	var out []QueryInfo
	if err := e.admin(ctx, http.MethodGet, "/queries", nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Faults is the fault-injection document of POST /emulator/faults; durations
// are Go duration strings ("250ms").
type Faults struct {
	LoginDelay      string `json:"login_delay,omitempty"`
	Fail503         int    `json:"fail_503,omitempty"`
	DropConnections int    `json:"drop_connections,omitempty"`
	SessionTTL      string `json:"session_ttl,omitempty"`
	AsyncAfter      string `json:"async_after,omitempty"`
	QueryDelay      string `json:"query_delay,omitempty"`
	Blackhole       bool   `json:"blackhole,omitempty"`
	// One-shot actions: expire every session's tokens (renewal answers 390114),
	// forget every session (390104).
	ExpireMasterTokens bool `json:"expire_master_tokens,omitempty"`
	DropSessions       bool `json:"drop_sessions,omitempty"`
}

// SetFaults merges f into the emulator's fault state (zero fields are left as they are).
func (e *Emulator) SetFaults(ctx context.Context, f Faults) error {
	return e.admin(ctx, http.MethodPost, "/faults", f, nil)
}

// ClearFaults removes every injected fault.
func (e *Emulator) ClearFaults(ctx context.Context) error {
	return e.admin(ctx, http.MethodDelete, "/faults", nil, nil)
}

func (e *Emulator) admin(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode admin request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.AdminURL+path, body)
	if err != nil {
		return fmt.Errorf("admin request: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("admin %s %s: %w", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("admin %s %s: %s: %s", method, path, resp.Status, b)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode admin %s: %w", path, err)
	}
	return nil
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// maxLog bounds the kept emulator log; older output is dropped.
const maxLog = 1 << 20

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len()+len(p) > maxLog {
		keep := s.b.Bytes()[s.b.Len()/2:]
		rest := append([]byte(nil), keep...)
		s.b.Reset()
		s.b.Write(rest)
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
