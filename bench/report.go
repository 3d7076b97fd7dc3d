package bench

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// TargetResult is one of issue 13's targets against what this run measured.
type TargetResult struct {
	Name     string  `json:"name"`
	Key      string  `json:"key"`
	Op       string  `json:"op"` // ">=", "<=", "<", "=="
	Target   float64 `json:"target"`
	Measured float64 `json:"measured"`
	Met      bool    `json:"met"`
}

var targets = []struct {
	name, key, op string
	target        float64
}{
	{"execute_query c16 calls/s vs TS peer", "execute_query/c16/snowflake-mcp_vs_ts-peer/calls_ratio", ">=", 2.5},
	{"execute_query c16 p99 vs TS peer", "execute_query/c16/snowflake-mcp_vs_ts-peer/p99_ratio", "<=", 0.5},
	{"bench_echo c16 calls/s vs TS peer", "bench_echo/c16/snowflake-mcp_vs_ts-peer/calls_ratio", ">=", 3},
	{"server CPU per execute_query (c16)", "execute_query/c16/snowflake-mcp/cpu_ms_per_call", "<=", 0.9},
	{"execute_query c16 calls/s vs bare gosnowflake", "execute_query/c16/snowflake-mcp_vs_gosnowflake/calls_ratio", ">=", 0.5},
	{"RSS idle (MiB)", "rss_idle/snowflake-mcp/mib", "<", 30},
	{"RSS after load (MiB)", "rss_after_load/snowflake-mcp/mib", "<", 40},
	{"hand-off median (ms)", "upgrade/handoff_ms", "<", 300},
	{"failed calls during upgrades", "upgrade/failed_calls", "==", 0},
}

func evaluate(r *Results) []TargetResult {
	var out []TargetResult
	for _, t := range targets {
		f, ok := r.Get(t.key)
		tr := TargetResult{Name: t.name, Key: t.key, Op: t.op, Target: t.target, Measured: f.Median}
		if ok {
			switch t.op {
			case ">=":
				tr.Met = f.Median >= t.target
			case "<=":
				tr.Met = f.Median <= t.target
			case "<":
				tr.Met = f.Median < t.target
			case "==":
				tr.Met = f.Median == t.target
			}
		}
		out = append(out, tr)
	}
	return out
}

// num formats a figure with a precision that suits its size.
func num(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1000:
		s := fmt.Sprintf("%.0f", v)
		var b strings.Builder
		for i, c := range s {
			if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
				b.WriteByte(',')
			}
			b.WriteRune(c)
		}
		return b.String()
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

// spread is "median (min–max)", or the median alone for a single round.
func spread(f Figure) string {
	if len(f.Rounds) <= 1 || f.Min == f.Max {
		return num(f.Median)
	}
	return fmt.Sprintf("%s (%s–%s)", num(f.Median), num(f.Min), num(f.Max))
}

func targetFor(r *Results, key string) string {
	for _, t := range r.Targets {
		if t.Key == key {
			mark := "✗"
			if t.Met {
				mark = "✓"
			}
			return fmt.Sprintf("%s %s %s", t.Op, num(t.Target), mark)
		}
	}
	return ""
}

