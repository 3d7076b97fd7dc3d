package emulator

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"
)

// query is one statement's lifecycle, kept for result polling, chunk
// downloads, abort by requestId and the admin view.
type query struct {
	id        string
	requestID string
	sqlText   string
	sess      *session
	baseURL   string // scheme://host the client used, for chunk URLs
	start     time.Time
	cancel    context.CancelFunc
	done      chan struct{}
	chunkRows int
	format    string // formatArrow or formatJSON, chosen when the query starts

	mu       sync.Mutex
	state    string // running | succeeded | failed | aborted
	aborted  bool
	end      time.Time
	errCode  string
	errMsg   string
	sqlState string
	res      *result
	final    sessionState
	body     []byte // cached final response
	rowCount int64
	queryTag string
	polls    int // result GETs served, for the admin view
	fetches  int // chunk downloads served
}

// result is a finished statement's columns and rows in Snowflake's JSON form.
type result struct {
	cols []column
	rows [][]*string // every row, or only the first rowset when pages is set
	// pages reads the rows after the first rowset on demand; nil when rows holds them all.
	pages    *pager
	total    int // rows in the whole result when pages is set
	stmtType int64
	// multi-statement parent only: child query ids and statement types
	resultIDs, resultTypes string
}

type column struct {
	Name       string  `json:"name"`
	Database   string  `json:"database"`
	Schema     string  `json:"schema"`
	Table      string  `json:"table"`
	Type       string  `json:"type"`
	Nullable   bool    `json:"nullable"`
	Precision  *int64  `json:"precision"`
	Scale      *int64  `json:"scale"`
	Length     *int64  `json:"length"`
	ByteLength *int64  `json:"byteLength"`
	Collation  *string `json:"collation"`
}

const (
	stmtSelect = 0x1000
	stmtInsert = 0x3100
	stmtUpdate = 0x3200
	stmtDelete = 0x3300
	stmtMerge  = 0x3400
	stmtSCL    = 0x4000
	stmtTCL    = 0x5000
	stmtDDL    = 0x6000
	stmtMulti  = 0xA000
)

func (q *query) abort() {
	q.mu.Lock()
	if q.state == "running" {
		q.aborted = true
	}
	q.mu.Unlock()
	q.cancel()
}

func (q *query) info() QueryInfo {
	q.mu.Lock()
	defer q.mu.Unlock()
	in := QueryInfo{ID: q.id, RequestID: q.requestID, SessionID: q.sess.id, User: q.sess.user.User,
		SQL: q.sqlText, State: q.state, Start: q.start, Rows: q.rowCount, ErrorCode: q.errCode, Error: q.errMsg, Polls: q.polls, ChunkFetches: q.fetches, QueryTag: q.queryTag}
	if !q.end.IsZero() {
		e := q.end
		in.End = &e
	}
	return in
}

type execRequest struct {
	SQLText      string                 `json:"sqlText"`
	AsyncExec    bool                   `json:"asyncExec"`
	SequenceID   uint64                 `json:"sequenceId"`
	DescribeOnly bool                   `json:"describeOnly"`
	Parameters   map[string]any         `json:"parameters"`
	Bindings     map[string]bindingJSON `json:"bindings"`
}

type bindingJSON struct {
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

func (s *Server) handleQuery(w http.ResponseWriter, r *http.Request, ss *session) {
	var req execRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeFail(w, "000900", "emulator: malformed query request: "+err.Error(), map[string]any{"sqlState": "42000"})
		return
	}
	reqID := r.URL.Query().Get("requestId")
	s.mu.Lock()
	q := s.byRequest[reqID]
	s.mu.Unlock()
	if q == nil || q.sess != ss || r.URL.Query().Get("retryCount") == "" {
		q = s.startQuery(r, ss, reqID, &req)
	}
	if req.AsyncExec {
		s.writePending(w, q)
		return
	}
	timer := time.NewTimer(s.faults.asyncAfter(s.cfg.AsyncAfter))
	defer timer.Stop()
	select {
	case <-q.done:
		s.writeFinal(w, q)
	case <-timer.C:
		s.writePending(w, q)
	case <-r.Context().Done():
		// The client went away; the driver sends an abort too, this covers clients that don't.
		q.abort()
	}
}

func (s *Server) handleResult(w http.ResponseWriter, r *http.Request, ss *session) {
	q := s.lookup(r.PathValue("qid"))
	if q == nil || q.sess.account != ss.account {
		writeFail(w, "000709", "Statement "+r.PathValue("qid")+" not found", map[string]any{"sqlState": "02000", "queryId": r.PathValue("qid")})
		return
	}
	q.mu.Lock()
	q.polls++
	q.mu.Unlock()
	timer := time.NewTimer(s.cfg.PollHold)
	defer timer.Stop()
	select {
	case <-q.done:
		s.writeFinal(w, q)
	case <-timer.C:
		s.writePending(w, q)
	case <-r.Context().Done():
	}
}

