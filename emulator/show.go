package emulator

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// hiddenSchemas are DuckDB internals that Snowflake sessions never see.
var hiddenSchemas = map[string]bool{"main": true, "pg_catalog": true, "information_schema": true}

// hiddenDatabases are DuckDB's own catalogs.
const hiddenDatabasesSQL = "('memory','system','temp')"

// spec describes one column of a synthesized result (SHOW, DESCRIBE).
type spec struct{ name, typ string }

func synth(specs []spec, rows [][]*string) *result {
	cols := make([]column, len(specs))
	for i, sp := range specs {
		switch sp.typ {
		case "timestamp_ltz":
			cols[i] = column{Name: sp.name, Type: "timestamp_ltz", Nullable: true, Scale: i64(3), Precision: i64(0)}
		case "fixed":
			cols[i] = column{Name: sp.name, Type: "fixed", Nullable: true, Precision: i64(18), Scale: i64(0)}
		default:
			cols[i] = textColumn(sp.name)
		}
	}
	if rows == nil {
		rows = [][]*string{}
	}
	return &result{cols: cols, rows: rows, stmtType: stmtSelect}
}

func sp(s string) *string { return &s }

var startedAt = time.Now()

func createdOn() *string { return sp(fracSeconds(startedAt.Unix(), 0)) }

// nameParts reads a dotted identifier from toks, returning parts and the rest.
func nameParts(toks []token) ([]string, []token) {
	var parts []string
	i := 0
	for i < len(toks) {
		t := toks[i]
		if t.kind != tokWord && t.kind != tokQuoted {
			break
		}
		parts = append(parts, unquoteIdent(t))
		i++
		if i < len(toks) && toks[i].text == "." {
			i++
			continue
		}
		break
	}
	return parts, toks[i:]
}

func isKW(t token, kw string) bool { return t.kind == tokWord && strings.EqualFold(t.text, kw) }

func (s *Server) use(ctx context.Context, ss *session, toks []token) (*result, error) {
	if len(toks) == 0 {
		return nil, &sfError{"001003", "42000", "SQL compilation error:\nsyntax error: USE needs an object"}
	}
	kind := ""
	if t := toks[0]; t.kind == tokWord {
		switch strings.ToUpper(t.text) {
		case "DATABASE", "SCHEMA", "WAREHOUSE", "ROLE":
			kind = strings.ToUpper(t.text)
			toks = toks[1:]
		case "SECONDARY":
			return statusResult(stmtSCL, "Statement executed successfully."), nil
		}
	}
	parts, _ := nameParts(toks)
	if len(parts) == 0 {
		return nil, &sfError{"001003", "42000", "SQL compilation error:\nsyntax error: missing name after USE"}
	}
	switch kind {
	case "WAREHOUSE", "ROLE":
		ss.mu.Lock()
		if kind == "ROLE" {
			ss.role = parts[0]
		} else {
			ss.warehouse = parts[0]
		}
		ss.mu.Unlock()
		if err := ss.installMacros(ctx); err != nil {
			return nil, err
		}
		return statusResult(stmtSCL, "Statement executed successfully."), nil
	}
	var db, schema string
	cur := ss.state()
	switch {
	case kind == "SCHEMA" && len(parts) == 1:
		if cur.database == "" {
			return nil, &sfError{"090105", "22000", "Cannot perform USE SCHEMA. This session does not have a current database. Call 'USE DATABASE', or use a qualified name."}
		}
		db, schema = cur.database, parts[0]
	case len(parts) >= 2:
		db, schema = parts[0], parts[1]
	default:
		db = parts[0]
	}
	if !s.databaseExists(ctx, ss, db) {
		return nil, &sfError{"002043", "02000", "SQL compilation error:\nObject does not exist, or operation cannot be performed."}
	}
	if schema != "" && !ss.schemaExists(ctx, db, schema) {
		return nil, &sfError{"002043", "02000", "SQL compilation error:\nObject does not exist, or operation cannot be performed."}
	}
	target := quoteIdent(db)
	if schema != "" {
		target += "." + quoteIdent(schema)
	} else if ss.schemaExists(ctx, db, "PUBLIC") {
		target += `."PUBLIC"`
	}
	if _, err := ss.conn.ExecContext(ctx, "USE "+target); err != nil {
		return nil, err
	}
	ss.refreshNamespace(ctx)
	return statusResult(stmtSCL, "Statement executed successfully."), nil
}

