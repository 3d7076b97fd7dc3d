package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/authn"
	"github.com/snowflake-mcp/snowflake-mcp/logging"
	"github.com/snowflake-mcp/snowflake-mcp/testbin"
	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// TestAuditTrailAndSecrets makes ok, refused, error, timeout and cancelled calls (the
// cancelled one a 2025-06-18 client hanging up mid-query), reads audit.log, and then greps
// every output of the run for the bearer tokens, the JWT and the Snowflake password.
func TestAuditTrailAndSecrets(t *testing.T) {
	dir := t.TempDir()
	const sfPassword = "pw-Xq81-secret-Zr"
	users := writeFile(t, dir, "users.yaml", `users:
  - account: demo
    user: svc_mcp
    password: `+sfPassword+`
    database: DEMO
    schema: SALES
`)
	emu := testemulator.Start(t, testemulator.WithUsersFile(users, "demo", "svc_mcp", sfPassword))
	key := newRSAKey(t, "a1")
	is := startIssuer(t, key)
	alice, err := authn.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	logDir := filepath.Join(dir, "logs")
	configYAML := `
auth:
  tokens:
    - name: alice
      sha256: ` + authn.HashToken(alice) + `
  oauth:
    issuer: ` + is.URL + `
server:
  public_url: https://mcp.audit.example
snowflake:
  user: svc_mcp
  password_file: ` + writeFile(t, dir, "sf-password", sfPassword+"\n") + `
query:
  timeout: 2s
log:
  output: file
  dir: ` + logDir + `
`
	srv := startServerLogs(t, emu, configYAML, filepath.Join(logDir, logging.AppFile))
	jwtTok := sign(t, key, claims{iss: is.URL, sub: "user-9", aud: "https://mcp.audit.example/mcp", exp: time.Now().Add(time.Hour)})
	wrongTok := "sfmcp_wrong-token-Zz93"

	var toolTexts []string
	call := func(token, tool string, args map[string]any) authResult {
		r := srv.call(t, token, tool, args)
		toolTexts = append(toolTexts, r.text())
		return r
	}
	if r := call(alice, "execute_query", map[string]any{"query": "SELECT 1"}); r.IsError {
		t.Fatalf("ok call: %s", r.text())
	}
	if r := call(alice, "execute_query", map[string]any{"query": "DROP TABLE DEMO.SALES.ORDERS"}); !r.IsError {
		t.Fatal("DROP was not refused")
	}
	if r := call(alice, "execute_query", map[string]any{"query": "SELECT * FROM NO_SUCH_TABLE"}); !r.IsError {
		t.Fatal("missing table did not fail")
	}
	if r := call(alice, "execute_query", map[string]any{"query": "SELECT SYSTEM$WAIT(5)"}); !r.IsError || r.Structured.Error == nil || r.Structured.Error.Kind != "timeout" {
		t.Fatalf("want a timeout: %s", r.text())
	}
	if r := call(jwtTok, "list_databases", map[string]any{}); r.IsError {
		t.Fatalf("JWT call: %s", r.text())
	}
	if r, err := srv.post(t, context.Background(), rpc{Token: wrongTok, Body: toolsList()}); err != nil || r.status != 401 {
		t.Fatalf("wrong token: %v %d", err, r.status)
	}

	// A 2025-06-18 client hangs up mid-query: the emulator must see the abort within 1 s.
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := srv.post(t, ctx, rpc{Token: alice, Protocol: "2025-06-18",
			Body: toolCall(9, "execute_query", map[string]any{"query": "SELECT SYSTEM$WAIT(30)"})})
		errc <- err
	}()
	waitUntil(t, 30*time.Second, "the 30 s query to run in the emulator", func() bool {
		q := findQuery(t, emu, "SYSTEM$WAIT(30)")
		return q != nil && q.State == "running"
	})
	hungUp := time.Now()
	cancel()
	<-errc
	waitUntil(t, 10*time.Second, "the emulator to show the query aborted", func() bool {
		q := findQuery(t, emu, "SYSTEM$WAIT(30)")
		return q != nil && q.State == "aborted"
	})
	if took := time.Since(hungUp); took > time.Second {
		t.Errorf("aborted %s after the hang-up, want within 1s", took)
	} else {
		t.Logf("2025-06-18 hang-up: the emulator shows the query aborted %s later", took.Round(time.Millisecond))
	}

	// The audit trail.
	auditPath := filepath.Join(logDir, logging.AuditFile)
	var lines []map[string]any
	waitUntil(t, 10*time.Second, "the cancelled call's audit line", func() bool {
		lines = readJSONLines(t, auditPath)
		for _, l := range lines {
			if l["outcome"] == "cancelled" {
				return true
			}
		}
		return false
	})
	want := map[string]func(map[string]any) bool{
		"ok": func(l map[string]any) bool {
			return l["identity"] == "alice" && l["query_id"] != "" && l["rows"] == 1.0
		},
		"refused": func(l map[string]any) bool {
			return l["identity"] == "alice" && strings.Contains(fmtAny(l["reason"]), "read-only")
		},
		"error": func(l map[string]any) bool {
			return l["identity"] == "alice" && l["code"] == "002003" && l["query_id"] != ""
		},
		"timeout":   func(l map[string]any) bool { return l["identity"] == "alice" },
		"cancelled": func(l map[string]any) bool { return l["identity"] == "alice" },
	}
	for outcome, check := range want {
		found := false
		for _, l := range lines {
			if l["outcome"] == outcome && l["tool"] == "execute_query" && l["request_id"] != "" && l["auth"] == "token" && check(l) {
				found = true
			}
		}
		if !found {
			t.Errorf("no audit line for outcome %s in:\n%v", outcome, lines)
		}
	}
	oauthLine := false
	for _, l := range lines {
		if l["identity"] == "user-9" && l["auth"] == "oauth" && l["tool"] == "list_databases" && l["outcome"] == "ok" {
			oauthLine = true
		}
		if args, _ := l["arguments"].(map[string]any); args != nil && strings.Contains(fmtAny(args["query"]), "DROP") {
			t.Errorf("SQL text in the audit log with query.log_sql off: %v", l)
		}
	}
	if !oauthLine {
		t.Errorf("no audit line for the OAuth caller")
	}

	// Every output of the run, then the secrets.
	outputs := map[string]string{"tool results": strings.Join(toolTexts, "\n")}
	if e := srv.logs(); e != "" {
		outputs["server stderr"] = e
	}
	entries, err := os.ReadDir(logDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 6 {
		t.Errorf("%d log files, want 6 (audit.log the sixth)", len(entries))
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(logDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		outputs[e.Name()] = string(b)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+alice)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	outputs["/metrics"] = string(b)
	cfgFile := writeFile(t, dir, "print.yaml", configYAML)
	for _, format := range []string{"yaml", "json"} {
		cmd := exec.Command(binary(t), "config", "print", "--format", format, "--config", cfgFile)
		cmd.Env = testbin.CleanEnv()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("config print: %v\n%s", err, out)
		}
		outputs["config print "+format] = string(out)
	}
	if !strings.Contains(outputs["config print yaml"], authn.HashToken(alice)) {
		t.Errorf("config print does not show the token's hash (it is not a secret)")
	}
	secrets := map[string]string{"alice's token": alice, "the JWT": jwtTok, "the JWT signature": jwtTok[strings.LastIndex(jwtTok, ".")+1:],
		"the wrong token": wrongTok, "the Snowflake password": sfPassword}
	for where, text := range outputs {
		if text == "" && where != "error.log" && where != "performance.log" {
			t.Errorf("%s is empty: the grep would prove nothing", where)
		}
		for what, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s appears in %s", what, where)
			}
		}
	}
	t.Logf("grepped %d outputs (%d bytes) for %d secrets", len(outputs), total(outputs), len(secrets))
}

func fmtAny(v any) string { s, _ := v.(string); return s }

func total(m map[string]string) int {
	n := 0
	for _, v := range m {
		n += len(v)
	}
	return n
}

func readJSONLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s: not JSON: %q", path, sc.Text())
		}
		out = append(out, m)
	}
	return out
}
