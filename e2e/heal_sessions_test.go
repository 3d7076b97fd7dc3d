package e2e

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// TestEmulatorRestartedUnderServer: every pooled session dies with the
// emulator; the first call afterwards and the nine after it all succeed.
func TestEmulatorRestartedUnderServer(t *testing.T) {
	port := freePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	emu := testemulator.Start(t, testemulator.WithListen(addr))
	s := startServe(t, port, "--set", "pool.warm=4")
	s.waitReadyz(t, 200, 30*time.Second)
	for range 4 {
		s.mustQuery(t)
	}
	pid := s.cmd.Process.Pid

	emu.Kill()
	testemulator.Start(t, testemulator.WithListen(addr))

	for i := range 10 {
		r, err := s.call(t, "execute_query", map[string]any{"query": "SELECT 1 AS one"})
		if err != nil || r.IsError {
			t.Fatalf("call %d after the restart failed: %v %s", i+1, err, r.Text)
		}
		if r.Served != strconv.Itoa(pid) {
			t.Fatalf("served by %s, want the same process %d", r.Served, pid)
		}
	}
	if len(s.logged("Snowflake session gone; logging in again and retrying")) == 0 {
		t.Fatal("no healing was logged: the test did not exercise lost sessions")
	}
}

// TestSessionFaultsUnderLoad injects master-token expiry and session drops
// while 8 clients call for 20 s: no call fails.
func TestSessionFaultsUnderLoad(t *testing.T) {
	emu := testemulator.Start(t)
	s := startServe(t, emu.Port, "--set", "pool.warm=8")
	s.waitReadyz(t, 200, 30*time.Second)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var calls, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for ctx.Err() == nil {
				r, err := s.call(t, "execute_query", map[string]any{"query": "SELECT 1 AS one"})
				calls.Add(1)
				if err != nil || r.IsError {
					failed.Add(1)
					if err == nil {
						firstErr.CompareAndSwap(nil, r.Text)
					} else {
						firstErr.CompareAndSwap(nil, err.Error())
					}
				}
			}
		})
	}
	faults := 0
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-tick.C:
			f := testemulator.Faults{DropSessions: true}
			if faults%2 == 0 {
				f = testemulator.Faults{ExpireMasterTokens: true}
			}
			if err := emu.SetFaults(context.Background(), f); err != nil {
				t.Fatalf("inject fault: %v", err)
			}
			faults++
		}
	}
	wg.Wait()
	t.Logf("%d calls, %d failed, %d faults injected, %d heals logged", calls.Load(), failed.Load(), faults,
		len(s.logged("Snowflake session gone; logging in again and retrying")))
	if failed.Load() > 0 {
		t.Fatalf("%d of %d calls failed; first: %v", failed.Load(), calls.Load(), firstErr.Load())
	}
	if calls.Load() < 100 {
		t.Fatalf("only %d calls in 20 s", calls.Load())
	}
}

// TestIdleLongerThanSessionTTL: a session idle past its token's lifetime still serves.
func TestIdleLongerThanSessionTTL(t *testing.T) {
	emu := testemulator.Start(t, testemulator.WithSessionTTL(time.Second))
	s := startServe(t, emu.Port)
	s.waitReadyz(t, 200, 30*time.Second)
	s.mustQuery(t)
	// Idle: nothing else talks to the emulator in this window (readiness is not polled).
	time.Sleep(2500 * time.Millisecond)
	s.mustQuery(t)
	emu.LogsWhen(t, func(log string) bool { return containsAll(log, "session token renewed") })
}

