package mcptools_test

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/snowflake-mcp/snowflake-mcp/testbin"
	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// TestStdioBinary drives `snowflake-mcp stdio` (the real binary) with the go-sdk's
// command transport: same tools, and stdout carries nothing but the protocol
// (a stray log line there would break the client's JSON decoding).
func TestStdioBinary(t *testing.T) {
	emu := testemulator.Start(t)
	bin := testbin.Build(t, "./cmd/snowflake-mcp", "SNOWFLAKE_MCP_BIN")
	cmd := exec.Command(bin, "stdio", "--log-level", "debug", "--set", "snowflake.port="+strconv.Itoa(emu.Port))
	cmd.Env = testbin.CleanEnv()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := mcp.NewClient(&mcp.Implementation{Name: "stdio-it", Version: "1"}, nil)
	cs, err := c.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("connect over stdio: %v\nstderr: %s", err, stderr.String())
	}
	tools, err := cs.ListTools(ctx, nil)
	if err != nil || len(tools.Tools) != 8 {
		t.Fatalf("tools over stdio: %v, %d tools", err, len(tools.Tools))
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "execute_query", Arguments: map[string]any{"query": "SELECT NAME FROM DEMO.SALES.REGIONS WHERE REGION_ID = 2"}})
	if err != nil || res.IsError {
		t.Fatalf("execute_query over stdio: %v %v", err, res)
	}
	if tc, ok := res.Content[0].(*mcp.TextContent); !ok || !strings.Contains(tc.Text, "Europe") {
		t.Errorf("result text: %+v", res.Content[0])
	}
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "execute_query", Arguments: map[string]any{"query": "DELETE FROM DEMO.SALES.REGIONS"}})
	if err != nil || !res.IsError {
		t.Errorf("DELETE over stdio not refused: %v %+v", err, res)
	}
	if err := cs.Close(); err != nil {
		t.Logf("close: %v", err)
	}
	if !strings.Contains(stderr.String(), "serving MCP over stdio") {
		t.Errorf("no startup log on stderr: %s", stderr.String())
	}
}
