package logging

import (
	"context"
	"log/slog"
	"time"
)

// AuditEvent is one tool call, as the audit log records it.
type AuditEvent struct {
	Identity string // authn.Identity.Name
	Method   string // token, oauth, none, stdio
	Tool     string
	// Arguments are the call's arguments; SQL text in them is already replaced unless
	// query.log_sql is on (the caller decides: it knows which argument is SQL).
	Arguments any
	// Outcome: ok, refused, invalid_argument, error, timeout, cancelled, busy.
	Outcome string
	Reason  string // why it was refused or failed (never a credential)
	Code    string // Snowflake error code, for error
	QueryID string
	Rows    int
	// Duration is the whole call, queueing included.
	Duration  time.Duration
	RequestID string
}

// RecordAudit writes one line to the audit stream.
func (l *Logs) RecordAudit(ctx context.Context, e AuditEvent) {
	if l.Audit == nil {
		return
	}
	attrs := []slog.Attr{
		slog.String("identity", e.Identity),
		slog.String("auth", e.Method),
		slog.String("tool", e.Tool),
		slog.Any("arguments", e.Arguments),
		slog.String("outcome", e.Outcome),
	}
	if e.Reason != "" {
		attrs = append(attrs, slog.String("reason", HideURLQueries(e.Reason)))
	}
	if e.Code != "" {
		attrs = append(attrs, slog.String("code", e.Code))
	}
	attrs = append(attrs,
		slog.String("query_id", e.QueryID),
		slog.Int("rows", e.Rows),
		slog.Int64("duration_ms", e.Duration.Milliseconds()),
		slog.String("request_id", e.RequestID),
	)
	l.Audit.LogAttrs(ctx, slog.LevelInfo, "tool call", attrs...)
}