// writeTable prints the run as one Markdown table: a row per figure, a column per system.
func writeTable(w io.Writer, r *Results) {
	get := func(key string) string {
		f, ok := r.Get(key)
		if !ok {
			return "–"
		}
		return spread(f)
	}
	row := func(cols ...string) { fmt.Fprintf(w, "| %s |\n", strings.Join(cols, " | ")) }
	row("figure", "snowflake-mcp", "TS peer", "gosnowflake direct", "snowflake-mcp ÷ other", "target")
	row("---", "---", "---", "---", "---", "---")
	ratio := func(prefix, metric string) string {
		var parts []string
		for _, sys := range []string{tsPeer, direct, baseline} {
			if f, ok := r.Get(prefix + "/" + ours + "_vs_" + sys + "/" + metric); ok {
				name := map[string]string{tsPeer: "peer", direct: "direct", baseline: "baseline"}[sys]
				parts = append(parts, fmt.Sprintf("%s×%s", name, spread(f)))
			}
		}
		return strings.Join(parts, ", ")
	}
	for _, c := range []struct{ name, conc, label string }{
		{"execute_query", "1", "execute_query SELECT 1, 1 client"},
		{"execute_query", "16", "execute_query SELECT 1, 16 clients"},
		{"execute_query", "64", "execute_query SELECT 1, 64 clients"},
		{"list_databases", "16", "list_databases (warm cache; direct: SHOW DATABASES), 16 clients"},
		{"bench_echo", "16", "bench_echo (no Snowflake), 16 clients"},
	} {
		p := c.name + "/c" + c.conc
		row(c.label+": calls/s", get(p+"/"+ours+"/calls_per_s"), get(p+"/"+tsPeer+"/calls_per_s"), get(p+"/"+direct+"/calls_per_s"),
			ratio(p, "calls_ratio"), targetFor(r, p+"/"+ours+"_vs_"+tsPeer+"/calls_ratio")+" "+targetFor(r, p+"/"+ours+"_vs_"+direct+"/calls_ratio"))
		row("&nbsp;&nbsp;p50 ms", get(p+"/"+ours+"/p50_ms"), get(p+"/"+tsPeer+"/p50_ms"), get(p+"/"+direct+"/p50_ms"), "", "")
		row("&nbsp;&nbsp;p99 ms", get(p+"/"+ours+"/p99_ms"), get(p+"/"+tsPeer+"/p99_ms"), get(p+"/"+direct+"/p99_ms"),
			ratio(p, "p99_ratio"), targetFor(r, p+"/"+ours+"_vs_"+tsPeer+"/p99_ratio"))
		if _, ok := r.Get(p + "/" + ours + "/cpu_ms_per_call"); ok {
			row("&nbsp;&nbsp;server CPU ms/call", get(p+"/"+ours+"/cpu_ms_per_call"), get(p+"/"+tsPeer+"/cpu_ms_per_call"), "–",
				ratio(p, "cpu_ratio"), targetFor(r, p+"/"+ours+"/cpu_ms_per_call"))
		}
	}
	hf, _ := r.Get("upgrade/handoff_ms")
	row(fmt.Sprintf("upgrade: hand-off median / p99 ms (%d SIGHUPs, 64 clients)", len(hf.Rounds)),
		spread(hf)+" / "+get("upgrade/handoff_p99_ms"), "–", "–", "", targetFor(r, "upgrade/handoff_ms"))
	row("upgrade: failed calls / calls", get("upgrade/failed_calls")+" / "+get("upgrade/calls"), "–", "–", "", targetFor(r, "upgrade/failed_calls"))
	row("upgrade: p99 ms in upgrade windows / steady", get("upgrade/window_p99_ms")+" / "+get("upgrade/steady_p99_ms"), "–", "–", "×"+get("upgrade/p99_ratio"), "")
	row("drain: 32 in-flight 2 s queries completed across an upgrade, %", get("drain/completed_pct"), "–", "–", "", "")
	row("drain deadline 1 s, 32 queries of 5 s: aborted in the emulator within 1 s of it, % / left running",
		get("drain/aborted_within_1s_pct")+" / "+get("drain/orphaned_queries"), "–", "–", "", "")
	row("RSS idle, MiB", get("rss_idle/"+ours+"/mib"), get("rss_idle/"+tsPeer+"/mib"), "–", "", targetFor(r, "rss_idle/"+ours+"/mib"))
	row("RSS after the load above, MiB", get("rss_after_load/"+ours+"/mib"), get("rss_after_load/"+tsPeer+"/mib"), "–", "", targetFor(r, "rss_after_load/"+ours+"/mib"))
	row("RSS with 1,000 tool calls in flight, MiB", get("rss_1000_in_flight/"+ours+"/mib"), "–", "–", "", "")
	row(fmt.Sprintf("peak RSS growth, capped query over a %s-row table, MiB", num(bigTableRows)), get("rss_capped_1m_rows_growth/"+ours+"/mib"), "–", "–", "", "")
	row("start-up: exec to ready (pool warm), ms", get("startup/"+ours+"/ms"), get("startup/"+tsPeer+"/ms"), "–", "", "")
	if len(r.Errors) > 0 {
		fmt.Fprintf(w, "\nErrors (%d):\n", len(r.Errors))
		for _, e := range r.Errors {
			fmt.Fprintln(w, "- "+e)
		}
	}
	met := 0
	for _, t := range r.Targets {
		if t.Met {
			met++
		}
	}
	fmt.Fprintf(w, "\n%d of %d targets met. %s; %s; commit %s; %d rounds of %.1f s per throughput figure, interleaved; %.0f s in all.\n",
		met, len(r.Targets), r.Date.Format("2006-01-02 15:04 MST"), r.Machine, r.Commit, r.Rounds, r.RoundSeconds, r.Elapsed)
}
