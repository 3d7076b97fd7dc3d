package snowpool

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
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
	// OnError, when set, is called for every failed call with a bounded code:
	// the Snowflake error number (e.g. "390114"), "unavailable", "timeout",
	// "cancelled" or "other".
	OnError func(code string)
	// Development names the development environment in unavailable errors
	// (`make run` starts the emulator).
	Development bool
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
	onError func(code string)

	heal           *healer
	health         health
	host           string // host:port, for errors and logs
	connectTimeout time.Duration
	dev            bool

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
	if opts.Development || cfg.Environment == "development" {
		opts.Development = true
	}
	p := OpenConfig(dc, cfg.Pool, cfg.Query.Timeout, logs, opts)
	if cfg.Snowflake.ConnectTimeout > 0 {
		p.connectTimeout = cfg.Snowflake.ConnectTimeout
	}
	return p, nil
}

// OpenConfig builds the pool from a ready driver configuration.
func OpenConfig(dc *gosnowflake.Config, pc config.Pool, timeout time.Duration, logs *logging.Logs, opts Options) *Pool {
	if logs == nil {
		logs = logging.Discard()
	}
	if opts.ServerName == "" {
		opts.ServerName = "snowflake-mcp"
	}
	heal := &healer{Connector: gosnowflake.NewConnector(gosnowflake.SnowflakeDriver{}, *dc)}
	db := sql.OpenDB(heal)
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
		onEnd: opts.OnQueryEnd, onError: opts.OnError, database: dc.Database, schema: dc.Schema,
		heal: heal, host: endpoint(dc), connectTimeout: defaultConnectTimeout, dev: opts.Development}
}

// defaultConnectTimeout is snowflake.connect_timeout's default, for OpenConfig callers.
const defaultConnectTimeout = 5 * time.Second

// endpoint is the host:port the driver connects to.
func endpoint(dc *gosnowflake.Config) string {
	host := dc.Host
	if host == "" {
		host = dc.Account + ".snowflakecomputing.com"
	}
	port := dc.Port
	if port == 0 {
		port = 443
	}
	return host + ":" + strconv.Itoa(port)
}

// DB is the underlying pool (for benchmarks and diagnostics; tools use Query).
func (p *Pool) DB() *sql.DB { return p.db }

// Tracker is the tracker every query of this pool runs under.
func (p *Pool) Tracker() *Tracker { return p.tracker }

// Warm logs in pool.warm sessions at once and returns them to the idle pool, so
// the first requests find logged-in sessions. Each login gives up after
// snowflake.connect_timeout without a connection (an *UnavailableError).
func (p *Pool) Warm(ctx context.Context) error { return p.warmUp(ctx, p.health.down()) }

