package emulator

import (
	"regexp"
	"strings"
)

// snowflakeError words an engine (DuckDB) error the way Snowflake does, with
// its code and SQL state. Only the first line of DuckDB's message is read:
// the rest ("Did you mean", "LINE 1: <sql>", candidate bindings) never
// reaches a client or a log. Messages of errors the dialect raises itself
// (`[sf CODE] text`, from SF_ERROR and SF_NZ) keep their code.
func snowflakeError(err error) *sfError {
	full := err.Error()
	if m := sfRaised.FindStringSubmatch(full); m != nil {
		return &sfError{m[1], raisedStates[m[1]], firstLine(m[2])}
	}
	kind, msg := "", firstLine(full)
	if k := strings.Index(msg, " Error: "); k > 0 && !strings.Contains(msg[:k], " ") || strings.HasPrefix(msg, "Not implemented Error: ") {
		k = strings.Index(msg, " Error: ")
		kind, msg = msg[:k], msg[k+len(" Error: "):]
	}
	compile := func(code, state, text string) *sfError {
		return &sfError{code, state, "SQL compilation error:\n" + text}
	}
	name := func(re *regexp.Regexp) string {
		if m := re.FindStringSubmatch(msg); m != nil {
			for _, g := range m[1:] {
				if g != "" {
					return strings.ToUpper(strings.Trim(g, `"`))
				}
			}
		}
		return ""
	}
	switch kind {
	case "Parser":
		if m := nearRe.FindStringSubmatch(msg); m != nil {
			line, col := caret(full)
			return syntaxError(line, col, m[1])
		}
		if strings.Contains(msg, "end of input") {
			return syntaxError(1, 0, "<EOF>")
		}
		return compile("001003", "42000", "syntax error line 1 at position 0 unexpected '"+clip(msg)+"'.")
	case "Catalog", "Binder":
		switch {
		case catalogRe.MatchString(msg):
			return compile("002003", "42S02", "Database '"+name(catalogRe)+"' does not exist or not authorized.")
		case schemaRe.MatchString(msg):
			return compile("002003", "42S02", "Schema '"+name(schemaRe)+"' does not exist or not authorized.")
		case tableRe.MatchString(msg):
			return compile("002003", "42S02", "Object '"+name(tableRe)+"' does not exist or not authorized.")
		case functionRe.MatchString(msg):
			return compile("002140", "42601", "Unknown function "+name(functionRe))
		case typeRe.MatchString(msg):
			return compile("002040", "42601", "Unsupported data type '"+name(typeRe)+"'.")
		case existsRe.MatchString(msg):
			return compile("002002", "42710", "Object '"+name(existsRe)+"' already exists.")
		case columnRe.MatchString(msg):
			return compile("000904", "42000", "invalid identifier '"+name(columnRe)+"'")
		case groupByRe.MatchString(msg):
			return compile("000979", "42601", "'"+name(groupByRe)+"' is not a valid group by expression")
		case argTypesRe.MatchString(msg):
			return compile("001044", "42P13", "Invalid argument types for function '"+name(argTypesRe)+"'")
		}
		return compile("002023", "42601", clip(msg))
	case "Conversion", "Invalid Input":
		switch {
		case strings.Contains(msg, "JSON"):
			return &sfError{"100069", "22P02", "Error parsing JSON: " + clip(msg)}
		case convertRe.MatchString(msg):
			m := convertRe.FindStringSubmatch(msg)
			val, to := m[1], strings.ToUpper(m[2])
			switch {
			case strings.HasPrefix(to, "DATE"):
				return &sfError{"100040", "22007", "Date '" + val + "' is not recognized"}
			case strings.HasPrefix(to, "TIMESTAMP"):
				return &sfError{"100035", "22007", "Timestamp '" + val + "' is not recognized"}
			case strings.HasPrefix(to, "TIME"):
				return &sfError{"100108", "22007", "Time '" + val + "' is not recognized"}
			case strings.HasPrefix(to, "BOOL"):
				return &sfError{"100037", "22018", "Boolean value '" + val + "' is not recognized"}
			}
			return &sfError{"100038", "22018", "Numeric value '" + val + "' is not recognized"}
		case dateRe.MatchString(msg):
			m := dateRe.FindStringSubmatch(msg)
			if m[1] == "timestamp" {
				return &sfError{"100035", "22007", "Timestamp '" + m[2] + "' is not recognized"}
			}
			return &sfError{"100040", "22007", "Date '" + m[2] + "' is not recognized"}
		case strings.Contains(msg, "out of range"):
			return &sfError{"100039", "22003", "Numeric value out of range"}
		case strings.Contains(msg, "date") || strings.Contains(msg, "Could not parse string"):
			return &sfError{"100040", "22007", "Date or time value is not recognized: " + clip(msg)}
		case strings.Contains(msg, "regex") || strings.Contains(msg, "Regex"):
			return &sfError{"100048", "2201B", "Invalid regular expression: " + clip(msg)}
		}
		return &sfError{"100038", "22018", "Numeric value is not recognized: " + clip(msg)}
	case "Out of Range":
		return &sfError{"100046", "22003", "Number out of representable range"}
	case "Constraint":
		if strings.Contains(msg, "NOT NULL") {
			return &sfError{"100072", "22000", "NULL result in a non-nullable column"}
		}
		return &sfError{"100072", "23000", "Constraint violation: " + clip(msg)}
	case "Permission":
		return &sfError{"003001", "42501", "SQL access control error:\nInsufficient privileges to operate on the local file system or network."}
	case "Not implemented":
		return &sfError{"000002", "0A000", "Unsupported feature '" + clip(msg) + "'."}
	case "Out of Memory":
		return &sfError{"000625", "57014", "Statement exceeded the emulator's memory limit and was canceled."}
	}
	return compile("002023", "42601", clip(msg))
}

