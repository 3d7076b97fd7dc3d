package snowpool

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Query states.
const (
	StateRunning   = "running"
	StateOK        = "ok"
	StateError     = "error"
	StateCancelled = "cancelled"
	StateTimeout   = "timeout"
)

// QueryInfo describes one query the tracker knows about.
type QueryInfo struct {
	ID        uint64    `json:"id"`
	Tool      string    `json:"tool"`
	RequestID string    `json:"request_id"`
	QueryID   string    `json:"query_id"` // Snowflake's id, once the first response named it
	Started   time.Time `json:"started"`
	State     string    `json:"state"`
}

// Tracker knows every query that runs through the pool. The drain on upgrade
// and shutdown builds on it: Active lists what runs, Wait blocks until nothing
// does, CancelAll cancels every query's context (the driver then sends
// Snowflake the abort request).
type Tracker struct {
	next atomic.Uint64

	mu     sync.Mutex
	active map[uint64]*tracked
	idle   chan struct{} // closed while nothing runs
	// cancelled is set by CancelAll: the process is going away, so a query
	// that a handler starts after the drain deadline is cancelled at once.
	cancelled bool
}

type tracked struct {
	mu     sync.Mutex
	info   QueryInfo
	cancel context.CancelCauseFunc
}

// ErrCancelledByServer is the cause given to queries cancelled by CancelAll.
var ErrCancelledByServer = errors.New("query cancelled by the server (shutdown or upgrade)")

// NewTracker returns an empty tracker.
func NewTracker() *Tracker {
	idle := make(chan struct{})
	close(idle)
	return &Tracker{active: map[uint64]*tracked{}, idle: idle}
}

// begin registers a query and returns its context, which CancelAll cancels.
func (t *Tracker) begin(ctx context.Context, tool, requestID string) (context.Context, *tracked) {
	ctx, cancel := context.WithCancelCause(ctx)
	q := &tracked{cancel: cancel, info: QueryInfo{
		ID: t.next.Add(1), Tool: tool, RequestID: requestID, Started: time.Now(), State: StateRunning,
	}}
	t.mu.Lock()
	if len(t.active) == 0 {
		t.idle = make(chan struct{})
	}
	t.active[q.info.ID] = q
	cancelled := t.cancelled
	t.mu.Unlock()
	if cancelled {
		cancel(ErrCancelledByServer)
	}
	return ctx, q
}

func (q *tracked) setQueryID(id string) {
	q.mu.Lock()
	if q.info.QueryID == "" {
		q.info.QueryID = id
	}
	q.mu.Unlock()
}

func (q *tracked) snapshot() QueryInfo {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.info
}

// end removes a finished query and returns its final description.
func (t *Tracker) end(q *tracked, state string) QueryInfo {
	q.mu.Lock()
	q.info.State = state
	info := q.info
	q.mu.Unlock()
	q.cancel(nil)
	t.mu.Lock()
	delete(t.active, info.ID)
	if len(t.active) == 0 {
		close(t.idle)
	}
	t.mu.Unlock()
	return info
}

// Active lists the running queries, oldest first.
func (t *Tracker) Active() []QueryInfo {
	t.mu.Lock()
	qs := make([]*tracked, 0, len(t.active))
	for _, q := range t.active {
		qs = append(qs, q)
	}
	t.mu.Unlock()
	out := make([]QueryInfo, 0, len(qs))
	for _, q := range qs {
		out = append(out, q.snapshot())
	}
	slices.SortFunc(out, func(a, b QueryInfo) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Wait blocks until no query runs or ctx ends (then it returns ctx's error).
func (t *Tracker) Wait(ctx context.Context) error {
	for {
		t.mu.Lock()
		idle := t.idle
		n := len(t.active)
		t.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// CancelAll cancels every running query's context, and every later one's as it
// begins; each then ends with StateCancelled. It is for a process going away.
func (t *Tracker) CancelAll() {
	t.mu.Lock()
	t.cancelled = true
	qs := make([]*tracked, 0, len(t.active))
	for _, q := range t.active {
		qs = append(qs, q)
	}
	t.mu.Unlock()
	for _, q := range qs {
		q.cancel(ErrCancelledByServer)
	}
}
