package emulator_test

import (
	"context"
	"testing"

	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// BenchmarkSelect1 measures full round trips (query-request and response) through gosnowflake.
func BenchmarkSelect1(b *testing.B) {
	emu := testemulator.Start(b, testemulator.WithArgs("--log-level", "warn"))
	db := open(b, emu.DSN("DEMO", "SALES"))
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	if err := db.PingContext(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		var n int
		if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&n); err != nil || n != 1 {
			b.Fatalf("select 1: %d, %v", n, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "roundtrips/s")
}

// BenchmarkFetch100k measures row throughput of a 100,000-row result (inline part plus chunks).
func BenchmarkFetch100k(b *testing.B) {
	emu := testemulator.Start(b, testemulator.WithArgs("--log-level", "warn"))
	db := open(b, emu.DSN("DEMO", "SALES"))
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	if err := db.PingContext(ctx); err != nil {
		b.Fatal(err)
	}
	var total int64
	b.ResetTimer()
	for b.Loop() {
		rows, err := db.QueryContext(ctx, "SELECT ORDER_ID, CUSTOMER_ID, ORDER_DATE, AMOUNT, STATUS FROM ORDERS WHERE ORDER_ID <= 100000")
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var id, cust int64
			var date, amount, status string
			if err := rows.Scan(&id, &cust, &date, &amount, &status); err != nil {
				b.Fatal(err)
			}
			n++
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		_ = rows.Close()
		if n != 100000 {
			b.Fatalf("got %d rows", n)
		}
		total += int64(n)
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "rows/s")
}
