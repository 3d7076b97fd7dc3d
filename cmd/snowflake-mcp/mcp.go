package main

// This file is the seam where the MCP layer plugs into the binary: snowpool (the Snowflake
// pool and query tracker) and mcptools (the MCP server and its transports). serve.go and
// stdio.go only call newBackend and runStdioServer.

import (
	"context"
	"errors"
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

// newMCP builds the pool and the MCP server without logging in; m (nil for stdio) gets
// every finished query.
func newMCP(cfg *config.Config, logs *logging.Logs, interactive bool, m *metrics.Metrics) (*snowpool.Pool, *mcptools.Tools, error) {
	opts := snowpool.Options{ServerName: "snowflake-mcp", Interactive: interactive}
	if m != nil {
		opts.OnQueryEnd = m.ObserveQuery
		opts.OnError = m.SnowflakeErrors()
	}
	pool, err := snowpool.Open(cfg, logs, opts)
	if err != nil {
		return nil, nil, err
	}
	db, schema := pool.Defaults()
	tools := mcptools.New(pool, mcptools.Options{
		Query: cfg.Query, DefaultDatabase: db, DefaultSchema: schema, Version: version, Logger: logs.App,
		Logs: logs, Queries: limits.NewQueryGate(maxQueries(cfg), cfg.Limits.QueueTimeout),
	})
	if cfg.Server.BenchTools {
		mcptools.AddBenchTools(tools.Server())
	}
	return pool, tools, nil
}

// newBackend builds the Snowflake pool and the MCP HTTP handler, and logs in pool.warm
// sessions first, so serve reports ready with a warm pool. A login error fails it, but
// for a first generation (not warmFirst) Snowflake being unreachable does not: it then
// logs in in the background, retrying with backoff, so a server started while Snowflake
// is down still serves /healthz, answers /readyz 503 and tools with unavailable errors,
// and recovers by itself. An upgrade child (warmFirst) must not take over with a cold
// pool, so any error fails it and the old generation keeps serving.
func newBackend(ctx context.Context, cfg *config.Config, logs *logging.Logs, m *metrics.Metrics, warmFirst bool) (*backend, error) {
	pool, tools, err := newMCP(cfg, logs, false, m)
	if err != nil {
		return nil, err
	}
	if m != nil {
		m.WatchActiveQueries(func() int { return len(pool.Tracker().Active()) })
		m.WatchSnowflakeUp(pool.Up)
	}
	stopWarm := func() {}
	err = pool.Warm(ctx)
	var down *snowpool.UnavailableError
	switch {
	case err == nil:
	case warmFirst || !errors.As(err, &down):
		_ = pool.Close()
		return nil, err
	default:
		wctx, cancel := context.WithCancel(ctx)
		warmed := make(chan struct{})
		go func() { defer close(warmed); pool.KeepWarm(wctx) }()
		stopWarm = func() { cancel(); <-warmed }
	}
	return &backend{
		Handler: mcptools.NewHTTPHandler(tools.Server(), cfg.Server, logs.App),
		Ping:    pool.Ping,
		Close:   func() error { stopWarm(); return pool.Close() },
		Queries: pool.Tracker(),
	}, nil
}

// runStdioServer serves one MCP client over in/out until ctx ends or the client hangs up.
func runStdioServer(ctx context.Context, cfg *config.Config, logs *logging.Logs, in io.Reader, out io.Writer) error {
	pool, tools, err := newMCP(cfg, logs, true, nil)
	if err != nil {
		return fmt.Errorf("start backend: %w", err)
	}
	defer pool.Close()
	// Logged in beside the session: Snowflake down must not hold up or stop the
	// client's MCP session; it gets initialize at once and tool errors (kind
	// unavailable), and each call tries to log in anew.
	wctx, cancel := context.WithCancel(ctx)
	warmed := make(chan struct{})
	go func() {
		defer close(warmed)
		if err := pool.Warm(wctx); err != nil && wctx.Err() == nil {
			logs.App.Warn("cannot log in to Snowflake yet; tools will report it and log in on the next call",
				"host", pool.Host(), "error", err.Error())
		}
	}()
	defer func() { cancel(); <-warmed }()
	return mcptools.RunStdio(ctx, tools.Server(), in, out)
}
