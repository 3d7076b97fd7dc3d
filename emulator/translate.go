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
	"CHARINDEX":            "INSTR",
	"HEX_ENCODE":           "HEX",
	"BASE64_ENCODE":        "TO_BASE64",
	"BASE64_DECODE_STRING": "FROM_BASE64",
}

// translate rewrites Snowflake SQL into DuckDB SQL: unquoted identifiers are
// upper-cased (Snowflake resolves and reports them upper-case), Snowflake type
// names are mapped where a type is expected (after `::`, AS, or a column name
// in a definition list), and a few functions are renamed.
func translate(sql, curDB string) string {
	toks := rewriteJSONPaths(rewriteInfoSchema(lex(sql), curDB))
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
