package e2e

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/snowflake-mcp/snowflake-mcp/testemulator"

	"github.com/snowflake-mcp/snowflake-mcp/testbin"
)

// compatCase is one Snowflake statement and the row it must return,
// rendered by render: columns joined by " | ", NULL as NULL.
type compatCase struct{ sql, want string }

// compatCases are Snowflake facts (many from the SQL reference's examples).
var compatCases = []compatCase{
	// lexical rules
	{`SELECT 'it''s', 'a\'b', 'tab\there', $$dollar 'quoted'$$, 'back\\slash'`, "it's | a'b | tab\there | dollar 'quoted' | back\\slash"},
	{`SELECT 'x' -- trailing comment ; DELETE`, "x"},
	{`SELECT 10 // 2`, "10"},
	{`SELECT /* a /* b */ 1`, "1"},
	{`SELECT "Quoted Id" FROM (SELECT 1 AS "Quoted Id")`, "1"},
	{`SELECT '\x41\u00e9\101'`, "Aé" + "A"},
	// numbers and conditional logic
	{`SELECT 1/3`, "0.333333"},
	{`SELECT 10/4`, "2.5"},
	{`SELECT DIV0(1, 0), DIV0NULL(1, 0), DIV0NULL(1, NULL), DIV0NULL(6, 3)`, "0 | 0 | 0 | 2"},
	{`SELECT TRY_TO_NUMBER('12'), TRY_TO_NUMBER('abc'), TRY_TO_NUMBER('12.345', 10, 2)`, "12 | NULL | 12.35"},
	{`SELECT TO_NUMBER('12.3456', 10, 2)`, "12.35"},
	{`SELECT ROUND(2.5), ROUND(-2.5), TRUNCATE(2.7), CEIL(1.2), FLOOR(-1.2), MOD(7, 3), ABS(-4)`, "3 | -3 | 2 | 2 | -2 | 1 | 4"},
	{`SELECT IFF(1 < 2, 'y', 'n'), NVL(NULL, 'd'), NVL2(NULL, 'a', 'b'), ZEROIFNULL(NULL), NULLIFZERO(0), COALESCE(NULL, NULL, 3)`, "y | d | b | 0 | NULL | 3"},
	{`SELECT DECODE(2, 1, 'one', 2, 'two', 'other'), CASE WHEN 1 = 1 THEN 'a' ELSE 'b' END, EQUAL_NULL(NULL, NULL)`, "two | a | true"},
	{`SELECT GREATEST(1, 5, 3), LEAST(4, 2, 8), SQUARE(3), SIGN(-7)`, "5 | 2 | 9 | -1"},
	// strings
	{`SELECT STARTSWITH('snowflake', 'snow'), ENDSWITH('snowflake', 'flake'), CONTAINS('snowflake', 'owf')`, "true | true | true"},
	{`SELECT INITCAP('hello wORLD-foo bar_baz')`, "Hello World-Foo Bar_Baz"},
	{`SELECT UPPER('a'), LOWER('B'), LENGTH('abc'), LEN('abcd'), TRIM('  x  '), LTRIM('xxa', 'x'), RTRIM('axx', 'x')`, "A | b | 3 | 4 | x | a | a"},
	{`SELECT SUBSTR('snowflake', 5), SUBSTRING('snowflake', 1, 4), LEFT('abc', 2), RIGHT('abc', 2), REVERSE('abc'), REPEAT('ab', 2)`, "flake | snow | ab | bc | cba | abab"},
	{`SELECT CONCAT('a', 'b', 'c'), 'a' || 'b', REPLACE('abcabc', 'b', 'x'), LPAD('7', 3, '0'), RPAD('7', 3, '*')`, "abc | ab | axcaxc | 007 | 7**"},
	{`SELECT SPLIT_PART('a,b,c', ',', 2), SPLIT_PART('a,b,c', ',', -1), STRTOK('a.b.c', '.', 3), CHARINDEX('b', 'abc'), POSITION('c' IN 'abc')`, "b | c | c | 2 | 3"},
	{`SELECT REGEXP_SUBSTR('It was the best of times', '\\b\\S*e\\S*\\b'), REGEXP_SUBSTR('It was the best of times', '\\b\\S*e\\S*\\b', 1, 3), REGEXP_SUBSTR('abc', 'z')`, "the | times | NULL"},
	{`SELECT REGEXP_COUNT('It was the best of times, it was the worst of times', '\\bwas\\b'), REGEXP_INSTR('nevermore1, nevermore2', 'nevermore\\d'), REGEXP_INSTR('nevermore1, nevermore2', 'nevermore\\d', 1, 2)`, "2 | 1 | 13"},
	{`SELECT REGEXP_REPLACE('a1b22c', '[0-9]+', '#'), REGEXP_LIKE('abc', 'a.c'), 'abc' RLIKE 'a.*', 'abc' REGEXP 'b'`, "a#b#c | true | true | false"},
	{`SELECT 'abc' LIKE ANY ('a%', 'x%'), 'abc' LIKE ANY ('x%', 'y%'), 'ABC' ILIKE ANY ('a%'), 'abc' LIKE 'a_c', 'ABC' ILIKE 'abc'`, "true | false | true | true | true"},
	{`SELECT EDITDISTANCE('kitten', 'sitting'), SPACE(2) || 'x', ASCII('A'), CHR(66)`, "3 |   x | 65 | B"},
	{`SELECT MD5('a'), SHA2('a') = SHA2_HEX('a'), HEX_ENCODE('AB'), BASE64_ENCODE('hi')`, "0cc175b9c0f1b6a831c399e269772661 | true | 4142 | aGk="},
	// dates and times
	{`SELECT DATEADD(day, 1, '2024-01-31'::DATE), DATEADD(mm, 1, '2024-01-31'::DATE), DATEADD(yy, -1, TO_DATE('2024-02-29'))`, "2024-02-01 | 2024-02-29 | 2023-02-28"},
	{`SELECT DATEADD(hour, 3, '2024-01-01 10:00:00'::TIMESTAMP_NTZ)`, "2024-01-01 13:00:00"},
	{`SELECT DATEDIFF(dd, '2024-01-01'::DATE, '2024-03-01'::DATE), DATEDIFF(month, '2023-12-31'::DATE, '2024-01-01'::DATE), DATEDIFF(yy, '2020-06-01'::DATE, '2024-01-01'::DATE)`, "60 | 1 | 4"},
	{`SELECT TO_DATE('2024-03-05'), TO_DATE('05/03/2024', 'DD/MM/YYYY'), TRY_TO_DATE('nope'), TRY_TO_DATE('2024-13-01')`, "2024-03-05 | 2024-03-05 | NULL | NULL"},
	{`SELECT TO_CHAR('2024-03-05'::DATE, 'YYYY/MM/DD'), TO_VARCHAR('2024-03-05 14:07:09'::TIMESTAMP, 'HH24:MI:SS'), TO_CHAR('2024-03-05'::DATE, 'MON DD, YYYY')`, "2024/03/05 | 14:07:09 | Mar 05, 2024"},
	{`SELECT DATE_FROM_PARTS(2024, 2, 29), DATE_FROM_PARTS(2024, 13, 1), DATE_FROM_PARTS(2024, 1, 0)`, "2024-02-29 | 2025-01-01 | 2023-12-31"},
	{`SELECT ADD_MONTHS('2016-02-29'::DATE, 1), ADD_MONTHS('2016-01-31'::DATE, 1), ADD_MONTHS('2016-01-15'::DATE, -2)`, "2016-03-31 | 2016-02-29 | 2015-11-15"},
	{`SELECT MONTHS_BETWEEN('2019-03-15'::DATE, '2019-02-15'::DATE), MONTHS_BETWEEN('2019-03-31'::DATE, '2019-02-28'::DATE), MONTHS_BETWEEN('2019-03-01'::DATE, '2019-02-15'::DATE)`, "1 | 1 | 0.548387"},
	{`SELECT TIME_SLICE('2019-02-28'::DATE, 4, 'MONTH', 'START'), TIME_SLICE('2019-02-28'::DATE, 4, 'MONTH', 'END'), TIME_SLICE('2024-01-01 10:17:00'::TIMESTAMP, 15, 'MINUTE')`, "2019-01-01 | 2019-05-01 | 2024-01-01 10:15:00"},
	{`SELECT CONVERT_TIMEZONE('America/Los_Angeles', 'America/New_York', '2019-01-01 14:00:00'::TIMESTAMP_NTZ)`, "2019-01-01 17:00:00"},
	{`SELECT DATE_TRUNC('month', '2024-03-15'::DATE), DATE_TRUNC(year, '2024-03-15 10:00:00'::TIMESTAMP), LAST_DAY('2024-02-10'::DATE)`, "2024-03-01 | 2024-01-01 | 2024-02-29"},
	{`SELECT YEAR('2024-03-15'::DATE), MONTH('2024-03-15'::DATE), DAY('2024-03-15'::DATE), DAYOFWEEK('2024-03-15'::DATE), DATE_PART(dd, '2024-03-15'::DATE), EXTRACT(year FROM '2024-03-15'::DATE)`, "2024 | 3 | 15 | 5 | 15 | 2024"},
	{`SELECT DAYNAME('2024-03-15'::DATE), MONTHNAME('2024-03-15'::DATE)`, "Fri | Mar"},
	// semi-structured
	{`SELECT PARSE_JSON('{"a": {"b": [10, 20]}}'):a.b[1]::INT, PARSE_JSON('{"a": "x"}'):a::STRING`, "20 | x"},
	{`SELECT ARRAY_SIZE(PARSE_JSON('[1,2]')), ARRAY_SIZE(ARRAY_CONSTRUCT(1, 2, 3)), ARRAY_SIZE(PARSE_JSON('{"a":1}'))`, "2 | 3 | NULL"},
	{`SELECT GET_PATH(PARSE_JSON('{"a": {"b": [10, 20]}}'), 'a.b[0]'), GET(PARSE_JSON('[5,6]'), 1), GET(PARSE_JSON('{"k":"v"}'), 'k')::STRING`, `10 | 6 | v`},
	{`SELECT TYPEOF(PARSE_JSON('1')), TYPEOF(PARSE_JSON('1.5')), TYPEOF(PARSE_JSON('"s"')), TYPEOF(PARSE_JSON('[1]')), TYPEOF(PARSE_JSON('{}')), TYPEOF(PARSE_JSON('null')), TYPEOF(PARSE_JSON('true'))`, "INTEGER | DECIMAL | VARCHAR | ARRAY | OBJECT | NULL_VALUE | BOOLEAN"},
	{`SELECT f.value::INT, f.index FROM TABLE(FLATTEN(INPUT => PARSE_JSON('[7, 8]'))) f ORDER BY f.index`, "7 | 0"},
	{`SELECT t.id, f.key, f.value::STRING FROM (SELECT 1 AS id, PARSE_JSON('{"x": "1", "y": "2"}') AS j) t, LATERAL FLATTEN(input => t.j) f ORDER BY f.key`, "1 | x | 1"},
	{`SELECT COUNT(*) FROM (SELECT 1 AS id, PARSE_JSON('[1,2,3]') AS j) t, LATERAL FLATTEN(input => t.j) f`, "3"},
	{`SELECT ARRAY_CONTAINS(2, ARRAY_CONSTRUCT(1, 2)), ARRAY_TO_STRING(ARRAY_CONSTRUCT('a', 'b'), '-'), OBJECT_CONSTRUCT('a', 1):a::INT`, "true | a-b | 1"},
	{`SELECT OBJECT_AGG(k, v)::STRING FROM (SELECT 'a' AS k, 1 AS v UNION ALL SELECT 'b', 2)`, `{"a":1,"b":2}`},
	// aggregates and windows
	{`SELECT LISTAGG(x, ',') WITHIN GROUP (ORDER BY x DESC) FROM (SELECT 'a' AS x UNION ALL SELECT 'c' UNION ALL SELECT 'b')`, "c,b,a"},
	{`SELECT LISTAGG(DISTINCT x, '|') WITHIN GROUP (ORDER BY x) FROM (SELECT 'a' AS x UNION ALL SELECT 'a' UNION ALL SELECT 'b')`, "a|b"},
	{`SELECT ARRAY_AGG(x) WITHIN GROUP (ORDER BY x)::STRING FROM (SELECT 3 AS x UNION ALL SELECT 1 UNION ALL SELECT NULL)`, "[1,3]"},
	{`SELECT APPROX_PERCENTILE(x, 0.5), MEDIAN(x), APPROX_COUNT_DISTINCT(x) FROM (SELECT 1 AS x UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4)`, "2.5 | 2.5 | 4"},
	{`SELECT x, RATIO_TO_REPORT(x) OVER () FROM (SELECT 1 AS x UNION ALL SELECT 3) ORDER BY x LIMIT 1`, "1 | 0.25"},
	{`SELECT SUM(x), AVG(x), MIN(x), MAX(x), COUNT(x), COUNT_IF(x > 1), BOOLAND_AGG(x > 0), BOOLOR_AGG(x > 2) FROM (SELECT 1 AS x UNION ALL SELECT 2)`, "3 | 1.5 | 1 | 2 | 2 | 1 | true | false"},
	{`SELECT x, ROW_NUMBER() OVER (ORDER BY x), RANK() OVER (ORDER BY x), LAG(x) OVER (ORDER BY x), SUM(x) OVER (ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM (SELECT 1 AS x UNION ALL SELECT 2) ORDER BY x DESC LIMIT 1`, "2 | 2 | 2 | 1 | 3"},
	{`SELECT x FROM (SELECT 1 AS x UNION ALL SELECT 2) QUALIFY ROW_NUMBER() OVER (ORDER BY x DESC) = 1`, "2"},
	// set operations, generators, VALUES
	{`SELECT COUNT(*) FROM (SELECT 1 AS x UNION SELECT 2 MINUS SELECT 2)`, "1"},
	{`SELECT COUNT(*), MAX(s) FROM (SELECT SEQ4() AS s FROM TABLE(GENERATOR(ROWCOUNT => 5)))`, "5 | 4"},
	{`SELECT $1, $2 FROM VALUES (1, 'a'), (2, 'b') ORDER BY $1 DESC LIMIT 1`, "2 | b"},
	{`SELECT column2 FROM VALUES (1, 'one') AS v`, "one"},
	{`SELECT COUNT(*) FROM DEMO.SALES.REGIONS WHERE NAME LIKE ANY ('%America', 'Asia%')`, "3"},
	{`SELECT TOP 1 NAME FROM DEMO.SALES.REGIONS ORDER BY REGION_ID`, "North America"},
	// everyday functions
	{`SELECT ROUND(3.14159, 2), POWER(2, 10), SQRT(16), EXP(0), LN(1), LOG(10, 100), PI() > 3.14`, "3.14 | 1024 | 4 | 1 | 0 | 2 | true"},
	{`SELECT NULLIF(1, 1), IFNULL(NULL, 2), ZEROIFNULL(5), IFF(NULL, 'y', 'n'), NVL2(1, 'a', 'b')`, "NULL | 2 | 5 | n | a"},
	{`SELECT UUID_STRING() RLIKE '[0-9a-f-]{36}', TRIM(BOTH 'x' FROM 'xax'), TRANSLATE('abc', 'ab', 'xy'), INSERT('abcdef', 2, 3, 'X')`, "true | a | xyc | aXef"},
	{`SELECT SPLIT('a,b,c', ',')::STRING, ARRAY_SIZE(SPLIT('a,b,c', ',')), STRTOK_TO_ARRAY('a b', ' ')::STRING`, `["a","b","c"] | 3 | ["a","b"]`},
	{`SELECT TO_TIMESTAMP('2024-03-05 10:11:12'), TO_TIMESTAMP('05.03.2024 10:11', 'DD.MM.YYYY HH24:MI'), TO_TIME('10:11:12')`, "2024-03-05 10:11:12 | 2024-03-05 10:11:00 | 10:11:12"},
	{`SELECT DATE_TRUNC('week', '2024-03-14'::DATE), DATEADD(week, 2, '2024-01-01'::DATE), DATEADD(q, 1, '2024-01-31'::DATE), WEEKOFYEAR('2024-03-14'::DATE), QUARTER('2024-03-14'::DATE)`, "2024-03-11 | 2024-01-15 | 2024-04-30 | 11 | 1"},
	{`SELECT TIMESTAMPDIFF(minute, '2024-01-01 10:00:00'::TIMESTAMP, '2024-01-01 11:30:00'::TIMESTAMP), DATEDIFF(hh, '2024-01-01 10:00:00'::TIMESTAMP, '2024-01-02 10:00:00'::TIMESTAMP), TIMEADD(minute, 5, '10:00:00'::TIME)`, "90 | 24 | 10:05:00"},
	{`SELECT CURRENT_DATE() = CURRENT_DATE, TYPEOF(CURRENT_DATE()::VARIANT) IS NOT NULL`, "true | true"},
	{`SELECT STDDEV(x), VARIANCE(x), MODE(x), ANY_VALUE(x) IS NOT NULL, COUNT(DISTINCT x) FROM (SELECT 1 AS x UNION ALL SELECT 1 UNION ALL SELECT 4)`, "1.7320508075688772 | 3 | 1 | true | 2"},
	{`SELECT x, FIRST_VALUE(x) OVER (ORDER BY x), LAST_VALUE(x) OVER (ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING), DENSE_RANK() OVER (ORDER BY x), LEAD(x, 1, 0) OVER (ORDER BY x), NTILE(2) OVER (ORDER BY x) FROM (SELECT 1 AS x UNION ALL SELECT 2 UNION ALL SELECT 3) ORDER BY x LIMIT 1`, "1 | 1 | 3 | 1 | 2 | 1"},
	{`SELECT SUM(x) OVER (PARTITION BY g), COUNT(*) OVER (PARTITION BY g), AVG(x) OVER (PARTITION BY g) FROM (SELECT 1 AS g, 2 AS x UNION ALL SELECT 1, 4) LIMIT 1`, "6 | 2 | 3"},
	{`SELECT OBJECT_CONSTRUCT('a', 1, 'b', 'x')::STRING, PARSE_JSON('{"a":[1,2]}'):a[0]::INT + 1, PARSE_JSON('[1,2,3]')[1]::INT`, `{"a":1,"b":"x"} | 2 | 2`},
	{`SELECT IS_NULL_VALUE(PARSE_JSON('{"a":null}'):a), OBJECT_KEYS(PARSE_JSON('{"a":1,"b":2}'))::STRING, TRY_PARSE_JSON('{bad') IS NULL`, `true | ["a","b"] | true`},
	{`WITH t AS (SELECT 1 AS a) SELECT a FROM t`, "1"},
	{`SELECT COUNT(*) FROM DEMO.SALES.ORDERS o JOIN DEMO.SALES.CUSTOMERS c ON c.CUSTOMER_ID = o.CUSTOMER_ID WHERE o.ORDER_ID <= 10`, "10"},
	{`SELECT REGION_ID, NAME FROM DEMO.SALES.REGIONS WHERE NAME ILIKE '%europe%'`, "2 | Europe"},
	{`SELECT NAME FROM DEMO.SALES.REGIONS ORDER BY REGION_ID DESC NULLS LAST LIMIT 1 OFFSET 1`, "Latin America"},
	{`SELECT BITAND(12, 10), BITOR(12, 10), BITXOR(12, 10), 7 % 3`, "8 | 14 | 6 | 1"},
	{`SELECT TO_BOOLEAN('yes'), TO_BOOLEAN('off'), TO_DOUBLE('1.5'), TO_VARCHAR(42), TO_NUMBER('42')`, "true | false | 1.5 | 42 | 42"},
	{`SELECT HASH('a') IS NOT NULL, RANDOM() IS NOT NULL, UNIFORM(1, 1, RANDOM())`, "true | true | 1"},
	{`SELECT CAST('2024-01-01' AS DATE), '12'::NUMBER(10,2), CAST(1.5 AS INT), 3::FLOAT / 2`, "2024-01-01 | 12 | 2 | 1.5"},
}

