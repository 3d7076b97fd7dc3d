package emulator

import (
	"strings"
)

// token is one lexical unit of a SQL text; only the distinctions the
// translator needs are kept.
type token struct {
	kind tokKind
	text string
}

type tokKind int

const (
	tokWord   tokKind = iota // bare identifier or keyword
	tokQuoted                // "quoted identifier"
	tokString                // 'string' or $$string$$
	tokNumber
	tokSpace // whitespace and comments
	tokPunct
)

// lex splits sql into tokens. It never fails: unterminated quotes run to the end.
func lex(sql string) []token {
	var toks []token
	i := 0
	for i < len(sql) {
		c := sql[i]
		start := i
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			for i < len(sql) && strings.IndexByte(" \t\n\r\f", sql[i]) >= 0 {
				i++
			}
			toks = append(toks, token{tokSpace, sql[start:i]})
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-', c == '/' && i+1 < len(sql) && sql[i+1] == '/':
			for i < len(sql) && sql[i] != '\n' {
				i++
			}
			toks = append(toks, token{tokSpace, sql[start:i]})
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			end := strings.Index(sql[i+2:], "*/")
			if end < 0 {
				i = len(sql)
			} else {
				i += end + 4
			}
			toks = append(toks, token{tokSpace, sql[start:i]})
		case c == '\'':
			i++
			for i < len(sql) {
				if sql[i] == '\\' && i+1 < len(sql) {
					i += 2
					continue
				}
				if sql[i] == '\'' {
					if i+1 < len(sql) && sql[i+1] == '\'' {
						i += 2
						continue
					}
					i++
					break
				}
				i++
			}
			toks = append(toks, token{tokString, sql[start:i]})
		case c == '$' && i+1 < len(sql) && sql[i+1] == '$':
			end := strings.Index(sql[i+2:], "$$")
			if end < 0 {
				i = len(sql)
			} else {
				i += end + 4
			}
			toks = append(toks, token{tokString, sql[start:i]})
		case c == '"':
			i++
			for i < len(sql) {
				if sql[i] == '"' {
					if i+1 < len(sql) && sql[i+1] == '"' {
						i += 2
						continue
					}
					i++
					break
				}
				i++
			}
			toks = append(toks, token{tokQuoted, sql[start:i]})
		case isIdentStart(c):
			for i < len(sql) && isIdentPart(sql[i]) {
				i++
			}
			toks = append(toks, token{tokWord, sql[start:i]})
		case c >= '0' && c <= '9':
			for i < len(sql) && (isIdentPart(sql[i]) || sql[i] == '.') {
				i++
			}
			toks = append(toks, token{tokNumber, sql[start:i]})
		case c == ':' && i+1 < len(sql) && sql[i+1] == ':':
			i += 2
			toks = append(toks, token{tokPunct, "::"})
		default:
			i++
			toks = append(toks, token{tokPunct, sql[start:i]})
		}
	}
	return toks
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

func isIdentPart(c byte) bool {
	return isIdentStart(c) || (c >= '0' && c <= '9') || c == '$'
}

// significant returns the tokens that are not whitespace or comments.
func significant(toks []token) []token {
	out := make([]token, 0, len(toks))
	for _, t := range toks {
		if t.kind != tokSpace {
			out = append(out, t)
		}
	}
	return out
}

// typeRewrites maps Snowflake type names DuckDB lacks onto DuckDB types.
// DuckDB has a single TIMESTAMPTZ type; see translate for TIMESTAMP_TZ.
var typeRewrites = map[string]string{
	"VARIANT":       "JSON",
	"OBJECT":        "JSON",
	"TIMESTAMP_NTZ": "TIMESTAMP",
	"DATETIME":      "TIMESTAMP",
	"TIMESTAMP_LTZ": "TIMESTAMPTZ",
	"TIMESTAMP_TZ":  "TIMESTAMPTZ",
	"NUMBER":        "DECIMAL",
	"STRING":        "VARCHAR",
	"BYTEINT":       "TINYINT",
	"VARBINARY":     "BLOB",
	"BINARY":        "BLOB",
	"FLOAT4":        "DOUBLE",
	"FLOAT8":        "DOUBLE",
	"FLOAT":         "DOUBLE",
	"REAL":          "DOUBLE",
}

// scalarRewrites maps Snowflake functions onto DuckDB equivalents by name.
var scalarRewrites = map[string]string{
	"PARSE_JSON":           "JSON",
	"TO_VARIANT":           "TO_JSON",
	"ARRAY_CONSTRUCT":      "LIST_VALUE",
	"OBJECT_CONSTRUCT":     "JSON_OBJECT",
	"ARRAY_SIZE":           "LEN",
	"IFF":                  "IF",
	"NVL":                  "COALESCE",
	"SYSDATE":              "NOW",
	"LISTAGG":              "STRING_AGG",
	"SPLIT":                "STRING_SPLIT",
	"HEX_ENCODE":           "HEX",
	"BASE64_ENCODE":        "TO_BASE64",
	"BASE64_DECODE_STRING": "FROM_BASE64",
}

