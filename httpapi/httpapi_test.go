package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/config"
	"github.com/snowflake-mcp/snowflake-mcp/logging"
)

// syncBuf is a log sink safe for the server goroutines.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) lines(t *testing.T) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s.b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func testServer(t *testing.T, o Options) (*httptest.Server, *syncBuf) {
	t.Helper()
	buf := &syncBuf{}
	logs, err := logging.NewWriter(buf, config.Log{Level: "info", Format: "json"})
	if err != nil {
		t.Fatal(err)
	}
	o.Logs = logs
	if o.Server.MCPPath == "" {
		o.Server = config.Defaults().Server
	}
	srv := httptest.NewServer(NewRouter(o))
	t.Cleanup(srv.Close)
	return srv, buf
}

func do(t *testing.T, req *http.Request) (int, map[string]any, http.Header) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s %s: non-JSON body %q", req.Method, req.URL.Path, b)
		}
	}
	return resp.StatusCode, m, resp.Header
}

func get(t *testing.T, url string) (int, map[string]any, http.Header) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	return do(t, req)
}

func TestReadinessTransitions(t *testing.T) {
	ready := NewReadiness()
	var pingErr error
	var mu sync.Mutex
	ping := func(ctx context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		return pingErr
	}
	// Every probe pings here; the reuse interval has its own test.
	srv, logs := testServer(t, Options{Readiness: ready, Ping: ping, PingInterval: time.Nanosecond})
	// Pings run in the background, so a changed answer shows on a later probe.
	check := func(want int, status string) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Second)
		for {
			code, body, _ := get(t, srv.URL+"/readyz")
			if code == want && body["status"] == status {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("/readyz = %d %v, want %d %s", code, body, want, status)
			}
			time.Sleep(5 * time.Millisecond)
		}
		if code, _, _ := get(t, srv.URL+"/healthz"); code != http.StatusOK {
			t.Fatalf("/healthz = %d while %s", code, status)
		}
	}
	check(http.StatusServiceUnavailable, "starting")
	ready.SetReady()
	check(http.StatusOK, "ready")
	mu.Lock()
	pingErr = errors.New("dial tcp: connection refused")
	mu.Unlock()
	check(http.StatusServiceUnavailable, "unavailable")
	mu.Lock()
	pingErr = nil
	mu.Unlock()
	check(http.StatusOK, "ready")
	ready.SetDraining()
	check(http.StatusServiceUnavailable, "draining")
	ready.SetReady() // draining is final
	check(http.StatusServiceUnavailable, "draining")

	var sawPingLog bool
	for _, l := range logs.lines(t) {
		if l["msg"] == "readiness check failed: Snowflake unreachable" && strings.Contains(l["error"].(string), "connection refused") {
			sawPingLog = true
		}
	}
	if !sawPingLog {
		t.Fatal("failed ping was not logged")
	}
}

func TestRequestID(t *testing.T) {
	var seenV atomic.Value
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seenV.Store(RequestID(r.Context())) })
	seen := func() string { s, _ := seenV.Load().(string); return s }
	srv, logs := testServer(t, Options{MCP: h})

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/mcp", strings.NewReader("{}"))
	req.Header.Set(RequestIDHeader, "client-abc-123")
	_, _, hdr := do(t, req)
	if hdr.Get(RequestIDHeader) != "client-abc-123" || seen() != "client-abc-123" {
		t.Fatalf("incoming id not honoured: header %q, context %q", hdr.Get(RequestIDHeader), seen())
	}
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/mcp", strings.NewReader("{}"))
	req.Header.Set(RequestIDHeader, "bad id with spaces")
	_, _, hdr = do(t, req)
	gen := hdr.Get(RequestIDHeader)
	if len(gen) != 32 || gen != seen() {
		t.Fatalf("generated id %q (context %q)", gen, seen())
	}
	var found bool
	for _, l := range logs.lines(t) {
		if l["log"] == "access" && l["request_id"] == "client-abc-123" && l["path"] == "/mcp" && l["status"] == float64(200) {
			found = true
		}
	}
	if !found {
		t.Fatal("access log line with the request id missing")
	}
}

func TestPanicRecovery(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("kaboom") })
	srv, logs := testServer(t, Options{MCP: h})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/mcp", strings.NewReader("{}"))
	req.Header.Set(RequestIDHeader, "panic-1")
	code, body, hdr := do(t, req)
	if code != http.StatusInternalServerError || body["error"] != "internal server error" || body["request_id"] != "panic-1" {
		t.Fatalf("panic response = %d %v", code, body)
	}
	if !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
		t.Fatalf("content type %q", hdr.Get("Content-Type"))
	}
	var logged, accessed bool
	for _, l := range logs.lines(t) {
		if l["level"] == "ERROR" && l["panic"] == "kaboom" && strings.Contains(l["stack"].(string), "TestPanicRecovery") {
			logged = true
		}
		if l["log"] == "access" && l["status"] == float64(500) {
			accessed = true
		}
	}
	if !logged || !accessed {
		t.Fatalf("panic logged=%v access 500 logged=%v", logged, accessed)
	}
	// The server still serves after a panic.
	if code, _, _ := get(t, srv.URL+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz after panic = %d", code)
	}
}

