package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
)

// The balancers as shipped pass Authorization and the Mcp-* headers to the
// replica and its Mcp-Session-Id back, and add X-Forwarded-For. The upstreams here are small header-echo servers, not
// snowflake-mcp: what is under test is the balancer, and the binary's own
// answer cannot show which request headers arrived.
func TestBalancersPassHeaders(t *testing.T) {
	echo := func(id int) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set(pidHeader, fmt.Sprint(id))
			w.Header().Set("Mcp-Session-Id", "session-from-upstream")
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(r.Header)
		})}
		go func() { _ = srv.Serve(ln) }()
		t.Cleanup(func() { _ = srv.Close() })
		return ln.Addr().String()
	}
	upstreams := []string{echo(1), echo(2), echo(3)}
	for name, start := range map[string]func(testing.TB, []string) balancer{
		"haproxy": func(t testing.TB, u []string) balancer { return startHAProxy(t, u) },
		"nginx":   func(t testing.TB, u []string) balancer { return startNginx(t, u) },
	} {
		t.Run(name, func(t *testing.T) {
			lb := start(t, upstreams)
			req, _ := http.NewRequest(http.MethodPost, lb.url()+"/mcp", strings.NewReader(`{}`))
			req.Header.Set("Authorization", "Bearer test-token")
			req.Header.Set("Mcp-Session-Id", "abc")
			req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
			req.Header.Set("Last-Event-ID", "7")
			resp, err := httpClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got http.Header
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
			for k, v := range map[string]string{"Authorization": "Bearer test-token", "Mcp-Session-Id": "abc",
				"Mcp-Protocol-Version": "2025-11-25", "Last-Event-Id": "7", "X-Forwarded-For": "127.0.0.1"} {
				if got.Get(k) != v {
					t.Errorf("upstream saw %s = %q, want %q", k, got.Get(k), v)
				}
			}
			if s := resp.Header.Get("Mcp-Session-Id"); s != "session-from-upstream" {
				t.Errorf("client saw Mcp-Session-Id %q from the upstream", s)
			}
		})
	}
}
