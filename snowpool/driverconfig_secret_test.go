package snowpool

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/snowflake-mcp/snowflake-mcp/config"
)

// A connections.toml syntax error must not quote the value it stumbled on: with
// an unquoted password the TOML parser's message holds the start of the password.
func TestConnectionsFileParseErrorHidesValues(t *testing.T) {
	cases := []struct{ body, secret string }{
		{"[c]\naccount = \"a\"\npassword = hunter\n", "hunter"},
		{"[c]\naccount = \"a\"\npassword = tru\n", "tru"},
		{"[c]\naccount = \"a\"\ntoken = \"pat-xyz\" Qz\n", "'Q'"},
		{"[c]\naccount = \"a\"\nprivate_key_file_pwd = 12Wq\n", "'W'"},
	}
	for _, c := range cases {
		path := filepath.Join(t.TempDir(), "connections.toml")
		if err := os.WriteFile(path, []byte(c.body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := DriverConfig(config.Snowflake{ConnectionName: "c", ConnectionsFile: path}, DriverOptions{})
		if err == nil {
			t.Fatalf("%q: no error", c.body)
		}
		if strings.Contains(err.Error(), c.secret) {
			t.Errorf("%q: error quotes the secret %q: %v", c.body, c.secret, err)
		}
		if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "line 3") {
			t.Errorf("%q: error should name the file and line: %v", c.body, err)
		}
	}
}
