package snowpool

import (
	"context"
	"database/sql/driver"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/snowflakedb/gosnowflake"
)

// sessionGoneCodes are the Snowflake error numbers that mean a session or its
// tokens are gone, so only a new login helps. Taken from gosnowflake v1.19.1's
// errors.go and the GS codes it handles: the driver renews an expired session
// token (390112) by itself and returns these only when that cannot work.
var sessionGoneCodes = map[int]string{
	390104:                              "user must log in again (the server no longer knows the session)",
	gosnowflake.ErrSessionGone:          "session no longer exists",
	390112:                              "session expired and could not be renewed",
	390114:                              "master token expired",
	390195:                              "ID token invalid",
	390318:                              "OAuth access token expired",
	gosnowflake.ErrFailedToRenewSession: "session renewal failed",
}

// sessionGone reports whether err means the session it came from must log in again.
func sessionGone(err error) bool {
	var se *gosnowflake.SnowflakeError
	if errors.As(err, &se) {
		_, ok := sessionGoneCodes[se.Number]
		return ok
	}
	return false
}

// healer wraps the driver's connector so the pool can drop sessions it knows
// are gone without a round trip: each connection remembers when it logged in,
// and a session found gone marks every connection logged in before that
// moment as suspect (a server restart or a token purge takes all of them).
type healer struct {
	driver.Connector
	// stale is the UnixNano before which logins are suspect (0: none).
	stale atomic.Int64
	// background counts driver calls left running after their caller gave up,
	// and closes of gone sessions: Pool.Close waits for them, bounded.
	background sync.WaitGroup
}

func (h *healer) Connect(ctx context.Context) (driver.Conn, error) {
	c, err := h.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &healingConn{Conn: c, h: h, born: time.Now().UnixNano()}, nil
}

// sessionsGoneBefore marks the sessions logged in before now as suspect.
func (h *healer) sessionsGoneBefore(t time.Time) {
	n := t.UnixNano()
	for {
		cur := h.stale.Load()
		if cur >= n || h.stale.CompareAndSwap(cur, n) {
			return
		}
	}
}

// healingConn is a gosnowflake connection that database/sql discards once its
// session is known or suspected gone (ResetSession and IsValid).
type healingConn struct {
	driver.Conn
	h    *healer
	born int64
	bad  atomic.Bool
	once sync.Once
	// inflight is the driver call left running by detach; Close waits for it,
	// since the driver's connection is not safe to close under a running call.
	inflight sync.WaitGroup
}

var (
	_ driver.SessionResetter    = (*healingConn)(nil)
	_ driver.Validator          = (*healingConn)(nil)
	_ driver.QueryerContext     = (*healingConn)(nil)
	_ driver.ExecerContext      = (*healingConn)(nil)
	_ driver.ConnPrepareContext = (*healingConn)(nil)
	_ driver.ConnBeginTx        = (*healingConn)(nil)
	_ driver.Pinger             = (*healingConn)(nil)
	_ driver.NamedValueChecker  = (*healingConn)(nil)
)

func (c *healingConn) valid() bool { return !c.bad.Load() && c.born > c.h.stale.Load() }

// ResetSession runs when database/sql hands out a pooled connection.
func (c *healingConn) ResetSession(context.Context) error {
	if !c.valid() {
		return driver.ErrBadConn
	}
	return nil
}

// IsValid runs when a connection goes back to the pool.
func (c *healingConn) IsValid() bool { return c.valid() }

// observe marks the connection bad when err says its session is gone.
func (c *healingConn) observe(err error) error {
	if err != nil && sessionGone(err) {
		c.bad.Store(true)
		c.h.sessionsGoneBefore(time.Now())
	}
	return err
}

// detach runs call but returns as soon as ctx ends. gosnowflake answers a
// cancelled statement only after its abort request got through, retried on a
// background context for tens of seconds when Snowflake is down; the caller
// must not wait for that. The connection is then marked bad, and the call and
// the connection's close finish in the background (discard releases a result
// that arrives too late).
func detach[T any](ctx context.Context, c *healingConn, call func() (T, error), discard func(T)) (T, error) {
	if ctx.Done() == nil {
		return call()
	}
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	c.inflight.Add(1)
	go func() {
		defer c.inflight.Done()
		v, err := call()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		c.bad.Store(true)
		c.h.background.Add(1)
		go func() {
			defer c.h.background.Done()
			if r := <-ch; r.err == nil && discard != nil {
				discard(r.v)
			}
		}()
		var zero T
		return zero, ctx.Err()
	}
}

func (c *healingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := detach(ctx, c, func() (driver.Rows, error) {
		return c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
	}, func(r driver.Rows) { _ = r.Close() })
	return rows, c.observe(err)
}

func (c *healingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	res, err := detach(ctx, c, func() (driver.Result, error) {
		return c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
	}, nil)
	return res, c.observe(err)
}

func (c *healingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
}

func (c *healingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
	return tx, c.observe(err)
}

func (c *healingConn) Ping(ctx context.Context) error {
	_, err := detach(ctx, c, func() (struct{}, error) {
		return struct{}{}, c.Conn.(driver.Pinger).Ping(ctx)
	}, nil)
	return c.observe(err)
}

func (c *healingConn) CheckNamedValue(nv *driver.NamedValue) error {
	return c.Conn.(driver.NamedValueChecker).CheckNamedValue(nv)
}

// Close ends the session. One known gone is closed in the background: its
// logout is pointless and, with Snowflake down, would hold the caller.
func (c *healingConn) Close() error {
	if !c.valid() {
		c.once.Do(func() {
			c.h.background.Add(1)
			go func() {
				defer c.h.background.Done()
				c.inflight.Wait()
				_ = c.Conn.Close()
			}()
		})
		return nil
	}
	var err error
	c.once.Do(func() { err = c.Conn.Close() })
	return err
}
