package emulator

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // registers the "duckdb" database/sql driver
)

// Config holds the emulator's settings.
type Config struct {
	Users      []UserSpec    // accepted logins; DefaultUsers() when empty
	SeedDirs   []string      // extra *.sql files run after the demo warehouse
	AsyncAfter time.Duration // a query running longer answers 333334 (default 45s)
	ChunkRows  int           // results with more rows are split into chunks (default 10000)
	SessionTTL time.Duration // session tokens expire after this (0: never)
	PollHold   time.Duration // how long a result poll waits before answering 333334 again (default 5s)
	// MemoryLimit bounds DuckDB's memory, in DuckDB's notation ("2GiB", "512MB"); default DefaultMemoryLimit.
	MemoryLimit string
	Threads     int // DuckDB worker threads (0: DuckDB's default, one per core)
	// ResultFormat "json" answers every client in JSON (as for drivers that
	// only read JSON); "" or "auto" chooses per client and session (resultFormat).
	ResultFormat string
	// ChunkBytes bounds a result chunk's size: wide rows make chunks of fewer rows (default 8 MiB).
	ChunkBytes int
	Logger     *slog.Logger
}

// Server is a running emulator: DuckDB plus the HTTP protocol handlers.
type Server struct {
	cfg    Config
	log    *slog.Logger
	db     *sql.DB
	mux    *http.ServeMux
	ctx    context.Context // parent of query contexts
	cancel context.CancelFunc

	users []UserSpec

	mu        sync.Mutex
	sessions  map[string]*session // by session token
	masters   map[string]*session // by master token
	queries   map[string]*query   // by query id
	byRequest map[string]*query   // by requestId of the query-request
	history   []*query            // in start order, bounded
	nextSess  atomic.Int64

	faults   faults
	settings map[string]bool // DuckDB configuration names, refused in client SQL

	closeOnce sync.Once
	closeErr  error
}

const maxHistory = 2000

// New opens DuckDB, seeds the demo warehouse and extra SQL, and returns a
// Server ready to be used as an http.Handler.
func New(cfg Config) (*Server, error) {
	if cfg.AsyncAfter <= 0 {
		cfg.AsyncAfter = 45 * time.Second
	}
	if cfg.ChunkRows <= 0 {
		cfg.ChunkRows = 10000
	}
	if cfg.ChunkBytes <= 0 {
		cfg.ChunkBytes = 8 << 20
	}
	if cfg.PollHold <= 0 {
		cfg.PollHold = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	users := cfg.Users
	if len(users) == 0 {
		users = DefaultUsers()
	}
	prepared := make([]UserSpec, len(users))
	copy(prepared, users)
	for i := range prepared {
		if err := prepared[i].prepare(); err != nil {
			return nil, err
		}
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	// Closed session connections must not be reused: they carry USE state and temp macros.
	db.SetMaxIdleConns(0)
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg: cfg, log: cfg.Logger, db: db, ctx: ctx, cancel: cancel, users: prepared,
		sessions: map[string]*session{}, masters: map[string]*session{},
		queries: map[string]*query{}, byRequest: map[string]*query{},
	}
	s.nextSess.Store(1172562260000)
	start := time.Now()
	if err := seed(ctx, db, cfg.SeedDirs); err != nil {
		cancel()
		_ = db.Close()
		return nil, err
	}
	s.log.Info("seeded warehouse", "elapsed", time.Since(start).Round(time.Millisecond))
	// Seed files are the operator's and may read files; client SQL may not.
	if err := sandbox(ctx, db, cfg.MemoryLimit, cfg.Threads); err != nil {
		cancel()
		_ = db.Close()
		return nil, err
	}
	if s.settings, err = engineSettings(ctx, db); err != nil {
		cancel()
		_ = db.Close()
		return nil, err
	}
	s.routes()
	go s.reapIdleSessions(time.Minute, idleSessionLimit)
	return s, nil
}

// idleSessionLimit matches the master token validity: sessions unused for
// longer are closed so abandoned clients don't pin DuckDB connections.
const idleSessionLimit = 4 * time.Hour

func (s *Server) reapIdleSessions(every, limit time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		var idle []*session
		s.mu.Lock()
		for tok, ss := range s.sessions {
			if ss.idleFor() > limit {
				idle = append(idle, ss)
				delete(s.sessions, tok)
				delete(s.masters, ss.master)
			}
		}
		s.mu.Unlock()
		for _, ss := range idle {
			s.log.Info("idle session closed", "session", ss.id)
			s.abortSessionQueries(ss)
			ss.close()
		}
	}
}

