package emulator

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// translateStatement turns one Snowflake statement into one DuckDB
// statement, or returns the Snowflake error for text Snowflake would not
// accept (an unterminated string, identifier or comment).
func translateStatement(sqlText, curDB string) (string, error) {
	toks := lex(sqlText)
	pos := 0
	for _, t := range toks {
		if t.open {
			line, col := lineCol(sqlText, pos)
			return "", syntaxError(line, col, "<EOF>")
		}
		pos += len(t.text)
	}
	out := translateTokens(toks, curDB)
	if n := duckStatementCount(out); n != 1 {
		// The translation keeps one statement per Snowflake statement; this
		// guards the invariant, whatever DuckDB's lexer makes of the text.
		return "", &sfError{"000008", "0A000", fmt.Sprintf("Actual statement count %d did not match the desired statement count 1.", n)}
	}
	return out, nil
}

func lineCol(s string, off int) (int, int) {
	line := 1 + strings.Count(s[:off], "\n")
	return line, off - (strings.LastIndexByte(s[:off], '\n') + 1)
}

func syntaxError(line, col int, near string) *sfError {
	return &sfError{"001003", "42000", fmt.Sprintf("SQL compilation error:\nsyntax error line %d at position %d unexpected '%s'.", line, col, near)}
}

// duckString quotes a string value for DuckDB: standard ” quoting, with a
// NUL (which would cut the statement short in DuckDB's C API) as chr(0).
func duckString(v string) string {
	if !strings.ContainsRune(v, 0) {
		return quoteString(v)
	}
	parts := strings.Split(v, "\x00")
	for i, p := range parts {
		parts[i] = quoteString(p)
	}
	return "(" + strings.Join(parts, " || chr(0) || ") + ")"
}

// duckStatementCount counts the statements DuckDB's lexer sees in s: its
// strings (” only; E” with backslashes), dollar-quoted strings, quoted
// identifiers, -- comments and nesting /* */ comments.
func duckStatementCount(s string) int {
	n, content := 0, false
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\'':
			esc := i > 0 && (s[i-1] == 'e' || s[i-1] == 'E')
			i++
			for i < len(s) {
				if esc && s[i] == '\\' {
					i += 2
					continue
				}
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' {
						i += 2
						continue
					}
					break
				}
				i++
			}
			i++
			content = true
		case c == '"':
			i++
			for i < len(s) && s[i] != '"' {
				i++
			}
			i++
			content = true
		case c == '$':
			if m := dollarTag.FindString(s[i:]); m != "" && (i == 0 || !isIdentPart(s[i-1])) {
				end := strings.Index(s[i+len(m):], m)
				if end < 0 {
					return n + 1
				}
				i += len(m) + end + len(m)
			} else {
				i++
			}
			content = true
		case c == '-' && strings.HasPrefix(s[i:], "--"):
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && strings.HasPrefix(s[i:], "/*"):
			depth := 0
			for i < len(s) {
				if strings.HasPrefix(s[i:], "/*") {
					depth++
					i += 2
				} else if strings.HasPrefix(s[i:], "*/") {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
		case c == ';':
			if content {
				n++
			}
			content = false
			i++
		default:
			if !strings.ContainsRune(" \t\r\n\f\v", rune(c)) {
				content = true
			}
			i++
		}
	}
	if content {
		n++
	}
	return n
}

var dollarTag = regexp.MustCompile(`^\$[A-Za-z_]?[A-Za-z0-9_]*\$`)

// rewriteDialect applies the token rewrites for Snowflake constructs DuckDB
// spells differently. Each works on significant tokens and leaves the rest.
func rewriteDialect(toks []token) []token {
	toks = rewriteCalls(toks)
	toks = rewriteFromValues(toks)
	toks = rewriteInfix(toks)
	toks = rewriteStringCasts(toks)
	toks = rewriteDivision(toks)
	return toks
}

