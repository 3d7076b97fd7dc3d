package e2e

import (
	"bufio"
	"io"
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
)

// TestRunStackSurvivesSIGHUPAndStopsOnce runs what `make run` runs, upgrades
// the server with the README's SIGHUP, checks the stack keeps running with the
// new generation and the emulator, then stops it as Ctrl-C does: one stop,
// exit 0, no "second stop signal".
func TestRunStackSurvivesSIGHUPAndStopsOnce(t *testing.T) {
	bin := t.TempDir()
	for name, env := range map[string]string{"snowflake-mcp": "SNOWFLAKE_MCP_BIN", "snowflake-emulator": "SNOWFLAKE_EMULATOR_BIN"} {
		if err := os.Symlink(testbin.Build(t, "./cmd/"+name, env), filepath.Join(bin, name)); err != nil {
			t.Fatal(err)
		}
	}
	root, err := testbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	emuAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	srvAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	cmd := exec.Command(filepath.Join(root, "scripts", "run-stack.sh"), bin)
	cmd.Env = append(testbin.CleanEnv(), "EMULATOR_LISTEN="+emuAddr, "SNOWFLAKE_MCP_LISTEN="+srvAddr)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its own group, as a terminal's foreground job
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var output strings.Builder
	printed := func() string { mu.Lock(); defer mu.Unlock(); return output.String() }
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			mu.Lock()
			output.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if u, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "MCP URL:"); ok {
				urls <- strings.TrimSpace(u)
			}
		}
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); pw.Close() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped { // the script's trap stops both servers
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(45 * time.Second):
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			}
		}
		if t.Failed() {
			t.Logf("run-stack.sh output:\n%s", printed())
		}
	})
	select {
	case <-urls:
	case err := <-exited:
		stopped = true
		t.Fatalf("run-stack.sh exited before printing the MCP URL: %v", err)
	case <-time.After(3 * time.Minute):
		t.Fatal("run-stack.sh printed no MCP URL within 3 minutes")
	}

	s := &server{base: "http://" + srvAddr}
	servedBy := func() string {
		resp, err := http.Get(s.base + "/readyz")
		if err != nil {
			return ""
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return ""
		}
		return resp.Header.Get("X-Served-By-Pid")
	}
	first, _ := strconv.Atoi(servedBy())
	if first == 0 {
		t.Fatal("no X-Served-By-Pid from a ready server")
	}
	if err := syscall.Kill(first, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for syscall.Kill(first, 0) == nil || servedBy() == strconv.Itoa(first) || servedBy() == "" {
		if time.Now().After(deadline) {
			t.Fatal("the upgrade did not hand off to a new generation within 60s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	second := servedBy()
	// The old generation is gone; the stack must not follow it.
	select {
	case err := <-exited:
		stopped = true
		t.Fatalf("run-stack.sh exited after the SIGHUP upgrade: %v", err)
	case <-time.After(2 * time.Second):
	}
	if r := s.mustQuery(t); r.Served != second {
		t.Fatalf("served by %s, want the new generation %s", r.Served, second)
	}

	// Ctrl-C: the terminal signals the foreground process group.
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Errorf("run-stack.sh after Ctrl-C: %v", err)
		}
	case <-time.After(45 * time.Second):
		t.Fatal("run-stack.sh did not stop within 45s of Ctrl-C")
	}
	out := printed()
	if strings.Contains(out, "second stop signal") || !strings.Contains(out, "drain finished") {
		t.Errorf("Ctrl-C was not one clean stop:\n%s", out)
	}
	for _, addr := range []string{srvAddr, emuAddr} {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after Ctrl-C", addr)
		}
	}
}
