package reload

import (
	"sort"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// BenchmarkHandoff measures SIGHUP upgrades of the real binary under 32
// concurrent MCP clients: hand-off time (SIGHUP to the new generation's PID
// file, written when it is ready), request latency while upgrades run against
// steady state, and failed requests.
func BenchmarkHandoff(b *testing.B) {
	emu := testemulator.Start(b)
	// Each generation logs in as many sessions as the pool may open, so it
	// takes over at full capacity instead of logging in under load.
	s := startServer(b, emu, serverOpts{drain: 2 * time.Second, warm: 2})
	l := queryLoad(s, 32)
	defer l.stop()
	waitFor(b, 20*time.Second, "warm-up", func() bool { return l.served() > 500 })
	steadyFrom := time.Now()
	waitFor(b, 60*time.Second, "steady-state samples", func() bool { return l.served() > 3000 })
	steadyTo := time.Now()

	upgrades := max(20, b.N)
	var handoffs []time.Duration
	type window struct{ from, ready, to time.Time }
	var windows []window
	b.ResetTimer()
	for range upgrades {
		before := l.served()
		waitFor(b, 20*time.Second, "traffic between upgrades", func() bool { return l.served() > before+64 })
		from := time.Now()
		code, took := s.upgrade(2*time.Second + 5*time.Second)
		if code != 0 {
			b.Fatalf("old generation exited %d", code)
		}
		windows = append(windows, window{from, from.Add(took), time.Now()})
		handoffs = append(handoffs, took)
	}
	b.StopTimer()
	l.stop()

	var steady, during, starting, draining []time.Duration
	l.mu.Lock()
	for _, smp := range l.lat {
		if !smp.at.Before(steadyFrom) && smp.at.Before(steadyTo) {
			steady = append(steady, smp.dur)
		}
		for _, w := range windows {
			if !smp.at.Before(w.from) && smp.at.Before(w.to) {
				during = append(during, smp.dur)
				if smp.at.Before(w.ready) {
					starting = append(starting, smp.dur)
				} else {
					draining = append(draining, smp.dur)
				}
				break
			}
		}
	}
	failed := len(l.fails)
	l.mu.Unlock()
	sort.Slice(handoffs, func(i, j int) bool { return handoffs[i] < handoffs[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	steadyP99, duringP99 := percentile(steady, 99), percentile(during, 99)
	b.ReportMetric(ms(percentile(handoffs, 50)), "handoff-median-ms")
	b.ReportMetric(ms(percentile(handoffs, 99)), "handoff-p99-ms")
	b.ReportMetric(ms(steadyP99), "steady-p99-ms")
	b.ReportMetric(ms(duringP99), "upgrade-p99-ms")
	// The upgrade window split: while the new generation starts, and while the old one drains.
	b.ReportMetric(ms(percentile(starting, 99)), "starting-p99-ms")
	b.ReportMetric(ms(percentile(draining, 99)), "draining-p99-ms")
	if steadyP99 > 0 {
		b.ReportMetric(float64(duringP99)/float64(steadyP99), "p99-ratio")
	}
	b.ReportMetric(float64(failed), "failed-requests")
	b.ReportMetric(float64(len(during)+len(steady)), "samples")
	if failed > 0 {
		b.Errorf("%d requests failed; first: %v", failed, l.fails[0])
	}
}
