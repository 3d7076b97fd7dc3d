package config

import "time"

// Config is the effective configuration of one snowflake-mcp process.
// Keys are snake_case; koanf tags give the dotted path (server.listen, ...).
type Config struct {
	Environment string    `koanf:"environment"`
	Server      Server    `koanf:"server"`
	Snowflake   Snowflake `koanf:"snowflake"`
	Pool        Pool      `koanf:"pool"`
	Query       Query     `koanf:"query"`
	Log         Log       `koanf:"log"`
	Reload      Reload    `koanf:"reload"`
	Auth        Auth      `koanf:"auth"`
	Limits      Limits    `koanf:"limits"`
	Metrics     Metrics   `koanf:"metrics"`
}

// Server holds the HTTP listener and MCP transport settings.
type Server struct {
	Listen            string        `koanf:"listen"`
	MCPPath           string        `koanf:"mcp_path"`
	Stateless         bool          `koanf:"stateless"`
	ReadHeaderTimeout time.Duration `koanf:"read_header_timeout"`
	ReadTimeout       time.Duration `koanf:"read_timeout"`
	WriteTimeout      time.Duration `koanf:"write_timeout"`
	IdleTimeout       time.Duration `koanf:"idle_timeout"`
	MaxBodyBytes      ByteSize      `koanf:"max_body_bytes"`
	DrainTimeout      time.Duration `koanf:"drain_timeout"`
	// DrainDelay keeps accepting for this long after /readyz turned 503 on a stop or
	// hand-off, so load balancers take the instance out first (0: close at once).
	DrainDelay time.Duration `koanf:"drain_delay"`
	// AllowedOrigins lists the Origin header values a browser-borne request may carry;
	// requests without Origin are always allowed (non-browser clients).
	AllowedOrigins []string `koanf:"allowed_origins"`
	// BenchTools adds bench_echo, a tool that touches no Snowflake, so `make bench`
	// can measure the MCP layer alone. Off by default; not for production.
	BenchTools bool `koanf:"bench_tools"`
	// TrustedProxies lists the load balancers (IPs or CIDRs) whose X-Forwarded-For
	// the access log believes; empty means the peer address is the client.
	TrustedProxies []string `koanf:"trusted_proxies"`
	// PublicURL is the server's external base URL (https://mcp.example.com): the OAuth
	// resource identifier is PublicURL + MCPPath, and the default token audience.
	PublicURL string `koanf:"public_url"`
	TLS       TLS    `koanf:"tls"`
}

// TLS makes the listener speak HTTPS (TLS 1.2 and later). The files are read when the
// process starts, so a SIGHUP generation takes renewed certificates.
type TLS struct {
	CertFile string `koanf:"cert_file"`
	KeyFile  string `koanf:"key_file"`
}

// Auth says who may call the server: static bearer tokens, OAuth 2.1 access tokens, or
// (only on loopback, or with AllowUnauthenticated) anyone.
type Auth struct {
	// Tokens lists bearer tokens by the hex SHA-256 of the token; the name is the caller's identity.
	Tokens []TokenEntry `koanf:"tokens"`
	// TokensFile holds more entries: a YAML or JSON list of {name, sha256}.
	TokensFile string `koanf:"tokens_file"`
	OAuth      OAuth  `koanf:"oauth"`
	// AllowUnauthenticated lets a non-loopback listener run without auth (logged at every start).
	AllowUnauthenticated bool `koanf:"allow_unauthenticated"`
}

// TokenEntry is one static bearer token: its identity and the hex SHA-256 of the token.
// The hash is not a secret (tokens are 256-bit random), the token is.
type TokenEntry struct {
	Name   string `koanf:"name" json:"name" yaml:"name"`
	SHA256 string `koanf:"sha256" json:"sha256" yaml:"sha256"`
}

// OAuth configures the OAuth 2.1 resource server: JWT access tokens signed by Issuer.
type OAuth struct {
	Issuer string `koanf:"issuer"`
	// JWKSURL is the issuer's key set; empty means discovered from the issuer's metadata.
	JWKSURL string `koanf:"jwks_url"`
	// Audience a token must carry in aud; empty means server.public_url + server.mcp_path.
	Audience string `koanf:"audience"`
	// Scopes a token must all carry.
	Scopes    []string      `koanf:"scopes"`
	ClockSkew time.Duration `koanf:"clock_skew"`
}

// Limits bound what one caller, and all callers together, may ask of the server.
type Limits struct {
	// RequestsPerSecond per identity on the MCP endpoint; 0 disables the rate limit.
	RequestsPerSecond float64 `koanf:"requests_per_second"`
	// Burst is how many requests an identity may send at once; 0 means RequestsPerSecond rounded up.
	Burst int `koanf:"burst"`
	// MaxConcurrentQueries caps Snowflake queries running at once; 0 means pool.max_open.
	MaxConcurrentQueries int `koanf:"max_concurrent_queries"`
	// QueueTimeout is how long a query waits for a free slot before the call gets a busy error.
	QueueTimeout time.Duration `koanf:"queue_timeout"`
	// MaxBatch caps the entries of a JSON-RPC batch (older protocol versions); 1 refuses batches.
	MaxBatch int `koanf:"max_batch"`
}

