package emulator

import (
	"strings"
)

// createComments pulls Snowflake COMMENT clauses out of a CREATE TABLE/VIEW
// (DuckDB only knows COMMENT ON) and returns the cleaned SQL plus the
// COMMENT ON statements to run after it.
func createComments(sql string) (string, []string) {
	toks := lex(sql)
	sig := make([]int, 0, len(toks)) // indexes of significant tokens
	for i, t := range toks {
		if t.kind != tokSpace {
			sig = append(sig, i)
		}
	}
	at := func(k int) token {
		if k < len(sig) {
			return toks[sig[k]]
		}
		return token{kind: tokSpace}
	}
	if !isKW(at(0), "CREATE") {
		return sql, nil
	}
	k := 1
	if isKW(at(k), "OR") && isKW(at(k+1), "REPLACE") {
		k += 2
	}
	for isKW(at(k), "TRANSIENT") || isKW(at(k), "TEMPORARY") || isKW(at(k), "TEMP") || isKW(at(k), "SECURE") || isKW(at(k), "LOCAL") || isKW(at(k), "GLOBAL") {
		k++
	}
	kind := strings.ToUpper(at(k).text)
	if kind != "TABLE" && kind != "VIEW" {
		return sql, nil
	}
	k++
	if isKW(at(k), "IF") && isKW(at(k+1), "NOT") && isKW(at(k+2), "EXISTS") {
		k += 3
	}
	nameStart := k
	for (at(k).kind == tokWord || at(k).kind == tokQuoted) && at(k+1).text == "." {
		k += 2
	}
	if at(k).kind != tokWord && at(k).kind != tokQuoted {
		return sql, nil
	}
	var nb strings.Builder
	for j := nameStart; j <= k; j++ {
		t := at(j)
		if t.kind == tokWord {
			nb.WriteString(strings.ToUpper(t.text))
		} else {
			nb.WriteString(t.text)
		}
	}
	objName := nb.String()
	drop := map[int]bool{} // token indexes to remove
	var stmts []string
	depth := 0
	colName := ""
	expectCol := false
	for j := k + 1; j < len(sig); j++ {
		t := at(j)
		switch {
		case t.text == "(":
			depth++
			if depth == 1 {
				expectCol = true
			}
			continue
		case t.text == ")":
			depth--
			continue
		case t.text == "," && depth == 1:
			expectCol = true
			continue
		}
		if depth == 1 && expectCol && (t.kind == tokWord || t.kind == tokQuoted) {
			colName = t.text
			if t.kind == tokWord {
				colName = strings.ToUpper(colName)
			}
			expectCol = false
			continue
		}
		if depth == 0 && kind == "VIEW" && isKW(t, "AS") {
			break
		}
		if !isKW(t, "COMMENT") {
			continue
		}
		switch {
		case depth == 1 && at(j+1).kind == tokString:
			if colName != "" && kind == "TABLE" {
				stmts = append(stmts, "COMMENT ON COLUMN "+objName+"."+colName+" IS "+duckString(at(j+1).val))
			}
			drop[sig[j]], drop[sig[j+1]] = true, true
			j++
		case depth == 0 && at(j+1).text == "=" && at(j+2).kind == tokString:
			stmts = append(stmts, "COMMENT ON "+kind+" "+objName+" IS "+duckString(at(j+2).val))
			drop[sig[j]], drop[sig[j+1]], drop[sig[j+2]] = true, true, true
			j += 2
		}
	}
	if len(drop) == 0 {
		return sql, nil
	}
	var b strings.Builder
	for i, t := range toks {
		if !drop[i] {
			b.WriteString(t.text)
		}
	}
	return b.String(), stmts
}
