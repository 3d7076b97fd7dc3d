package emulator

import (
	"context"
	"database/sql"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
)

// TestCompatMacrosInstall defines every session macro on a fresh DuckDB.
func TestCompatMacrosInstall(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	if _, err := db.ExecContext(context.Background(), compatMacros); err != nil {
		t.Fatalf("install macros: %v", err)
	}
}
