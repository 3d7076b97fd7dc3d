package emulator

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// sfError is an error that already carries its Snowflake code and SQL state.
type sfError struct {
	code, state, msg string
}

func (e *sfError) Error() string { return e.msg }

// classifyError maps DuckDB errors onto Snowflake codes and SQL states.
func classifyError(err error) (code, msg, state string) {
	var se *sfError
	if errors.As(err, &se) {
		return se.code, se.msg, se.state
	}
	if errors.Is(err, context.Canceled) {
		return "000604", "SQL execution canceled", "57014"
	}
	if errors.Is(err, errNoSession) { // dropped between the token check and the run
		return "390104", "User must login again to access the service.", ""
	}
	if m := err.Error(); strings.Contains(m, "INTERRUPT") || strings.Contains(m, "Interrupted") {
		return "000604", "SQL execution canceled", "57014"
	}
	se = snowflakeError(err)
	return se.code, se.msg, se.state
}

func itoa(i int) string { return strconv.Itoa(i) }

// execute runs a request's SQL for a session: one statement, or several when
// the client allowed it with MULTI_STATEMENT_COUNT.
func (s *Server) execute(ctx context.Context, q *query, req *execRequest) (res *result, err error) {
	ss := q.sess
	args, err := bindArgs(req.Bindings)
	if err != nil {
		return nil, err
	}
	ss.run.Lock()
	defer ss.run.Unlock()
	if ss.pager != nil { // pages read ahead of a client that moved on
		ss.pager.cache, ss.pager = nil, nil
	}
	ss.mu.Lock()
	closed := ss.closed
	ss.mu.Unlock()
	if closed {
		return nil, errNoSession
	}
	if secs := ss.timeoutFor(req.Parameters); secs > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(secs)*time.Second)
		defer cancel()
		defer func() {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) && err != nil {
				err = &sfError{"000630", "57014", fmt.Sprintf("Statement reached its statement or warehouse timeout of %d second(s) and was canceled.", secs)}
			}
		}()
	}
	stmts := splitStatements(req.SQLText)
	if len(stmts) == 0 {
		return nil, &sfError{"000900", "42000", "SQL compilation error:\nEmpty SQL statement."}
	}
	if len(stmts) == 1 {
		return s.executeOne(ctx, ss, stmts[0], args, req.DescribeOnly)
	}
	want := paramInt(req.Parameters, "MULTI_STATEMENT_COUNT", 1)
	if want != 0 && want != int64(len(stmts)) {
		return nil, &sfError{"000008", "0A000", fmt.Sprintf("Actual statement count %d did not match the desired statement count %d.", len(stmts), want)}
	}
	ctx = context.WithValue(ctx, materializeKey{}, true)
	ids := make([]string, 0, len(stmts))
	types := make([]string, 0, len(stmts))
	for _, st := range stmts {
		res, err := s.executeOne(ctx, ss, st, nil, false)
		if err != nil {
			return nil, err
		}
		child := s.childQuery(q, st, res)
		ids = append(ids, child.id)
		types = append(types, strconv.FormatInt(res.stmtType, 10))
	}
	msg := "Multiple statements executed successfully."
	return &result{
		cols: []column{textColumn("multiple statement execution")}, rows: [][]*string{{&msg}},
		stmtType: stmtMulti, resultIDs: strings.Join(ids, ","), resultTypes: strings.Join(types, ","),
	}, nil
}

// splitStatements splits SQL at top-level semicolons, dropping empty statements.
func splitStatements(sqlText string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if st := strings.TrimSpace(b.String()); st != "" && len(significant(lex(st))) > 0 {
			out = append(out, st)
		}
		b.Reset()
	}
	for _, t := range lex(sqlText) {
		if t.kind == tokPunct && t.text == ";" {
			flush()
			continue
		}
		b.WriteString(t.text)
	}
	flush()
	return out
}

func paramInt(p map[string]any, name string, def int64) int64 {
	v, ok := p[name]
	if !ok {
		return def
	}
	switch x := v.(type) {
	case float64:
		return int64(x)
	case string:
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			return n
		}
	}
	return def
}