// smuggling queries are one SELECT in Snowflake; DuckDB must not run the DELETE.
var smuggling = []string{
	`SELECT '\'; DELETE FROM DEMO.SALES.REGIONS; --'`,
	`SELECT 10 // 2; DELETE FROM DEMO.SALES.REGIONS`,
	`SELECT $a$ '$a$; DELETE FROM DEMO.SALES.REGIONS; --'`,
	`SELECT E'\\'; DELETE FROM DEMO.SALES.REGIONS; --'`,
	`SELECT /* /* */ 1 */; DELETE FROM DEMO.SALES.REGIONS`,
}

// errorCases are statements Snowflake rejects, with its code and SQL state.
var errorCases = []struct{ sql, code, state, contains string }{
	{`SELECT * FROM NOPE.S.T`, "002003", "42S02", "Database 'NOPE' does not exist or not authorized."},
	{`SELECT * FROM DEMO.NOPE.T`, "002003", "42S02", "does not exist or not authorized."},
	{`SELECT * FROM DEMO.SALES.NOPE`, "002003", "42S02", "Object 'NOPE' does not exist or not authorized."},
	{`SELECT nope FROM DEMO.SALES.REGIONS`, "000904", "42000", "invalid identifier 'NOPE'"},
	{`SELECT 1 FROM WHERE`, "001003", "42000", "syntax error line 1 at position"},
	{`SELECT 'unterminated`, "001003", "42000", "unexpected '<EOF>'"},
	{`SELECT NO_SUCH_FN(1)`, "002140", "42601", "Unknown function NO_SUCH_FN"},
	{`SELECT 1/0`, "100051", "22012", "Division by zero"},
	{`SELECT REGION_ID / 0 FROM DEMO.SALES.REGIONS`, "100051", "22012", "Division by zero"},
	{`SELECT 'abc'::INT`, "100038", "22018", "Numeric value 'abc' is not recognized"},
	{`SELECT TO_NUMBER('x1')`, "100038", "22018", "is not recognized"},
	{`SELECT 1; SELECT 2`, "000008", "0A000", "Actual statement count 2 did not match the desired statement count 1."},
	{`SELECT SYSTEM$WAIT(5)`, "000630", "57014", "timeout"},
	{`SELECT TO_CHAR(1234.5, '999,990.00')`, "000002", "0A000", "Unsupported feature 'TO_CHAR with a numeric format'"},
	{`SELECT NAME LIKE ANY (NAME, 'x%') FROM DEMO.SALES.REGIONS`, "000002", "0A000", "Unsupported feature"},
	{`SELECT f.value FROM TABLE(FLATTEN(INPUT => PARSE_JSON('[]'), OUTER => TRUE)) f`, "000002", "0A000", "Unsupported feature 'FLATTEN with OUTER => TRUE'"},
	{`SELECT TO_BOOLEAN('maybe')`, "100037", "22018", "Boolean value 'maybe' is not recognized"},
	{`SELECT TO_DATE('nope')`, "100040", "22007", "Date 'nope' is not recognized"},
}

