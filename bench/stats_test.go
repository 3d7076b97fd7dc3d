package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestFigureMedianMinMax(t *testing.T) {
	f := newFigure("k", "x", []float64{5, 1, 3, 4})
	if f.Median != 3.5 || f.Min != 1 || f.Max != 5 {
		t.Fatalf("got median %v min %v max %v, want 3.5 1 5", f.Median, f.Min, f.Max)
	}
	if f.Rounds[0] != 5 {
		t.Fatal("newFigure reordered the rounds it keeps")
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	if p := percentileMS(d, 99); p != 99 {
		t.Fatalf("p99 of 1..100 ms = %v, want 99", p)
	}
	if p := percentileMS(d, 50); p != 50 {
		t.Fatalf("p50 of 1..100 ms = %v, want 50", p)
	}
}

func TestTargetsAndTable(t *testing.T) {
	r := &Results{}
	r.add(single("execute_query/c16/snowflake-mcp_vs_ts-peer/calls_ratio", "x", 2.6))
	r.add(single("rss_idle/snowflake-mcp/mib", "MiB", 31))
	r.Targets = evaluate(r)
	met := map[string]bool{}
	for _, tr := range r.Targets {
		met[tr.Key] = tr.Met
	}
	if !met["execute_query/c16/snowflake-mcp_vs_ts-peer/calls_ratio"] || met["rss_idle/snowflake-mcp/mib"] {
		t.Fatalf("targets evaluated wrongly: %+v", r.Targets)
	}
	if met["upgrade/failed_calls"] {
		t.Fatal("a target with no measurement counts as met")
	}
	var b bytes.Buffer
	writeTable(&b, r)
	if !strings.Contains(b.String(), ">= 2.50 ✓") || !strings.Contains(b.String(), "< 30.0 ✗") {
		t.Fatalf("table does not mark targets:\n%s", b.String())
	}
}