// executeOne runs a single statement: emulated commands first, DuckDB otherwise.
func (s *Server) executeOne(ctx context.Context, ss *session, sqlText string, args []any, describeOnly bool) (*result, error) {
	toks := significant(lex(sqlText))
	if len(toks) == 0 {
		return nil, &sfError{"000900", "42000", "SQL compilation error:\nEmpty SQL statement."}
	}
	kw := strings.ToUpper(toks[0].text)
	kw2 := ""
	if len(toks) > 1 {
		kw2 = strings.ToUpper(toks[1].text)
	}
	if err := s.refuseEngineStatement(toks); err != nil {
		return nil, err
	}
	if m := waitRe.FindStringSubmatch(sqlText); m != nil {
		if describeOnly {
			m = []string{m[0], "0", ""}
		}
		return systemWait(ctx, m)
	}
	switch kw {
	case "USE":
		return s.use(ctx, ss, toks[1:])
	case "SHOW":
		return s.show(ctx, ss, toks[1:])
	case "DESC", "DESCRIBE":
		if kw2 != "SELECT" && kw2 != "WITH" && kw2 != "FROM" {
			return s.describe(ctx, ss, toks[1:])
		}
	case "CREATE", "DROP":
		if r, ok, err := s.databaseDDL(ctx, ss, kw, toks[1:]); ok {
			return r, err
		}
	case "ALTER":
		if kw2 == "SESSION" {
			return ss.alterSession(ctx, toks[2:])
		}
		if kw2 == "WAREHOUSE" || kw2 == "USER" || kw2 == "ACCOUNT" {
			return statusResult(stmtSCL, "Statement executed successfully."), nil
		}
	}
	sqlText, after := createComments(sqlText)
	duckSQL, err := translateStatement(sqlText, ss.state().database)
	if err != nil {
		return nil, err
	}
	stype := statementType(kw, kw2)
	if describeOnly && stype == stmtSelect {
		duckSQL = "SELECT * FROM (" + duckSQL + ") LIMIT 0"
	}
	res, err := s.runDuck(ctx, ss, duckSQL, args, stype)
	if err != nil {
		return nil, err
	}
	for _, st := range after {
		if _, err := ss.conn.ExecContext(ctx, st); err != nil {
			return nil, err
		}
	}
	if kw == "CREATE" || kw == "DROP" || kw == "ALTER" {
		ss.refreshNamespace(ctx) // a dropped current schema changes the namespace
	}
	return res, nil
}

// statementType picks Snowflake's statementTypeId from the leading keywords.
func statementType(kw, kw2 string) int64 {
	switch kw {
	case "INSERT":
		return stmtInsert
	case "UPDATE":
		return stmtUpdate
	case "DELETE":
		return stmtDelete
	case "MERGE":
		return stmtMerge
	case "CREATE", "DROP", "ALTER", "TRUNCATE", "COMMENT", "GRANT", "REVOKE", "ATTACH", "DETACH", "UNDROP":
		return stmtDDL
	case "BEGIN", "START", "COMMIT", "ROLLBACK":
		return stmtTCL
	case "SET", "UNSET":
		return stmtSCL
	}
	return stmtSelect
}

func statusResult(stmtType int64, msg string) *result {
	return &result{
		cols:     []column{textColumn("status")},
		rows:     [][]*string{{&msg}},
		stmtType: stmtType,
	}
}

func i64(v int64) *int64 { return &v }

func textColumn(name string) column {
	return column{Name: name, Type: "text", Nullable: true, Length: i64(16777216), ByteLength: i64(16777216)}
}

var waitRe = regexp.MustCompile(`(?is)^(?:SELECT|CALL)\s+SYSTEM\$WAIT\s*\(\s*([0-9]+(?:\.[0-9]*)?)\s*(?:,\s*'(\w+)'\s*)?\)\s*(?:AS\s+\S+)?$`)

// systemWait implements SYSTEM$WAIT(n[, unit]) as a cancellable sleep.
func systemWait(ctx context.Context, m []string) (*result, error) {
	n, _ := strconv.ParseFloat(m[1], 64)
	unit := strings.ToUpper(m[2])
	var d time.Duration
	switch unit {
	case "", "SECONDS", "SECOND", "S":
		d = time.Duration(n * float64(time.Second))
	case "MILLISECONDS", "MILLISECOND", "MS":
		d = time.Duration(n * float64(time.Millisecond))
	case "MINUTES", "MINUTE", "M":
		d = time.Duration(n * float64(time.Minute))
	case "HOURS", "HOUR", "H":
		d = time.Duration(n * float64(time.Hour))
	default:
		return nil, &sfError{"100096", "22023", "Invalid time unit " + m[2] + " for SYSTEM$WAIT"}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
	}
	msg := "waited " + m[1] + " " + strings.ToLower(map[bool]string{true: "seconds", false: unit}[unit == ""])
	name := "SYSTEM$WAIT(" + m[1]
	if m[2] != "" {
		name += ", '" + m[2] + "'"
	}
	return &result{cols: []column{textColumn(name + ")")}, rows: [][]*string{{&msg}}, stmtType: stmtSelect}, nil
}

