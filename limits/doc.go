// Package limits bounds what callers may ask of the server: a request rate per identity
// (limits.requests_per_second, limits.burst; 429 with Retry-After), the size of JSON-RPC
// batches (limits.max_batch; 1 refuses them), and a process-wide cap on Snowflake queries
// running at once (limits.max_concurrent_queries) with a bounded wait (limits.queue_timeout).
//
// The rate limiter keys on authn.Identity, so it must run after the authn middleware; one
// caller's burst never slows another. The limiter map is bounded: idle entries are dropped.
package limits
