package emulator_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"testing"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/snowflake-mcp/snowflake-mcp/testemulator"

	"github.com/snowflake-mcp/snowflake-mcp/testbin"
)

func TestMain(m *testing.M) {
	_ = sf.GetLogger().SetLogLevel("fatal")
	os.Exit(testbin.Run(m))
}

func open(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("snowflake", dsn)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func sfCode(err error) int {
	var se *sf.SnowflakeError
	if errors.As(err, &se) {
		return se.Number
	}
	return 0
}

func TestPasswordLoginAndSelect(t *testing.T) {
	emu := testemulator.Start(t)
	db := open(t, emu.DSN("DEMO", "SALES"))
	ctx := context.Background()
	var n int64
	var s string
	if err := db.QueryRowContext(ctx, "SELECT 1, 'x'").Scan(&n, &s); err != nil {
		t.Fatalf("select: %v", err)
	}
	if n != 1 || s != "x" {
		t.Fatalf("got %d %q", n, s)
	}
	var cnt int64
	if err := db.QueryRowContext(ctx, "select count(*) from orders").Scan(&cnt); err != nil {
		t.Fatalf("count orders: %v", err)
	}
	if cnt != 300000 {
		t.Fatalf("orders = %d, want 300000", cnt)
	}
	var dbName, schema, role, wh string
	if err := db.QueryRowContext(ctx, "SELECT CURRENT_DATABASE(), CURRENT_SCHEMA(), CURRENT_ROLE(), CURRENT_WAREHOUSE()").Scan(&dbName, &schema, &role, &wh); err != nil {
		t.Fatalf("current_*: %v", err)
	}
	if dbName != "DEMO" || schema != "SALES" || role == "" || wh == "" {
		t.Fatalf("namespace = %s.%s role %s wh %s", dbName, schema, role, wh)
	}
}

func TestWrongPassword(t *testing.T) {
	emu := testemulator.Start(t)
	db := open(t, emu.DSNFor(emu.User, "nope", "", ""))
	err := db.PingContext(context.Background())
	if code := sfCode(err); code != 390100 {
		t.Fatalf("ping with wrong password: err %v (code %d), want 390100", err, code)
	}
}
