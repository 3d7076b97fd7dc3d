package reload

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// PIDHeader names the response header carrying the serving process's PID, so
// clients and tests can tell which generation answered.
const PIDHeader = "X-Served-By-Pid"

// Middleware wraps the HTTP handler of every server this lifecycle drains:
// it stamps PIDHeader, answers with "Connection: close" once draining (so
// keep-alive clients move to the new generation between requests), and ties
// long-lived SSE GET streams to the drain so they end first.
func (l *Lifecycle) Middleware(next http.Handler) http.Handler {
	pid := strconv.Itoa(l.pid)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(PIDHeader, pid)
		if l.draining.Load() {
			w.Header().Set("Connection", "close")
		}
		if r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
			ctx, cancel := context.WithCancel(r.Context())
			defer cancel()
			stop := context.AfterFunc(l.drainCtx, cancel)
			defer stop()
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(w, r)
	})
}

// onceCloseListener lets the drain close the listener before Shutdown does
// without Shutdown then reporting "use of closed network connection".
type onceCloseListener struct {
	net.Listener
	once sync.Once
	err  error
}

func (l *onceCloseListener) Close() error {
	l.once.Do(func() { l.err = l.Listener.Close() })
	return l.err
}

func (s *server) track(c net.Conn, st http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch st {
	case http.StateClosed, http.StateHijacked:
		delete(s.conns, c)
	default:
		s.conns[c] = st
	}
}

func (s *server) idle() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, st := range s.conns {
		if st == http.StateIdle {
			n++
		}
	}
	return n
}

// drain stops this generation: readiness 503, SSE streams ended, listeners
// closed, keep-alive clients told to reconnect, in-flight requests finished,
// queries given until the drain deadline and then cancelled, closers run. A
// timer force-exits if all that hangs past DrainTimeout+HardGrace.
func (l *Lifecycle) drain(servers []*server) error {
	start := time.Now()
	deadline := start.Add(l.opts.DrainTimeout)
	hard := time.AfterFunc(l.opts.DrainTimeout+l.opts.HardGrace, func() {
		l.log.Error("drain overran its hard deadline; exiting now", "after", time.Since(start))
		os.Exit(1)
	})
	defer hard.Stop()

	l.draining.Store(true)
	if l.opts.Readiness != nil {
		l.opts.Readiness.SetDraining()
	}
	l.drainCancel()

	// Stop accepting: the kernel queue stays with the new generation (or is
	// dropped on stop, once nothing listens).
	for _, s := range servers {
		s.closing.Store(true)
		if err := s.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			l.log.Warn("closing listener", "addr", s.ln.Addr(), "err", err)
		}
	}
	// Idle keep-alive connections would race a server-side close with the
	// client's next request; give busy clients a moment to send it and get
	// "Connection: close" back.
	idleUntil := time.Now().Add(l.opts.IdleGrace)
	for time.Now().Before(idleUntil) {
		n := 0
		for _, s := range servers {
			n += s.idle()
		}
		if n == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}

	var wg sync.WaitGroup
	l.mu.Lock()
	q := l.opts.Queries
	l.mu.Unlock()
	if q != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithDeadline(context.Background(), deadline)
			defer cancel()
			if err := q.Wait(ctx); err != nil {
				l.log.Warn("drain deadline reached; cancelling the queries still running", "drain_timeout", l.opts.DrainTimeout)
				q.CancelAll()
			}
		}()
	}
	// Requests get until the drain deadline plus part of the hard grace, so
	// the answers of queries cancelled at the deadline are still delivered.
	httpDeadline := deadline.Add(l.opts.HardGrace / 2)
	errs := make([]error, len(servers))
	for i, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithDeadline(context.Background(), httpDeadline)
			defer cancel()
			if err := s.srv.Shutdown(ctx); err != nil {
				errs[i] = fmt.Errorf("reload: drain %s: %w", s.ln.Addr(), err)
				_ = s.srv.Close()
			}
		}()
	}
	wg.Wait()

	l.mu.Lock()
	closers := append([]func(context.Context) error(nil), l.closers...)
	l.mu.Unlock()
	ctx, cancel := context.WithDeadline(context.Background(), start.Add(l.opts.DrainTimeout+l.opts.HardGrace*3/4))
	defer cancel()
	for _, fn := range closers {
		if err := fn(ctx); err != nil {
			errs = append(errs, fmt.Errorf("reload: shutdown hook: %w", err))
		}
	}
	err := errors.Join(errs...)
	if err != nil {
		l.log.Warn("drain finished with errors", "took", time.Since(start), "err", err)
	} else {
		l.log.Info("drain finished", "took", time.Since(start))
	}
	return err
}