// Metrics configures /metrics.
type Metrics struct {
	// Listen puts /metrics on its own loopback listener (no auth there); empty serves it on
	// server.listen behind auth.
	Listen string `koanf:"listen"`
}

// Snowflake holds the account, credentials and endpoint of the Snowflake connection.
type Snowflake struct {
	Account string `koanf:"account"`
	User    string `koanf:"user"`
	// Authenticator: snowflake (password), snowflake_jwt (key pair), oauth,
	// programmatic_access_token, externalbrowser (stdio only).
	Authenticator        string `koanf:"authenticator"`
	Password             Secret `koanf:"password"`
	PasswordFile         string `koanf:"password_file"`
	PrivateKeyPath       string `koanf:"private_key_path"`
	PrivateKeyPassphrase Secret `koanf:"private_key_passphrase"`
	// PrivateKeyPassphraseFile lets the passphrase come from a file (systemd credentials).
	PrivateKeyPassphraseFile string `koanf:"private_key_passphrase_file"`
	Token                    Secret `koanf:"token"`
	TokenFile                string `koanf:"token_file"`
	// ConnectionName picks a named connection from the Snowflake CLI's connections.toml.
	ConnectionName  string `koanf:"connection_name"`
	ConnectionsFile string `koanf:"connections_file"`
	Role            string `koanf:"role"`
	Warehouse       string `koanf:"warehouse"`
	Database        string `koanf:"database"`
	Schema          string `koanf:"schema"`
	// Host, Port and Protocol override the account's default endpoint (the emulator, PrivateLink).
	Host           string        `koanf:"host"`
	Port           int           `koanf:"port"`
	Protocol       string        `koanf:"protocol"`
	LoginTimeout   time.Duration `koanf:"login_timeout"`
	RequestTimeout time.Duration `koanf:"request_timeout"`
	// ConnectTimeout bounds how long a call keeps trying to reach Snowflake (TCP, TLS)
	// before it fails with kind unavailable.
	ConnectTimeout time.Duration `koanf:"connect_timeout"`
}

// Pool holds the database/sql pool limits.
type Pool struct {
	MaxOpen         int           `koanf:"max_open"`
	MaxIdle         int           `koanf:"max_idle"`
	ConnMaxLifetime time.Duration `koanf:"conn_max_lifetime"`
	ConnMaxIdleTime time.Duration `koanf:"conn_max_idle_time"`
	// Warm is how many connections are logged in before the process reports ready.
	Warm int `koanf:"warm"`
}

// Query holds the safety limits applied to every statement the tools run.
type Query struct {
	ReadOnly         bool          `koanf:"read_only"`
	Timeout          time.Duration `koanf:"timeout"`
	DefaultLimit     int           `koanf:"default_limit"`
	MaxRows          int           `koanf:"max_rows"`
	MaxResultBytes   ByteSize      `koanf:"max_result_bytes"`
	MaxCellChars     int           `koanf:"max_cell_chars"`
	MetadataCacheTTL time.Duration `koanf:"metadata_cache_ttl"`
	// LogSQL writes statement text to query.log; off by default since SQL may hold data.
	LogSQL bool `koanf:"log_sql"`
}

// Log holds the log sinks.
type Log struct {
	Level  string `koanf:"level"`  // debug, info, warn, error
	Format string `koanf:"format"` // json, text
	// Output is stderr, stdout or file; with file, the five log files live in Dir.
	Output        string        `koanf:"output"`
	Dir           string        `koanf:"dir"`
	SlowThreshold time.Duration `koanf:"slow_threshold"`
}

// Reload holds the zero-downtime upgrade settings.
type Reload struct {
	PIDFile        string        `koanf:"pid_file"`
	UpgradeTimeout time.Duration `koanf:"upgrade_timeout"`
	// Mode is upgrade (SIGHUP hands sockets to a new binary) or restart (SIGHUP is refused;
	// the supervisor restarts the process).
	Mode string `koanf:"mode"`
	// Supervisor is auto (the keeper under PM2, else none), keeper (a process that keeps the
	// supervisor's PID while generations hand off beneath it) or none.
	Supervisor string `koanf:"supervisor"`
}

// Secret is a string that never prints: fmt, slog and JSON/YAML encoders see "[REDACTED]".
type Secret string

// ByteSize is a count of bytes that parses "4MiB", "512KB", "1048576".
type ByteSize int64