// Close aborts running queries, closes every session and DuckDB; it is idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Server) close() error {
	s.cancel()
	s.mu.Lock()
	sess := make([]*session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		sess = append(sess, ss)
	}
	s.mu.Unlock()
	for _, ss := range sess {
		ss.close()
	}
	return s.db.Close()
}

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("POST /session/v1/login-request", s.handleLogin)
	m.HandleFunc("POST /session/token-request", s.handleTokenRenew)
	m.HandleFunc("POST /session/heartbeat", s.withSession(s.handleOK))
	m.HandleFunc("POST /session", s.handleSessionDelete)
	m.HandleFunc("POST /telemetry/send", s.handleTelemetry)
	m.HandleFunc("POST /queries/v1/query-request", s.withSession(s.handleQuery))
	m.HandleFunc("POST /queries/v1/abort-request", s.withSession(s.handleAbort))
	m.HandleFunc("GET /queries/{qid}/result", s.withSession(s.handleResult))
	m.HandleFunc("GET /monitoring/queries/{qid}", s.withSession(s.handleMonitoring))
	m.HandleFunc("GET /chunks/{qid}/{n}", s.handleChunk)
	m.HandleFunc("GET /emulator/queries", s.handleAdminQueries)
	m.HandleFunc("GET /emulator/health", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{"ok": true})
	})
	m.HandleFunc("GET /emulator/faults", s.handleFaultsGet)
	m.HandleFunc("POST /emulator/faults", s.handleFaultsPost)
	m.HandleFunc("DELETE /emulator/faults", s.handleFaultsClear)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("unhandled request", "method", r.Method, "path", r.URL.Path)
		http.NotFound(w, r)
	})
	s.mux = m
}

// ServeHTTP applies request-level faults, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.log.Debug("request", "method", r.Method, "path", r.URL.Path)
	if !strings.HasPrefix(r.URL.Path, "/emulator/") && s.faults.apply(w, r) {
		return
	}
	s.mux.ServeHTTP(w, r)
}

// sfResponse is the envelope of every Snowflake REST answer.
type sfResponse struct {
	Data    any     `json:"data"`
	Code    *string `json:"code"`
	Message *string `json:"message"`
	Success bool    `json:"success"`
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	_, _ = w.Write(b)
}

func writeOK(w http.ResponseWriter, data any) {
	writeJSON(w, sfResponse{Data: data, Success: true})
}

func writeFail(w http.ResponseWriter, code, msg string, data any) {
	writeJSON(w, sfResponse{Data: data, Code: &code, Message: &msg, Success: false})
}

func (s *Server) handleOK(w http.ResponseWriter, _ *http.Request, _ *session) {
	writeOK(w, nil)
}

func (s *Server) handleTelemetry(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	writeOK(w, nil)
}

// newID returns n random bytes hex-encoded.
func newID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newQueryID returns an id shaped like Snowflake's (uuid-like).
func newQueryID() string {
	h := newID(16)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// tokenFrom extracts the token from `Authorization: Snowflake Token="..."`.
func tokenFrom(r *http.Request) string {
	a := r.Header.Get("Authorization")
	i := strings.Index(a, `Token="`)
	if i < 0 {
		return ""
	}
	a = a[i+len(`Token="`):]
	if j := strings.IndexByte(a, '"'); j >= 0 {
		return a[:j]
	}
	return a
}

// withSession resolves the session token, answering 390112 once it expired.
func (s *Server) withSession(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok := tokenFrom(r)
		s.mu.Lock()
		ss := s.sessions[tok]
		s.mu.Unlock()
		if ss == nil {
			writeFail(w, "390104", "User must login again to access the service.", nil)
			return
		}
		ss.touch()
		if ss.tokenExpired(tok, s.faults.sessionTTL(s.cfg.SessionTTL)) {
			writeFail(w, "390112", "Your session has expired. Please login again.", nil)
			return
		}
		h(w, r, ss)
	}
}

func (s *Server) handleSessionDelete(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("delete") != "true" {
		writeOK(w, nil)
		return
	}
	tok := tokenFrom(r)
	s.mu.Lock()
	ss := s.sessions[tok]
	if ss != nil {
		delete(s.sessions, ss.token)
		delete(s.masters, ss.master)
	}
	s.mu.Unlock()
	if ss != nil {
		s.abortSessionQueries(ss)
		ss.close()
		s.log.Info("session closed", "session", ss.id)
	}
	writeOK(w, nil)
}

