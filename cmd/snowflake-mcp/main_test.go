package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/testbin"
	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// testVersion is linked into the test build, so `version` can be checked end to end.
const testVersion = "9.9.9-test"

func bin(t *testing.T) string {
	t.Helper()
	return testbin.Build(t, "./cmd/snowflake-mcp", "SNOWFLAKE_MCP_BIN",
		"GOFLAGS=-ldflags=-X=main.version="+testVersion)
}

type result struct {
	stdout, stderr string
	code           int
}

func runBin(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin(t), args...)
	cmd.Env = testbin.CleanEnv(env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return result{out.String(), errb.String(), code}
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

type printed struct {
	Config  map[string]map[string]any `json:"-"`
	Sources map[string]string         `json:"sources"`
	raw     map[string]any
}

func printJSON(t *testing.T, env []string, args ...string) printed {
	t.Helper()
	r := runBin(t, env, append([]string{"config", "print", "--format", "json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("config print %v: exit %d: %s", args, r.code, r.stderr)
	}
	var p printed
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatalf("config print output is not JSON: %v\n%s", err, r.stdout)
	}
	if err := json.Unmarshal([]byte(r.stdout), &p.raw); err != nil {
		t.Fatal(err)
	}
	p.Config = map[string]map[string]any{}
	for sec, v := range p.raw["config"].(map[string]any) {
		if m, ok := v.(map[string]any); ok {
			p.Config[sec] = m
		}
	}
	return p
}

func (p printed) get(key string) (any, string) {
	sec, k, _ := strings.Cut(key, ".")
	return p.Config[sec][k], p.Sources[key]
}

// TestLayerWalkDown sets one key in all five layers and removes them from the top, checking
// that each step falls back to the next layer down.
func TestLayerWalkDown(t *testing.T) {
	opFile := writeFile(t, "op.yaml", "server:\n  listen: 127.0.0.1:3003\nsnowflake:\n  port: 3003\n")
	empty := writeFile(t, "empty.yaml", "")
	envVars := []string{"SNOWFLAKE_MCP_SNOWFLAKE__PORT=4004", "SNOWFLAKE_MCP_SERVER__LISTEN=127.0.0.1:4004"}
	creds := []string{"SNOWFLAKE_ACCOUNT=acme", "SNOWFLAKE_USER=svc", "SNOWFLAKE_PASSWORD=pw"}
	steps := []struct {
		name       string
		env        []string
		args       []string
		port       float64
		portSource string
		listen     string
		listenSrc  string
	}{
		{"flag", envVars, []string{"--config", opFile, "--set", "snowflake.port=5005", "--listen", "127.0.0.1:5005"},
			5005, "flag --set snowflake.port", "127.0.0.1:5005", "flag --listen"},
		{"env", envVars, []string{"--config", opFile},
			4004, "env SNOWFLAKE_MCP_SNOWFLAKE__PORT", "127.0.0.1:4004", "env SNOWFLAKE_MCP_SERVER__LISTEN"},
		{"operator file", nil, []string{"--config", opFile},
			3003, "config file " + opFile, "127.0.0.1:3003", "config file " + opFile},
		{"environment yaml", nil, []string{"--config", empty},
			8089, "environment file configs/development.yaml", "127.0.0.1:8000", "default"},
		{"default", creds, []string{"--config", empty, "--env", "staging"},
			443, "default", "127.0.0.1:8000", "default"},
	}
	for _, s := range steps {
		p := printJSON(t, s.env, s.args...)
		port, portSrc := p.get("snowflake.port")
		listen, listenSrc := p.get("server.listen")
		if port != s.port || portSrc != s.portSource {
			t.Errorf("%s: snowflake.port = %v from %q, want %v from %q", s.name, port, portSrc, s.port, s.portSource)
		}
		if listen != s.listen || listenSrc != s.listenSrc {
			t.Errorf("%s: server.listen = %v from %q, want %v from %q", s.name, listen, listenSrc, s.listen, s.listenSrc)
		}
	}
	// SNOWFLAKE_MCP_ENV selects the environment layer too, and --env beats it.
	p := printJSON(t, append(creds, "SNOWFLAKE_MCP_ENV=production"), "--config", empty)
	if env, src := p.get("environment"); env != nil || src != "env SNOWFLAKE_MCP_ENV" {
		t.Errorf("environment source = %q", src)
	}
	if p.raw["config"].(map[string]any)["environment"] != "production" {
		t.Errorf("environment = %v", p.raw["config"].(map[string]any)["environment"])
	}
	p = printJSON(t, append(creds, "SNOWFLAKE_MCP_ENV=production"), "--config", empty, "--env", "staging")
	if p.raw["config"].(map[string]any)["environment"] != "staging" || p.Sources["environment"] != "flag --env" {
		t.Errorf("--env did not beat SNOWFLAKE_MCP_ENV: %v", p.Sources["environment"])
	}
}

func TestConfigErrorsExit2(t *testing.T) {
	typo := writeFile(t, "typo.yaml", "server:\n  listn: 127.0.0.1:1\n")
	badDur := writeFile(t, "dur.yaml", "server:\n  drain_timeout: soon\n")
	empty := writeFile(t, "empty.yaml", "")
	cases := []struct {
		name string
		env  []string
		args []string
		want []string // all must appear on stderr
	}{
		{"unknown key in file", nil, []string{"config", "check", "--config", typo}, []string{"server.listn", "config file " + typo, "unknown key"}},
		{"unknown key in env", []string{"SNOWFLAKE_MCP_QUERY__MAXROWS=5"}, []string{"config", "check", "--config", empty}, []string{"query.maxrows", "env SNOWFLAKE_MCP_QUERY__MAXROWS"}},
		{"single underscore env", []string{"SNOWFLAKE_MCP_LOG_LEVEL=debug"}, []string{"config", "check", "--config", empty}, []string{"log_level", "SNOWFLAKE_MCP_LOG__LEVEL"}},
		{"unknown key in --set", nil, []string{"config", "check", "--config", empty, "--set", "log.levl=debug"}, []string{"log.levl", "flag --set"}},
		{"bad duration in file", nil, []string{"config", "check", "--config", badDur}, []string{"server.drain_timeout", "duration", badDur}},
		{"bad duration in env", []string{"SNOWFLAKE_MCP_QUERY__TIMEOUT=forever"}, []string{"config", "check", "--config", empty}, []string{"query.timeout", "env SNOWFLAKE_MCP_QUERY__TIMEOUT", "duration"}},
		{"bad size", nil, []string{"config", "check", "--config", empty, "--set", "server.max_body_bytes=lots"}, []string{"server.max_body_bytes", "size"}},
		{"bad enum", nil, []string{"config", "check", "--config", empty, "--log-level", "loud"}, []string{"log.level", "flag --log-level", "debug, info, warn, error"}},
		{"missing secret", []string{"SNOWFLAKE_ACCOUNT=acme", "SNOWFLAKE_USER=svc"}, []string{"config", "check", "--config", empty, "--env", "production"}, []string{"snowflake.password", "SNOWFLAKE_PASSWORD"}},
		{"missing key file", []string{"SNOWFLAKE_ACCOUNT=acme", "SNOWFLAKE_USER=svc", "SNOWFLAKE_AUTHENTICATOR=snowflake_jwt"}, []string{"config", "check", "--config", empty, "--env", "production"}, []string{"snowflake.private_key_path"}},
		{"unknown environment", nil, []string{"config", "check", "--config", empty, "--env", "moon"}, []string{"environment", "moon", "staging"}},
		{"missing operator file", nil, []string{"config", "check", "--config", "/nonexistent/sfmcp.yaml"}, []string{"/nonexistent/sfmcp.yaml", "flag --config"}},
		{"serve refuses bad config", []string{"SNOWFLAKE_MCP_SERVER__LISTEN=nonsense"}, []string{"serve", "--config", empty}, []string{"server.listen", "host:port"}},
		{"stdio refuses stdout logs", nil, []string{"stdio", "--config", empty, "--log-output", "stdout"}, []string{"log.output", "flag --log-output"}},
		{"unknown command", nil, []string{"frobnicate"}, []string{"unknown command"}},
		{"unknown flag", nil, []string{"config", "check", "--no-such-flag"}, []string{"no-such-flag"}},
		{"bad --set syntax", nil, []string{"config", "check", "--config", empty, "--set", "query.max_rows"}, []string{"key=value"}},
	}
	for _, c := range cases {
		r := runBin(t, c.env, c.args...)
		if r.code != 2 {
			t.Errorf("%s: exit %d, want 2 (stderr %q)", c.name, r.code, r.stderr)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%s: stderr %q does not mention %q", c.name, r.stderr, w)
			}
		}
	}
	if r := runBin(t, nil, "config", "check", "--config", empty); r.code != 0 || !strings.Contains(r.stdout, "config ok") {
		t.Fatalf("valid config: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
}

func TestConfigPrintNeverShowsSecrets(t *testing.T) {
	const (
		pwFile     = "pw-from-file-7f3a"
		tokenEnv   = "token-from-env-91bc"
		passFlag   = "passphrase-from-flag-c0de"
		pwEnv      = "pw-from-env-5e5e"
		tokenFile  = "token-from-file-aa11"
		passphFile = "passphrase-from-file-bb22"
	)
	creds := t.TempDir()
	for name, v := range map[string]string{"pw": pwFile, "tok": tokenFile, "pass": passphFile} {
		if err := os.WriteFile(filepath.Join(creds, name), []byte(v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	opFile := writeFile(t, "op.yaml", "snowflake:\n  password_file: $CREDENTIALS_DIRECTORY/pw\n")
	allSecrets := []string{pwFile, tokenEnv, passFlag, pwEnv, tokenFile, passphFile}
	runs := []struct {
		env  []string
		args []string
	}{
		{[]string{"CREDENTIALS_DIRECTORY=" + creds, "SNOWFLAKE_TOKEN=" + tokenEnv},
			[]string{"--config", opFile, "--set", "snowflake.private_key_passphrase=" + passFlag}},
		{[]string{"SNOWFLAKE_PASSWORD=" + pwEnv, "SNOWFLAKE_MCP_SNOWFLAKE__TOKEN_FILE=" + filepath.Join(creds, "tok")},
			[]string{"--config", writeFile(t, "e.yaml", ""), "--set", "snowflake.private_key_passphrase_file=" + filepath.Join(creds, "pass")}},
	}
	for i, run := range runs {
		for _, format := range []string{"yaml", "json"} {
			r := runBin(t, run.env, append([]string{"config", "print", "--format", format}, run.args...)...)
			if r.code != 0 {
				t.Fatalf("run %d %s: exit %d: %s", i, format, r.code, r.stderr)
			}
			for _, s := range allSecrets {
				if strings.Contains(r.stdout+r.stderr, s) {
					t.Fatalf("run %d %s: secret %q printed:\n%s", i, format, s, r.stdout)
				}
			}
			if n := strings.Count(r.stdout, "[REDACTED]"); n != 3 {
				t.Fatalf("run %d %s: %d redacted values, want 3 (password, token, passphrase):\n%s", i, format, n, r.stdout)
			}
		}
	}
	// The secrets were really loaded: their provenance names the layer that carried them.
	p := printJSON(t, runs[0].env, runs[0].args...)
	if src := p.Sources["snowflake.password"]; !strings.Contains(src, "via snowflake.password_file") {
		t.Fatalf("password source = %q", src)
	}
	if v, src := p.get("snowflake.token"); v != "[REDACTED]" || src != "env SNOWFLAKE_TOKEN" {
		t.Fatalf("token = %v from %q", v, src)
	}
}

func TestVersion(t *testing.T) {
	r := runBin(t, nil, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "snowflake-mcp ") {
		t.Fatalf("version: exit %d %q", r.code, r.stdout)
	}
	if os.Getenv("SNOWFLAKE_MCP_BIN") == "" && !strings.Contains(r.stdout, testVersion) {
		t.Fatalf("version %q lacks the linked version %s", r.stdout, testVersion)
	}
	r = runBin(t, nil, "version", "--json")
	var v map[string]string
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || v["version"] == "" || v["go"] == "" {
		t.Fatalf("version --json: %q %v", r.stdout, err)
	}
}

// server is a running `snowflake-mcp serve` and its log lines.
type server struct {
	cmd   *exec.Cmd
	addr  string
	lines chan map[string]any
	done  chan error
}

// emulatorArgs starts the Snowflake emulator and returns the flags that point the
// development environment at it (serve warms its pool before it listens).
func emulatorArgs(t *testing.T) []string {
	t.Helper()
	emu := testemulator.Start(t)
	return []string{"--set", fmt.Sprintf("snowflake.port=%d", emu.Port)}
}

func startServe(t *testing.T, env []string, args ...string) *server {
	t.Helper()
	args = append(append([]string{"serve", "--listen", "127.0.0.1:0", "--log-format", "json"}, emulatorArgs(t)...), args...)
	cmd := exec.Command(bin(t), args...)
	cmd.Env = testbin.CleanEnv(env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, lines: make(chan map[string]any, 1024), done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				s.lines <- m
			}
		}
		close(s.lines)
		s.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
	})
	l := s.waitFor(t, "listening")
	s.addr = l["addr"].(string)
	return s
}

func (s *server) waitFor(t *testing.T, msg string) map[string]any {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case l, ok := <-s.lines:
			if !ok {
				t.Fatalf("server exited before logging %q", msg)
			}
			if l["msg"] == msg {
				return l
			}
		case <-timeout:
			t.Fatalf("no %q log line within 60s", msg)
		}
	}
}

func httpGet(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("GET %s: body %q: %v", url, b, err)
	}
	return resp.StatusCode, m
}

