package emulator_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"

	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// rowsAsMaps reads every row as column name -> value text.
func rowsAsMaps(t *testing.T, db *sql.DB, q string) []map[string]string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer func() { _ = rows.Close() }()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("%s: scan: %v", q, err)
		}
		m := map[string]string{}
		for i, c := range cols {
			m[c] = vals[i].String
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

func names(rows []map[string]string, col string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r[col])
	}
	return out
}

func TestShowAndDescribe(t *testing.T) {
	emu := testemulator.Start(t)
	db := open(t, emu.DSN("", ""))
	db.SetMaxOpenConns(1)

	if got := names(rowsAsMaps(t, db, "SHOW DATABASES"), "name"); !slices.Contains(got, "DEMO") || slices.Contains(got, "memory") {
		t.Fatalf("SHOW DATABASES names = %v", got)
	}
	schemas := names(rowsAsMaps(t, db, "SHOW SCHEMAS IN DATABASE DEMO"), "name")
	if !slices.Contains(schemas, "SALES") || !slices.Contains(schemas, "MARKETING") || slices.Contains(schemas, "main") {
		t.Fatalf("SHOW SCHEMAS = %v", schemas)
	}
	tables := rowsAsMaps(t, db, "SHOW TABLES IN SCHEMA DEMO.SALES")
	var orders map[string]string
	for _, r := range tables {
		if r["name"] == "ORDERS" {
			orders = r
		}
	}
	if orders == nil || orders["database_name"] != "DEMO" || orders["schema_name"] != "SALES" || orders["kind"] != "TABLE" || orders["comment"] == "" {
		t.Fatalf("SHOW TABLES: ORDERS row = %v (all: %v)", orders, names(tables, "name"))
	}
	if slices.Contains(names(tables, "name"), "DAILY_REVENUE") {
		t.Fatalf("SHOW TABLES lists a view: %v", names(tables, "name"))
	}
	views := rowsAsMaps(t, db, "SHOW VIEWS IN DATABASE DEMO")
	if got := names(views, "name"); !slices.Contains(got, "DAILY_REVENUE") || !slices.Contains(got, "CAMPAIGN_PERFORMANCE") {
		t.Fatalf("SHOW VIEWS = %v", got)
	}
	if got := names(rowsAsMaps(t, db, "SHOW TABLES LIKE 'cust%' IN SCHEMA DEMO.SALES"), "name"); !slices.Equal(got, []string{"CUSTOMERS"}) {
		t.Fatalf("SHOW TABLES LIKE = %v", got)
	}
	desc := rowsAsMaps(t, db, "DESCRIBE TABLE DEMO.SALES.ORDERS")
	if len(desc) != 8 || desc[0]["name"] != "ORDER_ID" || desc[0]["type"] != "NUMBER(38,0)" || desc[0]["primary key"] != "Y" || desc[0]["null?"] != "N" {
		t.Fatalf("DESCRIBE ORDERS first row = %v (%d rows)", desc[0], len(desc))
	}
	for _, r := range desc {
		if r["name"] == "AMOUNT" && (r["type"] != "NUMBER(12,2)" || r["comment"] == "") {
			t.Fatalf("DESCRIBE AMOUNT = %v", r)
		}
	}
	vdesc := rowsAsMaps(t, db, "DESC VIEW DEMO.SALES.DAILY_REVENUE")
	if got := names(vdesc, "name"); !slices.Equal(got, []string{"ORDER_DATE", "ORDERS", "REVENUE"}) {
		t.Fatalf("DESC VIEW columns = %v", got)
	}
	_, err := db.Exec("DESCRIBE TABLE DEMO.SALES.NOPE")
	if code := sfCode(err); code != 2003 {
		t.Fatalf("describe missing table: %v (code %d), want 002003", err, code)
	}
	_, err = db.Exec("SELECT * FROM DEMO.SALES.NOPE")
	if code := sfCode(err); code != 2003 {
		t.Fatalf("select missing table: %v (code %d), want 002003", err, code)
	}
	_, err = db.Exec("SELEC 1")
	if code := sfCode(err); code != 1003 {
		t.Fatalf("syntax error: %v (code %d), want 001003", err, code)
	}
}

func TestUseAndCreateDatabase(t *testing.T) {
	emu := testemulator.Start(t)
	db := open(t, emu.DSN("", ""))
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	for _, q := range []string{
		"CREATE DATABASE scratch", "CREATE SCHEMA work", "USE SCHEMA work",
		"create table t (id number, note string comment 'a note')", "insert into t values (1, 'one'), (2, 'two')",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	res, err := db.ExecContext(ctx, "update t set note = 'x' where id >= 1")
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 2 {
		t.Fatalf("rows affected = %d, want 2", n)
	}
	var cdb, csc string
	if err := db.QueryRowContext(ctx, "select current_database(), current_schema()").Scan(&cdb, &csc); err != nil {
		t.Fatal(err)
	}
	if cdb != "SCRATCH" || csc != "WORK" {
		t.Fatalf("namespace %s.%s, want SCRATCH.WORK", cdb, csc)
	}
	if got := names(rowsAsMaps(t, db, "SHOW TABLES"), "name"); !slices.Equal(got, []string{"T"}) {
		t.Fatalf("SHOW TABLES in SCRATCH.WORK = %v", got)
	}
	var n int
	if err := db.QueryRowContext(ctx, "select count(*) from scratch.work.t").Scan(&n); err != nil || n != 2 {
		t.Fatalf("three-part count = %d, %v", n, err)
	}
	if _, err := db.ExecContext(ctx, "USE DATABASE nosuch"); err == nil {
		t.Fatal("USE DATABASE nosuch succeeded")
	}
	if _, err := db.ExecContext(ctx, "DROP DATABASE scratch"); err != nil {
		t.Fatal(err)
	}
	if got := names(rowsAsMaps(t, db, "SHOW DATABASES"), "name"); slices.Contains(got, "SCRATCH") {
		t.Fatalf("dropped database still listed: %v", got)
	}
	_ = fmt.Sprint()
}