func (s *Server) databaseExists(ctx context.Context, ss *session, db string) bool {
	var n int
	err := ss.conn.QueryRowContext(ctx, "SELECT count(*) FROM duckdb_databases() WHERE database_name = ? AND database_name NOT IN "+hiddenDatabasesSQL, db).Scan(&n)
	return err == nil && n > 0
}

// databaseDDL handles CREATE/DROP DATABASE, which DuckDB expresses as ATTACH/DETACH.
func (s *Server) databaseDDL(ctx context.Context, ss *session, kw string, toks []token) (*result, bool, error) {
	i := 0
	orReplace, ifExists, ifNotExists := false, false, false
	if kw == "CREATE" && len(toks) > 1 && isKW(toks[0], "OR") && isKW(toks[1], "REPLACE") {
		orReplace = true
		i = 2
	}
	for i < len(toks) && (isKW(toks[i], "TRANSIENT")) {
		i++
	}
	if i >= len(toks) || !isKW(toks[i], "DATABASE") {
		return nil, false, nil
	}
	i++
	if kw == "DROP" && i+1 < len(toks) && isKW(toks[i], "IF") && isKW(toks[i+1], "EXISTS") {
		ifExists = true
		i += 2
	}
	if kw == "CREATE" && i+2 < len(toks) && isKW(toks[i], "IF") && isKW(toks[i+1], "NOT") && isKW(toks[i+2], "EXISTS") {
		ifNotExists = true
		i += 3
	}
	parts, rest := nameParts(toks[i:])
	if len(parts) != 1 {
		return nil, true, &sfError{"001003", "42000", "SQL compilation error:\nsyntax error: database name expected"}
	}
	name := parts[0]
	exists := s.databaseExists(ctx, ss, name)
	cur := ss.state()
	if kw == "DROP" {
		if !exists {
			if ifExists {
				return statusResult(stmtDDL, "Drop statement executed successfully ("+name+" already dropped)."), true, nil
			}
			return nil, true, &sfError{"002003", "02000", "SQL compilation error:\nDatabase '" + name + "' does not exist or not authorized."}
		}
		if cur.database == name {
			if _, err := ss.conn.ExecContext(ctx, "USE "+defaultCatalog); err != nil {
				return nil, true, err
			}
		}
		if _, err := ss.conn.ExecContext(ctx, "DETACH "+quoteIdent(name)); err != nil {
			return nil, true, err
		}
		ss.refreshNamespace(ctx)
		return statusResult(stmtDDL, name+" successfully dropped."), true, nil
	}
	if exists && ifNotExists {
		return statusResult(stmtDDL, name+" already exists, statement succeeded."), true, nil
	}
	if exists && !orReplace {
		return nil, true, &sfError{"002002", "42710", "SQL compilation error:\nObject '" + name + "' already exists."}
	}
	if exists {
		if cur.database == name {
			if _, err := ss.conn.ExecContext(ctx, "USE "+defaultCatalog); err != nil {
				return nil, true, err
			}
		}
		if _, err := ss.conn.ExecContext(ctx, "DETACH "+quoteIdent(name)); err != nil {
			return nil, true, err
		}
	}
	stmts := []string{"ATTACH ':memory:' AS " + quoteIdent(name), "CREATE SCHEMA " + quoteIdent(name) + `."PUBLIC"`}
	for j := 0; j+2 < len(rest); j++ {
		if isKW(rest[j], "COMMENT") && rest[j+1].text == "=" && rest[j+2].kind == tokString {
			stmts = append(stmts, "COMMENT ON DATABASE "+quoteIdent(name)+" IS "+duckString(rest[j+2].val))
		}
	}
	for _, st := range stmts {
		if _, err := ss.conn.ExecContext(ctx, st); err != nil {
			return nil, true, err
		}
	}
	if _, err := ss.conn.ExecContext(ctx, "USE "+quoteIdent(name)+`."PUBLIC"`); err != nil {
		return nil, true, err
	}
	ss.refreshNamespace(ctx)
	return statusResult(stmtDDL, "Database "+name+" successfully created."), true, nil
}

