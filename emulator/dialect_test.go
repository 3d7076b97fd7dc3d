package emulator

import (
	"strings"
	"testing"
)

func TestLexSnowflakeStrings(t *testing.T) {
	cases := []struct{ in, val string }{
		{`'it''s'`, "it's"},
		{`'a\'b'`, "a'b"},
		{`'\\'`, `\`},
		{`'\n\t\x41\u00e9\101\q'`, "\n\tAéAq"},
		{`$$x 'y' \n$$`, `x 'y' \n`},
	}
	for _, c := range cases {
		toks := lex(c.in)
		if len(toks) != 1 || toks[0].kind != tokString || toks[0].val != c.val || toks[0].open {
			t.Errorf("lex(%s) = %+v, want one string %q", c.in, toks, c.val)
		}
	}
	for _, open := range []string{`'abc`, `'a\'`, `$$x`, `"id`, `/* c`} {
		if toks := lex(open); !toks[len(toks)-1].open {
			t.Errorf("lex(%s): last token not marked open", open)
		}
	}
}

func TestTranslateKeepsOneStatement(t *testing.T) {
	cases := []struct{ in, want string }{
		{`SELECT '\'; DELETE FROM T; --'`, `SELECT '''; DELETE FROM T; --'`},
		{`SELECT 10 // 2; DELETE FROM T`, `SELECT 10  `},
		{`SELECT /* /* */ 1`, `SELECT   1`},
		{`SELECT E'\\'`, `SELECT E '\'`},
		{`SELECT $a$ 'x'`, `SELECT $ A$ 'x'`},
		{"SELECT 'a\x00b'", `SELECT ('a' || chr(0) || 'b')`},
	}
	for _, c := range cases {
		got, err := translateStatement(c.in, "DEMO")
		if err != nil {
			t.Errorf("translateStatement(%q): %v", c.in, err)
			continue
		}
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("translateStatement(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
		if n := duckStatementCount(got); n != 1 {
			t.Errorf("%q: DuckDB would see %d statements", got, n)
		}
	}
	if _, err := translateStatement(`SELECT 'open`, "DEMO"); err == nil || !strings.Contains(err.Error(), "<EOF>") {
		t.Errorf("unterminated string: %v, want a syntax error at <EOF>", err)
	}
}

func TestDuckStatementCount(t *testing.T) {
	cases := map[string]int{
		`SELECT 1`:                      1,
		`SELECT 1; SELECT 2`:            2,
		`SELECT 'a;b'`:                  1,
		`SELECT E'\';' ; SELECT 2`:      2,
		`SELECT $x$ ; $x$`:              1,
		`SELECT /* /* ; */ ; */ 1`:      1,
		`SELECT 1 -- ; SELECT 2`:        1,
		`SELECT "a;b" FROM t; `:         1,
		`SELECT 10 // 2; DELETE FROM t`: 2,
	}
	for sql, want := range cases {
		if got := duckStatementCount(sql); got != want {
			t.Errorf("duckStatementCount(%q) = %d, want %d", sql, got, want)
		}
	}
}

func TestStrftimeFormat(t *testing.T) {
	cases := map[string]string{
		"YYYY-MM-DD":                "%Y-%m-%d",
		"DD/MM/YY HH24:MI:SS":       "%d/%m/%y %H:%M:%S",
		`MON DD, YYYY "at" HH12 AM`: "%b %d, %Y at %I %p",
		"100%":                      "100%%",
	}
	for in, want := range cases {
		if got := strftimeFormat(in); got != want {
			t.Errorf("strftimeFormat(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSnowflakeErrorWording(t *testing.T) {
	cases := []struct{ duck, code, msg string }{
		{"Binder Error: Catalog \"NOPE\" does not exist!", "002003", "Database 'NOPE' does not exist or not authorized."},
		{"Catalog Error: Table with name nope does not exist!\nDid you mean \"pg_enum\"?\n\nLINE 1: SELECT * FROM nope\n  ^", "002003", "Object 'NOPE' does not exist or not authorized."},
		{"Binder Error: Referenced column \"x\" not found in FROM clause!\nCandidate bindings: \"a\"", "000904", "invalid identifier 'X'"},
		{"Parser Error: syntax error at or near \"WHERE\"\n\nLINE 1: SELECT 1 FROM WHERE\n                      ^", "001003", "syntax error line 1 at position 14 unexpected 'WHERE'."},
		{"Catalog Error: Scalar Function with name foo does not exist!\nDid you mean \"floor\"?", "002140", "Unknown function FOO"},
		{"Conversion Error: Could not convert string 'abc' to INT32\n\nLINE 1: SELECT 'abc'::INT", "100038", "Numeric value 'abc' is not recognized"},
		{"Invalid Input Error: [sf 100051] Division by zero", "100051", "Division by zero"},
	}
	for _, c := range cases {
		se := snowflakeError(errString(c.duck))
		if se.code != c.code || !strings.Contains(se.msg, c.msg) {
			t.Errorf("%q -> %s %q, want %s containing %q", c.duck, se.code, se.msg, c.code, c.msg)
		}
		if duckWords.MatchString(se.msg) || strings.Contains(se.msg, "SELECT") {
			t.Errorf("%q -> %q keeps DuckDB wording or SQL text", c.duck, se.msg)
		}
	}
}

type errString string

func (e errString) Error() string { return string(e) }
