package snowpool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/snowflakedb/gosnowflake"

	"github.com/snowflake-mcp/snowflake-mcp/config"
)

// DriverOptions change how DriverConfig builds the configuration.
type DriverOptions struct {
	// Interactive allows authenticators that need a person at the machine
	// (externalbrowser): true for stdio, false for the HTTP server.
	Interactive bool
	// Application is reported to Snowflake as the client application name.
	Application string
	// Env replaces the process environment for connections.toml lookup (tests).
	Env func(string) string
}

// DriverConfig builds the gosnowflake configuration for sf. When sf names a
// connection (connection_name), the entry from connections.toml fills the
// settings it has; everything else comes from sf.
func DriverConfig(sf config.Snowflake, opts DriverOptions) (*gosnowflake.Config, error) {
	getenv := opts.Env
	if getenv == nil {
		getenv = os.Getenv
	}
	if sf.ConnectionName != "" {
		var err error
		sf, err = applyNamedConnection(sf, getenv)
		if err != nil {
			return nil, err
		}
	}
	if sf.Account == "" {
		return nil, errors.New("snowflake.account is not set")
	}
	cfg := &gosnowflake.Config{
		Account:     sf.Account,
		User:        sf.User,
		Role:        sf.Role,
		Warehouse:   sf.Warehouse,
		Database:    sf.Database,
		Schema:      sf.Schema,
		Host:        sf.Host,
		Port:        sf.Port,
		Protocol:    sf.Protocol,
		Application: opts.Application,
		Params:      map[string]*string{},
	}
	// These fields are deprecated in v1.19 but still the only way to set these values.
	//lint:ignore SA1019 no replacement in gosnowflake v1.19
	cfg.LoginTimeout = sf.LoginTimeout
	//lint:ignore SA1019 no replacement in gosnowflake v1.19
	cfg.RequestTimeout = sf.RequestTimeout
	//lint:ignore SA1019 telemetry has no session-parameter switch yet
	cfg.DisableTelemetry = true
	// Keep the driver's own logger quiet; its debug output can include statement text.
	//lint:ignore SA1019 no replacement in gosnowflake v1.19
	cfg.Tracing = "fatal"
	if cfg.Host != "" && cfg.Protocol == "" {
		cfg.Protocol = "https"
	}
	// Sessions live as long as the pool keeps them; the driver's heartbeat keeps them valid.
	keepAlive := "true"
	cfg.Params["client_session_keep_alive"] = &keepAlive
	// One statement per request, enforced by Snowflake too (the read-only guard is the
	// first line; this one holds with read_only off and for the emulator).
	oneStatement := "1"
	cfg.Params["MULTI_STATEMENT_COUNT"] = &oneStatement

	switch auth := strings.ToLower(strings.TrimSpace(sf.Authenticator)); auth {
	case "", "snowflake":
		if !sf.Password.IsSet() {
			return nil, errors.New("snowflake.password (or password_file) is required with the snowflake authenticator")
		}
		cfg.Authenticator = gosnowflake.AuthTypeSnowflake
		cfg.Password = sf.Password.Reveal()
	case "snowflake_jwt":
		if sf.PrivateKeyPath == "" {
			return nil, errors.New("snowflake.private_key_path is required with the snowflake_jwt authenticator")
		}
		pemBytes, err := os.ReadFile(sf.PrivateKeyPath)
		if err != nil {
			return nil, fmt.Errorf("read snowflake.private_key_path: %w", err)
		}
		key, err := ParsePrivateKey(pemBytes, sf.PrivateKeyPassphrase.Reveal())
		if err != nil {
			return nil, fmt.Errorf("private key %s: %w", sf.PrivateKeyPath, err)
		}
		cfg.Authenticator = gosnowflake.AuthTypeJwt
		cfg.PrivateKey = key
	case "oauth":
		if !sf.Token.IsSet() {
			return nil, errors.New("snowflake.token (or token_file) is required with the oauth authenticator")
		}
		cfg.Authenticator = gosnowflake.AuthTypeOAuth
		cfg.Token = sf.Token.Reveal()
	case "programmatic_access_token":
		if !sf.Token.IsSet() {
			return nil, errors.New("snowflake.token (or token_file) is required with the programmatic_access_token authenticator")
		}
		cfg.Authenticator = gosnowflake.AuthTypePat
		cfg.Token = sf.Token.Reveal()
	case "externalbrowser":
		if !opts.Interactive {
			return nil, errors.New("the externalbrowser authenticator needs a person at a browser: use it with `snowflake-mcp stdio` only")
		}
		cfg.Authenticator = gosnowflake.AuthTypeExternalBrowser
	default:
		return nil, fmt.Errorf("snowflake.authenticator %q is not supported (snowflake, snowflake_jwt, oauth, programmatic_access_token, externalbrowser)", sf.Authenticator)
	}
	return cfg, nil
}

