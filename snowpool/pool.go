package snowpool

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/snowflakedb/gosnowflake"

	"github.com/snowflake-mcp/snowflake-mcp/config"
	"github.com/snowflake-mcp/snowflake-mcp/logging"
	"github.com/snowflake-mcp/snowflake-mcp/sqlguard"
)

// Options describe the process that owns the pool.
type Options struct {
	// ServerName names the server in QUERY_TAG and as the driver's application name.
	ServerName string
	// Interactive allows externalbrowser login (stdio).
	Interactive bool
	// OnQueryEnd, when set, is called after every query with its tool, final state
	// (StateOK, StateError, StateTimeout, StateCancelled), duration and rows read: the
	// metrics hook.
	OnQueryEnd func(tool, state string, d time.Duration, rows int64)
}

// Pool is the database/sql pool of Snowflake sessions plus the query tracker.
type Pool struct {
	db      *sql.DB
	tracker *Tracker
	logs    *logging.Logs
	timeout time.Duration
	warm    int
	server  string
	reset   []string // restores the default database and schema after Setup
	onEnd   func(tool, state string, d time.Duration, rows int64)

	database, schema string // the sessions' defaults
}

// Defaults returns the database and schema sessions start in (after connections.toml).
func (p *Pool) Defaults() (database, schema string) { return p.database, p.schema }

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
	// Quoted as the driver's login resolves them; a name that does not validate
	// leaves reset empty, so changed sessions are discarded instead.
	var reset []string
	if db, err := sqlguard.QuoteIdent(dc.Database); err == nil {
		reset = append(reset, "USE DATABASE "+db)
		if sc, err := sqlguard.QuoteIdent(dc.Schema); err == nil {
			reset = append(reset, "USE SCHEMA "+db+"."+sc)
		}
	}
	return &Pool{db: db, tracker: NewTracker(), logs: logs, timeout: timeout, warm: warm, server: opts.ServerName, reset: reset,
		onEnd: opts.OnQueryEnd, database: dc.Database, schema: dc.Schema}
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
	// Setup runs first on the same session (USE DATABASE/SCHEMA for a tool's
	// database and schema arguments). A session that ran Setup is put back to the
	// connection's default database and schema afterwards, or discarded when that
	// fails or there is no default, so no later request inherits it.
	Setup []string

	// Identity is the caller (authn.Identity.Name), named in QUERY_TAG.
	Identity string
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
	n, err := p.run(qctx, q, st, scan)
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
	d := time.Since(start)
	p.logs.RecordQuery(ctx, logging.QueryEvent{
		QueryID: info.QueryID, RequestID: st.RequestID, Tool: st.Tool,
		Duration: d, Rows: n, Outcome: state, Err: err, SQL: st.SQL,
	})
	if p.onEnd != nil {
		p.onEnd(st.Tool, state, d, n)
	}
	return info, err
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (p *Pool) run(ctx context.Context, q *tracked, st Statement, scan func(*sql.Rows) (int64, error)) (int64, error) {
	var qr queryer = p.db
	if len(st.Setup) > 0 {
		conn, err := p.db.Conn(ctx)
		if err != nil {
			return 0, err
		}
		defer p.release(conn)
		for _, s := range st.Setup {
			if _, err := conn.ExecContext(ctx, s); err != nil {
				return 0, err
			}
		}
		qr = conn
	}
	// The driver sends the query id on this channel once and then closes it, so it
	// goes on the main statement's context only (never on Setup's).
	idCh := make(chan string, 1)
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
	defer func() {
		close(done)
		<-idDone
		select {
		case id, ok := <-idCh:
			if ok && id != "" {
				q.setQueryID(id)
			}
		default:
		}
	}()
	rows, err := qr.QueryContext(gosnowflake.WithQueryIDChan(ctx, idCh), st.SQL, st.Args...)
	if err != nil {
		return 0, err
	}
	n, err := scan(rows)
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = rows.Err()
	}
	return n, err
}

// release restores a session changed by Setup, or drops it from the pool.
func (p *Pool) release(conn *sql.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ok := len(p.reset) > 0
	for _, s := range p.reset {
		if !ok {
			break
		}
		_, err := conn.ExecContext(ctx, s)
		ok = err == nil
	}
	if !ok {
		// driver.ErrBadConn makes database/sql close this session instead of reusing it.
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	_ = conn.Close()
}

func (p *Pool) queryTag(st Statement) string {
	b, _ := json.Marshal(struct {
		Server    string `json:"server"`
		Tool      string `json:"tool,omitempty"`
		RequestID string `json:"request_id,omitempty"`
		Identity  string `json:"identity,omitempty"`
	}{p.server, st.Tool, st.RequestID, st.Identity})
	return string(b)
}
