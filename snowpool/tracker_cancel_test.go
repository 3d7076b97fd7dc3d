package snowpool

import (
	"context"
	"errors"
	"testing"
)

// After CancelAll (the drain deadline, or Close) a query that a handler starts
// late must not run on unbounded: its context is cancelled as it begins.
func TestCancelAllAlsoCancelsLaterQueries(t *testing.T) {
	tr := NewTracker()
	ctx, q := tr.begin(context.Background(), "execute_query", "r1")
	tr.CancelAll()
	if !errors.Is(context.Cause(ctx), ErrCancelledByServer) {
		t.Fatalf("running query: cause %v, want ErrCancelledByServer", context.Cause(ctx))
	}
	tr.end(q, StateCancelled)

	late, q2 := tr.begin(context.Background(), "execute_query", "r2")
	defer tr.end(q2, StateCancelled)
	select {
	case <-late.Done():
	default:
		t.Fatal("a query begun after CancelAll was not cancelled")
	}
	if !errors.Is(context.Cause(late), ErrCancelledByServer) {
		t.Fatalf("late query: cause %v, want ErrCancelledByServer", context.Cause(late))
	}
}
