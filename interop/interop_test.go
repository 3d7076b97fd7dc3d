package interop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/testbin"
	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// node returns the Node 22 binary from node_modules (npm package node@22) and
// fails clearly when `npm ci` has not been run here.
func node(t *testing.T) string {
	t.Helper()
	for _, p := range []string{
		"node_modules/@modelcontextprotocol/sdk/package.json",
		"node_modules/@modelcontextprotocol/conformance/package.json",
		"node_modules/node/bin/node",
	} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("interop/%s is missing: run `npm ci` in interop/ (the CI script does) before `go test ./interop`", p)
		}
	}
	abs, err := filepath.Abs("node_modules/node/bin/node")
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// server is a running `snowflake-mcp serve` pointed at an emulator.
type server struct {
	url  string
	cmd  *exec.Cmd
	logs *bytes.Buffer
	mu   *sync.Mutex
}

// startServe runs the real binary on a random loopback port and waits for its
// "listening" log line (serve logs it once the pool is warm and the port is open).
func startServe(t *testing.T, emu *testemulator.Emulator, extra ...string) *server {
	t.Helper()
	bin := testbin.Build(t, "./cmd/snowflake-mcp", "SNOWFLAKE_MCP_BIN")
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--log-format", "json",
		"--set", "snowflake.port=" + strconv.Itoa(emu.Port)}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = testbin.CleanEnv()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, logs: &bytes.Buffer{}, mu: &sync.Mutex{}}
	addrc := make(chan string, 1)
	exited := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			s.mu.Lock()
			s.logs.Write(sc.Bytes())
			s.logs.WriteByte('\n')
			s.mu.Unlock()
			var m map[string]any
			if !sent && json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == "listening" {
				if a, ok := m["addr"].(string); ok {
					addrc <- a
					sent = true
				}
			}
		}
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			s.mu.Lock()
			t.Logf("snowflake-mcp log:\n%s", s.logs.String())
			s.mu.Unlock()
		}
	})
	select {
	case a := <-addrc:
		s.url = "http://" + a + "/mcp"
	case <-exited:
		t.Fatalf("snowflake-mcp serve exited before listening:\n%s", s.logs.String())
	case <-time.After(90 * time.Second):
		t.Fatal("snowflake-mcp serve did not report listening within 90s")
	}
	return s
}

func runNode(t *testing.T, timeout time.Duration, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return runNodeEnv(t, timeout, nil, args...)
}

