// Helpers for tests that run `serve` in the foreground and call its tools over
// stateless Streamable HTTP, reading its JSON log from stderr.
package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/testbin"
)

// server is a running `snowflake-mcp serve`.
type server struct {
	cmd  *exec.Cmd
	base string // http://host:port
	done chan struct{}

	mu    sync.Mutex
	lines []map[string]any
}

// startServe runs serve in the development environment pointed at port and
// waits for its "listening" line.
func startServe(t *testing.T, port int, args ...string) *server {
	t.Helper()
	args = append([]string{"serve", "--env", "development", "--listen", "127.0.0.1:0", "--log-format", "json",
		"--set", "snowflake.port=" + strconv.Itoa(port)}, args...)
	cmd := exec.Command(serverBin(t), args...)
	cmd.Env = testbin.CleanEnv()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				continue
			}
			s.mu.Lock()
			s.lines = append(s.lines, m)
			s.mu.Unlock()
			if m["msg"] == "listening" {
				listening <- m["addr"].(string)
			}
		}
		_ = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-s.done
		if t.Failed() {
			t.Logf("server log:\n%s", s.logText())
		}
	})
	select {
	case addr := <-listening:
		s.base = "http://" + addr
	case <-s.done:
		t.Fatalf("serve exited before listening:\n%s", s.logText())
	case <-time.After(60 * time.Second):
		t.Fatalf("serve not listening within 60s:\n%s", s.logText())
	}
	return s
}

func (s *server) logText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, l := range s.lines {
		j, _ := json.Marshal(l)
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

// logged returns the log lines whose msg is msg.
func (s *server) logged(msg string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, l := range s.lines {
		if l["msg"] == msg {
			out = append(out, l)
		}
	}
	return out
}

func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// readyz returns /readyz's status code.
func (s *server) readyz(t *testing.T) int {
	t.Helper()
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(s.base + "/readyz")
	if err != nil {
		t.Fatalf("GET /readyz: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitReady polls /readyz until it answers want, failing after limit.
func (s *server) waitReadyz(t *testing.T, want int, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		if s.readyz(t) == want {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("/readyz did not answer %d within %s", want, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// toolResult is what a tools/call answered.
type toolResult struct {
	IsError bool
	Text    string
	Kind    string // structured error kind, when a tool error
	Served  string // X-Served-By-Pid
}

var rpcID struct {
	mu sync.Mutex
	n  int
}

// call makes one stateless tools/call over Streamable HTTP.
func (s *server) call(t *testing.T, tool string, args map[string]any) (toolResult, error) {
	rpcID.mu.Lock()
	rpcID.n++
	id := rpcID.n
	rpcID.mu.Unlock()
	body, _ := json.Marshal(map[string]any{
		"jsonrpc": "2.0", "id": id, "method": "tools/call",
		"params": map[string]any{"name": tool, "arguments": args},
	})
	req, _ := http.NewRequest(http.MethodPost, s.base+"/mcp", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	c := http.Client{Timeout: 3 * time.Minute}
	resp, err := c.Do(req)
	if err != nil {
		return toolResult{}, err
	}
	defer resp.Body.Close()
	var raw bytes.Buffer
	_, _ = raw.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return toolResult{}, fmt.Errorf("HTTP %d: %s", resp.StatusCode, raw.String())
	}
	payload := raw.Bytes()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		sc := bufio.NewScanner(bytes.NewReader(raw.Bytes()))
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data:"); ok {
				payload = []byte(strings.TrimSpace(d))
			}
		}
	}
	var r struct {
		Result *struct {
			IsError bool `json:"isError"`
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
			Structured struct {
				Error *struct {
					Kind string `json:"kind"`
				} `json:"error"`
			} `json:"structuredContent"`
		} `json:"result"`
		Error *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(payload, &r); err != nil {
		return toolResult{}, fmt.Errorf("decode %q: %v", payload, err)
	}
	if r.Result == nil {
		return toolResult{}, fmt.Errorf("no result: %s", payload)
	}
	out := toolResult{IsError: r.Result.IsError, Served: resp.Header.Get("X-Served-By-Pid")}
	for _, c := range r.Result.Content {
		out.Text += c.Text
	}
	if e := r.Result.Structured.Error; e != nil {
		out.Kind = e.Kind
	}
	return out, nil
}

// mustQuery runs SELECT 1 through execute_query and fails the test on any error.
func (s *server) mustQuery(t *testing.T) toolResult {
	t.Helper()
	r, err := s.call(t, "execute_query", map[string]any{"query": "SELECT 1 AS one"})
	if err != nil {
		t.Fatalf("execute_query: %v", err)
	}
	if r.IsError {
		t.Fatalf("execute_query failed: %s", r.Text)
	}
	return r
}
