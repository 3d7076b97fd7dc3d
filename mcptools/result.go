package mcptools

import (
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Column is one result column with its Snowflake type.
type Column struct {
	Name string `json:"name" jsonschema:"column name as Snowflake reports it"`
	Type string `json:"type" jsonschema:"Snowflake data type, e.g. NUMBER(38,0), VARCHAR, TIMESTAMP_NTZ"`
}

// ToolError is the structured form of a failed tool call.
type ToolError struct {
	// Kind: refused (read-only guard), invalid_argument, snowflake, timeout, cancelled,
	// unavailable (Snowflake could not be reached; no query ran).
	Kind     string `json:"kind" jsonschema:"refused, invalid_argument, snowflake, timeout, cancelled or unavailable"`
	Message  string `json:"message"`
	Code     string `json:"code,omitempty" jsonschema:"Snowflake error code, e.g. 002003"`
	SQLState string `json:"sql_state,omitempty"`
	QueryID  string `json:"query_id,omitempty"`
}

// Output is the structured content of every tool.
type Output struct {
	Columns []Column `json:"columns,omitempty" jsonschema:"result columns; absent when the call failed"`
	Rows    [][]any  `json:"rows,omitempty" jsonschema:"result rows as arrays in column order; absent when empty"`
	// RowCount is len(Rows).
	RowCount  int  `json:"row_count" jsonschema:"number of rows returned"`
	Truncated bool `json:"truncated" jsonschema:"true when more rows existed than were returned"`
	// TruncatedBy says which limit cut the result: limit, max_rows or max_result_bytes.
	TruncatedBy    string     `json:"truncated_by,omitempty" jsonschema:"limit, max_rows or max_result_bytes"`
	CellsTruncated bool       `json:"cells_truncated,omitempty" jsonschema:"true when long values were cut"`
	QueryID        string     `json:"query_id,omitempty" jsonschema:"Snowflake query id"`
	Cached         bool       `json:"cached,omitempty" jsonschema:"true when served from the metadata cache"`
	Error          *ToolError `json:"error,omitempty"`
}

// scanLimits bound what one result may hold.
type scanLimits struct {
	rows       int    // return at most this many rows
	rowsReason string // "limit" or "max_rows": which one set rows
	maxBytes   int64  // JSON size budget for rows
	maxCell    int    // characters per value
}

// scanRows reads at most lim.rows rows (it reads one more to learn whether the
// result was cut, then stops: the rest is never fetched into memory).
func scanRows(rows *sql.Rows, lim scanLimits, out *Output) (int64, error) {
	cts, err := rows.ColumnTypes()
	if err != nil {
		return 0, fmt.Errorf("read result columns: %w", err)
	}
	out.Columns = make([]Column, len(cts))
	kinds := make([]string, len(cts))
	for i, ct := range cts {
		kinds[i] = strings.ToUpper(ct.DatabaseTypeName())
		out.Columns[i] = Column{Name: ct.Name(), Type: snowflakeType(ct)}
	}
	vals := make([]any, len(cts))
	ptrs := make([]any, len(cts))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var size int64
	var read int64
	for rows.Next() {
		read++
		if len(out.Rows) >= lim.rows {
			out.Truncated, out.TruncatedBy = true, lim.rowsReason
			break
		}
		if err := rows.Scan(ptrs...); err != nil {
			return read, fmt.Errorf("read result row %d: %w", read, err)
		}
		row := make([]any, len(vals))
		for i, v := range vals {
			var cut bool
			row[i], cut = cellValue(v, kinds[i], lim.maxCell)
			out.CellsTruncated = out.CellsTruncated || cut
		}
		b, err := json.Marshal(row)
		if err != nil {
			return read, fmt.Errorf("encode result row %d: %w", read, err)
		}
		// The budget is the rows' JSON array: each row plus its comma (or bracket).
		if lim.maxBytes > 0 && size+int64(len(b))+1 > lim.maxBytes {
			out.Truncated, out.TruncatedBy = true, "max_result_bytes"
			break
		}
		size += int64(len(b)) + 1
		out.Rows = append(out.Rows, row)
	}
	out.RowCount = len(out.Rows)
	return read, nil
}

// snowflakeType names a column's type as Snowflake SQL writes it.
func snowflakeType(ct *sql.ColumnType) string {
	name := strings.ToUpper(ct.DatabaseTypeName())
	switch name {
	case "FIXED":
		if p, s, ok := ct.DecimalSize(); ok {
			return fmt.Sprintf("NUMBER(%d,%d)", p, s)
		}
		return "NUMBER"
	case "REAL":
		return "FLOAT"
	case "TEXT":
		return "VARCHAR"
	case "":
		return "UNKNOWN"
	}
	return name
}

// maxExactInt is the largest integer a JSON number carries exactly (2^53).
const maxExactInt = 1 << 53

// cellValue turns a driver value into its JSON form by the column's Snowflake
// type, the same whichever wire format (Arrow or JSON) delivered it: integers
// within ±2^53 and floats as numbers, larger integers and exact decimals as
// strings, booleans as booleans, VARIANT/OBJECT/ARRAY as JSON values, dates
// and times as ISO 8601 (with the offset where the type has one), binary as
// hex. Long text is cut to maxChars.
func cellValue(v any, kind string, maxChars int) (any, bool) {
	if v == nil {
		return nil, false
	}
	switch kind {
	case "FIXED":
		return fixedValue(v), false
	case "REAL":
		return realValue(v), false
	case "BOOLEAN":
		switch x := v.(type) {
		case bool:
			return x, false
		case string:
			if b, err := strconv.ParseBool(x); err == nil {
				return b, false
			}
		}
	case "VARIANT", "OBJECT", "ARRAY":
		if s, ok := v.(string); ok {
			if maxChars > 0 && utf8.RuneCountInString(s) > maxChars {
				return cut(s, maxChars) // a cut document is no longer JSON: keep it as text
			}
			if json.Valid([]byte(s)) {
				return json.RawMessage(s), false
			}
		}
	case "BINARY":
		switch x := v.(type) {
		case []byte:
			return cut(hex.EncodeToString(x), maxChars)
		case string:
			return cut(strings.ToLower(x), maxChars)
		}
	}
	switch x := v.(type) {
	case bool, int64, int32, int:
		return x, false
	case float64, float32:
		return realValue(x), false
	case time.Time:
		switch kind {
		case "DATE":
			return x.Format(time.DateOnly), false
		case "TIME":
			return x.Format("15:04:05.999999999"), false
		case "TIMESTAMP_NTZ":
			return x.Format("2006-01-02T15:04:05.999999999"), false
		}
		return x.Format(time.RFC3339Nano), false
	case []byte:
		if !utf8.Valid(x) {
			return cut(hex.EncodeToString(x), maxChars)
		}
		return cut(string(x), maxChars)
	case string:
		return cut(x, maxChars)
	default:
		return cut(fmt.Sprint(x), maxChars)
	}
}

// fixedValue renders a NUMBER: a JSON number when it is an integer JSON
// carries exactly, else its exact decimal text.
func fixedValue(v any) any {
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case int32:
		n = int64(x)
	case int:
		n = int64(x)
	case float64: // NUMBER(p,s>0) scanned as float by some paths: keep it a number
		return realValue(x)
	case *big.Int:
		if !x.IsInt64() {
			return x.String()
		}
		n = x.Int64()
	case *big.Float:
		return x.Text('f', -1)
	case string:
		i, err := strconv.ParseInt(x, 10, 64)
		if err != nil {
			return x // a decimal with a scale, or beyond int64
		}
		n = i
	default:
		return fmt.Sprint(v)
	}
	if n > maxExactInt || n < -maxExactInt {
		return strconv.FormatInt(n, 10)
	}
	return n
}

