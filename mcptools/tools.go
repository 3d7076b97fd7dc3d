// Package mcptools owns the MCP server: the eight Snowflake tools (names and
// arguments of the original Python server), their limits, metadata caching,
// progress and cancellation, and the Streamable HTTP and stdio transports.
package mcptools

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"golang.org/x/sync/singleflight"

	"github.com/snowflake-mcp/snowflake-mcp/config"
	"github.com/snowflake-mcp/snowflake-mcp/limits"
	"github.com/snowflake-mcp/snowflake-mcp/logging"
	"github.com/snowflake-mcp/snowflake-mcp/snowpool"
	"github.com/snowflake-mcp/snowflake-mcp/sqlguard"
)

// Options configure the tools.
type Options struct {
	Query config.Query
	// DefaultDatabase and DefaultSchema are the connection's (snowflake.database/schema);
	// DefaultSchema fills a missing schema argument of describe_* and query_view.
	DefaultDatabase string
	DefaultSchema   string
	Version         string
	Logger          *slog.Logger
	// Logs gets one audit line per tool call; nil writes none.
	Logs *logging.Logs
	// Queries caps concurrent Snowflake queries (limits.max_concurrent_queries); nil: no cap.
	Queries *limits.QueryGate
	// ProgressInterval is how often a running query reports progress to a client
	// that sent a progress token; default 1s.
	ProgressInterval time.Duration
}

// Tools are the Snowflake tools bound to one pool, registered on one MCP server.
type Tools struct {
	pool  *snowpool.Pool
	opts  Options
	cache *metaCache
	group singleflight.Group
	srv   *mcp.Server
}

// NewServer builds the MCP server with every tool registered.
func NewServer(pool *snowpool.Pool, opts Options) *mcp.Server { return New(pool, opts).Server() }

// Server is the MCP server. Build it once and share it: the HTTP handler
// returns this same server for each request.
func (t *Tools) Server() *mcp.Server { return t.srv }

// New builds the tools and their MCP server.
func New(pool *snowpool.Pool, opts Options) *Tools {
	if opts.ProgressInterval <= 0 {
		opts.ProgressInterval = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	t := &Tools{pool: pool, opts: opts, cache: newMetaCache(opts.Query.MetadataCacheTTL)}
	srv := mcp.NewServer(&mcp.Implementation{Name: "snowflake-mcp", Title: "Snowflake", Version: opts.Version},
		&mcp.ServerOptions{
			Instructions: "Read-only access to Snowflake. Explore with list_databases, list_schemas, list_tables, " +
				"list_views, describe_table and describe_view; read data with query_view or execute_query. " +
				"Results are capped; `truncated` says when more rows exist.",
			Logger: sdkLogger(opts.Logger),
		})
	t.register(srv)
	t.srv = srv
	return t
}

// inputSchema is T's inferred JSON schema, pre-encoded. The SDK re-encodes a
// *jsonschema.Schema on every 2026-07-28 tools/call (to look for x-mcp-header
// annotations); a json.RawMessage makes that a cheap copy.
func inputSchema[T any]() json.RawMessage {
	s, err := jsonschema.For[T](nil)
	if err != nil {
		panic(fmt.Sprintf("input schema for %T: %v", *new(T), err)) // a programming error in the argument structs
	}
	b, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("encode input schema for %T: %v", *new(T), err))
	}
	return b
}

func readOnly(title string) *mcp.ToolAnnotations {
	f := false
	return &mcp.ToolAnnotations{Title: title, ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: &f}
}

type listSchemasIn struct {
	Database string `json:"database" jsonschema:"database name"`
}

type listObjectsIn struct {
	Database string `json:"database" jsonschema:"database name"`
	Schema   string `json:"schema,omitempty" jsonschema:"schema name; omit to list the whole database"`
}

type describeTableIn struct {
	Database  string `json:"database" jsonschema:"database name"`
	Schema    string `json:"schema,omitempty" jsonschema:"schema name; defaults to the connection's schema"`
	TableName string `json:"table_name" jsonschema:"table name, or schema.table or database.schema.table"`
}

type describeViewIn struct {
	Database string `json:"database" jsonschema:"database name"`
	Schema   string `json:"schema,omitempty" jsonschema:"schema name; defaults to the connection's schema"`
	ViewName string `json:"view_name" jsonschema:"view name, or schema.view or database.schema.view"`
}

type queryViewIn struct {
	Database string `json:"database" jsonschema:"database name"`
	Schema   string `json:"schema,omitempty" jsonschema:"schema name; defaults to the connection's schema"`
	ViewName string `json:"view_name" jsonschema:"view name, or schema.view or database.schema.view"`
	Limit    *int   `json:"limit,omitempty" jsonschema:"maximum rows to return (default 10, capped by the server's max_rows)"`
}

