package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/snowflake-mcp/snowflake-mcp/config"
	"github.com/snowflake-mcp/snowflake-mcp/httpapi"
	"github.com/snowflake-mcp/snowflake-mcp/logging"
)

func runServe(ctx context.Context, args []string, _, stderr io.Writer) int {
	fs := newFlagSet("serve", stderr)
	cf := config.BindFlags(fs)
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	lc, ok := loadConfig(cf, stderr)
	if !ok {
		return exitUsage
	}
	logs, err := logging.New(lc.Config.Log)
	if err != nil {
		fmt.Fprintf(stderr, "snowflake-mcp: logging: %v\n", err)
		return exitFailure
	}
	defer logs.Close()
	logs.LogSQL = lc.Config.Query.LogSQL
	if err := serve(ctx, lc, logs); err != nil {
		logs.App.Error("serve failed", "error", err.Error())
		fmt.Fprintf(stderr, "snowflake-mcp: serve: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// serve runs the HTTP server until SIGTERM or SIGINT, then drains for server.drain_timeout.
// SIGUSR1 reopens the log files (logrotate's postrotate).
func serve(ctx context.Context, lc *config.Loaded, logs *logging.Logs) error {
	cfg := lc.Config
	ready := httpapi.NewReadiness()

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, os.Interrupt, syscall.SIGUSR1)
	defer signal.Stop(sigs)

	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s (server.listen from %s): %w", cfg.Server.Listen, lc.Sources["server.listen"], err)
	}
	defer ln.Close()

	// MCP: the backend (pool + MCP handler) is built here and mounted by NewRouter.
	be, err := newBackend(ctx, &cfg, logs)
	if err != nil {
		return fmt.Errorf("start backend: %w", err)
	}
	if be.Close != nil {
		defer func() {
			if err := be.Close(); err != nil {
				logs.App.Warn("closing backend", "error", err.Error())
			}
		}()
	}
	router := httpapi.NewRouter(httpapi.Options{
		Server:    cfg.Server,
		Logs:      logs,
		Readiness: ready,
		Ping:      be.Ping,
		Version:   versionInfo(),
		MCP:       be.Handler,
	})
	srv := httpapi.NewServer(cfg.Server, router, logs)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	ready.SetReady()
	logs.App.Info("listening", "addr", ln.Addr().String(), "mcp_path", cfg.Server.MCPPath,
		"environment", cfg.Environment, "version", version, "pid", os.Getpid())

	for {
		select {
		case err := <-served:
			return fmt.Errorf("http server: %w", err)
		case <-ctx.Done():
		case sig := <-sigs:
			if sig == syscall.SIGUSR1 {
				if err := logs.Reopen(); err != nil {
					logs.App.Error("reopening log files", "error", err.Error())
				} else {
					logs.App.Info("log files reopened")
				}
				continue
			}
			logs.App.Info("shutting down", "signal", sig.String(), "drain_timeout", cfg.Server.DrainTimeout.String())
		}
		break
	}
	ready.SetDraining()
	sctx, cancel := context.WithTimeout(context.Background(), cfg.Server.DrainTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("drain within %s: %w", cfg.Server.DrainTimeout, err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	logs.App.Info("stopped")
	return nil
}
