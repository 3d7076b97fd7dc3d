// Package sqlguard decides what SQL may reach Snowflake: a read-only statement
// classifier built on a Snowflake-aware tokenizer, and the validation and quoting
// of identifiers that come from tool arguments.
package sqlguard

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// TokenKind tells what a Token is.
type TokenKind int

// Token kinds. Comments and whitespace are dropped by the tokenizer.
const (
	Word        TokenKind = iota // unquoted identifier or keyword: letters, digits, _, $
	QuotedIdent                  // "identifier" with "" for a quote
	String                       // 'literal' ('' and backslash escapes) or $$literal$$
	Number                       // 123, 1.5e3, .5
	Punct                        // any other single character: ; ( ) , . * = ...
)

// Token is one lexical element of a SQL text; Start and End are byte offsets.
type Token struct {
	Kind       TokenKind
	Text       string
	Start, End int
}

// Tokenize splits sql into tokens the way Snowflake reads it: `--` and `//`
// line comments, `/* */` block comments, '...' strings with ” and backslash
// escapes, $$...$$ strings and "..." identifiers. An unterminated string, identifier
// or comment is an error, because Snowflake and this tokenizer could disagree on
// where it ends.
func Tokenize(sql string) ([]Token, error) {
	if !utf8.ValidString(sql) {
		return nil, fmt.Errorf("SQL text is not valid UTF-8")
	}
	var toks []Token
	i, n := 0, len(sql)
	stageChecked := 0
	for i < n {
		c := sql[i]
		switch {
		case c == 0:
			return nil, fmt.Errorf("SQL text contains a NUL byte at offset %d", i)
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && i+1 < n && sql[i+1] == '-', c == '/' && i+1 < n && sql[i+1] == '/':
			for i < n && sql[i] != '\n' && sql[i] != '\r' {
				// A Unicode line break might end the comment for Snowflake: refuse the doubt.
				if r, size := utf8.DecodeRuneInString(sql[i:]); r == '\u0085' || r == '\u2028' || r == '\u2029' {
					return nil, fmt.Errorf("line comment holds the Unicode line break U+%04X at offset %d", r, i)
				} else if size > 1 {
					i += size
					continue
				}
				i++
			}
		case c == '/' && i+1 < n && sql[i+1] == '*':
			start := i
			i += 2
			closed := false
			for i < n {
				if sql[i] == '*' && i+1 < n && sql[i+1] == '/' {
					i += 2
					closed = true
					break
				}
				// Nested comments are refused: engines disagree on whether they nest.
				if sql[i] == '/' && i+1 < n && sql[i+1] == '*' {
					return nil, fmt.Errorf("nested block comment at offset %d", i)
				}
				i++
			}
			if !closed {
				return nil, fmt.Errorf("unterminated block comment starting at offset %d", start)
			}
		case c == '\'':
			start := i
			i++
			closed := false
			for i < n {
				switch sql[i] {
				case '\\':
					i += 2
					continue
				case '\'':
					if i+1 < n && sql[i+1] == '\'' {
						i += 2
						continue
					}
					i++
					closed = true
				default:
					i++
					continue
				}
				break
			}
			if !closed || i > n {
				return nil, fmt.Errorf("unterminated string literal starting at offset %d", start)
			}
			toks = append(toks, Token{String, sql[start:i], start, i})
		case c == '$' && i+1 < n && sql[i+1] == '$':
			start := i
			end := indexFrom(sql, "$$", i+2)
			if end < 0 {
				return nil, fmt.Errorf("unterminated $$ string starting at offset %d", start)
			}
			i = end + 2
			toks = append(toks, Token{String, sql[start:i], start, i})
		case c == '"':
			start := i
			i++
			closed := false
			for i < n {
				if sql[i] == '"' {
					if i+1 < n && sql[i+1] == '"' {
						i += 2
						continue
					}
					i++
					closed = true
					break
				}
				i++
			}
			if !closed {
				return nil, fmt.Errorf("unterminated quoted identifier starting at offset %d", start)
			}
			toks = append(toks, Token{QuotedIdent, sql[start:i], start, i})
		case isDigit(c) || (c == '.' && i+1 < n && isDigit(sql[i+1])):
			start := i
			for i < n && (isDigit(sql[i]) || sql[i] == '.') {
				i++
			}
			if i < n && (sql[i] == 'e' || sql[i] == 'E') {
				j := i + 1
				if j < n && (sql[j] == '+' || sql[j] == '-') {
					j++
				}
				if j < n && isDigit(sql[j]) {
					i = j
					for i < n && isDigit(sql[i]) {
						i++
					}
				}
			}
			toks = append(toks, Token{Number, sql[start:i], start, i})
		case isWordStart(c):
			start := i
			for i < n && isWordPart(sql[i]) {
				i++
			}
			// "a$$b" could be read as a word or as the start of a $$ string: refuse the doubt.
			if indexFrom(sql[start:i], "$$", 0) >= 0 {
				return nil, fmt.Errorf("ambiguous $$ inside a word at offset %d", start)
			}
			// A non-ASCII space, invisible character or semicolon look-alike in code may
			// separate words (or statements) for Snowflake but not here: refuse the doubt.
			for j, r := range sql[start:i] {
				if r >= 0x80 && (unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) || r == '\u037e' || r == '\ufe54' || r == '\uff1b') {
					return nil, fmt.Errorf("character U+%04X outside a string or quoted identifier at offset %d", r, start+j)
				}
			}
			toks = append(toks, Token{Word, sql[start:i], start, i})
		default:
			// A later @ inside a path already checked needs no second scan (which would be quadratic).
			if c == '@' && i >= stageChecked {
				end, err := checkStagePath(sql, i)
				if err != nil {
					return nil, err
				}
				stageChecked = end
			}
			_, size := utf8.DecodeRuneInString(sql[i:])
			toks = append(toks, Token{Punct, sql[i : i+size], i, i + size})
			i += size
		}
	}
	return toks, nil
}

// checkStagePath refuses an unquoted stage reference (@stage/path, which Snowflake
// reads up to a space) holding a comment or quote opener: Snowflake accepts
// @stage//path as one path, where this tokenizer would start a comment. It
// returns the offset where the reference ends.
func checkStagePath(sql string, at int) (int, error) {
	for j := at + 1; j < len(sql); j++ {
		c := sql[j]
		switch {
		case c == '"': // a quoted stage name, "" for a quote: skip to its closing quote
			for j++; j < len(sql); j++ {
				if sql[j] == '"' {
					if j+1 < len(sql) && sql[j+1] == '"' {
						j++
						continue
					}
					break
				}
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' ||
			c == ';' || c == ',' || c == '(' || c == ')':
			return j, nil
		case c == '\'' || strings.HasPrefix(sql[j:], "--") || strings.HasPrefix(sql[j:], "//") ||
			strings.HasPrefix(sql[j:], "/*") || strings.HasPrefix(sql[j:], "$$"):
			return 0, fmt.Errorf("stage reference at offset %d holds %q, which Snowflake may read as part of the path: quote the path", at, sql[j:min(j+2, len(sql))])
		}
	}
	return len(sql), nil
}

func indexFrom(s, sub string, from int) int {
	for i := from; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// Non-ASCII bytes count as word characters so a multi-byte letter never splits a word.
func isWordStart(c byte) bool {
	return c == '_' || c == '$' || (c|0x20 >= 'a' && c|0x20 <= 'z') || c >= 0x80
}

func isWordPart(c byte) bool { return isWordStart(c) || isDigit(c) }
