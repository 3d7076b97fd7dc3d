package snowpool_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/config"
	"github.com/snowflake-mcp/snowflake-mcp/logging"
	"github.com/snowflake-mcp/snowflake-mcp/snowpool"
	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// adminQuery is the part of the emulator's admin view these tests read.
type adminQuery struct {
	ID       string `json:"id"`
	SQL      string `json:"sql"`
	State    string `json:"state"`
	User     string `json:"user"`
	QueryTag string `json:"query_tag"`
}

func adminQueries(t *testing.T, emu *testemulator.Emulator) []adminQuery {
	t.Helper()
	resp, err := http.Get(emu.AdminURL + "/queries")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var qs []adminQuery
	if err := json.NewDecoder(resp.Body).Decode(&qs); err != nil {
		t.Fatal(err)
	}
	return qs
}

func startEmulator(t *testing.T) *testemulator.Emulator {
	t.Helper()
	pub, err := os.ReadFile(filepath.Join("testdata", "key_pub.pem"))
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]any{"users": []map[string]any{
		{"account": "demo", "user": "demo", "password": "demo"},
		{"account": "demo", "user": "keyuser", "public_key": string(pub)},
		{"account": "demo", "user": "patuser", "pats": []string{"pat-secret-1"}, "oauth_tokens": []string{"oauth-secret-1"}},
	}}
	b, _ := json.Marshal(users)
	path := filepath.Join(t.TempDir(), "users.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return testemulator.Start(t, testemulator.WithUsersFile(path, "demo", "demo", "demo"),
		testemulator.WithAsyncAfter(300*time.Millisecond))
}

func sfConfig(emu *testemulator.Emulator) config.Config {
	cfg := config.Defaults()
	cfg.Snowflake = config.Snowflake{Account: emu.Account, User: "demo", Password: "demo", Authenticator: "snowflake",
		Host: emu.Host, Port: emu.Port, Protocol: "http", Database: "DEMO", Schema: "SALES", LoginTimeout: 30 * time.Second}
	return cfg
}