// bindArgs turns the driver's string-encoded bindings into DuckDB arguments.
func bindArgs(b map[string]bindingJSON) ([]any, error) {
	if len(b) == 0 {
		return nil, nil
	}
	keys := make([]int, 0, len(b))
	for k := range b {
		i, err := strconv.Atoi(k)
		if err != nil {
			return nil, &sfError{"002049", "42601", "SQL compilation error: named bindings are not supported by the emulator"}
		}
		keys = append(keys, i)
	}
	sort.Ints(keys)
	args := make([]any, 0, len(keys))
	for _, k := range keys {
		bv := b[strconv.Itoa(k)]
		var sv *string
		if err := json.Unmarshal(bv.Value, &sv); err != nil {
			return nil, &sfError{"002049", "42601", "SQL compilation error: array bindings are not supported by the emulator"}
		}
		if sv == nil {
			args = append(args, nil)
			continue
		}
		v, err := convertBind(strings.ToUpper(bv.Type), *sv)
		if err != nil {
			return nil, &sfError{"100038", "22018", fmt.Sprintf("binding %d (%s): %v", k, bv.Type, err)}
		}
		args = append(args, v)
	}
	return args, nil
}

func convertBind(typ, v string) (any, error) {
	switch typ {
	case "FIXED":
		if i, err := strconv.ParseInt(v, 10, 64); err == nil {
			return i, nil
		}
		return v, nil
	case "REAL":
		return strconv.ParseFloat(v, 64)
	case "BOOLEAN":
		return strconv.ParseBool(v)
	case "DATE":
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, err
		}
		return time.UnixMilli(ms).UTC().Format("2006-01-02"), nil
	case "TIME":
		ns, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, err
		}
		return time.Time{}.Add(time.Duration(ns)).Format("15:04:05.999999999"), nil
	case "TIMESTAMP_NTZ", "TIMESTAMP_LTZ", "TIMESTAMP_TZ":
		f := strings.Fields(v)
		if len(f) == 0 {
			return nil, fmt.Errorf("empty timestamp")
		}
		ns, ok := new(big.Int).SetString(f[0], 10)
		if !ok {
			return nil, fmt.Errorf("bad timestamp %q", v)
		}
		sec, rem := new(big.Int).DivMod(ns, big.NewInt(1e9), new(big.Int))
		return time.Unix(sec.Int64(), rem.Int64()).UTC(), nil
	case "BINARY":
		return hex.DecodeString(v)
	}
	return v, nil
}

// runDuck executes translated SQL on the session's connection and encodes the rows.
// A SELECT is read a page at a time (see pagedSelect); other statements at once.
func (s *Server) runDuck(ctx context.Context, ss *session, sqlText string, args []any, stmtType int64) (*result, error) {
	if stmtType == stmtSelect && ctx.Value(materializeKey{}) == nil && pageable.MatchString(sqlText) {
		res, err := s.pagedSelect(ctx, ss, sqlText, args)
		if err == nil || ctx.Err() != nil {
			return res, err
		}
		// Not usable as a subquery (or it fails): run it as written, which also gives its own error.
		s.log.Debug("result not paged", "err", err)
	}
	rows, err := ss.conn.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, err
	}
	cols, out, err := scanResult(ctx, rows)
	if err != nil {
		return nil, err
	}
	switch {
	case stmtType >= stmtInsert && stmtType <= stmtMerge:
		return dmlResult(stmtType, cols, out), nil
	case stmtType == stmtDDL || stmtType == stmtTCL || stmtType == stmtSCL:
		return statusResult(stmtType, "Statement executed successfully."), nil
	}
	if len(cols) == 0 {
		return statusResult(stmtDDL, "Statement executed successfully."), nil
	}
	return &result{cols: cols, rows: out, stmtType: stmtSelect}, nil
}

// materializeKey marks a context whose SELECTs must be read completely at
// once (statements of a multi-statement request: later ones may change the data).
type materializeKey struct{}

// pageable matches SQL DuckDB accepts as a subquery.
var pageable = regexp.MustCompile(`(?is)^\s*(\(|SELECT\b|WITH\b|VALUES\b|FROM\b)`)