func TestPanicGoesToErrorLogFile(t *testing.T) {
	dir := t.TempDir()
	logs, err := logging.New(config.Log{Level: "info", Format: "json", Output: "file", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	h := NewRouter(Options{Server: config.Defaults().Server, Logs: logs,
		MCP: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("to-error-log") })})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader("{}")))
	if err := logs.Close(); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d", rec.Code)
	}
	b, err := readFile(dir + "/" + logging.ErrorFile)
	if err != nil || !strings.Contains(b, "to-error-log") || !strings.Contains(b, "goroutine") {
		t.Fatalf("error.log lacks the panic and stack: %q %v", b, err)
	}
}

func TestBodyLimit(t *testing.T) {
	var got atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got.Store(int64(len(b)))
	})
	s := config.Defaults().Server
	s.MaxBodyBytes = 1024
	srv, _ := testServer(t, Options{Server: s, MCP: h})

	post := func(body io.Reader, chunked bool) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/mcp", body)
		if chunked {
			req.ContentLength = -1
			req.TransferEncoding = []string{"chunked"}
		}
		code, m, _ := do(t, req)
		return code, m
	}
	if code, _ := post(bytes.NewReader(make([]byte, 1024)), false); code != http.StatusOK || got.Load() != 1024 {
		t.Fatalf("body at the limit: %d, handler read %d", code, got.Load())
	}
	code, m := post(bytes.NewReader(make([]byte, 1025)), false)
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(m["error"].(string), "1024") {
		t.Fatalf("declared oversize body: %d %v", code, m)
	}
	code, _ = post(io.MultiReader(bytes.NewReader(make([]byte, 4096))), true)
	if code != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked oversize body: %d", code)
	}
	got.Store(0)
	if code, _ := post(io.MultiReader(strings.NewReader("small")), true); code != http.StatusOK || got.Load() != 5 {
		t.Fatalf("chunked small body: %d, read %d", code, got.Load())
	}
}

func TestOriginCheck(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	s := config.Defaults().Server
	s.AllowedOrigins = []string{"https://agent.example.com"}
	srv, _ := testServer(t, Options{Server: s, MCP: h})
	cases := []struct {
		origin string
		want   int
	}{
		{"", http.StatusNoContent},
		{"https://agent.example.com", http.StatusNoContent},
		{"HTTPS://AGENT.EXAMPLE.COM", http.StatusNoContent},
		{srv.URL, http.StatusNoContent}, // same host and port
		{"https://evil.example", http.StatusForbidden},
		{"http://127.0.0.1:1", http.StatusForbidden}, // same host, other port
		{"null", http.StatusForbidden},
	}
	// DNS rebinding: the attacker's name is both Origin and Host; only IP/localhost hosts
	// count as same-host.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/mcp", strings.NewReader("{}"))
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	req.Host = "rebind.attacker.example:" + port
	req.Header.Set("Origin", "http://rebind.attacker.example:"+port)
	if code, _, _ := do(t, req); code != http.StatusForbidden {
		t.Errorf("rebound same-name Origin: %d, want 403", code)
	}
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/mcp", strings.NewReader("{}"))
	req.Host = "localhost:" + port
	req.Header.Set("Origin", "http://localhost:"+port)
	if code, _, _ := do(t, req); code != http.StatusNoContent {
		t.Errorf("localhost same-origin: %d, want 204", code)
	}
	for _, c := range cases {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/mcp", strings.NewReader("{}"))
		if c.origin != "" {
			req.Header.Set("Origin", c.origin)
		}
		code, body, _ := do(t, req)
		if code != c.want {
			t.Errorf("Origin %q: %d, want %d", c.origin, code, c.want)
		}
		if code == http.StatusForbidden && body["error"] != "origin not allowed" {
			t.Errorf("403 body %v", body)
		}
	}
	// Health endpoints are not behind the Origin check.
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/healthz", nil)
	req.Header.Set("Origin", "https://evil.example")
	if code, _, _ := do(t, req); code != http.StatusOK {
		t.Fatalf("/healthz with foreign Origin = %d", code)
	}
}

func TestVersionAndNotFound(t *testing.T) {
	srv, _ := testServer(t, Options{Version: VersionInfo{Version: "1.2.3", Commit: "abc"}})
	code, body, _ := get(t, srv.URL+"/version")
	if code != 200 || body["version"] != "1.2.3" || body["commit"] != "abc" || !strings.HasPrefix(body["go"].(string), "go") {
		t.Fatalf("/version = %d %v", code, body)
	}
	code, body, _ = get(t, srv.URL+"/mcp") // no MCP handler mounted
	if code != http.StatusNotFound || body["error"] != "not found" {
		t.Fatalf("unmounted /mcp = %d %v", code, body)
	}
}

func TestNewServerTimeouts(t *testing.T) {
	s := config.Defaults().Server
	s.WriteTimeout = 3 * time.Minute
	srv := NewServer(s, http.NotFoundHandler(), nil)
	if srv.ReadHeaderTimeout != 10*time.Second || srv.ReadTimeout != time.Minute || srv.WriteTimeout != 3*time.Minute || srv.IdleTimeout != 2*time.Minute {
		t.Fatalf("timeouts not applied: %+v", srv)
	}
}

func BenchmarkRouterHealthz(b *testing.B) {
	h := NewRouter(Options{Server: config.Defaults().Server, Logs: logging.Discard()})
	req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "requests/s")
}

func readFile(p string) (string, error) {
	b, err := os.ReadFile(p)
	return string(b), err
}
