package httpapi

import (
	"context"
	"sync"
	"time"
)

// cachedPing reuses one Snowflake ping for an interval and lets concurrent
// probes share it, so readiness checks never turn into a query per probe.
type cachedPing struct {
	ping     func(context.Context) error
	timeout  time.Duration
	interval time.Duration
	now      func() time.Time

	mu      sync.Mutex // held during a ping: concurrent probes wait for its answer
	checked time.Time
	last    error
}

func (c *cachedPing) check(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.checked.IsZero() && c.now().Sub(c.checked) < c.interval {
		return c.last
	}
	// Detached from the probe's context: a probe that hangs up must not record
	// a cancellation as Snowflake being unreachable.
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
	defer cancel()
	c.last = c.ping(pctx)
	c.checked = c.now()
	return c.last
}