// pagedSelect produces a SELECT's result without holding it: a one-row probe
// sizes the pages (wide rows make short pages, at most Config.ChunkBytes),
// the first page becomes the inline rowset, and only when more rows exist
// are they counted and left for the chunk downloads to read page by page.
// DuckDB materializes a query's result, so a page is a LIMIT/OFFSET query:
// a client that reads 1000 rows of a 30 GB result costs a few pages.
// Pages re-run the query, so a result without ORDER BY whose order DuckDB
// does not keep between runs may differ between pages (Snowflake keeps the
// whole result instead).
func (s *Server) pagedSelect(ctx context.Context, ss *session, sqlText string, args []any) (*result, error) {
	wrapped := "SELECT * FROM (\n" + sqlText + "\n)"
	rows, err := ss.conn.QueryContext(ctx, wrapped+" LIMIT 1", args...)
	if err != nil {
		return nil, err
	}
	cols, probe, err := scanResult(ctx, rows)
	if err != nil {
		return nil, err
	}
	if len(probe) == 0 {
		return &result{cols: cols, stmtType: stmtSelect}, nil
	}
	per := s.cfg.ChunkRows
	if w := approxSize(probe); w > 0 {
		per = max(1, min(per, s.cfg.ChunkBytes/w))
	}
	rows, err = ss.conn.QueryContext(ctx, wrapped+" LIMIT "+itoa(per+1), args...)
	if err != nil {
		return nil, err
	}
	cols, first, err := scanResult(ctx, rows)
	if err != nil {
		return nil, err
	}
	if len(first) <= per {
		return &result{cols: cols, rows: first, stmtType: stmtSelect}, nil
	}
	var total int
	if err := ss.conn.QueryRowContext(ctx, "SELECT count(*) FROM (\n"+sqlText+"\n)", args...).Scan(&total); err != nil {
		return nil, err
	}
	window := max(1, min(16, pageWindowBytes/max(1, per*approxSize(probe))))
	return &result{cols: cols, rows: first[:per], total: max(total, per), stmtType: stmtSelect,
		pages: &pager{ss: ss, sql: wrapped, args: args, chunkRows: per, window: window}}, nil
}

// pager reads rows lo..lo+n of a result by re-running its query on the
// session's connection (between the session's own statements). One run reads
// a window of several chunks (about pageWindowBytes), kept until fetched, so
// the driver's concurrent chunk downloads cost one query per window.
type pager struct {
	ss        *session
	sql       string // the query wrapped as a subquery
	args      []any
	chunkRows int
	window    int // chunks per run

	cache map[int][][]*string // by first row; guarded by ss.run
}

// pageWindowBytes bounds what one page query reads ahead of the client.
const pageWindowBytes = 8 << 20

func (p *pager) read(ctx context.Context, lo, n int) ([][]*string, error) {
	p.ss.run.Lock()
	defer p.ss.run.Unlock()
	if rows, ok := p.cache[lo]; ok {
		delete(p.cache, lo)
		return rows, nil
	}
	p.ss.mu.Lock()
	closed := p.ss.closed
	p.ss.mu.Unlock()
	if closed {
		return nil, errNoSession
	}
	rows, err := p.ss.conn.QueryContext(ctx, p.sql+" LIMIT "+itoa(p.chunkRows*p.window)+" OFFSET "+itoa(lo), p.args...)
	if err != nil {
		return nil, err
	}
	_, out, err := scanResult(ctx, rows)
	if err != nil {
		return nil, err
	}
	p.ss.pager = p // the session's next statement drops what the client never fetched
	if p.cache == nil {
		p.cache = map[int][][]*string{}
	}
	for at := p.chunkRows; at < len(out); at += p.chunkRows {
		p.cache[lo+at] = out[at:min(at+p.chunkRows, len(out))]
	}
	return out[:min(n, len(out))], nil
}

// size is the number of rows in the whole result.
func (r *result) size() int {
	if r.pages != nil {
		return r.total
	}
	return len(r.rows)
}

