package reload

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// PIDHeader names the response header carrying the serving process's PID, so
// clients and tests can tell which generation answered.
const PIDHeader = "X-Served-By-Pid"

// GenerationHeader carries the serving process's generation (1 for a fresh
// start, one more per hand-off); UpgradesHeader, on /healthz and /readyz
// only, "<succeeded> <failed>" upgrades started from it (daemon reload reads
// it to tell a failed upgrade).
const (
	GenerationHeader = "X-Snowflake-Mcp-Generation"
	UpgradesHeader   = "X-Snowflake-Mcp-Upgrades"
)

// Middleware wraps the HTTP handler of every server this lifecycle drains:
// it stamps PIDHeader, answers with "Connection: close" once draining (so
// keep-alive clients move to the new generation between requests), and ties
// long-lived SSE GET streams to the drain so they end first.
func (l *Lifecycle) Middleware(next http.Handler) http.Handler {
	pid, gen := strconv.Itoa(l.pid), strconv.Itoa(l.generation)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(PIDHeader, pid)
		w.Header().Set(GenerationHeader, gen)
		if r.URL.Path == "/readyz" || r.URL.Path == "/healthz" {
			s := l.Stats()
			w.Header().Set(UpgradesHeader, fmt.Sprintf("%d %d", s.Upgrades, s.FailedUpgrades))
		}
		w = &closeWriter{ResponseWriter: w, l: l}
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

// closeWriter adds "Connection: close" when the headers go out during a
// drain. Setting it before the handler runs is not enough: the MCP SDK sets
// "Connection: keep-alive" on its event streams.
type closeWriter struct {
	http.ResponseWriter
	l    *Lifecycle
	sent bool
}

func (w *closeWriter) mark() {
	if !w.sent {
		w.sent = true
		if w.l.draining.Load() {
			w.Header().Set("Connection", "close")
		}
	}
}

func (w *closeWriter) WriteHeader(code int) {
	if code >= 200 {
		w.mark()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *closeWriter) Write(b []byte) (int, error) {
	w.mark()
	return w.ResponseWriter.Write(b)
}

// Flush keeps streaming responses streaming through the wrapper.
func (w *closeWriter) Flush() {
	w.mark()
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *closeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

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

// connState is what the drain needs to know about one connection.
type connState struct {
	state http.ConnState
	since time.Time
}

func (s *server) track(c net.Conn, st http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch st {
	case http.StateClosed, http.StateHijacked:
		delete(s.conns, c)
	default:
		s.conns[c] = connState{st, time.Now()}
	}
}

// sweep closes connections that have waited for a request for idleFor since
// the drain began, and returns how many connections remain open. Counting
// from the drain's start matters: a client may hold a connection it dialed
// long ago and never used, and Go's client never retries a request that fails
// on a connection's first use.
func (s *server) sweep(idleFor time.Duration, drainStart time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for c, cs := range s.conns {
		since := cs.since
		if since.Before(drainStart) {
			since = drainStart
		}
		if (cs.state == http.StateIdle || cs.state == http.StateNew) && now.Sub(since) >= idleFor {
			_ = c.Close()
			delete(s.conns, c)
		}
	}
	return len(s.conns)
}

// quiesce waits until every connection of s is gone or the deadline passes:
// busy ones close after their next answer ("Connection: close"), idle ones
// are closed by sweep.
func (s *server) quiesce(idleFor time.Duration, drainStart, deadline time.Time) {
	for s.sweep(idleFor, drainStart) > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}

// drain stops this generation: readiness 503, then after DrainDelay SSE
// streams ended, listeners closed, keep-alive clients told to reconnect,
// in-flight requests finished, queries given until the drain deadline and
// then cancelled, closers run. Run bounds the whole with a hard deadline.
func (l *Lifecycle) drain(servers []*server) error {
	l.draining.Store(true)
	if l.opts.Readiness != nil {
		l.opts.Readiness.SetDraining()
	}
	if l.opts.DrainDelay > 0 {
		// Still accepting, but /readyz says 503: balancers and Kubernetes
		// take this instance out before its listener goes away.
		l.log.Info("readiness off; listener stays open for drain_delay", "drain_delay", l.opts.DrainDelay)
		time.Sleep(l.opts.DrainDelay)
	}
	start := time.Now()
	deadline := start.Add(l.opts.DrainTimeout)
	l.drainCancel()

	// Stop accepting: the kernel queue stays with the new generation (or is
	// dropped on stop, once nothing listens).
	for _, s := range servers {
		s.closing.Store(true)
		if err := s.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			l.log.Warn("closing listener", "addr", s.ln.Addr(), "err", err)
		}
	}
	var wg, httpWG sync.WaitGroup
	httpDone := make(chan struct{})
	l.mu.Lock()
	q := l.opts.Queries
	l.mu.Unlock()
	if q != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithDeadline(context.Background(), deadline)
			defer cancel()
			err := q.Wait(ctx)
			if err == nil {
				// Idle now, but a request still being served may start a
				// query: the deadline holds for it until the servers drained.
				select {
				case <-httpDone:
					return
				case <-ctx.Done():
				}
				err = q.Wait(ctx) // ctx has ended: nil only when nothing runs
			}
			if err != nil {
				l.log.Warn("drain deadline reached; cancelling the queries still running", "drain_timeout", l.opts.DrainTimeout)
				q.CancelAll()
			}
		}()
	}
	// Requests get until the drain deadline plus part of the hard grace, so
	// the answers of queries cancelled at the deadline are still delivered.
	httpDeadline := deadline.Add(l.opts.HardGrace / 2)
	var errs []error
	for _, s := range servers {
		httpWG.Add(1)
		go func() {
			defer httpWG.Done()
			s.quiesce(l.opts.IdleGrace, start, httpDeadline)
			ctx, cancel := context.WithDeadline(context.Background(), httpDeadline)
			defer cancel()
			// Past the deadline the rest is cut: that is the configured
			// behaviour, so it is logged, not returned as a failure.
			if err := s.srv.Shutdown(ctx); err != nil {
				l.log.Warn("drain deadline passed; closing the remaining connections", "addr", s.ln.Addr(), "err", err)
				_ = s.srv.Close()
			}
		}()
	}
	httpWG.Wait()
	close(httpDone)
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
