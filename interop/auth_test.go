package interop

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/authn"
	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// TestTypeScriptClientBearerToken: the official TypeScript SDK client lists and calls the
// tools with a bearer token, and is turned away without the right one.
func TestTypeScriptClientBearerToken(t *testing.T) {
	node(t)
	emu := testemulator.Start(t)
	tok, err := authn.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	srv := startServe(t, emu, "--set", "auth.tokens=ts-client:"+authn.HashToken(tok))

	out, errOut, err := runNodeEnv(t, 2*time.Minute, []string{"MCP_BEARER_TOKEN=" + tok}, "client.mjs", srv.url)
	var rep clientReport
	if jerr := json.Unmarshal([]byte(strings.TrimSpace(out)), &rep); jerr != nil || err != nil || rep.Error != "" {
		t.Fatalf("TypeScript client with a token: %v %v %s\nstdout: %s\nstderr: %s", jerr, err, rep.Error, out, errOut)
	}
	if len(rep.Tools) != 8 || len(rep.Calls) != 9 {
		t.Errorf("listed %d tools, made %d calls", len(rep.Tools), len(rep.Calls))
	}
	for _, c := range rep.Calls[:8] {
		if c.IsError {
			t.Errorf("%s failed: %s", c.Name, c.Text)
		}
	}
	srv.mu.Lock()
	logs := srv.logs.String()
	srv.mu.Unlock()
	if !strings.Contains(logs, `"identity":"ts-client"`) {
		t.Errorf("no audit line names the token's identity")
	}
	if strings.Contains(logs, tok) {
		t.Errorf("the token appears in the server's log")
	}

	for env, want := range map[string]string{"": "authentication required", "MCP_BEARER_TOKEN=sfmcp_wrong": "invalid_token"} {
		name := env
		var extra []string
		if env != "" {
			extra = []string{env}
		}
		out, _, err = runNodeEnv(t, 2*time.Minute, extra, "client.mjs", srv.url)
		rep = clientReport{}
		_ = json.Unmarshal([]byte(strings.TrimSpace(out)), &rep)
		if err == nil || !strings.Contains(rep.Error, want) || len(rep.Tools) != 0 {
			t.Errorf("%q: the client was not refused (%s): %v %s", name, want, err, rep.Error)
		}
	}
}
