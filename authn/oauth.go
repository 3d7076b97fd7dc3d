package authn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
	"golang.org/x/time/rate"

	"github.com/snowflake-mcp/snowflake-mcp/config"
)

// Algorithms accepted on access tokens; "none" and HMAC never are.
var signingAlgorithms = []string{"RS256", "ES256"}

// discoveryRetry is how long a failed discovery or JWKS setup is remembered before it is
// tried again, so a down issuer is not hammered by every request.
const discoveryRetry = 5 * time.Second

// jwtVerifier checks OAuth access tokens against the issuer's JWKS.
type jwtVerifier struct {
	cfg       config.OAuth
	audiences []string
	client    *http.Client
	logger    *slog.Logger
	ctx       context.Context // ends the JWKS refresh goroutine
	parser    *jwt.Parser

	mu        sync.Mutex
	kf        keyfunc.Keyfunc
	jwksURL   string
	lastFail  time.Time
	lastError error
}

func newJWTVerifier(ctx context.Context, cfg config.OAuth, audiences []string, client *http.Client, logger *slog.Logger) *jwtVerifier {
	return &jwtVerifier{
		cfg: cfg, audiences: audiences, client: client, logger: logger, ctx: ctx,
		parser: jwt.NewParser(
			jwt.WithValidMethods(signingAlgorithms),
			jwt.WithIssuer(cfg.Issuer),
			jwt.WithAudience(audiences...),
			jwt.WithExpirationRequired(),
			jwt.WithLeeway(cfg.ClockSkew),
		),
	}
}

// keys returns the key function, setting it up (discovery, first JWKS fetch) on first use.
func (v *jwtVerifier) keys(ctx context.Context) (keyfunc.Keyfunc, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.kf != nil {
		return v.kf, nil
	}
	if !v.lastFail.IsZero() && time.Since(v.lastFail) < discoveryRetry {
		return nil, v.lastError
	}
	kf, u, err := v.setup(ctx)
	if err != nil {
		v.lastFail, v.lastError = time.Now(), err
		v.logger.Warn("oauth: cannot load the issuer's keys; OAuth tokens are refused until it works",
			"issuer", v.cfg.Issuer, "error", err.Error())
		return nil, err
	}
	v.kf, v.jwksURL = kf, u
	return kf, nil
}

func (v *jwtVerifier) setup(ctx context.Context) (keyfunc.Keyfunc, string, error) {
	u := v.cfg.JWKSURL
	if u == "" {
		var err error
		if u, err = v.discover(ctx); err != nil {
			return nil, "", err
		}
	}
	no := false
	kf, err := keyfunc.NewDefaultOverrideCtx(v.ctx, []string{u}, keyfunc.Override{
		Client:      v.client,
		HTTPTimeout: 10 * time.Second,
		// The first fetch must work, or there are no keys to check against.
		NoErrorReturnFirstHTTPReq: &no,
		RefreshInterval:           15 * time.Minute,
		// An unknown kid (a rotated key) triggers a fetch: 3 at once, then one per 10 s. The
		// wait bound also bounds that fetch (jwkset uses one context for both).
		RefreshUnknownKID: rate.NewLimiter(rate.Every(10*time.Second), 3),
		RateLimitWaitMax:  5 * time.Second,
		RefreshErrorHandlerFunc: func(u string) func(context.Context, error) {
			return func(_ context.Context, err error) {
				v.logger.Warn("oauth: JWKS refresh failed; the cached keys stay in use", "jwks_url", u, "error", err.Error())
			}
		},
	})
	if err != nil {
		return nil, "", fmt.Errorf("fetch JWKS %s: %w", u, err)
	}
	v.logger.Info("oauth: loaded the issuer's keys", "issuer", v.cfg.Issuer, "jwks_url", u)
	return kf, u, nil
}

// discover reads jwks_uri from the issuer's metadata: RFC 8414 first, then OpenID Connect.
func (v *jwtVerifier) discover(ctx context.Context) (string, error) {
	iu, err := url.Parse(v.cfg.Issuer)
	if err != nil {
		return "", err
	}
	path := strings.TrimRight(iu.Path, "/")
	candidates := []string{
		// RFC 8414 §3.1: the well-known segment goes between host and issuer path.
		iu.Scheme + "://" + iu.Host + "/.well-known/oauth-authorization-server" + path,
		strings.TrimRight(v.cfg.Issuer, "/") + "/.well-known/openid-configuration",
	}
	var errs []error
	for _, c := range candidates {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		meta, err := oauthex.GetAuthServerMeta(dctx, c, v.cfg.Issuer, v.client)
		cancel()
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", c, err))
		case meta == nil:
			errs = append(errs, fmt.Errorf("%s: not found", c))
		case meta.JWKSURI == "":
			errs = append(errs, fmt.Errorf("%s: no jwks_uri", c))
		default:
			return meta.JWKSURI, nil
		}
	}
	return "", fmt.Errorf("discover the issuer's jwks_uri (set auth.oauth.jwks_url to skip discovery): %w", errors.Join(errs...))
}

// accessClaims are the claims read from an access token.
type accessClaims struct {
	jwt.RegisteredClaims
	Scope    string `json:"scope"`
	Scp      any    `json:"scp"`
	ClientID string `json:"client_id"`
}

func (c *accessClaims) scopes() []string {
	out := strings.Fields(c.Scope)
	switch s := c.Scp.(type) {
	case string:
		out = append(out, strings.Fields(s)...)
	case []any:
		for _, e := range s {
			if str, ok := e.(string); ok {
				out = append(out, str)
			}
		}
	}
	return out
}

// verify checks a JWT and returns its identity and expiry (unix seconds). Errors say why
// in words safe to send back (never the token or its claims' values).
func (v *jwtVerifier) verify(ctx context.Context, token string) (Identity, int64, error) {
	kf, err := v.keys(ctx)
	if err != nil {
		return Identity{}, 0, errors.New("the issuer's signing keys are unavailable")
	}
	var claims accessClaims
	if _, err := v.parser.ParseWithClaims(token, &claims, kf.Keyfunc); err != nil {
		return Identity{}, 0, jwtReason(err)
	}
	name := claims.Subject
	if name == "" {
		name = claims.ClientID
	}
	if name == "" {
		return Identity{}, 0, errors.New("token has no sub claim")
	}
	id := Identity{Name: name, Method: "oauth", Scopes: claims.scopes()}
	for _, want := range v.cfg.Scopes {
		if !slices.Contains(id.Scopes, want) {
			return id, 0, errInsufficientScope
		}
	}
	return id, claims.ExpiresAt.Unix(), nil
}

var errInsufficientScope = errors.New("insufficient scope")

// jwtReason maps a jwt library error to a short reason.
func jwtReason(err error) error {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return errors.New("malformed token")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return errors.New("signature not valid for the issuer's keys")
	case errors.Is(err, jwt.ErrTokenExpired):
		return errors.New("token expired")
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return errors.New("token not valid yet")
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return errors.New("wrong issuer")
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return errors.New("wrong audience")
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return errors.New("required claim missing (exp)")
	}
	return errors.New("token not valid")
}
