package authn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/snowflake-mcp/snowflake-mcp/config"
)

// MetadataPath is the RFC 9728 protected resource metadata path.
const MetadataPath = "/.well-known/oauth-protected-resource"

// Options configure New.
type Options struct {
	Auth config.Auth
	// PublicURL is server.public_url; "" derives the base URL from each request's Host.
	PublicURL string
	// MCPPath is server.mcp_path: the resource is PublicURL + MCPPath.
	MCPPath string
	// HTTPClient fetches issuer metadata and JWKS; nil is a client with a 10 s timeout.
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// Authenticator verifies bearer tokens for one process.
type Authenticator struct {
	opts   Options
	tokens staticTokens
	jwt    *jwtVerifier
}

// New builds the authenticator; ctx ends the JWKS refresh. The issuer's keys are fetched
// on the first OAuth token, not here, so a down issuer does not stop static tokens.
func New(ctx context.Context, o Options) (*Authenticator, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if o.MCPPath == "" {
		o.MCPPath = "/mcp"
	}
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	toks, err := newStaticTokens(o.Auth.Tokens)
	if err != nil {
		return nil, err
	}
	a := &Authenticator{opts: o, tokens: toks}
	if oc := o.Auth.OAuth; oc.Issuer != "" {
		aud := []string{oc.Audience}
		if oc.Audience == "" {
			if o.PublicURL == "" {
				return nil, errors.New("auth.oauth needs server.public_url (the token audience)")
			}
			aud = []string{o.PublicURL + o.MCPPath, o.PublicURL, o.PublicURL + "/"}
		}
		a.jwt = newJWTVerifier(ctx, oc, aud, o.HTTPClient, o.Logger)
	}
	return a, nil
}

// Required reports whether callers must present a token.
func (a *Authenticator) Required() bool { return len(a.tokens) > 0 || a.jwt != nil }

// Verify returns the caller a token belongs to. A static token is tried first, then (when
// configured) the token as an OAuth JWT. The error is safe to show the caller.
func (a *Authenticator) Verify(ctx context.Context, token string) (Identity, int64, error) {
	if name, ok := a.tokens.lookup(token); ok {
		return Identity{Name: name, Method: "token"}, 0, nil
	}
	if a.jwt != nil && strings.Count(token, ".") == 2 {
		return a.jwt.verify(ctx, token)
	}
	return Identity{}, 0, errors.New("unknown token")
}

// Middleware admits requests with a valid token and attaches the Identity (also as the
// go-sdk TokenInfo, which MCP handlers see as req.Extra.TokenInfo). Without auth configured
// every request passes as Anonymous.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	// The SDK keeps TokenInfo under its own context key, set only by RequireBearerToken:
	// let it re-read the header and hand it what was already verified here.
	sdk := auth.RequireBearerToken(func(ctx context.Context, _ string, _ *http.Request) (*auth.TokenInfo, error) {
		v, _ := ctx.Value(verifiedKey{}).(*auth.TokenInfo)
		if v == nil {
			return nil, auth.ErrInvalidToken
		}
		return v, nil
	}, &auth.RequireBearerTokenOptions{AllowMissingExpiration: true})(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.Required() {
			next.ServeHTTP(w, r.WithContext(WithIdentity(r.Context(), Anonymous)))
			return
		}
		token, err := BearerToken(r.Header.Values("Authorization"))
		if errors.Is(err, ErrNoToken) {
			a.challenge(w, r, http.StatusUnauthorized, "", "authentication required: send Authorization: Bearer <token>")
			return
		}
		if err != nil {
			a.refuse(r, "", err)
			a.challenge(w, r, http.StatusUnauthorized, "invalid_token", err.Error())
			return
		}
		id, exp, err := a.Verify(r.Context(), token)
		if errors.Is(err, errInsufficientScope) {
			a.refuse(r, id.Name, err)
			a.challenge(w, r, http.StatusForbidden, "insufficient_scope", "token lacks a required scope")
			return
		}
		if err != nil {
			a.refuse(r, "", err)
			a.challenge(w, r, http.StatusUnauthorized, "invalid_token", err.Error())
			return
		}
		ctx := WithIdentity(r.Context(), id)
		ctx = context.WithValue(ctx, verifiedKey{}, tokenInfo(id, exp))
		sdk.ServeHTTP(w, r.WithContext(ctx))
	})
}

type verifiedKey struct{}

func (a *Authenticator) refuse(r *http.Request, name string, why error) {
	a.opts.Logger.LogAttrs(r.Context(), slog.LevelWarn, "authentication refused",
		slog.String("reason", why.Error()), slog.String("identity", name),
		slog.String("path", r.URL.Path), slog.String("remote", r.RemoteAddr))
}

// challenge writes a 401/403 with an RFC 6750 WWW-Authenticate header naming the
// RFC 9728 metadata, and a JSON body.
func (a *Authenticator) challenge(w http.ResponseWriter, r *http.Request, status int, code, desc string) {
	params := []string{fmt.Sprintf("resource_metadata=%q", a.MetadataURL(r))}
	if code != "" {
		params = append(params, fmt.Sprintf("error=%q", code), fmt.Sprintf("error_description=%q", desc))
	}
	if scopes := a.opts.Auth.OAuth.Scopes; len(scopes) > 0 && a.jwt != nil {
		params = append(params, fmt.Sprintf("scope=%q", strings.Join(scopes, " ")))
	}
	w.Header().Set("WWW-Authenticate", "Bearer "+strings.Join(params, ", "))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	body := map[string]string{"error": desc}
	if code != "" {
		body["error"] = code
		body["error_description"] = desc
	}
	_ = jsonEncode(w, body)
}

// base is the server's external base URL.
func (a *Authenticator) base(r *http.Request) string {
	if a.opts.PublicURL != "" {
		return a.opts.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// ResourceURL is the OAuth resource identifier: the MCP endpoint's URL.
func (a *Authenticator) ResourceURL(r *http.Request) string { return a.base(r) + a.opts.MCPPath }

// MetadataURL is where the resource's metadata is (the path-suffixed form, RFC 9728 §3.1).
func (a *Authenticator) MetadataURL(r *http.Request) string {
	return a.base(r) + MetadataPath + a.opts.MCPPath
}

// MetadataPaths are the paths MetadataHandler answers at.
func (a *Authenticator) MetadataPaths() []string {
	return []string{MetadataPath, MetadataPath + a.opts.MCPPath}
}

// MetadataHandler serves the RFC 9728 protected resource metadata (public, no auth).
func (a *Authenticator) MetadataHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := &oauthex.ProtectedResourceMetadata{
			Resource:               a.ResourceURL(r),
			BearerMethodsSupported: []string{"header"},
			ResourceName:           "snowflake-mcp",
		}
		if a.jwt != nil {
			m.AuthorizationServers = []string{a.opts.Auth.OAuth.Issuer}
			m.ScopesSupported = a.opts.Auth.OAuth.Scopes
		}
		auth.ProtectedResourceMetadataHandler(m).ServeHTTP(w, r)
	})
}
