package emulator

import (
	"strings"
)

// infoSchemaViews renders Snowflake's per-database INFORMATION_SCHEMA views
// over DuckDB's catalog functions; %DB% is replaced by the quoted database name.
var infoSchemaViews = map[string]string{
	"TABLES": `SELECT database_name AS TABLE_CATALOG, schema_name AS TABLE_SCHEMA, table_name AS TABLE_NAME,
  'ACCOUNTADMIN' AS TABLE_OWNER, 'BASE TABLE' AS TABLE_TYPE, 'NO' AS IS_TRANSIENT, NULL::VARCHAR AS CLUSTERING_KEY,
  estimated_size AS ROW_COUNT, NULL::BIGINT AS BYTES, 1 AS RETENTION_TIME, NULL::TIMESTAMPTZ AS CREATED,
  NULL::TIMESTAMPTZ AS LAST_ALTERED, comment AS COMMENT
FROM duckdb_tables() WHERE database_name = %DB% AND NOT temporary AND schema_name NOT IN ('main','pg_catalog','information_schema')
UNION ALL
SELECT database_name, schema_name, view_name, 'ACCOUNTADMIN', 'VIEW', 'NO', NULL, NULL, NULL, 1, NULL, NULL, comment
FROM duckdb_views() WHERE database_name = %DB% AND NOT internal AND NOT temporary AND schema_name NOT IN ('main','pg_catalog','information_schema')`,
	"VIEWS": `SELECT database_name AS TABLE_CATALOG, schema_name AS TABLE_SCHEMA, view_name AS TABLE_NAME,
  'ACCOUNTADMIN' AS TABLE_OWNER, sql AS VIEW_DEFINITION, 'NONE' AS CHECK_OPTION, 'NO' AS IS_UPDATABLE,
  'NO' AS INSERTABLE_INTO, 'NO' AS IS_SECURE, NULL::TIMESTAMPTZ AS CREATED, NULL::TIMESTAMPTZ AS LAST_ALTERED, comment AS COMMENT
FROM duckdb_views() WHERE database_name = %DB% AND NOT internal AND NOT temporary AND schema_name NOT IN ('main','pg_catalog','information_schema')`,
	"COLUMNS": `SELECT database_name AS TABLE_CATALOG, schema_name AS TABLE_SCHEMA, table_name AS TABLE_NAME,
  column_name AS COLUMN_NAME, column_index AS ORDINAL_POSITION, column_default AS COLUMN_DEFAULT,
  CASE WHEN is_nullable THEN 'YES' ELSE 'NO' END AS IS_NULLABLE,
  CASE WHEN data_type IN ('TINYINT','SMALLINT','INTEGER','BIGINT','HUGEINT','UTINYINT','USMALLINT','UINTEGER','UBIGINT','UHUGEINT')
         OR data_type LIKE 'DECIMAL%' THEN 'NUMBER'
       WHEN data_type = 'VARCHAR' THEN 'TEXT'
       WHEN data_type IN ('DOUBLE','FLOAT') THEN 'FLOAT'
       WHEN data_type = 'TIMESTAMP WITH TIME ZONE' THEN 'TIMESTAMP_LTZ'
       WHEN data_type LIKE 'TIMESTAMP%' THEN 'TIMESTAMP_NTZ'
       WHEN data_type LIKE 'TIME%' THEN 'TIME'
       WHEN data_type = 'BLOB' THEN 'BINARY'
       WHEN data_type = 'JSON' THEN 'VARIANT'
       WHEN data_type LIKE '%]' THEN 'ARRAY'
       WHEN data_type LIKE 'STRUCT%' OR data_type LIKE 'MAP%' THEN 'OBJECT'
       ELSE data_type END AS DATA_TYPE,
  CASE WHEN data_type = 'VARCHAR' THEN 16777216 END AS CHARACTER_MAXIMUM_LENGTH,
  CASE WHEN data_type LIKE 'DECIMAL%' THEN numeric_precision
       WHEN data_type IN ('TINYINT','SMALLINT','INTEGER','BIGINT','HUGEINT','UTINYINT','USMALLINT','UINTEGER','UBIGINT','UHUGEINT') THEN 38 END AS NUMERIC_PRECISION,
  CASE WHEN data_type LIKE 'DECIMAL%' THEN numeric_scale
       WHEN data_type IN ('TINYINT','SMALLINT','INTEGER','BIGINT','HUGEINT','UTINYINT','USMALLINT','UINTEGER','UBIGINT','UHUGEINT') THEN 0 END AS NUMERIC_SCALE,
  comment AS COMMENT
FROM duckdb_columns() WHERE database_name = %DB% AND NOT internal AND schema_name NOT IN ('main','pg_catalog','information_schema')`,
	"SCHEMATA": `SELECT database_name AS CATALOG_NAME, schema_name AS SCHEMA_NAME, 'ACCOUNTADMIN' AS SCHEMA_OWNER,
  'NO' AS IS_TRANSIENT, 'NO' AS IS_MANAGED_ACCESS, 1 AS RETENTION_TIME, NULL::TIMESTAMPTZ AS CREATED,
  NULL::TIMESTAMPTZ AS LAST_ALTERED, comment AS COMMENT
FROM duckdb_schemas() WHERE database_name = %DB% AND schema_name NOT IN ('main','pg_catalog')
UNION ALL SELECT %DB%, 'INFORMATION_SCHEMA', 'ACCOUNTADMIN', 'NO', 'NO', 1, NULL, NULL, 'Views describing the contents of schemas in this database'`,
	"DATABASES": `SELECT database_name AS DATABASE_NAME, 'ACCOUNTADMIN' AS DATABASE_OWNER, 'NO' AS IS_TRANSIENT,
  comment AS COMMENT, NULL::TIMESTAMPTZ AS CREATED, NULL::TIMESTAMPTZ AS LAST_ALTERED, 1 AS RETENTION_TIME, 'STANDARD' AS TYPE
FROM duckdb_databases() WHERE database_name NOT IN ('memory','system','temp')`,
}