var duckPhrases = []string{"Binder Error", "Parser Error", "Catalog Error", "Conversion Error", "Invalid Input Error", "Did you mean", "LINE 1:", "Candidate bindings", "DuckDB", "duckdb"}

func TestDialectCompatibility(t *testing.T) {
	emu := testemulator.Start(t)
	db, err := sql.Open("snowflake", emu.DSN("DEMO", "SALES"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ctx := context.Background()
	passed := 0
	for _, c := range compatCases {
		got, err := queryRow(ctx, db, c.sql)
		switch {
		case err != nil:
			t.Errorf("%s\n  error: %v", c.sql, err)
		case got != c.want:
			t.Errorf("%s\n   got: %q\n  want: %q", c.sql, got, c.want)
		default:
			passed++
		}
	}
	t.Logf("compatibility suite: %d of %d cases pass", passed, len(compatCases))
}

func TestDialectErrorsAreSnowflakes(t *testing.T) {
	emu := testemulator.Start(t)
	db, err := sql.Open("snowflake", emu.DSN("DEMO", "SALES"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	for _, c := range errorCases {
		_, err := queryErr(db, c.sql, c.code == "000630")
		var se *sf.SnowflakeError
		if !errors.As(err, &se) {
			t.Errorf("%s: want Snowflake error %s, got %v", c.sql, c.code, err)
			continue
		}
		if code := fmt.Sprintf("%06d", se.Number); code != c.code || se.SQLState != c.state || !strings.Contains(se.Message, c.contains) {
			t.Errorf("%s:\n  got %s (%s) %q\n want %s (%s) containing %q", c.sql, code, se.SQLState, se.Message, c.code, c.state, c.contains)
		}
		for _, p := range duckPhrases {
			if strings.Contains(se.Message, p) {
				t.Errorf("%s: message %q carries DuckDB wording %q", c.sql, se.Message, p)
			}
		}
		if len(c.sql) > 12 && strings.Contains(se.Message, c.sql) {
			t.Errorf("%s: message repeats the SQL text: %q", c.sql, se.Message)
		}
	}
}

func TestDialectSmugglingLeavesRegionsAlone(t *testing.T) {
	emu := testemulator.Start(t)
	db, err := sql.Open("snowflake", emu.DSN("DEMO", "SALES"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ctx := context.Background()
	for _, q := range smuggling {
		_, err := queryRow(ctx, db, q)
		var n int
		if cerr := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM DEMO.SALES.REGIONS").Scan(&n); cerr != nil {
			t.Fatalf("count regions: %v", cerr)
		}
		if n != 5 {
			t.Fatalf("%s (err %v) deleted regions: %d left", q, err, n)
		}
	}
	got, err := queryRow(ctx, db, smuggling[0])
	if err != nil || got != `'; DELETE FROM DEMO.SALES.REGIONS; --` {
		t.Fatalf("%s = %q, %v; want the one string", smuggling[0], got, err)
	}
	if got, err := queryRow(ctx, db, smuggling[1]); err != nil || got != "10" {
		t.Fatalf("%s = %q, %v; want 10 (the rest is a comment)", smuggling[1], got, err)
	}
}

// queryErr runs q on its own connection, with a 1 s statement timeout when asked.
func queryErr(db *sql.DB, q string, timeout bool) (string, error) {
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer func() { _ = conn.Close() }()
	if timeout {
		if _, err := conn.ExecContext(ctx, "ALTER SESSION SET STATEMENT_TIMEOUT_IN_SECONDS = 1"); err != nil {
			return "", err
		}
	}
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return "", err
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
	}
	return "", rows.Err()
}

// queryRow runs q and renders its first row.
func queryRow(ctx context.Context, db *sql.DB, q string) (string, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return "", err
	}
	defer func() { _ = rows.Close() }()
	cols, err := rows.ColumnTypes()
	if err != nil {
		return "", err
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return "", err
		}
		return "", errors.New("no rows")
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return "", err
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = render(v)
		if tm, ok := v.(time.Time); ok && cols[i].DatabaseTypeName() == "TIME" {
			out[i] = tm.Format("15:04:05.999999999")
		}
		if cols[i].DatabaseTypeName() == "BOOLEAN" && v != nil {
			// the JSON format scans booleans as "1"/"0", Arrow as bool
			out[i] = strconv.FormatBool(out[i] == "1" || out[i] == "true")
		}
	}
	return strings.Join(out, " | "), rows.Err()
}

var trailingZeros = regexp.MustCompile(`^(-?\d+)\.(\d*?)0+$`)

// render prints a scanned value the same way whichever wire format (JSON
// or Arrow) the emulator used: exact decimals without trailing zeros,
// dates as YYYY-MM-DD, timestamps without a zone.
func render(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		return string(x)
	case string:
		if m := trailingZeros.FindStringSubmatch(x); m != nil {
			if m[2] == "" {
				return m[1]
			}
			return m[1] + "." + m[2]
		}
		return x
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format("2006-01-02")
		}
		return x.Format("2006-01-02 15:04:05.999999999")
	}
	return fmt.Sprint(v)
}