// TestEmulatorKilledAndBack: fast 503 and unavailable while it is down,
// ready again by itself, same process.
func TestEmulatorKilledAndBack(t *testing.T) {
	port := freePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	emu := testemulator.Start(t, testemulator.WithListen(addr))
	s := startServe(t, port)
	s.waitReadyz(t, 200, 30*time.Second)
	s.mustQuery(t)
	pid := s.cmd.Process.Pid

	emu.Kill()
	d := s.waitReadyz(t, 503, 5*time.Second)
	t.Logf("/readyz 503 %s after the kill", d)
	if d >= time.Second {
		t.Errorf("/readyz took %s to answer 503, want < 1s", d)
	}
	start := time.Now()
	r, err := s.call(t, "execute_query", map[string]any{"query": "SELECT 1 AS one"})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("call while down: %s, kind %q: %s", took, r.Kind, r.Text)
	if !r.IsError || r.Kind != "unavailable" || !containsAll(r.Text, addr, "make run") {
		t.Fatalf("call while down: isError %v kind %q text %q", r.IsError, r.Kind, r.Text)
	}
	if took >= 6*time.Second {
		t.Errorf("call took %s to fail, want < 6s", took)
	}
	if len(s.logged("Snowflake unreachable")) == 0 {
		t.Error("the outage was not logged at ERROR")
	}

	testemulator.Start(t, testemulator.WithListen(addr))
	d = s.waitReadyz(t, 200, 5*time.Second)
	t.Logf("ready %s after the emulator came back", d)
	if r := s.mustQuery(t); r.Served != strconv.Itoa(pid) {
		t.Fatalf("served by %s, want the same process %d", r.Served, pid)
	}
}

// TestBlackholedSnowflake: an emulator that accepts and never answers bounds
// calls by query.timeout, and /readyz still answers at once.
func TestBlackholedSnowflake(t *testing.T) {
	emu := testemulator.Start(t)
	s := startServe(t, emu.Port, "--set", "query.timeout=3s")
	s.waitReadyz(t, 200, 30*time.Second)
	s.mustQuery(t)
	if err := emu.SetFaults(context.Background(), testemulator.Faults{Blackhole: true}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r, err := s.call(t, "execute_query", map[string]any{"query": "SELECT 2 AS two"})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("call into the blackhole: %s, kind %q", took, r.Kind)
	if !r.IsError || r.Kind != "timeout" || took > 6*time.Second {
		t.Fatalf("call into the blackhole: %s, isError %v kind %q: %s", took, r.IsError, r.Kind, r.Text)
	}
	for range 5 {
		start := time.Now()
		code := s.readyz(t)
		if d := time.Since(start); d >= time.Second {
			t.Fatalf("/readyz took %s (code %d) with Snowflake blackholed", d, code)
		}
	}
	s.waitReadyz(t, 503, 5*time.Second)
	if err := emu.ClearFaults(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.waitReadyz(t, 200, 10*time.Second)
}

// TestServeStartsWithoutSnowflake: serve keeps running with nothing at the
// Snowflake port, then becomes ready once the emulator starts.
func TestServeStartsWithoutSnowflake(t *testing.T) {
	port := freePort(t)
	s := startServe(t, port)
	if code := s.readyz(t); code != 503 {
		t.Fatalf("/readyz = %d with Snowflake down, want 503", code)
	}
	c := net.Dialer{Timeout: time.Second}
	if conn, err := c.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
		conn.Close()
		t.Fatal("something listens on the Snowflake port")
	}
	r, err := s.call(t, "list_databases", nil)
	if err != nil || !r.IsError || r.Kind != "unavailable" {
		t.Fatalf("tool with Snowflake down: %v %+v", err, r)
	}
	var lines []map[string]any
	for deadline := time.Now().Add(10 * time.Second); len(lines) == 0 && time.Now().Before(deadline); {
		lines = s.logged("cannot log in to Snowflake; serving anyway and trying again")
		time.Sleep(20 * time.Millisecond)
	}
	if len(lines) == 0 || !containsAll(lines[0]["hint"].(string), "make run") ||
		lines[0]["host"] != "127.0.0.1:"+strconv.Itoa(port) {
		t.Fatalf("no clear start-up line naming the host and make run: %v", lines)
	}
	testemulator.Start(t, testemulator.WithListen("127.0.0.1:"+strconv.Itoa(port)))
	s.waitReadyz(t, 200, 10*time.Second)
	s.mustQuery(t)
	if s.exited() {
		t.Fatal("serve exited")
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
