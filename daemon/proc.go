package daemon

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ReadPIDFile returns the PID stored in path.
func ReadPIDFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read PID file: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("PID file %s does not hold a PID: %q", path, strings.TrimSpace(string(b)))
	}
	return pid, nil
}

// ProcStat is what /proc/PID/stat says about a process.
type ProcStat struct {
	State   byte // R, S, D, Z, ...
	PPID    int
	PGID    int
	Session int
	TTY     int // 0: no controlling terminal
	Started time.Time
}

// ReadProcStat parses /proc/PID/stat.
func ReadProcStat(pid int) (ProcStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ProcStat{}, err
	}
	// The command name is in parentheses and may hold spaces: split after it.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ProcStat{}, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return ProcStat{}, fmt.Errorf("/proc/%d/stat: only %d fields", pid, len(f))
	}
	num := func(k int) int { n, _ := strconv.Atoi(f[k]); return n }
	st := ProcStat{State: f[0][0], PPID: num(1), PGID: num(2), Session: num(3), TTY: num(4)}
	// Field 22 (starttime) is f[19], in clock ticks since boot; Linux's USER_HZ is 100.
	if ticks, err := strconv.ParseInt(f[19], 10, 64); err == nil {
		if boot, err := bootTime(); err == nil {
			st.Started = boot.Add(time.Duration(ticks) * time.Second / 100)
		}
	}
	return st, nil
}

func bootTime() (time.Time, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return time.Time{}, err
			}
			return time.Unix(n, 0), nil
		}
	}
	return time.Time{}, errors.New("/proc/stat: no btime")
}

// Alive reports whether pid names a running process (a zombie is not).
func Alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	st, err := ReadProcStat(pid)
	if err != nil {
		return false
	}
	return st.State != 'Z' && st.State != 'X'
}