// translate rewrites Snowflake SQL into DuckDB SQL: unquoted identifiers are
// upper-cased (Snowflake resolves and reports them upper-case), Snowflake type
// names are mapped where a type is expected (after `::`, AS, or a column name
// in a definition list), and a few functions are renamed.
func translate(sql, curDB string) string {
	toks := rewriteSample(rewriteDecode(rewriteTop(quoteDateParts(rewriteJSONPaths(rewriteInfoSchema(lex(sql), curDB))))))
	var b strings.Builder
	b.Grow(len(sql) + 16)
	var prev, prev2 token
	for i, t := range toks {
		if t.kind != tokWord {
			b.WriteString(t.text)
			if t.kind != tokSpace {
				prev2, prev = prev, t
			}
			continue
		}
		up := strings.ToUpper(t.text)
		next := nextSignificant(toks, i)
		typeCtx := prev.text == "::" || strings.EqualFold(prev.text, "AS") ||
			((prev.kind == tokWord || prev.kind == tokQuoted) &&
				(prev2.text == "(" || prev2.text == "," || strings.EqualFold(prev2.text, "COLUMN")))
		qualified := prev.text == "." || next.text == "."
		rw, isType := typeRewrites[up]
		switch {
		case isType && typeCtx && !qualified:
			switch {
			case up == "NUMBER" && next.text != "(":
				rw = "DECIMAL(38,0)"
			case up == "TIMESTAMP_TZ" && prev.text == "::":
				// Only a cast can carry the TZ label (a one-member UNION the
				// encoder recognises); DuckDB won't store strings into it.
				rw = "TIMESTAMPTZ::UNION(SF_TZ TIMESTAMPTZ)"
			case up == "TIMESTAMP_TZ":
				rw = "TIMESTAMPTZ"
			}
			b.WriteString(rw)
		case up == "ARRAY" && typeCtx && !qualified && next.text != "(" && next.text != "[":
			b.WriteString("JSON")
		default:
			if fn, ok := scalarRewrites[up]; ok && next.text == "(" && !qualified {
				b.WriteString(fn)
			} else {
				b.WriteString(up)
			}
		}
		prev2, prev = prev, t
	}
	return b.String()
}

func nextSignificant(toks []token, i int) token {
	for j := i + 1; j < len(toks); j++ {
		if toks[j].kind != tokSpace {
			return toks[j]
		}
	}
	return token{kind: tokSpace}
}

// unquoteIdent turns a Snowflake identifier token into its catalog name:
// quoted ones keep their case, bare ones are upper-cased.
func unquoteIdent(t token) string {
	if t.kind == tokQuoted {
		s := t.text
		if len(s) >= 2 {
			s = s[1 : len(s)-1]
		}
		return strings.ReplaceAll(s, `""`, `"`)
	}
	return strings.ToUpper(t.text)
}

// quoteIdent quotes a catalog name for DuckDB.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// quoteString quotes a string literal for DuckDB.
func quoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// datePartFuncs take a bare date part (day, month, ...) as first argument,
// which DuckDB needs as a string.
var datePartFuncs = map[string]bool{
	"DATEADD": true, "DATEDIFF": true, "TIMESTAMPADD": true, "TIMESTAMPDIFF": true, "TIMEADD": true,
	"TIMEDIFF": true, "DATE_PART": true, "DATE_TRUNC": true, "TIME_SLICE": false,
}

// quoteDateParts turns DATEADD(day, ...) into DATEADD('day', ...).
func quoteDateParts(toks []token) []token {
	for i := 0; i < len(toks); i++ {
		if toks[i].kind != tokWord || !datePartFuncs[strings.ToUpper(toks[i].text)] {
			continue
		}
		j := nextSigIndex(toks, i)
		if j < 0 || toks[j].text != "(" {
			continue
		}
		k := nextSigIndex(toks, j)
		if k < 0 || toks[k].kind != tokWord {
			continue
		}
		if l := nextSigIndex(toks, k); l < 0 || toks[l].text != "," {
			continue
		}
		toks[k] = token{tokString, quoteString(strings.ToLower(toks[k].text))}
	}
	return toks
}

func nextSigIndex(toks []token, i int) int {
	for j := i + 1; j < len(toks); j++ {
		if toks[j].kind != tokSpace {
			return j
		}
	}
	return -1
}

