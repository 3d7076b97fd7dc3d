package emulator

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Result formats, as the response's queryResultFormat names them.
const (
	formatJSON  = "json"
	formatArrow = "arrow"
)

// resultFormat picks a query's result format as Snowflake does: Arrow for the
// Go driver unless GO_QUERY_RESULT_FORMAT or QUERY_RESULT_FORMAT says JSON
// (request parameter first, then session); JSON for every other client, so
// drivers that only read JSON keep working.
func (s *Server) resultFormat(ss *session, reqParams map[string]any) string {
	if strings.EqualFold(s.cfg.ResultFormat, formatJSON) {
		return formatJSON
	}
	ss.mu.Lock()
	app := ss.clientApp
	sessionParams := map[string]string{}
	for _, k := range []string{"GO_QUERY_RESULT_FORMAT", "QUERY_RESULT_FORMAT"} {
		if v, ok := ss.params[k]; ok {
			sessionParams[k] = v
		}
	}
	ss.mu.Unlock()
	for _, k := range []string{"GO_QUERY_RESULT_FORMAT", "QUERY_RESULT_FORMAT"} {
		v, ok := reqParams[k]
		if !ok {
			v, ok = sessionParams[k]
		}
		if ok {
			if strings.EqualFold(strings.Trim(fmt.Sprint(v), `'"`), "JSON") {
				return formatJSON
			}
		}
	}
	if app == "Go" {
		return formatArrow
	}
	return formatJSON
}

// Every value is first encoded in Snowflake's JSON rowset form (the
// encoders in exec.go); the Arrow rowset is built from those strings, so both
// formats carry exactly the same values.

// arrowSchema maps Snowflake column types onto the Arrow types Snowflake
// sends (per gosnowflake's converter): FIXED as int8..int64 by precision or
// decimal128, TIME as int64 nanoseconds, TIMESTAMP_NTZ/LTZ as
// struct{epoch int64, fraction int32}, TIMESTAMP_TZ with a third timezone
// field (minutes offset + 1440).
func arrowSchema(cols []column) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.Name, Type: arrowType(c), Nullable: true, Metadata: fieldMetadata(c)}
	}
	return arrow.NewSchema(fields, nil)
}

func arrowType(c column) arrow.DataType {
	switch c.Type {
	case "fixed":
		p, s := deref(c.Precision, 38), deref(c.Scale, 0)
		switch {
		case p <= 2:
			return arrow.PrimitiveTypes.Int8
		case p <= 4:
			return arrow.PrimitiveTypes.Int16
		case p <= 9:
			return arrow.PrimitiveTypes.Int32
		case p <= 18:
			return arrow.PrimitiveTypes.Int64
		}
		return &arrow.Decimal128Type{Precision: int32(p), Scale: int32(s)}
	case "real":
		return arrow.PrimitiveTypes.Float64
	case "boolean":
		return arrow.FixedWidthTypes.Boolean
	case "date":
		return arrow.FixedWidthTypes.Date32
	case "time":
		return arrow.PrimitiveTypes.Int64
	case "timestamp_ntz", "timestamp_ltz":
		return arrow.StructOf(
			arrow.Field{Name: "epoch", Type: arrow.PrimitiveTypes.Int64},
			arrow.Field{Name: "fraction", Type: arrow.PrimitiveTypes.Int32})
	case "timestamp_tz":
		return arrow.StructOf(
			arrow.Field{Name: "epoch", Type: arrow.PrimitiveTypes.Int64},
			arrow.Field{Name: "fraction", Type: arrow.PrimitiveTypes.Int32},
			arrow.Field{Name: "timezone", Type: arrow.PrimitiveTypes.Int32})
	case "binary":
		return arrow.BinaryTypes.Binary
	}
	return arrow.BinaryTypes.String // text, variant, object, array
}

// fieldMetadata is the per-field metadata Snowflake attaches to Arrow fields.
func fieldMetadata(c column) arrow.Metadata {
	keys := []string{"logicalType", "precision", "scale", "charLength", "byteLength", "finalType", "physicalType"}
	physical := map[string]string{"fixed": "SB16", "real": "DOUBLE", "boolean": "SB1", "date": "SB4", "time": "SB8",
		"timestamp_ntz": "SB16", "timestamp_ltz": "SB16", "timestamp_tz": "SB16", "binary": "BINARY"}[c.Type]
	if physical == "" {
		physical = "LOB"
	}
	vals := []string{strings.ToUpper(c.Type), strconv.FormatInt(deref(c.Precision, 0), 10),
		strconv.FormatInt(deref(c.Scale, 0), 10), strconv.FormatInt(deref(c.Length, 0), 10),
		strconv.FormatInt(deref(c.ByteLength, 0), 10), "T", physical}
	return arrow.NewMetadata(keys, vals)
}

