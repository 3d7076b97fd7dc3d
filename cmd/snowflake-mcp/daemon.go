package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/snowflake-mcp/snowflake-mcp/config"
	"github.com/snowflake-mcp/snowflake-mcp/daemon"
)

// defaultDaemonPIDFile is where daemon commands look without --pid-file
// (and what deploy/logrotate/snowflake-mcp signals).
const defaultDaemonPIDFile = "/run/snowflake-mcp/snowflake-mcp.pid"

const daemonUsage = `usage: snowflake-mcp daemon start|stop|status|restart|reload|reopen-logs [flags]

  start        start the server detached (own session, no terminal, cwd /) and wait until
               it is ready; --no-daemon stays in the foreground (what PM2 and systemd run)
  stop         SIGTERM, wait for the drain (--timeout), SIGKILL after it only with --force
  status       PID, version, uptime, generation, readiness; exit 0 running, 1 dead with a
               PID file, 3 not running
  restart      stop, then start
  reload       SIGHUP (zero-downtime upgrade) and wait until the new generation is ready
  reopen-logs  SIGUSR1 (after logrotate)

Flags are serve's (--listen, --config, --env, --pid-file, --set, ...) plus the ones below.
The PID file defaults to ` + defaultDaemonPIDFile + `.
`

// daemonFlags are the flags daemon adds to serve's.
var daemonOnlyFlags = map[string]bool{"no-daemon": true, "timeout": true, "force": true, "output": true}

func runDaemon(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(stderr, daemonUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return exitOK
		}
		return exitUsage
	}
	sub := args[0]
	switch sub {
	case "start", "stop", "status", "restart", "reload", "reopen-logs":
	default:
		fmt.Fprintf(stderr, "snowflake-mcp daemon: unknown command %q\n\n%s", sub, daemonUsage)
		return exitUsage
	}
	fs := newFlagSet("daemon "+sub, stderr)
	cf := config.BindFlags(fs)
	noDaemon := fs.Bool("no-daemon", false, "start: stay in the foreground (under PM2, systemd or a container)")
	timeout := fs.Duration("timeout", time.Minute, "how long start, stop and reload wait")
	force := fs.Bool("force", false, "stop: SIGKILL the server when it has not stopped within --timeout")
	output := fs.String("output", "", "start: file for the detached server's stdout and stderr (default <log.dir>/daemon.out, else next to the PID file)")
	if code, done := parseFlags(fs, args[1:], stderr); done {
		return code
	}
	if sub == "start" && *noDaemon {
		return runForeground(ctx, fs, cf, stdout, stderr)
	}

	opts, err := cf.Options()
	var lc *config.Loaded
	if err == nil {
		lc, err = config.Load(opts)
	}
	var incomplete *config.IncompleteError
	// Controlling a running server needs its PID file and address, not credentials.
	if err != nil && !(sub != "start" && sub != "restart" && errors.As(err, &incomplete) && lc != nil) {
		fmt.Fprintf(stderr, "snowflake-mcp: %v\n", err)
		return exitUsage
	}
	pidFile := lc.Config.Reload.PIDFile
	if pidFile == "" {
		pidFile = defaultDaemonPIDFile
	}
	if pidFile, err = filepath.Abs(pidFile); err != nil {
		fmt.Fprintf(stderr, "snowflake-mcp: PID file: %v\n", err)
		return exitUsage
	}
	ctl := &daemon.Control{PIDFile: pidFile, BaseURL: baseURL(lc.Config.Server.Listen), Timeout: *timeout, Out: stdout}

	fail := func(err error) int {
		fmt.Fprintf(stderr, "snowflake-mcp daemon %s: %v\n", sub, err)
		return exitFailure
	}
	switch sub {
	case "status":
		return ctl.Status()
	case "stop":
		if err := ctl.Stop(*force); err != nil {
			return fail(err)
		}
		return exitOK
	case "reload":
		if err := ctl.Reload(); err != nil {
			return fail(err)
		}
		return exitOK
	case "reopen-logs":
		if err := ctl.ReopenLogs(); err != nil {
			return fail(err)
		}
		return exitOK
	case "restart":
		if err := ctl.Stop(*force); err != nil {
			return fail(err)
		}
	}
	cmd, out, err := detachedCommand(fs, &lc.Config, pidFile, *output)
	if err != nil {
		return fail(err)
	}
	if err := ctl.Start(cmd, out); err != nil {
		return fail(err)
	}
	return exitOK
}