func TestMain(m *testing.M) {
	_ = sf.GetLogger().SetLogLevel("fatal")
	os.Exit(testbin.Run(m))
}

// TestDialectResultTypes checks the Snowflake types of results, not only values.
func TestDialectResultTypes(t *testing.T) {
	emu := testemulator.Start(t)
	db, err := sql.Open("snowflake", emu.DSN("DEMO", "SALES"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ctx := context.Background()
	rows, err := db.QueryContext(ctx, `SELECT 1/3 AS Q, DATEADD(day, 1, '2024-01-01'::DATE) AS D, ARRAY_SIZE(PARSE_JSON('[1,2]')) AS N`)
	if err != nil {
		t.Fatal(err)
	}
	cts, err := rows.ColumnTypes()
	_ = rows.Close()
	if err != nil {
		t.Fatal(err)
	}
	if p, s, ok := cts[0].DecimalSize(); !ok || s != 6 || cts[0].DatabaseTypeName() != "FIXED" {
		t.Errorf("1/3: %s (%d,%d), want FIXED scale 6", cts[0].DatabaseTypeName(), p, s)
	}
	if cts[1].DatabaseTypeName() != "DATE" {
		t.Errorf("DATEADD on a DATE: %s, want DATE", cts[1].DatabaseTypeName())
	}

	// DESCRIBE VIEW and a query of the view report the same NUMBER precision.
	desc, err := db.QueryContext(ctx, "DESCRIBE VIEW DEMO.SALES.DAILY_REVENUE")
	if err != nil {
		t.Fatal(err)
	}
	described := map[string]string{}
	dcols, _ := desc.Columns()
	for desc.Next() {
		vals := make([]sql.NullString, len(dcols))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := desc.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		described[vals[0].String] = vals[1].String
	}
	_ = desc.Close()
	q, err := db.QueryContext(ctx, "SELECT * FROM DEMO.SALES.DAILY_REVENUE LIMIT 1")
	if err != nil {
		t.Fatal(err)
	}
	qcts, err := q.ColumnTypes()
	_ = q.Close()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, ct := range qcts {
		if p, s, ok := ct.DecimalSize(); ok && ct.DatabaseTypeName() == "FIXED" {
			checked++
			if want := fmt.Sprintf("NUMBER(%d,%d)", p, s); described[ct.Name()] != want {
				t.Errorf("column %s: DESCRIBE VIEW says %s, the query says %s", ct.Name(), described[ct.Name()], want)
			}
		}
	}
	if checked == 0 {
		t.Fatalf("no NUMBER columns compared (described %v)", described)
	}
}
