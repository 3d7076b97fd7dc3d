package snowpool

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/snowflakedb/gosnowflake"

	"github.com/snowflake-mcp/snowflake-mcp/config"
)

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The encrypted fixtures were written by `openssl pkcs8 -topk8 -v2 ...` from key_plain.pem.
func TestParsePrivateKey(t *testing.T) {
	plain, err := ParsePrivateKey(readFile(t, "key_plain.pem"), "")
	if err != nil {
		t.Fatalf("plain PKCS#8: %v", err)
	}
	block, _ := pem.Decode(readFile(t, "key_pub.pem"))
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !plain.PublicKey.Equal(pub) {
		t.Fatal("plain key does not match the public key fixture")
	}
	for _, name := range []string{"key_aes256_sha256.pem", "key_aes128_sha1.pem", "key_pkcs1.pem"} {
		k, err := ParsePrivateKey(readFile(t, name), "correct-horse")
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !k.Equal(plain) {
			t.Errorf("%s: decrypted key differs from key_plain.pem", name)
		}
	}
	if _, err := ParsePrivateKey(readFile(t, "key_aes256_sha256.pem"), "wrong"); err == nil || !strings.Contains(err.Error(), "passphrase") {
		t.Errorf("wrong passphrase: err = %v, want a passphrase error", err)
	}
	if _, err := ParsePrivateKey(readFile(t, "key_aes256_sha256.pem"), ""); err == nil || !strings.Contains(err.Error(), "private_key_passphrase") {
		t.Errorf("missing passphrase: err = %v, want a hint at private_key_passphrase", err)
	}
	if _, err := ParsePrivateKey([]byte("not pem"), ""); err == nil {
		t.Error("garbage parsed as a key")
	}
}

func baseSF() config.Snowflake {
	return config.Snowflake{Account: "demo", User: "demo", Authenticator: "snowflake", Password: "pw",
		Host: "127.0.0.1", Port: 8089, Protocol: "http", Database: "DEMO", Schema: "SALES"}
}

