// Package httpapi owns snowflake-mcp's HTTP surface: the chi router with liveness,
// readiness and version endpoints, the middleware every request passes (request id, panic
// recovery, access log, body limit, Origin check on the MCP route) and the http.Server settings.
package httpapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/snowflake-mcp/snowflake-mcp/config"
	"github.com/snowflake-mcp/snowflake-mcp/logging"
)

// Readiness is the process's serving state as /readyz reports it. It starts "starting";
// the lifecycle code calls SetReady once the backend is warm and SetDraining before shutdown.
type Readiness struct {
	state atomic.Int32
}

const (
	stateStarting int32 = iota
	stateReady
	stateDraining
)

// NewReadiness returns a Readiness in the starting state.
func NewReadiness() *Readiness { return &Readiness{} }

// SetReady marks the process ready to take traffic (unless it is already draining).
func (r *Readiness) SetReady() { r.state.CompareAndSwap(stateStarting, stateReady) }

// SetDraining marks the process as shutting down; /readyz answers 503 from now on.
func (r *Readiness) SetDraining() { r.state.Store(stateDraining) }

// State returns "starting", "ready" or "draining".
func (r *Readiness) State() string {
	switch r.state.Load() {
	case stateReady:
		return "ready"
	case stateDraining:
		return "draining"
	}
	return "starting"
}

// VersionInfo is what /version reports.
type VersionInfo struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Date    string `json:"date"`
	Go      string `json:"go"`
}

// Options configures NewRouter.
type Options struct {
	// Server supplies mcp_path, max_body_bytes and allowed_origins.
	Server config.Server
	Logs   *logging.Logs
	// Readiness is flipped by the lifecycle code; nil means always ready.
	Readiness *Readiness
	// Ping checks that Snowflake can be reached; nil means it is not checked.
	Ping func(context.Context) error
	// PingTimeout bounds one readiness ping (default 1s); pings run in the
	// background, so /readyz never waits for one (but the first, up to this long).
	PingTimeout time.Duration
	// PingInterval is how long a ping's answer is reused (default 500ms): probes from
	// load balancers and orchestrators then cost Snowflake at most one query per interval.
	PingInterval time.Duration
	Version      VersionInfo
	// MCP serves the MCP Streamable HTTP endpoint at Server.MCPPath; nil leaves it unmounted.
	MCP http.Handler
	// Metrics serves Prometheus metrics at /metrics; nil leaves it unmounted.
	Metrics http.Handler
	// Observe wraps every request first (metrics.Metrics.Middleware), inside the router so
	// it sees the route pattern; nil adds nothing.
	Observe func(http.Handler) http.Handler
	// Public are more GET routes open to anyone (the OAuth protected resource metadata).
	Public map[string]http.Handler
}

// NewRouter builds the router: /healthz, /readyz, /version, /metrics (when given), and the
// MCP handler at server.mcp_path behind the Origin check.
func NewRouter(o Options) http.Handler {
	if o.Logs == nil {
		o.Logs = logging.Discard()
	}
	if o.PingTimeout <= 0 {
		o.PingTimeout = time.Second
	}
	if o.PingInterval <= 0 {
		o.PingInterval = 500 * time.Millisecond
	}
	if o.Version.Go == "" {
		o.Version.Go = runtime.Version()
	}
	r := chi.NewRouter()
	if o.Observe != nil {
		r.Use(o.Observe)
	}
	r.Use(RequestIDMiddleware, ClientAddrMiddleware(ParseTrustedProxies(o.Server.TrustedProxies)), AccessLog(o.Logs), Recover(o.Logs), BodyLimit(int64(o.Server.MaxBodyBytes)))
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, http.StatusNotFound, "not found")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, http.StatusMethodNotAllowed, "method not allowed")
	})
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	r.Get("/readyz", readyHandler(o))
	r.Get("/version", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, o.Version)
	})
	if o.Metrics != nil {
		r.Handle("/metrics", o.Metrics)
	}
	for path, h := range o.Public {
		r.Handle(path, h)
	}
	if o.MCP != nil {
		path := o.Server.MCPPath
		if path == "" {
			path = "/mcp"
		}
		r.With(OriginCheck(o.Server.AllowedOrigins)).Handle(path, o.MCP)
	}
	return r
}

func readyHandler(o Options) http.HandlerFunc {
	var ping *cachedPing
	if o.Ping != nil {
		ping = &cachedPing{ping: o.Ping, timeout: o.PingTimeout, interval: o.PingInterval, now: time.Now,
			changed: func(err error) {
				if err != nil {
					o.Logs.App.Warn("readiness check failed: Snowflake unreachable", "error", err.Error())
				} else {
					o.Logs.App.Info("readiness check: Snowflake reachable")
				}
			}}
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if o.Readiness != nil {
			if s := o.Readiness.State(); s != "ready" {
				writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": s})
				return
			}
		}
		if ping != nil {
			if err := ping.check(r.Context()); err != nil {
				// The reason goes to the log (once per change, by the check), not to
				// an unauthenticated caller.
				writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "snowflake unreachable"})
				return
			}
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	}
}

// NewServer returns an http.Server with the timeouts of cfg, logging its own errors to the
// application log.
func NewServer(cfg config.Server, h http.Handler, logs *logging.Logs) *http.Server {
	if logs == nil {
		logs = logging.Discard()
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logs.App.Handler(), slog.LevelWarn),
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteError writes {"error": msg, "request_id": id} with status.
func WriteError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg, "request_id": RequestID(r.Context())})
}
