// Package metrics owns snowflake-mcp's Prometheus metrics: one registry per process (never
// the global default one, so tests can build several) with the HTTP request metrics, the
// Snowflake query metrics, the lifecycle gauges and counters (readiness, upgrades), build
// info and the standard Go and process collectors, and the handler that serves them at
// /metrics. Every label set is bounded: route patterns, not paths; tool names and outcomes,
// never SQL text or request ids.
package metrics

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const namespace = "snowflake_mcp"

// Build labels snowflake_mcp_build_info.
type Build struct {
	Version string
	Commit  string
}

// Metrics is the registry of one process and the collectors the hot paths update.
type Metrics struct {
	reg *prometheus.Registry

	httpRequests *prometheus.CounterVec   // route, method, code
	httpDuration *prometheus.HistogramVec // route
	httpInFlight prometheus.Gauge

	queries       *prometheus.CounterVec   // tool, outcome
	queryDuration *prometheus.HistogramVec // tool
	queryRows     *prometheus.CounterVec   // tool
}

// New builds the registry with the request and query metrics, build info and the Go and
// process collectors. The Watch methods add the metrics read from other packages' state.
func New(b Build) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "http_requests_total",
			Help: "HTTP requests by route pattern, method and status class (2xx, 4xx...).",
		}, []string{"route", "method", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "http_request_duration_seconds",
			Help:    "HTTP request duration by route pattern.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"route"}),
		httpInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
		queries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "snowflake_queries_total",
			Help: "Snowflake queries by tool and outcome (ok, error, timeout, cancelled).",
		}, []string{"tool", "outcome"}),
		queryDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "snowflake_query_duration_seconds",
			Help:    "Snowflake query duration by tool, from start to the last row read.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}, []string{"tool"}),
		queryRows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "snowflake_query_rows_total",
			Help: "Rows read from Snowflake results by tool.",
		}, []string{"tool"}),
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "build_info",
		Help:        "Always 1; the labels name the running build.",
		ConstLabels: prometheus.Labels{"version": b.Version, "commit": b.Commit},
	})
	build.Set(1)
	start := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "start_time_seconds",
		Help: "When this process built its metrics (Unix seconds); changes on every upgrade.",
	})
	start.Set(float64(time.Now().UnixNano()) / 1e9)
	m.reg.MustRegister(
		m.httpRequests, m.httpDuration, m.httpInFlight,
		m.queries, m.queryDuration, m.queryRows,
		build, start,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Registry is the process's registry (for tests and extra collectors).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveQuery records one finished Snowflake query. outcome is one of snowpool's final
// states; rows is how many rows the tool read.
func (m *Metrics) ObserveQuery(tool, outcome string, d time.Duration, rows int64) {
	if tool == "" {
		tool = "none"
	}
	m.queries.WithLabelValues(tool, outcome).Inc()
	m.queryDuration.WithLabelValues(tool).Observe(d.Seconds())
	if rows > 0 {
		m.queryRows.WithLabelValues(tool).Add(float64(rows))
	}
}

// WatchActiveQueries exposes snowflake_mcp_snowflake_queries_active, read from active at
// scrape time.
func (m *Metrics) WatchActiveQueries(active func() int) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: namespace, Name: "snowflake_queries_active",
		Help: "Snowflake queries running now.",
	}, func() float64 { return float64(active()) }))
}

// ReadinessStates are the values of the state label of snowflake_mcp_readiness_state.
var ReadinessStates = []string{"starting", "ready", "draining"}

// WatchReadiness exposes snowflake_mcp_readiness_state{state}: 1 for the state that state()
// returns at scrape time, 0 for the others.
func (m *Metrics) WatchReadiness(state func() string) {
	m.reg.MustRegister(&readiness{state: state, desc: prometheus.NewDesc(
		namespace+"_readiness_state", "1 for the process's current readiness state (starting, ready, draining).",
		[]string{"state"}, nil)})
}

type readiness struct {
	state func() string
	desc  *prometheus.Desc
}

func (r *readiness) Describe(ch chan<- *prometheus.Desc) { ch <- r.desc }

func (r *readiness) Collect(ch chan<- prometheus.Metric) {
	cur := r.state()
	for _, s := range ReadinessStates {
		v := 0.0
		if s == cur {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(r.desc, prometheus.GaugeValue, v, s)
	}
}

// WatchUpgrades exposes snowflake_mcp_upgrades_total and snowflake_mcp_upgrades_failed_total,
// read from stats at scrape time (reload.Lifecycle.Stats: counts of this process).
func (m *Metrics) WatchUpgrades(stats func() (upgrades, failed int64)) {
	m.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: namespace, Name: "upgrades_total",
			Help: "Upgrades (SIGHUP hand-offs) this process started that succeeded.",
		}, func() float64 { n, _ := stats(); return float64(n) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: namespace, Name: "upgrades_failed_total",
			Help: "Upgrades this process started that were rolled back.",
		}, func() float64 { _, n := stats(); return float64(n) }),
	)
}

// codeClasses are the code label values, indexed by status/100; preallocated so the
// request path builds no strings.
var codeClasses = [...]string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"}

// knownMethods bounds the method label: any other method is counted as OTHER.
var knownMethods = map[string]string{
	http.MethodGet: http.MethodGet, http.MethodHead: http.MethodHead, http.MethodPost: http.MethodPost,
	http.MethodPut: http.MethodPut, http.MethodPatch: http.MethodPatch, http.MethodDelete: http.MethodDelete,
	http.MethodOptions: http.MethodOptions,
}

// Middleware counts and times every request by chi route pattern. It must run inside a chi
// router (Router.Use), which fills in the pattern while routing; requests that match no
// route (or use a method the route lacks) are labelled route="none".
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		m.httpInFlight.Inc()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		defer func() {
			m.httpInFlight.Dec()
			method, ok := knownMethods[r.Method]
			if !ok {
				method = "OTHER"
			}
			rt := route(r)
			m.httpRequests.WithLabelValues(rt, method, codeClass(ww.Status())).Inc()
			m.httpDuration.WithLabelValues(rt).Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(ww, r)
	})
}

// route is the chi pattern the request was routed to. A request refused before routing
// (by the body limit, say) is looked up in the router, which allocates only on that path;
// one that matches no route is "none".
func route(r *http.Request) string {
	rc := chi.RouteContext(r.Context())
	if rc == nil {
		return "none"
	}
	if p := rc.RoutePattern(); p != "" {
		return p
	}
	if rc.Routes != nil {
		if p := rc.Routes.Find(chi.NewRouteContext(), r.Method, r.URL.Path); p != "" {
			return p
		}
	}
	return "none"
}

func codeClass(status int) string {
	if status == 0 {
		status = http.StatusOK // nothing written: net/http sends 200
	}
	if c := status / 100; c >= 1 && c <= 5 {
		return codeClasses[c]
	}
	return codeClasses[0]
}
