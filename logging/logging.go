// Package logging owns snowflake-mcp's log streams: application (with errors copied to
// error.log), access, query, performance and audit logs, written with log/slog either to
// stderr/stdout or to six files that can be reopened after logrotate renames them.
package logging

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/config"
)

// File names of the streams when log.output is file.
const (
	AppFile    = "application.log"
	ErrorFile  = "error.log"
	AccessFile = "access.log"
	QueryFile  = "query.log"
	PerfFile   = "performance.log"
	AuditFile  = "audit.log"
)

// Logs is the set of log streams of one process.
type Logs struct {
	// App is the application log; records at ERROR and above also go to error.log.
	App *slog.Logger
	// Access gets one line per HTTP request.
	Access *slog.Logger
	// Query gets one line per statement (see RecordQuery).
	Query *slog.Logger
	// Perf gets slow requests and queries (over SlowThreshold).
	Perf *slog.Logger
	// Audit gets one line per tool call (see RecordAudit).
	Audit *slog.Logger
	// SlowThreshold is log.slow_threshold; 0 disables the performance log.
	SlowThreshold time.Duration
	// LogSQL lets RecordQuery include statement text (query.log_sql).
	LogSQL bool

	files []*reopenWriter
}

// reopenWriter writes each record with one Write call under a mutex, so a Reopen that swaps
// the file between records never splits or loses a line.
type reopenWriter struct {
	mu   sync.Mutex
	w    io.Writer
	f    *os.File // nil for stderr/stdout
	path string
}

func (w *reopenWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.w == nil {
		return 0, os.ErrClosed
	}
	return w.w.Write(p)
}

func openLogFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open log file: %w", err)
	}
	return f, nil
}

func (w *reopenWriter) reopen() error {
	nf, err := openLogFile(w.path)
	if err != nil {
		return err
	}
	w.mu.Lock()
	old := w.f
	w.f, w.w = nf, nf
	w.mu.Unlock()
	if old != nil {
		return old.Close()
	}
	return nil
}

func (w *reopenWriter) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.w = nil
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

// ParseLevel reads debug, info, warn or error.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("log level %q is not debug, info, warn or error", s)
	}
	return l, nil
}

func newHandler(w io.Writer, format string, level slog.Leveler) slog.Handler {
	o := &slog.HandlerOptions{Level: level}
	if format == "text" {
		return slog.NewTextHandler(w, o)
	}
	return slog.NewJSONHandler(w, o)
}

// New opens the streams log.output names: stderr or stdout (every stream there, each line
// tagged with a "log" attribute), or the six files in log.dir (append, mode 0640).
func New(cfg config.Log) (*Logs, error) {
	level, err := ParseLevel(cfg.Level)
	if err != nil {
		return nil, err
	}
	switch cfg.Output {
	case "", "stderr":
		return NewWriter(os.Stderr, cfg)
	case "stdout":
		return NewWriter(os.Stdout, cfg)
	case "file":
	default:
		return nil, fmt.Errorf("log output %q is not stderr, stdout or file", cfg.Output)
	}
	if cfg.Dir == "" {
		return nil, errors.New("log output file needs log.dir")
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("create log dir: %w", err)
	}
	l := &Logs{SlowThreshold: cfg.SlowThreshold}
	open := func(name string) (*reopenWriter, error) {
		p := filepath.Join(cfg.Dir, name)
		f, err := openLogFile(p)
		if err != nil {
			return nil, err
		}
		w := &reopenWriter{w: f, f: f, path: p}
		l.files = append(l.files, w)
		return w, nil
	}
	var ws [6]*reopenWriter
	for i, name := range []string{AppFile, ErrorFile, AccessFile, QueryFile, PerfFile, AuditFile} {
		if ws[i], err = open(name); err != nil {
			_ = l.Close()
			return nil, err
		}
	}
	l.App = slog.New(fanout{newHandler(ws[0], cfg.Format, level), newHandler(ws[1], cfg.Format, slog.LevelError)})
	l.Access = slog.New(newHandler(ws[2], cfg.Format, slog.LevelInfo))
	l.Query = slog.New(newHandler(ws[3], cfg.Format, slog.LevelInfo))
	l.Perf = slog.New(newHandler(ws[4], cfg.Format, slog.LevelInfo))
	l.Audit = slog.New(newHandler(ws[5], cfg.Format, slog.LevelInfo))
	return l, nil
}

