package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// load runs Load with a controlled environment and no operator file unless given.
func load(t *testing.T, opts Options) (*Loaded, error) {
	t.Helper()
	if opts.Environ == nil {
		opts.Environ = []string{}
	}
	if opts.ConfigFile == "" {
		// An explicit empty operator file keeps a real /etc/snowflake-mcp/config.yaml out of tests.
		p := filepath.Join(t.TempDir(), "empty.yaml")
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		opts.ConfigFile = p
	}
	return Load(opts)
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func wantErr(t *testing.T, err error, key string, inMsg ...string) {
	t.Helper()
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("want *config.Error for %s, got %v", key, err)
	}
	if ce.Key != key {
		t.Fatalf("error names key %q, want %q: %v", ce.Key, key, err)
	}
	for _, s := range inMsg {
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("error %q does not mention %q", err, s)
		}
	}
}

func TestDefaultsAndDevelopmentLayer(t *testing.T) {
	l, err := load(t, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := l.Config
	if c.Environment != "development" || c.Server.Listen != "127.0.0.1:8000" || c.Server.MaxBodyBytes != 4<<20 {
		t.Fatalf("defaults not applied: %+v", c.Server)
	}
	if c.Snowflake.Host != "127.0.0.1" || c.Snowflake.Port != 8089 || c.Snowflake.Protocol != "http" || c.Snowflake.Password.Reveal() != "demo" {
		t.Fatalf("development layer not applied: %+v", c.Snowflake)
	}
	if got := l.Sources["snowflake.port"].Detail; got != "environment file configs/development.yaml" {
		t.Fatalf("snowflake.port source = %q", got)
	}
	if got := l.Sources["query.timeout"]; got.Layer != LayerDefault {
		t.Fatalf("query.timeout source = %v", got)
	}
	for _, k := range Keys() {
		if _, ok := l.Sources[k]; !ok {
			t.Errorf("no source for %s", k)
		}
	}
}

func TestLayerOrder(t *testing.T) {
	file := writeFile(t, "op.yaml", "server:\n  listen: 127.0.0.1:3\nquery:\n  max_rows: 50\n")
	env := []string{"SNOWFLAKE_MCP_SERVER__LISTEN=127.0.0.1:4", "SNOWFLAKE_MCP_QUERY__DEFAULT_LIMIT=20"}
	flags := []Override{{Key: "server.listen", Value: "127.0.0.1:5", Flag: "--listen"}}
	l, err := load(t, Options{ConfigFile: file, Environ: env, Overrides: flags})
	if err != nil {
		t.Fatal(err)
	}
	if l.Config.Server.Listen != "127.0.0.1:5" || l.Sources["server.listen"].Detail != "flag --listen" {
		t.Fatalf("flag did not win: %s from %s", l.Config.Server.Listen, l.Sources["server.listen"])
	}
	if l.Config.Query.MaxRows != 50 || l.Sources["query.max_rows"].Layer != LayerFile {
		t.Fatalf("file value lost: %d from %v", l.Config.Query.MaxRows, l.Sources["query.max_rows"])
	}
	if l.Config.Query.DefaultLimit != 20 || l.Sources["query.default_limit"].Detail != "env SNOWFLAKE_MCP_QUERY__DEFAULT_LIMIT" {
		t.Fatalf("env value lost: %d from %v", l.Config.Query.DefaultLimit, l.Sources["query.default_limit"])
	}
	l, err = load(t, Options{ConfigFile: file, Environ: env})
	if err != nil {
		t.Fatal(err)
	}
	if l.Config.Server.Listen != "127.0.0.1:4" {
		t.Fatalf("env did not beat file: %s", l.Config.Server.Listen)
	}
}

func TestConventionalSnowflakeEnv(t *testing.T) {
	l, err := load(t, Options{Env: "production", Environ: []string{
		"SNOWFLAKE_ACCOUNT=acme-xy123", "SNOWFLAKE_USER=svc", "SNOWFLAKE_PASSWORD=hunter2",
		"SNOWFLAKE_PORT=8443", "SNOWFLAKE_MCP_SNOWFLAKE__USER=override",
	}})
	if err != nil {
		t.Fatal(err)
	}
	sf := l.Config.Snowflake
	if sf.Account != "acme-xy123" || sf.Port != 8443 || sf.Password.Reveal() != "hunter2" {
		t.Fatalf("conventional vars not read: %+v", sf)
	}
	if sf.User != "override" {
		t.Fatalf("SNOWFLAKE_MCP_SNOWFLAKE__USER should beat SNOWFLAKE_USER, got %q", sf.User)
	}
}

func TestUnknownKeysInEveryLayer(t *testing.T) {
	file := writeFile(t, "typo.yaml", "server:\n  listn: 127.0.0.1:1\n")
	_, err := load(t, Options{ConfigFile: file})
	wantErr(t, err, "server.listn", "unknown key", file, "listen")

	_, err = load(t, Options{Environ: []string{"SNOWFLAKE_MCP_SERVER__LISTN=x"}})
	wantErr(t, err, "server.listn", "env SNOWFLAKE_MCP_SERVER__LISTN")

	_, err = load(t, Options{Environ: []string{"SNOWFLAKE_MCP_SERVER_LISTEN=127.0.0.1:1"}})
	wantErr(t, err, "server_listen", "double underscore", "SNOWFLAKE_MCP_SERVER__LISTEN")

	_, err = load(t, Options{Overrides: []Override{{Key: "query.max_rowz", Value: "1", Flag: "--set"}}})
	wantErr(t, err, "query.max_rowz", "flag --set")

	file = writeFile(t, "section.yaml", "bogus:\n  a: 1\n")
	_, err = load(t, Options{ConfigFile: file})
	wantErr(t, err, "bogus.a", "known sections")

	file = writeFile(t, "env.yaml", "environment: production\n")
	_, err = load(t, Options{ConfigFile: file})
	wantErr(t, err, "environment", "--env")

	// Variables under the prefix that are not configuration (a test harness's) are left alone.
	if _, err := load(t, Options{Environ: []string{"SNOWFLAKE_MCP_BIN=/tmp/x"}}); err != nil {
		t.Fatalf("SNOWFLAKE_MCP_BIN should be ignored: %v", err)
	}
}

func TestBadValues(t *testing.T) {
	cases := []struct {
		key, value string
		want       string
	}{
		{"query.timeout", "soon", "duration"},
		{"query.timeout", "-5s", "negative"},
		{"server.max_body_bytes", "4 parsecs", "size"},
		{"pool.max_open", "many", "integer"},
		{"query.read_only", "maybe", "true or false"},
		{"log.level", "verbose", "debug, info, warn, error"},
		{"log.format", "xml", "json, text"},
		{"reload.mode", "yolo", "upgrade, restart"},
		{"snowflake.authenticator", "magic", "snowflake_jwt"},
		{"server.listen", "8000", "host:port"},
		{"server.write_timeout", "5s", "query.timeout"},
		{"query.default_limit", "5000", "query.max_rows"},
		{"server.mcp_path", "/metrics", "built-in endpoint"},
		{"server.mcp_path", "mcp", "must start with /"},
		{"log.output", "file", ""}, // needs log.dir: error names log.dir, checked below
	}
	for _, c := range cases {
		_, err := load(t, Options{Overrides: []Override{{Key: c.key, Value: c.value, Flag: "--set"}}})
		key := c.key
		if c.key == "log.output" {
			key = "log.dir"
		}
		wantErr(t, err, key, c.want)
	}
	// A YAML number where a duration is expected has no unit and is refused.
	file := writeFile(t, "d.yaml", "query:\n  timeout: 30\n")
	_, err := load(t, Options{ConfigFile: file})
	wantErr(t, err, "query.timeout", "config file "+file, "no unit")
}

func TestMissingSecretForAuthenticator(t *testing.T) {
	env := []string{"SNOWFLAKE_ACCOUNT=a", "SNOWFLAKE_USER=u"}
	_, err := load(t, Options{Env: "production", Environ: env})
	wantErr(t, err, "snowflake.password", "authenticator is snowflake")

	_, err = load(t, Options{Env: "production", Environ: append(env, "SNOWFLAKE_AUTHENTICATOR=snowflake_jwt")})
	wantErr(t, err, "snowflake.private_key_path", "env SNOWFLAKE_AUTHENTICATOR")

	_, err = load(t, Options{Env: "production", Environ: append(env, "SNOWFLAKE_AUTHENTICATOR=oauth")})
	wantErr(t, err, "snowflake.token")

	_, err = load(t, Options{Env: "staging"})
	wantErr(t, err, "snowflake.account")

	// A named connection supplies credentials from connections.toml.
	if _, err := load(t, Options{Env: "production", Environ: []string{"SNOWFLAKE_CONNECTION_NAME=prod"}}); err != nil {
		t.Fatalf("connection_name should satisfy credentials: %v", err)
	}
}

func TestSecretFiles(t *testing.T) {
	credDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(credDir, "sf-password"), []byte("s3cret-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, "op.yaml", "snowflake:\n  password_file: ${CREDENTIALS_DIRECTORY}/sf-password\n")
	l, err := load(t, Options{ConfigFile: file, Environ: []string{"CREDENTIALS_DIRECTORY=" + credDir}})
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Config.Snowflake.Password.Reveal(); got != "s3cret-from-file" {
		t.Fatalf("password from file = %q", got)
	}
	if src := l.Sources["snowflake.password"].Detail; !strings.Contains(src, "via snowflake.password_file") {
		t.Fatalf("password source = %q", src)
	}
	// An explicit password in a higher layer beats a file from a lower one.
	l, err = load(t, Options{ConfigFile: file, Environ: []string{"CREDENTIALS_DIRECTORY=" + credDir, "SNOWFLAKE_PASSWORD=from-env"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Config.Snowflake.Password.Reveal(); got != "from-env" {
		t.Fatalf("higher-layer password lost: %q", got)
	}
	_, err = load(t, Options{ConfigFile: file})
	wantErr(t, err, "snowflake.password_file", "CREDENTIALS_DIRECTORY")

	_, err = load(t, Options{Overrides: []Override{{Key: "snowflake.token_file", Value: "/nonexistent/tok", Flag: "--set"}}})
	wantErr(t, err, "snowflake.token_file", "/nonexistent/tok")
}

func TestConfigFileErrors(t *testing.T) {
	_, err := Load(Options{ConfigFile: "/nonexistent/snowflake-mcp.yaml", Environ: []string{}})
	wantErr(t, err, "config file", "flag --config", "/nonexistent/snowflake-mcp.yaml")

	_, err = Load(Options{Environ: []string{"SNOWFLAKE_MCP_CONFIG=/nonexistent/x.yaml"}})
	wantErr(t, err, "config file", "env SNOWFLAKE_MCP_CONFIG")

	_, err = load(t, Options{Env: "moon"})
	wantErr(t, err, "environment", "flag --env", "development, production, staging")

	file := writeFile(t, "broken.yaml", "server: [\n")
	_, err = load(t, Options{ConfigFile: file})
	wantErr(t, err, "(document)", "cannot parse")

	file = writeFile(t, "op.json", `{"query": {"max_rows": 420}}`)
	l, err := load(t, Options{ConfigFile: file})
	if err != nil || l.Config.Query.MaxRows != 420 {
		t.Fatalf("JSON operator file: %v %+v", err, l)
	}
}

func TestByteSize(t *testing.T) {
	cases := map[string]ByteSize{
		"4MiB": 4 << 20, "512KB": 512000, "1048576": 1 << 20, "1.5KiB": 1536, "2m": 2 << 20, "10 B": 10, "1GB": 1e9,
	}
	for in, want := range cases {
		got, err := ParseByteSize(in)
		if err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MiB", "-1", "lots", "1.5.5MB"} {
		if _, err := ParseByteSize(bad); err == nil {
			t.Errorf("ParseByteSize(%q) succeeded", bad)
		}
	}
	if s := ByteSize(4 << 20).String(); s != "4MiB" {
		t.Errorf("String = %q", s)
	}
	if s := ByteSize(1000).String(); s != "1000B" {
		t.Errorf("String = %q", s)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	const pw = "hunter2-do-not-print"
	l, err := load(t, Options{Overrides: []Override{
		{Key: "snowflake.password", Value: pw, Flag: "--set"},
		{Key: "snowflake.token", Value: pw, Flag: "--set"},
		{Key: "snowflake.private_key_passphrase", Value: pw, Flag: "--set"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	c := l.Config
	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		outputs = append(outputs, fmt.Sprintf(verb, c), fmt.Sprintf(verb, c.Snowflake.Password))
	}
	j, _ := json.Marshal(c)
	y, _ := yaml.Marshal(c)
	outputs = append(outputs, string(j), string(y))
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("cfg", "config", c, "pw", c.Snowflake.Password)
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("cfg", "config", c, "pw", c.Snowflake.Password)
	outputs = append(outputs, logBuf.String())
	var out bytes.Buffer
	if err := l.WriteJSON(&out); err != nil {
		t.Fatal(err)
	}
	if err := l.WriteYAML(&out); err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, out.String())
	for _, o := range outputs {
		if strings.Contains(o, pw) || strings.Contains(o, fmt.Sprintf("%x", pw)) {
			t.Fatalf("secret leaked: %s", o)
		}
	}
	if !strings.Contains(out.String(), redacted) || !strings.Contains(logBuf.String(), redacted) {
		t.Fatalf("redaction marker missing")
	}
	if c.Snowflake.Password.Reveal() != pw {
		t.Fatal("Reveal lost the value")
	}
}

func TestPrintShowsSources(t *testing.T) {
	l, err := load(t, Options{Environ: []string{"SNOWFLAKE_MCP_SERVER__LISTEN=127.0.0.1:9"}})
	if err != nil {
		t.Fatal(err)
	}
	var y bytes.Buffer
	if err := l.WriteYAML(&y); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(y.String(), `listen: "127.0.0.1:9"  # from env SNOWFLAKE_MCP_SERVER__LISTEN`) {
		t.Fatalf("yaml lacks provenance:\n%s", y.String())
	}
	// The YAML parses back, durations and sizes in their written form.
	var back struct {
		Query  map[string]any `yaml:"query"`
		Server map[string]any `yaml:"server"`
	}
	if err := yaml.Unmarshal(y.Bytes(), &back); err != nil {
		t.Fatalf("printed yaml does not parse: %v", err)
	}
	if back.Query["timeout"] != "2m0s" || back.Server["max_body_bytes"] != "4MiB" {
		t.Fatalf("round trip: %v %v", back.Query["timeout"], back.Server["max_body_bytes"])
	}
	d, _ := time.ParseDuration(back.Query["timeout"].(string))
	if d != l.Config.Query.Timeout {
		t.Fatal("duration did not round-trip")
	}
}

func TestFlags(t *testing.T) {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	f := BindFlags(fs)
	if err := fs.Parse([]string{"--listen", "127.0.0.1:7", "--log-dir", "/tmp/x", "--set", "query.max_rows=7", "--set", "query.default_limit=7", "--env", "development"}); err != nil {
		t.Fatal(err)
	}
	o, err := f.Options()
	if err != nil {
		t.Fatal(err)
	}
	l, err := load(t, o)
	if err != nil {
		t.Fatal(err)
	}
	c := l.Config
	if c.Server.Listen != "127.0.0.1:7" || c.Log.Dir != "/tmp/x" || c.Log.Output != "file" || c.Query.MaxRows != 7 {
		t.Fatalf("flags not applied: %+v %+v %+v", c.Server, c.Log, c.Query)
	}
	if l.Sources["log.output"].Detail != "flag --log-dir" || l.Sources["query.max_rows"].Detail != "flag --set query.max_rows" || l.Sources["environment"].Detail != "flag --env" {
		t.Fatalf("flag sources: %v %v", l.Sources["log.output"], l.Sources["query.max_rows"])
	}
	// Unset flags leave lower layers alone.
	if l.Sources["log.level"].Layer == LayerFlag {
		t.Fatal("an unset flag overrode log.level")
	}
	fs = pflag.NewFlagSet("t", pflag.ContinueOnError)
	f = BindFlags(fs)
	_ = fs.Parse([]string{"--set", "novalue"})
	if _, err := f.Options(); err == nil || !strings.Contains(err.Error(), "key=value") {
		t.Fatalf("--set without = : %v", err)
	}
}

func TestSecretTypeErrorsDoNotEchoValue(t *testing.T) {
	file := writeFile(t, "pw.yaml", "snowflake:\n  password: 0987654321\n")
	_, err := load(t, Options{ConfigFile: file})
	wantErr(t, err, "snowflake.password", "quote it")
	if strings.Contains(err.Error(), "987654321") {
		t.Fatalf("error echoes the secret: %v", err)
	}
	file = writeFile(t, "pw2.yaml", "snowflake:\n  password: \"0987654321\"\n")
	l, err := load(t, Options{ConfigFile: file})
	if err != nil || l.Config.Snowflake.Password.Reveal() != "0987654321" {
		t.Fatalf("quoted numeric password: %v", err)
	}
}

func FuzzParseByteSize(f *testing.F) {
	for _, s := range []string{"4MiB", "512KB", "1048576", "1.5GiB", "0", "9223372036854775807", "8EiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseByteSize(s)
		if err != nil {
			return
		}
		if b < 0 {
			t.Fatalf("ParseByteSize(%q) = %d < 0", s, b)
		}
		back, err := ParseByteSize(b.String())
		if err != nil || back != b {
			t.Fatalf("%q -> %d -> %q -> %d, %v", s, b, b.String(), back, err)
		}
	})
}

func TestByteSizeOverflow(t *testing.T) {
	for _, s := range []string{"8EiB", "9223372036854775808", "8388608TiB", "9.3e18"} {
		if b, err := ParseByteSize(s); err == nil {
			t.Errorf("ParseByteSize(%q) = %d, want an error", s, b)
		}
	}
}
