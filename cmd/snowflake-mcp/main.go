// Command snowflake-mcp is an MCP server that gives AI agents safe, read-only-by-default
// access to Snowflake over Streamable HTTP (serve) or stdio (stdio).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/spf13/pflag"

	"github.com/snowflake-mcp/snowflake-mcp/config"
	"github.com/snowflake-mcp/snowflake-mcp/httpapi"
)

// Set by the linker: -X main.version=... -X main.commit=... -X main.date=...
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // runtime failure
	exitUsage   = 2 // bad command line or configuration
)

const usage = `Usage: snowflake-mcp <command> [flags]

Commands:
  serve          serve MCP over Streamable HTTP (with /healthz, /readyz, /version)
  daemon         start|stop|status|restart|reload|reopen-logs the HTTP server as a
                 background service, or under PM2 (see 'snowflake-mcp daemon --help')
  stdio          serve MCP over stdin/stdout (one client, e.g. a desktop agent)
  config print   print the effective configuration and where each key came from
                 (--format yaml|json; secrets are redacted)
  config check   validate the configuration and exit (0 ok, 2 error)
  token new NAME print a fresh bearer token for caller NAME and its auth.tokens entry
  version        print version, commit and build date

Configuration layers, each overriding the one before: built-in defaults, the
environment file (--env / SNOWFLAKE_MCP_ENV: development, staging, production),
the operator file (--config, default /etc/snowflake-mcp/config.yaml when present),
environment variables (SNOWFLAKE_MCP_<SECTION>__<KEY>, SNOWFLAKE_ACCOUNT, ...),
then flags (--listen, --log-level, ..., --set key=value).

Run 'snowflake-mcp <command> --help' for the flags of a command.
`

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches a command line and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], stdout, stderr)
	case "daemon":
		return runDaemon(ctx, args[1:], stdout, stderr)
	case "stdio":
		return runStdio(ctx, args[1:], stdin, stdout, stderr)
	case "config":
		return runConfig(args[1:], stdout, stderr)
	case "token":
		return runToken(args[1:], stdout, stderr)
	case "version", "--version":
		return runVersion(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "snowflake-mcp: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// newFlagSet returns a FlagSet that reports errors instead of exiting.
func newFlagSet(name string, stderr io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet("snowflake-mcp "+name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	return fs
}

// parseFlags parses args; done reports that the command must end with code (help or error).
func parseFlags(fs *pflag.FlagSet, args []string, stderr io.Writer) (code int, done bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK, true
		}
		fmt.Fprintf(stderr, "%s: %v\nRun '%s --help' for its flags.\n", fs.Name(), err, fs.Name())
		return exitUsage, true
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected arguments: %s\n", fs.Name(), strings.Join(fs.Args(), " "))
		return exitUsage, true
	}
	return 0, false
}

// loadConfig loads the layers the parsed flags select; errors are printed to stderr.
func loadConfig(cf *config.Flags, stderr io.Writer) (*config.Loaded, bool) {
	opts, err := cf.Options()
	if err == nil {
		var lc *config.Loaded
		if lc, err = config.Load(opts); err == nil {
			return lc, true
		}
	}
	fmt.Fprintf(stderr, "snowflake-mcp: %v\n", err)
	return nil, false
}

func versionInfo() httpapi.VersionInfo {
	return httpapi.VersionInfo{Version: version, Commit: commit, Date: date, Go: runtime.Version()}
}
