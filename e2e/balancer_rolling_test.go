package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

var httpClient = &http.Client{Timeout: 10 * time.Second}

const (
	replicaCount = 3
	loadClients  = 32
	// steady is how long the load runs between two steps of the rolling
	// upgrade and restart; with the steps themselves the run lasts ~40s.
	steady = 3 * time.Second
)

func startReplicas(t *testing.T) []*replica {
	t.Helper()
	emu := emulator(t)
	var rs []*replica
	for i := range replicaCount {
		rs = append(rs, startReplica(t, emu, "replica"+string(rune('1'+i)), replicaOpts{}))
	}
	return rs
}

func TestHAProxyRollingUpgradeAndRestart(t *testing.T) {
	rs := startReplicas(t)
	rollingUpgradeAndRestart(t, rs, startHAProxy(t, addrs(rs)))
}

func TestNginxRollingUpgradeAndRestart(t *testing.T) {
	rs := startReplicas(t)
	rollingUpgradeAndRestart(t, rs, startNginx(t, addrs(rs)))
}

// rollingUpgradeAndRestart runs 32 MCP clients through the balancer while each
// replica in turn is upgraded with SIGHUP, then each in turn is stopped with
// SIGTERM and started again. No call may fail, and the balancer's own log may
// show no 5xx.
func rollingUpgradeAndRestart(t *testing.T, rs []*replica, lb balancer) {
	began := time.Now()
	load := startMCPLoad(t, lb.url()+"/mcp", loadClients, false)
	defer load.stop()
	var pids []int // every process that should have served calls
	for _, r := range rs {
		pids = append(pids, r.currentPID())
	}
	time.Sleep(steady)

	for _, r := range rs {
		at := time.Now()
		old, fresh := r.upgrade()
		t.Logf("%s: SIGHUP %d -> %d, old generation gone after %v", r.name, old, fresh, time.Since(at).Round(time.Millisecond))
		pids = append(pids, fresh)
		load.waitServed(t, fresh, 1, 15*time.Second)
		time.Sleep(steady)
	}
	for _, r := range rs {
		at := time.Now()
		old := r.stop(syscall.SIGTERM)
		stopped := time.Since(at)
		r.start()
		fresh := r.currentPID()
		pids = append(pids, fresh)
		load.waitServed(t, fresh, 1, 15*time.Second)
		t.Logf("%s: SIGTERM %d exited after %v; %d started and serving through the balancer after %v",
			r.name, old, stopped.Round(time.Millisecond), fresh, time.Since(at).Round(time.Millisecond))
		time.Sleep(steady)
	}
	load.stop()
	took := time.Since(began)

	served := load.servedByPID()
	keys := make([]int, 0, len(served))
	for pid := range served {
		keys = append(keys, pid)
	}
	sort.Ints(keys)
	t.Logf("%d calls in %v from %d clients; per PID: %v", load.served(), took.Round(time.Millisecond), loadClients, served)
	if f := load.failures(); len(f) > 0 {
		for i, c := range f {
			if i == 10 {
				break
			}
			t.Errorf("failed call (worker %d, %s..%s): %v", c.worker, c.start.Format("15:04:05.000"), c.end.Format("15:04:05.000"), c.err)
		}
		t.Errorf("%d of %d calls failed", len(f), int(load.served())+len(f))
	}
	for _, pid := range pids {
		if served[pid] == 0 {
			t.Errorf("PID %d (a replica's process) served no call through the balancer; served: %v", pid, served)
		}
	}
	keepLogs(t, lb)
	st := lb.statuses()
	t.Logf("balancer log statuses: %v", st)
	if st[200] == 0 {
		t.Errorf("the balancer's log shows no 200: the log parsing is broken\n%s", lastBytes(lb.log(), 3000))
	}
	if n := fiveXX(st); n > 0 {
		t.Errorf("the balancer logged %d 5xx answers\n%s", n, lastBytes(lb.log(), 6000))
	}
}

// keepLogs writes the balancer's whole log to $E2E_KEEP_LOGS/<test>.log when
// the test failed and that variable names a directory (for a post-mortem).
func keepLogs(t *testing.T, lb balancer) {
	dir := os.Getenv("E2E_KEEP_LOGS")
	if dir == "" {
		return
	}
	t.Cleanup(func() {
		if t.Failed() {
			name := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+".log")
			if err := os.WriteFile(name, []byte(lb.log()), 0o644); err == nil {
				t.Logf("balancer log in %s", name)
			}
		}
	})
}
