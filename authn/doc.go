// Package authn decides who is calling: it verifies bearer tokens on the MCP endpoint
// and attaches the caller's Identity to the request.
//
// Two kinds of credential are accepted, either or both:
//   - static tokens (auth.tokens, auth.tokens_file): the config holds only the hex SHA-256
//     of each token and a name; a presented token is hashed and compared in constant time.
//   - OAuth 2.1 access tokens (auth.oauth): JWTs signed RS256 or ES256 by the issuer's keys
//     (JWKS from auth.oauth.jwks_url, or discovered from the issuer's RFC 8414 / OpenID
//     metadata), cached and refreshed by keyfunc/jwkset, re-fetched when an unknown kid
//     appears (rotation without a restart). iss, aud (auth.oauth.audience, default the
//     resource URL server.public_url + server.mcp_path), exp (required) and nbf are checked
//     with auth.oauth.clock_skew; auth.oauth.scopes must all be granted. A JWKS that cannot
//     be fetched means no key, so no token passes.
//
// Answers follow RFC 6750 and RFC 9728: no token is a 401 with
// `WWW-Authenticate: Bearer resource_metadata="…"`, a bad one adds error="invalid_token",
// a valid token without the scopes is a 403 with error="insufficient_scope". The metadata
// document is served at /.well-known/oauth-protected-resource and at its path-suffixed
// form for the MCP path (MetadataPaths). Tokens never reach a log or an error message.
//
// Identity is the caller everywhere (audit log, QUERY_TAG, rate limits): the token's name,
// or the JWT's sub. Handlers read it with IdentityFromContext; MCP tool handlers, whose
// context is not the HTTP request's, with FromTokenInfo(req.Extra.TokenInfo). Without
// auth configured every caller is Anonymous.
package authn