func TestServeHealthAndGracefulStop(t *testing.T) {
	s := startServe(t, nil, "--config", writeFile(t, "e.yaml", ""))
	base := "http://" + s.addr
	if code, m := httpGet(t, base+"/healthz"); code != 200 || m["status"] != "ok" {
		t.Fatalf("/healthz = %d %v", code, m)
	}
	if code, m := httpGet(t, base+"/readyz"); code != 200 || m["status"] != "ready" {
		t.Fatalf("/readyz = %d %v", code, m)
	}
	code, m := httpGet(t, base+"/version")
	if code != 200 || m["version"] == "" {
		t.Fatalf("/version = %d %v", code, m)
	}

	// The MCP route sits behind the foundation's middleware in the real binary.
	initReq := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}`
	mcpPost := func(body string, hdr map[string]string) (int, http.Header, string) {
		code, h, b := postMCP(t, base, []byte(body), hdr)
		return code, h, string(b)
	}
	code, hdr, body := mcpPost(initReq, map[string]string{"X-Request-Id": "bin-req-1"})
	if code != http.StatusOK || hdr.Get("X-Request-Id") != "bin-req-1" || !strings.Contains(body, "serverInfo") {
		t.Fatalf("MCP initialize: %d %q %s", code, hdr.Get("X-Request-Id"), body)
	}
	if code, _, body := mcpPost(initReq, map[string]string{"Origin": "https://evil.example"}); code != http.StatusForbidden {
		t.Fatalf("foreign Origin on /mcp: %d %s", code, body)
	}
	if code, _, body := mcpPost(strings.Repeat(" ", 5<<20)+initReq, nil); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("5MiB body on /mcp: %d %.200s", code, body)
	}

	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	s.waitFor(t, "stopped")
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not exit after SIGTERM")
	}
}

// TestServeReopensLogsOnSIGUSR1 is the logrotate contract: rename the files, send SIGUSR1,
// and new lines go to fresh files at the configured paths.
func TestServeReopensLogsOnSIGUSR1(t *testing.T) {
	dir := t.TempDir()
	s := startServeFileLogs(t, dir)
	base := "http://" + s.addr
	httpGet(t, base+"/healthz?n=1")
	access := filepath.Join(dir, "access.log")
	waitUntil(t, func() bool { return fileHas(access, "n=1") || fileHas(access, `"/healthz"`) })
	if err := os.Rename(access, access+".1"); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	// Reopen creates a fresh file at the configured path.
	waitUntil(t, func() bool { _, err := os.Stat(access); return err == nil })
	httpGet(t, base+"/version")
	waitUntil(t, func() bool { return fileHas(access, `"/version"`) })
	if fileHas(access+".1", `"/version"`) {
		t.Fatal("a request after the reopen went to the rotated file")
	}
	if !fileHas(access+".1", `"/healthz"`) {
		t.Fatal("the request before the rotation is missing from the rotated file")
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	if err := <-s.done; err != nil {
		t.Fatalf("serve exited with %v", err)
	}
}

// startServeFileLogs starts serve with file logs; the listen address comes from application.log.
func startServeFileLogs(t *testing.T, dir string) *server {
	t.Helper()
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--log-format", "json",
		"--log-output", "file", "--log-dir", dir, "--config", writeFile(t, "e.yaml", "")}, emulatorArgs(t)...)
	cmd := exec.Command(bin(t), args...)
	cmd.Env = testbin.CleanEnv()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	app := filepath.Join(dir, "application.log")
	waitUntil(t, func() bool { return fileHas(app, `"msg":"listening"`) })
	b, _ := os.ReadFile(app)
	for _, line := range strings.Split(string(b), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "listening" {
			s.addr = m["addr"].(string)
		}
	}
	if s.addr == "" {
		t.Fatalf("no listen address in %s", b)
	}
	return s
}

func fileHas(path, s string) bool {
	b, err := os.ReadFile(path)
	return err == nil && bytes.Contains(b, []byte(s))
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within 30s (%s)", t.Name())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// postMCP POSTs one JSON-RPC message to base's /mcp as a Streamable HTTP client
// does, with hdr added, and returns the status, headers and body.
func postMCP(t *testing.T, base string, body []byte, hdr map[string]string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/mcp", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}