// runForeground is `daemon start --no-daemon`: the server itself, or the
// keeper over it (reload.supervisor keeper, or auto under PM2).
func runForeground(ctx context.Context, fs *pflag.FlagSet, cf *config.Flags, stdout, stderr io.Writer) int {
	lc, ok := loadConfig(cf, stderr)
	if !ok {
		return exitUsage
	}
	sup := lc.Config.Reload.Supervisor
	useKeeper := sup == "keeper" || (sup == "auto" && os.Getenv("pm_id") != "")
	if !useKeeper || daemon.UnderKeeper() {
		return runServe(ctx, serveArgs(fs), stdout, stderr)
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "snowflake-mcp: keeper: %v\n", err)
		return exitFailure
	}
	pidFile := lc.Config.Reload.PIDFile
	if pidFile == "" {
		// The keeper needs one to find the serving generation.
		pidFile = filepath.Join(os.TempDir(), fmt.Sprintf("snowflake-mcp-keeper-%d.pid", os.Getpid()))
		defer os.Remove(pidFile)
	}
	argv := append([]string{exe, "serve"}, serveArgs(fs)...)
	argv = append(argv, "--pid-file", pidFile)
	k := &daemon.Keeper{Argv: argv, Env: os.Environ(), PIDFile: pidFile,
		Log: slog.New(slog.NewJSONHandler(stderr, nil)).With("log", "keeper")}
	code, err := k.Run(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "snowflake-mcp: %v\n", err)
	}
	return code
}

// serveArgs rebuilds serve's flags from the ones given to daemon.
func serveArgs(fs *pflag.FlagSet) []string {
	var out []string
	fs.Visit(func(f *pflag.Flag) {
		if daemonOnlyFlags[f.Name] {
			return
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			for _, v := range sv.GetSlice() {
				out = append(out, "--"+f.Name+"="+v)
			}
			return
		}
		out = append(out, "--"+f.Name+"="+f.Value.String())
	})
	return out
}

// detachedCommand is the command `daemon start` runs in the background:
// `daemon start --no-daemon` with every path made absolute (it runs in /).
func detachedCommand(fs *pflag.FlagSet, cfg *config.Config, pidFile, output string) (*exec.Cmd, string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	args := []string{"daemon", "start", "--no-daemon"}
	abs := map[string]bool{"pid-file": true, "config": true, "log-dir": true}
	for _, a := range serveArgs(fs) {
		name, val, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if abs[name] {
			if p, err := filepath.Abs(val); err == nil {
				a = "--" + name + "=" + p
			}
		}
		args = append(args, a)
	}
	if !fs.Changed("pid-file") {
		args = append(args, "--pid-file="+pidFile)
	}
	if err := os.MkdirAll(filepath.Dir(pidFile), 0o755); err != nil {
		return nil, "", fmt.Errorf("PID file directory: %w", err)
	}
	if output == "" {
		if cfg.Log.Dir != "" {
			output = filepath.Join(cfg.Log.Dir, "daemon.out")
			if err := os.MkdirAll(cfg.Log.Dir, 0o750); err != nil {
				return nil, "", fmt.Errorf("log directory: %w", err)
			}
		} else {
			output = strings.TrimSuffix(pidFile, ".pid") + ".out"
		}
	}
	if output, err = filepath.Abs(output); err != nil {
		return nil, "", err
	}
	return exec.Command(exe, args...), output, nil
}

// baseURL is where the daemon commands reach the server; "" for a
// kernel-chosen port, which only the server knows.
func baseURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil || port == "0" {
		return ""
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
