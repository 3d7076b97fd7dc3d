package mcptools

import (
	"encoding/json"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"
)

func TestCellValue(t *testing.T) {
	ts := time.Date(2024, 2, 29, 13, 4, 5, 120000000, time.FixedZone("x", 3600))
	cases := []struct {
		in   any
		kind string
		want any
		cut  bool
	}{
		{nil, "TEXT", nil, false},
		{nil, "FIXED", nil, false},
		{int64(7), "FIXED", int64(7), false},
		{"7", "FIXED", int64(7), false},
		{"-9007199254740992", "FIXED", int64(-9007199254740992), false},
		{"9007199254740993", "FIXED", "9007199254740993", false},
		{"12345678901234567890123", "FIXED", "12345678901234567890123", false},
		{"123.45", "FIXED", "123.45", false},
		{"1.5", "REAL", 1.5, false},
		{1.5, "REAL", 1.5, false},
		{"1", "BOOLEAN", true, false},
		{false, "BOOLEAN", false, false},
		{math.NaN(), "REAL", "NaN", false},
		{math.Inf(1), "REAL", "inf", false},
		{"-inf", "REAL", "-inf", false},
		{ts, "DATE", "2024-02-29", false},
		{ts, "TIME", "13:04:05.12", false},
		{ts, "TIMESTAMP_NTZ", "2024-02-29T13:04:05.12", false},
		{ts, "TIMESTAMP_TZ", "2024-02-29T13:04:05.12+01:00", false},
		{[]byte{0xde, 0xad}, "BINARY", "dead", false},
		{"héllo wörld", "TEXT", "héllo…", true},
		{"short", "TEXT", "short", false},
	}
	for _, c := range cases {
		got, cut := cellValue(c.in, c.kind, 5)
		if got != c.want || cut != c.cut {
			t.Errorf("cellValue(%v, %s) = %#v, %v; want %#v, %v", c.in, c.kind, got, cut, c.want, c.cut)
		}
	}
	// Semi-structured values are JSON values, unless cutting made them text.
	if got, _ := cellValue(`[1,2]`, "ARRAY", 50); string(got.(json.RawMessage)) != `[1,2]` {
		t.Errorf("ARRAY: %#v", got)
	}
	if got, cut := cellValue(`{"k":"vvvvvv"}`, "OBJECT", 5); got != `{"k":…` || !cut {
		t.Errorf("cut OBJECT: %#v %v", got, cut)
	}
}

func TestRenderText(t *testing.T) {
	o := &Output{
		Columns:  []Column{{"A", "NUMBER(38,0)"}, {"B", "VARCHAR"}},
		Rows:     [][]any{{int64(1), "x|y\nz"}, {nil, "ok"}},
		RowCount: 2, Truncated: true, TruncatedBy: "limit", QueryID: "q-1",
	}
	got := renderText("Title", o)
	for _, want := range []string{"Title\n", "A (NUMBER(38,0)) | B (VARCHAR)", `1 | x\|y\nz`, "NULL | ok", "2 rows; truncated by limit", "query id q-1"} {
		if !strings.Contains(got, want) {
			t.Errorf("text lacks %q:\n%s", want, got)
		}
	}
}

func TestProject(t *testing.T) {
	o := &Output{Columns: []Column{{"created_on", "T"}, {"name", "V"}, {"owner", "V"}}, Rows: [][]any{{"t", "n", "o"}}}
	project(o, []string{"NAME", "missing", "created_on"})
	if len(o.Columns) != 2 || o.Columns[0].Name != "name" || o.Rows[0][0] != "n" || o.Rows[0][1] != "t" {
		t.Errorf("project: %+v", o)
	}
}

func TestMetaCache(t *testing.T) {
	c := newMetaCache(time.Hour)
	c.put("k", &Output{RowCount: 3})
	got, ok := c.get("k")
	if !ok || !got.Cached || got.RowCount != 3 {
		t.Fatalf("get = %+v, %v", got, ok)
	}
	if again, _ := c.get("k"); again == got {
		t.Error("cache hands out its own copy to one caller only")
	}
	off := newMetaCache(0)
	off.put("k", &Output{})
	if _, ok := off.get("k"); ok {
		t.Error("TTL 0 still caches")
	}
	exp := newMetaCache(time.Minute)
	exp.put("k", &Output{})
	exp.now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	if _, ok := exp.get("k"); ok {
		t.Error("expired entry served")
	}
}

func TestSDKLoggerDropsInfo(t *testing.T) {
	var b strings.Builder
	l := sdkLogger(slog.New(slog.NewTextHandler(&b, nil))).With("k", "v")
	l.Info("server session connected")
	l.Warn("something odd")
	if out := b.String(); strings.Contains(out, "connected") || !strings.Contains(out, "something odd") || !strings.Contains(out, "k=v") {
		t.Errorf("sdk logger output: %q", out)
	}
}