var (
	sfRaised   = regexp.MustCompile(`\[sf (\d{6})\] ([^\n]*)`)
	nearRe     = regexp.MustCompile(`syntax error at or near "([^"]*)"`)
	catalogRe  = regexp.MustCompile(`^Catalog (?:with name )?"?([^" !]+)"? does not exist`)
	schemaRe   = regexp.MustCompile(`(?:^Schema with name |because schema )"?([^" !]+)"? does not exist`)
	tableRe    = regexp.MustCompile(`^(?:Table|View|Table Function)? ?(?:with name )"?([^"!]+?)"? does not exist`)
	functionRe = regexp.MustCompile(`^(?:Scalar|Aggregate|Table|Macro|Pragma)? ?Function with name "?([^" !]+)"? does not exist`)
	typeRe     = regexp.MustCompile(`^Type with name "?([^" !]+)"? does not exist`)
	existsRe   = regexp.MustCompile(`with name "?([^" !]+)"? already exists`)
	columnRe   = regexp.MustCompile(`^(?:Referenced column|Referenced table|Column|Table) "([^"]+)" not found|does not have a column named "([^"]+)"`)
	groupByRe  = regexp.MustCompile(`column "([^"]+)" must appear in the GROUP BY clause`)
	argTypesRe = regexp.MustCompile(`No function matches the given name and argument types '([A-Za-z_0-9]+)\(`)
	dateRe     = regexp.MustCompile(`(date|timestamp) field (?:format|value out of range): "([^"]*)"`)
	convertRe  = regexp.MustCompile(`Could not convert string ['"](.*)['"] to '?([A-Z_0-9]+)`)

	raisedStates = map[string]string{"100051": "22012", "002140": "42601", "100038": "22018", "000002": "0A000", "100037": "22018"}
	// duckWords must never reach a client: DuckDB's error classes and hints.
	duckWords = regexp.MustCompile(`(?i)(binder|parser|catalog|conversion|invalid input|constraint|permission|not implemented) error|did you mean|candidate bindings|LINE \d+:|duckdb`)
)

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// clip keeps a free-text fallback message short and free of DuckDB's words.
func clip(s string) string {
	s = duckWords.ReplaceAllString(s, "")
	s = strings.TrimRight(strings.TrimSpace(s), "!")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// caret reads the line and column DuckDB points at ("LINE n:" and the ^
// under it); the column is where the error sits in the translated text.
func caret(full string) (int, int) {
	lines := strings.Split(full, "\n")
	for i, l := range lines {
		var n int
		if !strings.HasPrefix(l, "LINE ") || i+1 >= len(lines) {
			continue
		}
		head := l[:strings.IndexByte(l, ':')+2]
		for _, c := range l[5 : len(head)-2] {
			n = n*10 + int(c-'0')
		}
		col := strings.IndexByte(lines[i+1], '^') - len(head)
		if strings.HasPrefix(l[len(head):], "...") || col < 0 {
			col = 0
		}
		return n, col
	}
	return 1, 0
}
