package mcptools

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type benchEchoIn struct {
	Text string `json:"text" jsonschema:"text to return"`
}

// AddBenchTools registers bench_echo, which returns its text argument and
// touches no Snowflake: `make bench` calls it to measure the MCP layer alone
// (HTTP, JSON-RPC, the SDK). Only server.bench_tools turns it on.
func AddBenchTools(srv *mcp.Server) {
	f := false
	mcp.AddTool(srv, &mcp.Tool{
		Name:        "bench_echo",
		Description: "Return the given text unchanged (benchmarking only; no Snowflake).",
		InputSchema: inputSchema[benchEchoIn](),
		Annotations: &mcp.ToolAnnotations{Title: "Echo", ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: &f},
	}, func(_ context.Context, _ *mcp.CallToolRequest, in benchEchoIn) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: in.Text}}}, nil, nil
	})
}
