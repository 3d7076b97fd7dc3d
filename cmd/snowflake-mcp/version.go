package main

import (
	"encoding/json"
	"fmt"
	"io"
)

func runVersion(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("version", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	v := versionInfo()
	if *asJSON {
		_ = json.NewEncoder(stdout).Encode(v)
		return exitOK
	}
	fmt.Fprintf(stdout, "snowflake-mcp %s (commit %s, built %s, %s)\n", v.Version, v.Commit, v.Date, v.Go)
	return exitOK
}
