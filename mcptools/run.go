package mcptools

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/snowflakedb/gosnowflake"

	"github.com/snowflake-mcp/snowflake-mcp/authn"
	"github.com/snowflake-mcp/snowflake-mcp/httpapi"
	"github.com/snowflake-mcp/snowflake-mcp/limits"
	"github.com/snowflake-mcp/snowflake-mcp/logging"
	"github.com/snowflake-mcp/snowflake-mcp/snowpool"
)

// requestID is the HTTP request id (copied into the header by NewHTTPHandler),
// or a fresh id for stdio calls.
func requestID(req *mcp.CallToolRequest) string {
	if req != nil && req.Extra != nil && req.Extra.Header != nil {
		if id := req.Extra.Header.Get(httpapi.RequestIDHeader); id != "" {
			return id
		}
	}
	return httpapi.NewRequestID()
}

// query runs one statement with progress reporting and turns the outcome into a tool result.
func (t *Tools) query(ctx context.Context, req *mcp.CallToolRequest, tool, title string, st snowpool.Statement, lim scanLimits) (*mcp.CallToolResult, *Output, error) {
	st.Tool, st.RequestID = tool, requestID(req)
	if id, ok := authn.IdentityFromContext(ctx); ok {
		st.Identity = id.Name
	}
	stop := t.startProgress(ctx, req, tool)
	out, err := t.run(ctx, st, lim)
	stop()
	if err != nil {
		return toolError(describeError(err, out.QueryID))
	}
	return textResult(renderText(title, out)), out, nil
}

func (t *Tools) run(ctx context.Context, st snowpool.Statement, lim scanLimits) (*Output, error) {
	release, err := t.opts.Queries.Acquire(ctx)
	if err != nil {
		var be *limits.BusyError
		if !errors.As(err, &be) {
			err = fmt.Errorf("%w: %w", errQueueCancelled, err)
		}
		return &Output{}, err
	}
	defer release()
	out := &Output{}
	info, err := t.pool.Query(ctx, st, func(rows *sql.Rows) (int64, error) {
		return scanRows(rows, lim, out)
	})
	out.QueryID = info.QueryID
	if err != nil {
		return &Output{QueryID: info.QueryID}, err
	}
	return out, nil
}

// metadata runs a list_*/describe_* statement through the cache and
// singleflight, and keeps only the named columns (all when keep is nil).
func (t *Tools) metadata(ctx context.Context, req *mcp.CallToolRequest, tool, title, sql string, keep []string) (*mcp.CallToolResult, *Output, error) {
	key := tool + "\x00" + sql
	if out, ok := t.cache.get(key); ok {
		return textResult(renderText(title, out)), out, nil
	}
	reqID := requestID(req)
	stop := t.startProgress(ctx, req, tool)
	// Identical concurrent requests share one Snowflake query; it runs detached from
	// any single caller's cancellation (it is short, and bounded by query.timeout),
	// while each caller still stops waiting when its own context ends.
	ch := t.group.DoChan(key, func() (any, error) {
		st := snowpool.Statement{Tool: tool, RequestID: reqID, SQL: sql}
		if id, ok := authn.IdentityFromContext(ctx); ok {
			st.Identity = id.Name
		}
		out, err := t.run(context.WithoutCancel(ctx), st, t.metadataLimits())
		if err != nil {
			return out, err
		}
		project(out, keep)
		t.cache.put(key, out)
		return out, nil
	})
	var res singleflightResult
	select {
	case r := <-ch:
		res = singleflightResult{r.Val.(*Output), r.Err}
	case <-ctx.Done():
		stop()
		return toolError(&ToolError{Kind: "cancelled", Message: "request cancelled: " + context.Cause(ctx).Error()})
	}
	stop()
	if res.err != nil {
		return toolError(describeError(res.err, res.out.QueryID))
	}
	return textResult(renderText(title, res.out)), res.out, nil
}

type singleflightResult struct {
	out *Output
	err error
}

// project keeps the listed columns that exist, in the listed order.
func project(out *Output, keep []string) {
	if keep == nil || len(out.Columns) == 0 {
		return
	}
	var idx []int
	for _, k := range keep {
		for i, c := range out.Columns {
			if strings.EqualFold(c.Name, k) {
				idx = append(idx, i)
				break
			}
		}
	}
	if len(idx) == 0 {
		return
	}
	cols := make([]Column, len(idx))
	for j, i := range idx {
		cols[j] = out.Columns[i]
	}
	for r, row := range out.Rows {
		nr := make([]any, len(idx))
		for j, i := range idx {
			nr[j] = row[i]
		}
		out.Rows[r] = nr
	}
	out.Columns = cols
}

