package mcptools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/snowflake-mcp/snowflake-mcp/authn"
	"github.com/snowflake-mcp/snowflake-mcp/httpapi"
	"github.com/snowflake-mcp/snowflake-mcp/limits"
	"github.com/snowflake-mcp/snowflake-mcp/logging"
)

// addTool registers a tool whose every call runs with the caller's identity in its
// context, is cancelled when its stateless HTTP request ends (any protocol version),
// and leaves one audit line.
func addTool[In any](t *Tools, srv *mcp.Server, tool *mcp.Tool, h mcp.ToolHandlerFor[In, *Output]) {
	mcp.AddTool(srv, tool, func(ctx context.Context, req *mcp.CallToolRequest, in In) (*mcp.CallToolResult, *Output, error) {
		start := time.Now()
		id := callerIdentity(ctx, req)
		ctx = authn.WithIdentity(ctx, id)
		reqID := pinRequestID(req)
		ctx, stop := tieToHTTPRequest(ctx, req)
		defer stop()
		res, out, err := h(ctx, req, in)
		t.audit(ctx, id, tool.Name, reqID, in, out, err, time.Since(start))
		return res, out, err
	})
}

// callerIdentity is who made the call: from the bearer token the authn middleware verified
// (the SDK hands it over as TokenInfo), else from ctx (stdio), else Anonymous.
func callerIdentity(ctx context.Context, req *mcp.CallToolRequest) authn.Identity {
	if req != nil && req.Extra != nil && req.Extra.TokenInfo != nil {
		return authn.FromTokenInfo(req.Extra.TokenInfo)
	}
	if id, ok := authn.IdentityFromContext(ctx); ok {
		return id
	}
	return authn.Anonymous
}

// pinRequestID makes sure the call has one request id for its queries and its audit line
// (stdio calls have no HTTP header to carry it).
func pinRequestID(req *mcp.CallToolRequest) string {
	id := requestID(req)
	if req != nil {
		if req.Extra == nil {
			req.Extra = &mcp.RequestExtra{}
		}
		if req.Extra.Header == nil {
			req.Extra.Header = http.Header{}
		}
		req.Extra.Header.Set(httpapi.RequestIDHeader, id)
	}
	return id
}

// callHeader carries a server-assigned key from the HTTP wrapper to the tool handler, so
// the handler can find its HTTP request's context. The wrapper always overwrites it.
const callHeader = "X-Snowflake-Mcp-Call"

var (
	httpCalls   sync.Map // callHeader value -> context.Context of the HTTP request
	httpCallSeq atomic.Uint64
)

// trackHTTPCall registers r's context for tool handlers; done unregisters it.
func trackHTTPCall(r *http.Request) (*http.Request, func()) {
	key := strconv.FormatUint(httpCallSeq.Add(1), 36)
	r = r.Clone(r.Context())
	r.Header.Set(callHeader, key)
	httpCalls.Store(key, r.Context())
	return r, func() { httpCalls.Delete(key) }
}

// errClientGone is the cancel cause when the HTTP client hung up.
var errClientGone = errors.New("client disconnected")

// tieToHTTPRequest cancels ctx when the HTTP request behind the call ends. The SDK does
// that itself only for protocol 2026-07-28; in stateless mode a request is the call's whole
// life, so a hang-up on any version means nobody waits for the answer.
func tieToHTTPRequest(ctx context.Context, req *mcp.CallToolRequest) (context.Context, func()) {
	if req == nil || req.Extra == nil || req.Extra.Header == nil {
		return ctx, func() {}
	}
	v, ok := httpCalls.Load(req.Extra.Header.Get(callHeader))
	if !ok {
		return ctx, func() {}
	}
	hctx := v.(context.Context)
	ctx, cancel := context.WithCancelCause(ctx)
	stopAfter := context.AfterFunc(hctx, func() { cancel(errClientGone) })
	return ctx, func() { stopAfter(); cancel(nil) }
}

// maxAuditArg bounds one argument's text in the audit log.
const maxAuditArg = 4096

// audit writes the call's audit line.
func (t *Tools) audit(ctx context.Context, id authn.Identity, tool, reqID string, in any, out *Output, err error, d time.Duration) {
	if t.opts.Logs == nil {
		return
	}
	e := logging.AuditEvent{
		Identity: id.Name, Method: id.Method, Tool: tool, Arguments: t.auditArgs(in),
		Outcome: "ok", Duration: d, RequestID: reqID,
	}
	if out != nil {
		e.QueryID, e.Rows = out.QueryID, out.RowCount
		if te := out.Error; te != nil {
			e.Outcome, e.Reason = te.Kind, te.Message
			if te.Kind == "snowflake" {
				e.Outcome, e.Code = "error", te.Code
			}
		}
	}
	if err != nil {
		e.Outcome, e.Reason = "error", err.Error()
	}
	t.opts.Logs.RecordAudit(ctx, e)
}

// auditArgs is the call's arguments as a map, SQL text replaced by its length unless
// query.log_sql is on, long values cut.
func (t *Tools) auditArgs(in any) map[string]any {
	b, err := json.Marshal(in)
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	for k, v := range m {
		s, ok := v.(string)
		if !ok {
			continue
		}
		if k == "query" && !t.opts.Query.LogSQL {
			m[k] = fmt.Sprintf("[%d characters; query.log_sql is off]", len(s))
			continue
		}
		if len(s) > maxAuditArg {
			m[k] = s[:maxAuditArg] + "…"
		}
	}
	return m
}

// errQueueCancelled marks a call that ended while waiting for a query slot.
var errQueueCancelled = errors.New("request cancelled while waiting for a query slot")

// gateError turns a query-gate refusal into the tool error callers see.
func gateError(err error) (*ToolError, bool) {
	var be *limits.BusyError
	if errors.As(err, &be) {
		return &ToolError{Kind: "busy", Message: be.Error()}, true
	}
	if errors.Is(err, errQueueCancelled) {
		return &ToolError{Kind: "cancelled", Message: err.Error()}, true
	}
	return nil, false
}
