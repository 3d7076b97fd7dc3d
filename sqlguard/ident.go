package sqlguard

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxIdentLen is Snowflake's limit on an identifier's length in characters.
const MaxIdentLen = 255

// QuoteIdent validates one database, schema or object name taken from a tool
// argument and returns it as a double-quoted Snowflake identifier, so it is never
// read as SQL. Snowflake's rules decide the case: a name that would be a valid
// unquoted identifier (letter or _ first, then letters, digits, _ and $) is
// upper-cased, as Snowflake resolves it; a name already written in double quotes
// keeps its case with "" read as one quote; any other name is taken literally.
func QuoteIdent(name string) (string, error) {
	v, err := identValue(name)
	if err != nil {
		return "", err
	}
	return `"` + strings.ReplaceAll(v, `"`, `""`) + `"`, nil
}

// IdentValue returns the stored (resolved) name that QuoteIdent would quote:
// ORDERS for orders, My Table for "My Table".
func IdentValue(name string) (string, error) { return identValue(name) }

func identValue(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", fmt.Errorf("identifier is empty")
	}
	if !utf8.ValidString(name) {
		return "", fmt.Errorf("identifier is not valid UTF-8")
	}
	var v string
	switch {
	case len(name) >= 2 && name[0] == '"' && name[len(name)-1] == '"':
		inner := name[1 : len(name)-1]
		// Inside quotes every " must be doubled.
		if strings.Count(strings.ReplaceAll(inner, `""`, ""), `"`) != 0 {
			return "", fmt.Errorf("identifier %s has an unescaped double quote", clip(name))
		}
		v = strings.ReplaceAll(inner, `""`, `"`)
		if v == "" {
			return "", fmt.Errorf("identifier is empty")
		}
	case isUnquotedIdent(name):
		v = strings.ToUpper(name)
	default:
		v = name
	}
	if utf8.RuneCountInString(v) > MaxIdentLen {
		return "", fmt.Errorf("identifier is longer than %d characters", MaxIdentLen)
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return "", fmt.Errorf("identifier %s contains a control character", clip(name))
		}
	}
	return v, nil
}

// isUnquotedIdent reports whether s is valid unquoted: [A-Za-z_][A-Za-z0-9_$]*.
func isUnquotedIdent(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c|0x20 >= 'a' && c|0x20 <= 'z'
		if letter || c == '_' || (i > 0 && (isDigit(c) || c == '$')) {
			continue
		}
		return false
	}
	return s != ""
}

// SplitQualified splits a possibly qualified name such as db.schema."My Table"
// on the dots outside double quotes. Parts keep their quotes.
func SplitQualified(name string) ([]string, error) {
	var parts []string
	inQuote := false
	start := 0
	for i := 0; i < len(name); i++ {
		switch name[i] {
		case '"':
			inQuote = !inQuote // a doubled "" toggles twice
		case '.':
			if !inQuote {
				parts = append(parts, strings.TrimSpace(name[start:i]))
				start = i + 1
			}
		}
	}
	if inQuote {
		return nil, fmt.Errorf("name %s has an unterminated double quote", clip(name))
	}
	parts = append(parts, strings.TrimSpace(name[start:]))
	for _, p := range parts {
		if p == "" {
			return nil, fmt.Errorf("name %s has an empty part", clip(name))
		}
	}
	return parts, nil
}

// ObjectName resolves a database, optional schema and object name (which may
// itself be qualified as schema.name or db.schema.name, as the original server
// accepted) into a quoted three- or two-part name.
func ObjectName(database, schema, object string) (string, error) {
	if strings.TrimSpace(object) == "" {
		return "", fmt.Errorf("object name is empty")
	}
	parts, err := SplitQualified(object)
	if err != nil {
		if !strings.Contains(object, `"`) {
			return "", err
		}
		// A stray quote: take the whole argument as one literal name, which
		// QuoteIdent makes harmless.
		parts = []string{strings.TrimSpace(object)}
	}
	switch len(parts) {
	case 1:
	case 2:
		schema = parts[0]
	case 3:
		database, schema = parts[0], parts[1]
	default:
		return "", fmt.Errorf("name %s has more than three parts", clip(object))
	}
	name := parts[len(parts)-1]
	if strings.TrimSpace(database) != "" && strings.TrimSpace(schema) == "" {
		schema = "PUBLIC" // what Snowflake's db..name means
	}
	var out []string
	for _, p := range []string{database, schema, name} {
		if strings.TrimSpace(p) == "" {
			continue
		}
		q, err := QuoteIdent(p)
		if err != nil {
			return "", err
		}
		out = append(out, q)
	}
	// Without a database (or schema) the name resolves against the session's defaults.
	return strings.Join(out, "."), nil
}

// clip keeps error messages short and quotes the name for readability.
func clip(s string) string {
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return fmt.Sprintf("%q", s)
}
