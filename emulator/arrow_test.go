package emulator_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	sf "github.com/snowflakedb/gosnowflake"

	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// TestArrowBatches: gosnowflake's WithArrowBatches gets Arrow record batches
// (it refuses a JSON answer with 262001), for the first rowset and the chunks.
func TestArrowBatches(t *testing.T) {
	emu := testemulator.Start(t, testemulator.WithChunkRows(3000))
	db := open(t, emu.DSN("DEMO", "SALES"))
	ctx := sf.WithArrowBatches(context.Background())
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	var batches []*sf.ArrowBatch
	err = conn.Raw(func(dc any) error {
		rows, err := dc.(driver.QueryerContext).QueryContext(ctx, "SELECT i AS ID, 'row ' || i AS LABEL FROM range(10000) t(i) ORDER BY i", nil)
		if err != nil {
			return err
		}
		defer func() { _ = rows.Close() }()
		batches, err = rows.(sf.SnowflakeRows).GetArrowBatches()
		return err
	})
	if err != nil {
		t.Fatalf("arrow batches: %v", err)
	}
	if len(batches) != 4 { // 3000 inline + 3 chunks
		t.Fatalf("%d batches, want 4", len(batches))
	}
	var next int64
	for _, b := range batches {
		recs, err := b.Fetch()
		if err != nil {
			t.Fatalf("fetch batch: %v", err)
		}
		for _, rec := range *recs {
			ids := rec.Column(0).(*array.Int64)
			labels := rec.Column(1).(*array.String)
			for i := 0; i < int(rec.NumRows()); i++ {
				if ids.Value(i) != next || labels.Value(i) != "row "+strconv.FormatInt(next, 10) {
					t.Fatalf("row %d: %d %q", next, ids.Value(i), labels.Value(i))
				}
				next++
			}
			rec.Release()
		}
	}
	if next != 10000 {
		t.Fatalf("%d rows, want 10000", next)
	}
}

// everyType is one column per Snowflake type, with the value gosnowflake's
// converter yields for it through database/sql (no higher precision), per
// wire format: Arrow is what the Go driver gets by default.
var everyType = []struct {
	name, expr, dbType string
	arrow, json        any
}{
	{"I", "42::INTEGER", "FIXED", "42", "42"},
	{"TINY", "7::TINYINT", "FIXED", "7", "7"},
	{"BIGI", "-9007199254740993::BIGINT", "FIXED", "-9007199254740993", "-9007199254740993"},
	{"DEC", "123.45::NUMBER(10,2)", "FIXED", "123.45", "123.45"},
	{"DEC38", "12.34::NUMBER(38,2)", "FIXED", "12.34", "12.34"},
	{"BIG", "12345678901234567890123::NUMBER(38,0)", "FIXED", "12345678901234567890123", "12345678901234567890123"},
	{"F", "1.5::FLOAT", "REAL", 1.5, "1.5"},
	{"S", `'héllo "q"'::VARCHAR`, "TEXT", `héllo "q"`, `héllo "q"`},
	{"B", "TRUE", "BOOLEAN", true, "1"},
	{"D", "'2024-02-29'::DATE", "DATE", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), nil},
	{"D0", "'1960-01-01'::DATE", "DATE", time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), nil},
	{"TM", "'13:14:15.123456'::TIME", "TIME", time.Time{}.Add(13*time.Hour + 14*time.Minute + 15*time.Second + 123456*time.Microsecond), nil},
	{"NTZ", "'2024-02-29 13:14:15.123456'::TIMESTAMP_NTZ", "TIMESTAMP_NTZ", time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC), nil},
	{"NTZ0", "'1969-12-31 23:59:59.5'::TIMESTAMP_NTZ", "TIMESTAMP_NTZ", time.Date(1969, 12, 31, 23, 59, 59, 500000000, time.UTC), nil},
	{"LTZ", "'2024-02-29 13:14:15.123456+00'::TIMESTAMP_LTZ", "TIMESTAMP_LTZ", time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC), nil},
	{"TZ", "'2024-02-29 13:14:15.123456+02:00'::TIMESTAMP_TZ", "TIMESTAMP_TZ", time.Date(2024, 2, 29, 11, 14, 15, 123456000, time.UTC), nil},
	{"BIN", "'abc'::BINARY", "BINARY", []byte("abc"), nil},
	{"V", `PARSE_JSON('{"a":1}')`, "VARIANT", `{"a":1}`, nil},
	{"ARR", "ARRAY_CONSTRUCT(1,2,3)", "ARRAY", "[1,2,3]", nil},
	{"OBJ", "{'k': 'v'}", "OBJECT", `{"k":"v"}`, nil},
	{"NT", "NULL::VARCHAR", "TEXT", nil, nil},
	{"NI", "NULL::INTEGER", "FIXED", nil, nil},
	{"NTS", "NULL::TIMESTAMP_NTZ", "TIMESTAMP_NTZ", nil, nil},
}