// runNodeEnv is runNode with extra environment variables (KEY=value).
func runNodeEnv(t *testing.T, timeout time.Duration, env []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node(t), args...)
	cmd.Env = testbin.CleanEnv(env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

type clientReport struct {
	ProtocolVersion string `json:"protocolVersion"`
	Server          struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"server"`
	Tools []struct {
		Name            string `json:"name"`
		HasDescription  bool   `json:"hasDescription"`
		ReadOnlyHint    *bool  `json:"readOnlyHint"`
		HasOutputSchema bool   `json:"hasOutputSchema"`
	} `json:"tools"`
	Calls []struct {
		Name      string         `json:"name"`
		Args      map[string]any `json:"args"`
		IsError   bool           `json:"isError"`
		RowCount  *int           `json:"rowCount"`
		QueryID   *string        `json:"queryId"`
		ErrorKind *string        `json:"errorKind"`
		Text      string         `json:"text"`
	} `json:"calls"`
	Error string `json:"error"`
}

// TestTypeScriptClient: the official TypeScript SDK client against the real binary.
func TestTypeScriptClient(t *testing.T) {
	node(t)
	emu := testemulator.Start(t)
	for _, mode := range []struct {
		name string
		args []string
	}{{"stateless", nil}, {"stateful", []string{"--set", "server.stateless=false"}}} {
		t.Run(mode.name, func(t *testing.T) {
			srv := startServe(t, emu, mode.args...)
			out, errOut, err := runNode(t, 2*time.Minute, "client.mjs", srv.url)
			var rep clientReport
			if jerr := json.Unmarshal([]byte(strings.TrimSpace(out)), &rep); jerr != nil {
				t.Fatalf("client.mjs output is not a report (%v): run error %v\nstdout: %s\nstderr: %s", jerr, err, out, errOut)
			}
			if err != nil || rep.Error != "" {
				t.Fatalf("TypeScript client failed: %v %s\nstderr: %s", err, rep.Error, errOut)
			}
			if rep.Server.Name != "snowflake-mcp" {
				t.Errorf("server name %q", rep.Server.Name)
			}
			if len(rep.Tools) != 8 {
				t.Errorf("listed %d tools, want 8", len(rep.Tools))
			}
			for _, tool := range rep.Tools {
				if !tool.HasDescription || !tool.HasOutputSchema || tool.ReadOnlyHint == nil || !*tool.ReadOnlyHint {
					t.Errorf("tool %s: description=%v outputSchema=%v readOnlyHint=%v", tool.Name, tool.HasDescription, tool.HasOutputSchema, tool.ReadOnlyHint)
				}
			}
			seen := map[string]bool{}
			for _, c := range rep.Calls {
				seen[c.Name] = true
				if q, _ := c.Args["query"].(string); strings.HasPrefix(q, "DROP") {
					if !c.IsError || c.ErrorKind == nil || *c.ErrorKind != "refused" {
						t.Errorf("DROP was not refused: %+v", c)
					}
					continue
				}
				if c.IsError {
					t.Errorf("%s(%v) failed: %s", c.Name, c.Args, c.Text)
					continue
				}
				if c.RowCount == nil || *c.RowCount == 0 || c.QueryID == nil || *c.QueryID == "" {
					t.Errorf("%s(%v): rows=%v query id=%v", c.Name, c.Args, c.RowCount, c.QueryID)
				}
			}
			if len(seen) != 8 {
				t.Errorf("called %d distinct tools, want 8", len(seen))
			}
			if c := rep.Calls[7]; c.RowCount == nil || *c.RowCount != 5 || !strings.Contains(c.Text, "North America") {
				t.Errorf("execute_query over REGIONS: %+v", c)
			}
		})
	}
}

// A single scenario ends with "Passed: N/M, F failed, W warnings".
var totalRe = regexp.MustCompile(`(?m)^Passed: (\d+)/(\d+), (\d+) failed`)

// TestConformance runs the MCP conformance suite's server scenarios against the
// real binary: stateless (the default) and stateful (logging needs a session).
func TestConformance(t *testing.T) {
	node(t)
	emu := testemulator.Start(t)
	suite := filepath.Join("node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js")
	cases := []struct {
		mode      string
		args      []string
		scenarios []string
	}{
		{"stateless", nil, []string{"server-initialize", "tools-list", "ping", "dns-rebinding-protection"}},
		{"stateful", []string{"--set", "server.stateless=false"}, []string{"server-initialize", "tools-list", "ping", "dns-rebinding-protection", "logging-set-level"}},
	}
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			srv := startServe(t, emu, c.args...)
			for _, sc := range c.scenarios {
				t.Run(sc, func(t *testing.T) {
					outDir := t.TempDir()
					out, errOut, err := runNode(t, 2*time.Minute, suite, "server", "--url", srv.url, "--scenario", sc, "-o", outDir)
					m := totalRe.FindStringSubmatch(out)
					if m == nil {
						t.Fatalf("conformance %s printed no totals (exit %v)\nstdout:\n%s\nstderr:\n%s", sc, err, out, errOut)
					}
					passed, _ := strconv.Atoi(m[1])
					total, _ := strconv.Atoi(m[2])
					failed, _ := strconv.Atoi(m[3])
					if err != nil || failed != 0 || passed == 0 || passed != total {
						t.Fatalf("conformance %s: %d checks ok, %d not ok, exit %v\n%s\n%s", sc, passed, failed, err, out, errOut)
					}
					t.Logf("conformance %s: all %d checks ok", sc, passed)
				})
			}
		})
	}
}

func TestMain(m *testing.M) {
	// Node scripts and node_modules are resolved relative to this directory.
	if _, err := os.Stat("client.mjs"); err != nil {
		fmt.Fprintln(os.Stderr, "interop tests must run in the interop directory (go test ./interop)")
		os.Exit(2)
	}
	os.Exit(testbin.Run(m))
}
