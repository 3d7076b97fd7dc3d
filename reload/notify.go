package reload

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// notifyTimeout bounds one sd_notify write.
const notifyTimeout = time.Second

// Notify sends one sd_notify datagram made of the given "KEY=value" lines to
// $NOTIFY_SOCKET. It reports false without error when the variable is unset
// (not running under systemd's Type=notify). Abstract sockets ("@name") are
// supported: Go maps a leading '@' to the abstract namespace on Linux.
func Notify(lines ...string) (bool, error) {
	name := os.Getenv("NOTIFY_SOCKET")
	if name == "" {
		return false, nil
	}
	if name[0] != '/' && name[0] != '@' {
		return false, fmt.Errorf("sd_notify: unsupported NOTIFY_SOCKET %q", name)
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return false, fmt.Errorf("sd_notify: dial %s: %w", name, err)
	}
	defer conn.Close()
	// A full queue (the manager not reading) would otherwise block the
	// caller, the signal loop or the start of a drain, for good.
	if err := conn.SetWriteDeadline(time.Now().Add(notifyTimeout)); err != nil {
		return false, fmt.Errorf("sd_notify: %s: %w", name, err)
	}
	if _, err := conn.Write([]byte(strings.Join(lines, "\n") + "\n")); err != nil {
		return false, fmt.Errorf("sd_notify: write %s: %w", name, err)
	}
	return true, nil
}

// monotonicUsec is CLOCK_MONOTONIC in microseconds, the clock systemd expects
// in MONOTONIC_USEC= next to RELOADING=1.
func monotonicUsec() string {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return "0"
	}
	return strconv.FormatInt(ts.Nano()/1000, 10)
}