// showScope is the IN clause of a SHOW command.
type showScope struct {
	account  bool
	database string
	schema   string
	object   string
}

func (s *Server) show(ctx context.Context, ss *session, toks []token) (*result, error) {
	if len(toks) > 0 && isKW(toks[0], "TERSE") {
		toks = toks[1:]
	}
	if len(toks) == 0 {
		return nil, &sfError{"001003", "42000", "SQL compilation error:\nsyntax error: SHOW needs an object type"}
	}
	what := strings.ToUpper(toks[0].text)
	toks = toks[1:]
	if what == "PRIMARY" || what == "IMPORTED" || what == "USER" {
		return nil, &sfError{"001003", "42000", "SQL compilation error:\nSHOW " + what + " is not supported by the emulator"}
	}
	like := ""
	startsWith := ""
	limit := -1
	var scope showScope
	cur := ss.state()
	scopeSet := false
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case isKW(t, "LIKE") && i+1 < len(toks) && toks[i+1].kind == tokString:
			like = unquoteString(toks[i+1].text)
			i++
		case isKW(t, "STARTS") && i+2 < len(toks) && isKW(toks[i+1], "WITH"):
			startsWith = unquoteString(toks[i+2].text)
			i += 2
		case isKW(t, "LIMIT") && i+1 < len(toks):
			limit, _ = strconv.Atoi(toks[i+1].text)
			i++
		case isKW(t, "IN"):
			scopeSet = true
			rest := toks[i+1:]
			kind := ""
			if len(rest) > 0 && rest[0].kind == tokWord {
				switch strings.ToUpper(rest[0].text) {
				case "ACCOUNT":
					scope.account = true
					i++
					continue
				case "DATABASE", "SCHEMA", "TABLE", "VIEW":
					kind = strings.ToUpper(rest[0].text)
					rest = rest[1:]
					i++
				}
			}
			parts, after := nameParts(rest)
			i += len(rest) - len(after)
			switch {
			case kind == "DATABASE":
				scope.database = cur.database
				if len(parts) > 0 {
					scope.database = parts[0]
				}
			case kind == "SCHEMA":
				scope.database, scope.schema = cur.database, cur.schema
				if len(parts) == 1 {
					scope.schema = parts[0]
				} else if len(parts) >= 2 {
					scope.database, scope.schema = parts[0], parts[1]
				}
			case kind == "TABLE" || kind == "VIEW":
				db, sc, obj, err := resolveObject(cur, parts)
				if err != nil {
					return nil, err
				}
				scope.database, scope.schema, scope.object = db, sc, obj
			case len(parts) == 1:
				scope.database = parts[0]
			case len(parts) == 2:
				scope.database, scope.schema = parts[0], parts[1]
			case len(parts) >= 3:
				scope.database, scope.schema, scope.object = parts[0], parts[1], parts[2]
			}
		}
	}
	if !scopeSet {
		switch what {
		case "SCHEMAS":
			scope.database = cur.database
		case "TABLES", "VIEWS", "OBJECTS", "COLUMNS":
			scope.database, scope.schema = cur.database, cur.schema
		}
		scope.account = scope.database == ""
	}
	if scope.database != "" && !s.databaseExists(ctx, ss, scope.database) {
		return nil, &sfError{"002043", "02000", "SQL compilation error:\nDatabase '" + scope.database + "' does not exist or not authorized."}
	}
	if scope.schema != "" && !ss.schemaExists(ctx, scope.database, scope.schema) {
		return nil, &sfError{"002043", "02000", "SQL compilation error:\nSchema '" + scope.database + "." + scope.schema + "' does not exist or not authorized."}
	}
	var res *result
	var err error
	switch what {
	case "DATABASES":
		res, err = s.showDatabases(ctx, ss, cur)
	case "SCHEMAS":
		res, err = s.showSchemas(ctx, ss, cur, scope)
	case "TABLES", "VIEWS", "OBJECTS":
		res, err = s.showObjects(ctx, ss, what, scope)
	case "COLUMNS":
		res, err = s.showColumns(ctx, ss, scope)
	case "WAREHOUSES":
		res = synth([]spec{{"name", "text"}, {"state", "text"}, {"type", "text"}, {"size", "text"}, {"is_default", "text"}, {"is_current", "text"}, {"comment", "text"}},
			[][]*string{{sp(cur.warehouse), sp("STARTED"), sp("STANDARD"), sp("X-Small"), sp("Y"), sp("Y"), sp("emulated warehouse")}})
	case "ROLES":
		res = synth([]spec{{"created_on", "timestamp_ltz"}, {"name", "text"}, {"is_default", "text"}, {"is_current", "text"}, {"owner", "text"}, {"comment", "text"}},
			[][]*string{{createdOn(), sp(cur.role), sp("Y"), sp("Y"), sp(""), sp("emulated role")}})
	case "PARAMETERS":
		var rows [][]*string
		for _, p := range sessionParameters(ss.timezone()) {
			v := fmt.Sprint(p["value"])
			rows = append(rows, []*string{sp(p["name"].(string)), sp(v), sp(v), sp(""), sp(""), sp("STRING")})
		}
		res = synth([]spec{{"key", "text"}, {"value", "text"}, {"default", "text"}, {"level", "text"}, {"description", "text"}, {"type", "text"}}, rows)
	default:
		return nil, &sfError{"001003", "42000", "SQL compilation error:\nSHOW " + what + " is not supported by the emulator"}
	}
	if err != nil {
		return nil, err
	}
	res.rows = filterShow(res, like, startsWith, limit)
	return res, nil
}

