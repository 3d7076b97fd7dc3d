package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/testbin"
	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// runCLI runs snowflake-mcp with args and stdin, and returns stdout, stderr and the exit code.
func runCLI(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(serverBin(t), args...)
	cmd.Env = testbin.CleanEnv()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("%v did not exit within 60s; stderr:\n%s", args, errb.String())
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

const (
	rpcInitialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}}`
	rpcToolsList  = `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`
	rpcToolsCall  = `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"execute_query","arguments":{"query":"SELECT 1 AS one"}}}`
)

type rpcAnswer struct {
	ID     int `json:"id"`
	Result *struct {
		IsError    bool `json:"isError"`
		Structured struct {
			Error *struct {
				Kind string `json:"kind"`
			} `json:"error"`
		} `json:"structuredContent"`
	} `json:"result"`
}

func stdioAnswers(t *testing.T, stdout string) map[int]rpcAnswer {
	t.Helper()
	got := map[int]rpcAnswer{}
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var a rpcAnswer
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("stdout line is not JSON-RPC: %q", sc.Text())
		}
		got[a.ID] = a
	}
	return got
}

// TestStdioAnswersEverythingBeforeEOF: input that ends right after three
// requests still gets three answers, then exit 0.
func TestStdioAnswersEverythingBeforeEOF(t *testing.T) {
	emu := testemulator.Start(t)
	in := rpcInitialize + "\n" + rpcToolsList + "\n" + rpcToolsCall + "\n"
	out, errOut, code := runCLI(t, in, "stdio", "--set", "snowflake.port="+strconv.Itoa(emu.Port))
	got := stdioAnswers(t, out)
	if code != 0 || len(got) != 3 {
		t.Fatalf("exit %d, %d answers (want 0, 3):\n%s\nstderr:\n%s", code, len(got), out, errOut)
	}
	if c := got[3]; c.Result == nil || c.Result.IsError {
		t.Fatalf("tools/call: %+v\n%s", c, out)
	}
}

// TestStdioWithSnowflakeDown: initialize is answered and the tool returns an
// unavailable tool error; the process exits 0 at the end of input.
func TestStdioWithSnowflakeDown(t *testing.T) {
	in := rpcInitialize + "\n" + rpcToolsCall + "\n"
	out, errOut, code := runCLI(t, in, "stdio", "--set", "snowflake.port="+strconv.Itoa(freePort(t)))
	got := stdioAnswers(t, out)
	if code != 0 || got[1].Result == nil {
		t.Fatalf("exit %d, initialize not answered:\n%s\nstderr:\n%s", code, out, errOut)
	}
	c := got[3]
	if c.Result == nil || !c.Result.IsError || c.Result.Structured.Error == nil || c.Result.Structured.Error.Kind != "unavailable" {
		t.Fatalf("tools/call with Snowflake down: %+v\n%s", c, out)
	}
}

func TestStdioHelpListsNoServeFlags(t *testing.T) {
	_, errOut, code := runCLI(t, "", "stdio", "--help")
	if code != 0 || !strings.Contains(errOut, "--log-level") {
		t.Fatalf("stdio --help: exit %d\n%s", code, errOut)
	}
	for _, f := range []string{"--listen", "--pid-file"} {
		if strings.Contains(errOut, f) {
			t.Errorf("stdio --help lists %s:\n%s", f, errOut)
		}
	}
	if _, errOut, code := runCLI(t, "", "stdio", "--listen", "127.0.0.1:1"); code != 2 || !strings.Contains(errOut, "listen") {
		t.Errorf("stdio --listen: exit %d (want 2): %s", code, errOut)
	}
}

func TestConfigUnknownSubcommand(t *testing.T) {
	_, errOut, code := runCLI(t, "", "config", "frob")
	if code != 2 || !strings.Contains(errOut, `unknown subcommand "frob"`) {
		t.Fatalf("config frob: exit %d: %s", code, errOut)
	}
}

// TestConfigCheckRefusesWhatServeRefuses: externalbrowser in production passes
// validation but not serve; check says so.
func TestConfigCheckRefusesWhatServeRefuses(t *testing.T) {
	args := []string{"--env", "production", "--set", "snowflake.account=acme", "--set", "snowflake.user=ana",
		"--set", "snowflake.authenticator=externalbrowser"}
	_, errOut, code := runCLI(t, "", append([]string{"config", "check"}, args...)...)
	if code != 2 || !strings.Contains(errOut, "externalbrowser") || !strings.Contains(errOut, "stdio") {
		t.Fatalf("config check: exit %d (want 2): %s", code, errOut)
	}
	_, serveErr, serveCode := runCLI(t, "", append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	if serveCode == 0 || !strings.Contains(serveErr, "externalbrowser") {
		t.Fatalf("serve accepted what check refused: exit %d: %s", serveCode, serveErr)
	}
}

// TestConfigCheckReportsEveryMissingKey: one run names all missing credentials.
func TestConfigCheckReportsEveryMissingKey(t *testing.T) {
	_, errOut, code := runCLI(t, "", "config", "check", "--env", "production")
	if code != 2 {
		t.Fatalf("exit %d, want 2: %s", code, errOut)
	}
	for _, k := range []string{"snowflake.account", "snowflake.user", "snowflake.password"} {
		if !strings.Contains(errOut, k) {
			t.Errorf("missing %s not reported:\n%s", k, errOut)
		}
	}
}
