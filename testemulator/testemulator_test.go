package testemulator_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	_ "github.com/snowflakedb/gosnowflake"

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