// realValue renders a FLOAT as a JSON number; NaN and infinities, which JSON
// cannot carry, as Snowflake's text for them.
func realValue(v any) any {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case float32:
		f = float64(x)
	case string:
		p, err := strconv.ParseFloat(x, 64)
		if err != nil {
			return x
		}
		f = p
	default:
		return fmt.Sprint(v)
	}
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return f
}

func cut(s string, maxChars int) (string, bool) {
	if maxChars <= 0 || len(s) <= maxChars { // bytes >= runes, so this is a cheap exit
		return s, false
	}
	if utf8.RuneCountInString(s) <= maxChars {
		return s, false
	}
	n := 0
	for i := range s {
		if n == maxChars {
			return s[:i] + "…", true
		}
		n++
	}
	return s, false
}

// renderText is the readable text block beside the structured output.
func renderText(title string, o *Output) string {
	var b strings.Builder
	if title != "" {
		b.WriteString(title)
		b.WriteString("\n")
	}
	if len(o.Columns) > 0 {
		names := make([]string, len(o.Columns))
		for i, c := range o.Columns {
			names[i] = c.Name + " (" + c.Type + ")"
		}
		b.WriteString(strings.Join(names, " | "))
		b.WriteString("\n")
	}
	for _, row := range o.Rows {
		for i, v := range row {
			if i > 0 {
				b.WriteString(" | ")
			}
			switch x := v.(type) {
			case nil:
				b.WriteString("NULL")
			case string:
				b.WriteString(strings.NewReplacer("\n", `\n`, "\r", `\r`, "|", `\|`).Replace(x))
			case json.RawMessage: // VARIANT, OBJECT, ARRAY: their JSON text
				b.WriteString(strings.NewReplacer("\n", `\n`, "\r", `\r`, "|", `\|`).Replace(string(x)))
			case float64:
				b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
			default:
				fmt.Fprint(&b, x)
			}
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "(%d row%s", o.RowCount, plural(o.RowCount))
	if o.Truncated {
		fmt.Fprintf(&b, "; truncated by %s, more rows exist", o.TruncatedBy)
	}
	if o.CellsTruncated {
		b.WriteString("; long values cut")
	}
	if o.Cached {
		b.WriteString("; cached")
	}
	if o.QueryID != "" {
		fmt.Fprintf(&b, "; query id %s", o.QueryID)
	}
	b.WriteString(")")
	return b.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