// rewriteStringCasts turns x::STRING (VARCHAR, TEXT) into SF_VARCHAR(x):
// a VARIANT cast to text is its unquoted value in Snowflake.
func rewriteStringCasts(toks []token) []token {
	for i := 0; i < len(toks); i++ {
		if toks[i].kind != tokPunct || toks[i].text != "::" {
			continue
		}
		ty := nextSigIndex(toks, i)
		if ty < 0 || !(isKW(toks[ty], "STRING") || isKW(toks[ty], "VARCHAR") || isKW(toks[ty], "TEXT")) {
			continue
		}
		if n := nextSigIndex(toks, ty); n >= 0 && toks[n].text == "(" {
			continue
		}
		start := operandStart(toks, prevSigIndex(toks, i))
		if start < 0 {
			continue
		}
		repl := join([]token{punct("SF_VARCHAR(")}, toks[start:i], []token{punct(")")})
		toks = splice(toks, start, ty, repl...)
		i = start
	}
	return toks
}

// operandStart returns the index of the first token of the operand ending
// at toks[j] (an identifier chain, literal, call, or parenthesised or
// subscripted expression, with earlier casts).
func operandStart(toks []token, j int) int {
	if j < 0 {
		return -1
	}
	start := j
	switch t := toks[j]; {
	case t.kind == tokPunct && t.text == ")":
		if start = openingParen(toks, j); start < 0 {
			return -1
		}
		if p := prevSigIndex(toks, start); p >= 0 && (toks[p].kind == tokWord || toks[p].kind == tokQuoted) && !isKW(toks[p], "SELECT") && !clauseWords[strings.ToUpper(toks[p].text)] {
			start = operandStart(toks, p)
		}
	case t.kind == tokPunct && t.text == "]":
		depth := 0
		for k := j; k >= 0; k-- {
			if toks[k].text == "]" {
				depth++
			} else if toks[k].text == "[" {
				if depth--; depth == 0 {
					start = k
					break
				}
			}
		}
		if p := prevSigIndex(toks, start); p >= 0 {
			if s := operandStart(toks, p); s >= 0 {
				start = s
			}
		}
	case t.kind == tokWord || t.kind == tokQuoted:
		for {
			p := prevSigIndex(toks, start)
			if p >= 1 && toks[p].text == "." {
				if q := prevSigIndex(toks, p); q >= 0 && (toks[q].kind == tokWord || toks[q].kind == tokQuoted) {
					start = q
					continue
				}
			}
			break
		}
	case t.kind == tokString || t.kind == tokNumber || (t.kind == tokPunct && len(t.text) > 2):
	default:
		return -1
	}
	if p := prevSigIndex(toks, start); p >= 0 && toks[p].text == "::" {
		// the operand is itself a cast: x::JSON::STRING
		if q := prevSigIndex(toks, p); q >= 0 {
			if s := operandStart(toks, q); s >= 0 {
				return s
			}
		}
	}
	return start
}

// call is a parsed function call: name at toks[name], "(" at open, ")" at end.
type call struct {
	name, open, end int
	args            [][]token
}

// parseCall reads the arguments of the call whose "(" is at toks[open].
func parseCall(toks []token, open int) (call, bool) {
	c := call{open: open}
	var cur []token
	depth := 0
	for j := open + 1; j < len(toks); j++ {
		t := toks[j]
		if t.kind == tokPunct {
			switch t.text {
			case "(", "[", "{":
				depth++
			case "]", "}":
				depth--
			case ")":
				if depth == 0 {
					c.args = append(c.args, cur)
					c.end = j
					if len(c.args) == 1 && len(significant(c.args[0])) == 0 {
						c.args = nil
					}
					return c, true
				}
				depth--
			case ",":
				if depth == 0 {
					c.args = append(c.args, cur)
					cur = nil
					continue
				}
			}
		}
		cur = append(cur, t)
	}
	return c, false
}

