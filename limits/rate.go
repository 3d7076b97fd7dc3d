package limits

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/snowflake-mcp/snowflake-mcp/authn"
	"github.com/snowflake-mcp/snowflake-mcp/httpapi"
)

// maxLimiters bounds the per-identity map (OAuth subjects come from the issuer, not config).
const maxLimiters = 10000

// RateLimiter gives each identity its own token bucket.
type RateLimiter struct {
	rps   rate.Limit
	burst int
	now   func() time.Time

	mu sync.Mutex
	m  map[string]*entry
}

type entry struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewRateLimiter returns a limiter of rps requests per second per identity with the given
// burst (0: rps rounded up); rps 0 returns nil, which lets everything through.
func NewRateLimiter(rps float64, burst int) *RateLimiter {
	if rps <= 0 {
		return nil
	}
	if burst <= 0 {
		burst = int(math.Ceil(rps))
	}
	return &RateLimiter{rps: rate.Limit(rps), burst: burst, now: time.Now, m: map[string]*entry{}}
}

// Allow takes one request from key's bucket; when it is empty, wait says how long until
// the next request would pass.
func (l *RateLimiter) Allow(key string) (ok bool, wait time.Duration) {
	now := l.now()
	l.mu.Lock()
	e := l.m[key]
	if e == nil {
		if len(l.m) >= maxLimiters {
			l.evict(now)
		}
		e = &entry{lim: rate.NewLimiter(l.rps, l.burst)}
		l.m[key] = e
	}
	e.seen = now
	l.mu.Unlock()
	r := e.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// evict drops buckets idle long enough to be full again; if none are, it starts over.
func (l *RateLimiter) evict(now time.Time) {
	full := time.Duration(float64(l.burst)/float64(l.rps)*float64(time.Second)) + time.Second
	for k, e := range l.m {
		if now.Sub(e.seen) > full {
			delete(l.m, k)
		}
	}
	if len(l.m) >= maxLimiters {
		clear(l.m)
	}
}

// Middleware answers 429 with Retry-After (whole seconds, at least 1) to an identity over
// its rate. A nil limiter passes everything.
func (l *RateLimiter) Middleware(next http.Handler) http.Handler {
	if l == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := authn.IdentityFromContext(r.Context())
		if !ok {
			id = authn.Anonymous
		}
		if ok, wait := l.Allow(id.Key()); !ok {
			secs := int(math.Ceil(wait.Seconds()))
			if secs < 1 {
				secs = 1
			}
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			httpapi.WriteError(w, r, http.StatusTooManyRequests,
				fmt.Sprintf("rate limit exceeded for %s (limits.requests_per_second %g, burst %d); retry in %d s", id.Name, float64(l.rps), l.burst, secs))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// jsonrpcError writes a JSON-RPC error response with no id (the request could not be read as one call).
func jsonrpcError(w http.ResponseWriter, status int, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"jsonrpc": "2.0", "id": nil,
		"error": map[string]any{"code": code, "message": msg},
	})
}
