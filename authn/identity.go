package authn

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/auth"
)

// Identity is an authenticated caller.
type Identity struct {
	// Name is the token's name (auth.tokens) or the JWT's subject; it is bounded and plain
	// for static tokens, and whatever the issuer put in sub for OAuth.
	Name string `json:"name"`
	// Method is how the caller proved it: token, oauth, none (no auth configured) or stdio.
	Method string `json:"method"`
	// Scopes granted to an OAuth token; empty for static tokens.
	Scopes []string `json:"scopes,omitempty"`
}

// Anonymous is the caller when no authentication is configured.
var Anonymous = Identity{Name: "anonymous", Method: "none"}

// Stdio is the local user of a stdio session.
var Stdio = Identity{Name: "stdio", Method: "stdio"}

// Key is a string that tells identities apart across methods (for per-identity limits).
func (id Identity) Key() string { return id.Method + ":" + id.Name }

type identityKey struct{}

// WithIdentity returns ctx carrying id.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// IdentityFromContext returns the caller the request ctx belongs to; ok is false when
// no middleware or tool wrapper set one.
func IdentityFromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}

// tokenInfoIdentity is the TokenInfo.Extra key that carries the Identity into MCP handlers.
const tokenInfoIdentity = "snowflake-mcp.identity"

// FromTokenInfo returns the Identity the middleware stored in the go-sdk's TokenInfo
// (req.Extra.TokenInfo in a tool handler); a nil TokenInfo is Anonymous.
func FromTokenInfo(ti *auth.TokenInfo) Identity {
	if ti != nil {
		if id, ok := ti.Extra[tokenInfoIdentity].(Identity); ok {
			return id
		}
	}
	return Anonymous
}

func tokenInfo(id Identity, exp int64) *auth.TokenInfo {
	ti := &auth.TokenInfo{UserID: id.Key(), Scopes: id.Scopes, Extra: map[string]any{tokenInfoIdentity: id}}
	if exp > 0 {
		ti.Expiration = unixTime(exp)
	}
	return ti
}
