package e2e

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/testbin"
	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// serverBin is the real snowflake-mcp binary.
func serverBin(t testing.TB) string {
	t.Helper()
	return testbin.Build(t, "./cmd/snowflake-mcp", "SNOWFLAKE_MCP_BIN")
}

// freeListen returns a loopback address on a port the kernel just chose
// (commands like daemon status must know the port, so :0 will not do).
func freeListen(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// configFile writes an operator config pointing at emu and returns its path.
func configFile(t testing.TB, dir string, emu *testemulator.Emulator, extra string) string {
	t.Helper()
	text := fmt.Sprintf("snowflake:\n  account: %s\n  user: %s\n  password: %s\n  host: %s\n  port: %d\n  protocol: http\n"+
		"pool:\n  warm: 1\n  max_idle: 4\nserver:\n  drain_timeout: 3s\n%s",
		emu.Account, emu.User, emu.Password, emu.Host, emu.Port, extra)
	p := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// result is one finished command.
type result struct {
	code           int
	stdout, stderr string
}

// run runs the binary with a clean environment plus env and waits for it.
func run(t testing.TB, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(serverBin(t), args...)
	cmd.Dir = dir
	cmd.Env = testbin.CleanEnv(env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// waitFor polls cond every 20ms until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func readPID(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// alive reports whether pid runs (a zombie does not).
func alive(pid int) bool {
	if pid <= 0 || syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && len(s) > i+2 && s[i+2] != 'Z'
}

// killOnCleanup makes sure the process in pidFile (and pid) are gone after the test.
func killOnCleanup(t testing.TB, pidFile string) {
	t.Cleanup(func() {
		if pid := readPID(pidFile); alive(pid) {
			t.Logf("cleanup: killing PID %d", pid)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
}

var plain = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// get returns the status and the X-Served-By-Pid of GET url (0, 0 on error).
func get(url string) (int, int) {
	resp, err := plain.Get(url)
	if err != nil {
		return 0, 0
	}
	resp.Body.Close()
	pid, _ := strconv.Atoi(resp.Header.Get("X-Served-By-Pid"))
	return resp.StatusCode, pid
}

// syncBuffer collects a process's output for the test to read.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
