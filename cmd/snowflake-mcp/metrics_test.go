package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads /metrics and parses the text format.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// sample returns the value of the series of name whose labels include labels (a counter's
// or gauge's value, a histogram's count); 0 when there is no such series yet.
func sample(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f := fams[name]
	if f == nil {
		return 0
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return 0
}

// mcpToolCall makes one stateless tools/call and reports whether the result was a tool error.
func mcpToolCall(t *testing.T, base, tool string, args map[string]any, hdr map[string]string) (status int, isError bool) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"jsonrpc": "2.0", "id": 1, "method": "tools/call",
		"params": map[string]any{"name": tool, "arguments": args},
	})
	headers := map[string]string{"MCP-Protocol-Version": "2025-11-25"}
	maps.Copy(headers, hdr)
	code, respHdr, raw := postMCP(t, base, body, headers)
	if code != http.StatusOK {
		return code, false
	}
	payload := raw
	if strings.HasPrefix(respHdr.Get("Content-Type"), "text/event-stream") {
		sc := bufio.NewScanner(bytes.NewReader(raw))
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
		} `json:"result"`
	}
	if err := json.Unmarshal(payload, &r); err != nil || r.Result == nil {
		t.Fatalf("tools/call %s: no result in %q (%v)", tool, raw, err)
	}
	return code, r.Result.IsError
}

// TestServeMetrics runs the real binary against the emulator and checks that /metrics
// moves by exactly the calls made: HTTP requests by route pattern and status class, Snowflake
// queries by tool and outcome, rows, and the lifecycle and build series.
func TestServeMetrics(t *testing.T) {
	s := startServe(t, nil, "--config", writeFile(t, "e.yaml", ""))
	base := "http://" + s.addr
	before := scrape(t, base)

	calls := []struct {
		sql     string
		isError bool
	}{
		{"SELECT 1 AS one", false},
		{"SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3", false},
		{"SELECT * FROM no_such_table_for_metrics", true}, // Snowflake error: outcome error
		{"DROP TABLE no_such_table_for_metrics", true},    // refused by the read-only guard: never reaches Snowflake
	}
	for _, c := range calls {
		code, isErr := mcpToolCall(t, base, "execute_query", map[string]any{"query": c.sql}, map[string]string{"X-Request-Id": "metrics-req-secret"})
		if code != http.StatusOK || isErr != c.isError {
			t.Fatalf("execute_query %q: HTTP %d isError=%v, want 200 isError=%v", c.sql, code, isErr, c.isError)
		}
	}
	if code, _ := mcpToolCall(t, base, "execute_query", map[string]any{"query": "SELECT 1"}, map[string]string{"Origin": "https://evil.example"}); code != http.StatusForbidden {
		t.Fatalf("foreign Origin: HTTP %d, want 403", code)
	}
	after := scrape(t, base)

	delta := func(name string, labels ...string) float64 {
		return sample(after, name, labels...) - sample(before, name, labels...)
	}
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"snowflake_mcp_http_requests_total", []string{"route", "/mcp", "method", "POST", "code", "2xx"}, 4},
		{"snowflake_mcp_http_requests_total", []string{"route", "/mcp", "method", "POST", "code", "4xx"}, 1},
		{"snowflake_mcp_http_requests_total", []string{"route", "/metrics", "method", "GET", "code", "2xx"}, 1}, // the first scrape
		{"snowflake_mcp_http_request_duration_seconds", []string{"route", "/mcp"}, 5},
		{"snowflake_mcp_snowflake_queries_total", []string{"tool", "execute_query", "outcome", "ok"}, 2},
		{"snowflake_mcp_snowflake_queries_total", []string{"tool", "execute_query", "outcome", "error"}, 1},
		{"snowflake_mcp_snowflake_queries_total", []string{"tool", "execute_query", "outcome", "timeout"}, 0},
		{"snowflake_mcp_snowflake_queries_total", []string{"tool", "execute_query", "outcome", "cancelled"}, 0},
		{"snowflake_mcp_snowflake_query_duration_seconds", []string{"tool", "execute_query"}, 3},
		{"snowflake_mcp_snowflake_query_rows_total", []string{"tool", "execute_query"}, 4},
	} {
		if got := delta(c.name, c.labels...); got != c.want {
			t.Errorf("%s%v moved by %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"snowflake_mcp_http_requests_in_flight", nil, 1}, // the scrape itself
		{"snowflake_mcp_snowflake_queries_active", nil, 0},
		{"snowflake_mcp_readiness_state", []string{"state", "ready"}, 1},
		{"snowflake_mcp_readiness_state", []string{"state", "starting"}, 0},
		{"snowflake_mcp_upgrades_total", nil, 0},
		{"snowflake_mcp_upgrades_failed_total", nil, 0},
		{"snowflake_mcp_build_info", []string{"version", testVersion, "commit", "none"}, 1},
	} {
		if got := sample(after, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	for _, name := range []string{"snowflake_mcp_readiness_state", "snowflake_mcp_upgrades_total", "snowflake_mcp_build_info",
		"snowflake_mcp_start_time_seconds", "process_start_time_seconds", "go_goroutines"} {
		if after[name] == nil {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	// Bounded labels: no SQL text and no request id in any label value.
	for name, f := range after {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if v := l.GetValue(); strings.Contains(v, "no_such_table") || strings.Contains(v, "SELECT") || strings.Contains(v, "metrics-req") {
					t.Errorf("%s has label %s=%q", name, l.GetName(), v)
				}
			}
		}
	}
	if t.Failed() {
		var b strings.Builder
		for name, f := range after {
			if strings.HasPrefix(name, "snowflake_mcp_") {
				fmt.Fprintf(&b, "%s\n", f.String())
			}
		}
		t.Log(b.String())
	}
}
