package limits

import (
	"context"
	"fmt"
	"math"
	"time"

	"golang.org/x/sync/semaphore"
)

// QueryGate caps the Snowflake queries running at once across the process.
type QueryGate struct {
	sem     *semaphore.Weighted
	max     int
	timeout time.Duration
}

// NewQueryGate allows max queries at once; a query waits at most timeout for a slot.
func NewQueryGate(max int, timeout time.Duration) *QueryGate {
	if max < 1 {
		max = 1
	}
	return &QueryGate{sem: semaphore.NewWeighted(int64(max)), max: max, timeout: timeout}
}

// BusyError is the answer to a query that found no free slot within limits.queue_timeout.
type BusyError struct {
	Max     int
	Waited  time.Duration
	RetryIn int // seconds
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("server busy: %d Snowflake queries are already running (limits.max_concurrent_queries) and none finished within %s; retry in %d s",
		e.Max, e.Waited.Round(time.Millisecond), e.RetryIn)
}

// Acquire waits for a slot; the returned release must be called when the query ends.
// It fails with *BusyError after the queue timeout, or with ctx's error when ctx ends first.
// A nil gate admits everything.
func (g *QueryGate) Acquire(ctx context.Context) (release func(), err error) {
	if g == nil {
		return func() {}, nil
	}
	if g.sem.TryAcquire(1) {
		return func() { g.sem.Release(1) }, nil
	}
	start := time.Now()
	wctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	if err := g.sem.Acquire(wctx, 1); err != nil {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		return nil, &BusyError{Max: g.max, Waited: time.Since(start), RetryIn: int(math.Max(1, math.Ceil(g.timeout.Seconds())))}
	}
	return func() { g.sem.Release(1) }, nil
}
