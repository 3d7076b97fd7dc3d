package reload

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The old generation learns the new one's PID from the child's report, and
// the report file is gone afterwards: one upgrade, no file left in $TMPDIR.
func TestUpgradeReportsNewPIDAndLeavesNoReportFile(t *testing.T) {
	tmp := t.TempDir()
	h := startHelper(t, helperConfig{}, "TMPDIR="+tmp)
	old := h.pid
	for range 2 {
		prev := h.pid
		if code := h.upgrade(10 * time.Second); code != 0 {
			t.Fatalf("old generation exited %d", code)
		}
		want := fmt.Sprintf("new_pid=%d", h.pid)
		waitFor(t, 5*time.Second, "the hand-off line", func() bool {
			return strings.Contains(h.output(), "handed off to new generation")
		})
		for _, line := range strings.Split(h.output(), "\n") {
			if strings.Contains(line, fmt.Sprintf(`msg="upgrade succeeded" pid=%d `, prev)) && !strings.Contains(line, want) {
				t.Errorf("old generation %d logged %q, want %s", prev, line, want)
			}
		}
	}
	if !strings.Contains(h.output(), fmt.Sprintf("pid=%d generation=1", old)) || !strings.Contains(h.output(), "generation=3") {
		t.Errorf("generations not counted 1, 2, 3:\n%s", tail(h.output(), 20))
	}
	left, err := filepath.Glob(filepath.Join(tmp, "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("files left in TMPDIR after two upgrades: %v", left)
	}
}

// A stop signal while an upgrade's child has already written its PID into
// the PID file (and is then stopped) must not leave that dead PID behind.
func TestStopDuringUpgradeLeavesNoStalePIDFile(t *testing.T) {
	h := startHelper(t, helperConfig{})
	real := h.bin + ".real"
	copyFile(t, h.bin, real)
	gate := filepath.Join(h.dir, "gate")
	// The new binary claims the PID file, then waits: what a child that lost
	// the race between its Ready and the parent's stop leaves behind.
	writeScript(t, h.bin, fmt.Sprintf("echo $$ > %s\nwhile [ ! -e %s ]; do sleep 0.05; done\nexec %s \"$@\"", h.cfg.PIDFile, gate, real))
	old := h.pid
	sendSignal(t, old, syscall.SIGHUP)
	waitFor(t, 10*time.Second, "the child to claim the PID file", func() bool {
		p := readPID(h.cfg.PIDFile)
		return p != 0 && p != old
	})
	sendSignal(t, old, syscall.SIGTERM)
	code, ok := h.waitExit(old, 10*time.Second)
	if !ok || code != 0 {
		t.Fatalf("old generation: exited %v code %d\n%s", ok, code, tail(h.output(), 20))
	}
	if _, err := os.Stat(h.cfg.PIDFile); !os.IsNotExist(err) {
		t.Errorf("PID file left behind (naming %d) after a stop during an upgrade: %v", readPID(h.cfg.PIDFile), err)
	}
}

// The forced exits (second stop signal, hard deadline) still remove the PID file.
func TestForcedExitsRemoveThePIDFile(t *testing.T) {
	t.Run("second signal", func(t *testing.T) {
		h := startHelper(t, helperConfig{DrainTimeout: "30s", HangShutdown: true})
		sendSignal(t, h.pid, syscall.SIGTERM)
		waitFor(t, 5*time.Second, "the drain to start", func() bool { return strings.Contains(h.output(), "stopping; draining") })
		sendSignal(t, h.pid, syscall.SIGTERM)
		if code, ok := h.waitExit(h.pid, 5*time.Second); !ok || code != 1 {
			t.Fatalf("exited %v code %d, want 1", ok, code)
		}
		if _, err := os.Stat(h.cfg.PIDFile); !os.IsNotExist(err) {
			t.Errorf("PID file left behind after a forced stop: %v", err)
		}
	})
	t.Run("hard deadline", func(t *testing.T) {
		h := startHelper(t, helperConfig{DrainTimeout: "1s", HangShutdown: true})
		sendSignal(t, h.pid, syscall.SIGTERM)
		if code, ok := h.waitExit(h.pid, 10*time.Second); !ok || code != 1 {
			t.Fatalf("exited %v code %d, want 1", ok, code)
		}
		if _, err := os.Stat(h.cfg.PIDFile); !os.IsNotExist(err) {
			t.Errorf("PID file left behind after the hard deadline: %v", err)
		}
	})
}

// server.drain_delay: on SIGTERM /readyz turns 503 at once while the
// listener keeps accepting for the delay, then it closes.
func TestDrainDelayKeepsAcceptingWithReadinessOff(t *testing.T) {
	h := startHelper(t, helperConfig{DrainDelay: "1500ms"})
	if code := readyz(h); code != http.StatusOK {
		t.Fatalf("/readyz %d before the stop", code)
	}
	start := time.Now()
	sendSignal(t, h.pid, syscall.SIGTERM)
	waitFor(t, time.Second, "/readyz 503", func() bool { return readyz(h) == http.StatusServiceUnavailable })
	notReady := time.Since(start)
	// Fresh connections are still served during the delay.
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	served := 0
	var refusedAt time.Duration
	for refusedAt == 0 && time.Since(start) < 10*time.Second {
		resp, err := c.Get(h.base + "/work?ms=1")
		if err != nil {
			refusedAt = time.Since(start)
			break
		}
		resp.Body.Close()
		served++
		time.Sleep(20 * time.Millisecond)
	}
	if notReady > time.Second || refusedAt < 1500*time.Millisecond || served == 0 {
		t.Errorf("/readyz 503 after %v, connections refused after %v, %d served meanwhile; want 503 at once and refusals only after the 1.5s drain_delay",
			notReady, refusedAt, served)
	}
	if code, ok := h.waitExit(h.pid, 10*time.Second); !ok || code != 0 {
		t.Errorf("exited %v code %d", ok, code)
	}
}

func readyz(h *helper) int {
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 2 * time.Second}
	resp, err := c.Get(h.base + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
