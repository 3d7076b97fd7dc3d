package mcptools

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/snowflake-mcp/snowflake-mcp/authn"
	"github.com/snowflake-mcp/snowflake-mcp/config"
	"github.com/snowflake-mcp/snowflake-mcp/httpapi"
)

// SessionTimeout closes stateful sessions that have been idle this long.
const SessionTimeout = 30 * time.Minute

// NewHTTPHandler serves srv over Streamable HTTP. Stateless (the default) needs
// no session ids, offers protocol 2026-07-28, and lets any process serve any
// request; stateful mode (server.stateless=false) keeps sessions for clients that
// want server notifications. The SDK's localhost protection stays on (a request
// to a loopback address with a foreign Host gets 403); the router adds the Origin check.
func NewHTTPHandler(srv *mcp.Server, sc config.Server, logger *slog.Logger) http.Handler {
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, &mcp.StreamableHTTPOptions{
		Stateless:                    sc.Stateless,
		Logger:                       sdkLogger(logger),
		SessionTimeout:               SessionTimeout,
		MaxRequestBodyBytes:          int64(sc.MaxBodyBytes),
		PropagateRequestCancellation: true,
	})
	// Tool handlers see request headers, not the request context: hand them the
	// router's request id so QUERY_TAG and query.log name the same request.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := httpapi.RequestID(r.Context()); id != "" && r.Header.Get(httpapi.RequestIDHeader) != id {
			r = r.Clone(r.Context())
			r.Header.Set(httpapi.RequestIDHeader, id)
		}
		if sc.Stateless && r.Method == http.MethodPost {
			// Lets the tool handler end with this request on every protocol version.
			var done func()
			r, done = trackHTTPCall(r)
			defer done()
		}
		h.ServeHTTP(w, r)
	})
}

// RunStdio serves one client over in/out (newline-delimited JSON-RPC) until the
// client hangs up or ctx ends. Nothing else may write to out.
func RunStdio(ctx context.Context, srv *mcp.Server, in io.Reader, out io.Writer) error {
	ctx = authn.WithIdentity(ctx, authn.Stdio)
	return srv.Run(ctx, &mcp.IOTransport{Reader: io.NopCloser(in), Writer: nopWriteCloser{out}})
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// sdkLogger passes the SDK's warnings and errors to l. The SDK logs each session's
// connect and disconnect at info, which in stateless mode is every request: the
// access log already has those.
func sdkLogger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(minLevel{l.Handler(), slog.LevelWarn})
}

type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, lv slog.Level) bool {
	return lv >= h.min && h.Handler.Enabled(ctx, lv)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(as), h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}
