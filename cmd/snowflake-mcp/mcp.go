package main

// This file is the seam where the MCP layer plugs into the binary: the MCP helper replaces
// the bodies of newBackend and runStdioServer with snowpool + mcptools. serve.go and
// stdio.go only call these two functions.

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/snowflake-mcp/snowflake-mcp/config"
	"github.com/snowflake-mcp/snowflake-mcp/logging"
)

// backend is what serve needs from the MCP layer.
type backend struct {
	// Handler serves MCP Streamable HTTP at server.mcp_path; nil leaves the route unmounted.
	Handler http.Handler
	// Ping reports whether Snowflake can be reached (/readyz); nil skips the check.
	Ping func(context.Context) error
	// Close releases the pool; nil means nothing to release.
	Close func() error
}

// newBackend builds the Snowflake pool and the MCP HTTP handler. It returns once the pool is
// warm (pool.warm logins), so serve reports ready only after that.
func newBackend(ctx context.Context, cfg *config.Config, logs *logging.Logs) (*backend, error) {
	return &backend{}, nil
}

// runStdioServer serves one MCP client over in/out until ctx ends or the client hangs up.
func runStdioServer(ctx context.Context, cfg *config.Config, logs *logging.Logs, in io.Reader, out io.Writer) error {
	return errors.New("the stdio transport is not available in this build")
}
