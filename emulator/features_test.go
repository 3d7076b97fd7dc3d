package emulator_test

import (
	"context"
	"strings"
	"testing"
	"time"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

func TestMultiStatement(t *testing.T) {
	emu := testemulator.Start(t)
	db := open(t, emu.DSN("DEMO", "SALES"))
	db.SetMaxOpenConns(1)
	_, err := db.Exec("SELECT 1; SELECT 2")
	if code := sfCode(err); code != 8 {
		t.Fatalf("two statements without MULTI_STATEMENT_COUNT: %v (code %d), want 000008", err, code)
	}
	ctx, err := sf.WithMultiStatement(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, "SELECT 1 AS A; SELECT 'two' AS B, 3 AS C")
	if err != nil {
		t.Fatalf("multi-statement: %v", err)
	}
	defer func() { _ = rows.Close() }()
	var a int
	if !rows.Next() {
		t.Fatalf("first result empty: %v", rows.Err())
	}
	if err := rows.Scan(&a); err != nil || a != 1 {
		t.Fatalf("first result: %d %v", a, err)
	}
	if !rows.NextResultSet() || !rows.Next() {
		t.Fatalf("no second result: %v", rows.Err())
	}
	var b string
	var c int
	if err := rows.Scan(&b, &c); err != nil || b != "two" || c != 3 {
		t.Fatalf("second result: %q %d %v", b, c, err)
	}
}

func TestQueryTagAndStatementTimeout(t *testing.T) {
	emu := testemulator.Start(t)
	db := open(t, emu.DSN("DEMO", "SALES"))
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	if _, err := db.ExecContext(sf.WithQueryTag(ctx, "mcp:test-tag"), "SELECT 7"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "ALTER SESSION SET QUERY_TAG = 'session-tag' STATEMENT_TIMEOUT_IN_SECONDS = 1"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := db.ExecContext(ctx, "SELECT SYSTEM$WAIT(10)")
	if code := sfCode(err); code != 630 || time.Since(start) > 5*time.Second {
		t.Fatalf("statement timeout: %v (code %d) after %v, want 000630", err, code, time.Since(start))
	}
	qs, err := emu.Queries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tags := map[string]string{}
	for _, q := range qs {
		tags[q.SQL] = q.QueryTag
	}
	if tags["SELECT 7"] != "mcp:test-tag" || tags["SELECT SYSTEM$WAIT(10)"] != "session-tag" {
		t.Fatalf("query tags: %v", tags)
	}
}

func TestAsyncModeAndDescribeOnly(t *testing.T) {
	emu := testemulator.Start(t)
	db := open(t, emu.DSN("DEMO", "SALES"))
	ctx := context.Background()
	rows, err := db.QueryContext(sf.WithAsyncMode(ctx), "SELECT count(*) FROM ORDERS WHERE STATUS = 'NEW'")
	if err != nil {
		t.Fatalf("async mode: %v", err)
	}
	var n int64
	if !rows.Next() || rows.Scan(&n) != nil || n != 75000 {
		t.Fatalf("async mode result %d, %v", n, rows.Err())
	}
	_ = rows.Close()
	rows, err = db.QueryContext(sf.WithDescribeOnly(ctx), "SELECT ORDER_ID, STATUS FROM ORDERS")
	if err != nil {
		t.Fatalf("describe only: %v", err)
	}
	defer func() { _ = rows.Close() }()
	cols, err := rows.Columns()
	if err != nil || strings.Join(cols, ",") != "ORDER_ID,STATUS" {
		t.Fatalf("describe-only columns %v, %v", cols, err)
	}
	if rows.Next() {
		t.Fatal("describe-only query returned rows")
	}
}

func TestSemiStructuredPaths(t *testing.T) {
	emu := testemulator.Start(t)
	db := open(t, emu.DSN("DEMO", "MARKETING"))
	var audience string
	var abTest string
	err := db.QueryRow("SELECT settings:audience::string, settings:ab_test FROM campaigns WHERE campaign_id = 2").Scan(&audience, &abTest)
	if err != nil {
		t.Fatal(err)
	}
	if audience != "returning" || abTest != "true" {
		t.Fatalf("audience %q, ab_test %q", audience, abTest)
	}
}

func TestQueryStatusMonitoring(t *testing.T) {
	emu := testemulator.Start(t)
	db := open(t, emu.DSN("DEMO", "SALES"))
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	ids := make(chan string, 1)
	if _, err := conn.ExecContext(sf.WithQueryIDChan(ctx, ids), "SELECT 5"); err != nil {
		t.Fatal(err)
	}
	qid := <-ids
	err = conn.Raw(func(dc any) error {
		st, err := dc.(sf.SnowflakeConnection).GetQueryStatus(ctx, qid)
		if err != nil {
			return err
		}
		if st.SQLText != "SELECT 5" || st.EndTime < st.StartTime || st.StartTime == 0 {
			t.Errorf("status: %+v", st)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("GetQueryStatus: %v", err)
	}
	// The result of a finished query can be fetched again by id.
	rows, err := conn.QueryContext(sf.WithFetchResultByID(ctx, qid), "")
	if err != nil {
		t.Fatalf("fetch by id: %v", err)
	}
	defer func() { _ = rows.Close() }()
	var n int
	if !rows.Next() || rows.Scan(&n) != nil || n != 5 {
		t.Fatalf("fetched result %d, %v", n, rows.Err())
	}
}

func TestSessionTimezone(t *testing.T) {
	emu := testemulator.Start(t)
	db := open(t, emu.DSN("DEMO", "SALES"))
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("ALTER SESSION SET TIMEZONE = 'America/New_York'"); err != nil {
		t.Fatal(err)
	}
	var ltz time.Time
	if err := db.QueryRow("SELECT '2024-01-15 12:00:00'::TIMESTAMP_LTZ").Scan(&ltz); err != nil {
		t.Fatal(err)
	}
	if !ltz.Equal(time.Date(2024, 1, 15, 17, 0, 0, 0, time.UTC)) || ltz.Location().String() != "America/New_York" {
		t.Fatalf("LTZ in New York session: %v (%s)", ltz, ltz.Location())
	}
	if _, err := db.Exec("ALTER SESSION SET TIMEZONE = 'Not/AZone'"); err == nil {
		t.Fatal("invalid time zone accepted")
	}
	if err := db.QueryRow("SELECT '2024-01-15 12:00:00'::TIMESTAMP_LTZ").Scan(&ltz); err != nil || ltz.Location().String() != "America/New_York" {
		t.Fatalf("after a rejected time zone: %v %v", ltz, err)
	}
}
