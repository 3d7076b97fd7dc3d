package bench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"time"
)

// upgrade sends SIGHUP to the serving generation and waits for the next one to
// write its PID file (it does so once ready: the hand-off), then for the old one
// to finish draining and exit.
func (s *server) upgrade(exitTimeout time.Duration) (handoff time.Duration, readyAt time.Time, err error) {
	old := s.currentPID()
	if old == 0 {
		return 0, time.Time{}, errors.New("no PID file")
	}
	t0 := time.Now()
	if err := syscall.Kill(old, syscall.SIGHUP); err != nil {
		return 0, time.Time{}, fmt.Errorf("SIGHUP %d: %w", old, err)
	}
	deadline := t0.Add(30 * time.Second)
	for {
		if pid := s.currentPID(); pid != 0 && pid != old {
			readyAt = time.Now()
			break
		}
		if time.Now().After(deadline) {
			return 0, time.Time{}, fmt.Errorf("no new generation within 30 s of SIGHUP to %d:\n%s", old, s.tail)
		}
		time.Sleep(time.Millisecond)
	}
	if !waitGone(old, exitTimeout) {
		return 0, time.Time{}, fmt.Errorf("old generation %d still running %s after the hand-off", old, exitTimeout)
	}
	return readyAt.Sub(t0), readyAt, nil
}

// runUpgrades does o.Upgrades SIGHUP upgrades under 64 closed-loop clients calling
// execute_query SELECT 1, and compares latency inside the upgrade windows with steady state.
func runUpgrades(ctx context.Context, o *Options, s *server, res *Results) error {
	c := newMCPCaller(s.mcpURL(), "execute_query", `{"query":"SELECT 1"}`, `"row_count":1`, 64)
	l := startLoad(ctx, c, 64, 2_000_000)
	stopped := false
	defer func() {
		if !stopped {
			l.stop()
		}
	}()
	time.Sleep(o.RoundTime / 2) // warm-up, not measured
	steadyFrom := time.Now()
	time.Sleep(o.RoundTime)
	steadyTo := time.Now()
	type window struct{ from, to time.Time }
	var windows []window
	var handoffs []time.Duration
	for i := range o.Upgrades {
		before := l.served()
		for l.served() < before+64 { // traffic between upgrades
			time.Sleep(time.Millisecond)
		}
		from := time.Now()
		h, _, err := s.upgrade(20 * time.Second)
		if err != nil {
			return fmt.Errorf("upgrade %d: %w", i+1, err)
		}
		handoffs = append(handoffs, h)
		windows = append(windows, window{from, time.Now()})
	}
	samples := l.stop()
	stopped = true
	var steady, during []time.Duration
	failed := 0
	var firstErr error
	for _, smp := range samples {
		if smp.err != nil {
			failed++
			if firstErr == nil {
				firstErr = smp.err
			}
		}
		if !smp.at.Before(steadyFrom) && smp.at.Before(steadyTo) {
			steady = append(steady, smp.dur)
		}
		for _, w := range windows {
			if !smp.at.Before(w.from) && smp.at.Before(w.to) {
				during = append(during, smp.dur)
				break
			}
		}
	}
	if failed > 0 {
		res.Errors = append(res.Errors, fmt.Sprintf("upgrade under load: %d failed calls; first: %v", failed, firstErr))
	}
	hms := make([]float64, len(handoffs))
	for i, h := range handoffs {
		hms[i] = ms(h)
	}
	hf := newFigure("upgrade/handoff_ms", "ms", hms)
	res.add(hf)
	res.add(Figure{Key: "upgrade/handoff_p99_ms", Unit: "ms", Median: percentileMS(handoffs, 99), Min: hf.Min, Max: hf.Max})
	res.add(single("upgrade/failed_calls", "calls", float64(failed)))
	res.add(single("upgrade/calls", "calls", float64(len(samples))))
	sp, dp := percentileMS(steady, 99), percentileMS(during, 99)
	res.add(single("upgrade/steady_p99_ms", "ms", sp))
	res.add(single("upgrade/window_p99_ms", "ms", dp))
	if sp > 0 {
		res.add(single("upgrade/p99_ratio", "x", dp/sp))
	}
	o.logf("upgrades: %d, hand-off median %.0f ms p99 %.0f ms, %d failed of %d calls, p99 steady %.1f ms, in windows %.1f ms",
		len(handoffs), hf.Median, percentileMS(handoffs, 99), failed, len(samples), sp, dp)
	return nil
}

