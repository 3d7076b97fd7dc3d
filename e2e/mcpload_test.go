package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// clientLoad is n real MCP clients (the go-sdk's Streamable HTTP client), each
// calling execute_query in a loop, recording every outcome and the PID that
// served each answer.
type clientLoad struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	ok     atomic.Int64
	mu     sync.Mutex
	fails  []string
	pids   map[int]int
}

// pidCounter notes the X-Served-By-Pid of every response.
type pidCounter struct {
	l    *clientLoad
	next http.RoundTripper
}

func (p pidCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := p.next.RoundTrip(r)
	if err == nil && r.Method == http.MethodPost {
		if pid, _ := strconv.Atoi(resp.Header.Get("X-Served-By-Pid")); pid != 0 {
			p.l.mu.Lock()
			p.l.pids[pid]++
			p.l.mu.Unlock()
		}
	}
	return resp, err
}

func startClientLoad(t *testing.T, url string, n int) *clientLoad {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &clientLoad{cancel: cancel, pids: map[int]int{}}
	for w := range n {
		hc := &http.Client{Transport: pidCounter{l: l, next: http.DefaultTransport.(*http.Transport).Clone()}}
		c := mcp.NewClient(&mcp.Implementation{Name: fmt.Sprintf("e2e-load-%d", w), Version: "1"}, nil)
		cctx, ccancel := context.WithTimeout(ctx, 30*time.Second)
		cs, err := c.Connect(cctx, &mcp.StreamableClientTransport{Endpoint: url, HTTPClient: hc}, nil)
		ccancel()
		if err != nil {
			cancel()
			t.Fatalf("client %d: connect: %v", w, err)
		}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			defer cs.Close()
			for ctx.Err() == nil {
				callCtx, done := context.WithTimeout(context.Background(), 30*time.Second)
				res, err := cs.CallTool(callCtx, &mcp.CallToolParams{Name: "execute_query",
					Arguments: map[string]any{"query": fmt.Sprintf("SELECT %d AS worker", w)}})
				done()
				switch {
				case err != nil:
					l.fail(fmt.Sprintf("client %d: %v", w, err))
				case res.IsError:
					l.fail(fmt.Sprintf("client %d: tool error %v", w, res.Content))
				default:
					l.ok.Add(1)
				}
			}
		}()
	}
	return l
}

func (l *clientLoad) fail(s string) {
	l.mu.Lock()
	l.fails = append(l.fails, s)
	l.mu.Unlock()
}

// stop ends the load and returns the successes, the failures and the PIDs that served.
func (l *clientLoad) stop() (int64, []string, map[int]int) {
	l.cancel()
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ok.Load(), l.fails, l.pids
}
