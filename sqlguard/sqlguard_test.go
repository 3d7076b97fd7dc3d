package sqlguard

import (
	"strings"
	"testing"
)

var allowed = []string{
	"SELECT 1",
	"select 1;",
	"  SELECT 1 ;  -- trailing comment",
	"SELECT 'a;b' AS x",
	"SELECT 'it''s; DROP TABLE t' FROM t",
	`SELECT 'it\'s; DROP TABLE t' FROM t`,
	`SELECT "weird;""name" FROM "DB"."S"."T"`,
	"SELECT $$ ; DELETE FROM t; $$",
	"SELECT 1 -- ; DROP TABLE t",
	"SELECT 1 // ; DROP TABLE t",
	"SELECT /* ; DROP TABLE t */ 1",
	"WITH a AS (SELECT 1 AS x), b AS (SELECT x FROM a) SELECT * FROM b",
	"WITH RECURSIVE r (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT n FROM r",
	"WITH a AS (SELECT 1) (SELECT * FROM a)",
	"(SELECT 1) UNION (SELECT 2)",
	"SHOW TABLES IN SCHEMA DEMO.SALES",
	"show databases",
	"DESCRIBE TABLE DEMO.SALES.ORDERS",
	"desc view v",
	"EXPLAIN SELECT * FROM t",
	"SELECT SYSTEM$WAIT(30)",
	"SELECT src:update::string FROM t",
	"SELECT t.delete FROM t",
	`SELECT "INSERT" FROM t`,
	"SELECT ARRAY_INSERT(a, 0, 1), OBJECT_DELETE(o, 'k') FROM t",
	"SELECT $1, $2 FROM @stage",
	"SELECT 1.5e3, .5, 'ünïcode' FROM ĝ",
	// Snowflake's pipe operator chains statements; read-only ones may be chained.
	`SHOW TABLES ->> SELECT "name" FROM $1`,
	"SELECT 1 AS a ->> SELECT a FROM $1 ->> SELECT * FROM $2;",
	"SELECT FILTER(a, x -> x > 1) FROM t",
	// Stage references.
	"SELECT $1 FROM @s/path/file.csv",
	`SELECT $1, $2 FROM @"My Stage"/a-b/c.csv (FILE_FORMAT => 'f') -- x`,
	"SELECT $1 FROM @~/x, @%t/y;",
	"SELECT $1 FROM '@s//x'",
	// Unicode spaces and invisible characters are fine inside strings, identifiers and comments.
	"SELECT 'a\u00a0b\u200b;', \"x\u200by\" FROM t /* \u2028 */ -- \u00a0 ünïcode",
}

