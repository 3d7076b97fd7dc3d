package main

// Caller authentication, limits, TLS and the metrics listener: wiring of authn, limits
// and httpapi for serve.

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/snowflake-mcp/snowflake-mcp/authn"
	"github.com/snowflake-mcp/snowflake-mcp/config"
	"github.com/snowflake-mcp/snowflake-mcp/httpapi"
	"github.com/snowflake-mcp/snowflake-mcp/limits"
	"github.com/snowflake-mcp/snowflake-mcp/logging"
)

// access is the guarded HTTP surface.
type access struct {
	// MCP is the MCP handler behind auth, the per-identity rate limit and the batch guard.
	MCP http.Handler
	// Metrics is /metrics on the main listener (behind auth), or nil when metrics.listen has it.
	Metrics http.Handler
	// Public holds the OAuth protected resource metadata routes.
	Public map[string]http.Handler
}

func guard(ctx context.Context, cfg *config.Config, logs *logging.Logs, mcpHandler, metricsHandler http.Handler) (*access, error) {
	a, err := authn.New(ctx, authn.Options{
		Auth: cfg.Auth, PublicURL: cfg.Server.PublicURL, MCPPath: cfg.Server.MCPPath, Logger: logs.App,
	})
	if err != nil {
		return nil, err
	}
	if !a.Required() && !config.IsLoopback(cfg.Server.Listen) {
		logs.App.Warn("auth.allow_unauthenticated is true: no caller authentication on a listener other hosts can reach; "+
			"anyone who reaches it can query Snowflake", "listen", cfg.Server.Listen)
	}
	rl := limits.NewRateLimiter(cfg.Limits.RequestsPerSecond, cfg.Limits.Burst)
	out := &access{
		MCP:    a.Middleware(rl.Middleware(limits.BatchGuard(cfg.Limits.MaxBatch)(mcpHandler))),
		Public: map[string]http.Handler{},
	}
	for _, p := range a.MetadataPaths() {
		out.Public[p] = a.MetadataHandler()
	}
	if cfg.Metrics.Listen == "" {
		out.Metrics = a.Middleware(metricsHandler)
	}
	return out, nil
}

// tlsListener wraps ln in TLS when server.tls is set.
func tlsListener(ln net.Listener, t config.TLS) (net.Listener, error) {
	tc, err := httpapi.TLSConfig(t)
	if err != nil || tc == nil {
		return ln, err
	}
	return tls.NewListener(ln, tc), nil
}

// metricsRouter serves only /metrics, for the loopback metrics.listen listener.
func metricsRouter(h http.Handler) http.Handler {
	r := chi.NewRouter()
	r.Handle("/metrics", h)
	return r
}

// maxQueries is limits.max_concurrent_queries, or pool.max_open when 0.
func maxQueries(cfg *config.Config) int {
	if n := cfg.Limits.MaxConcurrentQueries; n > 0 {
		return n
	}
	return cfg.Pool.MaxOpen
}
