package mcptools_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	_ "github.com/snowflakedb/gosnowflake" // registers the "snowflake" driver for the direct baseline

	"github.com/snowflake-mcp/snowflake-mcp/config"
	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// BenchmarkSelect1 compares `execute_query` of SELECT 1 through MCP over HTTP
// with the same query through gosnowflake directly, against one emulator in one
// run, at concurrency 1 and 16. Each mcp sub-benchmark reports ratio_vs_direct:
// its throughput over the direct one measured just before it (target >= 0.8);
// mcp uses the go-sdk client, mcp-raw-http replays its request with net/http.
func BenchmarkSelect1(b *testing.B) {
	emu := testemulator.Start(b)
	const maxConc = 16

	direct, err := sql.Open("snowflake", emu.DSN("DEMO", "SALES"))
	if err != nil {
		b.Fatal(err)
	}
	defer direct.Close()
	direct.SetMaxOpenConns(maxConc)
	direct.SetMaxIdleConns(maxConc)
	warmDirect(b, direct, maxConc)

	st := startStack(b, emu, func(c *config.Config) {
		c.Pool.MaxOpen, c.Pool.MaxIdle, c.Pool.Warm = maxConc, maxConc, maxConc
	})
	sessions := make([]*mcp.ClientSession, maxConc)
	for i := range sessions {
		sessions[i] = connect(b, st.url, nil)
	}

	directOp := func(int) error {
		var v int
		return direct.QueryRowContext(context.Background(), "SELECT 1").Scan(&v)
	}
	mcpOp := func(w int) error {
		res, err := sessions[w].CallTool(context.Background(), &mcp.CallToolParams{
			Name: "execute_query", Arguments: map[string]any{"query": "SELECT 1"},
		})
		if err != nil {
			return err
		}
		if res.IsError {
			b.Fatalf("execute_query failed: %+v", res.Content)
		}
		return nil
	}

	// A lean HTTP client replays the exact tools/call request the SDK client sent
	// (headers and body), so the figure is the server's cost, not the Go client's.
	call := captureCall(b, st.url, "SELECT 1")
	httpc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: maxConc}}
	rawOp := func(int) error {
		req, err := http.NewRequest(http.MethodPost, st.url, bytes.NewReader(call.body))
		if err != nil {
			return err
		}
		req.Header = call.header.Clone()
		resp, err := httpc.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"row_count":1`)) || bytes.Contains(body, []byte(`"isError":true`)) {
			return fmt.Errorf("raw tools/call: %d %s", resp.StatusCode, body)
		}
		return nil
	}

	runSet := func(suffix string) {
		for _, conc := range []int{1, maxConc} {
			var directQPS float64
			b.Run("direct/c"+strconv.Itoa(conc)+suffix, func(b *testing.B) {
				directQPS = runConcurrent(b, conc, directOp)
			})
			b.Run("mcp/c"+strconv.Itoa(conc)+suffix, func(b *testing.B) {
				qps := runConcurrent(b, conc, mcpOp)
				if directQPS > 0 {
					b.ReportMetric(qps/directQPS, "ratio_vs_direct")
				}
			})
			b.Run("mcp-raw-http/c"+strconv.Itoa(conc)+suffix, func(b *testing.B) {
				qps := runConcurrent(b, conc, rawOp)
				if directQPS > 0 {
					b.ReportMetric(qps/directQPS, "ratio_vs_direct")
				}
			})
		}
	}
	// Against the emulator as it is, a SELECT 1 costs about 0.5 ms, so the ratio
	// measures the MCP layer's CPU (HTTP, JSON-RPC, the go-sdk) against DuckDB's,
	// both on the same cores.
	runSet("")
	// Snowflake itself answers even SELECT 1 in tens of milliseconds; with that
	// latency emulated, the ratio shows what the MCP layer costs in production.
	if err := emu.SetFaults(context.Background(), testemulator.Faults{QueryDelay: snowflakeLatency.String()}); err != nil {
		b.Fatal(err)
	}
	runSet("/snowflake-latency-" + snowflakeLatency.String())
	if err := emu.ClearFaults(context.Background()); err != nil {
		b.Fatal(err)
	}
}

// snowflakeLatency is a conservative round trip for a trivial query on a running
// warehouse; real figures are often higher.
const snowflakeLatency = 20 * time.Millisecond

// runConcurrent spreads b.N operations over conc workers and reports queries/s.
func runConcurrent(b *testing.B, conc int, op func(worker int) error) float64 {
	b.ReportAllocs()
	var next sync.Mutex
	remaining := b.N
	take := func() bool {
		next.Lock()
		defer next.Unlock()
		if remaining == 0 {
			return false
		}
		remaining--
		return true
	}
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range conc {
		wg.Go(func() {
			for take() {
				if err := op(w); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	qps := float64(b.N) / el.Seconds()
	b.ReportMetric(qps, "queries/s")
	return qps
}

func warmDirect(b *testing.B, db *sql.DB, n int) {
	conns := make([]*sql.Conn, n)
	for i := range conns {
		c, err := db.Conn(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		conns[i] = c
	}
	for _, c := range conns {
		_ = c.Close()
	}
}
