package reload

import (
	"net"
	"path/filepath"
	"testing"
	"time"
)

// A $NOTIFY_SOCKET whose reader has stopped reading fills up; Notify runs on
// the signal loop and before the drain, so it must give up instead of
// blocking the process's stop for good.
func TestNotifyDoesNotBlockOnAStalledSocket(t *testing.T) {
	name := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatalf("listen %s: %v", name, err)
	}
	defer conn.Close() // never read: the queue fills
	t.Setenv("NOTIFY_SOCKET", name)

	done := make(chan error, 1)
	go func() {
		var last error
		// More datagrams than any net.unix.max_dgram_qlen default queues.
		for range 600 {
			if _, err := Notify("STATUS=filling"); err != nil {
				last = err
				break
			}
		}
		done <- last
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("600 unread datagrams all sent; the queue should have filled and Notify reported it")
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Notify blocked on a socket nobody reads")
	}
}