// scanEveryType runs the every-type query and returns its untyped values.
func scanEveryType(t *testing.T, db *sql.DB) ([]string, []any) {
	t.Helper()
	exprs := make([]string, len(everyType))
	for i, c := range everyType {
		exprs[i] = c.expr + " AS " + c.name
	}
	rows, err := db.QueryContext(context.Background(), "SELECT "+strings.Join(exprs, ", "))
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	defer func() { _ = rows.Close() }()
	cts, err := rows.ColumnTypes()
	if err != nil {
		t.Fatal(err)
	}
	types := make([]string, len(cts))
	for i, ct := range cts {
		types[i] = ct.DatabaseTypeName()
	}
	if !rows.Next() {
		t.Fatalf("no row: %v", rows.Err())
	}
	vals := make([]any, len(cts))
	ptrs := make([]any, len(cts))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		t.Fatalf("scan: %v", err)
	}
	return types, vals
}

// TestScanEveryTypeBothFormats: database/sql scans give, per type and wire
// format, the Go values gosnowflake's converter yields against Snowflake.
// Where the converter yields the same for both (the json column is nil),
// the JSON answer must equal the Arrow one.
func TestScanEveryTypeBothFormats(t *testing.T) {
	emu := testemulator.Start(t)
	arrowTypes, arrowVals := scanEveryType(t, open(t, emu.DSN("DEMO", "PUBLIC")))
	jsonTypes, jsonVals := scanEveryType(t, open(t, emu.DSN("DEMO", "PUBLIC")+"&GO_QUERY_RESULT_FORMAT=json"))
	for i, c := range everyType {
		t.Run(c.name, func(t *testing.T) {
			if arrowTypes[i] != c.dbType || jsonTypes[i] != c.dbType {
				t.Errorf("database type: arrow %s, json %s, want %s", arrowTypes[i], jsonTypes[i], c.dbType)
			}
			wantJSON := c.json
			if wantJSON == nil {
				wantJSON = c.arrow
			}
			for _, f := range []struct {
				format    string
				got, want any
			}{{"arrow", arrowVals[i], c.arrow}, {"json", jsonVals[i], wantJSON}} {
				if !sameValue(f.got, f.want) {
					t.Errorf("%s: got %#v (%T), want %#v (%T)", f.format, f.got, f.got, f.want, f.want)
				}
			}
		})
	}
	// The formats really differ on the wire: the JSON session reads REAL as text.
	if _, ok := jsonVals[6].(string); !ok {
		t.Fatalf("JSON session got %T for REAL: was it answered in JSON?", jsonVals[6])
	}
}

func sameValue(got, want any) bool {
	if wt, ok := want.(time.Time); ok {
		gt, ok := got.(time.Time)
		return ok && gt.Equal(wt)
	}
	return reflect.DeepEqual(got, want)
}