// rewriteTop turns a top-level SELECT [DISTINCT] TOP n ... into ... LIMIT n.
func rewriteTop(toks []token) []token {
	depth := 0
	for i := 0; i < len(toks); i++ {
		switch toks[i].text {
		case "(":
			depth++
		case ")":
			depth--
		}
		if depth != 0 || !isKW(toks[i], "SELECT") {
			continue
		}
		j := nextSigIndex(toks, i)
		if j >= 0 && isKW(toks[j], "DISTINCT") {
			j = nextSigIndex(toks, j)
		}
		if j < 0 || !isKW(toks[j], "TOP") {
			continue
		}
		k := nextSigIndex(toks, j)
		if k < 0 || toks[k].kind != tokNumber {
			continue
		}
		n := toks[k].text
		rest := k + 1
		if rest < len(toks) && toks[rest].kind == tokSpace {
			rest++
		}
		out := append([]token{}, toks[:j]...)
		out = append(out, toks[rest:]...)
		return append(out, token{tokPunct, " LIMIT " + n})
	}
	return toks
}

// rewriteSample turns SAMPLE|TABLESAMPLE [BERNOULLI|ROW|SYSTEM|BLOCK] (n [ROWS])
// into DuckDB's TABLESAMPLE n% / n ROWS.
func rewriteSample(toks []token) []token {
	for i := 0; i < len(toks); i++ {
		if !isKW(toks[i], "SAMPLE") && !isKW(toks[i], "TABLESAMPLE") {
			continue
		}
		if p := prevSigIndex(toks, i); p >= 0 && isKW(toks[p], "USING") {
			continue
		}
		j := nextSigIndex(toks, i)
		for j >= 0 && (isKW(toks[j], "BERNOULLI") || isKW(toks[j], "ROW") || isKW(toks[j], "SYSTEM") || isKW(toks[j], "BLOCK")) {
			j = nextSigIndex(toks, j)
		}
		if j < 0 || toks[j].text != "(" {
			continue
		}
		k := nextSigIndex(toks, j)
		if k < 0 || toks[k].kind != tokNumber {
			continue
		}
		l := nextSigIndex(toks, k)
		rows := false
		if l >= 0 && isKW(toks[l], "ROWS") {
			rows = true
			l = nextSigIndex(toks, l)
		}
		if l < 0 || toks[l].text != ")" {
			continue
		}
		repl := "TABLESAMPLE " + toks[k].text + "%"
		if rows {
			repl = "TABLESAMPLE " + toks[k].text + " ROWS"
		}
		out := append([]token{}, toks[:i]...)
		out = append(out, token{tokPunct, repl})
		toks = append(out, toks[l+1:]...)
	}
	return toks
}

func prevSigIndex(toks []token, i int) int {
	for j := i - 1; j >= 0; j-- {
		if toks[j].kind != tokSpace {
			return j
		}
	}
	return -1
}

// rewriteDecode turns DECODE(e, s1, r1, ..., [default]) into a CASE expression.
func rewriteDecode(toks []token) []token {
	for i := 0; i < len(toks); i++ {
		if !isKW(toks[i], "DECODE") {
			continue
		}
		open := nextSigIndex(toks, i)
		if open < 0 || toks[open].text != "(" {
			continue
		}
		var args [][]token
		var cur []token
		depth, end := 0, -1
		for j := open + 1; j < len(toks) && end < 0; j++ {
			t := toks[j]
			switch {
			case t.text == "(" || t.text == "[" || t.text == "{":
				depth++
			case (t.text == ")" || t.text == "]" || t.text == "}") && depth > 0:
				depth--
			case t.text == ")":
				args = append(args, cur)
				end = j
				continue
			case t.text == "," && depth == 0:
				args = append(args, cur)
				cur = nil
				continue
			}
			cur = append(cur, t)
		}
		if end < 0 || len(args) < 3 {
			continue
		}
		join := func(ts []token) []token { return ts }
		var repl []token
		add := func(s string) { repl = append(repl, token{tokPunct, s}) }
		add("(CASE")
		for a := 1; a+1 < len(args); a += 2 {
			// Snowflake's DECODE matches NULL to NULL
			add(" WHEN (")
			repl = append(repl, join(args[0])...)
			add(") IS NOT DISTINCT FROM (")
			repl = append(repl, join(args[a])...)
			add(") THEN (")
			repl = append(repl, join(args[a+1])...)
			add(")")
		}
		if len(args)%2 == 0 {
			add(" ELSE (")
			repl = append(repl, join(args[len(args)-1])...)
			add(")")
		}
		add(" END)")
		out := append([]token{}, toks[:i]...)
		out = append(out, repl...)
		toks = append(out, toks[end+1:]...)
	}
	return toks
}
