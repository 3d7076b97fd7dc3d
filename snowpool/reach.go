package snowpool

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http/httptrace"
	"sync"
	"time"
)

// UnavailableError reports that Snowflake could not be reached: the call never
// got a connection to it within snowflake.connect_timeout, so no query ran.
type UnavailableError struct {
	Host    string // host:port the pool dials
	Timeout time.Duration
	Cause   error // the last connection error, when one was seen
	Dev     bool  // the development environment: the emulator is the usual cause
}

func (e *UnavailableError) Error() string {
	msg := fmt.Sprintf("Snowflake at %s is unreachable (no connection within snowflake.connect_timeout %s", e.Host, e.Timeout)
	if e.Cause != nil {
		msg += ": " + e.Cause.Error()
	}
	msg += "); no query ran. Check snowflake.host/port/account, the network and proxy between this server and Snowflake"
	if e.Dev {
		msg += " (development: `make run` starts the local emulator)"
	}
	return msg
}

func (e *UnavailableError) Unwrap() error { return e.Cause }

// errUnreachable is the cancel cause of a call that could not reach Snowflake.
var errUnreachable = errors.New("snowflake unreachable")

// reach follows one call's connection attempts (httptrace on every HTTP request
// the driver makes for it: login, renewal, query) and cancels the call when it
// has tried to connect for longer than the limit without getting a connection.
// A call waiting for a pooled session or for a slow answer on an open
// connection is left to query.timeout.
type reach struct {
	limit  time.Duration
	cancel context.CancelCauseFunc
	fast   bool // cancel at the first failed connection (readiness checks)

	mu        sync.Mutex
	trying    time.Time // when the current run of connection attempts began; zero when connected
	lastErr   error
	timer     *time.Timer
	connected bool // got a connection at least once
}

// withReach returns ctx traced by a reach with the given limit.
func withReach(ctx context.Context, limit time.Duration, fast bool) (context.Context, *reach, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	r := &reach{limit: limit, cancel: cancel, fast: fast}
	trace := &httptrace.ClientTrace{
		DNSStart:     func(httptrace.DNSStartInfo) { r.attempt() },
		ConnectStart: func(string, string) { r.attempt() },
		DNSDone: func(i httptrace.DNSDoneInfo) {
			if i.Err != nil {
				r.failed(i.Err)
			}
		},
		ConnectDone: func(_, _ string, err error) {
			if err != nil {
				r.failed(err)
			}
		},
		TLSHandshakeDone: func(_ tls.ConnectionState, err error) {
			if err != nil {
				r.failed(err)
			}
		},
		GotConn: func(httptrace.GotConnInfo) { r.got() },
	}
	return httptrace.WithClientTrace(ctx, trace), r, func() {
		r.mu.Lock()
		if r.timer != nil {
			r.timer.Stop()
		}
		r.mu.Unlock()
		cancel(nil)
	}
}

func (r *reach) attempt() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.trying.IsZero() {
		return
	}
	r.trying = time.Now()
	if r.timer == nil {
		r.timer = time.AfterFunc(r.limit, r.check)
	} else {
		r.timer.Reset(r.limit)
	}
}

func (r *reach) failed(err error) {
	r.attempt() // a no-op when attempt already began this run
	r.mu.Lock()
	r.lastErr = err
	fast := r.fast
	r.mu.Unlock()
	if fast {
		r.cancel(errUnreachable)
	}
}

func (r *reach) got() {
	r.mu.Lock()
	r.trying = time.Time{}
	r.connected = true
	r.mu.Unlock()
}

func (r *reach) check() {
	r.mu.Lock()
	if r.trying.IsZero() {
		r.mu.Unlock()
		return
	}
	if left := r.limit - time.Since(r.trying); left > 0 {
		r.timer.Reset(left)
		r.mu.Unlock()
		return
	}
	r.mu.Unlock()
	r.cancel(errUnreachable)
}

// lastError is the last connection error seen.
func (r *reach) lastError() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastErr
}

// health is the pool's view of whether Snowflake answers, from the latest call
// or check: the snowflake_mcp_snowflake_up metric and the logs read it.
type health struct {
	mu    sync.Mutex
	up    bool
	known bool
}

// set records the latest answer and reports the state before it.
func (h *health) set(up bool) (wasKnown, wasUp bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	wasKnown, wasUp = h.known, h.up
	h.up, h.known = up, true
	return wasKnown, wasUp
}

func (h *health) get() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.up
}

// down reports that the latest call or check could not reach Snowflake.
func (h *health) down() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.known && !h.up
}
