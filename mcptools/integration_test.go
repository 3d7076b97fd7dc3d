package mcptools_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/snowflake-mcp/snowflake-mcp/config"
	"github.com/snowflake-mcp/snowflake-mcp/httpapi"
	"github.com/snowflake-mcp/snowflake-mcp/logging"
	"github.com/snowflake-mcp/snowflake-mcp/mcptools"
	"github.com/snowflake-mcp/snowflake-mcp/snowpool"
	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// stack is one MCP server over HTTP in front of a real emulator.
type stack struct {
	emu  *testemulator.Emulator
	pool *snowpool.Pool
	url  string
}

func emulatorConfig(emu *testemulator.Emulator) config.Config {
	cfg := config.Defaults()
	cfg.Snowflake = config.Snowflake{
		Account: emu.Account, User: emu.User, Password: config.Secret(emu.Password), Authenticator: "snowflake",
		Host: emu.Host, Port: emu.Port, Protocol: "http", Database: "DEMO", Schema: "SALES",
		LoginTimeout: 30 * time.Second,
	}
	cfg.Pool.Warm = 2
	return cfg
}

func startStack(t testing.TB, emu *testemulator.Emulator, mutate func(*config.Config)) *stack {
	t.Helper()
	cfg := emulatorConfig(emu)
	if mutate != nil {
		mutate(&cfg)
	}
	pool, err := snowpool.Open(&cfg, logging.Discard(), snowpool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pool.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := pool.Warm(ctx); err != nil {
		t.Fatalf("warm: %v", err)
	}
	db, schema := pool.Defaults()
	tools := mcptools.New(pool, mcptools.Options{Query: cfg.Query, DefaultDatabase: db, DefaultSchema: schema,
		ProgressInterval: 200 * time.Millisecond})
	ts := httptest.NewServer(httpapi.RequestIDMiddleware(mcptools.NewHTTPHandler(tools.Server(), cfg.Server, nil)))
	t.Cleanup(ts.Close)
	return &stack{emu: emu, pool: pool, url: ts.URL}
}

func connect(t testing.TB, url string, opts *mcp.ClientOptions) *mcp.ClientSession {
	t.Helper()
	c := mcp.NewClient(&mcp.Implementation{Name: "it", Version: "1"}, opts)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs, err := c.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: url}, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

// call runs a tool and decodes its structured output.
func call(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) (*mcp.CallToolResult, mcptools.Output) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: protocol error %v", name, err)
	}
	var out mcptools.Output
	b, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: structured content %s: %v", name, b, err)
	}
	return res, out
}

func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func column(t *testing.T, out mcptools.Output, name string) []any {
	t.Helper()
	for i, c := range out.Columns {
		if strings.EqualFold(c.Name, name) {
			var vals []any
			for _, r := range out.Rows {
				vals = append(vals, r[i])
			}
			return vals
		}
	}
	t.Fatalf("no column %q in %+v", name, out.Columns)
	return nil
}

func contains(vals []any, want string) bool {
	for _, v := range vals {
		if s, ok := v.(string); ok && strings.EqualFold(s, want) {
			return true
		}
	}
	return false
}

func mustOK(t *testing.T, name string, res *mcp.CallToolResult, out mcptools.Output) {
	t.Helper()
	if res.IsError {
		t.Fatalf("%s failed: %s", name, text(res))
	}
	if out.QueryID == "" && !out.Cached {
		t.Errorf("%s: no Snowflake query id in %+v", name, out)
	}
}

func mustFail(t *testing.T, name string, res *mcp.CallToolResult, out mcptools.Output, kind string) *mcptools.ToolError {
	t.Helper()
	if !res.IsError || out.Error == nil {
		t.Fatalf("%s: want a tool error of kind %s, got success: %s", name, kind, text(res))
	}
	if out.Error.Kind != kind {
		t.Fatalf("%s: error kind %q (%s), want %q", name, out.Error.Kind, out.Error.Message, kind)
	}
	return out.Error
}

