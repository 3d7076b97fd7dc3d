package mcptools_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/authn"
	"github.com/snowflake-mcp/snowflake-mcp/config"
	"github.com/snowflake-mcp/snowflake-mcp/httpapi"
	"github.com/snowflake-mcp/snowflake-mcp/limits"
	"github.com/snowflake-mcp/snowflake-mcp/logging"
	"github.com/snowflake-mcp/snowflake-mcp/mcptools"
	"github.com/snowflake-mcp/snowflake-mcp/snowpool"
	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// FuzzMCPEndpoint feeds arbitrary bodies to the JSON-RPC entry point through the HTTP
// handler chain serve uses (auth, rate limit, batch guard, Streamable HTTP, the tools, a
// real emulator behind them). No input may panic the server or get an answer outside
// the statuses the chain can give; a JSON answer must be JSON.
func FuzzMCPEndpoint(f *testing.F) {
	emu := testemulator.Start(f)
	cfg := emulatorConfig(emu)
	cfg.Query.Timeout = 2 * time.Second
	cfg.Pool.Warm = 1
	pool, err := snowpool.Open(&cfg, logging.Discard(), snowpool.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = pool.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := pool.Warm(ctx); err != nil {
		f.Fatal(err)
	}
	db, schema := pool.Defaults()
	tools := mcptools.New(pool, mcptools.Options{Query: cfg.Query, DefaultDatabase: db, DefaultSchema: schema,
		Logs: logging.Discard(), Queries: limits.NewQueryGate(4, time.Second)})
	const token = "sfmcp_fuzz-token"
	a, err := authn.New(context.Background(), authn.Options{Auth: config.Auth{Tokens: []config.TokenEntry{{Name: "fuzz", SHA256: authn.HashToken(token)}}}})
	if err != nil {
		f.Fatal(err)
	}
	h := httpapi.RequestIDMiddleware(httpapi.BodyLimit(1 << 20)(a.Middleware(
		limits.BatchGuard(1)(mcptools.NewHTTPHandler(tools.Server(), cfg.Server, nil)))))

	versions := []string{"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", "2026-07-28", "", "1999-01-01"}
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"f","version":"1"}}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"execute_query","arguments":{"query":"SELECT 1"}}}`,
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"describe_table","arguments":{"database":"DEMO","table_name":"REGIONS"}}}`,
		`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"execute_query","arguments":{"query":"DROP TABLE X; SELECT 1"}}}`,
		`[{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"jsonrpc":"2.0","id":2,"method":"tools/list"}]`,
		`[{"jsonrpc":"2.0","id":1,"method":"tools/list"}]`,
		`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}`,
		`[`, `{"jsonrpc":"2.0","id":{},"method":7}`, "\x00\xff", ``,
	} {
		for i := range versions {
			f.Add([]byte(s), uint8(i))
		}
	}
	allowed := map[int]bool{200: true, 202: true, 400: true, 403: true, 404: true, 405: true, 406: true, 413: true, 415: true, 429: true}
	f.Fuzz(func(t *testing.T, body []byte, v uint8) {
		req := httptest.NewRequest(http.MethodPost, "/mcp", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Authorization", "Bearer "+token)
		if pv := versions[int(v)%len(versions)]; pv != "" {
			req.Header.Set("MCP-Protocol-Version", pv)
		}
		rctx, cancel := context.WithTimeout(req.Context(), 10*time.Second)
		defer cancel()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req.WithContext(rctx))
		if !allowed[rec.Code] {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body.Bytes())
		}
		if ct := rec.Header().Get("Content-Type"); strings.HasPrefix(ct, "application/json") && rec.Body.Len() > 0 && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s answer is not JSON for %q: %s", ct, body, rec.Body.Bytes())
		}
	})
}
