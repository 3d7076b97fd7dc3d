package config

import (
	"strings"
	"testing"
)

const sumA = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
const sumB = "486ea46224d1bb4fb680f34f7c9ad96a8f24ec88be73ea8e5a6c65260e9cb8a7"

func TestAuthTokensFromEveryForm(t *testing.T) {
	file := writeFile(t, "op.yaml", "auth:\n  tokens:\n    - name: alice\n      sha256: "+strings.ToUpper(sumA)+"\n")
	tokFile := writeFile(t, "tokens.json", `[{"name": "bob", "sha256": "`+sumB+`"}]`)
	l, err := load(t, Options{ConfigFile: file, Environ: []string{"SNOWFLAKE_MCP_AUTH__TOKENS_FILE=" + tokFile}})
	if err != nil {
		t.Fatal(err)
	}
	got := l.Config.Auth.Tokens
	if len(got) != 2 || got[0] != (TokenEntry{"alice", sumA}) || got[1] != (TokenEntry{"bob", sumB}) {
		t.Fatalf("tokens %+v", got)
	}
	l, err = load(t, Options{Overrides: []Override{{Key: "auth.tokens", Value: "carol:" + sumA + ", dave:" + sumB, Flag: "--set"}}})
	if err != nil || len(l.Config.Auth.Tokens) != 2 || l.Config.Auth.Tokens[1].Name != "dave" {
		t.Fatalf("--set tokens: %+v %v", l, err)
	}
}

func TestAuthAndLimitsValidation(t *testing.T) {
	for _, c := range []struct {
		set      []string
		key      string
		contains string
	}{
		{[]string{"auth.tokens=alice:abc"}, "auth.tokens", "64 hex digits"},
		{[]string{"auth.tokens=al ice:" + sumA}, "auth.tokens", "name"},
		{[]string{"auth.tokens=a:" + sumA + ",a:" + sumB}, "auth.tokens", "twice"},
		{[]string{"auth.tokens=a:" + sumA + ",b:" + sumA}, "auth.tokens", "same token hash"},
		{[]string{"auth.oauth.issuer=https://login.example.com"}, "server.public_url", "resource identifier"},
		{[]string{"auth.oauth.scopes=mcp"}, "auth.oauth.issuer", "required"},
		{[]string{"server.tls.cert_file=/x.pem"}, "server.tls.cert_file", "both"},
		{[]string{"limits.max_batch=0"}, "limits.max_batch", "at least 1"},
		{[]string{"limits.requests_per_second=-1"}, "limits.requests_per_second", ""},
		{[]string{"limits.requests_per_second=fast"}, "limits.requests_per_second", "a number"},
		{[]string{"metrics.listen=0.0.0.0:9100"}, "metrics.listen", "loopback"},
		{[]string{"server.public_url=mcp.example.com"}, "server.public_url", "base URL"},
	} {
		var ov []Override
		for _, s := range c.set {
			k, v, _ := strings.Cut(s, "=")
			ov = append(ov, Override{Key: k, Value: v, Flag: "--set"})
		}
		_, err := load(t, Options{Overrides: ov})
		wantErr(t, err, c.key, c.contains)
	}
}

func TestCheckExposure(t *testing.T) {
	for _, c := range []struct {
		set  []Override
		fail bool
	}{
		{[]Override{{Key: "server.listen", Value: "127.0.0.1:8000"}}, false},
		{[]Override{{Key: "server.listen", Value: "[::1]:8000"}}, false},
		{[]Override{{Key: "server.listen", Value: "localhost:8000"}}, false},
		{[]Override{{Key: "server.listen", Value: "0.0.0.0:8000"}}, true},
		{[]Override{{Key: "server.listen", Value: ":8000"}}, true},
		{[]Override{{Key: "server.listen", Value: "10.1.2.3:8000"}}, true},
		{[]Override{{Key: "server.listen", Value: "0.0.0.0:8000"}, {Key: "auth.allow_unauthenticated", Value: "true"}}, false},
		{[]Override{{Key: "server.listen", Value: "0.0.0.0:8000"}, {Key: "auth.tokens", Value: "a:" + sumA}}, false},
	} {
		for i := range c.set {
			c.set[i].Flag = "--set"
		}
		l, err := load(t, Options{Overrides: c.set})
		if err != nil {
			t.Fatal(err)
		}
		err = l.CheckExposure()
		if (err != nil) != c.fail {
			t.Errorf("%v: CheckExposure = %v", c.set, err)
		}
		if err != nil {
			wantErr(t, err, "server.listen", "auth.tokens", "auth.oauth", "auth.allow_unauthenticated: true")
		}
	}
}
