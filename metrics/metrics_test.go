package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func newTestRouter(m *Metrics, inFlight *float64) http.Handler {
	r := chi.NewRouter()
	r.Use(m.Middleware)
	r.Get("/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		*inFlight = testutil.ToFloat64(m.httpInFlight)
		_, _ = io.WriteString(w, "ok")
	})
	r.Post("/fail", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusBadGateway)
	})
	r.Handle("/metrics", m.Handler())
	return r
}

func TestMiddlewareLabelsByRoutePattern(t *testing.T) {
	m := New(Build{Version: "1.2.3", Commit: "abc"})
	var inFlight float64
	h := newTestRouter(m, &inFlight)
	do := func(method, path string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		return rec.Code
	}
	do(http.MethodGet, "/items/1")
	do(http.MethodGet, "/items/2")
	do(http.MethodPost, "/fail")
	if code := do(http.MethodGet, "/nowhere/"+strings.Repeat("x", 40)); code != http.StatusNotFound {
		t.Fatalf("unrouted path: %d", code)
	}
	do("BREW", "/items/3")

	if inFlight != 1 {
		t.Errorf("in-flight gauge inside a handler = %v, want 1", inFlight)
	}
	if v := testutil.ToFloat64(m.httpInFlight); v != 0 {
		t.Errorf("in-flight gauge after the requests = %v, want 0", v)
	}
	// Raw paths never become label values: the series are the patterns only.
	if n := testutil.CollectAndCount(m.httpRequests); n != 4 {
		t.Errorf("http_requests_total has %d series, want 4", n)
	}
	if n := testutil.CollectAndCount(m.httpDuration); n != 3 {
		t.Errorf("http_request_duration_seconds has %d series, want 3 (routes /items/{id}, /fail, none)", n)
	}
	for _, c := range []struct {
		route, method, code string
		want                float64
	}{
		{"/items/{id}", "GET", "2xx", 2},
		{"/fail", "POST", "5xx", 1},
		{"none", "GET", "4xx", 1},
		{"none", "OTHER", "4xx", 1}, // chi answers 405 for an unknown method, before it matches a route
	} {
		if got := testutil.ToFloat64(m.httpRequests.WithLabelValues(c.route, c.method, c.code)); got != c.want {
			t.Errorf("http_requests_total{route=%q,method=%q,code=%q} = %v, want %v", c.route, c.method, c.code, got, c.want)
		}
	}
}

func TestObserveQuery(t *testing.T) {
	m := New(Build{})
	m.ObserveQuery("execute_query", "ok", 20*time.Millisecond, 5)
	m.ObserveQuery("execute_query", "ok", 30*time.Millisecond, 7)
	m.ObserveQuery("execute_query", "timeout", 2*time.Second, 0)
	m.ObserveQuery("list_databases", "error", time.Millisecond, 0)

	const want = `
# HELP snowflake_mcp_snowflake_queries_total Snowflake queries by tool and outcome (ok, error, timeout, cancelled).
# TYPE snowflake_mcp_snowflake_queries_total counter
snowflake_mcp_snowflake_queries_total{outcome="error",tool="list_databases"} 1
snowflake_mcp_snowflake_queries_total{outcome="ok",tool="execute_query"} 2
snowflake_mcp_snowflake_queries_total{outcome="timeout",tool="execute_query"} 1
# HELP snowflake_mcp_snowflake_query_rows_total Rows read from Snowflake results by tool.
# TYPE snowflake_mcp_snowflake_query_rows_total counter
snowflake_mcp_snowflake_query_rows_total{tool="execute_query"} 12
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want),
		"snowflake_mcp_snowflake_queries_total", "snowflake_mcp_snowflake_query_rows_total"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(m.queryDuration); n != 2 {
		t.Fatalf("query duration series = %d, want 2 (one per tool)", n)
	}
}

func TestWatchedState(t *testing.T) {
	m := New(Build{Version: "1.2.3", Commit: "abc"})
	state := "starting"
	active := 0
	var upgrades, failed int64
	m.WatchReadiness(func() string { return state })
	m.WatchActiveQueries(func() int { return active })
	m.WatchUpgrades(func() (int64, int64) { return upgrades, failed })

	state, active, upgrades, failed = "draining", 3, 2, 1
	const want = `
# HELP snowflake_mcp_build_info Always 1; the labels name the running build.
# TYPE snowflake_mcp_build_info gauge
snowflake_mcp_build_info{commit="abc",version="1.2.3"} 1
# HELP snowflake_mcp_readiness_state 1 for the process's current readiness state (starting, ready, draining).
# TYPE snowflake_mcp_readiness_state gauge
snowflake_mcp_readiness_state{state="draining"} 1
snowflake_mcp_readiness_state{state="ready"} 0
snowflake_mcp_readiness_state{state="starting"} 0
# HELP snowflake_mcp_snowflake_queries_active Snowflake queries running now.
# TYPE snowflake_mcp_snowflake_queries_active gauge
snowflake_mcp_snowflake_queries_active 3
# HELP snowflake_mcp_upgrades_failed_total Upgrades this process started that were rolled back.
# TYPE snowflake_mcp_upgrades_failed_total counter
snowflake_mcp_upgrades_failed_total 1
# HELP snowflake_mcp_upgrades_total Upgrades (SIGHUP hand-offs) this process started that succeeded.
# TYPE snowflake_mcp_upgrades_total counter
snowflake_mcp_upgrades_total 2
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want),
		"snowflake_mcp_build_info", "snowflake_mcp_readiness_state", "snowflake_mcp_snowflake_queries_active",
		"snowflake_mcp_upgrades_total", "snowflake_mcp_upgrades_failed_total"); err != nil {
		t.Fatal(err)
	}
}

// Each process (and each test) has its own registry: two sets never collide, and the
// handler serves the standard collectors too.
func TestRegistriesAreIndependent(t *testing.T) {
	a, b := New(Build{Version: "a"}), New(Build{Version: "b"})
	a.ObserveQuery("execute_query", "ok", time.Millisecond, 1)
	if n := testutil.CollectAndCount(b.queries); n != 0 {
		t.Fatalf("second registry sees %d query series from the first", n)
	}
	rec := httptest.NewRecorder()
	b.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	for _, s := range []string{`snowflake_mcp_build_info{commit="",version="b"} 1`, "go_goroutines ", "process_start_time_seconds ", "snowflake_mcp_start_time_seconds "} {
		if !strings.Contains(body, s) {
			t.Errorf("/metrics lacks %q", s)
		}
	}
}

// The per-query and per-request paths must stay cheap: label lookups of existing series
// should not allocate.
func TestHotPathAllocations(t *testing.T) {
	m := New(Build{})
	m.ObserveQuery("execute_query", "ok", time.Millisecond, 1)
	if n := testing.AllocsPerRun(100, func() { m.ObserveQuery("execute_query", "ok", time.Millisecond, 1) }); n > 0 {
		t.Errorf("ObserveQuery allocates %v times per call", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = codeClass(404) }); n > 0 {
		t.Errorf("codeClass allocates %v times per call", n)
	}
}

func BenchmarkMiddleware(b *testing.B) {
	m := New(Build{})
	r := chi.NewRouter()
	r.Use(m.Middleware)
	r.Get("/items/{id}", func(w http.ResponseWriter, r *http.Request) {})
	req := httptest.NewRequest(http.MethodGet, "/items/1", nil)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		r.ServeHTTP(w, req)
	}
}