// ConnectionsFile returns the connections.toml path: snowflake.connections_file,
// else $SNOWFLAKE_HOME/connections.toml, else ~/.snowflake/connections.toml.
func ConnectionsFile(sf config.Snowflake, getenv func(string) string) (string, error) {
	if sf.ConnectionsFile != "" {
		return sf.ConnectionsFile, nil
	}
	if h := getenv("SNOWFLAKE_HOME"); h != "" {
		return filepath.Join(h, "connections.toml"), nil
	}
	home := getenv("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", fmt.Errorf("find connections.toml: %w", err)
		}
	}
	return filepath.Join(home, ".snowflake", "connections.toml"), nil
}

// connection is one [name] table of connections.toml.
type connection struct {
	Account        string `toml:"account"`
	User           string `toml:"user"`
	Password       string `toml:"password"`
	Authenticator  string `toml:"authenticator"`
	PrivateKeyFile string `toml:"private_key_file"`
	PrivateKeyPath string `toml:"private_key_path"`
	// private_key_file_pwd is the CLI's name for the key passphrase.
	PrivateKeyPwd string `toml:"private_key_file_pwd"`
	Token         string `toml:"token"`
	Role          string `toml:"role"`
	Warehouse     string `toml:"warehouse"`
	Database      string `toml:"database"`
	Schema        string `toml:"schema"`
	Host          string `toml:"host"`
	Port          any    `toml:"port"`
	Protocol      string `toml:"protocol"`
}

// applyNamedConnection overlays the named connections.toml entry on sf: every
// key the entry sets wins, since naming a connection is the explicit choice.
func applyNamedConnection(sf config.Snowflake, getenv func(string) string) (config.Snowflake, error) {
	path, err := ConnectionsFile(sf, getenv)
	if err != nil {
		return sf, err
	}
	var file map[string]toml.Primitive
	md, err := toml.DecodeFile(path, &file)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			// The parser's message can quote part of a value (a password written
			// without quotes: `found "hunter" instead`), so only the place is shown.
			return sf, fmt.Errorf("read connections file %s: invalid TOML at line %d (last key %q); the parser's message is not shown as it may quote a secret",
				path, pe.Position.Line, pe.LastKey)
		}
		return sf, fmt.Errorf("read connections file %s: %w", path, err)
	}
	prim, ok := file[sf.ConnectionName]
	if !ok {
		return sf, fmt.Errorf("connection %q not found in %s", sf.ConnectionName, path)
	}
	var c connection
	if err := md.PrimitiveDecode(prim, &c); err != nil {
		return sf, fmt.Errorf("connection %q in %s: %w", sf.ConnectionName, path, err)
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&sf.Account, c.Account)
	set(&sf.User, c.User)
	set(&sf.Authenticator, c.Authenticator)
	set(&sf.Role, c.Role)
	set(&sf.Warehouse, c.Warehouse)
	set(&sf.Database, c.Database)
	set(&sf.Schema, c.Schema)
	set(&sf.Host, c.Host)
	set(&sf.Protocol, c.Protocol)
	set(&sf.PrivateKeyPath, c.PrivateKeyFile)
	set(&sf.PrivateKeyPath, c.PrivateKeyPath)
	if c.Password != "" {
		sf.Password = config.Secret(c.Password)
	}
	if c.Token != "" {
		sf.Token = config.Secret(c.Token)
	}
	if c.PrivateKeyPwd != "" {
		sf.PrivateKeyPassphrase = config.Secret(c.PrivateKeyPwd)
	}
	switch p := c.Port.(type) {
	case nil:
	case int64:
		sf.Port = int(p)
	case string:
		n, err := strconv.Atoi(p)
		if err != nil {
			return sf, fmt.Errorf("connection %q in %s: port %q is not a number", sf.ConnectionName, path, p)
		}
		sf.Port = n
	default:
		return sf, fmt.Errorf("connection %q in %s: port has type %T", sf.ConnectionName, path, p)
	}
	// A key file without an explicit authenticator means key-pair login, as in the CLI.
	if c.Authenticator == "" && sf.PrivateKeyPath != "" && (c.PrivateKeyFile != "" || c.PrivateKeyPath != "") {
		sf.Authenticator = "snowflake_jwt"
	}
	if strings.EqualFold(sf.Protocol, "http") && c.Port == nil && c.Host != "" {
		sf.Port = 80
	}
	return sf, nil
}
