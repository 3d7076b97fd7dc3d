package config

import (
	"fmt"
	"log/slog"
)

// redacted is what every printer sees in place of a non-empty secret.
const redacted = "[REDACTED]"

func (s Secret) shown() string {
	if s == "" {
		return ""
	}
	return redacted
}

// Reveal returns the secret's real value; call it only where the value is handed to Snowflake.
func (s Secret) Reveal() string { return string(s) }

// IsSet reports whether the secret holds a value.
func (s Secret) IsSet() bool { return s != "" }

// String redacts the secret for fmt's %v and %s.
func (s Secret) String() string { return s.shown() }

// GoString redacts the secret for fmt's %#v.
func (s Secret) GoString() string { return fmt.Sprintf("%q", s.shown()) }

// Format redacts the secret for every fmt verb (%d, %x, %q included).
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", s.shown())
		return
	}
	_, _ = f.Write([]byte(s.shown()))
}

// MarshalText redacts the secret for text encoders (and, through them, YAML and TOML).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.shown()), nil }

// UnmarshalText accepts a plain value (the decoders of config layers use it).
func (s *Secret) UnmarshalText(b []byte) error {
	*s = Secret(b)
	return nil
}

// MarshalJSON redacts the secret in JSON.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(fmt.Sprintf("%q", s.shown())), nil }

// MarshalYAML redacts the secret in YAML.
func (s Secret) MarshalYAML() (any, error) { return s.shown(), nil }

// LogValue redacts the secret in log/slog records.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.shown()) }
