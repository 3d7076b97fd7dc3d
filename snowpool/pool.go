package snowpool

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/snowflakedb/gosnowflake"

	"github.com/snowflake-mcp/snowflake-mcp/config"
	"github.com/snowflake-mcp/snowflake-mcp/logging"
)

// Options describe the process that owns the pool.
type Options struct {
	// ServerName names the server in QUERY_TAG and as the driver's application name.
	ServerName string
	// Interactive allows externalbrowser login (stdio).
	Interactive bool
}

// Pool is the database/sql pool of Snowflake sessions plus the query tracker.
type Pool struct {
	db      *sql.DB
	tracker *Tracker
	logs    *logging.Logs
	timeout time.Duration
	warm    int
	server  string
}

// Open builds the pool from cfg without logging in; call Warm to log in.
func Open(cfg *config.Config, logs *logging.Logs, opts Options) (*Pool, error) {
	if opts.ServerName == "" {
		opts.ServerName = "snowflake-mcp"
	}
	dc, err := DriverConfig(cfg.Snowflake, DriverOptions{Interactive: opts.Interactive, Application: opts.ServerName})
	if err != nil {
		return nil, fmt.Errorf("snowflake connection settings: %w", err)
	}
	return OpenConfig(dc, cfg.Pool, cfg.Query.Timeout, logs, opts), nil
}

// OpenConfig builds the pool from a ready driver configuration.
func OpenConfig(dc *gosnowflake.Config, pc config.Pool, timeout time.Duration, logs *logging.Logs, opts Options) *Pool {
	if logs == nil {
		logs = logging.Discard()
	}
	if opts.ServerName == "" {
		opts.ServerName = "snowflake-mcp"
	}
	db := sql.OpenDB(gosnowflake.NewConnector(gosnowflake.SnowflakeDriver{}, *dc))
	db.SetMaxOpenConns(pc.MaxOpen)
	db.SetMaxIdleConns(max(pc.MaxIdle, pc.Warm))
	db.SetConnMaxLifetime(pc.ConnMaxLifetime)
	db.SetConnMaxIdleTime(pc.ConnMaxIdleTime)
	warm := pc.Warm
	if pc.MaxOpen > 0 && warm > pc.MaxOpen {
		warm = pc.MaxOpen
	}
	return &Pool{db: db, tracker: NewTracker(), logs: logs, timeout: timeout, warm: warm, server: opts.ServerName}
}

// DB is the underlying pool (for benchmarks and diagnostics; tools use Query).
func (p *Pool) DB() *sql.DB { return p.db }

// Tracker is the tracker every query of this pool runs under.
func (p *Pool) Tracker() *Tracker { return p.tracker }

// Warm logs in pool.warm sessions at once and returns them to the idle pool, so
// the first requests find logged-in sessions.
func (p *Pool) Warm(ctx context.Context) error {
	if p.warm <= 0 {
		return nil
	}
	conns := make([]*sql.Conn, p.warm)
	errs := make([]error, p.warm)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Go(func() {
			c, err := p.db.Conn(ctx)
			if err != nil {
				errs[i] = err
				return
			}
			conns[i] = c
		})
	}
	wg.Wait()
	for _, c := range conns {
		if c != nil {
			_ = c.Close() // back to the idle pool, still logged in
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("log in %d warm Snowflake sessions: %w", p.warm, err)
	}
	return nil
}

// Ping checks that Snowflake answers a trivial statement on a pooled session.
func (p *Pool) Ping(ctx context.Context) error {
	if err := p.db.PingContext(ctx); err != nil {
		return fmt.Errorf("snowflake ping: %w", err)
	}
	return nil
}

// Close cancels running queries and closes every session.
func (p *Pool) Close() error {
	p.tracker.CancelAll()
	return p.db.Close()
}

// Statement is one query to run.
type Statement struct {
	Tool      string
	RequestID string
	SQL       string
	Args      []any
}

// errQueryTimeout is the cancel cause of a query that ran past query.timeout.
var errQueryTimeout = errors.New("query.timeout exceeded")

// TimeoutError reports a query that ran past query.timeout; Snowflake was told to abort it.
type TimeoutError struct{ Timeout time.Duration }

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("query ran longer than query.timeout (%s) and was cancelled", e.Timeout)
}

// CancelledError reports a query cancelled by the client or by the server's drain.
type CancelledError struct{ Cause error }

func (e *CancelledError) Error() string { return "query cancelled: " + e.Cause.Error() }
func (e *CancelledError) Unwrap() error { return e.Cause }

// Query runs st under the tracker with query.timeout and QUERY_TAG, hands the
// rows to scan while the query's context is alive (scan returns how many rows it
// read), and logs the finished query. The returned QueryInfo carries the
// Snowflake query id and final state, also on error.
func (p *Pool) Query(ctx context.Context, st Statement, scan func(*sql.Rows) (int64, error)) (QueryInfo, error) {
	start := time.Now()
	qctx, q := p.tracker.begin(ctx, st.Tool, st.RequestID)
	if p.timeout > 0 {
		var cancel context.CancelFunc
		qctx, cancel = context.WithTimeoutCause(qctx, p.timeout, errQueryTimeout)
		defer cancel()
	}
	qctx = gosnowflake.WithQueryTag(qctx, p.queryTag(st))
	idCh := make(chan string, 1) // the driver sends once and closes; the buffer never blocks it
	qctx = gosnowflake.WithQueryIDChan(qctx, idCh)
	done := make(chan struct{})
	idDone := make(chan struct{})
	go func() {
		defer close(idDone)
		select {
		case id, ok := <-idCh:
			if ok && id != "" {
				q.setQueryID(id)
			}
		case <-done:
		}
	}()

	var n int64
	rows, err := p.db.QueryContext(qctx, st.SQL, st.Args...)
	if err == nil {
		n, err = scan(rows)
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = rows.Err()
		}
	}
	close(done)
	<-idDone
	select {
	case id, ok := <-idCh:
		if ok && id != "" {
			q.setQueryID(id)
		}
	default:
	}
	var se *gosnowflake.SnowflakeError
	if errors.As(err, &se) && se.QueryID != "" {
		q.setQueryID(se.QueryID)
	}

	state := StateOK
	if err != nil {
		state = StateError
		switch cause := context.Cause(qctx); {
		case qctx.Err() == nil:
		case errors.Is(cause, errQueryTimeout):
			state, err = StateTimeout, &TimeoutError{Timeout: p.timeout}
		default: // the client's cancel, or ErrCancelledByServer from CancelAll
			state, err = StateCancelled, &CancelledError{Cause: cause}
		}
	}
	info := p.tracker.end(q, state)
	p.logs.RecordQuery(ctx, logging.QueryEvent{
		QueryID: info.QueryID, RequestID: st.RequestID, Tool: st.Tool,
		Duration: time.Since(start), Rows: n, Outcome: state, Err: err, SQL: st.SQL,
	})
	return info, err
}

func (p *Pool) queryTag(st Statement) string {
	b, _ := json.Marshal(struct {
		Server    string `json:"server"`
		Tool      string `json:"tool,omitempty"`
		RequestID string `json:"request_id,omitempty"`
	}{p.server, st.Tool, st.RequestID})
	return string(b)
}