// clauseWords end a table reference: after them no alias was given.
var clauseWords = map[string]bool{
	"WHERE": true, "GROUP": true, "ORDER": true, "LIMIT": true, "JOIN": true, "ON": true, "LEFT": true, "RIGHT": true,
	"INNER": true, "OUTER": true, "FULL": true, "CROSS": true, "UNION": true, "EXCEPT": true, "INTERSECT": true,
	"HAVING": true, "QUALIFY": true, "WINDOW": true, "NATURAL": true, "USING": true, "OFFSET": true, "FETCH": true,
	"MINUS": true, "ASOF": true, "POSITIONAL": true, "ANTI": true, "SEMI": true,
}

// rewriteInfoSchema replaces [db.]INFORMATION_SCHEMA.<view> references with
// subqueries over DuckDB's catalog; unqualified ones use curDB.
func rewriteInfoSchema(toks []token, curDB string) []token {
	sig := make([]int, 0, len(toks))
	for i, t := range toks {
		if t.kind != tokSpace {
			sig = append(sig, i)
		}
	}
	found := false
	for _, i := range sig {
		if toks[i].kind == tokWord && strings.EqualFold(toks[i].text, "INFORMATION_SCHEMA") {
			found = true
			break
		}
	}
	if !found {
		return toks
	}
	at := func(k int) token {
		if k >= 0 && k < len(sig) {
			return toks[sig[k]]
		}
		return token{kind: tokSpace}
	}
	out := make([]token, 0, len(toks))
	skipUntil := -1 // toks index; everything below it was consumed
	for k := 0; k < len(sig); k++ {
		t := at(k)
		if !(t.kind == tokWord && strings.EqualFold(t.text, "INFORMATION_SCHEMA") && at(k+1).text == ".") {
			continue
		}
		view := at(k + 2)
		body, ok := infoSchemaViews[strings.ToUpper(view.text)]
		if !ok || (view.kind != tokWord && view.kind != tokQuoted) || at(k+3).text == "." {
			continue
		}
		first := k
		db := curDB
		if at(k-1).text == "." && (at(k-2).kind == tokWord || at(k-2).kind == tokQuoted) {
			first = k - 2
			db = unquoteIdent(at(k - 2))
		}
		// copy tokens before the reference
		for i := skipUntil + 1; i < sig[first]; i++ {
			out = append(out, toks[i])
		}
		next := at(k + 3)
		sub := "(" + strings.ReplaceAll(body, "%DB%", quoteString(db)) + ")"
		if next.kind == tokSpace || next.kind == tokPunct || (next.kind == tokWord && clauseWords[strings.ToUpper(next.text)]) {
			sub += " AS " + strings.ToUpper(view.text)
		}
		out = append(out, token{kind: tokPunct, text: sub})
		skipUntil = sig[k+2]
		k += 2
	}
	for i := skipUntil + 1; i < len(toks); i++ {
		out = append(out, toks[i])
	}
	return out
}
