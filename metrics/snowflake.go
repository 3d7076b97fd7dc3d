package metrics

import "github.com/prometheus/client_golang/prometheus"

// WatchSnowflakeUp exposes snowflake_mcp_snowflake_up: 1 while the latest call or
// readiness check reached Snowflake, 0 otherwise; read from up at scrape time.
func (m *Metrics) WatchSnowflakeUp(up func() bool) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: namespace, Name: "snowflake_up",
		Help: "1 while the latest Snowflake call or readiness check reached Snowflake.",
	}, func() float64 {
		if up() {
			return 1
		}
		return 0
	}))
}

// SnowflakeErrors registers snowflake_mcp_snowflake_errors_total{code} and returns
// the function that counts one failed call. code is bounded: a Snowflake error
// number, "unavailable", "timeout", "cancelled" or "other".
func (m *Metrics) SnowflakeErrors() func(code string) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "snowflake_errors_total",
		Help: "Failed Snowflake calls by error code (Snowflake's number, or unavailable, timeout, cancelled, other).",
	}, []string{"code"})
	m.reg.MustRegister(c)
	return func(code string) { c.WithLabelValues(code).Inc() }
}
