package httpapi

import (
	"context"
	"errors"
	"sync"
	"time"
)

// errNotChecked is the readiness answer before the first check has finished.
var errNotChecked = errors.New("no Snowflake check has finished yet")

// cachedPing answers readiness from the latest Snowflake ping and never waits
// for a slow one: a probe that finds the answer older than interval starts a
// new ping in the background (one at a time, bounded by timeout) and gets the
// previous answer. Only the very first probe waits, at most timeout, so that a
// fresh process does not report a guess. Probes thus cost Snowflake at most one
// query per interval, and a hung Snowflake cannot hang /readyz.
type cachedPing struct {
	ping     func(context.Context) error
	timeout  time.Duration
	interval time.Duration
	now      func() time.Time
	// changed, when set, is called after a ping whose outcome differs from the
	// previous one (and after the first): the log line.
	changed func(err error)

	mu      sync.Mutex
	checked time.Time
	last    error
	running chan struct{} // closed when the ping in flight ends; nil when none
}

func (c *cachedPing) check(context.Context) error {
	c.mu.Lock()
	var wait chan struct{}
	if c.checked.IsZero() || c.now().Sub(c.checked) >= c.interval {
		wait = c.startLocked()
	}
	first := c.checked.IsZero()
	c.mu.Unlock()
	if first {
		// Not the probe's context: a probe that hangs up must not turn into a
		// recorded failure, and the ping runs on regardless.
		t := time.NewTimer(c.timeout)
		select {
		case <-wait:
		case <-t.C:
		}
		t.Stop()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.checked.IsZero() {
		return errNotChecked
	}
	return c.last
}

func (c *cachedPing) startLocked() chan struct{} {
	if c.running != nil {
		return c.running
	}
	done := make(chan struct{})
	c.running = done
	go func() {
		defer close(done)
		pctx, cancel := context.WithTimeout(context.Background(), c.timeout)
		err := c.ping(pctx)
		cancel()
		c.mu.Lock()
		changed := c.checked.IsZero() || (c.last == nil) != (err == nil)
		c.last, c.checked, c.running = err, c.now(), nil
		c.mu.Unlock()
		if changed && c.changed != nil {
			c.changed(err)
		}
	}()
	return done
}