func (s *Server) handleTokenRenew(w http.ResponseWriter, r *http.Request) {
	var body struct {
		OldSessionToken string `json:"oldSessionToken"`
		RequestType     string `json:"requestType"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeFail(w, "390100", "bad token request", nil)
		return
	}
	master := tokenFrom(r)
	s.mu.Lock()
	ss := s.masters[master]
	if ss != nil {
		delete(s.sessions, ss.token)
		ss.renew()
		s.sessions[ss.token] = ss
	}
	s.mu.Unlock()
	if ss == nil {
		writeFail(w, "390114", "Authentication token has expired.  The user must authenticate again.", nil)
		return
	}
	s.log.Info("session token renewed", "session", ss.id)
	writeOK(w, map[string]any{
		"sessionToken": ss.currentToken(), "validityInSecondsST": 3600,
		"masterToken": ss.master, "validityInSecondsMT": 14400, "sessionId": ss.id,
	})
}

func (s *Server) handleAbort(w http.ResponseWriter, r *http.Request, ss *session) {
	var body struct {
		RequestID string `json:"requestId"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeFail(w, "000605", "bad abort request", nil)
		return
	}
	s.mu.Lock()
	q := s.byRequest[body.RequestID]
	s.mu.Unlock()
	if q == nil || q.sess != ss {
		// Nothing to stop (finished or never arrived): success ends the driver's retries.
		writeOK(w, nil)
		return
	}
	q.abort()
	s.log.Info("query aborted", "query", q.id, "request", body.RequestID)
	writeOK(w, nil)
}

func (s *Server) handleMonitoring(w http.ResponseWriter, r *http.Request, _ *session) {
	q := s.lookup(r.PathValue("qid"))
	if q == nil {
		writeOK(w, map[string]any{"queries": []any{}})
		return
	}
	info := q.info()
	st := map[string]string{"running": "RUNNING", "succeeded": "SUCCESS", "failed": "FAILED_WITH_ERROR", "aborted": "ABORTED"}[info.State]
	ret := map[string]any{"id": q.id, "status": st, "sqlText": q.sqlText, "startTime": info.Start.UnixMilli(),
		"errorCode": info.ErrorCode, "errorMessage": info.Error}
	if info.End != nil {
		ret["endTime"] = info.End.UnixMilli()
	}
	writeOK(w, map[string]any{"queries": []any{ret}})
}

// abortSessionQueries stops a closing session's running queries, so closing
// does not wait for them (Snowflake aborts them too).
func (s *Server) abortSessionQueries(ss *session) {
	s.mu.Lock()
	var running []*query
	for _, q := range s.history {
		if q.sess == ss {
			running = append(running, q)
		}
	}
	s.mu.Unlock()
	for _, q := range running {
		if q.info().State == "running" {
			q.abort()
		}
	}
}

func (s *Server) lookup(qid string) *query {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries[qid]
}

// QueryInfo is one row of the admin view GET /emulator/queries.
type QueryInfo struct {
	ID        string     `json:"id"`
	RequestID string     `json:"request_id"`
	SessionID int64      `json:"session_id"`
	User      string     `json:"user"`
	SQL       string     `json:"sql"`
	State     string     `json:"state"` // running | succeeded | failed | aborted
	Start     time.Time  `json:"start"`
	End       *time.Time `json:"end,omitempty"`
	Rows      int64      `json:"rows"`
	Polls     int        `json:"polls"` // result-URL polls the client made
	// ChunkFetches counts chunk downloads of a chunked result.
	ChunkFetches int `json:"chunk_fetches"`
	// QueryTag is the QUERY_TAG in effect (request parameter or session).
	QueryTag  string `json:"query_tag,omitempty"`
	ErrorCode string `json:"error_code,omitempty"`
	Error     string `json:"error,omitempty"`
}

func (s *Server) handleAdminQueries(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	qs := make([]*query, len(s.history))
	copy(qs, s.history)
	s.mu.Unlock()
	state := r.URL.Query().Get("state")
	out := make([]QueryInfo, 0, len(qs))
	for _, q := range qs {
		in := q.info()
		if state != "" && in.State != state {
			continue
		}
		out = append(out, in)
	}
	writeJSON(w, out)
}

func (s *Server) handleChunk(w http.ResponseWriter, r *http.Request) {
	q := s.lookup(r.PathValue("qid"))
	n, err := strconv.Atoi(r.PathValue("n"))
	if q == nil || err != nil {
		http.NotFound(w, r)
		return
	}
	body, err := q.chunk(r.Context(), n)
	if errors.Is(err, errChunkNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.log.Warn("chunk failed", "query", q.id, "chunk", n, "err", err)
		http.Error(w, "chunk "+strconv.Itoa(n)+" of "+q.id+" could not be produced", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

var errNoSession = errors.New("no session")