func TestTools(t *testing.T) {
	emu := testemulator.Start(t)
	st := startStack(t, emu, func(c *config.Config) {
		c.Query.MaxRows = 50
		c.Query.MaxCellChars = 20
		c.Query.MetadataCacheTTL = time.Minute
	})
	cs := connect(t, st.url, nil)

	t.Run("protocol_version", func(t *testing.T) {
		// Stateless mode offers sessionless MCP; the go-sdk client takes it.
		if v := cs.InitializeResult().ProtocolVersion; v != "2026-07-28" {
			t.Errorf("negotiated protocol %q, want 2026-07-28 in stateless mode", v)
		}
		if cs.ID() != "" {
			t.Errorf("stateless mode handed out session id %q", cs.ID())
		}
	})

	t.Run("list_tools", func(t *testing.T) {
		res, err := cs.ListTools(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{"list_databases": true, "list_schemas": true, "list_tables": true, "list_views": true,
			"describe_table": true, "describe_view": true, "query_view": true, "execute_query": true}
		for _, tool := range res.Tools {
			if !want[tool.Name] {
				t.Errorf("unexpected tool %s", tool.Name)
			}
			delete(want, tool.Name)
			if tool.Description == "" || tool.InputSchema == nil || tool.OutputSchema == nil {
				t.Errorf("%s lacks description or schemas", tool.Name)
			}
			if tool.Annotations == nil || !tool.Annotations.ReadOnlyHint {
				t.Errorf("%s: readOnlyHint not set in read-only mode", tool.Name)
			}
		}
		if len(want) != 0 {
			t.Errorf("missing tools: %v", want)
		}
	})

	t.Run("list_databases", func(t *testing.T) {
		res, out := call(t, cs, "list_databases", nil)
		mustOK(t, "list_databases", res, out)
		if !contains(column(t, out, "name"), "DEMO") {
			t.Errorf("DEMO not listed: %s", text(res))
		}
	})

	t.Run("list_schemas", func(t *testing.T) {
		res, out := call(t, cs, "list_schemas", map[string]any{"database": "demo"})
		mustOK(t, "list_schemas", res, out)
		names := column(t, out, "name")
		if !contains(names, "SALES") || !contains(names, "MARKETING") {
			t.Errorf("schemas: %v", names)
		}
	})

	t.Run("list_tables", func(t *testing.T) {
		res, out := call(t, cs, "list_tables", map[string]any{"database": "DEMO", "schema": "SALES"})
		mustOK(t, "list_tables", res, out)
		names := column(t, out, "name")
		if !contains(names, "ORDERS") || !contains(names, "CUSTOMERS") || contains(names, "DAILY_REVENUE") {
			t.Errorf("tables: %v", names)
		}
		// Whole database: MARKETING tables too.
		res, out = call(t, cs, "list_tables", map[string]any{"database": "DEMO"})
		mustOK(t, "list_tables db", res, out)
		if schemas := column(t, out, "schema_name"); !contains(schemas, "MARKETING") || !contains(schemas, "SALES") {
			t.Errorf("database-wide list_tables schemas: %v", schemas)
		}
	})

	t.Run("list_views", func(t *testing.T) {
		res, out := call(t, cs, "list_views", map[string]any{"database": "DEMO", "schema": "SALES"})
		mustOK(t, "list_views", res, out)
		names := column(t, out, "name")
		if !contains(names, "DAILY_REVENUE") || contains(names, "ORDERS") {
			t.Errorf("views: %v", names)
		}
	})

	t.Run("describe_table", func(t *testing.T) {
		res, out := call(t, cs, "describe_table", map[string]any{"database": "DEMO", "schema": "SALES", "table_name": "orders"})
		mustOK(t, "describe_table", res, out)
		if cols := column(t, out, "name"); !contains(cols, "AMOUNT") || !contains(cols, "ORDER_ID") {
			t.Errorf("ORDERS columns: %v", cols)
		}
		// Fully qualified name, as the original server accepted.
		res2, out2 := call(t, cs, "describe_table", map[string]any{"database": "IGNORED", "table_name": "DEMO.SALES.ORDERS"})
		mustOK(t, "describe_table qualified", res2, out2)
		if len(out2.Rows) != len(out.Rows) {
			t.Errorf("qualified describe: %d rows, want %d", len(out2.Rows), len(out.Rows))
		}
		// No schema: the connection's default (SALES).
		res3, out3 := call(t, cs, "describe_table", map[string]any{"database": "DEMO", "table_name": "ORDERS"})
		mustOK(t, "describe_table default schema", res3, out3)
	})

	t.Run("describe_view", func(t *testing.T) {
		res, out := call(t, cs, "describe_view", map[string]any{"database": "DEMO", "schema": "SALES", "view_name": "DAILY_REVENUE"})
		mustOK(t, "describe_view", res, out)
		if len(out.Rows) == 0 {
			t.Errorf("no columns: %s", text(res))
		}
	})

	t.Run("query_view", func(t *testing.T) {
		res, out := call(t, cs, "query_view", map[string]any{"database": "DEMO", "schema": "SALES", "view_name": "daily_revenue"})
		mustOK(t, "query_view", res, out)
		if out.RowCount != 10 || len(out.Rows) != 10 || !out.Truncated || out.TruncatedBy != "limit" {
			t.Errorf("default limit 10: rows=%d truncated=%v by %q", out.RowCount, out.Truncated, out.TruncatedBy)
		}
		res, out = call(t, cs, "query_view", map[string]any{"database": "DEMO", "schema": "SALES", "view_name": "DAILY_REVENUE", "limit": 3})
		mustOK(t, "query_view limit", res, out)
		if out.RowCount != 3 {
			t.Errorf("limit 3: %d rows", out.RowCount)
		}
	})

	t.Run("execute_query", func(t *testing.T) {
		res, out := call(t, cs, "execute_query", map[string]any{"query": "SELECT REGION_ID, NAME FROM DEMO.SALES.REGIONS ORDER BY REGION_ID"})
		mustOK(t, "execute_query", res, out)
		if out.RowCount != 5 || out.Truncated || len(out.Columns) != 2 {
			t.Fatalf("regions: %+v", out)
		}
		if out.Columns[0].Type == "" || !strings.HasPrefix(out.Columns[0].Type, "NUMBER") || out.Columns[1].Type != "VARCHAR" {
			t.Errorf("column types: %+v", out.Columns)
		}
		if out.Rows[0][1] != "North America" || !strings.Contains(text(res), "North America") {
			t.Errorf("first row %v / text %q", out.Rows[0], text(res))
		}
		// database and schema arguments resolve unqualified names.
		res, out = call(t, cs, "execute_query", map[string]any{"query": "SELECT COUNT(*) AS N FROM CAMPAIGNS", "database": "DEMO", "schema": "MARKETING"})
		mustOK(t, "execute_query with schema", res, out)
		// ...without leaking into the next request's session.
		res, out = call(t, cs, "execute_query", map[string]any{"query": "SELECT CURRENT_SCHEMA() AS S"})
		mustOK(t, "current schema", res, out)
		if got := out.Rows[0][0]; got != "SALES" {
			t.Errorf("session schema after a USE: %v, want SALES", got)
		}
	})

	t.Run("cap_and_truncation", func(t *testing.T) {
		// ORDERS has far more than max_rows (50) rows: limit 1000 is capped.
		res, out := call(t, cs, "execute_query", map[string]any{"query": "SELECT ORDER_ID, STATUS FROM DEMO.SALES.ORDERS", "limit": 1000})
		mustOK(t, "cap", res, out)
		if out.RowCount != 50 || !out.Truncated || out.TruncatedBy != "max_rows" {
			t.Errorf("cap: rows=%d truncated=%v by %q", out.RowCount, out.Truncated, out.TruncatedBy)
		}
		// Long cells are cut at max_cell_chars (20).
		res, out = call(t, cs, "execute_query", map[string]any{"query": "SELECT REPEAT('x', 100) AS LONG_VALUE"})
		mustOK(t, "cell cut", res, out)
		if s, _ := out.Rows[0][0].(string); !out.CellsTruncated || len([]rune(s)) != 21 {
			t.Errorf("cell cut: %q cells_truncated=%v", s, out.CellsTruncated)
		}
	})

	t.Run("read_only_refusals", func(t *testing.T) {
		before, _ := emu.Queries(context.Background())
		for _, q := range []string{
			"DROP TABLE DEMO.SALES.ORDERS",
			"DELETE FROM DEMO.SALES.ORDERS",
			"INSERT INTO DEMO.SALES.REGIONS VALUES (9, 'x', 'y')",
			"SELECT 1; DROP TABLE DEMO.SALES.ORDERS",
			"WITH a AS (SELECT 1) DELETE FROM DEMO.SALES.ORDERS",
			"CREATE TABLE DEMO.SALES.X (A INT)",
			// Snowflake's pipe operator runs the statement after ->> too.
			"SHOW TABLES IN SCHEMA DEMO.SALES ->> USE ROLE ACCOUNTADMIN",
			"SELECT 1 ->> COMMENT ON TABLE DEMO.SALES.ORDERS IS 'x'",
		} {
			res, out := call(t, cs, "execute_query", map[string]any{"query": q})
			e := mustFail(t, q, res, out, "refused")
			if !strings.Contains(e.Message, "read-only") {
				t.Errorf("%q: message %q does not say read-only", q, e.Message)
			}
		}
		after, _ := emu.Queries(context.Background())
		for _, q := range after[len(before):] {
			up := strings.ToUpper(q.SQL)
			if strings.Contains(up, "DROP") || strings.Contains(up, "DELETE") || strings.Contains(up, "INSERT") || strings.Contains(up, "CREATE") || strings.Contains(up, "->>") {
				t.Errorf("refused statement reached Snowflake: %s", q.SQL)
			}
		}
		res, out := call(t, cs, "execute_query", map[string]any{"query": "SELECT COUNT(*) FROM DEMO.SALES.ORDERS"})
		mustOK(t, "orders still there", res, out)
	})

	t.Run("identifier_injection", func(t *testing.T) {
		before, _ := emu.Queries(context.Background())
		for _, args := range []map[string]any{
			{"database": "DEMO", "schema": "SALES", "view_name": `DAILY_REVENUE"; DROP TABLE DEMO.SALES.ORDERS; --`},
			{"database": `DEMO"; DROP TABLE DEMO.SALES.ORDERS; --`, "schema": "SALES", "view_name": "DAILY_REVENUE"},
			{"database": "DEMO", "schema": `SALES" ; DELETE FROM DEMO.SALES.ORDERS --`, "view_name": "DAILY_REVENUE"},
		} {
			res, out := call(t, cs, "query_view", args)
			e := mustFail(t, "query_view injection", res, out, "snowflake")
			if e.Code == "" || e.SQLState == "" {
				t.Errorf("injection attempt error lacks code/sqlstate: %+v", e)
			}
		}
		res, out := call(t, cs, "describe_table", map[string]any{"database": "DEMO", "schema": "SALES", "table_name": `ORDERS"; DROP TABLE DEMO.SALES.ORDERS; --`})
		mustFail(t, "describe_table injection", res, out, "snowflake")
		after, _ := emu.Queries(context.Background())
		for _, q := range after[len(before):] {
			if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(q.SQL)), "DROP") || strings.HasPrefix(strings.ToUpper(strings.TrimSpace(q.SQL)), "DELETE") {
				t.Errorf("injected statement ran: %s", q.SQL)
			}
		}
		res, out = call(t, cs, "execute_query", map[string]any{"query": "SELECT COUNT(*) AS N FROM DEMO.SALES.ORDERS"})
		mustOK(t, "orders intact", res, out)
	})

	t.Run("snowflake_error", func(t *testing.T) {
		res, out := call(t, cs, "execute_query", map[string]any{"query": "SELECT * FROM DEMO.SALES.NO_SUCH_TABLE"})
		e := mustFail(t, "missing table", res, out, "snowflake")
		if e.Code != "002003" || e.SQLState != "42S02" || e.QueryID == "" {
			t.Errorf("error fields: %+v", e)
		}
		if !strings.Contains(text(res), "002003") || strings.Contains(text(res), emu.Password+"@") {
			t.Errorf("error text: %q", text(res))
		}
		res, out = call(t, cs, "execute_query", map[string]any{"query": "SELECT FROM WHERE"})
		if e := mustFail(t, "syntax", res, out, "snowflake"); e.Code == "" {
			t.Errorf("syntax error without code: %+v", e)
		}
	})

	t.Run("invalid_arguments", func(t *testing.T) {
		res, out := call(t, cs, "query_view", map[string]any{"database": "DEMO", "schema": "SALES", "view_name": "V", "limit": 0})
		mustFail(t, "limit 0", res, out, "invalid_argument")
		res, out = call(t, cs, "list_schemas", map[string]any{"database": ""})
		mustFail(t, "empty database", res, out, "invalid_argument")
		res, out = call(t, cs, "describe_table", map[string]any{"database": "DEMO", "table_name": "a.b.c.d"})
		mustFail(t, "four-part name", res, out, "invalid_argument")
	})

	t.Run("metadata_cache_and_singleflight", func(t *testing.T) {
		countShow := func() int {
			qs, err := emu.Queries(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, q := range qs {
				if strings.Contains(strings.ToUpper(q.SQL), "SHOW VIEWS IN SCHEMA \"DEMO\".\"MARKETING\"") {
					n++
				}
			}
			return n
		}
		before := countShow()
		var wg sync.WaitGroup
		const n = 8
		outs := make([]mcptools.Output, n)
		for i := range n {
			wg.Go(func() {
				c := connect(t, st.url, nil)
				res, out := call(t, c, "list_views", map[string]any{"database": "DEMO", "schema": "MARKETING"})
				if res.IsError {
					t.Errorf("list_views: %s", text(res))
				}
				outs[i] = out
			})
		}
		wg.Wait()
		_, again := call(t, cs, "list_views", map[string]any{"database": "DEMO", "schema": "MARKETING"})
		if !again.Cached {
			t.Errorf("second list_views not served from cache")
		}
		if got := countShow() - before; got != 1 {
			t.Errorf("%d concurrent+repeated list_views ran %d Snowflake queries, want 1", n+1, got)
		}
		for _, o := range outs {
			if !contains(column(t, o, "name"), "CAMPAIGN_PERFORMANCE") {
				t.Errorf("list_views result: %+v", o)
			}
		}
	})
}

