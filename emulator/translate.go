package emulator

import (
	"strconv"
	"strings"
)

// token is one lexical unit of a SQL text; only the distinctions the
// translator needs are kept.
type token struct {
	kind tokKind
	text string
	// val is a string literal's value after Snowflake's escapes are read.
	val string
	// open marks a string, quoted identifier or comment left unterminated.
	open bool
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

// lex splits sql into tokens by Snowflake's lexical rules: `--` and `//`
// line comments, /* */ block comments ending at the first */ (they do not
// nest), '...' strings with ” and backslash escapes, $$...$$ strings and
// "quoted" identifiers with "". It never fails: an unterminated string,
// identifier or comment runs to the end and is marked open.
func lex(sql string) []token {
	var toks []token
	i := 0
	for i < len(sql) {
		c := sql[i]
		start := i
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			for i < len(sql) && strings.IndexByte(" \t\n\r\f\v", sql[i]) >= 0 {
				i++
			}
			toks = append(toks, token{kind: tokSpace, text: sql[start:i]})
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-', c == '/' && i+1 < len(sql) && sql[i+1] == '/':
			for i < len(sql) && sql[i] != '\n' {
				i++
			}
			toks = append(toks, token{kind: tokSpace, text: sql[start:i]})
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			end := strings.Index(sql[i+2:], "*/")
			open := end < 0
			if open {
				i = len(sql)
			} else {
				i += end + 4
			}
			toks = append(toks, token{kind: tokSpace, text: sql[start:i], open: open})
		case c == '\'':
			val, n, open := lexString(sql[i:])
			i += n
			toks = append(toks, token{kind: tokString, text: sql[start:i], val: val, open: open})
		case c == '$' && i+1 < len(sql) && sql[i+1] == '$':
			end := strings.Index(sql[i+2:], "$$")
			open := end < 0
			if open {
				i = len(sql)
			} else {
				i += end + 4
			}
			val := sql[start+2 : max(start+2, i-2)]
			if open {
				val = sql[start+2:]
			}
			toks = append(toks, token{kind: tokString, text: sql[start:i], val: val, open: open})
		case c == '"':
			i++
			open := true
			for i < len(sql) {
				if sql[i] == '"' {
					if i+1 < len(sql) && sql[i+1] == '"' {
						i += 2
						continue
					}
					i++
					open = false
					break
				}
				i++
			}
			toks = append(toks, token{kind: tokQuoted, text: sql[start:i], open: open})
		case isIdentStart(c):
			for i < len(sql) && isIdentPart(sql[i]) {
				i++
			}
			toks = append(toks, token{kind: tokWord, text: sql[start:i]})
		case c >= '0' && c <= '9', c == '.' && i+1 < len(sql) && sql[i+1] >= '0' && sql[i+1] <= '9':
			i = lexNumber(sql, i)
			toks = append(toks, token{kind: tokNumber, text: sql[start:i]})
		case c == ':' && i+1 < len(sql) && sql[i+1] == ':':
			i += 2
			toks = append(toks, token{kind: tokPunct, text: "::"})
		case c == '=' && i+1 < len(sql) && sql[i+1] == '>':
			i += 2
			toks = append(toks, token{kind: tokPunct, text: "=>"})
		default:
			i++
			toks = append(toks, token{kind: tokPunct, text: sql[start:i]})
		}
	}
	return toks
}

// lexNumber scans digits, one decimal point and an exponent starting at i.
func lexNumber(sql string, i int) int {
	digits := func() {
		for i < len(sql) && sql[i] >= '0' && sql[i] <= '9' {
			i++
		}
	}
	digits()
	if i < len(sql) && sql[i] == '.' {
		i++
		digits()
	}
	if i < len(sql) && (sql[i] == 'e' || sql[i] == 'E') {
		j := i + 1
		if j < len(sql) && (sql[j] == '+' || sql[j] == '-') {
			j++
		}
		if j < len(sql) && sql[j] >= '0' && sql[j] <= '9' {
			i = j
			digits()
		}
	}
	return i
}

