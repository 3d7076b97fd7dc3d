package bench

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// System names, as the table's columns and the JSON keys use them.
const (
	ours   = "snowflake-mcp"
	tsPeer = "ts-peer"
	direct = "gosnowflake"
)

// cell is one system under one case: what is called, and whose CPU is counted.
type cell struct {
	system string
	c      caller
	pid    func() int // the server process; nil for the direct driver (no server)
}

// throughputCase is one row group of the table: a tool at a concurrency, on several systems.
type throughputCase struct {
	name  string // execute_query, list_databases, bench_echo
	conc  int
	cells []cell
}

func (tc throughputCase) key(system, metric string) string {
	return tc.name + "/c" + strconv.Itoa(tc.conc) + "/" + system + "/" + metric
}

// baseline is a second snowflake-mcp build measured beside the first (Options.BaselineBin).
const baseline = "baseline"

// withBaseline adds, after each snowflake-mcp cell, the same calls against base.
func withBaseline(cases []throughputCase, base *server) []throughputCase {
	for i, tc := range cases {
		var cells []cell
		for _, cl := range tc.cells {
			cells = append(cells, cl)
			if mc, ok := cl.c.(*mcpCaller); ok && cl.system == ours {
				b := *mc
				b.url = base.mcpURL()
				b.http = newHTTPClient(tc.conc)
				cells = append(cells, cell{baseline, &b, base.currentPID})
			}
		}
		cases[i].cells = cells
	}
	return cases
}

// roundFigures is one round of one cell.
type roundFigures struct {
	callsPerS, p50, p99, cpuMS float64
	errs                       int
	firstErr                   error
}

func measureCell(ctx context.Context, o *Options, tc throughputCase, cl cell, warm bool) roundFigures {
	if warm {
		drive(ctx, cl.c, tc.conc, o.RoundTime/5, o.MaxCallsPerRound)
	}
	var cpu0 time.Duration
	if cl.pid != nil {
		cpu0, _ = readCPU(cl.pid())
	}
	r := drive(ctx, cl.c, tc.conc, o.RoundTime, o.MaxCallsPerRound)
	f := roundFigures{
		callsPerS: float64(r.calls-len(r.errs)) / r.elapsed.Seconds(),
		p50:       percentileMS(r.lat, 50),
		p99:       percentileMS(r.lat, 99),
		errs:      len(r.errs),
		cpuMS:     -1,
	}
	if len(r.errs) > 0 {
		f.firstErr = r.errs[0]
	}
	if cl.pid != nil {
		cpu1, _ := readCPU(cl.pid())
		if r.calls > 0 {
			f.cpuMS = ms(cpu1-cpu0) / float64(r.calls)
		}
	}
	return f
}

// runThroughput runs every case's cells round by round, interleaved (A B C, A B C, ...)
// so that drift on the shared machine hits every system alike, and records the
// per-round ratios of snowflake-mcp to each other system.
func runThroughput(ctx context.Context, o *Options, cases []throughputCase, res *Results) error {
	type acc struct{ calls, p50, p99, cpu []float64 }
	accs := map[string]*acc{}
	ratios := map[string][]float64{}
	for round := range o.Rounds {
		for _, tc := range cases {
			got := map[string]roundFigures{}
			for _, cl := range tc.cells {
				f := measureCell(ctx, o, tc, cl, true)
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if f.errs > 0 {
					res.Errors = append(res.Errors, fmt.Sprintf("%s %s c%d round %d: %d failed calls; first: %v", tc.name, cl.system, tc.conc, round+1, f.errs, f.firstErr))
				}
				got[cl.system] = f
				k := tc.key(cl.system, "")
				a := accs[k]
				if a == nil {
					a = &acc{}
					accs[k] = a
				}
				a.calls = append(a.calls, f.callsPerS)
				a.p50 = append(a.p50, f.p50)
				a.p99 = append(a.p99, f.p99)
				if f.cpuMS >= 0 {
					a.cpu = append(a.cpu, f.cpuMS)
				}
				o.logf("round %d/%d %-15s c%-3d %-14s %8.0f calls/s  p50 %6.2f ms  p99 %6.2f ms  cpu %5.3f ms/call",
					round+1, o.Rounds, tc.name, tc.conc, cl.system, f.callsPerS, f.p50, f.p99, f.cpuMS)
			}
			us, ok := got[ours]
			if !ok {
				continue
			}
			for sys, f := range got {
				if sys == ours || f.callsPerS == 0 || f.p99 == 0 {
					continue
				}
				ratios[tc.key(ours+"_vs_"+sys, "calls_ratio")] = append(ratios[tc.key(ours+"_vs_"+sys, "calls_ratio")], us.callsPerS/f.callsPerS)
				ratios[tc.key(ours+"_vs_"+sys, "p99_ratio")] = append(ratios[tc.key(ours+"_vs_"+sys, "p99_ratio")], us.p99/f.p99)
				if us.cpuMS > 0 && f.cpuMS > 0 {
					ratios[tc.key(ours+"_vs_"+sys, "cpu_ratio")] = append(ratios[tc.key(ours+"_vs_"+sys, "cpu_ratio")], us.cpuMS/f.cpuMS)
				}
			}
		}
	}
	for _, tc := range cases {
		for _, cl := range tc.cells {
			a := accs[tc.key(cl.system, "")]
			res.add(newFigure(tc.key(cl.system, "calls_per_s"), "calls/s", a.calls))
			res.add(newFigure(tc.key(cl.system, "p50_ms"), "ms", a.p50))
			res.add(newFigure(tc.key(cl.system, "p99_ms"), "ms", a.p99))
			if len(a.cpu) > 0 {
				res.add(newFigure(tc.key(cl.system, "cpu_ms_per_call"), "ms", a.cpu))
			}
		}
	}
	for k, v := range ratios {
		res.add(newFigure(k, "x", v))
	}
	return nil
}