// procStatus reads a field (in kB) of /proc/PID/status, e.g. VmRSS or VmHWM.
func procStatus(t *testing.T, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// TestMillionRowsStreamBounded: a 1M-row result (about 230 MB as Arrow)
// streams through the chunk downloader in Arrow while the emulator's peak
// memory grows by a fraction of it: rows are read from DuckDB a chunk at a
// time as the client asks.
func TestMillionRowsStreamBounded(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "100MiB")
	emu := testemulator.Start(t)
	db := open(t, emu.DSN("DEMO", "SALES"))
	ctx := context.Background()
	if err := db.PingContext(ctx); err != nil {
		t.Fatal(err)
	}
	before := procStatus(t, emu.PID(), "VmRSS")
	rows, err := db.QueryContext(ctx, "SELECT i AS ID, repeat('x', 200) AS PAD FROM range(1000000) t(i)")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	var n, sum int64
	for rows.Next() {
		var id int64
		var pad string
		if err := rows.Scan(&id, &pad); err != nil {
			t.Fatal(err)
		}
		if id != n || len(pad) != 200 {
			t.Fatalf("row %d: id %d, pad %d bytes", n, id, len(pad))
		}
		n++
		sum += id
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 1000000 || sum != 999999*1000000/2 {
		t.Fatalf("%d rows, sum %d", n, sum)
	}
	peak := procStatus(t, emu.PID(), "VmHWM")
	growthMB := (peak - before) / 1024
	t.Logf("emulator RSS before %d MB, peak %d MB (growth %d MB for a ~230 MB result)", before/1024, peak/1024, growthMB)
	// GOMEMLIMIT keeps the Go heap from idling at twice its live size; the old
	// build-it-whole path grew by over 1 GB here.
	bound := int64(200)
	if raceBuild {
		bound *= 3 // the race detector's shadow memory on the emulator's own heap
	}
	if growthMB > bound {
		t.Fatalf("emulator peak memory grew %d MB streaming 1M rows: the result was built whole", growthMB)
	}
	qs, err := emu.Queries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if last := qs[len(qs)-1]; last.Rows != 1000000 || last.ChunkFetches < 99 {
		t.Fatalf("admin view: %d rows, %d chunk fetches", last.Rows, last.ChunkFetches)
	}
}

// TestSandboxRefusesHostAccess: no SQL reads or writes a host file, loads
// code or lifts the engine's limits.
func TestSandboxRefusesHostAccess(t *testing.T) {
	emu := testemulator.Start(t, testemulator.WithMemoryLimit("768MiB"))
	db := open(t, emu.DSN("DEMO", "SALES"))
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret.txt")
	if err := os.WriteFile(secret, []byte("host secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"SELECT * FROM read_text('/etc/hostname')",
		"SELECT * FROM read_text('" + secret + "')",
		"SELECT * FROM read_csv('/etc/passwd')",
		"SELECT * FROM read_blob('" + secret + "')",
		"SELECT * FROM glob('" + dir + "/*')",
		"SELECT * FROM '" + secret + "'",
		"COPY (SELECT 1) TO '" + filepath.Join(dir, "out.csv") + "'",
		"COPY ORDERS TO '" + filepath.Join(dir, "orders.parquet") + "' (FORMAT parquet)",
		"ATTACH '" + filepath.Join(dir, "x.db") + "' AS X",
		"EXPORT DATABASE '" + filepath.Join(dir, "export") + "'",
		"INSTALL httpfs",
		"LOAD httpfs",
		"FORCE INSTALL httpfs",
		"SET memory_limit = '100GB'",
		"SET GLOBAL enable_external_access = true",
		"SET allowed_paths = ['" + dir + "']",
		"RESET memory_limit",
		"PRAGMA threads = 64",
		"CREATE TABLE DEMO.PUBLIC.T AS SELECT * FROM read_text('" + secret + "')",
	} {
		var got any
		err := db.QueryRowContext(ctx, q).Scan(&got)
		if err == nil {
			t.Errorf("%s: ran (got %v)", q, got)
			continue
		}
		var se *sf.SnowflakeError
		if !errors.As(err, &se) {
			t.Errorf("%s: not a Snowflake error: %v", q, err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("files appeared in %s: %v", dir, entries)
	}
	var limit string
	if err := db.QueryRowContext(ctx, "SELECT current_setting('memory_limit')").Scan(&limit); err != nil || !strings.Contains(limit, "768") {
		t.Fatalf("memory_limit %q, %v", limit, err)
	}
	// Snowflake SQL still works, CREATE DATABASE included (an in-memory catalog).
	var n int64
	if _, err := db.ExecContext(ctx, "CREATE DATABASE SANDBOXED"); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM DEMO.SALES.REGIONS").Scan(&n); err != nil || n == 0 {
		t.Fatalf("count: %d, %v", n, err)
	}
}
