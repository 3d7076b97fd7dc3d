package httpapi

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/snowflake-mcp/snowflake-mcp/metrics"
)

// The observer wraps the whole chain, so requests the router's own middleware refuses (body
// limit, Origin check) are counted under their route, and /metrics is mounted only when given.
func TestRouterMetrics(t *testing.T) {
	m := metrics.New(metrics.Build{})
	mcp := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "{}") })
	srv, _ := testServer(t, Options{MCP: mcp, Metrics: m.Handler(), Observe: m.Middleware})
	post := func(body string, origin string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/mcp", strings.NewReader(body))
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	if c := post("{}", ""); c != http.StatusOK {
		t.Fatalf("POST /mcp: %d", c)
	}
	if c := post("{}", "https://evil.example"); c != http.StatusForbidden {
		t.Fatalf("foreign Origin: %d", c)
	}
	if c := post(strings.Repeat(" ", 5<<20), ""); c != http.StatusRequestEntityTooLarge {
		t.Fatalf("5MiB body: %d", c)
	}
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	for _, s := range []string{
		`snowflake_mcp_http_requests_total{code="2xx",method="POST",route="/mcp"} 1`,
		`snowflake_mcp_http_requests_total{code="4xx",method="POST",route="/mcp"} 2`,
	} {
		if !strings.Contains(string(b), s) {
			t.Errorf("/metrics lacks %q", s)
		}
	}
	// The scrape itself may or may not be counted yet (the response is sent first).
	if n := testutil.CollectAndCount(m.Registry(), "snowflake_mcp_http_requests_total"); n < 2 || n > 3 {
		t.Errorf("%d request series, want the 2 of /mcp (+ /metrics)", n)
	}

	plain, _ := testServer(t, Options{MCP: mcp})
	resp, err = http.Get(plain.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics without Options.Metrics: %d, want 404", resp.StatusCode)
	}
}
