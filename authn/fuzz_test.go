package authn

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/snowflake-mcp/snowflake-mcp/config"
)

// FuzzBearerToken: the Authorization header parser never panics, returns only b64token
// tokens within MaxTokenBytes, and agrees with the go-sdk's own split (strings.Fields),
// which reads the header again after this package has accepted it.
func FuzzBearerToken(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer a.b.c", "Bearer  x==", "Basic dXNlcjpwdw==", "Bearer", "Bearer a b",
		"Bearer =abc", "BEARER sfmcp_Zz-_.~+/", "Bearer \x00", " Bearer\tabc", "Bearer abc=d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		tok, err := BearerToken([]string{h})
		if err != nil {
			return
		}
		if tok == "" || len(tok) > MaxTokenBytes || !isB64Token(tok) {
			t.Fatalf("accepted %q from %q", tok, h)
		}
		fields := strings.Fields(h)
		if len(fields) != 2 || !strings.EqualFold(fields[0], "bearer") || fields[1] != tok {
			t.Fatalf("the SDK would read %q as %q, this parser as %q", h, fields, tok)
		}
	})
}

// FuzzVerify: arbitrary tokens (JWT-shaped or not) against static tokens and an OAuth
// issuer's JWKS on loopback never panic and never pass, except the real ones.
func FuzzVerify(f *testing.F) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	raw, err := key.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		f.Fatal(err)
	}
	x, y := raw[1:33], raw[33:]
	enc := base64.RawURLEncoding.EncodeToString
	jwks, _ := json.Marshal(map[string]any{"keys": []any{map[string]string{"kty": "EC", "crv": "P-256", "kid": "f1", "alg": "ES256", "use": "sig", "x": enc(x), "y": enc(y)}}})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(jwks) }))
	f.Cleanup(ts.Close)
	const static = "sfmcp_static-token"
	ctx, cancel := context.WithCancel(context.Background())
	f.Cleanup(cancel)
	a, err := New(ctx, Options{Auth: config.Auth{
		Tokens: []config.TokenEntry{{Name: "s", SHA256: HashToken(static)}},
		OAuth:  config.OAuth{Issuer: "https://issuer.fuzz", JWKSURL: ts.URL, ClockSkew: time.Second},
	}, PublicURL: "https://mcp.fuzz"})
	if err != nil {
		f.Fatal(err)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"iss": "https://issuer.fuzz", "sub": "u", "aud": "https://mcp.fuzz/mcp", "exp": time.Now().Add(time.Hour).Unix()})
	tok.Header["kid"] = "f1"
	valid, err := tok.SignedString(key)
	if err != nil {
		f.Fatal(err)
	}
	if _, _, err := a.Verify(context.Background(), valid); err != nil {
		f.Fatalf("the valid seed does not verify: %v", err)
	}
	parts := strings.Split(valid, ".")
	for _, s := range []string{valid, static, parts[0] + "." + parts[1] + ".", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", parts[0] + ".e30." + parts[2]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, _, err := a.Verify(context.Background(), s)
		if err == nil && s != static && s != valid {
			t.Fatalf("%q verified as %+v", s, id)
		}
		if err != nil && strings.Contains(err.Error(), s) && len(s) > 8 {
			t.Fatalf("the error quotes the token: %v", err)
		}
	})
}
