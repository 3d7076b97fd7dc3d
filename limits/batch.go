package limits

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// BatchGuard refuses a JSON-RPC batch (a POST body that is a JSON array) of more than max
// entries with a 400 JSON-RPC error, before any entry runs. Protocol 2025-06-18 and later
// have no batches; older clients may send them, and max 1 still lets a one-entry batch in.
// The body is read whole (the router's body limit bounds it) and handed on unchanged.
func BatchGuard(max int) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost || r.Body == nil || r.Body == http.NoBody {
				next.ServeHTTP(w, r)
				return
			}
			body, err := io.ReadAll(r.Body)
			_ = r.Body.Close()
			if err != nil {
				jsonrpcError(w, http.StatusBadRequest, -32700, "cannot read request body: "+err.Error())
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			if n, isBatch := BatchLen(body); isBatch && n > max {
				msg := fmt.Sprintf("JSON-RPC batch of %d requests refused: at most %d per HTTP request (limits.max_batch); send them one per request", n, max)
				if max == 1 {
					msg = fmt.Sprintf("JSON-RPC batches are not accepted (%d requests in one body; limits.max_batch is 1): send one request per HTTP request", n)
				}
				jsonrpcError(w, http.StatusBadRequest, -32600, msg)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// BatchLen reports whether body is a JSON array and how many elements it has (counted up
// to the first syntax error, which the MCP handler then reports).
func BatchLen(body []byte) (n int, isBatch bool) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '[' {
		return 0, false
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if _, err := dec.Token(); err != nil {
		return 0, true
	}
	for dec.More() {
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return n + 1, true
		}
		n++
	}
	return n, true
}
