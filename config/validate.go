package config

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Authenticators are the accepted snowflake.authenticator values.
var Authenticators = []string{"snowflake", "snowflake_jwt", "oauth", "programmatic_access_token", "externalbrowser"}

func (l *Loaded) fail(key, format string, args ...any) error {
	return &Error{Key: key, Source: l.Sources[key].String(), Reason: fmt.Sprintf(format, args...)}
}

func (l *Loaded) oneOf(key string, v *string, allowed ...string) error {
	norm := strings.ToLower(strings.TrimSpace(*v))
	for _, a := range allowed {
		if norm == a {
			*v = norm
			return nil
		}
	}
	return l.fail(key, "%q is not one of %s", *v, strings.Join(allowed, ", "))
}

// validate checks values that parse but make no sense, and the credentials the chosen
// authenticator needs.
func (l *Loaded) validate() error {
	c := &l.Config
	s := &c.Server
	_, port, err := net.SplitHostPort(s.Listen)
	if err != nil {
		return l.fail("server.listen", "%q is not host:port (e.g. 127.0.0.1:8000): %v", s.Listen, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return l.fail("server.listen", "port %q in %q is not a number from 0 to 65535", port, s.Listen)
	}
	if !strings.HasPrefix(s.MCPPath, "/") {
		return l.fail("server.mcp_path", "%q must start with /", s.MCPPath)
	}
	switch s.MCPPath {
	case "/", "/healthz", "/readyz", "/version", "/metrics":
		return l.fail("server.mcp_path", "%q collides with a built-in endpoint", s.MCPPath)
	}
	if s.ReadHeaderTimeout <= 0 {
		return l.fail("server.read_header_timeout", "must be greater than 0 (it bounds slow clients)")
	}
	if s.MaxBodyBytes <= 0 {
		return l.fail("server.max_body_bytes", "must be greater than 0")
	}
	if s.WriteTimeout > 0 && s.WriteTimeout < c.Query.Timeout {
		return l.fail("server.write_timeout", "%s is shorter than query.timeout (%s), so long queries would be cut off; use 0 (none) or at least %s",
			s.WriteTimeout, c.Query.Timeout, c.Query.Timeout)
	}
	for _, o := range s.AllowedOrigins {
		if o != "*" && !strings.Contains(o, "://") {
			return l.fail("server.allowed_origins", "%q is not an origin like https://example.com (or *)", o)
		}
	}
	for _, p := range s.TrustedProxies {
		if !validProxy(p) {
			return l.fail("server.trusted_proxies", "%q is not an IP address or CIDR (e.g. 10.0.0.0/8 or 127.0.0.1)", p)
		}
	}

	sf := &c.Snowflake
	if err := l.oneOf("snowflake.authenticator", &sf.Authenticator, Authenticators...); err != nil {
		return err
	}
	if err := l.oneOf("snowflake.protocol", &sf.Protocol, "https", "http"); err != nil {
		return err
	}
	if sf.Port < 0 || sf.Port > 65535 {
		return l.fail("snowflake.port", "%d is not a port from 0 to 65535", sf.Port)
	}
	if sf.ConnectTimeout <= 0 {
		return l.fail("snowflake.connect_timeout", "must be greater than 0 (e.g. 5s): it bounds how long a call waits for an unreachable Snowflake")
	}

	p := c.Pool
	if p.MaxOpen < 1 {
		return l.fail("pool.max_open", "must be at least 1")
	}
	if p.MaxIdle < 0 || p.MaxIdle > p.MaxOpen {
		return l.fail("pool.max_idle", "%d must be between 0 and pool.max_open (%d)", p.MaxIdle, p.MaxOpen)
	}
	if p.Warm < 0 || p.Warm > p.MaxOpen {
		return l.fail("pool.warm", "%d must be between 0 and pool.max_open (%d)", p.Warm, p.MaxOpen)
	}

	q := c.Query
	if q.Timeout <= 0 {
		return l.fail("query.timeout", "must be greater than 0")
	}
	if q.MaxRows < 1 {
		return l.fail("query.max_rows", "must be at least 1")
	}
	if q.DefaultLimit < 1 || q.DefaultLimit > q.MaxRows {
		return l.fail("query.default_limit", "%d must be between 1 and query.max_rows (%d)", q.DefaultLimit, q.MaxRows)
	}
	if q.MaxResultBytes <= 0 {
		return l.fail("query.max_result_bytes", "must be greater than 0")
	}
	if q.MaxCellChars < 1 {
		return l.fail("query.max_cell_chars", "must be at least 1")
	}

	lg := &c.Log
	if err := l.oneOf("log.level", &lg.Level, "debug", "info", "warn", "error"); err != nil {
		return err
	}
	if err := l.oneOf("log.format", &lg.Format, "json", "text"); err != nil {
		return err
	}
	if err := l.oneOf("log.output", &lg.Output, "stderr", "stdout", "file"); err != nil {
		return err
	}
	if lg.Output == "file" && lg.Dir == "" {
		return l.fail("log.dir", "is required when log.output is file")
	}

	r := &c.Reload
	if err := l.oneOf("reload.mode", &r.Mode, "upgrade", "restart"); err != nil {
		return err
	}
	if err := l.oneOf("reload.supervisor", &r.Supervisor, "auto", "keeper", "none"); err != nil {
		return err
	}
	if c.Server.DrainDelay < 0 {
		return l.fail("server.drain_delay", "must not be negative")
	}
	if r.UpgradeTimeout <= 0 {
		return l.fail("reload.upgrade_timeout", "must be greater than 0")
	}
	if err := l.validateAccess(); err != nil {
		return err
	}
	return nil
}

// checkCredentials demands what the authenticator needs, unless a named connection from the
// Snowflake CLI's connections.toml supplies it (the pool reads that file). Every missing key
// is reported at once, so one run shows all there is to set.
func (l *Loaded) checkCredentials() error {
	sf := l.Config.Snowflake
	if sf.ConnectionName != "" {
		return nil
	}
	why := func(alts string) string {
		return fmt.Sprintf("is required when snowflake.authenticator is %s (from %s); set it%s, or name a connection with snowflake.connection_name",
			sf.Authenticator, l.Sources["snowflake.authenticator"], alts)
	}
	var missing []error
	need := func(key string, set bool, alts string) {
		if !set {
			missing = append(missing, &Error{Key: key, Reason: why(alts)})
		}
	}
	need("snowflake.account", sf.Account != "", ", env SNOWFLAKE_ACCOUNT")
	switch sf.Authenticator {
	case "snowflake":
		need("snowflake.user", sf.User != "", ", env SNOWFLAKE_USER")
		need("snowflake.password", sf.Password.IsSet(), ", snowflake.password_file, env SNOWFLAKE_PASSWORD")
	case "snowflake_jwt":
		need("snowflake.user", sf.User != "", ", env SNOWFLAKE_USER")
		need("snowflake.private_key_path", sf.PrivateKeyPath != "", ", env SNOWFLAKE_PRIVATE_KEY_PATH")
	case "oauth", "programmatic_access_token":
		need("snowflake.token", sf.Token.IsSet(), ", snowflake.token_file, env SNOWFLAKE_TOKEN")
	}
	return errors.Join(missing...)
}

func validProxy(s string) bool {
	if _, _, err := net.ParseCIDR(s); err == nil {
		return true
	}
	return net.ParseIP(s) != nil
}