// TestCancelAndProgress: a long query reports progress, and notifications/cancelled
// from the client aborts it in Snowflake (the emulator's admin view shows it aborted).
func TestCancelAndProgress(t *testing.T) {
	// Like Snowflake after ~45 s, the emulator answers "still running" (with the query id)
	// and the driver polls; here after 300 ms.
	emu := testemulator.Start(t, testemulator.WithAsyncAfter(300*time.Millisecond))
	st := startStack(t, emu, nil)

	var mu sync.Mutex
	var progress []float64
	cs := connect(t, st.url, &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, r *mcp.ProgressNotificationClientRequest) {
			mu.Lock()
			progress = append(progress, r.Params.Progress)
			mu.Unlock()
		},
	})

	// Progress: a 2 s query with a progress token.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	params := &mcp.CallToolParams{Name: "execute_query", Arguments: map[string]any{"query": "SELECT SYSTEM$WAIT(2)"}}
	params.SetProgressToken("p1")
	res, err := cs.CallTool(ctx, params)
	if err != nil || res.IsError {
		t.Fatalf("SYSTEM$WAIT(2): %v %s", err, textOrNil(res))
	}
	mu.Lock()
	got := append([]float64(nil), progress...)
	mu.Unlock()
	if len(got) < 2 {
		t.Errorf("got %d progress notifications for a 2 s query at 200 ms intervals, want several", len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Errorf("progress not increasing: %v", got)
		}
	}

	// Cancellation: the go-sdk client sends notifications/cancelled when the call's ctx ends.
	cctx, ccancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := cs.CallTool(cctx, &mcp.CallToolParams{Name: "execute_query", Arguments: map[string]any{"query": "SELECT SYSTEM$WAIT(30)"}})
		errc <- err
	}()
	waitFor(t, 20*time.Second, "the query to be running in the emulator", func() bool {
		return findQuery(t, emu, "SYSTEM$WAIT(30)", "running") != nil
	})
	waitFor(t, 5*time.Second, "the tracker to list it with a query id", func() bool {
		act := st.pool.Tracker().Active()
		return len(act) == 1 && act[0].QueryID != "" && act[0].Tool == "execute_query"
	})
	start := time.Now()
	ccancel()
	if err := <-errc; err == nil {
		t.Error("cancelled call returned no error")
	}
	waitFor(t, 15*time.Second, "the emulator to show the query aborted", func() bool {
		return findQuery(t, emu, "SYSTEM$WAIT(30)", "aborted") != nil
	})
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("abort took %s", el)
	}
	waitFor(t, 10*time.Second, "the tracker to drain", func() bool { return len(st.pool.Tracker().Active()) == 0 })
}

