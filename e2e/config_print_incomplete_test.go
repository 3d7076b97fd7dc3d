package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

// An incomplete configuration (no credentials) is printed with what is
// missing marked; only config check refuses it.
func TestConfigPrintShowsAnIncompleteConfig(t *testing.T) {
	dir := t.TempDir()
	r := run(t, dir, nil, "config", "print", "--env", "production")
	if r.code != 0 || !strings.Contains(r.stdout, "# INCOMPLETE") || !strings.Contains(r.stdout, "snowflake.account") ||
		!strings.Contains(r.stdout, "listen:") || !strings.Contains(r.stderr, "snowflake.account") {
		t.Errorf("config print: exit %d\nstdout:\n%s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	r = run(t, dir, nil, "config", "print", "--env", "production", "--format", "json")
	var v map[string]any
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &v) != nil || !strings.Contains(r.stderr, "incomplete") {
		t.Errorf("config print --format json: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if r = run(t, dir, nil, "config", "check", "--env", "production"); r.code != 2 || !strings.Contains(r.stderr, "snowflake.account") {
		t.Errorf("config check: exit %d, stderr %q; want 2 naming the missing key", r.code, r.stderr)
	}
}