// lexString reads a '...' literal at the start of s and returns its value,
// its length in s and whether it was left open. Snowflake reads ” as a
// quote and these backslash escapes: \' \" \\ \b \f \n \r \t \0, octal
// \ooo, hex \xhh and \uhhhh; any other escaped character stands for itself.
func lexString(s string) (string, int, bool) {
	var b strings.Builder
	i := 1
	for i < len(s) {
		c := s[i]
		switch {
		case c == '\'' && i+1 < len(s) && s[i+1] == '\'':
			b.WriteByte('\'')
			i += 2
		case c == '\'':
			return b.String(), i + 1, false
		case c == '\\' && i+1 < len(s):
			i += 1 + readEscape(&b, s[i+1:])
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), len(s), true
}

// readEscape writes the character an escape after a backslash stands for
// and returns how many bytes of s it used.
func readEscape(b *strings.Builder, s string) int {
	switch s[0] {
	case 'b':
		b.WriteByte('\b')
	case 'f':
		b.WriteByte('\f')
	case 'n':
		b.WriteByte('\n')
	case 'r':
		b.WriteByte('\r')
	case 't':
		b.WriteByte('\t')
	case 'x':
		if len(s) >= 3 {
			if v, err := strconv.ParseUint(s[1:3], 16, 8); err == nil {
				b.WriteRune(rune(v))
				return 3
			}
		}
		b.WriteByte('x')
	case 'u':
		if len(s) >= 5 {
			if v, err := strconv.ParseUint(s[1:5], 16, 32); err == nil {
				b.WriteRune(rune(v))
				return 5
			}
		}
		b.WriteByte('u')
	default:
		if s[0] >= '0' && s[0] <= '7' {
			n := 1
			for n < 3 && n < len(s) && s[n] >= '0' && s[n] <= '7' {
				n++
			}
			v, _ := strconv.ParseUint(s[:n], 8, 32)
			b.WriteRune(rune(v))
			return n
		}
		b.WriteByte(s[0])
	}
	return 1
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
	"TIMESTAMPADD":         "DATEADD",
	"TIMEADD":              "DATEADD",
	"DATE_PART":            "SF_DATE_PART",
	"DATE_TRUNC":           "SF_DATE_TRUNC",
	"REGEXP_REPLACE":       "SF_REGEXP_REPLACE",
	"ARRAY_TO_STRING":      "SF_ARRAY_TO_STRING",
	"ARRAY_SIZE":           "SF_ARRAY_SIZE",
	"TO_VARIANT":           "TO_JSON",
	"ARRAY_CONSTRUCT":      "LIST_VALUE",
	"OBJECT_CONSTRUCT":     "JSON_OBJECT",
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
	return translateTokens(lex(sql), curDB)
}

// translateTokens renders lexed Snowflake SQL as DuckDB SQL. Comments become
// a space and strings are re-quoted in DuckDB's own form, so DuckDB reads
// exactly the tokens Snowflake would.
func translateTokens(toks []token, curDB string) string {
	toks = rewriteSample(rewriteDecode(rewriteTop(quoteDateParts(rewriteJSONPaths(rewriteInfoSchema(toks, curDB))))))
	toks = rewriteDialect(toks)
	var b strings.Builder
	var prev, prev2 token
	for i, t := range toks {
		if t.kind != tokWord {
			switch {
			case t.kind == tokSpace && (strings.HasPrefix(t.text, "--") || strings.HasPrefix(t.text, "//") || strings.HasPrefix(t.text, "/*")):
				b.WriteByte(' ')
			case t.kind == tokString:
				if s := b.String(); s != "" && isIdentPart(s[len(s)-1]) {
					b.WriteByte(' ') // never E'..', X'..' or U&'..' to DuckDB
				}
				b.WriteString(duckString(t.val))
			case t.kind == tokPunct && t.text == "$":
				b.WriteString("$ ") // never a DuckDB $tag$ string
			default:
				b.WriteString(t.text)
			}
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
		toks[k] = token{kind: tokString, text: quoteString(strings.ToLower(toks[k].text)), val: strings.ToLower(toks[k].text)}
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
		return append(out, token{kind: tokPunct, text: " LIMIT " + n})
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
		out = append(out, token{kind: tokPunct, text: repl})
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
		add := func(s string) { repl = append(repl, token{kind: tokPunct, text: s}) }
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
