package main

import (
	"fmt"
	"io"

	"github.com/snowflake-mcp/snowflake-mcp/authn"
	"github.com/snowflake-mcp/snowflake-mcp/config"
)

// runToken: `token new NAME` prints a fresh token once and the auth.tokens entry for it.
func runToken(args []string, stdout, stderr io.Writer) int {
	if len(args) != 2 || args[0] != "new" {
		fmt.Fprintln(stderr, "usage: snowflake-mcp token new NAME   (NAME: 1-64 letters, digits, _ . @ -; it names the caller in logs)")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return exitOK
		}
		return exitUsage
	}
	name := args[1]
	if !config.ValidTokenName(name) {
		fmt.Fprintf(stderr, "snowflake-mcp token new: name %q must be 1-64 letters, digits, or _ . @ - (starting with a letter or digit)\n", name)
		return exitUsage
	}
	tok, err := authn.NewToken()
	if err != nil {
		fmt.Fprintf(stderr, "snowflake-mcp token new: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, `Token for %[1]s (shown once; give it to the client as "Authorization: Bearer <token>"):

  %[2]s

Add this entry to auth.tokens in the server's config (or to the auth.tokens_file list),
then reload (kill -HUP) or restart the server:

auth:
  tokens:
    - name: %[1]s
      sha256: %[3]s
`, name, tok, authn.HashToken(tok))
	return exitOK
}
