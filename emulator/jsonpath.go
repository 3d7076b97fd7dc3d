package emulator

import (
	"strings"
)

// rewriteJSONPaths turns Snowflake semi-structured access `col:a.b[0]` into
// DuckDB json_extract calls; a directly following ::STRING/VARCHAR/TEXT cast
// becomes json_extract_string (Snowflake's cast yields the unquoted text).
func rewriteJSONPaths(toks []token) []token {
	hasColon := false
	for _, t := range toks {
		if t.kind == tokPunct && t.text == ":" {
			hasColon = true
			break
		}
	}
	if !hasColon {
		return toks
	}
	out := make([]token, 0, len(toks))
	depth := 0 // inside [] or {} a colon is a slice or a struct key
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch t.text {
		case "[", "{":
			depth++
		case "]", "}":
			depth--
		}
		if !(t.kind == tokPunct && t.text == ":" && depth == 0) {
			out = append(out, t)
			continue
		}
		// operand: the dotted identifier chain just emitted
		j := len(out) - 1
		var operand strings.Builder
		start := j
		switch {
		case j >= 0 && out[j].kind == tokPunct && out[j].text == ")":
			// a call or parenthesised expression: PARSE_JSON('..'):a
			if start = openingParen(out, j); start < 0 {
				out = append(out, t)
				continue
			}
			if start > 0 && out[start-1].kind == tokWord {
				start--
			}
			operand.WriteString(renderTokens(append([]token(nil), out[start:]...)))
		case j >= 0 && (out[j].kind == tokWord || out[j].kind == tokQuoted):
			for start >= 2 && out[start-1].text == "." && (out[start-2].kind == tokWord || out[start-2].kind == tokQuoted) {
				start -= 2
			}
			for _, o := range out[start:] {
				if o.kind == tokWord {
					operand.WriteString(strings.ToUpper(o.text))
				} else {
					operand.WriteString(o.text)
				}
			}
		default:
			out = append(out, t)
			continue
		}
		// path: word or quoted, then any of .word / [n] / ['key']
		k := i + 1
		if k >= len(toks) || (toks[k].kind != tokWord && toks[k].kind != tokQuoted) {
			out = append(out, t)
			continue
		}
		path := "$." + pathKey(toks[k])
		k++
		for k < len(toks) {
			if toks[k].text == "." && k+1 < len(toks) && (toks[k+1].kind == tokWord || toks[k+1].kind == tokQuoted) {
				path += "." + pathKey(toks[k+1])
				k += 2
				continue
			}
			if toks[k].text == "[" && k+2 < len(toks) && toks[k+2].text == "]" {
				switch toks[k+1].kind {
				case tokNumber:
					path += "[" + toks[k+1].text + "]"
					k += 3
					continue
				case tokString:
					path += "." + jsonPathQuote(toks[k+1].val)
					k += 3
					continue
				}
			}
			break
		}
		fn := "json_extract"
		// a following ::STRING-like cast means "the text itself"
		if k+1 < len(toks) && toks[k].text == "::" && toks[k+1].kind == tokWord {
			switch strings.ToUpper(toks[k+1].text) {
			case "STRING", "VARCHAR", "TEXT", "CHAR":
				fn = "json_extract_string"
				k += 2
			}
		}
		out = out[:start]
		out = append(out, token{kind: tokPunct, text: fn + "(" + operand.String() + ", " + quoteString(path) + ")"})
		i = k - 1
	}
	return out
}

// pathKey renders one path element: bare keys are case-sensitive in
// Snowflake paths, so they are kept as written.
func pathKey(t token) string {
	if t.kind == tokQuoted {
		return jsonPathQuote(unquoteIdent(t))
	}
	return jsonPathQuote(t.text)
}

func jsonPathQuote(k string) string {
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			return `"` + strings.ReplaceAll(k, `"`, `\"`) + `"`
		}
	}
	return k
}

// openingParen returns the index of the "(" matching the ")" at toks[j].
func openingParen(toks []token, j int) int {
	depth := 0
	for k := j; k >= 0; k-- {
		if toks[k].kind != tokPunct {
			continue
		}
		switch toks[k].text {
		case ")":
			depth++
		case "(":
			depth--
			if depth == 0 {
				return k
			}
		}
	}
	return -1
}
