package bench

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// caller makes one call of a scenario; worker is the caller's goroutine index.
type caller interface {
	call(ctx context.Context, worker int) error
}

// mcpCaller posts one stateless tools/call over keep-alive HTTP: the same lean
// client for every MCP server, so the figures are the servers' cost, not a client SDK's.
type mcpCaller struct {
	url      string
	body     []byte
	want     []byte // a successful answer contains this
	http     *http.Client
	protocol string
	tool     string
}

// mcpProtocol is a protocol version both the go-sdk and the TypeScript SDK serve statelessly.
const mcpProtocol = "2025-06-18"

func newMCPCaller(url, tool string, args string, want string, conc int) *mcpCaller {
	body := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":%q,"arguments":%s}}`, tool, args)
	return &mcpCaller{url: url, body: []byte(body), want: []byte(want), http: newHTTPClient(conc), protocol: mcpProtocol}
}

// newMCPCallerLatest speaks protocol 2026-07-28, where the POST is the whole
// request: only there does the go-sdk cancel a handler when its client hangs up.
func newMCPCallerLatest(url, tool string, args string, want string, conc int) *mcpCaller {
	const v = "2026-07-28"
	body := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":%q,"arguments":%s,`+
		`"_meta":{"io.modelcontextprotocol/protocolVersion":%q,"io.modelcontextprotocol/clientInfo":{"name":"snowflake-mcp-bench","version":"0"},`+
		`"io.modelcontextprotocol/clientCapabilities":{}}}}`, tool, args, v)
	return &mcpCaller{url: url, body: []byte(body), want: []byte(want), http: newHTTPClient(conc), protocol: v, tool: tool}
}

func newHTTPClient(conc int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        conc + 8,
		MaxIdleConnsPerHost: conc + 8,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	}}
}

var (
	isErrorTrue = []byte(`"isError":true`)
	rpcError    = []byte(`"error":{`)
)

func (c *mcpCaller) call(ctx context.Context, _ int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(c.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", c.protocol)
	if c.tool != "" {
		req.Header.Set("Mcp-Method", "tools/call")
		req.Header.Set("Mcp-Name", c.tool)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || bytes.Contains(body, isErrorTrue) || bytes.Contains(body, rpcError) || !bytes.Contains(body, c.want) {
		if len(body) > 300 {
			body = body[:300]
		}
		return fmt.Errorf("tools/call: HTTP %d: %s", resp.StatusCode, body)
	}
	return nil
}

// sqlCaller runs a statement through gosnowflake directly: the machine's limit.
type sqlCaller struct {
	db    *sql.DB
	query string
}

func (c *sqlCaller) call(ctx context.Context, _ int) error {
	rows, err := c.db.QueryContext(ctx, c.query)
	if err != nil {
		return err
	}
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return err
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: no rows", c.query)
	}
	return nil
}

// sample is one finished call.
type sample struct {
	at  time.Time // when it started
	dur time.Duration
	err error
}

// loadResult is what one round of closed-loop load measured.
type loadResult struct {
	calls   int
	errs    []error
	elapsed time.Duration
	lat     []time.Duration
}

// drive runs conc closed-loop workers for d (and at most maxCalls calls).
func drive(ctx context.Context, c caller, conc int, d time.Duration, maxCalls int) loadResult {
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second) // a stuck call cannot hold the round
	defer cancel()
	var issued atomic.Int64
	deadline := time.Now().Add(d)
	per := make([][]time.Duration, conc)
	errs := make([][]error, conc)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range conc {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 4096)
			for time.Now().Before(deadline) && issued.Add(1) <= int64(maxCalls) && ctx.Err() == nil {
				t := time.Now()
				err := c.call(ctx, w)
				lat = append(lat, time.Since(t))
				if err != nil {
					errs[w] = append(errs[w], err)
				}
			}
			per[w] = lat
		})
	}
	wg.Wait()
	r := loadResult{elapsed: time.Since(start)}
	for w := range conc {
		r.lat = append(r.lat, per[w]...)
		r.errs = append(r.errs, errs[w]...)
	}
	r.calls = len(r.lat)
	return r
}

// continuousLoad runs conc workers until stopped, keeping every sample (upgrade windows).
type continuousLoad struct {
	mu      sync.Mutex
	samples []sample
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	count   atomic.Int64
}

func startLoad(ctx context.Context, c caller, conc int, maxCalls int) *continuousLoad {
	ctx, cancel := context.WithCancel(ctx)
	l := &continuousLoad{cancel: cancel}
	for w := range conc {
		l.wg.Go(func() {
			var mine []sample
			for ctx.Err() == nil && l.count.Add(1) <= int64(maxCalls) {
				t := time.Now()
				err := c.call(ctx, w)
				if ctx.Err() != nil {
					break // stopped mid-call: not a failure of the server
				}
				mine = append(mine, sample{at: t, dur: time.Since(t), err: err})
			}
			l.mu.Lock()
			l.samples = append(l.samples, mine...)
			l.mu.Unlock()
		})
	}
	return l
}

func (l *continuousLoad) served() int64 { return l.count.Load() }

func (l *continuousLoad) stop() []sample {
	l.cancel()
	l.wg.Wait()
	return l.samples
}