func (s *Server) writePending(w http.ResponseWriter, q *query) {
	code, msg := "333334", "Asynchronous execution in progress. Use provided query id to perform query monitoring and management."
	writeJSON(w, sfResponse{Code: &code, Message: &msg, Success: true, Data: map[string]any{
		"getResultUrl": "/queries/" + q.id + "/result", "queryAbortsAfterSecs": 300,
		"queryId": q.id, "progressDesc": nil,
	}})
}

func (s *Server) writeFinal(w http.ResponseWriter, q *query) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(q.finalBody())
}

// startQuery registers the query and runs it in the background; it outlives
// the HTTP request that started it (the client may poll for the result).
func (s *Server) startQuery(r *http.Request, ss *session, reqID string, req *execRequest) *query {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	ctx, cancel := context.WithCancel(s.ctx)
	q := &query{
		id: newQueryID(), requestID: reqID, sqlText: req.SQLText, sess: ss,
		baseURL: scheme + "://" + r.Host, start: time.Now(), cancel: cancel,
		done: make(chan struct{}), state: "running", chunkRows: s.cfg.ChunkRows,
		queryTag: ss.queryTag(req.Parameters), format: s.resultFormat(ss, req.Parameters),
	}
	s.mu.Lock()
	s.queries[q.id] = q
	if reqID != "" {
		s.byRequest[reqID] = q
	}
	s.history = append(s.history, q)
	if len(s.history) > maxHistory {
		old := s.history[0]
		s.history = s.history[1:]
		delete(s.queries, old.id)
		if s.byRequest[old.requestID] == old {
			delete(s.byRequest, old.requestID)
		}
	}
	s.mu.Unlock()
	s.log.Debug("query start", "query", q.id, "session", ss.id, "sql", req.SQLText)
	go func() {
		defer cancel()
		res, err := s.execute(ctx, q, req)
		q.finish(res, err, ss.state())
		s.retain(q)
		s.log.Info("query end", "query", q.id, "session", ss.id, "state", q.info().State,
			"elapsed", time.Since(q.start).Round(time.Microsecond))
	}()
	return q
}

// childQuery records one statement of a multi-statement request as a finished
// query whose result the driver fetches by id.
func (s *Server) childQuery(parent *query, sqlText string, res *result) *query {
	c := &query{
		id: newQueryID(), sqlText: sqlText, sess: parent.sess, baseURL: parent.baseURL, start: time.Now(),
		cancel: func() {}, done: make(chan struct{}), state: "running", chunkRows: parent.chunkRows, queryTag: parent.queryTag, format: parent.format,
	}
	c.finish(res, nil, parent.sess.state())
	s.mu.Lock()
	s.queries[c.id] = c
	s.history = append(s.history, c)
	s.mu.Unlock()
	return c
}

func (q *query) finish(res *result, err error, st sessionState) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.end = time.Now()
	q.final = st
	switch {
	case q.aborted:
		q.state = "aborted"
		q.errCode, q.errMsg, q.sqlState = "000604", "SQL execution canceled", "57014"
	case err != nil:
		q.state = "failed"
		q.errCode, q.errMsg, q.sqlState = classifyError(err)
	default:
		q.state = "succeeded"
		q.res = res
		q.rowCount = int64(res.size())
	}
	q.body = q.buildBody()
	close(q.done)
}

func (q *query) finalBody() []byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.body == nil { // result evicted
		return []byte(`{"data":{"sqlState":"02000","queryId":"` + q.id + `"},"code":"000709","message":"Result of statement ` + q.id + ` expired","success":false}`)
	}
	return q.body
}

// layout says how a result is cut: the first rowset's row count and the rows per chunk after it.
func (q *query) layout(res *result) (first, per int) {
	if res.pages != nil {
		return len(res.rows), res.pages.chunkRows
	}
	return min(len(res.rows), q.chunkRows), q.chunkRows
}