type executeQueryIn struct {
	Query    string `json:"query" jsonschema:"one SQL statement; in read-only mode SELECT, WITH ... SELECT, SHOW, DESCRIBE or EXPLAIN"`
	Database string `json:"database,omitempty" jsonschema:"database to use for unqualified names"`
	Schema   string `json:"schema,omitempty" jsonschema:"schema to use for unqualified names"`
	Limit    *int   `json:"limit,omitempty" jsonschema:"maximum rows to return (default 100, capped by the server's max_rows)"`
}

// Columns kept from SHOW output: enough to choose an object, without the noise.
var (
	databaseCols = []string{"name", "created_on", "owner", "comment", "kind"}
	schemaCols   = []string{"name", "database_name", "created_on", "owner", "comment"}
	objectCols   = []string{"name", "database_name", "schema_name", "kind", "rows", "created_on", "owner", "comment"}
)

func (t *Tools) register(srv *mcp.Server) {
	addTool(t, srv, &mcp.Tool{
		Name:        "list_databases",
		InputSchema: inputSchema[struct{}](),
		Description: "List the Snowflake databases this connection can see.",
		Annotations: readOnly("List databases"),
	}, func(ctx context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, *Output, error) {
		return t.metadata(ctx, req, "list_databases", "Databases", "SHOW DATABASES", databaseCols)
	})

	addTool(t, srv, &mcp.Tool{
		Name:        "list_schemas",
		InputSchema: inputSchema[listSchemasIn](),
		Description: "List the schemas of a Snowflake database.",
		Annotations: readOnly("List schemas"),
	}, func(ctx context.Context, req *mcp.CallToolRequest, in listSchemasIn) (*mcp.CallToolResult, *Output, error) {
		db, err := sqlguard.QuoteIdent(in.Database)
		if err != nil {
			return argError("database", err)
		}
		return t.metadata(ctx, req, "list_schemas", "Schemas in "+db, "SHOW SCHEMAS IN DATABASE "+db, schemaCols)
	})

	listObjects := func(tool, kind string) func(context.Context, *mcp.CallToolRequest, listObjectsIn) (*mcp.CallToolResult, *Output, error) {
		return func(ctx context.Context, req *mcp.CallToolRequest, in listObjectsIn) (*mcp.CallToolResult, *Output, error) {
			db, err := sqlguard.QuoteIdent(in.Database)
			if err != nil {
				return argError("database", err)
			}
			scope := "DATABASE " + db
			if strings.TrimSpace(in.Schema) != "" {
				sc, err := sqlguard.QuoteIdent(in.Schema)
				if err != nil {
					return argError("schema", err)
				}
				scope = "SCHEMA " + db + "." + sc
			}
			title := strings.ToUpper(kind[:1]) + strings.ToLower(kind[1:]) + " in " + scope
			return t.metadata(ctx, req, tool, title, "SHOW "+kind+" IN "+scope, objectCols)
		}
	}
	addTool(t, srv, &mcp.Tool{
		Name:        "list_tables",
		InputSchema: inputSchema[listObjectsIn](),
		Description: "List the tables of a Snowflake database, or of one schema in it.",
		Annotations: readOnly("List tables"),
	}, listObjects("list_tables", "TABLES"))
	addTool(t, srv, &mcp.Tool{
		Name:        "list_views",
		InputSchema: inputSchema[listObjectsIn](),
		Description: "List the views of a Snowflake database, or of one schema in it.",
		Annotations: readOnly("List views"),
	}, listObjects("list_views", "VIEWS"))

	addTool(t, srv, &mcp.Tool{
		Name:        "describe_table",
		InputSchema: inputSchema[describeTableIn](),
		Description: "Describe a table's columns: name, type, nullability, default, keys and comment.",
		Annotations: readOnly("Describe table"),
	}, func(ctx context.Context, req *mcp.CallToolRequest, in describeTableIn) (*mcp.CallToolResult, *Output, error) {
		name, err := t.objectName(in.Database, in.Schema, in.TableName)
		if err != nil {
			return argError("table_name", err)
		}
		return t.metadata(ctx, req, "describe_table", "Columns of table "+name, "DESCRIBE TABLE "+name, nil)
	})

	addTool(t, srv, &mcp.Tool{
		Name:        "describe_view",
		InputSchema: inputSchema[describeViewIn](),
		Description: "Describe a view's columns: name, type, nullability and comment.",
		Annotations: readOnly("Describe view"),
	}, func(ctx context.Context, req *mcp.CallToolRequest, in describeViewIn) (*mcp.CallToolResult, *Output, error) {
		name, err := t.objectName(in.Database, in.Schema, in.ViewName)
		if err != nil {
			return argError("view_name", err)
		}
		return t.metadata(ctx, req, "describe_view", "Columns of view "+name, "DESCRIBE VIEW "+name, nil)
	})

	addTool(t, srv, &mcp.Tool{
		Name:        "query_view",
		InputSchema: inputSchema[queryViewIn](),
		Description: "Read rows from a view (SELECT * with a row limit, default 10).",
		Annotations: readOnly("Query view"),
	}, func(ctx context.Context, req *mcp.CallToolRequest, in queryViewIn) (*mcp.CallToolResult, *Output, error) {
		name, err := t.objectName(in.Database, in.Schema, in.ViewName)
		if err != nil {
			return argError("view_name", err)
		}
		lim, err := t.limits(in.Limit, 10)
		if err != nil {
			return argError("limit", err)
		}
		// LIMIT n+1 lets Snowflake stop early while still telling us whether more rows exist.
		sql := fmt.Sprintf("SELECT * FROM %s LIMIT %d", name, lim.rows+1)
		return t.query(ctx, req, "query_view", "Rows of view "+name, snowpool.Statement{SQL: sql}, lim)
	})

	executeDesc := "Run one SQL statement and return its rows (default limit 100, capped by the server)."
	if t.opts.Query.ReadOnly {
		executeDesc += " Read-only: only SELECT, WITH ... SELECT, SHOW, DESCRIBE/DESC and EXPLAIN are accepted; " +
			"several statements in one call are refused."
	}
	addTool(t, srv, &mcp.Tool{
		Name:        "execute_query",
		InputSchema: inputSchema[executeQueryIn](),
		Description: executeDesc,
		Annotations: t.executeAnnotations(),
	}, func(ctx context.Context, req *mcp.CallToolRequest, in executeQueryIn) (*mcp.CallToolResult, *Output, error) {
		if strings.TrimSpace(in.Query) == "" {
			return argError("query", fmt.Errorf("query is empty"))
		}
		if t.opts.Query.ReadOnly {
			if err := sqlguard.CheckReadOnly(in.Query); err != nil {
				return toolError(&ToolError{Kind: "refused", Message: err.Error()})
			}
		}
		lim, err := t.limits(in.Limit, t.opts.Query.DefaultLimit)
		if err != nil {
			return argError("limit", err)
		}
		st := snowpool.Statement{SQL: in.Query}
		if strings.TrimSpace(in.Database) != "" {
			db, err := sqlguard.QuoteIdent(in.Database)
			if err != nil {
				return argError("database", err)
			}
			st.Setup = append(st.Setup, "USE DATABASE "+db)
			if strings.TrimSpace(in.Schema) != "" {
				sc, err := sqlguard.QuoteIdent(in.Schema)
				if err != nil {
					return argError("schema", err)
				}
				st.Setup = append(st.Setup, "USE SCHEMA "+db+"."+sc)
			}
		} else if strings.TrimSpace(in.Schema) != "" {
			sc, err := sqlguard.QuoteIdent(in.Schema)
			if err != nil {
				return argError("schema", err)
			}
			st.Setup = append(st.Setup, "USE SCHEMA "+sc)
		}
		return t.query(ctx, req, "execute_query", "", st, lim)
	})
}

