package testemulator_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	_ "github.com/snowflakedb/gosnowflake"

	"github.com/snowflake-mcp/snowflake-mcp/testbin"
	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

func TestStartServesDemoWarehouse(t *testing.T) {
	emu := testemulator.Start(t)
	if emu.Host != "127.0.0.1" || emu.Port == 0 || !strings.HasSuffix(emu.AdminURL, "/emulator") {
		t.Fatalf("emulator address: %+v", emu)
	}
	db, err := sql.Open("snowflake", emu.DSN("DEMO", "SALES"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM REGIONS").Scan(&n); err != nil || n != 5 {
		t.Fatalf("REGIONS count %d, %v", n, err)
	}
	qs, err := emu.Queries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) != 1 || qs[0].SQL != "SELECT count(*) FROM REGIONS" || qs[0].State != "succeeded" || qs[0].Rows != 1 {
		t.Fatalf("admin view: %+v", qs)
	}
}

// TestSeedDir loads the repository's testdata/seed warehouse beside the demo one.
func TestSeedDir(t *testing.T) {
	root, err := testbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	emu := testemulator.Start(t, testemulator.WithSeedDir(filepath.Join(root, "testdata", "seed")))
	db, err := sql.Open("snowflake", emu.DSN("FINANCE", "LEDGER"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()

	var dbs []string
	rows, err := db.Query("SHOW DATABASES")
	if err != nil {
		t.Fatal(err)
	}
	cols, _ := rows.Columns()
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, c := range cols {
			if c == "name" {
				dbs = append(dbs, vals[i].String)
			}
		}
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(dbs, "DEMO") || !slices.Contains(dbs, "FINANCE") {
		t.Fatalf("SHOW DATABASES = %v, want DEMO and FINANCE", dbs)
	}

	var n int
	var total float64
	if err := db.QueryRow("SELECT count(*), sum(AMOUNT) FROM ENTRIES WHERE ACCOUNT_ID = 1").Scan(&n, &total); err != nil {
		t.Fatal(err)
	}
	// ACCOUNT_ID 1 holds i = 3, 6, ..., 999; AMOUNT = (i % 200) - 100.
	wantN, wantTotal := 0, 0.0
	for i := 3; i <= 1000; i += 3 {
		wantN++
		wantTotal += float64(i%200 - 100)
	}
	if n != wantN || total != wantTotal {
		t.Fatalf("FINANCE.LEDGER.ENTRIES for account 1: %d rows, sum %v; want %d, %v", n, total, wantN, wantTotal)
	}
}
