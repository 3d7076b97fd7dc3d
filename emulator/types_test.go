package emulator_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// TestTypesRoundTrip checks every Snowflake type arrives as the Go type the
// driver documents, with the right value.
func TestTypesRoundTrip(t *testing.T) {
	emu := testemulator.Start(t)
	db := open(t, emu.DSN("DEMO", "PUBLIC"))
	ctx := context.Background()
	q := `SELECT
	  42::INTEGER AS i, 123.45::NUMBER(10,2) AS dec, 12345678901234567890123::NUMBER(38,0) AS big,
	  1.5::FLOAT AS f, 'héllo "q"'::VARCHAR AS s, TRUE AS b,
	  '2024-02-29'::DATE AS d, '1960-01-01'::DATE AS d0, '13:14:15.123456'::TIME AS tm,
	  '2024-02-29 13:14:15.123456'::TIMESTAMP_NTZ AS ntz, '1969-12-31 23:59:59.5'::TIMESTAMP_NTZ AS ntz0,
	  '2024-02-29 13:14:15.123456+00'::TIMESTAMP_LTZ AS ltz, '2024-02-29 13:14:15.123456+02:00'::TIMESTAMP_TZ AS tz,
	  'abc'::BINARY AS bin, PARSE_JSON('{"a":1,"b":[true,null]}') AS v, ARRAY_CONSTRUCT(1,2,3) AS arr,
	  {'k': 'v'} AS obj, NULL::VARCHAR AS n1, NULL::INTEGER AS n2`
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	defer func() { _ = rows.Close() }()
	cts, err := rows.ColumnTypes()
	if err != nil {
		t.Fatal(err)
	}
	wantDB := []string{"FIXED", "FIXED", "FIXED", "REAL", "TEXT", "BOOLEAN", "DATE", "DATE", "TIME", "TIMESTAMP_NTZ", "TIMESTAMP_NTZ",
		"TIMESTAMP_LTZ", "TIMESTAMP_TZ", "BINARY", "VARIANT", "ARRAY", "OBJECT", "TEXT", "FIXED"}
	for i, ct := range cts {
		if ct.DatabaseTypeName() != wantDB[i] {
			t.Errorf("column %s: database type %s, want %s", ct.Name(), ct.DatabaseTypeName(), wantDB[i])
		}
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
	// Typed scans, as an application would do them.
	var (
		i        int64
		dec      float64
		big      string
		f        float64
		s        string
		b        bool
		d, d0    time.Time
		tm       time.Time
		ntz, nz0 time.Time
		ltz, tz  time.Time
		bin      []byte
		v, arr   string
		obj      string
		n1       sql.NullString
		n2       sql.NullInt64
	)
	if err := db.QueryRowContext(ctx, q).Scan(&i, &dec, &big, &f, &s, &b, &d, &d0, &tm, &ntz, &nz0, &ltz, &tz, &bin, &v, &arr, &obj, &n1, &n2); err != nil {
		t.Fatalf("typed scan: %v", err)
	}
	check := func(name string, ok bool, got any) {
		t.Helper()
		if !ok {
			t.Errorf("%s: got %#v", name, got)
		}
	}
	check("int", i == 42, i)
	check("decimal", dec == 123.45, dec)
	check("big", big == "12345678901234567890123", big)
	check("float", f == 1.5, f)
	check("text", s == `héllo "q"`, s)
	check("bool", b, b)
	check("date", d.Equal(time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)), d)
	check("date pre-1970", d0.Equal(time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)), d0)
	check("time", tm.Hour() == 13 && tm.Minute() == 14 && tm.Second() == 15 && tm.Nanosecond() == 123456000, tm)
	check("ntz", ntz.Equal(time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)), ntz)
	check("ntz pre-1970", nz0.Equal(time.Date(1969, 12, 31, 23, 59, 59, 500000000, time.UTC)), nz0)
	check("ltz", ltz.Equal(time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)), ltz)
	check("tz", tz.Equal(time.Date(2024, 2, 29, 11, 14, 15, 123456000, time.UTC)), tz)
	check("binary", bytes.Equal(bin, []byte("abc")), bin)
	var vj map[string]any
	check("variant", json.Unmarshal([]byte(v), &vj) == nil && reflect.DeepEqual(vj, map[string]any{"a": 1.0, "b": []any{true, nil}}), v)
	var aj []int
	check("array", json.Unmarshal([]byte(arr), &aj) == nil && reflect.DeepEqual(aj, []int{1, 2, 3}), arr)
	var oj map[string]string
	check("object", json.Unmarshal([]byte(obj), &oj) == nil && oj["k"] == "v", obj)
	check("null text", !n1.Valid, n1)
	check("null int", !n2.Valid, n2)
	// Untyped scans: NULL arrives as nil, binary as []byte, timestamps as time.Time.
	check("untyped null", vals[17] == nil && vals[18] == nil, vals[17:])
	_, isBytes := vals[13].([]byte)
	check("untyped binary", isBytes, vals[13])
	_, isTime := vals[9].(time.Time)
	check("untyped ntz", isTime, vals[9])
}

// TestBindings sends each bind type through the driver.
func TestBindings(t *testing.T) {
	emu := testemulator.Start(t)
	db := open(t, emu.DSN("DEMO", "SALES"))
	ctx := context.Background()
	ts := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
	var (
		i   int64
		f   float64
		s   string
		b   bool
		tm  time.Time
		bin []byte
		n   sql.NullString
	)
	err := db.QueryRowContext(ctx, "SELECT ?, ?, ?, ?, ?, ?, ?::VARCHAR", int64(7), 2.25, "it's", true, ts, sf.DataTypeBinary, []byte{1, 2, 255}, nil).
		Scan(&i, &f, &s, &b, &tm, &bin, &n)
	if err != nil {
		t.Fatalf("bind: %v", err)
	}
	if i != 7 || f != 2.25 || s != "it's" || !b || !tm.Equal(ts) || !bytes.Equal(bin, []byte{1, 2, 255}) || n.Valid {
		t.Fatalf("got %v %v %q %v %v %v %v", i, f, s, b, tm, bin, n)
	}
	var cnt int64
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM ORDERS WHERE STATUS = ? AND ORDER_ID <= ?", "NEW", 1000).Scan(&cnt); err != nil {
		t.Fatal(err)
	}
	if cnt != 250 {
		t.Fatalf("filtered count = %d, want 250", cnt)
	}
}
