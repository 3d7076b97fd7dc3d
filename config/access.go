package config

import (
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// tokenName is what a token's name may look like: it lands in logs, QUERY_TAG and metric labels.
var tokenName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$`)

// ValidTokenName reports whether name may name a token's caller.
func ValidTokenName(name string) bool { return tokenName.MatchString(name) }

// convertTokens reads auth.tokens from a layer: a YAML/JSON list of {name, sha256}, or the
// text form name:sha256[,name:sha256] that env variables and --set carry.
func convertTokens(raw any) (any, error) {
	switch v := raw.(type) {
	case []TokenEntry:
		return append([]TokenEntry(nil), v...), nil
	case string:
		out := []TokenEntry{}
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			name, sum, ok := strings.Cut(part, ":")
			if !ok {
				return nil, fmt.Errorf("entry %d is not name:sha256", len(out))
			}
			out = append(out, TokenEntry{Name: strings.TrimSpace(name), SHA256: strings.TrimSpace(sum)})
		}
		return out, nil
	case []any:
		out := make([]TokenEntry, 0, len(v))
		for i, e := range v {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("item %d is %s, want a mapping with name and sha256", i, kindOf(e))
			}
			var te TokenEntry
			for k, val := range m {
				s, ok := val.(string)
				if !ok {
					return nil, fmt.Errorf("item %d: %s must be a string", i, k)
				}
				switch k {
				case "name":
					te.Name = s
				case "sha256":
					te.SHA256 = s
				default:
					return nil, fmt.Errorf("item %d: unknown key %q (known: name, sha256; the token itself never goes in the config)", i, k)
				}
			}
			out = append(out, te)
		}
		return out, nil
	}
	return nil, fmt.Errorf("got a %s, want %s", kindOf(raw), kindName(tokensType))
}

// resolveTokensFile appends the entries of auth.tokens_file to auth.tokens, and expands
// $CREDENTIALS_DIRECTORY in it and in the TLS paths.
func (l *Loaded) resolveTokensFile(env map[string]string) error {
	for _, p := range []struct {
		key  string
		path *string
	}{{"server.tls.cert_file", &l.Config.Server.TLS.CertFile}, {"server.tls.key_file", &l.Config.Server.TLS.KeyFile}} {
		exp, err := ExpandCredentialsDir(*p.path, env)
		if err != nil {
			return &Error{Key: p.key, Source: l.Sources[p.key].String(), Reason: err.Error()}
		}
		*p.path = exp
	}
	a := &l.Config.Auth
	if a.TokensFile == "" {
		return nil
	}
	src := l.Sources["auth.tokens_file"].String()
	path, err := ExpandCredentialsDir(a.TokensFile, env)
	if err != nil {
		return &Error{Key: "auth.tokens_file", Source: src, Reason: err.Error()}
	}
	a.TokensFile = path
	body, err := readSecretFile(path)
	if err != nil {
		return &Error{Key: "auth.tokens_file", Source: src, Reason: err.Error()}
	}
	var doc any
	if err := yaml.Unmarshal([]byte(body), &doc); err != nil {
		// The parser's message can quote the file; say where, not what.
		return &Error{Key: "auth.tokens_file", Source: src, Reason: fmt.Sprintf("%s is not a YAML or JSON list of {name, sha256}", path)}
	}
	entries, err := convertTokens(doc)
	if err != nil {
		return &Error{Key: "auth.tokens_file", Source: src, Reason: fmt.Sprintf("%s: %v", path, err)}
	}
	a.Tokens = append(a.Tokens, entries.([]TokenEntry)...)
	return nil
}

// AuthConfigured reports whether callers must present a credential.
func (c *Config) AuthConfigured() bool {
	return len(c.Auth.Tokens) > 0 || c.Auth.OAuth.Issuer != ""
}

// IsLoopback reports whether a host:port listen address only accepts local connections.
func IsLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// CheckExposure refuses a listener reachable from other hosts when no caller
// authentication is configured, unless auth.allow_unauthenticated says so.
func (l *Loaded) CheckExposure() error {
	c := &l.Config
	if IsLoopback(c.Server.Listen) || c.AuthConfigured() || c.Auth.AllowUnauthenticated {
		return nil
	}
	return l.fail("server.listen", "%s accepts connections from other hosts, and no caller authentication is configured: "+
		"anyone who reaches the port could query Snowflake. Configure auth.tokens (or auth.tokens_file; "+
		"'snowflake-mcp token new NAME' makes one) or auth.oauth.issuer, listen on 127.0.0.1, "+
		"or set auth.allow_unauthenticated: true to accept the risk", c.Server.Listen)
}

// validateAccess checks auth.*, limits.*, server.tls.*, server.public_url and metrics.listen.
func (l *Loaded) validateAccess() error {
	c := &l.Config
	if u := c.Server.PublicURL; u != "" {
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" || pu.RawQuery != "" || pu.Fragment != "" {
			return l.fail("server.public_url", "%q is not a base URL like https://mcp.example.com", u)
		}
		c.Server.PublicURL = strings.TrimRight(u, "/")
	}
	t := c.Server.TLS
	if (t.CertFile == "") != (t.KeyFile == "") {
		return l.fail("server.tls.cert_file", "server.tls.cert_file and server.tls.key_file go together; set both or neither")
	}

	a := &c.Auth
	names, sums := map[string]bool{}, map[string]bool{}
	for i, te := range a.Tokens {
		if !tokenName.MatchString(te.Name) {
			return l.fail("auth.tokens", "entry %d: name %q must be 1-64 letters, digits, or _ . @ - (it names the caller in logs and metrics)", i, te.Name)
		}
		sum := strings.ToLower(te.SHA256)
		if b, err := hex.DecodeString(sum); err != nil || len(b) != 32 {
			return l.fail("auth.tokens", "entry %d (%s): sha256 must be 64 hex digits, the SHA-256 of the token ('snowflake-mcp token new %s' prints one)", i, te.Name, te.Name)
		}
		if names[te.Name] {
			return l.fail("auth.tokens", "name %q appears twice", te.Name)
		}
		if sums[sum] {
			return l.fail("auth.tokens", "entry %d (%s): the same token hash appears twice", i, te.Name)
		}
		names[te.Name], sums[sum] = true, true
		a.Tokens[i].SHA256 = sum
	}
	o := &a.OAuth
	if o.Issuer == "" && (o.JWKSURL != "" || o.Audience != "" || len(o.Scopes) > 0) {
		return l.fail("auth.oauth.issuer", "is required when any other auth.oauth key is set")
	}
	if o.Issuer != "" {
		if u, err := url.Parse(o.Issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return l.fail("auth.oauth.issuer", "%q is not an issuer URL like https://login.example.com", o.Issuer)
		}
		if o.JWKSURL != "" {
			if u, err := url.Parse(o.JWKSURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return l.fail("auth.oauth.jwks_url", "%q is not a URL", o.JWKSURL)
			}
		}
		if c.Server.PublicURL == "" {
			return l.fail("server.public_url", "is required with auth.oauth: it is the resource identifier clients ask tokens for, and the default audience")
		}
	}

	lm := &c.Limits
	if lm.RequestsPerSecond < 0 {
		return l.fail("limits.requests_per_second", "must be 0 (off) or more")
	}
	if lm.Burst < 0 {
		return l.fail("limits.burst", "must be 0 (the rate rounded up) or more")
	}
	if lm.MaxConcurrentQueries < 0 {
		return l.fail("limits.max_concurrent_queries", "must be 0 (pool.max_open) or more")
	}
	if lm.QueueTimeout <= 0 {
		return l.fail("limits.queue_timeout", "must be greater than 0")
	}
	if lm.MaxBatch < 1 {
		return l.fail("limits.max_batch", "must be at least 1 (1 refuses JSON-RPC batches)")
	}
	if m := c.Metrics.Listen; m != "" {
		if _, _, err := net.SplitHostPort(m); err != nil {
			return l.fail("metrics.listen", "%q is not host:port", m)
		}
		if !IsLoopback(m) {
			return l.fail("metrics.listen", "%q is not a loopback address: the metrics listener has no auth", m)
		}
	}
	return nil
}
