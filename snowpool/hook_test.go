package snowpool_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/logging"
	"github.com/snowflake-mcp/snowflake-mcp/snowpool"
)

type queryEnd struct {
	tool, state string
	d           time.Duration
	rows        int64
}

// TestOnQueryEnd checks the metrics hook: one call per query, before Query returns, with
// the tool, the final state for each outcome, the duration and the rows read.
func TestOnQueryEnd(t *testing.T) {
	emu := startEmulator(t)
	cfg := sfConfig(emu)
	cfg.Query.Timeout = 2 * time.Second
	var mu sync.Mutex
	var ends []queryEnd
	p, err := snowpool.Open(&cfg, logging.Discard(), snowpool.Options{
		ServerName: "snowflake-mcp-test",
		OnQueryEnd: func(tool, state string, d time.Duration, rows int64) {
			mu.Lock()
			ends = append(ends, queryEnd{tool, state, d, rows})
			mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	ctx := context.Background()
	var v string

	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	for _, c := range []struct {
		ctx   context.Context
		tool  string
		sql   string
		state string
		rows  int64
	}{
		{ctx, "execute_query", "SELECT 1 UNION ALL SELECT 2", snowpool.StateOK, 2},
		{ctx, "describe_table", "SELECT * FROM no_such_table_for_hook", snowpool.StateError, 0},
		{ctx, "execute_query", "SELECT SYSTEM$WAIT(30)", snowpool.StateTimeout, 0},
		{short, "query_view", "SELECT SYSTEM$WAIT(30)", snowpool.StateCancelled, 0},
	} {
		mu.Lock()
		n := len(ends)
		mu.Unlock()
		_, qerr := p.Query(c.ctx, snowpool.Statement{Tool: c.tool, RequestID: "r", SQL: c.sql}, scanOne(&v))
		mu.Lock()
		got := ends[n:]
		mu.Unlock()
		if len(got) != 1 {
			t.Fatalf("%q: hook called %d times before Query returned, want 1", c.sql, len(got))
		}
		e := got[0]
		if e.tool != c.tool || e.state != c.state || e.rows != c.rows || e.d <= 0 {
			t.Errorf("%q (err %v): hook got %+v, want tool %s state %s rows %d", c.sql, qerr, e, c.tool, c.state, c.rows)
		}
		if c.state == snowpool.StateTimeout && e.d < cfg.Query.Timeout {
			t.Errorf("timeout reported after %v, before query.timeout %v", e.d, cfg.Query.Timeout)
		}
	}
}