func TestDriverConfigAuthenticators(t *testing.T) {
	sf := baseSF()
	c, err := DriverConfig(sf, DriverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Authenticator != gosnowflake.AuthTypeSnowflake || c.Password != "pw" || c.Host != "127.0.0.1" || c.Port != 8089 || c.Protocol != "http" || c.Database != "DEMO" {
		t.Errorf("password config wrong: %+v", c)
	}

	sf = baseSF()
	sf.Authenticator = "SNOWFLAKE_JWT"
	sf.PrivateKeyPath = filepath.Join("testdata", "key_aes256_sha256.pem")
	sf.PrivateKeyPassphrase = "correct-horse"
	c, err = DriverConfig(sf, DriverOptions{})
	if err != nil || c.Authenticator != gosnowflake.AuthTypeJwt || c.PrivateKey == nil {
		t.Errorf("jwt: %v %+v", err, c)
	}
	sf.PrivateKeyPassphrase = "nope"
	if _, err := DriverConfig(sf, DriverOptions{}); err == nil || strings.Contains(err.Error(), "nope") {
		t.Errorf("jwt with wrong passphrase: err = %v (must fail without echoing the passphrase)", err)
	}

	for auth, want := range map[string]gosnowflake.AuthType{"oauth": gosnowflake.AuthTypeOAuth, "programmatic_access_token": gosnowflake.AuthTypePat} {
		sf = baseSF()
		sf.Authenticator = auth
		if _, err := DriverConfig(sf, DriverOptions{}); err == nil {
			t.Errorf("%s without token accepted", auth)
		}
		sf.Token = "tok"
		c, err = DriverConfig(sf, DriverOptions{})
		if err != nil || c.Authenticator != want || c.Token != "tok" {
			t.Errorf("%s: %v %+v", auth, err, c)
		}
	}

	sf = baseSF()
	sf.Authenticator = "externalbrowser"
	if _, err := DriverConfig(sf, DriverOptions{}); err == nil || !strings.Contains(err.Error(), "stdio") {
		t.Errorf("externalbrowser over HTTP: err = %v, want refusal naming stdio", err)
	}
	if c, err = DriverConfig(sf, DriverOptions{Interactive: true}); err != nil || c.Authenticator != gosnowflake.AuthTypeExternalBrowser {
		t.Errorf("externalbrowser in stdio: %v", err)
	}

	sf = baseSF()
	sf.Password = ""
	if _, err := DriverConfig(sf, DriverOptions{}); err == nil {
		t.Error("password authenticator without password accepted")
	}
	sf = baseSF()
	sf.Authenticator = "okta"
	if _, err := DriverConfig(sf, DriverOptions{}); err == nil {
		t.Error("unsupported authenticator accepted")
	}
}

func TestNamedConnection(t *testing.T) {
	dir := t.TempDir()
	keyPath, _ := filepath.Abs(filepath.Join("testdata", "key_plain.pem"))
	toml := `
default_connection_name = "dev"
[dev]
account = "devacct"
user = "alice"
password = "from-toml"
role = "ANALYST"
warehouse = "WH"
database = "DB1"
schema = "S1"
host = "localhost"
port = 9999
protocol = "http"

[keyed]
account = "k"
user = "bob"
private_key_file = "` + keyPath + `"
port = "8443"
`
	if err := os.WriteFile(filepath.Join(dir, "connections.toml"), []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(k string) string {
		if k == "SNOWFLAKE_HOME" {
			return dir
		}
		return ""
	}
	sf := config.Snowflake{ConnectionName: "dev", Authenticator: "snowflake", Protocol: "https", Port: 443}
	c, err := DriverConfig(sf, DriverOptions{Env: env})
	if err != nil {
		t.Fatal(err)
	}
	if c.Account != "devacct" || c.User != "alice" || c.Password != "from-toml" || c.Role != "ANALYST" || c.Warehouse != "WH" ||
		c.Database != "DB1" || c.Schema != "S1" || c.Host != "localhost" || c.Port != 9999 || c.Protocol != "http" {
		t.Errorf("dev connection not applied: %+v", c)
	}

	sf = config.Snowflake{ConnectionName: "keyed", ConnectionsFile: filepath.Join(dir, "connections.toml"), Authenticator: "snowflake"}
	c, err = DriverConfig(sf, DriverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Authenticator != gosnowflake.AuthTypeJwt || c.PrivateKey == nil || c.Port != 8443 {
		t.Errorf("keyed connection: %+v", c)
	}

	sf.ConnectionName = "missing"
	if _, err := DriverConfig(sf, DriverOptions{}); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing connection: err = %v", err)
	}
	home := t.TempDir()
	p, err := ConnectionsFile(config.Snowflake{}, func(k string) string {
		if k == "HOME" {
			return home
		}
		return ""
	})
	if err != nil || p != filepath.Join(home, ".snowflake", "connections.toml") {
		t.Errorf("default connections file = %q, %v", p, err)
	}
}

func TestTrackerWaitAndCancelAll(t *testing.T) {
	tr := NewTracker()
	if err := tr.Wait(context.Background()); err != nil {
		t.Fatalf("Wait on an idle tracker: %v", err)
	}
	ctx1, q1 := tr.begin(context.Background(), "execute_query", "r1")
	_, q2 := tr.begin(context.Background(), "list_tables", "r2")
	q1.setQueryID("sfqid-1")
	act := tr.Active()
	if len(act) != 2 || act[0].Tool != "execute_query" || act[0].QueryID != "sfqid-1" || act[1].RequestID != "r2" || act[0].State != StateRunning {
		t.Fatalf("Active = %+v", act)
	}
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := tr.Wait(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait with running queries = %v, want deadline exceeded", err)
	}
	tr.CancelAll()
	select {
	case <-ctx1.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("CancelAll did not cancel the query context")
	}
	if !errors.Is(context.Cause(ctx1), ErrCancelledByServer) {
		t.Fatalf("cause = %v", context.Cause(ctx1))
	}
	waited := make(chan error, 1)
	go func() { waited <- tr.Wait(context.Background()) }()
	tr.end(q1, StateCancelled)
	info := tr.end(q2, StateOK)
	if info.State != StateOK {
		t.Errorf("end state = %q", info.State)
	}
	select {
	case err := <-waited:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not return after the last query ended")
	}
	if n := len(tr.Active()); n != 0 {
		t.Fatalf("%d queries still active", n)
	}
	// The tracker is reusable after going idle.
	_, q3 := tr.begin(context.Background(), "x", "")
	if len(tr.Active()) != 1 {
		t.Fatal("new query not tracked")
	}
	tr.end(q3, StateOK)
}
