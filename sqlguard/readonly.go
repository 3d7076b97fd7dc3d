package sqlguard

import (
	"errors"
	"fmt"
	"strings"
)

// RefusedError says why a statement may not run; it is returned before any SQL
// reaches Snowflake.
type RefusedError struct {
	Reason string
}

func (e *RefusedError) Error() string {
	return "statement refused in read-only mode: " + e.Reason
}

func refuse(format string, args ...any) error {
	return &RefusedError{Reason: fmt.Sprintf(format, args...)}
}

// IsRefused reports whether err is (or wraps) a *RefusedError.
func IsRefused(err error) bool {
	var r *RefusedError
	return errors.As(err, &r)
}

// Kind names the statement that CheckReadOnly allowed: SELECT, WITH, SHOW, DESCRIBE or EXPLAIN.
type Kind string

// Statement kinds allowed in read-only mode.
const (
	KindSelect   Kind = "SELECT"
	KindWith     Kind = "WITH"
	KindShow     Kind = "SHOW"
	KindDescribe Kind = "DESCRIBE"
	KindExplain  Kind = "EXPLAIN"
)

// Keywords that only belong to statements that change something. An unquoted
// occurrence anywhere (except as a path element after . or :) refuses the text;
// a column with such a name must be written quoted.
var writeWords = map[string]bool{
	"INSERT": true, "UPDATE": true, "DELETE": true, "MERGE": true, "CREATE": true,
	"DROP": true, "ALTER": true, "TRUNCATE": true, "GRANT": true, "REVOKE": true,
	"UNDROP": true, "COPY": true, "PUT": true, "REMOVE": true, "CALL": true,
	"EXECUTE": true,
}

// System functions with side effects that a SELECT could call (best effort: a
// deny list of the verbs of Snowflake's "control" system functions, which
// cancel, grant, send, register, block and so on).
var writeFuncPrefixes = []string{
	"SYSTEM$CANCEL", "SYSTEM$ABORT", "SYSTEM$SET_", "SYSTEM$UNSET", "SYSTEM$DISABLE",
	"SYSTEM$ENABLE", "SYSTEM$TASK", "SYSTEM$USER_TASK", "SYSTEM$PIPE_FORCE", "SYSTEM$MIGRATE",
	"SYSTEM$ADD_", "SYSTEM$REVOKE", "SYSTEM$AUTHORIZE", "SYSTEM$LINK", "SYSTEM$UNLINK",
	"SYSTEM$ACTIVATE", "SYSTEM$DEACTIVATE", "SYSTEM$BEGIN", "SYSTEM$BLOCK", "SYSTEM$UNBLOCK",
	"SYSTEM$CLEANUP", "SYSTEM$COMMIT", "SYSTEM$CONVERT", "SYSTEM$CREATE", "SYSTEM$DEMIGRATE",
	"SYSTEM$PROVISION", "SYSTEM$DEPROVISION", "SYSTEM$REGISTER", "SYSTEM$DEREGISTER",
	"SYSTEM$RESTORE", "SYSTEM$SEND", "SYSTEM$GLOBAL_ACCOUNT_SET", "SYSTEM$GLOBAL_ACCOUNT_UNSET",
	"SYSTEM$START", "SYSTEM$FINISH", "SYSTEM$INITIATE", "SYSTEM$ACCEPT", "SYSTEM$LOG",
	"SYSTEM$GENERATE_SCIM", "SYSTEM$PIPE_REBINDING", "SYSTEM$SNOWPIPE_STREAMING_UPDATE",
	"SYSTEM$TRIGGER",
}

// CheckReadOnly returns nil when sql is a single read-only statement (SELECT,
// WITH ... SELECT, SHOW, DESCRIBE/DESC, EXPLAIN; one trailing semicolon allowed),
// and a *RefusedError otherwise.
func CheckReadOnly(sql string) error {
	_, err := Classify(sql)
	return err
}

