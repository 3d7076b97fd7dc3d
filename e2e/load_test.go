package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// mcpLoad is a fixed number of real MCP clients (the go-sdk client over
// Streamable HTTP), each calling execute_query in a loop through one URL.
type mcpLoad struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	ok     atomic.Int64

	mu       sync.Mutex
	servedBy map[int]int // PID -> calls answered
	calls    []call      // failures only, and every call when keepAll
	keepAll  bool
	inFlight map[int]time.Time // worker -> start of its outstanding call
}

// call is the record of one tool call.
type call struct {
	worker     int
	start, end time.Time
	pid        int
	err        error
}

// pidRecorder remembers which replica answered the last request of one
// client, and turns any non-2xx answer into a visible failure even if the
// SDK would cope with it.
type pidRecorder struct {
	next    http.RoundTripper
	lastPID atomic.Int64
	bad     atomic.Value // string: the last non-2xx status seen
}

func (p *pidRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := p.next.RoundTrip(req)
	if err != nil {
		p.bad.Store("transport: " + err.Error())
		return nil, err
	}
	if pid, err := strconv.Atoi(resp.Header.Get(pidHeader)); err == nil {
		p.lastPID.Store(int64(pid))
	}
	if resp.StatusCode >= 300 && !(req.Method == http.MethodDelete || req.Method == http.MethodGet) {
		p.bad.Store(fmt.Sprintf("HTTP %d on %s", resp.StatusCode, req.Method))
	}
	return resp, nil
}

func startMCPLoad(t testing.TB, url string, workers int, keepAll bool) *mcpLoad {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &mcpLoad{cancel: cancel, servedBy: map[int]int{}, keepAll: keepAll, inFlight: map[int]time.Time{}}
	base := &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second}
	t.Cleanup(base.CloseIdleConnections)
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			l.worker(ctx, url, w, base)
		}()
	}
	return l
}

func (l *mcpLoad) worker(ctx context.Context, url string, w int, base http.RoundTripper) {
	rec := &pidRecorder{next: base}
	hc := &http.Client{Transport: rec, Timeout: 60 * time.Second}
	var cs *mcp.ClientSession
	defer func() {
		if cs != nil {
			_ = cs.Close()
		}
	}()
	for ctx.Err() == nil {
		start := time.Now()
		l.mu.Lock()
		l.inFlight[w] = start
		l.mu.Unlock()
		rec.bad.Store("")
		rec.lastPID.Store(0)
		var err error
		if cs == nil {
			c := mcp.NewClient(&mcp.Implementation{Name: "e2e-load", Version: "1"}, nil)
			cs, err = c.Connect(ctx, &mcp.StreamableClientTransport{
				Endpoint: url, HTTPClient: hc, MaxRetries: -1, DisableStandaloneSSE: true,
			}, nil)
			if err != nil {
				cs = nil
				err = fmt.Errorf("connect: %w", err)
			}
		}
		if err == nil {
			err = queryOnce(ctx, cs, w)
		}
		if bad, _ := rec.bad.Load().(string); err == nil && bad != "" {
			err = fmt.Errorf("the call succeeded after a failed HTTP exchange: %s", bad)
		}
		end := time.Now()
		l.mu.Lock()
		delete(l.inFlight, w)
		l.mu.Unlock()
		if ctx.Err() != nil && err != nil {
			return // stopped mid-call: not the servers' fault
		}
		c := call{worker: w, start: start, end: end, pid: int(rec.lastPID.Load()), err: err}
		l.mu.Lock()
		if err == nil {
			l.ok.Add(1)
			l.servedBy[c.pid]++
		}
		if err != nil || l.keepAll {
			l.calls = append(l.calls, c)
		}
		l.mu.Unlock()
		if err != nil && cs != nil {
			// A broken session is replaced, as a real agent would.
			_ = cs.Close()
			cs = nil
		}
	}
}

func queryOnce(ctx context.Context, cs *mcp.ClientSession, w int) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "execute_query", Arguments: map[string]any{"query": fmt.Sprintf("SELECT %d AS worker", w)}})
	if err != nil {
		return err
	}
	var text strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			text.WriteString(tc.Text)
		}
	}
	if res.IsError {
		return fmt.Errorf("tool error: %s", text.String())
	}
	if !strings.Contains(text.String(), strconv.Itoa(w)) {
		return fmt.Errorf("result %q lacks the worker number %d", text.String(), w)
	}
	return nil
}

func (l *mcpLoad) stop() {
	l.cancel()
	l.wg.Wait()
}

func (l *mcpLoad) served() int64 { return l.ok.Load() }

func (l *mcpLoad) failures() []call {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []call
	for _, c := range l.calls {
		if c.err != nil {
			out = append(out, c)
		}
	}
	return out
}

func (l *mcpLoad) servedByPID() map[int]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := make(map[int]int, len(l.servedBy))
	for k, v := range l.servedBy {
		m[k] = v
	}
	return m
}

// outstanding is how many calls are in flight right now, across all replicas.
func (l *mcpLoad) outstanding() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.inFlight)
}

// waitServed waits until pid has answered at least n calls.
func (l *mcpLoad) waitServed(t testing.TB, pid, n int, d time.Duration) {
	t.Helper()
	waitFor(t, d, fmt.Sprintf("PID %d to serve %d calls through the balancer", pid, n), func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.servedBy[pid] >= n
	})
}