// scanResult reads rows into Snowflake's JSON value form and closes them.
func scanResult(ctx context.Context, rows *sql.Rows) ([]column, [][]*string, error) {
	defer func() { _ = rows.Close() }()
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, nil, fmt.Errorf("column types: %w", err)
	}
	cols := make([]column, len(cts))
	encs := make([]encoder, len(cts))
	for i, ct := range cts {
		cols[i], encs[i] = columnFor(columnName(ct.Name()), ct.DatabaseTypeName())
	}
	vals := make([]any, len(cts))
	ptrs := make([]any, len(cts))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var out [][]*string
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, fmt.Errorf("scan: %w", err)
		}
		row := make([]*string, len(vals))
		for i, v := range vals {
			if v != nil {
				str := encs[i](v)
				row[i] = &str
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	return cols, out, ctx.Err()
}

// dmlResult reports affected rows the way Snowflake does (one row, one count column).
func dmlResult(stmtType int64, cols []column, rows [][]*string) *result {
	name := map[int64]string{stmtInsert: "number of rows inserted", stmtUpdate: "number of rows updated",
		stmtDelete: "number of rows deleted", stmtMerge: "number of rows merged"}[stmtType]
	n := "0"
	if len(cols) == 1 && len(rows) == 1 && rows[0][0] != nil {
		n = *rows[0][0]
	} else if len(cols) != 1 { // RETURNING clause: a normal rowset
		return &result{cols: cols, rows: rows, stmtType: stmtSelect}
	}
	return &result{
		cols:     []column{{Name: name, Type: "fixed", Precision: i64(19), Scale: i64(0)}},
		rows:     [][]*string{{&n}},
		stmtType: stmtType,
	}
}

type encoder func(any) string

// columnName reports unaliased expressions the way Snowflake does: upper-case
// (DuckDB prints function names lower-case; bare identifiers already are).
func columnName(n string) string {
	if n == "count_star()" {
		return "COUNT(*)"
	}
	if strings.Contains(n, "(") {
		return strings.ToUpper(n)
	}
	return n
}

// columnFor maps a DuckDB result type onto Snowflake's rowtype and value encoding.
func columnFor(name, dbType string) (column, encoder) {
	t := strings.ToUpper(dbType)
	c := column{Name: name, Nullable: true}
	fixed := func(p, s int64) {
		c.Type, c.Precision, c.Scale = "fixed", i64(p), i64(s)
	}
	switch {
	case t == "BOOLEAN":
		c.Type = "boolean"
		return c, func(v any) string {
			if b, _ := v.(bool); b {
				return "1"
			}
			return "0"
		}
	case t == "TINYINT" || t == "UTINYINT":
		fixed(3, 0)
		return c, encodeAny
	case t == "SMALLINT" || t == "USMALLINT":
		fixed(5, 0)
		return c, encodeAny
	case t == "INTEGER" || t == "UINTEGER":
		fixed(10, 0)
		return c, encodeAny
	case t == "BIGINT":
		fixed(18, 0)
		return c, encodeAny
	case t == "UBIGINT" || t == "HUGEINT" || t == "UHUGEINT" || t == "BIGNUM" || t == "VARINT":
		fixed(38, 0)
		return c, encodeAny
	case strings.HasPrefix(t, "DECIMAL"):
		p, sc := int64(18), int64(3)
		_, _ = fmt.Sscanf(t, "DECIMAL(%d,%d)", &p, &sc)
		fixed(p, sc)
		return c, encodeAny
	case t == "FLOAT" || t == "DOUBLE":
		c.Type = "real"
		return c, encodeAny
	case t == "DATE":
		c.Type = "date"
		return c, func(v any) string {
			tm, ok := v.(time.Time)
			if !ok {
				return fmt.Sprint(v)
			}
			return strconv.FormatInt(floorDiv(tm.Unix(), 86400), 10)
		}
	case t == "TIME" || t == "TIME_NS" || t == "TIMETZ" || t == "TIME WITH TIME ZONE":
		c.Type, c.Scale, c.Precision = "time", i64(9), i64(0)
		return c, func(v any) string {
			tm, ok := v.(time.Time)
			if !ok {
				return fmt.Sprint(v)
			}
			secs := int64(tm.Hour()*3600 + tm.Minute()*60 + tm.Second())
			return fracSeconds(secs, int64(tm.Nanosecond()))
		}
	case strings.HasPrefix(t, "TIMESTAMP") && !strings.Contains(t, "TZ") && !strings.Contains(t, "TIME ZONE"):
		c.Type, c.Scale, c.Precision = "timestamp_ntz", i64(9), i64(0)
		return c, encodeEpoch
	case t == "TIMESTAMPTZ" || t == "TIMESTAMP WITH TIME ZONE":
		c.Type, c.Scale, c.Precision = "timestamp_ltz", i64(9), i64(0)
		return c, encodeEpoch
	case strings.HasPrefix(t, "UNION(") && strings.Contains(t, "SF_TZ"):
		c.Type, c.Scale, c.Precision = "timestamp_tz", i64(9), i64(0)
		return c, func(v any) string {
			if u, ok := v.(duckdb.Union); ok {
				v = u.Value
			}
			tm, ok := v.(time.Time)
			if !ok {
				return fmt.Sprint(v)
			}
			_, off := tm.Zone()
			return encodeEpoch(tm) + " " + strconv.Itoa(off/60+1440)
		}
	case t == "BLOB" || t == "BYTEA" || t == "VARBINARY":
		c.Type, c.Length, c.ByteLength = "binary", i64(8388608), i64(8388608)
		return c, func(v any) string {
			b, _ := v.([]byte)
			return strings.ToUpper(hex.EncodeToString(b))
		}
	case t == "JSON":
		c.Type = "variant"
		return c, encodeJSON
	case strings.HasSuffix(t, "[]") || strings.HasSuffix(t, "]"):
		c.Type = "array"
		return c, encodeJSON
	case strings.HasPrefix(t, "STRUCT") || strings.HasPrefix(t, "MAP"):
		c.Type = "object"
		return c, encodeJSON
	case t == "UUID":
		c.Type, c.Length, c.ByteLength = "text", i64(36), i64(36)
		return c, func(v any) string {
			switch u := v.(type) {
			case []byte:
				var id duckdb.UUID
				copy(id[:], u)
				return id.String()
			case duckdb.UUID:
				return u.String()
			}
			return fmt.Sprint(v)
		}
	}
	c.Type, c.Length, c.ByteLength = "text", i64(16777216), i64(16777216)
	return c, encodeAny
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// fracSeconds renders seconds plus nanoseconds as "sec.nnnnnnnnn"; the
// fraction is always non-negative, which is how the driver parses it.
func fracSeconds(sec, nsec int64) string {
	var b [32]byte
	out := strconv.AppendInt(b[:0], sec, 10)
	out = append(out, '.')
	frac := strconv.AppendInt(nil, nsec, 10)
	for i := len(frac); i < 9; i++ {
		out = append(out, '0')
	}
	out = append(out, frac...)
	return string(out)
}

func encodeEpoch(v any) string {
	tm, ok := v.(time.Time)
	if !ok {
		return fmt.Sprint(v)
	}
	return fracSeconds(tm.Unix(), int64(tm.Nanosecond()))
}

func encodeAny(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int16:
		return strconv.FormatInt(int64(x), 10)
	case int8:
		return strconv.FormatInt(int64(x), 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case uint32:
		return strconv.FormatUint(uint64(x), 10)
	case uint16:
		return strconv.FormatUint(uint64(x), 10)
	case uint8:
		return strconv.FormatUint(uint64(x), 10)
	case float64:
		return formatFloat(x)
	case float32:
		return formatFloat(float64(x))
	case *big.Int:
		return x.String()
	case duckdb.Decimal:
		return x.String()
	case duckdb.Interval:
		return fmt.Sprintf("%d months %d days %d microseconds", x.Months, x.Days, x.Micros)
	case []byte:
		return string(x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}

func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// encodeJSON renders semi-structured values as JSON text.
func encodeJSON(v any) string {
	b, err := json.Marshal(jsonable(v))
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func jsonable(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonable(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonable(e)
		}
		return out
	case duckdb.OrderedMap:
		out := make(map[string]any, x.Len())
		vals := x.Values()
		for i, k := range x.Keys() {
			out[fmt.Sprint(k)] = jsonable(vals[i])
		}
		return out
	case duckdb.Map:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = jsonable(e)
		}
		return out
	case duckdb.Decimal:
		return json.Number(x.String())
	case *big.Int:
		return json.Number(x.String())
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return formatFloat(x)
		}
		return x
	case []byte:
		return strings.ToUpper(hex.EncodeToString(x))
	case time.Time:
		return x.Format("2006-01-02 15:04:05.999999999")
	case duckdb.Union:
		return jsonable(x.Value)
	case duckdb.Interval:
		return encodeAny(x)
	case duckdb.UUID:
		return x.String()
	}
	return v
}

// nullString reads an optional string column.
func nullString(ns sql.NullString) *string {
	if !ns.Valid {
		return nil
	}
	s := ns.String
	return &s
}