func openPool(t *testing.T, cfg config.Config) *snowpool.Pool {
	t.Helper()
	p, err := snowpool.Open(&cfg, logging.Discard(), snowpool.Options{ServerName: "snowflake-mcp-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func scanOne(dst *string) func(*sql.Rows) (int64, error) {
	return func(rows *sql.Rows) (int64, error) {
		var n int64
		for rows.Next() {
			if err := rows.Scan(dst); err != nil {
				return n, err
			}
			n++
		}
		return n, nil
	}
}

func TestPoolWithEmulator(t *testing.T) {
	emu := startEmulator(t)
	ctx := context.Background()

	t.Run("warm_query_tag_and_id", func(t *testing.T) {
		cfg := sfConfig(emu)
		cfg.Pool.Warm = 3
		before := strings.Count(emu.Logs(), "msg=login")
		p := openPool(t, cfg)
		if err := p.Warm(ctx); err != nil {
			t.Fatal(err)
		}
		// The emulator logs each login before answering it, but its stderr reaches
		// us through a copying goroutine: wait for the three lines, then count.
		logs := emu.LogsWhen(t, func(l string) bool { return strings.Count(l, "msg=login")-before >= 3 })
		if got := strings.Count(logs, "msg=login") - before; got != 3 {
			t.Fatalf("Warm logged in %d sessions, want 3", got)
		}
		if st := p.DB().Stats(); st.Idle != 3 {
			t.Errorf("idle sessions after Warm = %d, want 3", st.Idle)
		}
		var v string
		info, err := p.Query(ctx, snowpool.Statement{Tool: "execute_query", RequestID: "req-42", SQL: "SELECT CURRENT_DATABASE()"}, scanOne(&v))
		if err != nil {
			t.Fatal(err)
		}
		if v != "DEMO" || info.QueryID == "" || info.State != snowpool.StateOK {
			t.Fatalf("query: v=%q info=%+v", v, info)
		}
		// Lines come in order: once the query's end is in, any login before it is too.
		logs = emu.LogsWhen(t, func(l string) bool { return strings.Contains(l, "query="+info.QueryID) })
		if got := strings.Count(logs, "msg=login") - before; got != 3 {
			t.Errorf("the first query logged in again (%d logins)", got)
		}
		var found bool
		for _, q := range adminQueries(t, emu) {
			if q.ID == info.QueryID {
				found = true
				if !strings.Contains(q.QueryTag, `"request_id":"req-42"`) || !strings.Contains(q.QueryTag, "snowflake-mcp-test") || !strings.Contains(q.QueryTag, "execute_query") {
					t.Errorf("QUERY_TAG = %q", q.QueryTag)
				}
			}
		}
		if !found {
			t.Errorf("query id %s not in the emulator's admin view", info.QueryID)
		}
	})

	t.Run("query_log", func(t *testing.T) {
		var buf syncBuf
		logs, err := logging.NewWriter(&buf, config.Log{Level: "info", Format: "json"})
		if err != nil {
			t.Fatal(err)
		}
		cfg := sfConfig(emu)
		p, err := snowpool.Open(&cfg, logs, snowpool.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		var v string
		info, err := p.Query(ctx, snowpool.Statement{Tool: "list_tables", RequestID: "req-log", SQL: "SELECT 'secret-literal'"}, scanOne(&v))
		if err != nil {
			t.Fatal(err)
		}
		_, qerr := p.Query(ctx, snowpool.Statement{Tool: "execute_query", RequestID: "req-bad", SQL: "SELECT * FROM NO_SUCH_TABLE"}, scanOne(&v))
		if qerr == nil {
			t.Fatal("query of a missing table succeeded")
		}
		var lines []map[string]any
		for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(l), &m) == nil && m["log"] == "query" {
				lines = append(lines, m)
			}
		}
		if len(lines) != 2 {
			t.Fatalf("query log lines: %v", buf.String())
		}
		if lines[0]["query_id"] != info.QueryID || lines[0]["tool"] != "list_tables" || lines[0]["request_id"] != "req-log" || lines[0]["outcome"] != "ok" || lines[0]["rows"] != float64(1) {
			t.Errorf("ok line: %v", lines[0])
		}
		if lines[1]["outcome"] != "error" || !strings.Contains(fmt.Sprint(lines[1]["error"]), "002003") || lines[1]["query_id"] == "" {
			t.Errorf("error line: %v", lines[1])
		}
		if strings.Contains(buf.String(), "secret-literal") {
			t.Error("statement text logged although query.log_sql is off")
		}
	})

	t.Run("setup_is_reset", func(t *testing.T) {
		cfg := sfConfig(emu)
		cfg.Pool.MaxOpen, cfg.Pool.MaxIdle, cfg.Pool.Warm = 1, 1, 1
		p := openPool(t, cfg)
		var v string
		if _, err := p.Query(ctx, snowpool.Statement{SQL: "SELECT CURRENT_SCHEMA()", Setup: []string{`USE SCHEMA "DEMO"."MARKETING"`}}, scanOne(&v)); err != nil || v != "MARKETING" {
			t.Fatalf("with setup: %q %v", v, err)
		}
		if _, err := p.Query(ctx, snowpool.Statement{SQL: "SELECT CURRENT_SCHEMA()"}, scanOne(&v)); err != nil || v != "SALES" {
			t.Fatalf("next query on the one pooled session sees schema %q (%v), want SALES", v, err)
		}
	})

	t.Run("key_pair_encrypted_pkcs8", func(t *testing.T) {
		cfg := sfConfig(emu)
		cfg.Snowflake.User = "keyuser"
		cfg.Snowflake.Password = ""
		cfg.Snowflake.Authenticator = "snowflake_jwt"
		cfg.Snowflake.PrivateKeyPath = filepath.Join("testdata", "key_aes256_sha256.pem")
		cfg.Snowflake.PrivateKeyPassphrase = "correct-horse"
		p := openPool(t, cfg)
		if err := p.Ping(ctx); err != nil {
			t.Fatalf("JWT login with a decrypted PBES2 key: %v", err)
		}
	})

	t.Run("pat_and_oauth", func(t *testing.T) {
		for _, c := range []struct{ auth, token string }{{"programmatic_access_token", "pat-secret-1"}, {"oauth", "oauth-secret-1"}} {
			cfg := sfConfig(emu)
			cfg.Snowflake.User = "patuser"
			cfg.Snowflake.Password = ""
			cfg.Snowflake.Authenticator = c.auth
			cfg.Snowflake.Token = config.Secret(c.token)
			if err := openPool(t, cfg).Ping(ctx); err != nil {
				t.Errorf("%s login: %v", c.auth, err)
			}
			cfg.Snowflake.Token = "wrong-token-value"
			err := openPool(t, cfg).Ping(ctx)
			if err == nil {
				t.Errorf("%s with a wrong token logged in", c.auth)
			} else if strings.Contains(err.Error(), "wrong-token-value") {
				t.Errorf("%s login error leaks the token: %v", c.auth, err)
			}
		}
	})

	t.Run("wrong_password_not_leaked", func(t *testing.T) {
		cfg := sfConfig(emu)
		cfg.Snowflake.Password = "hunter2-secret"
		cfg.Pool.Warm = 1
		err := openPool(t, cfg).Warm(ctx)
		if err == nil || strings.Contains(err.Error(), "hunter2-secret") || !strings.Contains(err.Error(), "390100") {
			t.Fatalf("bad password: %v", err)
		}
	})

	t.Run("tracker_wait_and_cancel_all", func(t *testing.T) {
		p := openPool(t, sfConfig(emu))
		done := make(chan error, 1)
		go func() {
			var v string
			_, err := p.Query(ctx, snowpool.Statement{Tool: "execute_query", RequestID: "long", SQL: "SELECT SYSTEM$WAIT(30)"}, scanOne(&v))
			done <- err
		}()
		deadline := time.Now().Add(20 * time.Second)
		for {
			act := p.Tracker().Active()
			if len(act) == 1 && act[0].QueryID != "" {
				if act[0].RequestID != "long" || act[0].State != snowpool.StateRunning {
					t.Fatalf("active: %+v", act)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("query never showed up with an id: %+v", act)
			}
			time.Sleep(20 * time.Millisecond)
		}
		short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		if err := p.Tracker().Wait(short); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Wait = %v, want deadline exceeded", err)
		}
		qid := p.Tracker().Active()[0].QueryID
		p.Tracker().CancelAll()
		var ce *snowpool.CancelledError
		if err := <-done; !errors.As(err, &ce) || !errors.Is(err, snowpool.ErrCancelledByServer) {
			t.Fatalf("cancelled query returned %v", err)
		}
		if err := p.Tracker().Wait(ctx); err != nil {
			t.Fatal(err)
		}
		deadline = time.Now().Add(10 * time.Second)
		for {
			var state string
			for _, q := range adminQueries(t, emu) {
				if q.ID == qid {
					state = q.State
				}
			}
			if state == "aborted" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("emulator state of %s = %q, want aborted", qid, state)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

// syncBuf is a bytes.Buffer safe for the logger and the test to share.
type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
