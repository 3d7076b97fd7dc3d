package emulator_test

import (
	"context"
	"testing"

	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// TestLargeResultChunks: 200,000 rows arrive complete and in order through
// the driver's chunk downloader.
func TestLargeResultChunks(t *testing.T) {
	emu := testemulator.Start(t, testemulator.WithChunkRows(7000))
	db := open(t, emu.DSN("DEMO", "SALES"))
	ctx := context.Background()
	rows, err := db.QueryContext(ctx, "SELECT ORDER_ID, STATUS, AMOUNT FROM ORDERS WHERE ORDER_ID <= 200000 ORDER BY ORDER_ID")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	var want int64 = 1
	for rows.Next() {
		var id int64
		var status string
		var amount float64
		if err := rows.Scan(&id, &status, &amount); err != nil {
			t.Fatalf("row %d: %v", want, err)
		}
		if id != want {
			t.Fatalf("row %d has ORDER_ID %d", want, id)
		}
		if wantStatus := []string{"NEW", "SHIPPED", "DELIVERED", "RETURNED"}[id%4]; status != wantStatus || amount <= 0 {
			t.Fatalf("row %d: status %q amount %v", id, status, amount)
		}
		want++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if want-1 != 200000 {
		t.Fatalf("got %d rows, want 200000", want-1)
	}
	qs, err := emu.Queries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	last := qs[len(qs)-1]
	if last.Rows != 200000 || last.ChunkFetches != 28 {
		t.Fatalf("admin view: rows %d, chunk fetches %d (want 200000, 28)", last.Rows, last.ChunkFetches)
	}
}