func unquoteString(s string) string {
	if toks := lex(s); len(toks) == 1 && toks[0].kind == tokString {
		return toks[0].val
	}
	return s
}

// filterShow applies LIKE (case-insensitive), STARTS WITH and LIMIT on the name column.
func filterShow(res *result, like, startsWith string, limit int) [][]*string {
	nameIdx := -1
	for i, c := range res.cols {
		if c.Name == "name" || c.Name == "column_name" || c.Name == "key" {
			nameIdx = i
			break
		}
	}
	out := res.rows[:0]
	for _, r := range res.rows {
		if nameIdx >= 0 && r[nameIdx] != nil {
			n := *r[nameIdx]
			if like != "" && !likeMatch(strings.ToUpper(n), strings.ToUpper(like)) {
				continue
			}
			if startsWith != "" && !strings.HasPrefix(n, startsWith) {
				continue
			}
		}
		if limit >= 0 && len(out) >= limit {
			break
		}
		out = append(out, r)
	}
	return out
}

// likeMatch implements SQL LIKE with % and _ (backslash escapes).
func likeMatch(s, p string) bool {
	if p == "" {
		return s == ""
	}
	switch p[0] {
	case '%':
		for i := 0; i <= len(s); i++ {
			if likeMatch(s[i:], p[1:]) {
				return true
			}
		}
		return false
	case '_':
		return s != "" && likeMatch(s[1:], p[1:])
	case '\\':
		if len(p) > 1 {
			return s != "" && s[0] == p[1] && likeMatch(s[1:], p[2:])
		}
	}
	return s != "" && s[0] == p[0] && likeMatch(s[1:], p[1:])
}

func yn(b bool) *string {
	if b {
		return sp("Y")
	}
	return sp("N")
}