// Classify is CheckReadOnly that also names the allowed statement's kind. A
// chain joined by Snowflake's pipe operator (SHOW ... ->> SELECT ... FROM $1)
// runs every statement in it, so each must be read-only; the kind is the last one's.
func Classify(sql string) (Kind, error) {
	toks, err := Tokenize(sql)
	if err != nil {
		return "", refuse("%v", err)
	}
	// One trailing semicolon ends the statement; any other one starts a second statement.
	if len(toks) > 0 && toks[len(toks)-1].Text == ";" {
		toks = toks[:len(toks)-1]
	}
	if len(toks) == 0 {
		return "", refuse("empty statement")
	}
	for _, t := range toks {
		if t.Kind == Punct && t.Text == ";" {
			return "", refuse("several statements in one request (semicolon at offset %d); send one statement at a time", t.Start)
		}
	}
	for i, t := range toks {
		if t.Kind != Word {
			continue
		}
		if i > 0 && toks[i-1].Kind == Punct && (toks[i-1].Text == "." || toks[i-1].Text == ":") {
			continue
		}
		// Also the ASCII runs inside a word, so a non-ASCII neighbour cannot hide a keyword.
		for _, up := range wordParts(t.Text) {
			if writeWords[up] {
				return "", refuse("%s is not allowed: only SELECT, WITH ... SELECT, SHOW, DESCRIBE and EXPLAIN may run", up)
			}
			for _, p := range writeFuncPrefixes {
				if strings.HasPrefix(up, p) {
					return "", refuse("%s changes state and is not allowed", up)
				}
			}
		}
	}
	var kind Kind
	for _, stmt := range splitPipe(toks) {
		if kind, err = classifyStatement(stmt); err != nil {
			return "", err
		}
	}
	return kind, nil
}

// splitPipe cuts toks at each ->> (Snowflake's pipe operator, which runs the
// statements on both sides). The three characters are matched as consecutive
// tokens even with space between them, which at worst refuses a typo.
func splitPipe(toks []Token) [][]Token {
	var stmts [][]Token
	start := 0
	for i := 0; i+2 < len(toks); i++ {
		if toks[i].Kind == Punct && toks[i].Text == "-" && toks[i+1].Text == ">" && toks[i+2].Text == ">" {
			stmts = append(stmts, toks[start:i])
			start = i + 3
			i += 2
		}
	}
	return append(stmts, toks[start:])
}

// wordParts returns the upper-cased word and, when it holds non-ASCII characters,
// each run of ASCII word characters in it.
func wordParts(w string) []string {
	up := strings.ToUpper(w)
	parts := []string{up}
	start := -1
	for i := 0; i <= len(w); i++ {
		if i < len(w) && w[i] < 0x80 && isWordPart(w[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && (start > 0 || i < len(w)) {
			parts = append(parts, strings.ToUpper(w[start:i]))
		}
		start = -1
	}
	return parts
}

// classifyStatement names one statement's kind from its first keyword.
func classifyStatement(toks []Token) (Kind, error) {
	if len(toks) == 0 {
		return "", refuse("empty statement before or after ->>")
	}
	// A query may open with parentheses: (SELECT ...) UNION (SELECT ...).
	first := 0
	for first < len(toks) && toks[first].Text == "(" {
		first++
	}
	if first == len(toks) || toks[first].Kind != Word {
		return "", refuse("a statement must start with SELECT, WITH, SHOW, DESCRIBE or EXPLAIN")
	}
	kw := strings.ToUpper(toks[first].Text)
	switch kw {
	case "SELECT":
		return KindSelect, nil
	case "SHOW":
		return KindShow, nil
	case "DESCRIBE", "DESC":
		return KindDescribe, nil
	case "EXPLAIN":
		return KindExplain, nil
	case "WITH":
		main, err := withMainStatement(toks[first+1:])
		if err != nil {
			return "", err
		}
		if main != "SELECT" {
			return "", refuse("WITH ... %s is not allowed: the statement after the common table expressions must be a SELECT", main)
		}
		return KindWith, nil
	}
	return "", refuse("%s is not allowed: only SELECT, WITH ... SELECT, SHOW, DESCRIBE and EXPLAIN may run", kw)
}

// withMainStatement finds the keyword of the statement that follows the common
// table expressions: `[RECURSIVE] name [(cols)] AS (query) [, ...] <main>`.
// The main statement is the first word at depth 0 right after a closing parenthesis;
// a parenthesised main query counts as SELECT.
func withMainStatement(toks []Token) (string, error) {
	depth := 0
	afterClose := false
	for _, t := range toks {
		if t.Kind == Punct {
			switch t.Text {
			case "(":
				if depth == 0 && afterClose {
					return "SELECT", nil
				}
				depth++
				afterClose = false
				continue
			case ")":
				depth--
				if depth < 0 {
					return "", refuse("unbalanced parentheses")
				}
				afterClose = depth == 0
				continue
			}
		}
		if depth > 0 {
			continue
		}
		if afterClose {
			if t.Kind == Word {
				up := strings.ToUpper(t.Text)
				if up == "AS" { // name (col, ...) AS (query): the column list closed
					afterClose = false
					continue
				}
				return up, nil
			}
			if t.Kind == Punct && t.Text == "," {
				afterClose = false
				continue
			}
			return "", refuse("unexpected %q after a common table expression", t.Text)
		}
	}
	return "", refuse("WITH without a main SELECT statement")
}
