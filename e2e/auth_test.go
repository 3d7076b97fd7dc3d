package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/authn"
	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

const publicURL = "https://mcp.test.example"

// TestBearerAuth runs the binary with static tokens and an OAuth issuer (a JWKS on
// loopback), and checks every way a request can be let in or turned away.
func TestBearerAuth(t *testing.T) {
	emu := testemulator.Start(t)
	k1, k2 := newRSAKey(t, "k1"), newECKey(t, "k2")
	is := startIssuer(t, k1, k2)
	alice, err := authn.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, emu, `
auth:
  tokens:
    - name: alice
      sha256: `+authn.HashToken(alice)+`
  oauth:
    issuer: `+is.URL+`
    scopes: [snowflake:query]
    clock_skew: 5s
server:
  public_url: `+publicURL+`
`)
	metaURL := publicURL + "/.well-known/oauth-protected-resource/mcp"
	good := claims{iss: is.URL, sub: "user-7", aud: publicURL + "/mcp", scope: "openid snowflake:query", exp: time.Now().Add(time.Hour)}
	with := func(f func(*claims)) claims { c := good; f(&c); return c }

	listTools := func(t *testing.T, token string) reply {
		t.Helper()
		r, err := srv.post(t, context.Background(), rpc{Token: token, Body: toolsList()})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	wantPass := func(t *testing.T, token string) {
		t.Helper()
		r := listTools(t, token)
		var m struct {
			Result struct {
				Tools []any `json:"tools"`
			} `json:"result"`
		}
		if r.status != http.StatusOK || json.Unmarshal(r.payload, &m) != nil || len(m.Result.Tools) != 8 {
			t.Fatalf("want 200 with 8 tools, got %d: %s", r.status, r.raw)
		}
	}
	wantRefused := func(t *testing.T, token string, status int, wwwAuth ...string) {
		t.Helper()
		r := listTools(t, token)
		if r.status != status {
			t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
		}
		got := r.header.Get("WWW-Authenticate")
		for _, w := range wwwAuth {
			if !strings.Contains(got, w) {
				t.Errorf("WWW-Authenticate %q lacks %q", got, w)
			}
		}
		if !strings.HasPrefix(got, "Bearer ") {
			t.Errorf("WWW-Authenticate %q is not a Bearer challenge", got)
		}
	}

	t.Run("no token", func(t *testing.T) {
		wantRefused(t, "", http.StatusUnauthorized, `resource_metadata="`+metaURL+`"`, `scope="snowflake:query"`)
		if got := listTools(t, "").header.Get("WWW-Authenticate"); strings.Contains(got, "error=") {
			t.Errorf("no token given, yet the challenge has an error: %q", got)
		}
	})
	t.Run("wrong token", func(t *testing.T) {
		wantRefused(t, "sfmcp_not-a-real-token", http.StatusUnauthorized, `resource_metadata="`+metaURL+`"`, `error="invalid_token"`)
	})
	t.Run("not a bearer header", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, srv.base+"/mcp", strings.NewReader(`{}`))
		req.Header.Set("Authorization", "Basic YWxpY2U6cHc=")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Fatalf("Basic auth: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	})
	t.Run("valid static token", func(t *testing.T) { wantPass(t, alice) })
	t.Run("valid JWT RS256", func(t *testing.T) { wantPass(t, sign(t, k1, good)) })
	t.Run("valid JWT ES256", func(t *testing.T) { wantPass(t, sign(t, k2, good)) })
	t.Run("audience is public_url too", func(t *testing.T) {
		wantPass(t, sign(t, k1, with(func(c *claims) { c.aud = publicURL })))
	})

	foreign := newRSAKey(t, "k1") // same kid as a published key, other key material
	for _, c := range []struct {
		name, token, desc string
	}{
		{"expired", sign(t, k1, with(func(c *claims) { c.exp = time.Now().Add(-time.Minute) })), "token expired"},
		{"not yet valid", sign(t, k1, with(func(c *claims) { c.nbf = time.Now().Add(time.Hour) })), "not valid yet"},
		{"wrong audience", sign(t, k1, with(func(c *claims) { c.aud = "https://other.example/mcp" })), "wrong audience"},
		{"wrong issuer", sign(t, k1, with(func(c *claims) { c.iss = "https://evil.example" })), "wrong issuer"},
		{"foreign key, known kid", sign(t, foreign, good), "signature"},
		{"foreign key, unknown kid", sign(t, newECKey(t, "evil"), good), "signature"},
		{"tampered payload", tamper(t, sign(t, k1, good)), "signature"},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantRefused(t, c.token, http.StatusUnauthorized, `error="invalid_token"`, c.desc, `resource_metadata="`+metaURL+`"`)
		})
	}
	t.Run("missing scope", func(t *testing.T) {
		wantRefused(t, sign(t, k1, with(func(c *claims) { c.scope = "openid" })), http.StatusForbidden,
			`error="insufficient_scope"`, `scope="snowflake:query"`, `resource_metadata="`+metaURL+`"`)
	})

	t.Run("key rotation without restart", func(t *testing.T) {
		k3 := newRSAKey(t, "k3")
		is.publish(k1, k2, k3)
		wantPass(t, sign(t, k3, good))
	})
	t.Run("JWKS fetch failure lets no new key in", func(t *testing.T) {
		is.mu.Lock()
		before := is.fetches
		is.mu.Unlock()
		is.setDown(true)
		defer is.setDown(false)
		k4 := newRSAKey(t, "k4")
		is.publish(k1, k2, k4)
		wantRefused(t, sign(t, k4, good), http.StatusUnauthorized, `error="invalid_token"`)
		is.mu.Lock()
		after := is.fetches
		is.mu.Unlock()
		if after <= before {
			t.Errorf("the unknown kid did not make the server try the JWKS (fetches %d -> %d)", before, after)
		}
		wantPass(t, sign(t, k1, good)) // cached keys keep working
	})

	t.Run("protected resource metadata", func(t *testing.T) {
		for _, path := range []string{"/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"} {
			resp, err := http.Get(srv.base + path)
			if err != nil {
				t.Fatal(err)
			}
			var m struct {
				Resource             string   `json:"resource"`
				AuthorizationServers []string `json:"authorization_servers"`
				ScopesSupported      []string `json:"scopes_supported"`
			}
			err = json.NewDecoder(resp.Body).Decode(&m)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 || m.Resource != publicURL+"/mcp" ||
				len(m.AuthorizationServers) != 1 || m.AuthorizationServers[0] != is.URL ||
				len(m.ScopesSupported) != 1 || m.ScopesSupported[0] != "snowflake:query" {
				t.Errorf("GET %s: %d %+v (%v)", path, resp.StatusCode, m, err)
			}
		}
	})
	t.Run("probes open, metrics behind auth", func(t *testing.T) {
		get := func(path, token string) int {
			req, _ := http.NewRequest(http.MethodGet, srv.base+path, nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode
		}
		if c := get("/healthz", ""); c != 200 {
			t.Errorf("/healthz without token: %d", c)
		}
		if c := get("/readyz", ""); c != 200 {
			t.Errorf("/readyz without token: %d", c)
		}
		if c := get("/metrics", ""); c != 401 {
			t.Errorf("/metrics without token: %d, want 401", c)
		}
		if c := get("/metrics", alice); c != 200 {
			t.Errorf("/metrics with a token: %d", c)
		}
	})
	t.Run("identity in QUERY_TAG", func(t *testing.T) {
		for _, c := range []struct{ token, identity, marker string }{
			{alice, "alice", "SELECT 'tag-alice'"},
			{sign(t, k1, good), "user-7", "SELECT 'tag-oauth'"},
		} {
			if r := srv.call(t, c.token, "execute_query", map[string]any{"query": c.marker}); r.IsError {
				t.Fatalf("%s: %s", c.marker, r.text())
			}
			q := findQuery(t, emu, c.marker)
			if q == nil || !strings.Contains(q.QueryTag, `"identity":"`+c.identity+`"`) {
				t.Errorf("%s: query tag %+v", c.marker, q)
			}
		}
	})
}

// tamper changes the JWT's payload (sub) and keeps the old signature.
func tamper(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	payload, err := b64decode(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	parts[1] = b64([]byte(strings.Replace(string(payload), "user-7", "admin", 1)))
	return strings.Join(parts, ".")
}
