package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/snowflake-mcp/snowflake-mcp/config"
	"github.com/snowflake-mcp/snowflake-mcp/logging"
	"github.com/snowflake-mcp/snowflake-mcp/mcptools"
)

func runStdio(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("stdio", stderr)
	cf := config.BindStdioFlags(fs)
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	lc, ok := loadConfig(cf, stderr)
	if !ok {
		return exitUsage
	}
	cfg := lc.Config
	if cfg.Log.Output == "stdout" {
		fmt.Fprintf(stderr, "snowflake-mcp: config: log.output (from %s): stdout carries the MCP protocol in stdio mode; use stderr or file\n",
			lc.Sources["log.output"])
		return exitUsage
	}
	logs, err := logging.New(cfg.Log)
	if err != nil {
		fmt.Fprintf(stderr, "snowflake-mcp: logging: %v\n", err)
		return exitFailure
	}
	defer logs.Close()
	logs.LogSQL = cfg.Query.LogSQL

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	logs.App.Info("serving MCP over stdio", "version", version, "environment", cfg.Environment)
	// The end of the client's input waits for the answers to what it sent; a stop
	// signal still ends the input at once (endOnDone is outside).
	in, out := mcptools.AnswerBeforeEOF(stdin, stdout)
	if err := runStdioServer(ctx, &cfg, logs, endOnDone(ctx, in), out); err != nil && ctx.Err() == nil {
		logs.App.Error("stdio server failed", "error", err.Error())
		fmt.Fprintf(stderr, "snowflake-mcp: stdio: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// endOnDone returns in, ending with EOF once ctx ends. On a stop signal the
// SDK's session close waits for running tool calls without cancelling them,
// while the end of the client's input cancels them (and so their queries).
func endOnDone(ctx context.Context, in io.Reader) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		_, err := io.Copy(pw, in)
		_ = pw.CloseWithError(err) // nil: EOF
	}()
	context.AfterFunc(ctx, func() { _ = pw.Close() })
	return pr
}