// TestQueryTimeout: query.timeout cancels a query and Snowflake is told to abort it.
func TestQueryTimeout(t *testing.T) {
	emu := testemulator.Start(t)
	st := startStack(t, emu, func(c *config.Config) { c.Query.Timeout = time.Second })
	cs := connect(t, st.url, nil)
	res, out := call(t, cs, "execute_query", map[string]any{"query": "SELECT SYSTEM$WAIT(20)"})
	e := mustFail(t, "timeout", res, out, "timeout")
	if !strings.Contains(e.Message, "query.timeout") {
		t.Errorf("timeout message: %q", e.Message)
	}
	waitFor(t, 15*time.Second, "the emulator to show the timed-out query aborted", func() bool {
		return findQuery(t, emu, "SYSTEM$WAIT(20)", "aborted") != nil
	})
}

// TestWriteMode: with query.read_only=false the guard is off and the tool is not read-only.
func TestWriteMode(t *testing.T) {
	emu := testemulator.Start(t)
	st := startStack(t, emu, func(c *config.Config) { c.Query.ReadOnly = false })
	cs := connect(t, st.url, nil)
	tools, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range tools.Tools {
		if tool.Name == "execute_query" && (tool.Annotations == nil || tool.Annotations.ReadOnlyHint) {
			t.Errorf("execute_query claims readOnlyHint with read_only=false")
		}
	}
	res, out := call(t, cs, "execute_query", map[string]any{"query": "CREATE TABLE DEMO.PUBLIC.T_WRITE (A INT)"})
	if res.IsError {
		t.Fatalf("create in write mode: %s", text(res))
	}
	_ = out
	res, out = call(t, cs, "execute_query", map[string]any{"query": "SHOW TABLES IN SCHEMA DEMO.PUBLIC"})
	mustOK(t, "show", res, out)
	if !contains(column(t, out, "name"), "T_WRITE") {
		t.Errorf("table not created: %s", text(res))
	}
}

