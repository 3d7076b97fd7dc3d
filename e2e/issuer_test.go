package e2e

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// issuer is a test OAuth authorization server on loopback: RFC 8414 metadata and a JWKS
// whose keys the test can rotate. It never issues tokens over HTTP; the test signs them.
type issuer struct {
	srv *httptest.Server
	URL string

	mu        sync.Mutex
	published []signingKey
	down      bool // JWKS answers 503
	fetches   int
}

type signingKey struct {
	kid string
	alg string
	key crypto.Signer
}

func newRSAKey(t *testing.T, kid string) signingKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return signingKey{kid: kid, alg: "RS256", key: k}
}

func newECKey(t *testing.T, kid string) signingKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return signingKey{kid: kid, alg: "ES256", key: k}
}

func startIssuer(t *testing.T, keys ...signingKey) *issuer {
	t.Helper()
	is := &issuer{published: keys}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                           is.URL,
			"authorization_endpoint":           is.URL + "/authorize",
			"token_endpoint":                   is.URL + "/token",
			"jwks_uri":                         is.URL + "/jwks",
			"response_types_supported":         []string{"code"},
			"code_challenge_methods_supported": []string{"S256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		is.mu.Lock()
		defer is.mu.Unlock()
		is.fetches++
		if is.down {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		var keys []map[string]string
		for _, k := range is.published {
			keys = append(keys, jwk(k))
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": keys})
	})
	is.srv = httptest.NewServer(mux)
	is.URL = is.srv.URL
	t.Cleanup(is.srv.Close)
	return is
}

func (is *issuer) publish(keys ...signingKey) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.published = keys
}

func (is *issuer) setDown(down bool) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.down = down
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func jwk(k signingKey) map[string]string {
	switch pub := k.key.Public().(type) {
	case *rsa.PublicKey:
		return map[string]string{"kty": "RSA", "kid": k.kid, "use": "sig", "alg": k.alg,
			"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes())}
	case *ecdsa.PublicKey:
		raw, err := pub.Bytes() // 0x04 || X || Y
		if err != nil {
			panic(err)
		}
		x, y := raw[1:33], raw[33:]
		return map[string]string{"kty": "EC", "kid": k.kid, "use": "sig", "alg": k.alg, "crv": "P-256", "x": b64(x), "y": b64(y)}
	}
	panic("unknown key type")
}

// claims are the claims of a test access token; zero fields take good defaults.
type claims struct {
	iss, sub, aud, scope string
	exp, nbf             time.Time
}

func sign(t *testing.T, k signingKey, c claims) string {
	t.Helper()
	m := jwt.MapClaims{"iss": c.iss, "sub": c.sub, "aud": c.aud, "scope": c.scope,
		"exp": c.exp.Unix(), "iat": time.Now().Add(-time.Minute).Unix()}
	if !c.nbf.IsZero() {
		m["nbf"] = c.nbf.Unix()
	}
	method := jwt.GetSigningMethod(k.alg)
	tok := jwt.NewWithClaims(method, m)
	tok.Header["kid"] = k.kid
	s, err := tok.SignedString(k.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func b64decode(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
