package httpapi

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestCachedPingReusesAnswerWithinInterval(t *testing.T) {
	var calls atomic.Int32
	fail := errors.New("unreachable")
	var answer atomic.Pointer[error]
	var clock atomic.Int64
	c := &cachedPing{
		ping: func(context.Context) error {
			calls.Add(1)
			if err := answer.Load(); err != nil {
				return *err
			}
			return nil
		},
		timeout:  time.Second,
		interval: 5 * time.Second,
		now:      func() time.Time { return time.Unix(0, clock.Load()) },
	}
	clock.Store(int64(time.Hour))

	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			if err := c.check(context.Background()); err != nil {
				t.Errorf("check: %v", err)
			}
		})
	}
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Fatalf("32 probes within one interval pinged %d times, want 1", n)
	}

	answer.Store(&fail)
	clock.Add(int64(4 * time.Second))
	if err := c.check(context.Background()); err != nil {
		t.Fatalf("answer within the interval changed: %v", err)
	}
	clock.Add(int64(2 * time.Second))
	// After the interval a probe gets the previous answer at once and starts a
	// ping in the background; the next probe sees its answer.
	if err := c.check(context.Background()); err != nil {
		t.Fatalf("a stale probe waited for the new ping: %v", err)
	}
	c.mu.Lock()
	running := c.running
	c.mu.Unlock()
	if running != nil {
		<-running
	}
	if err := c.check(context.Background()); !errors.Is(err, fail) {
		t.Fatalf("after the interval: got %v, want %v", err, fail)
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("pinged %d times, want 2", n)
	}
}

func TestCachedPingIgnoresProbeCancellation(t *testing.T) {
	c := &cachedPing{
		ping:     func(ctx context.Context) error { return ctx.Err() },
		timeout:  time.Second,
		interval: time.Second,
		now:      time.Now,
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.check(ctx); err != nil {
		t.Fatalf("a hung-up probe made the ping fail: %v", err)
	}
}

func TestCachedPingNeverWaitsForAHungPing(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	var hung atomic.Bool
	c := &cachedPing{
		ping: func(ctx context.Context) error {
			if hung.Load() {
				select {
				case <-release:
				case <-ctx.Done():
				}
				return ctx.Err()
			}
			return nil
		},
		timeout:  time.Hour,
		interval: time.Nanosecond,
		now:      time.Now,
	}
	if err := c.check(context.Background()); err != nil {
		t.Fatal(err)
	}
	hung.Store(true)
	for range 5 {
		start := time.Now()
		if err := c.check(context.Background()); err != nil {
			t.Fatalf("answer while the ping hangs: %v", err)
		}
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Fatalf("a probe waited %s for a hung ping", d)
		}
	}
}
