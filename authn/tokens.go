package authn

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"

	"github.com/snowflake-mcp/snowflake-mcp/config"
)

type staticToken struct {
	name string
	sum  [sha256.Size]byte
}

// staticTokens matches a presented token against the configured hashes. Every entry is
// compared, in constant time, so the time taken says nothing about which one was close.
type staticTokens []staticToken

func newStaticTokens(entries []config.TokenEntry) (staticTokens, error) {
	out := make(staticTokens, 0, len(entries))
	for _, e := range entries {
		b, err := hex.DecodeString(e.SHA256)
		if err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("auth.tokens: %s: sha256 is not 64 hex digits", e.Name)
		}
		var st staticToken
		st.name = e.Name
		copy(st.sum[:], b)
		out = append(out, st)
	}
	return out, nil
}

func (s staticTokens) lookup(token string) (string, bool) {
	sum := sha256.Sum256([]byte(token))
	name, found := "", 0
	for _, st := range s {
		if subtle.ConstantTimeCompare(sum[:], st.sum[:]) == 1 {
			name, found = st.name, 1
		}
	}
	return name, found == 1
}
