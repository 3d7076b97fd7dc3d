package reload

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// waitSignal closes returned once the drain's first Wait has returned.
type waitSignal struct {
	*fakeQueries
	once     sync.Once
	returned chan struct{}
}

func (q *waitSignal) Wait(ctx context.Context) error {
	err := q.fakeQueries.Wait(ctx)
	q.once.Do(func() { close(q.returned) })
	return err
}

// A request already being served when the drain starts may begin its query
// only after the drain found nothing running. The drain deadline must still
// cancel that query, so its answer is delivered before the servers are cut.
func TestDrainCancelsQueryStartedAfterIdleWait(t *testing.T) {
	queries := &waitSignal{fakeQueries: newFakeQueries(), returned: make(chan struct{})}
	drainCtx, drainCancel := context.WithCancel(context.Background())
	defer drainCancel()
	l := &Lifecycle{
		opts: Options{DrainTimeout: time.Second, HardGrace: 2 * time.Second, IdleGrace: 100 * time.Millisecond, Queries: queries},
		log:  slog.New(slog.DiscardHandler), pid: os.Getpid(), drainCtx: drainCtx, drainCancel: drainCancel,
	}
	inHandler := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/work", func(w http.ResponseWriter, r *http.Request) {
		close(inHandler)
		<-queries.returned
		if err := queries.run(r.Context(), time.Minute); err != nil {
			http.Error(w, "query cancelled: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "done")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l.AddServer(&http.Server{Handler: l.Middleware(mux), ReadHeaderTimeout: 5 * time.Second}, ln)
	s := l.servers[0]
	go func() { _ = s.srv.Serve(s.ln) }()

	type result struct {
		status int
		body   string
		err    error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/work")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{status: resp.StatusCode, body: string(b), err: err}
	}()
	<-inHandler

	start := time.Now()
	if err := l.drain([]*server{s}); err != nil {
		t.Fatalf("drain: %v", err)
	}
	took := time.Since(start)
	r := <-got
	if r.err != nil {
		t.Fatalf("request cut instead of answered with the cancellation (drain took %s): %v", took, r.err)
	}
	if r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, errAborted.Error()) {
		t.Fatalf("answer %d %q, want 503 with %q", r.status, r.body, errAborted.Error())
	}
	if httpDeadline := l.opts.DrainTimeout + l.opts.HardGrace/2; took >= httpDeadline {
		t.Fatalf("drain took %s, want the query cancelled at the %s deadline", took, l.opts.DrainTimeout)
	}
}
