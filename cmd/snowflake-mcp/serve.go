package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/snowflake-mcp/snowflake-mcp/config"
	"github.com/snowflake-mcp/snowflake-mcp/daemon"
	"github.com/snowflake-mcp/snowflake-mcp/httpapi"
	"github.com/snowflake-mcp/snowflake-mcp/logging"
	"github.com/snowflake-mcp/snowflake-mcp/metrics"
	"github.com/snowflake-mcp/snowflake-mcp/reload"
)

func runServe(ctx context.Context, args []string, _, stderr io.Writer) int {
	fs := newFlagSet("serve", stderr)
	cf := config.BindFlags(fs)
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	// A generation started by SIGHUP that fails here is rolled back; the
	// report tells the old generation why.
	lc, err := loadServeConfig(cf)
	if err != nil {
		reload.ReportStartupFailure(err)
		fmt.Fprintf(stderr, "snowflake-mcp: %v\n", err)
		return exitUsage
	}
	logs, err := logging.New(lc.Config.Log)
	if err != nil {
		reload.ReportStartupFailure(fmt.Errorf("logging: %w", err))
		fmt.Fprintf(stderr, "snowflake-mcp: logging: %v\n", err)
		return exitFailure
	}
	defer logs.Close()
	logs.LogSQL = lc.Config.Query.LogSQL
	if err := serve(ctx, lc, logs); err != nil {
		reload.ReportStartupFailure(err)
		logs.App.Error("serve failed", "error", err.Error())
		fmt.Fprintf(stderr, "snowflake-mcp: serve: %v\n", err)
		return exitFailure
	}
	return exitOK
}

func loadServeConfig(cf *config.Flags) (*config.Loaded, error) {
	opts, err := cf.Options()
	if err != nil {
		return nil, err
	}
	lc, err := config.Load(opts)
	if err != nil {
		return nil, err
	}
	// A listener others can reach needs caller authentication (or the explicit override).
	if err := lc.CheckExposure(); err != nil {
		return nil, err
	}
	return lc, nil
}

// serve wires the packages together; the lifecycle (SIGHUP hand-off, drain on
// SIGTERM/SIGINT, SIGUSR1 log reopen, PID file, sd_notify) lives in reload.
func serve(ctx context.Context, lc *config.Loaded, logs *logging.Logs) error {
	cfg := lc.Config
	ready := httpapi.NewReadiness()
	life, err := reload.New(reload.Options{
		PIDFile:        cfg.Reload.PIDFile,
		UpgradeTimeout: cfg.Reload.UpgradeTimeout,
		DrainTimeout:   cfg.Server.DrainTimeout,
		DrainDelay:     cfg.Server.DrainDelay,
		Supervised:     daemon.UnderKeeper(),
		Mode:           cfg.Reload.Mode,
		Logger:         logs.App,
		Readiness:      ready,
		Logs:           logs,
	})
	if err != nil {
		return err
	}
	m := metrics.New(metrics.Build{Version: version, Commit: commit})
	m.WatchReadiness(ready.State)
	m.WatchUpgrades(func() (int64, int64) { s := life.Stats(); return s.Upgrades, s.FailedUpgrades })

	// Inherited from the previous generation after a SIGHUP.
	ln, err := life.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s (server.listen from %s): %w", cfg.Server.Listen, lc.Sources["server.listen"], err)
	}

	// An upgrade child returns once the pool is warm, so Ready below means ready
	// (and a child that cannot log in is rolled back). A first generation serves at
	// once and logs in in the background: Snowflake down must not make it exit.
	be, err := newBackend(ctx, &cfg, logs, m, life.Upgrading())
	if err != nil {
		return fmt.Errorf("start backend: %w", err)
	}
	if be.Close != nil {
		life.OnShutdown(func(context.Context) error { return be.Close() })
	}
	if be.Queries != nil {
		life.SetQueries(be.Queries) // the drain waits for running Snowflake queries
	}
	acc, err := guard(ctx, &cfg, logs, be.Handler, m.Handler())
	if err != nil {
		return err
	}
	router := httpapi.NewRouter(httpapi.Options{
		Server:    cfg.Server,
		Logs:      logs,
		Readiness: ready,
		Ping:      be.Ping,
		Version:   versionInfo(),
		MCP:       acc.MCP,
		Metrics:   acc.Metrics,
		Observe:   m.Middleware,
		Public:    acc.Public,
	})
	// TLS files are read here, before Ready: a bad one fails this generation and an
	// upgrade rolls back.
	srvLn, err := tlsListener(ln, cfg.Server.TLS)
	if err != nil {
		return err
	}
	life.AddServer(httpapi.NewServer(cfg.Server, life.Middleware(router), logs), srvLn)
	if cfg.Metrics.Listen != "" {
		mln, err := life.Listen("tcp", cfg.Metrics.Listen)
		if err != nil {
			return fmt.Errorf("listen on %s (metrics.listen from %s): %w", cfg.Metrics.Listen, lc.Sources["metrics.listen"], err)
		}
		life.AddServer(httpapi.NewServer(cfg.Server, metricsRouter(m.Handler()), logs), mln)
		logs.App.Info("metrics listening", "addr", mln.Addr().String())
	}

	// Start-up (package init, config, logins) leaves garbage the first GC would
	// only find later; collect it and return it to the OS before serving.
	debug.FreeOSMemory()
	if err := life.Ready(); err != nil {
		return err
	}
	logs.App.Info("listening", "addr", ln.Addr().String(), "mcp_path", cfg.Server.MCPPath,
		"environment", cfg.Environment, "version", version, "pid", os.Getpid())
	if err := life.Run(ctx); err != nil {
		return err
	}
	logs.App.Info("stopped")
	return nil
}