func single(key, unit string, v float64) Figure { return newFigure(key, unit, []float64{v}) }

// runDrain starts n calls of a query that runs for queryDur, waits until the
// emulator runs them all, upgrades, and reports what became of the calls and of
// the queries in the emulator. drain is the old generation's server.drain_timeout.
func runDrain(ctx context.Context, s *server, emu *emulator, n int, queryDur, drain time.Duration, marker string) (ok int, queries []emuQuery, readyAt time.Time, err error) {
	sqlText := fmt.Sprintf("SELECT SYSTEM$WAIT(%d) AS %s", int(queryDur.Seconds()), marker)
	args := fmt.Sprintf(`{"query":%q}`, sqlText)
	c := newMCPCaller(s.mcpURL(), "execute_query", args, `"row_count":1`, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range n {
		wg.Go(func() {
			if c.call(ctx, 0) == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		})
	}
	defer wg.Wait()
	running := func() int {
		qs, err := emu.queries(ctx, "running")
		if err != nil {
			return 0
		}
		k := 0
		for _, q := range qs {
			if strings.Contains(q.SQL, marker) {
				k++
			}
		}
		return k
	}
	deadline := time.Now().Add(20 * time.Second)
	for running() < n {
		if time.Now().After(deadline) {
			return 0, nil, time.Time{}, fmt.Errorf("only %d of %d queries running after 20 s", running(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, readyAt, err = s.upgrade(drain + queryDur + 10*time.Second)
	if err != nil {
		return 0, nil, time.Time{}, err
	}
	wg.Wait()
	all, err := emu.queries(ctx, "")
	if err != nil {
		return 0, nil, time.Time{}, err
	}
	for _, q := range all {
		if strings.Contains(q.SQL, marker) {
			queries = append(queries, q)
		}
	}
	return ok, queries, readyAt, nil
}

// runDrains measures the two drain figures: n 2 s queries across an upgrade with a
// generous drain deadline (all should complete), and 5 s queries with a 1 s deadline
// (all should be aborted in Snowflake within 1 s of it, none left running).
func runDrains(ctx context.Context, o *Options, dir string, emu *emulator, s *server, res *Results) error {
	const n = 32
	ok, _, _, err := runDrain(ctx, s, emu, n, 2*time.Second, 30*time.Second, "BENCH_DRAIN_COMPLETE")
	if err != nil {
		return fmt.Errorf("drain (completing): %w", err)
	}
	res.add(single("drain/completed_pct", "%", 100*float64(ok)/n))
	o.logf("drain: %d of %d 2 s queries completed across an upgrade", ok, n)

	const drain = time.Second
	short, err := startServer(ctx, o, dir, emu, "server.drain_timeout="+drain.String())
	if err != nil {
		return err
	}
	defer short.stopAll()
	ok, qs, readyAt, err := runDrain(ctx, short, emu, n, 5*time.Second, drain, "BENCH_DRAIN_ABORT")
	if err != nil {
		return fmt.Errorf("drain (deadline): %w", err)
	}
	// The old generation's drain begins when the new one is ready.
	deadline := readyAt.Add(drain)
	within, orphaned := 0, 0
	for _, q := range qs {
		switch {
		case q.State == "running":
			orphaned++
		case q.State != "succeeded" && !q.End.IsZero() && q.End.Before(deadline.Add(time.Second)):
			within++
		}
	}
	res.add(single("drain/aborted_within_1s_pct", "%", 100*float64(within)/n))
	res.add(single("drain/orphaned_queries", "queries", float64(orphaned)))
	res.add(single("drain/deadline_completed_calls", "calls", float64(ok)))
	o.logf("drain deadline %s: %d of %d queries aborted in the emulator within 1 s of it, %d still running, %d calls succeeded",
		drain, within, n, orphaned, ok)
	return nil
}
