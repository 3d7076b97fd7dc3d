package main

import (
	"fmt"
	"io"

	"github.com/snowflake-mcp/snowflake-mcp/config"
)

func runConfig(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "print" && args[0] != "check") {
		fmt.Fprintln(stderr, "usage: snowflake-mcp config print [--format yaml|json] [flags] | config check [flags]")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return exitOK
		}
		return exitUsage
	}
	sub := args[0]
	fs := newFlagSet("config "+sub, stderr)
	cf := config.BindFlags(fs)
	format := "yaml"
	if sub == "print" {
		fs.StringVar(&format, "format", "yaml", "output format: yaml or json")
	}
	if code, done := parseFlags(fs, args[1:], stderr); done {
		return code
	}
	if format != "yaml" && format != "json" {
		fmt.Fprintf(stderr, "snowflake-mcp config print: --format %q is not yaml or json\n", format)
		return exitUsage
	}
	lc, ok := loadConfig(cf, stderr)
	if !ok {
		return exitUsage
	}
	if sub == "check" {
		if err := lc.CheckExposure(); err != nil {
			fmt.Fprintf(stderr, "snowflake-mcp: %v\n", err)
			return exitUsage
		}
		file := lc.ConfigFile
		if file == "" {
			file = "none"
		}
		fmt.Fprintf(stdout, "config ok: environment %s, operator file %s\n", lc.Config.Environment, file)
		return exitOK
	}
	var err error
	if format == "json" {
		err = lc.WriteJSON(stdout)
	} else {
		err = lc.WriteYAML(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "snowflake-mcp: write config: %v\n", err)
		return exitFailure
	}
	return exitOK
}