// startProgress sends progress notifications while a query runs, when the client
// asked for them with a progress token. The returned func stops them.
func (t *Tools) startProgress(ctx context.Context, req *mcp.CallToolRequest, tool string) func() {
	if req == nil || req.Session == nil || req.Params == nil {
		return func() {}
	}
	token := req.Params.GetProgressToken()
	if token == nil {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		start := time.Now()
		tick := time.NewTicker(t.opts.ProgressInterval)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case now := <-tick.C:
				el := now.Sub(start).Seconds()
				_ = req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{
					ProgressToken: token,
					Progress:      el,
					Message:       fmt.Sprintf("%s: query running for %.0fs", tool, el),
				})
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			<-finished
		})
	}
}

func textResult(text string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}
}

// toolError is a failed call: isError with a readable text and the structured error.
func toolError(e *ToolError) (*mcp.CallToolResult, *Output, error) {
	text := e.Message
	if e.QueryID != "" {
		text += " (query id " + e.QueryID + ")"
	}
	res := textResult(text)
	res.IsError = true
	return res, &Output{Error: e, QueryID: e.QueryID}, nil
}

func argError(arg string, err error) (*mcp.CallToolResult, *Output, error) {
	return toolError(&ToolError{Kind: "invalid_argument", Message: fmt.Sprintf("invalid %s: %v", arg, err)})
}

// describeError maps a query failure to a ToolError. Snowflake errors keep their
// code, SQL state and query id; URL queries (presigned signatures) are dropped.
func describeError(err error, queryID string) *ToolError {
	var se *gosnowflake.SnowflakeError
	var te *snowpool.TimeoutError
	var ce *snowpool.CancelledError
	var ue *snowpool.UnavailableError
	if ge, ok := gateError(err); ok {
		return ge
	}
	switch {
	case errors.As(err, &ue):
		return &ToolError{Kind: "unavailable", Message: ue.Error()}
	case errors.As(err, &te):
		return &ToolError{Kind: "timeout", Message: te.Error(), QueryID: queryID}
	case errors.As(err, &ce):
		return &ToolError{Kind: "cancelled", Message: ce.Error(), QueryID: queryID}
	case errors.As(err, &se):
		qid := se.QueryID
		if qid == "" {
			qid = queryID
		}
		msg := se.Message
		if len(se.MessageArgs) > 0 {
			msg = fmt.Sprintf(se.Message, se.MessageArgs...)
		}
		var mr *snowpool.MayHaveRunError
		if errors.As(err, &mr) {
			msg += " (the query may have run; it was not retried)"
		}
		return &ToolError{
			Kind:     "snowflake",
			Message:  fmt.Sprintf("Snowflake error %06d (%s): %s", se.Number, se.SQLState, logging.HideURLQueries(msg)),
			Code:     fmt.Sprintf("%06d", se.Number),
			SQLState: se.SQLState,
			QueryID:  qid,
		}
	}
	return &ToolError{Kind: "snowflake", Message: logging.HideURLQueries(err.Error()), QueryID: queryID}
}

// metaCache keeps metadata results for the TTL; a zero TTL disables it.
type metaCache struct {
	ttl time.Duration
	now func() time.Time // time.Now; tests move it
	mu  sync.Mutex
	m   map[string]cacheEntry
}

type cacheEntry struct {
	out     *Output
	expires time.Time
}

const maxCacheEntries = 4096

func newMetaCache(ttl time.Duration) *metaCache {
	return &metaCache{ttl: ttl, now: time.Now, m: map[string]cacheEntry{}}
}

func (c *metaCache) get(key string) (*Output, bool) {
	if c.ttl <= 0 {
		return nil, false
	}
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if !ok || c.now().After(e.expires) {
		return nil, false
	}
	cp := *e.out
	cp.Cached = true
	return &cp, true
}

func (c *metaCache) put(key string, out *Output) {
	if c.ttl <= 0 {
		return
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCacheEntries {
		for k, e := range c.m {
			if now.After(e.expires) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxCacheEntries {
			clear(c.m)
		}
	}
	c.m[key] = cacheEntry{out: out, expires: now.Add(c.ttl)}
}