func deref(p *int64, def int64) int64 {
	if p == nil {
		return def
	}
	return *p
}

// encodeArrow renders rows as an Arrow IPC stream (schema, one record batch).
// An empty row set still carries the schema.
func encodeArrow(cols []column, rows [][]*string) ([]byte, error) {
	schema := arrowSchema(cols)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for j, c := range cols {
		fb := b.Field(j)
		fb.Reserve(len(rows))
		for i, r := range rows {
			if r[j] == nil {
				fb.AppendNull()
				continue
			}
			if err := appendArrow(fb, c, *r[j]); err != nil {
				return nil, fmt.Errorf("row %d column %s (%s): %w", i, c.Name, c.Type, err)
			}
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	var out bytes.Buffer
	w := ipc.NewWriter(&out, ipc.WithSchema(schema))
	if err := w.Write(rec); err != nil {
		return nil, fmt.Errorf("write arrow batch: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("close arrow stream: %w", err)
	}
	return out.Bytes(), nil
}

// appendArrow parses one JSON-form value and appends it to its builder.
func appendArrow(fb array.Builder, c column, v string) error {
	switch b := fb.(type) {
	case *array.StringBuilder:
		b.Append(v)
	case *array.BinaryBuilder:
		raw, err := hex.DecodeString(v)
		if err != nil {
			return err
		}
		b.Append(raw)
	case *array.Float64Builder:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return err
		}
		b.Append(f)
	case *array.BooleanBuilder:
		b.Append(v == "1" || strings.EqualFold(v, "true"))
	case *array.Date32Builder:
		d, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return err
		}
		b.Append(arrow.Date32(d))
	case *array.Int8Builder, *array.Int16Builder, *array.Int32Builder, *array.Int64Builder:
		n, err := scaledInt(v, deref(c.Scale, 0))
		if err != nil {
			return err
		}
		if c.Type == "time" { // sec.frac since midnight, as nanoseconds
			n, err = scaledInt(v, 9)
			if err != nil {
				return err
			}
		}
		if !n.IsInt64() {
			return fmt.Errorf("%s overflows int64", v)
		}
		switch ib := b.(type) {
		case *array.Int8Builder:
			ib.Append(int8(n.Int64()))
		case *array.Int16Builder:
			ib.Append(int16(n.Int64()))
		case *array.Int32Builder:
			ib.Append(int32(n.Int64()))
		case *array.Int64Builder:
			ib.Append(n.Int64())
		}
	case *array.Decimal128Builder:
		n, err := scaledInt(v, deref(c.Scale, 0))
		if err != nil {
			return err
		}
		b.Append(decimal128.FromBigInt(n))
	case *array.StructBuilder:
		// "sec.nnnnnnnnn" or, for TIMESTAMP_TZ, "sec.nnnnnnnnn offset".
		ts, tz, _ := strings.Cut(v, " ")
		sec, frac, _ := strings.Cut(ts, ".")
		epoch, err := strconv.ParseInt(sec, 10, 64)
		if err != nil {
			return err
		}
		ns, err := scaledInt("0."+frac, 9)
		if err != nil {
			return err
		}
		b.Append(true)
		b.FieldBuilder(0).(*array.Int64Builder).Append(epoch)
		b.FieldBuilder(1).(*array.Int32Builder).Append(int32(ns.Int64()))
		if b.NumField() == 3 {
			off, err := strconv.ParseInt(tz, 10, 32)
			if err != nil {
				return fmt.Errorf("timestamp_tz offset in %q: %w", v, err)
			}
			b.FieldBuilder(2).(*array.Int32Builder).Append(int32(off))
		}
	default:
		return fmt.Errorf("no arrow encoding for %T", fb)
	}
	return nil
}

// scaledInt reads a decimal string as an integer times 10^scale ("1.5", 2 -> 150),
// dropping digits beyond the scale.
func scaledInt(v string, scale int64) (*big.Int, error) {
	intPart, frac, _ := strings.Cut(v, ".")
	if int64(len(frac)) > scale {
		frac = frac[:scale]
	}
	frac += strings.Repeat("0", int(scale)-len(frac))
	n, ok := new(big.Int).SetString(intPart+frac, 10)
	if !ok {
		return nil, fmt.Errorf("not a number: %q", v)
	}
	return n, nil
}
