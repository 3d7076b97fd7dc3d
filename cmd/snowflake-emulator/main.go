// Command snowflake-emulator serves a local Snowflake (gosnowflake's REST
// protocol on DuckDB) with the embedded demo warehouse. It prints
// "snowflake-emulator listening on HOST:PORT" on stdout once it accepts connections.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/snowflake-mcp/snowflake-mcp/emulator"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "snowflake-emulator:", err)
		os.Exit(1)
	}
}

func run() error {
	fs := pflag.NewFlagSet("snowflake-emulator", pflag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8089", "address to listen on")
	seeds := fs.StringArray("seed", nil, "directory of extra *.sql files (DuckDB SQL) run after the demo warehouse; repeatable")
	usersFile := fs.String("users", "", "YAML or JSON users file (default: account demo, user demo, password demo)")
	asyncAfter := fs.Duration("async-after", 45*time.Second, "queries running longer answer 'in progress' and are polled")
	chunkRows := fs.Int("chunk-rows", 10000, "results with more rows are split into downloadable chunks of this size")
	sessionTTL := fs.Duration("session-ttl", 0, "session tokens expire after this duration (0: never)")
	memoryLimit := fs.String("memory-limit", emulator.DefaultMemoryLimit, "DuckDB memory limit (e.g. 2GiB, 512MB); queries needing more fail instead of growing the process")
	threads := fs.Int("threads", 0, "DuckDB worker threads (0: one per core)")
	chunkBytes := fs.Int("chunk-bytes", 8<<20, "a result chunk holds at most about this many bytes (wide rows make smaller chunks)")
	resultFormat := fs.String("result-format", "auto", "auto: Arrow for the Go driver unless the session asks for JSON, JSON for other clients; json: JSON for every client")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil
		}
		return err
	}
	if *resultFormat != "auto" && *resultFormat != "json" {
		return fmt.Errorf("--result-format %q: want auto or json", *resultFormat)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	cfg := emulator.Config{SeedDirs: *seeds, AsyncAfter: *asyncAfter, ChunkRows: *chunkRows, SessionTTL: *sessionTTL, Logger: log,
		MemoryLimit: *memoryLimit, Threads: *threads, ChunkBytes: *chunkBytes, ResultFormat: *resultFormat}
	if *usersFile != "" {
		users, err := emulator.LoadUsers(*usersFile)
		if err != nil {
			return err
		}
		cfg.Users = users
	}
	srv, err := emulator.New(cfg)
	if err != nil {
		return err
	}
	defer func() { _ = srv.Close() }()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	fmt.Printf("snowflake-emulator listening on %s\n", ln.Addr())
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	// Abort running queries first so held requests (long polls) answer at once.
	_ = srv.Close()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
