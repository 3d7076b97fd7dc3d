package e2e

import (
	"io"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// What a balancer does when a replica dies without draining (SIGKILL, OOM,
// node loss): the calls that replica had in flight fail (HAProxy retries some
// of them, see retry-on empty-response), and new calls go to the others at
// once: HAProxy and nginx both retry a refused connect on another replica
// before the request was sent, and HAProxy's check marks it down within
// inter * fall.
func TestHAProxyReplicaKilled(t *testing.T) {
	rs := startReplicas(t)
	replicaKilled(t, rs, startHAProxy(t, addrs(rs)))
}

func TestNginxReplicaKilled(t *testing.T) {
	rs := startReplicas(t)
	replicaKilled(t, rs, startNginx(t, addrs(rs)))
}

var inFlightRE = regexp.MustCompile(`(?m)^snowflake_mcp_http_requests_in_flight (\d+)`)

func replicaKilled(t *testing.T, rs []*replica, lb balancer) {
	load := startMCPLoad(t, lb.url()+"/mcp", loadClients, true)
	defer load.stop()
	victim := rs[1]
	pid := victim.currentPID()
	load.waitServed(t, pid, 20, 60*time.Second)

	// The victim's own count of requests in flight (less this scrape), just
	// before the kill: an estimate of what can fail.
	victimInFlight := -1
	if resp, err := httpClient.Get(victim.url() + "/metrics"); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if m := inFlightRE.FindSubmatch(b); m != nil {
			victimInFlight = atoiOr(string(m[1]), 0) - 1
		}
	}
	outstanding := load.outstanding()
	killAt := time.Now()
	markedDown := make(chan time.Duration, 1)
	if h, ok := lb.(*haproxy); ok {
		go func() {
			for time.Since(killAt) < 20*time.Second {
				if strings.Contains(h.log(), "Server snowflake_mcp/mcp2 is DOWN") {
					markedDown <- time.Since(killAt)
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}
	victim.stop(syscall.SIGKILL)
	// The process is gone (reaped) only a moment after the signal; until then
	// the kernel still completes connections to its listener, and those calls
	// are its in-flight calls too.
	goneAt := time.Now()
	time.Sleep(2 * steady) // load keeps running against the two survivors
	load.stop()

	var failed, inFlightFailed, afterKill, afterKillOK int
	for _, c := range load.calls {
		if c.start.After(goneAt) {
			afterKill++
			if c.err == nil {
				afterKillOK++
			}
		}
		if c.err == nil {
			continue
		}
		failed++
		if c.start.Before(goneAt) && c.end.After(killAt) {
			inFlightFailed++
		} else {
			t.Errorf("a call that was not in flight on the killed replica failed (worker %d, %s..%s, kill %s, gone %s): %v", c.worker,
				c.start.Format("15:04:05.000"), c.end.Format("15:04:05.000"), killAt.Format("15:04:05.000"), goneAt.Format("15:04:05.000"), c.err)
		}
	}
	t.Logf("SIGKILL %s (PID %d, gone %v after the signal): %d calls in flight overall, ~%d on the victim (its gauge); %d failed, in flight between kill and exit: %d; after the exit %d of %d calls succeeded",
		victim.name, pid, goneAt.Sub(killAt).Round(time.Millisecond), outstanding, victimInFlight, failed, inFlightFailed, afterKillOK, afterKill)
	if failed > outstanding {
		t.Errorf("%d calls failed, more than the %d in flight at the kill", failed, outstanding)
	}
	if afterKill == 0 || afterKillOK != afterKill {
		t.Errorf("after the kill %d of %d new calls succeeded; every one should go to the survivors", afterKillOK, afterKill)
	}
	survivors := 0
	for _, c := range load.calls {
		if c.start.After(goneAt) && c.err == nil && c.pid != pid {
			survivors++
		}
	}
	if survivors != afterKillOK {
		t.Errorf("calls after the kill answered by the dead PID?")
	}
	if _, ok := lb.(*haproxy); ok {
		select {
		case d := <-markedDown:
			t.Logf("HAProxy marked the killed replica DOWN %v after the kill (check inter 1s, fall 2)", d.Round(10*time.Millisecond))
			if d > 5*time.Second {
				t.Errorf("HAProxy took %v to mark the killed replica down; inter 1s fall 2 should take about 2s", d)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("HAProxy never marked the killed replica DOWN")
		}
	}
	st := lb.statuses()
	t.Logf("balancer log statuses: %v", st)
	if n := fiveXX(st); n > failed {
		t.Errorf("the balancer logged %d 5xx, more than the %d failed calls", n, failed)
	}
	if n, ok := lb.(*nginx); ok {
		if fiveXX(st) != failed {
			t.Errorf("nginx logged %d 5xx for %d failed calls: each failure should be one 502 from the killed replica", fiveXX(st), failed)
		}
		access, _ := os.ReadFile(n.accessLog)
		for _, line := range strings.Split(string(access), "\n") {
			if nginxStatus.MatchString(line) && nginxStatus.FindStringSubmatch(line)[1] == "502" && !strings.Contains(line, "upstream="+victim.addr()) {
				t.Errorf("a 502 not from the killed replica %s: %s", victim.addr(), line)
			}
		}
	}
}

func atoiOr(s string, def int) int {
	n := 0
	for _, r := range strings.TrimSpace(s) {
		if r < '0' || r > '9' {
			return def
		}
		n = n*10 + int(r-'0')
	}
	return n
}
