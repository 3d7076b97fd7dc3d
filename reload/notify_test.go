package reload

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func TestNotifyDatagram(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	if sent, err := Notify("READY=1"); sent || err != nil {
		t.Fatalf("without NOTIFY_SOCKET: sent %v err %v; want a silent no-op", sent, err)
	}
	for _, abstract := range []bool{false, true} {
		n := listenNotify(t, abstract)
		t.Setenv("NOTIFY_SOCKET", n.name)
		sent, err := Notify("READY=1", "STATUS=serving")
		if !sent || err != nil {
			t.Fatalf("%s: sent %v err %v", n.name, sent, err)
		}
		waitFor(t, 2*time.Second, "the datagram", func() bool { return len(n.messages()) == 1 })
		if got := n.messages()[0]; got != "READY=1\nSTATUS=serving" {
			t.Errorf("%s: datagram %q", n.name, got)
		}
	}
	t.Setenv("NOTIFY_SOCKET", "relative/path")
	if _, err := Notify("READY=1"); err == nil {
		t.Error("a NOTIFY_SOCKET that is neither a path nor abstract was accepted")
	}
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "missing.sock"))
	if _, err := Notify("READY=1"); err == nil {
		t.Error("no error for a socket nobody listens on")
	}
}

func TestMonotonicUsecAdvances(t *testing.T) {
	a, _ := strconv.ParseInt(monotonicUsec(), 10, 64)
	time.Sleep(2 * time.Millisecond)
	b, _ := strconv.ParseInt(monotonicUsec(), 10, 64)
	if a <= 0 || b-a < 1000 {
		t.Errorf("MONOTONIC_USEC %d then %d: want positive microseconds advancing", a, b)
	}
}

func TestRemovePIDFileOnlyOurs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.pid")
	if removed, err := removePIDFile(path, 42); removed || err != nil {
		t.Fatalf("missing file: removed %v err %v", removed, err)
	}
	if err := os.WriteFile(path, []byte("43\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if removed, err := removePIDFile(path, 42); removed || err != nil {
		t.Fatalf("successor's PID file: removed %v err %v", removed, err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("successor's PID file gone: %v", err)
	}
	if removed, err := removePIDFile(path, 43); !removed || err != nil {
		t.Fatalf("own PID file: removed %v err %v", removed, err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("own PID file still there: %v", err)
	}
}
