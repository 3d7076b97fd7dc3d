package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/snowflake-mcp/snowflake-mcp/logging"
)

// RequestIDHeader carries the request id in both directions.
const RequestIDHeader = "X-Request-Id"

type ctxKey struct{}

// RequestID returns the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// WithRequestID returns ctx carrying id (for callers outside the HTTP path, such as stdio).
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// NewRequestID returns a random 128-bit id in hex.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// validRequestID accepts a client's id only if it is short and plain, since it is echoed
// into headers and logs.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range id {
		if c < 0x21 || c > 0x7e {
			return false
		}
	}
	return true
}

// RequestIDMiddleware honours an incoming X-Request-Id (if plain), else generates one,
// echoes it in the response and stores it in the request context.
func RequestIDMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = NewRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(WithRequestID(r.Context(), id)))
	})
}

// Recover turns a panic into a JSON 500 and logs it with its stack at ERROR (error.log).
// http.ErrAbortHandler is re-raised: it is net/http's way to abort a response on purpose.
func Recover(logs *logging.Logs) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(v)
				}
				logs.App.LogAttrs(r.Context(), slog.LevelError, "panic serving request",
					slog.String("request_id", RequestID(r.Context())),
					slog.String("method", r.Method),
					slog.String("path", r.URL.Path),
					slog.String("panic", fmt.Sprint(v)),
					slog.String("stack", string(debug.Stack())))
				WriteError(w, r, http.StatusInternalServerError, "internal server error")
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// AccessLog writes one access-log line per request, and a performance-log line when the
// request took longer than the slow threshold.
func AccessLog(logs *logging.Logs) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			defer func() {
				d := time.Since(start)
				status := ww.Status()
				if status == 0 {
					status = http.StatusOK
				}
				attrs := []slog.Attr{
					slog.String("method", r.Method),
					slog.String("path", r.URL.Path),
					slog.Int("status", status),
					slog.Int("bytes", ww.BytesWritten()),
					slog.Float64("duration_ms", float64(d.Microseconds())/1000),
					slog.String("request_id", RequestID(r.Context())),
					slog.String("remote", r.RemoteAddr),
				}
				if c := ClientAddrFrom(r.Context()); c != "" {
					attrs = append(attrs, slog.String("client", c))
				}
				logs.Access.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
				if logs.SlowThreshold > 0 && d >= logs.SlowThreshold {
					logs.Perf.LogAttrs(r.Context(), slog.LevelWarn, "slow request", attrs...)
				}
			}()
			next.ServeHTTP(ww, r)
		})
	}
}

// BodyLimit refuses request bodies over limit bytes with a JSON 413. A declared length is
// checked up front; a body of unknown length is read up to the limit first, so the handler
// never sees a truncated body.
func BodyLimit(limit int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if limit <= 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tooLarge := func() {
				w.Header().Set("Connection", "close")
				WriteError(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", limit))
			}
			switch {
			case r.Body == nil || r.Body == http.NoBody:
			case r.ContentLength > limit:
				tooLarge()
				return
			case r.ContentLength < 0:
				b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
				if err != nil {
					WriteError(w, r, http.StatusBadRequest, "cannot read request body")
					return
				}
				if int64(len(b)) > limit {
					tooLarge()
					return
				}
				_ = r.Body.Close()
				r.Body = io.NopCloser(bytes.NewReader(b))
				r.ContentLength = int64(len(b))
			default:
				r.Body = http.MaxBytesReader(w, r.Body, limit)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// OriginCheck guards the MCP endpoint against browser-borne requests (DNS rebinding, CSRF):
// a request without Origin passes; one whose Origin is in allowed (or allowed has "*") passes;
// one whose Origin names the same host and port as the request passes when that host is an IP
// address or localhost; any other gets a JSON 403. Same-host by DNS name is not enough, because
// under DNS rebinding the attacker's name is both the Origin and the Host: list real names in
// server.allowed_origins.
func OriginCheck(allowed []string) func(http.Handler) http.Handler {
	set := map[string]bool{}
	for _, a := range allowed {
		set[strings.ToLower(strings.TrimRight(a, "/"))] = true
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			origin := r.Header.Get("Origin")
			if origin == "" || set["*"] || set[strings.ToLower(origin)] || sameHost(origin, r.Host) {
				next.ServeHTTP(w, r)
				return
			}
			WriteError(w, r, http.StatusForbidden, "origin not allowed")
		})
	}
}

func sameHost(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || host == "" {
		return false
	}
	oh, op := splitHostPort(u.Host, u.Scheme)
	hh, hp := splitHostPort(host, u.Scheme)
	if !strings.EqualFold(oh, hh) || op != hp {
		return false
	}
	return strings.EqualFold(hh, "localhost") || net.ParseIP(hh) != nil
}

func splitHostPort(hostport, scheme string) (string, string) {
	h, p, err := net.SplitHostPort(hostport)
	if err != nil {
		h, p = hostport, ""
	}
	if p == "" {
		if scheme == "https" {
			p = "443"
		} else {
			p = "80"
		}
	}
	return strings.Trim(h, "[]"), p
}
