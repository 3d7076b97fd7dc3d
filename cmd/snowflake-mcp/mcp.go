package main

// This file is the seam where the MCP layer plugs into the binary: snowpool (the Snowflake
// pool and query tracker) and mcptools (the MCP server and its transports). serve.go and
// stdio.go only call newBackend and runStdioServer.

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/snowflake-mcp/snowflake-mcp/config"
	"github.com/snowflake-mcp/snowflake-mcp/limits"
	"github.com/snowflake-mcp/snowflake-mcp/logging"
	"github.com/snowflake-mcp/snowflake-mcp/mcptools"
	"github.com/snowflake-mcp/snowflake-mcp/metrics"
	"github.com/snowflake-mcp/snowflake-mcp/snowpool"
)

// backend is what serve needs from the MCP layer.
type backend struct {
	// Handler serves MCP Streamable HTTP at server.mcp_path; nil leaves the route unmounted.
	Handler http.Handler
	// Ping reports whether Snowflake can be reached (/readyz); nil skips the check.
	Ping func(context.Context) error
	// Close releases the pool; nil means nothing to release.
	Close func() error
	// Queries tracks running Snowflake queries (Active, Wait, CancelAll) for the drain.
	Queries *snowpool.Tracker
}

// newMCP builds the pool and the MCP server and logs in pool.warm sessions; m (nil for
// stdio) gets every finished query.
func newMCP(ctx context.Context, cfg *config.Config, logs *logging.Logs, interactive bool, m *metrics.Metrics) (*snowpool.Pool, *mcptools.Tools, error) {
	opts := snowpool.Options{ServerName: "snowflake-mcp", Interactive: interactive}
	if m != nil {
		opts.OnQueryEnd = m.ObserveQuery
	}
	pool, err := snowpool.Open(cfg, logs, opts)
	if err != nil {
		return nil, nil, err
	}
	if err := pool.Warm(ctx); err != nil {
		_ = pool.Close()
		return nil, nil, err
	}
	db, schema := pool.Defaults()
	tools := mcptools.New(pool, mcptools.Options{
		Query: cfg.Query, DefaultDatabase: db, DefaultSchema: schema, Version: version, Logger: logs.App,
		Logs: logs, Queries: limits.NewQueryGate(maxQueries(cfg), cfg.Limits.QueueTimeout),
	})
	return pool, tools, nil
}

// newBackend builds the Snowflake pool and the MCP HTTP handler. It returns once the pool is
// warm (pool.warm logins), so serve reports ready only after that.
func newBackend(ctx context.Context, cfg *config.Config, logs *logging.Logs, m *metrics.Metrics) (*backend, error) {
	pool, tools, err := newMCP(ctx, cfg, logs, false, m)
	if err != nil {
		return nil, err
	}
	if m != nil {
		m.WatchActiveQueries(func() int { return len(pool.Tracker().Active()) })
	}
	return &backend{
		Handler: mcptools.NewHTTPHandler(tools.Server(), cfg.Server, logs.App),
		Ping:    pool.Ping,
		Close:   pool.Close,
		Queries: pool.Tracker(),
	}, nil
}

// runStdioServer serves one MCP client over in/out until ctx ends or the client hangs up.
func runStdioServer(ctx context.Context, cfg *config.Config, logs *logging.Logs, in io.Reader, out io.Writer) error {
	pool, tools, err := newMCP(ctx, cfg, logs, true, nil)
	if err != nil {
		return fmt.Errorf("start backend: %w", err)
	}
	defer pool.Close()
	return mcptools.RunStdio(ctx, tools.Server(), in, out)
}
