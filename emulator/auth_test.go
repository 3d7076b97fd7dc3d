package emulator_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

type authFixture struct {
	emu   *testemulator.Emulator
	key   *rsa.PrivateKey
	other *rsa.PrivateKey
}

func startWithUsers(t *testing.T, opts ...testemulator.Option) authFixture {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pub := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	users := map[string]any{"users": []map[string]any{
		{"account": "acme", "user": "alice", "password": "s3cret", "public_key": pub,
			"pats": []string{"pat-token-1"}, "oauth_tokens": []string{"oauth-token-1"}, "role": "ANALYST", "warehouse": "WH_XS"},
	}}
	b, _ := json.Marshal(users)
	path := filepath.Join(t.TempDir(), "users.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	opts = append([]testemulator.Option{testemulator.WithUsersFile(path, "acme", "alice", "s3cret")}, opts...)
	return authFixture{emu: testemulator.Start(t, opts...), key: key, other: other}
}

func (f authFixture) connect(t *testing.T, mod func(*sf.Config)) *sql.DB {
	t.Helper()
	cfg := &sf.Config{
		Account: "acme", User: "alice", Host: f.emu.Host, Port: f.emu.Port, Protocol: "http",
		Database: "DEMO", Schema: "SALES",
	}
	mod(cfg)
	db := sql.OpenDB(sf.NewConnector(sf.SnowflakeDriver{}, *cfg))
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestAuthenticators(t *testing.T) {
	f := startWithUsers(t)
	cases := []struct {
		name     string
		mod      func(*sf.Config)
		wantCode int // 0: success
	}{
		{"password", func(c *sf.Config) { c.Password = "s3cret" }, 0},
		{"wrong password", func(c *sf.Config) { c.Password = "wrong" }, 390100},
		{"unknown user", func(c *sf.Config) { c.User = "mallory"; c.Password = "s3cret" }, 390100},
		{"key pair", func(c *sf.Config) { c.Authenticator = sf.AuthTypeJwt; c.PrivateKey = f.key }, 0},
		{"key pair wrong key", func(c *sf.Config) { c.Authenticator = sf.AuthTypeJwt; c.PrivateKey = f.other }, 390144},
		{"pat", func(c *sf.Config) { c.Authenticator = sf.AuthTypePat; c.Token = "pat-token-1" }, 0},
		{"pat wrong", func(c *sf.Config) { c.Authenticator = sf.AuthTypePat; c.Token = "nope" }, 394400},
		{"oauth", func(c *sf.Config) { c.Authenticator = sf.AuthTypeOAuth; c.Token = "oauth-token-1" }, 0},
		{"oauth wrong", func(c *sf.Config) { c.Authenticator = sf.AuthTypeOAuth; c.Token = "nope" }, 390303},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db := f.connect(t, tc.mod)
			var user, role, wh string
			err := db.QueryRow("SELECT CURRENT_USER(), CURRENT_ROLE(), CURRENT_WAREHOUSE()").Scan(&user, &role, &wh)
			if tc.wantCode != 0 {
				if code := sfCode(err); code != tc.wantCode {
					t.Fatalf("err %v (code %d), want code %d", err, code, tc.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if user != "ALICE" || role != "ANALYST" || wh != "WH_XS" {
				t.Fatalf("session user %s role %s warehouse %s", user, role, wh)
			}
		})
	}
}

// TestSessionExpiryRenews: once the session token expires the emulator
// answers 390112 and the driver renews it with the master token.
func TestSessionExpiryRenews(t *testing.T) {
	emu := testemulator.Start(t, testemulator.WithSessionTTL(300*time.Millisecond))
	db := open(t, emu.DSN("DEMO", "SALES"))
	db.SetMaxOpenConns(1)
	var n int
	if err := db.QueryRow("SELECT 1").Scan(&n); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond) // let the token expire: expiry is the behaviour under test
	if err := db.QueryRow("SELECT 2").Scan(&n); err != nil || n != 2 {
		t.Fatalf("after expiry: %d, %v", n, err)
	}
	emu.LogsWhen(t, func(l string) bool { return strings.Contains(l, "session token renewed") })
}

func TestFaults(t *testing.T) {
	emu := testemulator.Start(t)
	db := open(t, emu.DSN("DEMO", "SALES"))
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	if err := db.PingContext(ctx); err != nil {
		t.Fatal(err)
	}
	t.Run("503 then success", func(t *testing.T) {
		if err := emu.SetFaults(ctx, testemulator.Faults{Fail503: 1}); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRowContext(ctx, "SELECT 42").Scan(&n); err != nil || n != 42 {
			t.Fatalf("after one 503: %d, %v", n, err)
		}
	})
	t.Run("dropped connection then success", func(t *testing.T) {
		if err := emu.SetFaults(ctx, testemulator.Faults{DropConnections: 1}); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRowContext(ctx, "SELECT 43").Scan(&n); err != nil || n != 43 {
			t.Fatalf("after a dropped connection: %d, %v", n, err)
		}
	})
	t.Run("login delay", func(t *testing.T) {
		if err := emu.SetFaults(ctx, testemulator.Faults{LoginDelay: "700ms"}); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = emu.ClearFaults(ctx) }()
		db2 := open(t, emu.DSN("", ""))
		start := time.Now()
		if err := db2.PingContext(ctx); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took < 700*time.Millisecond {
			t.Fatalf("login took %v despite a 700ms login delay", took)
		}
	})
}
