package emulator

import (
	"strings"
	"testing"
)

func TestTranslate(t *testing.T) {
	cases := []struct{ in, want string }{
		{`select a, "b" from t where s = 'x y' -- c`, `SELECT A, "b" FROM T WHERE S = 'x y'  `},
		{`select '{"a":1}'::variant, x::number, y::number(10,2), z::timestamp_ntz`, `SELECT '{"a":1}'::JSON, X::DECIMAL(38,0), Y::DECIMAL(10,2), Z::TIMESTAMP`},
		{`create table t (a number, b string, c variant, d timestamp_ltz)`, `CREATE TABLE T (A DECIMAL(38,0), B VARCHAR, C JSON, D TIMESTAMPTZ)`},
		{`select iff(a, 1, 2), parse_json(s) from x`, `SELECT IF(A, 1, 2), JSON(S) FROM X`},
		{`select $$it's$$, "Mixed"."Case"`, `SELECT 'it''s', "Mixed"."Case"`},
		{`select t.variant from t`, `SELECT T.VARIANT FROM T`},
		{`select settings:audience::string, c.settings:ab_test, v:a.b[0]['k'] from c`, `SELECT json_extract_string(SETTINGS, '$.audience'), json_extract(C.SETTINGS, '$.ab_test'), json_extract(V, '$.a.b[0].k') FROM C`},
		{`select [1,2,3][1:2], {'a': 1}`, `SELECT [1,2,3][1:2], {'a': 1}`},
		{`select top 5 a from t`, `SELECT A FROM T LIMIT 5`},
		{`select * from t sample (10)`, `SELECT * FROM T TABLESAMPLE 10%`},
		{`select * from t tablesample bernoulli (3 rows)`, `SELECT * FROM T TABLESAMPLE 3 ROWS`},
		{`select decode(x, 1, 'one', f(2, 3), 'two', 'other')`, `SELECT (CASE WHEN (X) IS NOT DISTINCT FROM ( 1) THEN ( 'one') WHEN (X) IS NOT DISTINCT FROM ( F(2, 3)) THEN ( 'two') ELSE ( 'other') END)`},
		{`select dateadd(day, 1, d), date_trunc(month, d)`, `SELECT DATEADD('day', 1, D), SF_DATE_TRUNC('month', D)`},
	}
	for _, c := range cases {
		if got := translate(c.in, "DEMO"); got != c.want {
			t.Errorf("translate(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

func TestInfoSchemaRewrite(t *testing.T) {
	got := translate(`select table_name from demo.information_schema.tables t where t.table_schema = 'SALES'`, "X")
	if !strings.Contains(got, "database_name = 'DEMO'") || strings.Contains(got, "AS TABLES") || !strings.HasSuffix(got, ") T WHERE T.TABLE_SCHEMA = 'SALES'") {
		t.Fatalf("qualified with alias: %s", got)
	}
	got = translate(`SELECT * FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_NAME = 'ORDERS'`, "DEMO")
	if !strings.Contains(got, "database_name = 'DEMO'") || !strings.Contains(got, ") AS COLUMNS WHERE") {
		t.Fatalf("unqualified: %s", got)
	}
}

func TestCreateComments(t *testing.T) {
	sql, stmts := createComments(`create or replace table s.t (a int comment 'the a', "b" varchar) comment = 'tbl'`)
	if strings.Contains(strings.ToUpper(sql), "COMMENT") {
		t.Fatalf("comments left in %q", sql)
	}
	want := []string{`COMMENT ON COLUMN S.T.A IS 'the a'`, `COMMENT ON TABLE S.T IS 'tbl'`}
	if strings.Join(stmts, ";") != strings.Join(want, ";") {
		t.Fatalf("stmts %q, want %q", stmts, want)
	}
}

func TestLikeMatch(t *testing.T) {
	for _, c := range []struct {
		s, p string
		ok   bool
	}{{"ORDERS", "ORD%", true}, {"ORDERS", "%DER_", true}, {"ORDERS", "X%", false}, {"A_B", `A\_B`, true}, {"AXB", `A\_B`, false}} {
		if likeMatch(c.s, c.p) != c.ok {
			t.Errorf("likeMatch(%q, %q) != %v", c.s, c.p, c.ok)
		}
	}
}

// BenchmarkSeed measures building the embedded demo warehouse (target: well under 2 s).
func BenchmarkSeed(b *testing.B) {
	for b.Loop() {
		s, err := New(Config{})
		if err != nil {
			b.Fatal(err)
		}
		_ = s.Close()
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/seed")
}
