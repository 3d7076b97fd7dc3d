package authn

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"time"
)

// MaxTokenBytes bounds a presented token; real JWTs are a few KiB.
const MaxTokenBytes = 8 << 10

// Errors BearerToken returns; their text is safe to show (it never quotes the header).
var (
	ErrNoToken        = errors.New("no bearer token")
	ErrMalformedToken = errors.New("malformed Authorization header: want one 'Bearer <token>'")
	ErrTokenTooLong   = errors.New("bearer token too long")
)

// BearerToken extracts the token of an RFC 6750 `Authorization: Bearer <token>` header from
// the header's values. No header is ErrNoToken; several headers, another scheme, or a token
// outside the b64token alphabet is ErrMalformedToken.
func BearerToken(values []string) (string, error) {
	switch len(values) {
	case 0:
		return "", ErrNoToken
	case 1:
	default:
		return "", ErrMalformedToken
	}
	h := strings.TrimSpace(values[0])
	if h == "" {
		return "", ErrNoToken
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", ErrMalformedToken
	}
	tok = strings.TrimLeft(tok, " ")
	if len(tok) > MaxTokenBytes {
		return "", ErrTokenTooLong
	}
	if !isB64Token(tok) {
		return "", ErrMalformedToken
	}
	return tok, nil
}

// isB64Token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" (RFC 6750 §2.1).
func isB64Token(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/') {
			break
		}
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}

// HashToken is the hex SHA-256 of a token: what auth.tokens stores.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// TokenPrefix starts every token NewToken makes, so a leaked one is recognisable (secret scanners).
const TokenPrefix = "sfmcp_"

// NewToken returns a fresh token: 256 random bits, base64url.
func NewToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func unixTime(sec int64) time.Time { return time.Unix(sec, 0) }

func jsonEncode(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
