package config

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// field is one settable leaf key of Config ("server.listen") and where it lives in the struct.
type field struct {
	key   string
	index []int
	typ   reflect.Type
}

var (
	durationType = reflect.TypeOf(time.Duration(0))
	byteSizeType = reflect.TypeOf(ByteSize(0))
	secretType   = reflect.TypeOf(Secret(""))
	tokensType   = reflect.TypeOf([]TokenEntry(nil))
)

// allFields lists Config's leaf keys in declaration order.
var allFields = collectFields(reflect.TypeOf(Config{}), "", nil)

var fieldByKey = func() map[string]field {
	m := make(map[string]field, len(allFields))
	for _, f := range allFields {
		m[f.key] = f
	}
	return m
}()

// sections are the top-level keys that hold nested keys.
var sections = func() map[string]bool {
	m := map[string]bool{}
	for _, f := range allFields {
		if i := strings.IndexByte(f.key, '.'); i > 0 {
			m[f.key[:i]] = true
		}
	}
	return m
}()

func collectFields(t reflect.Type, prefix string, index []int) []field {
	var out []field
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("koanf")
		if tag == "" || tag == "-" {
			continue
		}
		key := tag
		if prefix != "" {
			key = prefix + "." + tag
		}
		idx := append(append([]int(nil), index...), i)
		if sf.Type.Kind() == reflect.Struct {
			out = append(out, collectFields(sf.Type, key, idx)...)
			continue
		}
		out = append(out, field{key: key, index: idx, typ: sf.Type})
	}
	return out
}

// Keys returns every configuration key in declaration order.
func Keys() []string {
	out := make([]string, len(allFields))
	for i, f := range allFields {
		out[i] = f.key
	}
	return out
}

// IsSecretKey reports whether key holds a secret value.
func IsSecretKey(key string) bool {
	f, ok := fieldByKey[key]
	return ok && f.typ == secretType
}

// kindName describes what a key expects, for error messages.
func kindName(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a duration like 30s, 2m or 1h30m"
	case t == byteSizeType:
		return "a size like 4MiB, 512KB or 1048576"
	case t == tokensType:
		return "a list of {name, sha256} (or name:sha256,name:sha256)"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64:
		return "an integer"
	case reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "a list of strings (or a comma-separated string)"
	}
	return "a string"
}

// convert turns a raw layer value (YAML scalar, env string, flag string) into the
// field's Go type, or says why it cannot.
func convert(f field, raw any) (any, error) {
	t := f.typ
	switch {
	case t == durationType:
		switch v := raw.(type) {
		case string:
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil {
				return nil, fmt.Errorf("%q is not %s", v, kindName(t))
			}
			if d < 0 {
				return nil, fmt.Errorf("%q is negative", v)
			}
			return d, nil
		case time.Duration:
			return v, nil
		default:
			if n, ok := asInt(raw); ok && n == 0 {
				return time.Duration(0), nil
			}
			return nil, fmt.Errorf("%v is not %s (a bare number has no unit; write e.g. %vs)", raw, kindName(t), raw)
		}
	case t == byteSizeType:
		if s, ok := raw.(string); ok {
			b, err := ParseByteSize(s)
			if err != nil {
				return nil, err
			}
			return b, nil
		}
		if n, ok := asInt(raw); ok && n >= 0 {
			return ByteSize(n), nil
		}
		return nil, fmt.Errorf("%v is not %s", raw, kindName(t))
	}
	if t == tokensType {
		return convertTokens(raw)
	}
	if t == secretType {
		// A secret must arrive as text: YAML would turn an unquoted 0123 or 2024-01-01 into a
		// number or a date, changing the secret. The value is never echoed in the message.
		if v, ok := raw.(string); ok {
			return v, nil
		}
		return nil, fmt.Errorf("must be a string (quote it in YAML); got a %s", kindOf(raw))
	}
	switch t.Kind() {
	case reflect.String:
		switch v := raw.(type) {
		case string:
			return v, nil
		case bool, int, int64, uint64, float64:
			return fmt.Sprint(v), nil
		}
		return nil, fmt.Errorf("got %s, want %s", describe(raw), kindName(t))
	case reflect.Bool:
		switch v := raw.(type) {
		case bool:
			return v, nil
		case string:
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				return nil, fmt.Errorf("%q is not %s", v, kindName(t))
			}
			return b, nil
		}
		return nil, fmt.Errorf("got %s, want %s", describe(raw), kindName(t))
	case reflect.Int, reflect.Int64:
		if s, ok := raw.(string); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%q is not %s", s, kindName(t))
			}
			return int(n), nil
		}
		if n, ok := asInt(raw); ok {
			return int(n), nil
		}
		return nil, fmt.Errorf("got %s, want %s", describe(raw), kindName(t))
	case reflect.Float64:
		switch v := raw.(type) {
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, fmt.Errorf("%q is not %s", v, kindName(t))
			}
			return f, nil
		case float64:
			return v, nil
		}
		if n, ok := asInt(raw); ok {
			return float64(n), nil
		}
		return nil, fmt.Errorf("got %s, want %s", describe(raw), kindName(t))
	case reflect.Slice:
		switch v := raw.(type) {
		case string:
			var out []string
			for _, p := range strings.Split(v, ",") {
				if p = strings.TrimSpace(p); p != "" {
					out = append(out, p)
				}
			}
			return out, nil
		case []string:
			return append([]string(nil), v...), nil
		case []any:
			out := make([]string, 0, len(v))
			for i, e := range v {
				s, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("item %d is %s, want a string", i, describe(e))
				}
				out = append(out, s)
			}
			return out, nil
		}
		return nil, fmt.Errorf("got %s, want %s", describe(raw), kindName(t))
	}
	return nil, fmt.Errorf("unsupported field type %s", t)
}

func asInt(raw any) (int64, bool) {
	switch v := raw.(type) {
	case int:
		return int64(v), true
	case int64:
		return v, true
	case uint64:
		if v <= math.MaxInt64 {
			return int64(v), true
		}
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int64(v), true
		}
	}
	return 0, false
}

// kindOf names a value's kind without showing it.
func kindOf(v any) string {
	switch v.(type) {
	case bool:
		return "boolean"
	case int, int64, uint64, float64:
		return "number"
	case map[string]any:
		return "mapping"
	case []any:
		return "list"
	}
	return fmt.Sprintf("%T", v)
}

func describe(v any) string {
	switch v.(type) {
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case nil:
		return "nothing"
	}
	return fmt.Sprintf("%T %v", v, v)
}

// get reads a field's value out of a Config.
func (f field) get(c *Config) reflect.Value {
	return reflect.ValueOf(c).Elem().FieldByIndex(f.index)
}
