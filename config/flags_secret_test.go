package config

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// A malformed --set is reported without echoing what may be a secret value.
func TestSetFlagErrorDoesNotEchoValue(t *testing.T) {
	for _, arg := range []string{"snowflake.password:hunter2", "snowflake.token hunter2", "hunter2"} {
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		f := BindFlags(fs)
		if err := fs.Parse([]string{"--set", arg}); err != nil {
			t.Fatal(err)
		}
		_, err := f.Options()
		if err == nil || !strings.Contains(err.Error(), "key=value") {
			t.Fatalf("--set %q: %v, want a key=value error", arg, err)
		}
		if arg != "hunter2" && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("--set %q: error echoes the value: %v", arg, err)
		}
		if key, _, _ := strings.Cut(strings.NewReplacer(":", " ").Replace(arg), " "); !strings.Contains(err.Error(), key) {
			t.Errorf("--set %q: error should name %q: %v", arg, key, err)
		}
	}
}
