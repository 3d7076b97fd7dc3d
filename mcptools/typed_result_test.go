package mcptools_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/snowflake-mcp/snowflake-mcp/config"
	"github.com/snowflake-mcp/snowflake-mcp/mcptools"
	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// Both wire formats the emulator speaks: Arrow (what Snowflake sends the Go
// driver by default) and JSON (what it sends when asked, and other drivers).
var wireFormats = []struct {
	name string
	opts []testemulator.Option
}{
	{"arrow", nil},
	{"json", []testemulator.Option{testemulator.WithArgs("--result-format", "json")}},
}

// rawRows re-reads a tool result's rows as raw JSON, exactly as the client received them.
func rawRows(t *testing.T, out any) string {
	t.Helper()
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	var o struct {
		Rows json.RawMessage `json:"rows"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		t.Fatal(err)
	}
	return string(o.Rows)
}

// TestTypedResults: execute_query answers with JSON numbers, booleans and
// nulls through a real MCP client, the same in both wire formats.
func TestTypedResults(t *testing.T) {
	for _, f := range wireFormats {
		t.Run(f.name, func(t *testing.T) {
			st := startStack(t, testemulator.Start(t, f.opts...), nil)
			cs := connect(t, st.url+"/mcp", nil)
			res, _ := call(t, cs, "execute_query", map[string]any{"query": "SELECT 7::INT AS I, TRUE AS B, 1.5::FLOAT AS F, NULL::INT AS N"})
			if res.IsError {
				t.Fatalf("error: %s", text(res))
			}
			if got := rawRows(t, res.StructuredContent); got != `[[7,true,1.5,null]]` {
				t.Fatalf("rows %s, want [[7,true,1.5,null]]", got)
			}
			if txt := text(res); !strings.Contains(txt, "7 | true | 1.5 | NULL") {
				t.Fatalf("text table:\n%s", txt)
			}
		})
	}
}

// everyTypeQuery has one column per Snowflake type.
const everyTypeQuery = `SELECT 42::INTEGER AS I, -9007199254740993::BIGINT AS BIGI, 123.45::NUMBER(10,2) AS DEC,
  12345678901234567890123::NUMBER(38,0) AS BIG, 1.5::FLOAT AS F, 'héllo'::VARCHAR AS S, TRUE AS B, FALSE AS B2,
  '2024-02-29'::DATE AS D, '13:14:15.123456'::TIME AS TM, '2024-02-29 13:14:15.123456'::TIMESTAMP_NTZ AS NTZ,
  '2024-02-29 13:14:15.123456+00'::TIMESTAMP_LTZ AS LTZ, '2024-02-29 13:14:15.123456+00:00'::TIMESTAMP_TZ AS TZ,
  'abc'::BINARY AS BIN, PARSE_JSON('{"a":1,"b":[true,null]}') AS V, ARRAY_CONSTRUCT(1,2,3) AS ARR,
  {'k': 'v'} AS OBJ, NULL::VARCHAR AS NT, NULL::INTEGER AS NI`

// TestEveryTypeSameInBothFormats: the every-type query gives identical
// structured content whichever wire format carried it, with each value in
// its typed JSON form.
func TestEveryTypeSameInBothFormats(t *testing.T) {
	got := map[string]string{}
	for _, f := range wireFormats {
		st := startStack(t, testemulator.Start(t, f.opts...), nil)
		cs := connect(t, st.url+"/mcp", nil)
		res, out := call(t, cs, "execute_query", map[string]any{"query": everyTypeQuery})
		if res.IsError {
			t.Fatalf("%s: %s", f.name, text(res))
		}
		out.QueryID = ""
		b, _ := json.Marshal(out)
		got[f.name] = string(b)
	}
	if got["arrow"] != got["json"] {
		t.Fatalf("formats differ:\narrow %s\njson  %s", got["arrow"], got["json"])
	}
	var out struct {
		Rows [][]any `json:"rows"`
	}
	if err := json.Unmarshal([]byte(got["arrow"]), &out); err != nil || len(out.Rows) != 1 {
		t.Fatalf("rows: %v %s", err, got["arrow"])
	}
	want := []any{42.0, "-9007199254740993", "123.45", "12345678901234567890123", 1.5, "héllo", true, false,
		"2024-02-29", "13:14:15.123456", "2024-02-29T13:14:15.123456", "2024-02-29T13:14:15.123456Z",
		"2024-02-29T13:14:15.123456Z", "616263", map[string]any{"a": 1.0, "b": []any{true, nil}}, []any{1.0, 2.0, 3.0},
		map[string]any{"k": "v"}, nil, nil}
	for i, w := range want {
		if !reflect.DeepEqual(out.Rows[0][i], w) {
			t.Errorf("column %d: %#v, want %#v", i, out.Rows[0][i], w)
		}
	}
}

// rssKB reads VmHWM (peak) or VmRSS of a process in kB.
func rssKB(t *testing.T, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no %s for pid %d", field, pid)
	return 0
}

// TestHugeRowsCostFirstChunks: 300,000 rows of 100 kB each (30 GB) with
// limit 1000 returns 1000 rows marked truncated while the emulator stays far
// under its memory limit: it reads only the pages the client fetched.
func TestHugeRowsCostFirstChunks(t *testing.T) {
	emu := testemulator.Start(t, testemulator.WithMemoryLimit("1GiB"))
	st := startStack(t, emu, func(c *config.Config) {
		c.Query.MaxCellChars = 64
		c.Query.MaxResultBytes = 8 << 20
	})
	cs := connect(t, st.url+"/mcp", nil)
	// Each page makes DuckDB build whole 2048-row vectors of 100 kB values: slow, hence the long deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "execute_query",
		Arguments: map[string]any{"query": "SELECT REPEAT('x', 100000), * FROM DEMO.SALES.ORDERS", "limit": 1000}})
	if err != nil {
		t.Fatalf("execute_query: %v", err)
	}
	var out mcptools.Output
	b, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if res.IsError {
		t.Fatalf("error: %s", text(res))
	}
	if out.RowCount != 1000 || !out.Truncated || out.TruncatedBy != "limit" {
		t.Fatalf("rows %d truncated %v by %q", out.RowCount, out.Truncated, out.TruncatedBy)
	}
	peakMB := rssKB(t, emu.PID(), "VmHWM") / 1024
	t.Logf("emulator peak RSS %d MB (memory limit 1 GiB, full result 30 GB, race build %v)", peakMB, raceBuild)
	bound := int64(1024)
	if raceBuild {
		bound *= 2 // the race detector's shadow memory on the emulator's own heap
	}
	if peakMB >= bound {
		t.Fatalf("emulator peak RSS %d MB reached its 1 GiB memory limit", peakMB)
	}
}