func (t *Tools) executeAnnotations() *mcp.ToolAnnotations {
	if t.opts.Query.ReadOnly {
		return readOnly("Execute query")
	}
	tr := true
	return &mcp.ToolAnnotations{Title: "Execute query", DestructiveHint: &tr}
}

// objectName quotes db.schema.name; a missing schema is the connection's default.
func (t *Tools) objectName(database, schema, name string) (string, error) {
	if strings.TrimSpace(schema) == "" && !strings.Contains(name, ".") {
		schema = t.opts.DefaultSchema
	}
	return sqlguard.ObjectName(database, schema, name)
}

// limits turns a limit argument into scan limits under query.max_rows.
func (t *Tools) limits(arg *int, def int) (scanLimits, error) {
	q := t.opts.Query
	lim := scanLimits{rows: def, rowsReason: "limit", maxBytes: int64(q.MaxResultBytes), maxCell: q.MaxCellChars}
	if arg != nil {
		if *arg < 1 {
			return lim, fmt.Errorf("limit must be at least 1, got %d", *arg)
		}
		lim.rows = *arg
	}
	if lim.rows <= 0 {
		lim.rows = 100
	}
	if q.MaxRows > 0 && lim.rows > q.MaxRows {
		lim.rows, lim.rowsReason = q.MaxRows, "max_rows"
	}
	return lim, nil
}

// metadataLimits bound list_* and describe_* results by max_rows only.
func (t *Tools) metadataLimits() scanLimits {
	q := t.opts.Query
	rows := q.MaxRows
	if rows <= 0 {
		rows = 1000
	}
	return scanLimits{rows: rows, rowsReason: "max_rows", maxBytes: int64(q.MaxResultBytes), maxCell: q.MaxCellChars}
}