// matching returns the index of the bracket closing the one at toks[i].
func matching(toks []token, i int) int {
	open, closer := toks[i].text, map[string]string{"(": ")", "[": "]", "{": "}"}[toks[i].text]
	depth := 0
	for j := i; j < len(toks); j++ {
		if toks[j].kind != tokPunct {
			continue
		}
		switch toks[j].text {
		case open:
			depth++
		case closer:
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}

func punct(s string) token { return token{kind: tokPunct, text: s} }

// splice replaces toks[from..to] (inclusive) with repl.
func splice(toks []token, from, to int, repl ...token) []token {
	out := make([]token, 0, len(toks)-(to-from+1)+len(repl))
	out = append(out, toks[:from]...)
	out = append(out, repl...)
	return append(out, toks[to+1:]...)
}

func join(parts ...[]token) []token {
	var out []token
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// namedArg returns the value of NAME => value among args.
func namedArg(args [][]token, name string) []token {
	for _, a := range args {
		s := significant(a)
		if len(s) >= 3 && isKW(s[0], name) && s[1].text == "=>" {
			for i, t := range a {
				if t.text == "=>" {
					return a[i+1:]
				}
			}
		}
	}
	return nil
}

func intLiteral(arg []token) (int, bool) {
	s := significant(arg)
	if len(s) != 1 || s[0].kind != tokNumber {
		return 0, false
	}
	n, err := strconv.Atoi(s[0].text)
	return n, err == nil
}

// rewriteCalls handles the function-shaped constructs: LISTAGG/ARRAY_AGG
// ... WITHIN GROUP, RATIO_TO_REPORT, TABLE(GENERATOR(...)), FLATTEN,
// SEQn(), TYPEOF, TO_NUMBER(x, p, s) and friends.
func rewriteCalls(toks []token) []token {
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.kind != tokWord {
			continue
		}
		if p := prevSigIndex(toks, i); p >= 0 && toks[p].text == "." {
			continue
		}
		open := nextSigIndex(toks, i)
		if open < 0 || toks[open].text != "(" {
			continue
		}
		c, ok := parseCall(toks, open)
		if !ok {
			continue
		}
		c.name = i
		up := strings.ToUpper(t.text)
		switch up {
		case "LISTAGG", "ARRAY_AGG", "ARRAYAGG":
			toks = rewriteOrderedAgg(toks, c, up)
		case "RATIO_TO_REPORT":
			toks = rewriteRatioToReport(toks, c)
		case "TABLE":
			toks = rewriteTableFunc(toks, c)
		case "FLATTEN":
			if p := prevSigIndex(toks, i); p >= 0 && isKW(toks[p], "LATERAL") {
				toks = splice(toks, c.name, c.end, flattenSubquery(c.args)...)
			}
		case "SEQ1", "SEQ2", "SEQ4", "SEQ8":
			toks = splice(toks, c.name, c.end, punct("(ROW_NUMBER() OVER () - 1)"))
		case "TO_DATE", "TRY_TO_DATE", "TO_TIMESTAMP", "TO_TIMESTAMP_NTZ", "TRY_TO_TIMESTAMP", "TO_CHAR", "TO_VARCHAR", "DATE":
			if len(c.args) == 2 {
				if s := significant(c.args[1]); len(s) == 1 && s[0].kind == tokString {
					if (up == "TO_CHAR" || up == "TO_VARCHAR") && numericFormat.MatchString(s[0].val) {
						toks = splice(toks, c.name, c.end, punct(unsupported("TO_CHAR with a numeric format")))
						continue
					}
					if k := prevSigIndex(toks, c.end); k > 0 && toks[k].kind == tokString {
						f := strftimeFormat(s[0].val)
						toks[k] = token{kind: tokString, text: quoteString(f), val: f}
					}
				}
			}
		case "TYPEOF":
			toks[i] = punct("SF_TYPEOF")
		case "TO_NUMBER", "TO_DECIMAL", "TO_NUMERIC", "TRY_TO_NUMBER", "TRY_TO_DECIMAL", "TRY_TO_NUMERIC":
			if len(c.args) == 3 {
				p, okP := intLiteral(c.args[1])
				s, okS := intLiteral(c.args[2])
				if okP && okS {
					cast := "CAST("
					if strings.HasPrefix(up, "TRY_") {
						cast = "TRY_CAST("
					}
					repl := join([]token{punct(cast)}, c.args[0], []token{punct(fmt.Sprintf(" AS DECIMAL(%d,%d))", p, s))})
					toks = splice(toks, c.name, c.end, punct(renderTokens(repl)))
				}
			}
		}
	}
	return toks
}

// rewriteOrderedAgg moves WITHIN GROUP (ORDER BY ...) into the aggregate's
// argument list; ARRAY_AGG also drops NULLs as Snowflake's does.
func rewriteOrderedAgg(toks []token, c call, name string) []token {
	end := c.end
	var order []token
	w := nextSigIndex(toks, c.end)
	if w >= 0 && isKW(toks[w], "WITHIN") {
		g := nextSigIndex(toks, w)
		o := nextSigIndex(toks, g)
		if g < 0 || !isKW(toks[g], "GROUP") || o < 0 || toks[o].text != "(" {
			return toks
		}
		close := matching(toks, o)
		if close < 0 {
			return toks
		}
		order = toks[o+1 : close]
		end = close
	}
	over := nextSigIndex(toks, end)
	windowed := over >= 0 && isKW(toks[over], "OVER")
	args := c.args
	if len(args) == 0 {
		return toks
	}
	var repl []token
	if name == "LISTAGG" {
		delim := []token{punct("''")}
		if len(args) > 1 {
			delim = args[1]
		}
		repl = join([]token{punct("STRING_AGG(")}, args[0], []token{punct(", ")}, delim)
	} else {
		repl = join([]token{punct("ARRAY_AGG(")}, args[0])
	}
	if len(order) > 0 {
		repl = append(repl, punct(" "))
		repl = append(repl, order...)
	}
	repl = append(repl, punct(")"))
	if name != "LISTAGG" && !windowed {
		val := args[0]
		if s := significant(val); len(s) > 0 && isKW(s[0], "DISTINCT") {
			for k, t := range val {
				if isKW(t, "DISTINCT") {
					val = val[k+1:]
					break
				}
			}
		}
		repl = join([]token{punct("to_json(")}, repl, []token{punct(" FILTER (WHERE (")}, val, []token{punct(") IS NOT NULL))")})
	}
	return splice(toks, c.name, end, punct(renderTokens(repl)))
}

// rewriteRatioToReport: RATIO_TO_REPORT(x) OVER (w) is x / SUM(x) OVER (w).
func rewriteRatioToReport(toks []token, c call) []token {
	over := nextSigIndex(toks, c.end)
	if over < 0 || !isKW(toks[over], "OVER") || len(c.args) != 1 {
		return toks
	}
	o := nextSigIndex(toks, over)
	if o < 0 || toks[o].text != "(" {
		return toks
	}
	close := matching(toks, o)
	if close < 0 {
		return toks
	}
	window := toks[o : close+1]
	repl := join([]token{punct("((")}, c.args[0], []token{punct(") / NULLIF(SUM(")}, c.args[0], []token{punct(") OVER ")}, window, []token{punct(", 0))")})
	return splice(toks, c.name, close, punct(renderTokens(repl)))
}

// rewriteTableFunc handles TABLE(GENERATOR(ROWCOUNT => n)) and TABLE(FLATTEN(...)).
func rewriteTableFunc(toks []token, c call) []token {
	if len(c.args) != 1 {
		return toks
	}
	inner := significant(c.args[0])
	if len(inner) < 3 || inner[1].text != "(" {
		return toks
	}
	fc, ok := parseCall(inner, 1)
	if !ok || fc.end != len(inner)-1 {
		return toks
	}
	switch strings.ToUpper(inner[0].text) {
	case "GENERATOR":
		n := namedArg(fc.args, "ROWCOUNT")
		if n == nil {
			return splice(toks, c.name, c.end, punct("(SELECT "+unsupported("GENERATOR without ROWCOUNT")+")"))
		}
		return splice(toks, c.name, c.end, join([]token{punct("(SELECT range AS SF_GENERATOR_ROW FROM range(CAST(")}, n, []token{punct(" AS BIGINT)))")})...)
	case "FLATTEN":
		return splice(toks, c.name, c.end, flattenSubquery(fc.args)...)
	}
	return toks
}

// flattenSubquery renders FLATTEN(INPUT => x [, PATH => p]) as a lateral
// subquery with Snowflake's output columns over DuckDB's json_each.
func flattenSubquery(args [][]token) []token {
	if o := namedArg(args, "OUTER"); o != nil && !isKW(significant(o)[0], "FALSE") {
		return []token{punct(failingFlatten("FLATTEN with OUTER => TRUE"))}
	}
	if namedArg(args, "RECURSIVE") != nil || namedArg(args, "MODE") != nil {
		return []token{punct(failingFlatten("FLATTEN with RECURSIVE or MODE"))}
	}
	in := namedArg(args, "INPUT")
	if in == nil && len(args) > 0 {
		in = args[0]
	}
	if p := namedArg(args, "PATH"); p != nil {
		in = join([]token{punct("json_extract(to_json(")}, in, []token{punct("), '$.' || ")}, p, []token{punct(")")})
	}
	src := join([]token{punct("to_json(")}, in, []token{punct(")")})
	var b strings.Builder
	b.WriteString("(SELECT 1 AS SEQ, CASE WHEN json_type(")
	b.WriteString(renderTokens(src))
	b.WriteString(") = 'ARRAY' THEN NULL ELSE je.key END AS KEY, ")
	b.WriteString("CASE WHEN starts_with(je.path, '$.') THEN substr(je.path, 3) || '.' || je.key WHEN je.path = '$' AND NOT starts_with(je.fullkey, '$[') THEN je.key ELSE substr(je.fullkey, 2) END AS PATH, ")
	b.WriteString("CASE WHEN json_type(")
	b.WriteString(renderTokens(src))
	b.WriteString(") = 'ARRAY' THEN CAST(je.key AS BIGINT) END AS \"INDEX\", je.value AS VALUE, ")
	b.WriteString(renderTokens(src))
	b.WriteString(" AS THIS FROM json_each(")
	b.WriteString(renderTokens(src))
	b.WriteString(") AS je)")
	return []token{punct(b.String())}
}

// renderTokens renders already-rewritten tokens (words upper-cased, as translate does).
func renderTokens(toks []token) string {
	return translateTokens(toks, "")
}

// rewriteFromValues names the columns of FROM VALUES (...) COLUMN1..n as
// Snowflake does, so $1 (rewritten to COLUMN1) and COLUMNn resolve.
func rewriteFromValues(toks []token) []token {
	for i := 0; i < len(toks); i++ {
		if toks[i].kind == tokPunct && toks[i].text == "$" {
			if j := i + 1; j < len(toks) && toks[j].kind == tokNumber {
				if _, err := strconv.Atoi(toks[j].text); err == nil {
					toks = splice(toks, i, j, token{kind: tokWord, text: "COLUMN" + toks[j].text})
				}
			}
		}
	}
	for i := 0; i < len(toks); i++ {
		if !isKW(toks[i], "VALUES") {
			continue
		}
		p := prevSigIndex(toks, i)
		if p < 0 || !(isKW(toks[p], "FROM") || isKW(toks[p], "JOIN") || toks[p].text == ",") || (toks[p].text == "," && !inFrom(toks, p)) {
			continue
		}
		j := nextSigIndex(toks, i)
		ncols, last := 0, -1
		for j >= 0 && toks[j].text == "(" {
			c, ok := parseCall(toks, j)
			if !ok {
				break
			}
			if ncols == 0 {
				ncols = len(c.args)
			}
			last = c.end
			j = nextSigIndex(toks, c.end)
			if j < 0 || toks[j].text != "," {
				break
			}
			if k := nextSigIndex(toks, j); k < 0 || toks[k].text != "(" {
				break
			}
			j = nextSigIndex(toks, j)
		}
		if last < 0 || ncols == 0 {
			continue
		}
		alias, end := "SF_VALUES", last
		if a := nextSigIndex(toks, last); a >= 0 {
			if isKW(toks[a], "AS") {
				a = nextSigIndex(toks, a)
			}
			if a >= 0 && (toks[a].kind == tokQuoted || (toks[a].kind == tokWord && !clauseWords[strings.ToUpper(toks[a].text)])) {
				if n := nextSigIndex(toks, a); n >= 0 && toks[n].text == "(" {
					continue // the alias names its columns itself
				}
				alias, end = unquoteIdent(toks[a]), a
			}
		}
		cols := make([]string, ncols)
		for k := range cols {
			cols[k] = "COLUMN" + strconv.Itoa(k+1)
		}
		repl := join([]token{punct("(")}, toks[i:last+1], []token{punct(") AS " + quoteIdent(alias) + "(" + strings.Join(cols, ", ") + ")")})
		toks = splice(toks, i, end, repl...)
	}
	return toks
}

// inFrom reports whether the comma at toks[i] separates FROM items.
func inFrom(toks []token, i int) bool {
	depth := 0
	for j := i - 1; j >= 0; j-- {
		switch {
		case toks[j].text == ")":
			depth++
		case toks[j].text == "(":
			if depth == 0 {
				return false
			}
			depth--
		case depth == 0 && isKW(toks[j], "FROM"):
			return true
		case depth == 0 && (isKW(toks[j], "SELECT") || isKW(toks[j], "WHERE")):
			return false
		}
	}
	return false
}

// rewriteInfix handles MINUS, infix RLIKE/REGEXP and LIKE/ILIKE ANY.
func rewriteInfix(toks []token) []token {
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.kind != tokWord {
			continue
		}
		if p := prevSigIndex(toks, i); p >= 0 && (toks[p].text == "." || toks[p].text == "::") {
			continue
		}
		next := nextSigIndex(toks, i)
		switch up := strings.ToUpper(t.text); up {
		case "MINUS":
			if next >= 0 && (isKW(toks[next], "SELECT") || toks[next].text == "(" || isKW(toks[next], "WITH")) {
				toks[i] = punct("EXCEPT")
			}
		case "RLIKE", "REGEXP":
			if next >= 0 && toks[next].text != "(" {
				toks[i] = punct("SIMILAR TO")
			}
		case "LIKE", "ILIKE":
			if next < 0 || !isKW(toks[next], "ANY") {
				continue
			}
			o := nextSigIndex(toks, next)
			if o < 0 || toks[o].text != "(" {
				continue
			}
			c, ok := parseCall(toks, o)
			if !ok {
				continue
			}
			alts := make([]string, 0, len(c.args))
			for _, a := range c.args {
				s := significant(a)
				if len(s) != 1 || s[0].kind != tokString {
					alts = nil
					break
				}
				alts = append(alts, likeToRegexp(s[0].val))
			}
			if alts == nil {
				toks = splice(toks, i, c.end, punct("= "+unsupported(up+" ANY with patterns that are not string literals")))
				continue
			}
			flags := "(?s)"
			if up == "ILIKE" {
				flags = "(?is)"
			}
			toks = splice(toks, i, c.end, punct("SIMILAR TO "+quoteString(flags+"(?:"+strings.Join(alts, "|")+")")))
		}
	}
	return toks
}

// likeToRegexp turns a LIKE pattern (% and _, backslash escapes) into RE2.
func likeToRegexp(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteString(".")
		case '\\':
			if i+1 < len(p) {
				i++
				b.WriteString(regexp.QuoteMeta(p[i : i+1]))
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return b.String()
}

// rewriteDivision makes a / b raise Snowflake's division-by-zero error
// (DuckDB yields NULL or infinity), and gives the quotient of two exact
// literals Snowflake's NUMBER scale: max(s1, min(s1 + 6, 12)).
func rewriteDivision(toks []token) []token {
	for i := 0; i < len(toks); i++ {
		if toks[i].kind != tokPunct || toks[i].text != "/" {
			continue
		}
		start := nextSigIndex(toks, i)
		if start < 0 {
			continue
		}
		end := operandEnd(toks, start)
		if end < 0 {
			continue
		}
		right := toks[start : end+1]
		l := prevSigIndex(toks, i)
		if l >= 0 && exactLiteral(toks[l]) && len(significant(right)) == 1 && exactLiteral(right[0]) {
			if before := prevSigIndex(toks, l); before < 0 || !strings.Contains("*/%.::-", toks[before].text) || toks[before].kind != tokPunct {
				if after := nextSigIndex(toks, end); after < 0 || !(toks[after].text == "::" || toks[after].text == "*" || toks[after].text == "/" || toks[after].text == "%" || toks[after].text == "[") {
					s1 := 0
					if k := strings.IndexByte(toks[l].text, '.'); k >= 0 {
						s1 = len(toks[l].text) - k - 1
					}
					scale := max(s1, min(s1+6, 12))
					repl := punct(fmt.Sprintf("CAST(CAST(%s AS DECIMAL(38,%d)) / SF_NZ(%s) AS DECIMAL(38,%d))", toks[l].text, s1, right[0].text, scale))
					toks = splice(toks, l, end, repl)
					i = l
					continue
				}
			}
		}
		repl := join([]token{punct("SF_NZ(")}, right, []token{punct(")")})
		toks = splice(toks, start, end, repl...)
		i = start
	}
	return toks
}

func exactLiteral(t token) bool {
	return t.kind == tokNumber && !strings.ContainsAny(t.text, "eE")
}

// operandEnd returns the index of the last token of the operand starting at
// toks[i] (a unary sign, a primary and its postfix casts and subscripts).
func operandEnd(toks []token, i int) int {
	for toks[i].text == "-" || toks[i].text == "+" {
		if i = nextSigIndex(toks, i); i < 0 {
			return -1
		}
	}
	end := i
	t := toks[i]
	switch {
	case t.text == "(":
		end = matching(toks, i)
	case isKW(t, "CASE"):
		depth := 0
		end = -1
		for j := i; j < len(toks); j++ {
			if isKW(toks[j], "CASE") {
				depth++
			} else if isKW(toks[j], "END") {
				depth--
				if depth == 0 {
					end = j
					break
				}
			}
		}
	case t.kind == tokWord || t.kind == tokQuoted:
		for {
			n := nextSigIndex(toks, end)
			if n >= 0 && toks[n].text == "." {
				if m := nextSigIndex(toks, n); m >= 0 && (toks[m].kind == tokWord || toks[m].kind == tokQuoted || toks[m].text == "*") {
					end = m
					continue
				}
			}
			break
		}
		if n := nextSigIndex(toks, end); n >= 0 && toks[n].text == "(" {
			end = matching(toks, n)
		} else if n >= 0 && toks[n].kind == tokString && t.kind == tokWord {
			end = n // DATE '...', INTERVAL '...'
		}
	case t.kind == tokPunct && len(t.text) > 1:
		// a rewritten call such as json_extract(...)
	case t.kind == tokNumber || t.kind == tokString:
	default:
		return -1
	}
	for end >= 0 {
		n := nextSigIndex(toks, end)
		switch {
		case n >= 0 && toks[n].text == "::":
			m := nextSigIndex(toks, n)
			if m < 0 {
				return end
			}
			end = m
			if p := nextSigIndex(toks, m); p >= 0 && toks[p].text == "(" {
				end = matching(toks, p)
			}
		case n >= 0 && toks[n].text == "[":
			end = matching(toks, n)
		default:
			return end
		}
	}
	return end
}

// sfFormatElems are Snowflake's date/time format elements and their strftime
// spellings, longest first so YYYY is not read as two YY.
var sfFormatElems = []struct{ sf, strf string }{
	{"YYYY", "%Y"}, {"YY", "%y"}, {"MMMM", "%B"}, {"MON", "%b"}, {"MM", "%m"}, {"DD", "%d"}, {"DY", "%a"},
	{"HH24", "%H"}, {"HH12", "%I"}, {"HH", "%H"}, {"MI", "%M"}, {"SS", "%S"}, {"FF9", "%n"}, {"FF6", "%f"},
	{"FF3", "%g"}, {"FF", "%n"}, {"AM", "%p"}, {"PM", "%p"}, {"TZH:TZM", "%z"}, {"TZHTZM", "%z"},
}

// strftimeFormat turns a Snowflake format ('YYYY-MM-DD HH24:MI:SS') into a
// strftime one; "quoted" text is kept literally.
func strftimeFormat(f string) string {
	var b strings.Builder
	for i := 0; i < len(f); {
		if f[i] == '"' {
			end := strings.IndexByte(f[i+1:], '"')
			if end < 0 {
				end = len(f) - i - 1
			}
			b.WriteString(strings.ReplaceAll(f[i+1:i+1+end], "%", "%%"))
			i += end + 2
			continue
		}
		matched := false
		for _, e := range sfFormatElems {
			if len(f)-i >= len(e.sf) && strings.EqualFold(f[i:i+len(e.sf)], e.sf) {
				b.WriteString(e.strf)
				i += len(e.sf)
				matched = true
				break
			}
		}
		if !matched {
			if f[i] == '%' {
				b.WriteByte('%')
			}
			b.WriteByte(f[i])
			i++
		}
	}
	return b.String()
}

// numericFormat matches Snowflake number formats ('999,990.00', '$9.99').
var numericFormat = regexp.MustCompile(`(?i)^(FM)?[$S]?[90,.DGX]+(MI|S)?$`)

// unsupported is SQL raising Snowflake's unsupported-feature error (000002)
// for a construct the emulator cannot translate.
func unsupported(what string) string {
	return "SF_ERROR('000002', " + quoteString("Unsupported feature '"+what+"' in the emulator.") + ")"
}

// failingFlatten is a FLATTEN-shaped subquery that raises 000002.
func failingFlatten(what string) string {
	e := unsupported(what) // in every column: DuckDB drops unused ones
	return "(SELECT " + e + " AS SEQ, " + e + " AS KEY, " + e + " AS PATH, " + e + " AS \"INDEX\", " + e + " AS VALUE, " + e + " AS THIS)"
}