func (s *Server) showDatabases(ctx context.Context, ss *session, cur sessionState) (*result, error) {
	rows, err := ss.conn.QueryContext(ctx, "SELECT database_name, comment FROM duckdb_databases() WHERE database_name NOT IN "+hiddenDatabasesSQL+" ORDER BY database_name")
	if err != nil {
		return nil, fmt.Errorf("list databases: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out [][]*string
	for rows.Next() {
		var name string
		var comment sql.NullString
		if err := rows.Scan(&name, &comment); err != nil {
			return nil, fmt.Errorf("list databases: %w", err)
		}
		out = append(out, []*string{createdOn(), sp(name), yn(false), yn(name == cur.database), sp(""), sp(cur.role), sp(comment.String), sp(""), sp("1"), sp("STANDARD"), sp("ROLE")})
	}
	return synth([]spec{{"created_on", "timestamp_ltz"}, {"name", "text"}, {"is_default", "text"}, {"is_current", "text"}, {"origin", "text"},
		{"owner", "text"}, {"comment", "text"}, {"options", "text"}, {"retention_time", "text"}, {"kind", "text"}, {"owner_role_type", "text"}}, out), rows.Err()
}

func (s *Server) showSchemas(ctx context.Context, ss *session, cur sessionState, scope showScope) (*result, error) {
	q := "SELECT database_name, schema_name, comment FROM duckdb_schemas() WHERE database_name NOT IN " + hiddenDatabasesSQL
	var args []any
	if scope.database != "" {
		q += " AND database_name = ?"
		args = append(args, scope.database)
	}
	rows, err := ss.conn.QueryContext(ctx, q+" ORDER BY database_name, schema_name", args...)
	if err != nil {
		return nil, fmt.Errorf("list schemas: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out [][]*string
	for rows.Next() {
		var db, name string
		var comment sql.NullString
		if err := rows.Scan(&db, &name, &comment); err != nil {
			return nil, fmt.Errorf("list schemas: %w", err)
		}
		if hiddenSchemas[name] {
			continue
		}
		out = append(out, []*string{createdOn(), sp(name), yn(false), yn(db == cur.database && name == cur.schema), sp(db), sp(cur.role), sp(comment.String), sp(""), sp("1"), sp("ROLE")})
	}
	return synth([]spec{{"created_on", "timestamp_ltz"}, {"name", "text"}, {"is_default", "text"}, {"is_current", "text"}, {"database_name", "text"},
		{"owner", "text"}, {"comment", "text"}, {"options", "text"}, {"retention_time", "text"}, {"owner_role_type", "text"}}, out), rows.Err()
}

func scopeFilter(scope showScope, args *[]any) string {
	q := " AND database_name NOT IN " + hiddenDatabasesSQL + " AND schema_name NOT IN ('main','pg_catalog','information_schema')"
	if scope.database != "" {
		q += " AND database_name = ?"
		*args = append(*args, scope.database)
	}
	if scope.schema != "" {
		q += " AND schema_name = ?"
		*args = append(*args, scope.schema)
	}
	return q
}

func (s *Server) showObjects(ctx context.Context, ss *session, what string, scope showScope) (*result, error) {
	var args []any
	var parts []string
	if what != "VIEWS" {
		parts = append(parts, "SELECT database_name, schema_name, table_name AS name, 'TABLE' AS kind, comment, estimated_size AS nrows, NULL AS sql FROM duckdb_tables() WHERE NOT temporary"+scopeFilter(scope, &args))
	}
	if what != "TABLES" {
		parts = append(parts, "SELECT database_name, schema_name, view_name, 'VIEW', comment, NULL, sql FROM duckdb_views() WHERE NOT internal AND NOT temporary"+scopeFilter(scope, &args))
	}
	rows, err := ss.conn.QueryContext(ctx, strings.Join(parts, " UNION ALL ")+" ORDER BY 1, 2, 3", args...)
	if err != nil {
		return nil, fmt.Errorf("list objects: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out [][]*string
	cur := ss.state()
	for rows.Next() {
		var db, sc, name, kind string
		var comment, text sql.NullString
		var n sql.NullInt64
		if err := rows.Scan(&db, &sc, &name, &kind, &comment, &n, &text); err != nil {
			return nil, fmt.Errorf("list objects: %w", err)
		}
		var nrows *string
		if n.Valid {
			nrows = sp(strconv.FormatInt(n.Int64, 10))
		}
		switch what {
		case "VIEWS":
			out = append(out, []*string{createdOn(), sp(name), sp(""), sp(db), sp(sc), sp(cur.role), sp(comment.String), nullString(text), sp("false"), sp("false"), sp("ROLE"), sp("OFF")})
		default:
			out = append(out, []*string{createdOn(), sp(name), sp(db), sp(sc), sp(kind), sp(comment.String), sp(""), nrows, nil, sp(cur.role), sp("1"), sp("ROLE")})
		}
	}
	if what == "VIEWS" {
		return synth([]spec{{"created_on", "timestamp_ltz"}, {"name", "text"}, {"reserved", "text"}, {"database_name", "text"}, {"schema_name", "text"},
			{"owner", "text"}, {"comment", "text"}, {"text", "text"}, {"is_secure", "text"}, {"is_materialized", "text"}, {"owner_role_type", "text"}, {"change_tracking", "text"}}, out), rows.Err()
	}
	return synth([]spec{{"created_on", "timestamp_ltz"}, {"name", "text"}, {"database_name", "text"}, {"schema_name", "text"}, {"kind", "text"},
		{"comment", "text"}, {"cluster_by", "text"}, {"rows", "fixed"}, {"bytes", "fixed"}, {"owner", "text"}, {"retention_time", "text"}, {"owner_role_type", "text"}}, out), rows.Err()
}

// colInfo is one column as DESCRIBE and SHOW COLUMNS report it.
type colInfo struct {
	db, schema, table, name, sfType, comment string
	def                                      sql.NullString
	nullable, pk, unique                     bool
}

func (s *Server) columns(ctx context.Context, ss *session, scope showScope) ([]colInfo, error) {
	var args []any
	q := `SELECT c.database_name, c.schema_name, c.table_name, c.column_name, c.data_type, c.comment, c.column_default, c.is_nullable,
	  coalesce(list_contains(pk.cols, c.column_name), false), coalesce(list_contains(uq.cols, c.column_name), false),
	  EXISTS (SELECT 1 FROM duckdb_views() v WHERE v.database_name = c.database_name AND v.schema_name = c.schema_name AND v.view_name = c.table_name)
	FROM duckdb_columns() c
	LEFT JOIN (SELECT database_name d, schema_name s, table_name t, flatten(list(constraint_column_names)) cols FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' GROUP BY ALL) pk
	  ON pk.d = c.database_name AND pk.s = c.schema_name AND pk.t = c.table_name
	LEFT JOIN (SELECT database_name d, schema_name s, table_name t, flatten(list(constraint_column_names)) cols FROM duckdb_constraints() WHERE constraint_type = 'UNIQUE' GROUP BY ALL) uq
	  ON uq.d = c.database_name AND uq.s = c.schema_name AND uq.t = c.table_name
	WHERE NOT c.internal` + strings.ReplaceAll(strings.ReplaceAll(scopeFilter(scope, &args), "database_name", "c.database_name"), "schema_name", "c.schema_name")
	if scope.object != "" {
		q += " AND c.table_name = ?"
		args = append(args, scope.object)
	}
	rows, err := ss.conn.QueryContext(ctx, q+" ORDER BY 1, 2, 3, c.column_index", args...)
	if err != nil {
		return nil, fmt.Errorf("list columns: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []colInfo
	for rows.Next() {
		var c colInfo
		var dt string
		var comment sql.NullString
		var view bool
		if err := rows.Scan(&c.db, &c.schema, &c.table, &c.name, &dt, &comment, &c.def, &c.nullable, &c.pk, &c.unique, &view); err != nil {
			return nil, fmt.Errorf("list columns: %w", err)
		}
		c.sfType = snowflakeTypeName(dt)
		if view {
			c.sfType = resultTypeName(dt)
		}
		c.comment = comment.String
		out = append(out, c)
	}
	return out, rows.Err()
}

func (s *Server) showColumns(ctx context.Context, ss *session, scope showScope) (*result, error) {
	cols, err := s.columns(ctx, ss, scope)
	if err != nil {
		return nil, err
	}
	var out [][]*string
	for _, c := range cols {
		out = append(out, []*string{sp(c.table), sp(c.schema), sp(c.name), sp(fmt.Sprintf(`{"type":%q,"nullable":%v}`, c.sfType, c.nullable)),
			sp(strings.ToLower(fmt.Sprint(c.nullable))), sp(c.def.String), sp("COLUMN"), sp(""), sp(c.comment), sp(c.db), sp("")})
	}
	return synth([]spec{{"table_name", "text"}, {"schema_name", "text"}, {"column_name", "text"}, {"data_type", "text"}, {"null?", "text"},
		{"default", "text"}, {"kind", "text"}, {"expression", "text"}, {"comment", "text"}, {"database_name", "text"}, {"autoincrement", "text"}}, out), nil
}

// resolveObject qualifies a one-, two- or three-part name against the session.
func resolveObject(cur sessionState, parts []string) (db, schema, obj string, err error) {
	switch len(parts) {
	case 1:
		db, schema, obj = cur.database, cur.schema, parts[0]
	case 2:
		db, schema, obj = cur.database, parts[0], parts[1]
	case 3:
		db, schema, obj = parts[0], parts[1], parts[2]
	default:
		return "", "", "", &sfError{"001003", "42000", "SQL compilation error:\nsyntax error: object name expected"}
	}
	if db == "" || schema == "" {
		return "", "", "", &sfError{"090105", "22000", "Cannot perform DESCRIBE. This session does not have a current database. Call 'USE DATABASE', or use a qualified name."}
	}
	return db, schema, obj, nil
}

func (s *Server) describe(ctx context.Context, ss *session, toks []token) (*result, error) {
	kind := "TABLE"
	if len(toks) > 0 && (isKW(toks[0], "TABLE") || isKW(toks[0], "VIEW")) {
		kind = strings.ToUpper(toks[0].text)
		toks = toks[1:]
	}
	parts, _ := nameParts(toks)
	db, sc, obj, err := resolveObject(ss.state(), parts)
	if err != nil {
		return nil, err
	}
	cols, err := s.columns(ctx, ss, showScope{database: db, schema: sc, object: obj})
	if err != nil {
		return nil, err
	}
	if len(cols) == 0 {
		what := "Table"
		if kind == "VIEW" {
			what = "View"
		}
		return nil, &sfError{"002003", "42S02", fmt.Sprintf("SQL compilation error:\n%s '%s.%s.%s' does not exist or not authorized.", what, db, sc, obj)}
	}
	var out [][]*string
	for _, c := range cols {
		var def *string
		if c.def.Valid {
			def = sp(c.def.String)
		}
		var comment *string
		if c.comment != "" {
			comment = sp(c.comment)
		}
		out = append(out, []*string{sp(c.name), sp(c.sfType), sp("COLUMN"), yn(c.nullable), def, yn(c.pk), yn(c.unique), nil, nil, comment, nil, nil})
	}
	return synth([]spec{{"name", "text"}, {"type", "text"}, {"kind", "text"}, {"null?", "text"}, {"default", "text"}, {"primary key", "text"},
		{"unique key", "text"}, {"check", "text"}, {"expression", "text"}, {"comment", "text"}, {"policy name", "text"}, {"privacy domain", "text"}}, out), nil
}

// resultTypeName is the type a query's rowtype reports for a DuckDB type, so
// that describing a view and querying it agree on NUMBER precision.
func resultTypeName(dt string) string {
	if c, _ := columnFor("", dt); c.Type == "fixed" && c.Precision != nil && c.Scale != nil {
		return fmt.Sprintf("NUMBER(%d,%d)", *c.Precision, *c.Scale)
	}
	return snowflakeTypeName(dt)
}

// snowflakeTypeName renders a DuckDB column type the way Snowflake's DESCRIBE spells it.
func snowflakeTypeName(dt string) string {
	t := strings.ToUpper(dt)
	switch {
	case t == "TINYINT" || t == "SMALLINT" || t == "INTEGER" || t == "BIGINT" || t == "HUGEINT" ||
		t == "UTINYINT" || t == "USMALLINT" || t == "UINTEGER" || t == "UBIGINT" || t == "UHUGEINT":
		return "NUMBER(38,0)"
	case strings.HasPrefix(t, "DECIMAL"):
		return "NUMBER" + strings.TrimPrefix(t, "DECIMAL")
	case t == "VARCHAR":
		return "VARCHAR(16777216)"
	case t == "DOUBLE" || t == "FLOAT":
		return "FLOAT"
	case t == "BOOLEAN" || t == "DATE":
		return t
	case strings.HasPrefix(t, "TIME") && !strings.HasPrefix(t, "TIMESTAMP"):
		return "TIME(9)"
	case t == "TIMESTAMP WITH TIME ZONE" || t == "TIMESTAMPTZ":
		return "TIMESTAMP_LTZ(9)"
	case strings.HasPrefix(t, "TIMESTAMP"):
		return "TIMESTAMP_NTZ(9)"
	case strings.HasPrefix(t, "UNION") && strings.Contains(t, "SF_TZ"):
		return "TIMESTAMP_TZ(9)"
	case t == "BLOB":
		return "BINARY(8388608)"
	case t == "JSON":
		return "VARIANT"
	case strings.HasSuffix(t, "]"):
		return "ARRAY"
	case strings.HasPrefix(t, "STRUCT") || strings.HasPrefix(t, "MAP"):
		return "OBJECT"
	case t == "UUID":
		return "VARCHAR(36)"
	}
	return t
}
