package mcptools_test

import (
	"context"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/snowflake-mcp/snowflake-mcp/config"
	"github.com/snowflake-mcp/snowflake-mcp/mcptools"
)

// TestBenchEcho: bench_echo returns its text, and it is off unless server.bench_tools asks for it.
func TestBenchEcho(t *testing.T) {
	if config.Defaults().Server.BenchTools {
		t.Fatal("server.bench_tools is on by default")
	}
	ctx := context.Background()
	srv := mcp.NewServer(&mcp.Implementation{Name: "t", Version: "0"}, nil)
	mcptools.AddBenchTools(srv)
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "0"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "bench_echo", Arguments: map[string]any{"text": "hello"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.IsError || len(res.Content) != 1 {
		t.Fatalf("bench_echo: %+v", res)
	}
	if tc, ok := res.Content[0].(*mcp.TextContent); !ok || tc.Text != "hello" {
		t.Fatalf("bench_echo returned %+v, want the text hello", res.Content[0])
	}
}
