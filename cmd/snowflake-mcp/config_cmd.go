package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/snowflake-mcp/snowflake-mcp/config"
	"github.com/snowflake-mcp/snowflake-mcp/snowpool"
)

const configUsage = "usage: snowflake-mcp config print [--format yaml|json] [flags] | config check [flags]"

func runConfig(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "print" && args[0] != "check") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(stdout, configUsage)
			return exitOK
		}
		if len(args) > 0 {
			fmt.Fprintf(stderr, "snowflake-mcp config: unknown subcommand %q\n", args[0])
		}
		fmt.Fprintln(stderr, configUsage)
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
	var lc *config.Loaded
	var incomplete *config.IncompleteError
	if sub == "print" {
		// An incomplete configuration is still printed, with what is missing marked.
		opts, err := cf.Options()
		if err == nil {
			lc, err = config.Load(opts)
		}
		if err != nil && !(errors.As(err, &incomplete) && lc != nil) {
			fmt.Fprintf(stderr, "snowflake-mcp: %v\n", err)
			return exitUsage
		}
	} else {
		var ok bool
		if lc, ok = loadConfig(cf, stderr); !ok {
			return exitUsage
		}
	}
	if sub == "check" {
		// What serve checks only when it builds the Snowflake connection (externalbrowser,
		// key files, connections.toml), so check does not pass a config serve refuses.
		if _, err := snowpool.DriverConfig(lc.Config.Snowflake, snowpool.DriverOptions{Application: "snowflake-mcp"}); err != nil {
			fmt.Fprintf(stderr, "snowflake-mcp: config: serve would refuse it: %v\n", err)
			return exitUsage
		}
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
	if incomplete != nil && format == "yaml" {
		fmt.Fprintf(stdout, "# INCOMPLETE, serve and config check refuse it: %v\n", incomplete.Missing)
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
	if incomplete != nil {
		fmt.Fprintf(stderr, "snowflake-mcp: configuration incomplete (serve and config check refuse it): %v\n", incomplete.Missing)
	}
	return exitOK
}