// warmUp is Warm; fast gives up at the first refused connection.
func (p *Pool) warmUp(ctx context.Context, fast bool) error {
	if p.warm <= 0 {
		return nil
	}
	rctx, r, done := withReach(ctx, p.connectTimeout, fast)
	defer done()
	conns := make([]*sql.Conn, p.warm)
	errs := make([]error, p.warm)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Go(func() {
			c, err := p.db.Conn(rctx)
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
	err := errors.Join(errs...)
	if err != nil && errors.Is(context.Cause(rctx), errUnreachable) {
		err = p.unavailable(r)
	}
	p.observeHealth(err)
	if err != nil {
		return fmt.Errorf("log in %d warm Snowflake sessions: %w", p.warm, err)
	}
	return nil
}

// Ping checks that Snowflake answers a trivial statement on a pooled session.
// It gives up at the first refused connection, so a readiness check learns at
// once that Snowflake is down; a session found gone is replaced and tried once more.
func (p *Pool) Ping(ctx context.Context) error {
	rctx, r, done := withReach(ctx, p.connectTimeout, true)
	defer done()
	err := p.ping(rctx)
	if err != nil && sessionGone(err) {
		err = p.ping(rctx)
	}
	if err != nil && errors.Is(context.Cause(rctx), errUnreachable) {
		err = p.unavailable(r)
	}
	p.observeHealth(err)
	if err != nil {
		return fmt.Errorf("snowflake ping: %w", err)
	}
	return nil
}

func (p *Pool) ping(ctx context.Context) error {
	c, err := p.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.PingContext(ctx)
}

// Up reports whether the latest call or check reached Snowflake.
func (p *Pool) Up() bool { return p.health.get() }

// Host is the host:port the pool connects to.
func (p *Pool) Host() string { return p.host }

// Close cancels running queries and closes every session. It waits a little
// (closeWait) for the driver's abort requests and the logouts of gone sessions
// still running in the background, so Snowflake hears of the cancellations.
func (p *Pool) Close() error {
	p.tracker.CancelAll()
	err := p.db.Close()
	done := make(chan struct{})
	go func() { p.heal.background.Wait(); close(done) }()
	t := time.NewTimer(closeWait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
	return err
}

// closeWait bounds how long Close waits for background aborts and logouts.
const closeWait = 5 * time.Second

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
//
// A session found gone (sessionGoneCodes) before the query started is dropped
// and the call retried once on a fresh login; after the query started it is
// not retried, and the error says the query may have run. A call that cannot
// connect to Snowflake within snowflake.connect_timeout fails with an
// *UnavailableError.
func (p *Pool) Query(ctx context.Context, st Statement, scan func(*sql.Rows) (int64, error)) (QueryInfo, error) {
	start := time.Now()
	qctx, q := p.tracker.begin(ctx, st.Tool, st.RequestID)
	if p.timeout > 0 {
		var cancel context.CancelFunc
		qctx, cancel = context.WithTimeoutCause(qctx, p.timeout, errQueryTimeout)
		defer cancel()
	}
	// While Snowflake is known down, a refused connection fails the call at once
	// instead of after connect_timeout; every call still tries, so recovery shows.
	qctx, r, done := withReach(qctx, p.connectTimeout, p.health.down())
	defer done()
	qctx = gosnowflake.WithQueryTag(qctx, p.queryTag(st))
	n, started, err := p.run(qctx, q, st, scan)
	if err != nil && !started && sessionGone(err) && qctx.Err() == nil {
		p.logs.App.LogAttrs(ctx, slog.LevelInfo, "Snowflake session gone; logging in again and retrying",
			slog.String("tool", st.Tool), slog.String("request_id", st.RequestID), slog.String("error", err.Error()))
		n, started, err = p.run(qctx, q, st, scan)
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
			if started && (sessionGone(err) || se == nil) {
				err = &MayHaveRunError{Err: err}
			}
		case errors.Is(cause, errUnreachable):
			err = p.unavailable(r)
		case errors.Is(cause, errQueryTimeout):
			state, err = StateTimeout, &TimeoutError{Timeout: p.timeout}
		default: // the client's cancel, or ErrCancelledByServer from CancelAll
			state, err = StateCancelled, &CancelledError{Cause: cause}
		}
	}
	p.observeHealth(err)
	info := p.tracker.end(q, state)
	d := time.Since(start)
	p.logs.RecordQuery(ctx, logging.QueryEvent{
		QueryID: info.QueryID, RequestID: st.RequestID, Tool: st.Tool,
		Duration: d, Rows: n, Outcome: state, Err: err, SQL: st.SQL,
	})
	if p.onEnd != nil {
		p.onEnd(st.Tool, state, d, n)
	}
	if err != nil && p.onError != nil {
		p.onError(errorCode(err))
	}
	return info, err
}

// MayHaveRunError is a failure after Snowflake accepted the query (it has a
// query id): it was not retried, since running it twice could be wrong.
type MayHaveRunError struct{ Err error }

func (e *MayHaveRunError) Error() string {
	return e.Err.Error() + " (the query may have run; it was not retried)"
}
func (e *MayHaveRunError) Unwrap() error { return e.Err }

// errorCode is the bounded metric label of a failed call.
func errorCode(err error) string {
	var se *gosnowflake.SnowflakeError
	var ue *UnavailableError
	var te *TimeoutError
	var ce *CancelledError
	switch {
	case errors.As(err, &ue):
		return "unavailable"
	case errors.As(err, &te):
		return "timeout"
	case errors.As(err, &ce):
		return "cancelled"
	case errors.As(err, &se):
		return fmt.Sprintf("%06d", se.Number)
	}
	return "other"
}

// unavailable builds the error of a call that could not reach Snowflake.
func (p *Pool) unavailable(r *reach) *UnavailableError {
	return &UnavailableError{Host: p.host, Timeout: p.connectTimeout, Cause: r.lastError(), Dev: p.dev}
}

// observeHealth records whether Snowflake answered and logs each change: an
// ERROR (error.log) when it becomes unreachable, INFO when it is back.
func (p *Pool) observeHealth(err error) {
	var ue *UnavailableError
	switch {
	case err == nil:
		if known, up := p.health.set(true); known && !up {
			p.logs.App.Info("Snowflake reachable again", "host", p.host)
		}
	case errors.As(err, &ue):
		if known, up := p.health.set(false); !known || up {
			p.logs.App.Error("Snowflake unreachable", "host", p.host, "connect_timeout", p.connectTimeout.String(),
				"error", ue.Error())
		}
	}
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// run makes one attempt on one session; started reports that Snowflake accepted
// the query (sent its query id).
func (p *Pool) run(ctx context.Context, q *tracked, st Statement, scan func(*sql.Rows) (int64, error)) (n int64, started bool, err error) {
	conn, err := p.db.Conn(ctx)
	if err != nil {
		return 0, false, err
	}
	if len(st.Setup) > 0 {
		defer p.release(conn)
		for _, s := range st.Setup {
			if _, err := conn.ExecContext(ctx, s); err != nil {
				return 0, false, err
			}
		}
	} else {
		defer conn.Close()
	}
	var qr queryer = conn
	// The driver sends the query id on this channel once and then closes it, so it
	// goes on the main statement's context only (never on Setup's).
	idCh := make(chan string, 1)
	done := make(chan struct{})
	idDone := make(chan struct{})
	var gotID bool
	go func() {
		defer close(idDone)
		select {
		case id, ok := <-idCh:
			if ok && id != "" {
				q.setQueryID(id)
				gotID = true
			}
		case <-done:
		}
	}()
	// After QueryContext returns the driver never sends, so once the reader has
	// stopped gotID is final.
	collect := func() bool {
		close(done)
		<-idDone
		select {
		case id, ok := <-idCh:
			if ok && id != "" {
				q.setQueryID(id)
				gotID = true
			}
		default:
		}
		return gotID
	}
	rows, err := qr.QueryContext(gosnowflake.WithQueryIDChan(ctx, idCh), st.SQL, st.Args...)
	started = collect()
	if err != nil {
		return 0, started, err
	}
	n, err = scan(rows)
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = rows.Err()
	}
	return n, true, err
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

// KeepWarm logs in the warm sessions, trying again with backoff (1 s doubling
// to 30 s) until it succeeds or ctx ends. A server started while Snowflake is
// down serves anyway (/readyz answers 503, tools answer unavailable) and
// becomes ready by itself once Snowflake answers.
func (p *Pool) KeepWarm(ctx context.Context) {
	wait := time.Second
	for attempt := 1; ; attempt++ {
		err := p.warmUp(ctx, true) // tried again soon anyway
		if err == nil {
			if attempt > 1 {
				p.logs.App.Info("logged in to Snowflake", "host", p.host, "attempts", attempt)
			}
			return
		}
		if ctx.Err() != nil {
			return
		}
		level := slog.LevelWarn
		if attempt == 1 {
			level = slog.LevelError
		}
		attrs := []slog.Attr{slog.String("host", p.host), slog.Int("attempt", attempt),
			slog.String("retry_in", wait.String()), slog.String("error", err.Error())}
		if p.dev {
			attrs = append(attrs, slog.String("hint", "in development `make run` starts the emulator; or point snowflake.host/port at one"))
		}
		p.logs.App.LogAttrs(ctx, level, "cannot log in to Snowflake; serving anyway and trying again", attrs...)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, 30*time.Second)
	}
}