// TestStatefulHTTP: stateful mode hands out a session id and serves tools.
func TestStatefulHTTP(t *testing.T) {
	emu := testemulator.Start(t)
	st := startStack(t, emu, func(c *config.Config) { c.Server.Stateless = false })
	cs := connect(t, st.url, nil)
	if cs.ID() == "" {
		t.Error("stateful mode gave no session id")
	}
	if v := cs.InitializeResult().ProtocolVersion; v != "2025-11-25" {
		t.Errorf("stateful mode negotiated %q, want 2025-11-25", v)
	}
	res, out := call(t, cs, "list_databases", nil)
	mustOK(t, "list_databases", res, out)
	// A foreign Host on a loopback listener is refused (DNS rebinding).
	req, _ := http.NewRequest(http.MethodPost, st.url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	req.Host = "evil.example"
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("foreign Host: status %d, want 403", resp.StatusCode)
	}
}

func textOrNil(res *mcp.CallToolResult) string {
	if res == nil {
		return "<nil>"
	}
	return text(res)
}

func findQuery(t *testing.T, emu *testemulator.Emulator, sqlPart, state string) *testemulator.QueryInfo {
	t.Helper()
	qs, err := emu.Queries(context.Background())
	if err != nil {
		t.Fatalf("emulator queries: %v", err)
	}
	for i := range qs {
		if strings.Contains(strings.ToUpper(qs[i].SQL), strings.ToUpper(sqlPart)) && qs[i].State == state {
			return &qs[i]
		}
	}
	return nil
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestLargeResultStopsEarly: a 300,000-row result in 1,000-row chunks; the tool
// returns the capped rows and stops reading, so most chunks are never fetched,
// and max_result_bytes cuts a wide result.
func TestLargeResultStopsEarly(t *testing.T) {
	emu := testemulator.Start(t, testemulator.WithChunkRows(1000))
	st := startStack(t, emu, func(c *config.Config) {
		c.Query.MaxRows = 2500
		c.Query.MaxResultBytes = 64 << 10
	})
	cs := connect(t, st.url, nil)
	res, out := call(t, cs, "execute_query", map[string]any{"query": "SELECT ORDER_ID FROM DEMO.SALES.ORDERS ORDER BY ORDER_ID", "limit": 2000})
	mustOK(t, "big", res, out)
	if out.RowCount != 2000 || !out.Truncated || out.TruncatedBy != "limit" {
		t.Fatalf("rows=%d truncated=%v by %q", out.RowCount, out.Truncated, out.TruncatedBy)
	}
	// BIGINT is NUMBER(19,0): values beyond float precision come as strings, so compare text.
	if first, last := fmt.Sprint(out.Rows[0][0]), fmt.Sprint(out.Rows[1999][0]); first != "1" || last != "2000" {
		t.Errorf("rows run %v..%v, want 1..2000", first, last)
	}
	fetches := adminChunkFetches(t, emu, out.QueryID)
	t.Logf("chunk fetches for 2,001 rows of a 300-chunk result: %d", fetches)
	// 300 chunks exist; reading 2,001 rows needs 2 or 3 of them. The driver prefetches a few more.
	if fetches < 1 || fetches > 20 {
		t.Errorf("chunk fetches for a 2,000-row read of a 300-chunk result: %d", fetches)
	}

	res, out = call(t, cs, "execute_query", map[string]any{"query": "SELECT ORDER_ID, STATUS, ORDERED_AT, AMOUNT FROM DEMO.SALES.ORDERS", "limit": 2500})
	mustOK(t, "wide", res, out)
	if !out.Truncated || out.TruncatedBy != "max_result_bytes" || out.RowCount == 0 || out.RowCount >= 2500 {
		t.Fatalf("byte cap: rows=%d truncated=%v by %q", out.RowCount, out.Truncated, out.TruncatedBy)
	}
	b, _ := json.Marshal(out.Rows)
	if len(b) > 64<<10 {
		t.Errorf("rows take %d bytes, over max_result_bytes", len(b))
	}
}

func adminChunkFetches(t *testing.T, emu *testemulator.Emulator, queryID string) int {
	t.Helper()
	resp, err := http.Get(emu.AdminURL + "/queries")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var qs []struct {
		ID           string `json:"id"`
		ChunkFetches int    `json:"chunk_fetches"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&qs); err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		if q.ID == queryID {
			return q.ChunkFetches
		}
	}
	t.Fatalf("query %s not in the admin view", queryID)
	return 0
}

// TestClientDisconnectAborts: in stateless mode a client that hangs up (HTTP
// request cancelled, no notifications/cancelled) still gets its Snowflake query
// aborted, so abandoned calls do not keep running for query.timeout.
func TestClientDisconnectAborts(t *testing.T) {
	emu := testemulator.Start(t, testemulator.WithAsyncAfter(300*time.Millisecond))
	st := startStack(t, emu, nil)
	call := captureCall(t, st.url, "SELECT 'capture-marker'")
	body := strings.Replace(string(call.body), "SELECT 'capture-marker'", "SELECT SYSTEM$WAIT(30)", 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, st.url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = call.header.Clone()
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		done <- err
	}()
	waitFor(t, 20*time.Second, "the query to run", func() bool {
		return findQuery(t, emu, "SYSTEM$WAIT(30)", "running") != nil && len(st.pool.Tracker().Active()) == 1
	})
	cancel()
	<-done
	waitFor(t, 15*time.Second, "the emulator to show the query aborted", func() bool {
		return findQuery(t, emu, "SYSTEM$WAIT(30)", "aborted") != nil
	})
	waitFor(t, 10*time.Second, "the tracker to drain", func() bool { return len(st.pool.Tracker().Active()) == 0 })
}

type capturedReq struct {
	header http.Header
	body   []byte
}

// captureCall records the HTTP request the go-sdk client sends for one execute_query.
func captureCall(t testing.TB, url, query string) capturedReq {
	t.Helper()
	var mu sync.Mutex
	var got capturedReq
	rt := rtFunc(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodPost && r.Body != nil {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				return nil, err
			}
			r.Body = io.NopCloser(bytes.NewReader(b))
			if bytes.Contains(b, []byte(`"tools/call"`)) {
				mu.Lock()
				got = capturedReq{header: r.Header.Clone(), body: b}
				mu.Unlock()
			}
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	c := mcp.NewClient(&mcp.Implementation{Name: "capture", Version: "1"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs, err := c.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: url, HTTPClient: &http.Client{Transport: rt}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "execute_query", Arguments: map[string]any{"query": query}}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got.body == nil {
		t.Fatal("no tools/call request captured")
	}
	return got
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
