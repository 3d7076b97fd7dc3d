package reload

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A stop signal that arrives after Ready but before Run (serve logs a line in
// between) must be drained like any other, not kill the process outright.
func TestStopSignalBetweenReadyAndRunDrains(t *testing.T) {
	gate := filepath.Join(t.TempDir(), "run-gate")
	if err := syscall.Mkfifo(gate, 0o600); err != nil {
		t.Fatal(err)
	}
	h := startHelper(t, helperConfig{RunGate: gate}) // returns once Ready wrote the PID file
	waitFor(t, 10*time.Second, "the helper to stop at the run gate", func() bool {
		return strings.Contains(h.output(), "waiting at run gate")
	})
	sendSignal(t, h.pid, syscall.SIGTERM)

	// Let the helper on to Run; its end of the FIFO may not be open yet.
	waitFor(t, 10*time.Second, "the run gate to open", func() bool {
		if !h.alive(h.pid) {
			t.Fatalf("SIGTERM between Ready and Run killed the process instead of draining:\n%s", h.output())
		}
		f, err := os.OpenFile(gate, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			return false
		}
		_ = f.Close()
		return true
	})
	code, ok := h.waitExit(h.pid, 10*time.Second)
	if !ok {
		t.Fatal("helper did not exit after the queued SIGTERM")
	}
	if code != 0 || !strings.Contains(h.output(), "stopping; draining") {
		t.Fatalf("exit code %d, want 0 after a drain:\n%s", code, h.output())
	}
	if _, err := os.Stat(h.cfg.PIDFile); !os.IsNotExist(err) {
		t.Errorf("PID file left behind after a clean stop: %v", err)
	}
}
