package config

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Entry is one key of the effective configuration, safe to show: secrets are redacted.
type Entry struct {
	Key    string
	Value  any
	Source string
}

// Entries lists every key with a printable value and its source, in declaration order.
func (l *Loaded) Entries() []Entry {
	out := make([]Entry, 0, len(allFields))
	for _, f := range allFields {
		out = append(out, Entry{Key: f.key, Value: display(f.get(&l.Config).Interface()), Source: l.Sources[f.key].String()})
	}
	return out
}

func display(v any) any {
	switch x := v.(type) {
	case Secret:
		return x.shown()
	case time.Duration:
		return x.String()
	case ByteSize:
		return x.String()
	case []string:
		if x == nil {
			return []string{}
		}
		return x
	case []TokenEntry:
		if x == nil {
			return []TokenEntry{}
		}
		return x
	}
	return v
}

// WriteJSON writes {"config": {...}, "sources": {"server.listen": "env ...", ...}}.
func (l *Loaded) WriteJSON(w io.Writer) error {
	nested := map[string]any{}
	sources := map[string]string{}
	for _, e := range l.Entries() {
		sources[e.Key] = e.Source
		sec, key, ok := strings.Cut(e.Key, ".")
		if !ok {
			nested[e.Key] = e.Value
			continue
		}
		m, _ := nested[sec].(map[string]any)
		if m == nil {
			m = map[string]any{}
			nested[sec] = m
		}
		m[key] = e.Value
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"config": nested, "sources": sources})
}

// WriteYAML writes the effective configuration as YAML, each key followed by a comment
// naming the layer that set it.
func (l *Loaded) WriteYAML(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# snowflake-mcp effective configuration; secrets are redacted.\n")
	section := ""
	for _, e := range l.Entries() {
		sec, key, nested := strings.Cut(e.Key, ".")
		indent := ""
		if nested {
			if sec != section {
				fmt.Fprintf(&b, "%s:\n", sec)
				section = sec
			}
			indent = "  "
		} else {
			key = e.Key
		}
		fmt.Fprintf(&b, "%s%s: %s  # from %s\n", indent, key, yamlScalar(e.Value), e.Source)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// yamlScalar renders a value in YAML flow style; JSON strings and arrays are valid YAML.
func yamlScalar(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%q", fmt.Sprint(v))
	}
	return string(b)
}
