package bench

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// inFlight reads snowflake_mcp_http_requests_in_flight from /metrics.
func inFlight(ctx context.Context, addr string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "snowflake_mcp_http_requests_in_flight "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return int(f), err
		}
	}
	return 0, fmt.Errorf("/metrics has no snowflake_mcp_http_requests_in_flight")
}

// rssInFlight holds n execute_query calls in flight at once (each waits on a
// long query or for a pool connection), reads RSS while they are, then hangs
// them all up, which cancels their queries (protocol 2026-07-28: the go-sdk
// ties a handler to its HTTP request only there).
func rssInFlight(ctx context.Context, s *server, n int) (int64, error) {
	c := newMCPCallerLatest(s.mcpURL(), "execute_query", `{"query":"SELECT SYSTEM$WAIT(60) AS BENCH_IN_FLIGHT"}`, `"row_count":1`, n)
	callCtx, hangUp := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { _ = c.call(callCtx, 0) })
	}
	defer wg.Wait()
	defer hangUp()
	deadline := time.Now().Add(30 * time.Second)
	for {
		k, err := inFlight(ctx, s.addr)
		if err != nil {
			return 0, err
		}
		if k >= n { // /metrics itself is one of them
			break
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("only %d of %d calls in flight after 30 s", k, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	rss, _, err := readMem(s.currentPID())
	if err != nil {
		return 0, err
	}
	hangUp()
	// Every hung-up call must be gone before the next figure.
	for k := n; k > 1; {
		if time.Now().After(deadline.Add(30 * time.Second)) {
			return 0, fmt.Errorf("%d calls still in flight 30 s after their clients hung up", k)
		}
		time.Sleep(20 * time.Millisecond)
		if k, err = inFlight(ctx, s.addr); err != nil {
			return 0, err
		}
	}
	return rss, nil
}

// peakGrowthCapped reads DEMO.PUBLIC.BENCH_BIG (a million rows) with the server's
// row cap and reports how far the peak RSS rose above the RSS before the call.
func peakGrowthCapped(ctx context.Context, s *server) (int64, error) {
	pid := s.currentPID()
	if err := resetPeak(pid); err != nil {
		return 0, fmt.Errorf("reset peak RSS: %w", err)
	}
	before, _, err := readMem(pid)
	if err != nil {
		return 0, err
	}
	c := newMCPCaller(s.mcpURL(), "execute_query", `{"query":"SELECT * FROM DEMO.PUBLIC.BENCH_BIG","limit":1000}`, `"truncated":true`, 1)
	if err := c.call(ctx, 0); err != nil {
		return 0, fmt.Errorf("capped query: %w", err)
	}
	_, peak, err := readMem(pid)
	if err != nil {
		return 0, err
	}
	return peak - before, nil
}
