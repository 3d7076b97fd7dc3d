package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/testbin"
	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

func binary(t *testing.T) string {
	t.Helper()
	return testbin.Build(t, "./cmd/snowflake-mcp", "SNOWFLAKE_MCP_BIN")
}

// server is a running `snowflake-mcp serve`.
type authServer struct {
	base   string // http://127.0.0.1:PORT
	cmd    *exec.Cmd
	mu     sync.Mutex
	stderr bytes.Buffer
	exited chan struct{}
}

func (s *authServer) logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// startServer runs serve on a kernel-chosen loopback port with configYAML as the
// operator file, against emu, and waits for its "listening" line.
func startServer(t *testing.T, emu *testemulator.Emulator, configYAML string, args ...string) *authServer {
	t.Helper()
	return startServerLogs(t, emu, configYAML, "", args...)
}

// startServerLogs is startServer for log.output file: the "listening" line is read from
// appLog (application.log) instead of stderr.
func startServerLogs(t *testing.T, emu *testemulator.Emulator, configYAML, appLog string, args ...string) *authServer {
	t.Helper()
	cfg := writeFile(t, t.TempDir(), "config.yaml", configYAML)
	all := append([]string{"serve", "--listen", "127.0.0.1:0", "--log-format", "json", "--config", cfg,
		"--set", fmt.Sprintf("snowflake.port=%d", emu.Port)}, args...)
	cmd := exec.Command(binary(t), all...)
	cmd.Env = testbin.CleanEnv()
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &authServer{cmd: cmd, exited: make(chan struct{})}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		sent := false
		for sc.Scan() {
			s.mu.Lock()
			s.stderr.Write(sc.Bytes())
			s.stderr.WriteByte('\n')
			s.mu.Unlock()
			var m map[string]any
			if !sent && json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == "listening" {
				addrc <- m["addr"].(string)
				sent = true
			}
		}
		_ = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-s.exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-s.exited
		}
		if t.Failed() {
			t.Logf("snowflake-mcp stderr:\n%s", s.logs())
		}
	})
	if appLog != "" {
		go func() {
			for {
				select {
				case <-s.exited:
					return
				case <-time.After(50 * time.Millisecond):
				}
				b, _ := os.ReadFile(appLog)
				for _, line := range strings.Split(string(b), "\n") {
					var m map[string]any
					if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "listening" {
						addrc <- m["addr"].(string)
						return
					}
				}
			}
		}()
	}
	select {
	case a := <-addrc:
		s.base = "http://" + a
	case <-s.exited:
		t.Fatalf("serve exited before listening:\n%s", s.logs())
	case <-time.After(90 * time.Second):
		t.Fatalf("serve not listening within 90s:\n%s", s.logs())
	}
	return s
}

// rpc is one JSON-RPC request to the MCP endpoint.
type rpc struct {
	Token    string // bearer token; "" sends none
	Protocol string // MCP-Protocol-Version; "" is 2025-11-25
	Body     any    // marshalled as is
}

type reply struct {
	status int
	header http.Header
	raw    []byte
	// payload is the JSON-RPC message (the last SSE data line, or the body).
	payload []byte
}

func (s *authServer) post(t *testing.T, ctx context.Context, r rpc) (reply, error) {
	t.Helper()
	body, err := json.Marshal(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/mcp", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	pv := r.Protocol
	if pv == "" {
		pv = "2025-11-25"
	}
	req.Header.Set("MCP-Protocol-Version", pv)
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	out := reply{status: resp.StatusCode, header: resp.Header, raw: raw, payload: raw}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		sc := bufio.NewScanner(bytes.NewReader(raw))
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data:"); ok {
				out.payload = []byte(strings.TrimSpace(d))
			}
		}
	}
	return out, nil
}

func toolsList() map[string]any {
	return map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
}

func toolCall(id int, tool string, args map[string]any) map[string]any {
	return map[string]any{"jsonrpc": "2.0", "id": id, "method": "tools/call",
		"params": map[string]any{"name": tool, "arguments": args}}
}

// authResult is the part of a tools/call result the tests read.
type authResult struct {
	IsError bool `json:"isError"`
	Content []struct {
		Text string `json:"text"`
	} `json:"content"`
	Structured struct {
		RowCount int    `json:"row_count"`
		QueryID  string `json:"query_id"`
		Error    *struct {
			Kind    string `json:"kind"`
			Message string `json:"message"`
		} `json:"error"`
	} `json:"structuredContent"`
}

// call makes one tools/call and returns its result; a non-200 answer fails the test.
func (s *authServer) call(t *testing.T, token, tool string, args map[string]any) authResult {
	t.Helper()
	r, err := s.post(t, context.Background(), rpc{Token: token, Body: toolCall(1, tool, args)})
	if err != nil {
		t.Fatal(err)
	}
	if r.status != http.StatusOK {
		t.Fatalf("tools/call %s: HTTP %d: %s", tool, r.status, r.raw)
	}
	var m struct {
		Result *authResult `json:"result"`
	}
	if err := json.Unmarshal(r.payload, &m); err != nil || m.Result == nil {
		t.Fatalf("tools/call %s: no result in %s (%v)", tool, r.raw, err)
	}
	return *m.Result
}

func (r authResult) text() string {
	var b strings.Builder
	for _, c := range r.Content {
		b.WriteString(c.Text)
	}
	return b.String()
}

// waitUntil polls cond until it holds or the deadline passes.
func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// findQuery returns the emulator's record of the first query whose SQL contains sql.
func findQuery(t *testing.T, emu *testemulator.Emulator, sql string) *testemulator.QueryInfo {
	t.Helper()
	qs, err := emu.Queries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := range qs {
		if strings.Contains(qs[i].SQL, sql) {
			return &qs[i]
		}
	}
	return nil
}