// NewWriter sends every stream to w, one line per record with a "log" attribute naming the
// stream (app, access, query, perf, audit). The application stream uses cfg.Level; the others log
// at info and above.
func NewWriter(w io.Writer, cfg config.Log) (*Logs, error) {
	level, err := ParseLevel(cfg.Level)
	if err != nil {
		return nil, err
	}
	// One lock for all streams: they share one descriptor.
	sw := &reopenWriter{w: w}
	mk := func(stream string, lv slog.Leveler) *slog.Logger {
		return slog.New(newHandler(sw, cfg.Format, lv)).With("log", stream)
	}
	return &Logs{
		App:           mk("app", level),
		Access:        mk("access", slog.LevelInfo),
		Query:         mk("query", slog.LevelInfo),
		Perf:          mk("perf", slog.LevelInfo),
		Audit:         mk("audit", slog.LevelInfo),
		SlowThreshold: cfg.SlowThreshold,
	}, nil
}

// Discard returns streams that drop everything (for tests and tools that need no logs).
func Discard() *Logs {
	d := slog.New(slog.DiscardHandler)
	return &Logs{App: d, Access: d, Query: d, Perf: d, Audit: d}
}

// Reopen reopens every log file by path, so lines after a logrotate rename go to a new file.
// Records are never split: each is written whole to either the old or the new file.
func (l *Logs) Reopen() error {
	var errs []error
	for _, w := range l.files {
		if err := w.reopen(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close closes the log files; later records are dropped with an error from the writer.
func (l *Logs) Close() error {
	var errs []error
	for _, w := range l.files {
		if err := w.close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// QueryEvent describes one finished statement for the query log.
type QueryEvent struct {
	QueryID   string // Snowflake's query id, when known
	RequestID string // the HTTP request id (httpapi.RequestID)
	Tool      string
	Duration  time.Duration
	Rows      int64
	Outcome   string // ok, error, timeout, rejected, truncated...
	Err       error
	SQL       string // logged only when Logs.LogSQL is set
}

// RecordQuery writes e to the query log, and to the performance log when it was slow.
func (l *Logs) RecordQuery(ctx context.Context, e QueryEvent) {
	attrs := []slog.Attr{
		slog.String("query_id", e.QueryID),
		slog.String("request_id", e.RequestID),
		slog.String("tool", e.Tool),
		slog.Int64("duration_ms", e.Duration.Milliseconds()),
		slog.Int64("rows", e.Rows),
		slog.String("outcome", e.Outcome),
	}
	if e.Err != nil {
		attrs = append(attrs, slog.String("error", HideURLQueries(e.Err.Error())))
	}
	if l.LogSQL && e.SQL != "" {
		attrs = append(attrs, slog.String("sql", e.SQL))
	}
	l.Query.LogAttrs(ctx, slog.LevelInfo, "query", attrs...)
	if l.SlowThreshold > 0 && e.Duration >= l.SlowThreshold {
		l.Perf.LogAttrs(ctx, slog.LevelWarn, "slow query", append(attrs, slog.Int64("threshold_ms", l.SlowThreshold.Milliseconds()))...)
	}
}

// fanout sends each record to every handler that accepts its level.
type fanout []slog.Handler

func (f fanout) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range f {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	var errs []error
	for _, h := range f {
		if h.Enabled(ctx, r.Level) {
			if err := h.Handle(ctx, r.Clone()); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func (f fanout) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithAttrs(attrs)
	}
	return out
}

func (f fanout) WithGroup(name string) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithGroup(name)
	}
	return out
}
