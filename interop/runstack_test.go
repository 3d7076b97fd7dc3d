package interop

import (
	"bufio"
	"encoding/json"
	"net"
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

// TestRunStack runs what `make run` runs (scripts/run-stack.sh with both
// binaries) on free loopback ports, points the TypeScript client at the URL it
// prints, and stops it with SIGINT as Ctrl-C would.
func TestRunStack(t *testing.T) {
	node(t)
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
	cmd := exec.Command(filepath.Join(root, "scripts", "run-stack.sh"), bin)
	cmd.Env = append(testbin.CleanEnv(),
		"EMULATOR_LISTEN=127.0.0.1:"+freePort(t),
		"SNOWFLAKE_MCP_LISTEN=127.0.0.1:"+freePort(t))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // Ctrl-C reaches the whole group
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	urls := make(chan string, 1)
	var printedMu sync.Mutex
	var printedB strings.Builder
	printed := func() string { printedMu.Lock(); defer printedMu.Unlock(); return printedB.String() }
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			printedMu.Lock()
			printedB.WriteString(line + "\n")
			printedMu.Unlock()
			if u, ok := strings.CutPrefix(strings.TrimSpace(line), "MCP URL:"); ok {
				urls <- strings.TrimSpace(u)
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })

	var url string
	select {
	case url = <-urls:
	case err := <-exited:
		t.Fatalf("run-stack.sh exited before printing the MCP URL: %v\n%s", err, printed())
	case <-time.After(2 * time.Minute):
		t.Fatalf("run-stack.sh printed no MCP URL within 2 minutes:\n%s", printed())
	}

	out, errOut, err := runNode(t, 2*time.Minute, "client.mjs", url)
	var rep clientReport
	if jerr := json.Unmarshal([]byte(strings.TrimSpace(out)), &rep); jerr != nil || err != nil || rep.Error != "" {
		t.Fatalf("client against the make-run stack: %v %v %s\nstdout: %s\nstderr: %s", jerr, err, rep.Error, out, errOut)
	}
	if len(rep.Calls) == 0 || rep.Calls[0].Name != "list_databases" || rep.Calls[0].IsError || !strings.Contains(rep.Calls[0].Text, "DEMO") {
		t.Fatalf("list_databases on the make-run stack did not show DEMO: %+v", rep.Calls)
	}
	if c := rep.Calls[7]; c.IsError || c.RowCount == nil || *c.RowCount != 5 {
		t.Fatalf("execute_query on the make-run stack: %+v", c)
	}

	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(45 * time.Second):
		t.Fatal("run-stack.sh did not stop within 45s of Ctrl-C")
	}
	// Both servers are gone: their ports accept nothing.
	for _, addr := range []string{strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/mcp"), envValue(cmd.Env, "EMULATOR_LISTEN")} {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after Ctrl-C", addr)
		}
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

func envValue(env []string, name string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}
