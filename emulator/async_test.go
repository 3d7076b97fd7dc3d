package emulator_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// TestAsyncAfterPolling: queries outliving --async-after answer 333334 and
// the driver collects the rows by polling the result URL.
func TestAsyncAfterPolling(t *testing.T) {
	emu := testemulator.Start(t, testemulator.WithAsyncAfter(200*time.Millisecond))
	db := open(t, emu.DSN("DEMO", "SALES"))
	ctx := context.Background()
	var msg string
	start := time.Now()
	if err := db.QueryRowContext(ctx, "SELECT SYSTEM$WAIT(1500, 'MILLISECONDS')").Scan(&msg); err != nil {
		t.Fatalf("wait: %v", err)
	}
	t.Logf("SYSTEM$WAIT took %v", time.Since(start))
	if !strings.HasPrefix(msg, "waited") || time.Since(start) < 1500*time.Millisecond {
		t.Fatalf("SYSTEM$WAIT returned %q after %v", msg, time.Since(start))
	}
	// A slow real query; DuckDB needs a few hundred ms for it.
	var n, sum int64
	start = time.Now()
	q := "SELECT count(*), sum(i % 7) FROM range(300000000) t(i)"
	if err := db.QueryRowContext(ctx, q).Scan(&n, &sum); err != nil {
		t.Fatalf("slow query: %v", err)
	}
	t.Logf("slow query took %v", time.Since(start))
	if n != 300000000 || sum == 0 {
		t.Fatalf("count = %d, sum = %d", n, sum)
	}
	qs, err := emu.Queries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var waitPolled bool
	for _, qi := range qs {
		if qi.State != "succeeded" || qi.End == nil {
			t.Fatalf("admin view: %+v", qi)
		}
		if strings.HasPrefix(qi.SQL, "SELECT SYSTEM$WAIT") {
			waitPolled = qi.Polls > 0
		}
		if qi.SQL == q {
			t.Logf("slow query polled %d times", qi.Polls)
		}
	}
	if !waitPolled {
		t.Fatalf("SYSTEM$WAIT was not answered through result polling: %+v", qs)
	}
}

// TestCancelWait: cancelling the caller's context stops SYSTEM$WAIT quickly,
// both while the query-request is open and while the driver polls.
func TestCancelWait(t *testing.T) {
	for _, tc := range []struct {
		name       string
		asyncAfter time.Duration
	}{{"in-request", 45 * time.Second}, {"while-polling", 100 * time.Millisecond}} {
		t.Run(tc.name, func(t *testing.T) {
			emu := testemulator.Start(t, testemulator.WithAsyncAfter(tc.asyncAfter))
			db := open(t, emu.DSN("DEMO", "SALES"))
			if err := db.Ping(); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(500*time.Millisecond, cancel)
			start := time.Now()
			_, err := db.ExecContext(ctx, "SELECT SYSTEM$WAIT(30)")
			took := time.Since(start) - 500*time.Millisecond
			if err == nil {
				t.Fatal("SYSTEM$WAIT(30) was not cancelled")
			}
			if !errors.Is(err, context.Canceled) && !strings.Contains(err.Error(), "cancel") {
				t.Logf("cancel error: %v", err)
			}
			if took > time.Second {
				t.Fatalf("cancel took %v after the context was cancelled", took)
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				qs, err := emu.Queries(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				state := ""
				for _, q := range qs {
					if q.SQL == "SELECT SYSTEM$WAIT(30)" {
						state = q.State
					}
				}
				if state == "aborted" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("admin view state %q, want aborted (%+v)", state, qs)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}
