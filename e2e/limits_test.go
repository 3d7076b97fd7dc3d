package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/authn"
	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// tokens makes one static token per name and the auth.tokens YAML for them.
func tokens(t *testing.T, names ...string) (map[string]string, string) {
	t.Helper()
	toks := map[string]string{}
	var b strings.Builder
	b.WriteString("auth:\n  tokens:\n")
	for _, n := range names {
		tok, err := authn.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		toks[n] = tok
		fmt.Fprintf(&b, "    - name: %s\n      sha256: %s\n", n, authn.HashToken(tok))
	}
	return toks, b.String()
}

// TestLimits: per-identity rate limit, the JSON-RPC batch cap and the concurrent query cap.
func TestLimits(t *testing.T) {
	emu := testemulator.Start(t)
	tok, authYAML := tokens(t, "alice", "bob", "carol", "dave")
	srv := startServer(t, emu, authYAML+`
limits:
  requests_per_second: 1
  burst: 5
  max_concurrent_queries: 1
  queue_timeout: 500ms
`)

	t.Run("rate limit per identity", func(t *testing.T) {
		limited := 0
		for i := 0; i < 10; i++ {
			r, err := srv.post(t, context.Background(), rpc{Token: tok["alice"], Body: toolsList()})
			if err != nil {
				t.Fatal(err)
			}
			switch r.status {
			case http.StatusOK:
			case http.StatusTooManyRequests:
				limited++
				if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 {
					t.Errorf("429 with Retry-After %q", r.header.Get("Retry-After"))
				}
				if !strings.Contains(string(r.raw), "alice") {
					t.Errorf("429 body does not name the identity: %s", r.raw)
				}
			default:
				t.Fatalf("status %d: %s", r.status, r.raw)
			}
		}
		if limited < 4 {
			t.Errorf("%d of 10 back-to-back requests limited at 1/s burst 5, want at least 4", limited)
		}
		for i := 0; i < 3; i++ {
			r, err := srv.post(t, context.Background(), rpc{Token: tok["bob"], Body: toolsList()})
			if err != nil {
				t.Fatal(err)
			}
			if r.status != http.StatusOK {
				t.Errorf("bob's request %d while alice is limited: %d %s", i, r.status, r.raw)
			}
		}
		t.Logf("alice: %d of 10 got 429; bob: 3 of 3 passed", limited)
	})

	t.Run("batch of 50 runs no query", func(t *testing.T) {
		var batch []any
		for i := 0; i < 50; i++ {
			batch = append(batch, toolCall(i+1, "execute_query", map[string]any{"query": fmt.Sprintf("SELECT 'batch-marker-%d'", i)}))
		}
		r, err := srv.post(t, context.Background(), rpc{Token: tok["dave"], Protocol: "2025-03-26", Body: batch})
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			Error struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if r.status != http.StatusBadRequest || json.Unmarshal(r.raw, &m) != nil || m.Error.Code != -32600 || !strings.Contains(m.Error.Message, "limits.max_batch") {
			t.Fatalf("50-entry batch: %d %s", r.status, r.raw)
		}
		// A one-entry batch (allowed by 2025-03-26) is within limits.max_batch 1.
		one := []any{toolCall(1, "execute_query", map[string]any{"query": "SELECT 'batch-marker-single'"})}
		if r, err = srv.post(t, context.Background(), rpc{Token: tok["dave"], Protocol: "2025-03-26", Body: one}); err != nil || r.status != http.StatusOK {
			t.Fatalf("one-entry batch: %v %d %s", err, r.status, r.raw)
		}
		qs, err := emu.Queries(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		ran := 0
		for _, q := range qs {
			if strings.Contains(q.SQL, "batch-marker") {
				ran++
				if !strings.Contains(q.SQL, "batch-marker-single") {
					t.Errorf("a query of the refused batch ran: %s", q.SQL)
				}
			}
		}
		if ran != 1 {
			t.Errorf("%d batch queries reached the emulator, want exactly the one-entry batch's", ran)
		}
	})

	t.Run("query cap answers busy after queue_timeout", func(t *testing.T) {
		const n = 4
		type outcome struct {
			res  authResult
			took time.Duration
		}
		results := make([]outcome, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				start := time.Now()
				results[i].res = srv.call(t, tok["carol"], "execute_query", map[string]any{"query": "SELECT SYSTEM$WAIT(2)"})
				results[i].took = time.Since(start)
			}(i)
		}
		wg.Wait()
		ok, busy := 0, 0
		for _, o := range results {
			switch {
			case !o.res.IsError:
				ok++
			case o.res.Structured.Error != nil && o.res.Structured.Error.Kind == "busy":
				busy++
				if !strings.Contains(o.res.text(), "retry in 1 s") || !strings.Contains(o.res.text(), "limits.max_concurrent_queries") {
					t.Errorf("busy text: %s", o.res.text())
				}
				if o.took < 500*time.Millisecond {
					t.Errorf("busy after %s, before limits.queue_timeout (500ms)", o.took)
				}
			default:
				t.Errorf("unexpected result: %s", o.res.text())
			}
		}
		if ok < 1 || ok+busy != n || busy < 1 {
			t.Errorf("%d ok, %d busy of %d calls", ok, busy, n)
		}
		t.Logf("%d calls: %d ran, %d answered busy", n, ok, busy)
		if r := srv.call(t, tok["bob"], "execute_query", map[string]any{"query": "SELECT 'after-cap'"}); r.IsError {
			t.Errorf("a call after the burst: %s", r.text())
		}
		resp, err := http.Get(srv.base + "/readyz")
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("/readyz after the burst: %v %v", err, resp)
		}
		if resp != nil {
			resp.Body.Close()
		}
	})
}