// buildBody renders the final response: first rowset inline, the rest as chunk URLs.
func (q *query) buildBody() []byte {
	if q.state == "failed" && q.errCode == "390104" {
		// As Snowflake answers a request on a dead session: no query was accepted.
		b, _ := json.Marshal(sfResponse{Code: &q.errCode, Message: &q.errMsg, Success: false})
		return b
	}
	if q.state != "succeeded" {
		b, _ := json.Marshal(sfResponse{Code: &q.errCode, Message: &q.errMsg, Success: false, Data: map[string]any{
			"sqlState": q.sqlState, "queryId": q.id, "errorCode": q.errCode, "internalError": false,
			"line": -1, "pos": -1, "age": 0, "type": "COMPILATION",
		}})
		return b
	}
	res := q.res
	total := res.size()
	first, per := q.layout(res)
	inline := res.rows[:first]
	var chunks []map[string]any
	for i, lo := 0, first; lo < total; i, lo = i+1, lo+per {
		n := min(per, total-lo)
		size := approxSize(inline) * n / max(len(inline), 1)
		chunks = append(chunks, map[string]any{
			"url": q.baseURL + "/chunks/" + q.id + "/" + itoa(i), "rowCount": n,
			"uncompressedSize": size, "compressedSize": size,
		})
	}
	format := q.format
	if res.stmtType != stmtSelect || res.resultIDs != "" {
		format = formatJSON // the driver reads DML counts and multi-statement ids from the JSON rowset
	}
	q.format = format
	meta := map[string]any{
		"parameters": sessionParameters(q.final.timezone), "rowtype": res.cols, "total": total, "returned": total,
		"queryId": q.id, "finalDatabaseName": nullable(q.final.database), "finalSchemaName": nullable(q.final.schema),
		"finalWarehouseName": q.final.warehouse, "finalRoleName": q.final.role, "statementTypeId": res.stmtType,
		"queryResultFormat": format, "version": 1, "numberOfBinds": 0, "databaseProvider": nil,
	}
	if res.resultIDs != "" {
		meta["resultIds"], meta["resultTypes"] = res.resultIDs, res.resultTypes
	}
	if chunks != nil {
		meta["chunks"] = chunks
		meta["chunkHeaders"] = map[string]string{"x-emulator-query": q.id}
		meta["qrmk"] = "emulator"
	}
	if format == formatArrow {
		meta["rowsetBase64"] = ""
		if len(inline) > 0 {
			ipcBytes, err := encodeArrow(res.cols, inline)
			if err != nil {
				return q.failBody("000603", "Processing aborted due to error 300002: cannot encode the result as Arrow: "+err.Error(), "XX000")
			}
			meta["rowsetBase64"] = base64.StdEncoding.EncodeToString(ipcBytes)
		}
		b, _ := json.Marshal(sfResponse{Data: meta, Success: true})
		return b
	}
	mb, _ := json.Marshal(meta)
	var b bytes.Buffer
	b.Grow(len(mb) + approxSize(inline) + 64)
	b.WriteString(`{"data":`)
	b.Write(mb[:len(mb)-1])
	b.WriteString(`,"rowset":[`)
	appendRows(&b, inline)
	b.WriteString(`]},"code":null,"message":null,"success":true}`)
	return b.Bytes()
}

// failBody turns a succeeded query into a failed one (the result could not be sent).
func (q *query) failBody(code, msg, state string) []byte {
	q.state, q.errCode, q.errMsg, q.sqlState = "failed", code, msg, state
	return q.buildBody()
}

// chunk renders chunk n in the query's format. JSON chunks are rows separated
// by commas without the outer brackets, the form the driver's reader expects;
// Arrow chunks are IPC streams. Rows of a paged result are read from DuckDB
// only now, so a client that stops reading never costs the rest.
func (q *query) chunk(ctx context.Context, n int) ([]byte, error) {
	q.mu.Lock()
	res, format := q.res, q.format
	q.fetches++
	q.mu.Unlock()
	if res == nil || n < 0 {
		return nil, errChunkNotFound
	}
	first, per := q.layout(res)
	lo := first + n*per
	total := res.size()
	if lo >= total {
		return nil, errChunkNotFound
	}
	hi := min(lo+per, total)
	var rows [][]*string
	if res.pages != nil {
		var err error
		if rows, err = res.pages.read(ctx, lo, hi-lo); err != nil {
			return nil, err
		}
	} else {
		rows = res.rows[lo:hi]
	}
	if format == formatArrow {
		return encodeArrow(res.cols, rows)
	}
	var b bytes.Buffer
	b.Grow(approxSize(rows))
	appendRows(&b, rows)
	return b.Bytes(), nil
}

var errChunkNotFound = errors.New("chunk not found")

// retainedRows caps how many result rows stay in memory for polling and chunks.
const retainedRows = 500_000

// retain keeps the newest results and drops older ones past the cap.
func (s *Server) retain(q *query) {
	s.mu.Lock()
	defer s.mu.Unlock()
	total := 0
	for i := len(s.history) - 1; i >= 0; i-- {
		h := s.history[i]
		h.mu.Lock()
		if h.res != nil {
			total += len(h.res.rows)
			if total > retainedRows && h != q {
				h.res = nil
				h.body = nil
			}
		}
		h.mu.Unlock()
	}
}

func approxSize(rows [][]*string) int {
	n := 0
	for _, r := range rows {
		n += 2
		for _, c := range r {
			if c == nil {
				n += 5
			} else {
				n += len(*c) + 3
			}
		}
	}
	return n
}

func appendRows(b *bytes.Buffer, rows [][]*string) {
	for i, r := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('[')
		for j, c := range r {
			if j > 0 {
				b.WriteByte(',')
			}
			if c == nil {
				b.WriteString("null")
			} else {
				appendJSONString(b, *c)
			}
		}
		b.WriteByte(']')
	}
}

const hexDigits = "0123456789abcdef"

func appendJSONString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b.WriteString(s[start:i])
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
		}
		start = i + 1
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}
