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
	if got := names(rowsAsMaps(t, db, "SHOW COLUMNS IN TABLE DEMO.SALES.REGIONS"), "column_name"); !slices.Equal(got, []string{"REGION_ID", "NAME", "COUNTRY"}) {
		t.Fatalf("SHOW COLUMNS IN TABLE = %v", got)
	}
	all := rowsAsMaps(t, db, "SHOW TABLES IN DATABASE DEMO")
	if got := names(all, "schema_name"); !slices.Contains(got, "SALES") || !slices.Contains(got, "MARKETING") {
		t.Fatalf("SHOW TABLES IN DATABASE schemas = %v", got)
	}
	if got := names(rowsAsMaps(t, db, `SHOW TERSE VIEWS IN SCHEMA "DEMO"."MARKETING" LIMIT 1`), "name"); !slices.Equal(got, []string{"CAMPAIGN_PERFORMANCE"}) {
		t.Fatalf("SHOW VIEWS quoted scope = %v", got)
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

func TestInformationSchemaAndIdentifiers(t *testing.T) {
	emu := testemulator.Start(t)
	db := open(t, emu.DSN("DEMO", "SALES"))
	db.SetMaxOpenConns(1)
	tables := rowsAsMaps(t, db, "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, ROW_COUNT, COMMENT FROM DEMO.INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'SALES' ORDER BY TABLE_NAME")
	var got []string
	for _, r := range tables {
		got = append(got, r["TABLE_NAME"]+":"+r["TABLE_TYPE"])
		if r["TABLE_NAME"] == "ORDERS" && (r["ROW_COUNT"] != "300000" || r["COMMENT"] == "") {
			t.Fatalf("ORDERS row: %v", r)
		}
	}
	want := []string{"CUSTOMERS:BASE TABLE", "CUSTOMER_SUMMARY:VIEW", "DAILY_REVENUE:VIEW", "ORDERS:BASE TABLE", "PRODUCTS:BASE TABLE", "REGIONS:BASE TABLE"}
	if !slices.Equal(got, want) {
		t.Fatalf("INFORMATION_SCHEMA.TABLES = %v, want %v", got, want)
	}
	cols := rowsAsMaps(t, db, "select column_name, data_type, numeric_precision, numeric_scale, is_nullable from information_schema.columns c where c.table_name = 'ORDERS' order by ordinal_position")
	if len(cols) != 8 || cols[6]["COLUMN_NAME"] != "AMOUNT" || cols[6]["DATA_TYPE"] != "NUMBER" || cols[6]["NUMERIC_SCALE"] != "2" || cols[4]["DATA_TYPE"] != "TIMESTAMP_NTZ" {
		t.Fatalf("INFORMATION_SCHEMA.COLUMNS = %v", cols)
	}
	schemata := names(rowsAsMaps(t, db, "SELECT SCHEMA_NAME FROM DEMO.INFORMATION_SCHEMA.SCHEMATA"), "SCHEMA_NAME")
	if !slices.Contains(schemata, "MARKETING") || !slices.Contains(schemata, "INFORMATION_SCHEMA") {
		t.Fatalf("SCHEMATA = %v", schemata)
	}
	views := names(rowsAsMaps(t, db, "SELECT TABLE_NAME FROM DEMO.INFORMATION_SCHEMA.VIEWS"), "TABLE_NAME")
	if len(views) != 3 {
		t.Fatalf("VIEWS = %v", views)
	}
	// Unquoted identifiers are upper-cased, quoted ones keep their case.
	for _, q := range []string{`create table mixed (lower_col int, "quoted_col" int)`, `insert into mixed values (1, 2)`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	r := rowsAsMaps(t, db, `select lower_col, "quoted_col", lower_col + 1 as plus_one from MIXED`)
	if r[0]["LOWER_COL"] != "1" || r[0]["quoted_col"] != "2" || r[0]["PLUS_ONE"] != "2" {
		t.Fatalf("identifier case: %v", r)
	}
	if got := names(rowsAsMaps(t, db, "SHOW TABLES LIKE 'MIX%'"), "name"); !slices.Equal(got, []string{"MIXED"}) {
		t.Fatalf("created table listed as %v", got)
	}
	var version string
	if err := db.QueryRow("SELECT CURRENT_VERSION()").Scan(&version); err != nil || version == "" {
		t.Fatalf("CURRENT_VERSION: %q %v", version, err)
	}
}
