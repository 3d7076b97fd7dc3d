package emulator_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// TestConcurrentSessionsIsolated runs 64 sessions that each USE their own
// schema and check they only ever see their own state.
func TestConcurrentSessionsIsolated(t *testing.T) {
	emu := testemulator.Start(t)
	db := open(t, emu.DSN("DEMO", "PUBLIC"))
	db.SetMaxOpenConns(64)
	ctx := context.Background()
	const n = 64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- func() error {
				conn, err := db.Conn(ctx)
				if err != nil {
					return fmt.Errorf("session %d: conn: %w", i, err)
				}
				defer func() { _ = conn.Close() }()
				schema := fmt.Sprintf("S_%d", i)
				for _, q := range []string{
					"CREATE SCHEMA DEMO." + schema, "USE SCHEMA " + schema,
					"CREATE TABLE MINE (X INTEGER)", fmt.Sprintf("INSERT INTO MINE VALUES (%d)", i),
				} {
					if _, err := conn.ExecContext(ctx, q); err != nil {
						return fmt.Errorf("session %d: %s: %w", i, q, err)
					}
				}
				for range 5 {
					var cur string
					var x int
					if err := conn.QueryRowContext(ctx, "SELECT CURRENT_SCHEMA(), (SELECT X FROM MINE)").Scan(&cur, &x); err != nil {
						return fmt.Errorf("session %d: check: %w", i, err)
					}
					if cur != schema || x != i {
						return fmt.Errorf("session %d sees schema %s and X=%d", i, cur, x)
					}
				}
				return nil
			}()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