var refused = []string{
	"",
	";",
	"   -- only a comment",
	"SELECT 1; SELECT 2",
	"SELECT 1;;",
	"SELECT 1; DROP TABLE t",
	"SELECT 1 /* x */; DROP TABLE t",
	"SELECT 1 --\n; DROP TABLE t",
	"SELECT 1 //\r; DROP TABLE t",
	"INSERT INTO t VALUES (1)",
	"insert into t select 1",
	"UPDATE t SET a = 1",
	"DELETE FROM t",
	"MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE",
	"DROP TABLE t",
	"CREATE TABLE t (a INT)",
	"ALTER SESSION SET QUERY_TAG = 'x'",
	"TRUNCATE TABLE t",
	"GRANT SELECT ON t TO ROLE r",
	"USE DATABASE DEMO",
	"CALL proc()",
	"EXECUTE IMMEDIATE 'DROP TABLE t'",
	"BEGIN DROP TABLE t; END",
	"COPY INTO t FROM @s",
	"PUT file:///x @s",
	"SET x = 1",
	"WITH a AS (SELECT 1) INSERT INTO t SELECT * FROM a",
	"WITH a AS (SELECT 1) DELETE FROM t",
	"WITH p AS PROCEDURE () RETURNS INT LANGUAGE SQL AS $$ SELECT 1 $$ CALL p()",
	"EXPLAIN INSERT INTO t VALUES (1)",
	"SELECT * FROM (DELETE FROM t)",
	"SELECT 'unterminated",
	"SELECT \"unterminated",
	"SELECT /* unterminated",
	"SELECT $$ unterminated",
	"SELECT /* /* nested */ 1 */",
	"SELECT a$$b FROM t",
	"SELECT 1 \x00; DROP TABLE t",
	"SELECT '\xff'",
	`SELECT 'a\\'; DROP TABLE t`,
	"SELECT SYSTEM$CANCEL_ALL_QUERIES(1)",
	"SELECT system$abort_session(1)",
	"WITH a AS (SELECT 1)",
	"WITH a AS (SELECT 1)) SELECT 1",
	"( )",
	"123",
	// The pipe operator ->> runs every statement in the chain.
	"SHOW TABLES ->> USE ROLE ACCOUNTADMIN",
	"SELECT 1 ->> USE SECONDARY ROLES ALL",
	"SELECT 1 ->> SET x = 1",
	"SHOW TABLES ->> COMMENT ON TABLE t IS 'x'",
	"SELECT 1 ->> RM @s",
	"DESC TABLE t ->> BEGIN TRANSACTION",
	"EXPLAIN SELECT 1 ->> ROLLBACK",
	"SELECT 1 ->> SELECT 2 ->> UNSET x",
	"SELECT 1 - > > USE ROLE r",
	"SELECT 1 ->>",
	"->> SELECT 1",
	"(SELECT 1) ->> (USE ROLE r)",
	// Characters that Snowflake may read as a separator although this tokenizer would not.
	"SELECT 1,\u00a0SYSTEM$CANCEL_QUERY('01b2')",
	"SELECT 1,\u200bSYSTEM$ABORT_SESSION(1)",
	"SELECT 1,\ufeffSYSTEM$CANCEL_ALL_QUERIES(1)",
	"SELECT 1 FROM t\uff1bDROP TABLE t",
	"SELECT 1 FROM t\u037e USE ROLE r",
	"SELECT 1 FROM t WHERE éDELETE",
	"SELECT 1 -- x\u2028; USE ROLE ACCOUNTADMIN",
	"SELECT 1 // x\u0085; USE ROLE ACCOUNTADMIN",
	"SELECT 1\u3000FROM t",
	// Snowflake reads an unquoted stage path up to a space (@stage//path is a path),
	// so a comment or quote opener inside one is ambiguous.
	"SELECT $1 FROM @s//x ->> USE ROLE ACCOUNTADMIN",
	"SELECT $1 FROM @s/a--b ->> USE ROLE r",
	"SELECT $1 FROM @s/$$ ->> USE ROLE r -- $$",
	"SELECT $1 FROM @s/a' ->> USE ROLE r --'",
	"SELECT $1 FROM @s/a/* ->> USE ROLE r */",
	`SELECT $1 FROM @"st"//x ->> USE ROLE r`,
	// Documented "control" system functions that change state or act outside Snowflake.
	"SELECT SYSTEM$SEND_EMAIL('int', 'a@example.com', 's', 'b')",
	"SELECT SYSTEM$GLOBAL_ACCOUNT_SET_PARAMETER('org.acct', 'ENABLE_X', 'true')",
	"SELECT SYSTEM$CLEANUP_DATABASE_ROLE_GRANTS('d.r', 'share')",
	"SELECT SYSTEM$UNBLOCK_INTERNAL_STAGES_PUBLIC_ACCESS()",
	"SELECT SYSTEM$GENERATE_SCIM_ACCESS_TOKEN('okta')",
	"SELECT SYSTEM$DEREGISTER_CMK_INFO()",
	"SELECT SYSTEM$LOG('info', 'x')",
}

func TestClassifyAllowed(t *testing.T) {
	for _, q := range allowed {
		if _, err := Classify(q); err != nil {
			t.Errorf("Classify(%q) = %v, want allowed", q, err)
		}
	}
}

func TestClassifyRefused(t *testing.T) {
	for _, q := range refused {
		k, err := Classify(q)
		if err == nil {
			t.Errorf("Classify(%q) allowed as %s, want refused", q, k)
			continue
		}
		if !IsRefused(err) {
			t.Errorf("Classify(%q) error %T is not a *RefusedError", q, err)
		}
	}
}

