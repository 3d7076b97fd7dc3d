package main

import (
	"context"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/testbin"
	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// TestStdioStopCancelsRunningQuery: stdio mode must stop promptly on SIGTERM
// and on the end of its input while a tool call's query runs, and cancel that
// query in Snowflake rather than wait for it.
func TestStdioStopCancelsRunningQuery(t *testing.T) {
	for _, how := range []string{"SIGTERM", "stdin EOF"} {
		t.Run(how, func(t *testing.T) {
			emu := testemulator.Start(t)
			ctx := context.Background()
			cmd := exec.Command(bin(t), "stdio", "--config", writeFile(t, "e.yaml", ""),
				"--set", "snowflake.port="+strconv.Itoa(emu.Port))
			cmd.Env = testbin.CleanEnv()
			in, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				_, _ = io.Copy(io.Discard, out)
				done <- cmd.Wait()
			}()
			t.Cleanup(func() { _ = cmd.Process.Kill() })
			for _, m := range []string{
				`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}`,
				`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
				`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"execute_query","arguments":{"query":"SELECT SYSTEM$WAIT(120) AS STOP_ME"}}}`,
			} {
				if _, err := io.WriteString(in, m+"\n"); err != nil {
					t.Fatal(err)
				}
			}
			state := func() string {
				qs, _ := emu.Queries(ctx)
				for _, q := range qs {
					if strings.Contains(q.SQL, "STOP_ME") {
						return q.State
					}
				}
				return ""
			}
			waitUntil(t, func() bool { return state() == "running" })

			start := time.Now()
			if how == "SIGTERM" {
				if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
					t.Fatal(err)
				}
			} else if err := in.Close(); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("exit after %s: %v\nstderr: %s", how, err, stderr.String())
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("stdio still running 20s after %s with a query running\nstderr: %s", how, stderr.String())
			}
			t.Logf("exited %s after %s", time.Since(start), how)
			if got := state(); got != "aborted" {
				t.Errorf("query state in Snowflake after the stop: %q, want aborted", got)
			}
		})
	}
}