func TestClassifyKinds(t *testing.T) {
	cases := map[string]Kind{
		"select 1":                                   KindSelect,
		"with a as (select 1) select 1":              KindWith,
		"SHOW SCHEMAS":                               KindShow,
		"DESC TABLE t":                               KindDescribe,
		"explain using text select 1":                KindExplain,
		"/* lead */ (select 1) union all (select 2)": KindSelect,
		"SHOW TABLES ->> SELECT * FROM $1":           KindSelect,
		"SELECT 1 ->> DESC RESULT LAST_QUERY_ID()":   KindDescribe,
	}
	for q, want := range cases {
		got, err := Classify(q)
		if err != nil || got != want {
			t.Errorf("Classify(%q) = %q, %v; want %q", q, got, err, want)
		}
	}
}

func TestRefusalNamesStatement(t *testing.T) {
	_, err := Classify("delete from t")
	if err == nil || !strings.Contains(err.Error(), "DELETE") || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("error %v should name DELETE and read-only mode", err)
	}
}

func TestTokenize(t *testing.T) {
	toks, err := Tokenize(`SELECT "a""b", 'c''d', $$e$$ -- x
	FROM t /* y */ WHERE n >= 1.5e3;`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tk := range toks {
		got = append(got, tk.Text)
	}
	want := []string{"SELECT", `"a""b"`, ",", "'c''d'", ",", "$$e$$", "FROM", "t", "WHERE", "n", ">", "=", "1.5e3", ";"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("tokens\n got %q\nwant %q", got, want)
	}
}

func TestQuoteIdent(t *testing.T) {
	cases := []struct{ in, want string }{
		{"orders", `"ORDERS"`},
		{"Orders_2$", `"ORDERS_2$"`},
		{"_x", `"_X"`},
		{`"Mixed Case"`, `"Mixed Case"`},
		{`"a""b"`, `"a""b"`},
		{"my table", `"my table"`},
		{"2fast", `"2fast"`},
		{`x"; DROP TABLE t; --`, `"x""; DROP TABLE t; --"`},
		{`"; DROP DATABASE DEMO; --`, `"""; DROP DATABASE DEMO; --"`},
		{"  padded  ", `"PADDED"`},
	}
	for _, c := range cases {
		got, err := QuoteIdent(c.in)
		if err != nil || got != c.want {
			t.Errorf("QuoteIdent(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "  ", `""`, `"a"b"`, "a\nb", "a\x00b", strings.Repeat("x", 256)} {
		if got, err := QuoteIdent(bad); err == nil {
			t.Errorf("QuoteIdent(%q) = %q, want error", bad, got)
		}
	}
}

func TestObjectName(t *testing.T) {
	cases := []struct{ db, schema, obj, want string }{
		{"demo", "sales", "orders", `"DEMO"."SALES"."ORDERS"`},
		{"demo", "", "sales.orders", `"DEMO"."SALES"."ORDERS"`},
		{"ignored", "ignored", "db2.s2.t2", `"DB2"."S2"."T2"`},
		{"demo", "", "orders", `"DEMO"."PUBLIC"."ORDERS"`},
		{"", "", "orders", `"ORDERS"`},
		{"demo", "sales", `"a.b"`, `"DEMO"."SALES"."a.b"`},
		{"demo", "sales", `s."x"". y"`, `"DEMO"."S"."x"". y"`},
	}
	for _, c := range cases {
		got, err := ObjectName(c.db, c.schema, c.obj)
		if err != nil || got != c.want {
			t.Errorf("ObjectName(%q,%q,%q) = %q, %v; want %q", c.db, c.schema, c.obj, got, err, c.want)
		}
	}
	// A stray quote makes the whole argument one literal (harmless) name.
	if got, err := ObjectName("d", "s", `V"; DROP TABLE t; --`); err != nil || got != `"D"."S"."V""; DROP TABLE t; --"` {
		t.Errorf("stray quote: %q, %v", got, err)
	}
	for _, bad := range []string{"a.b.c.d", "a..b", ".x", ""} {
		if got, err := ObjectName("d", "s", bad); err == nil {
			t.Errorf("ObjectName(%q) = %q, want error", bad, got)
		}
	}
}

// Many @ in a row must not make the stage-path check quadratic.
func TestTokenizeManyAts(t *testing.T) {
	if _, err := Tokenize("SELECT " + strings.Repeat("@", 1<<20)); err != nil {
		t.Fatal(err)
	}
}
