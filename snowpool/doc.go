// Package snowpool owns the connection to Snowflake: it turns config.Snowflake
// (and named connections from the Snowflake CLI's connections.toml) into a
// gosnowflake configuration, keeps a warmed database/sql pool, and runs every
// statement through one Tracker that knows what is running, applies
// query.timeout and QUERY_TAG, can wait for or cancel running queries, and logs
// each finished query.
//
// # Healing lost sessions
//
// Snowflake sessions end under a long-lived server: the session token lasts
// about an hour (gosnowflake renews it by itself on 390112), the master token
// about four, and a restart or an administrator drops sessions outright. The
// errors that mean "log in again" are sessionGoneCodes (390104, 390111, 390112
// when renewal failed, 390114, 390195, 390318, and gosnowflake's 261001). The
// pool's connector wraps each driver connection (healer, healingConn):
//
//   - a connection that sees one of those errors is marked bad, and every
//     session logged in before that moment becomes suspect: database/sql drops
//     them when it would hand them out (driver.SessionResetter) or take them
//     back (driver.Validator), without a round trip. One gone session usually
//     means all of them are (restart, token purge), and a new login is cheap.
//   - Query retries a call once, on a fresh session, when the error came before
//     Snowflake accepted the query (no query id yet). After that it is never
//     retried (running it twice could be wrong): the error is a
//     *MayHaveRunError and says so.
//
// Idle sessions: we keep gosnowflake's client_session_keep_alive heartbeat
// (one request per session per hour, which keeps the session and its tokens
// valid on Snowflake's side) and pool.conn_max_idle_time / conn_max_lifetime
// (database/sql closes sessions idle 10 minutes or older than an hour, long
// before the master token could expire). We do not check a session before each
// use: that is a round trip on every call to catch what the rules above catch
// for free. What still slips through (a restart between two calls) costs one
// transparent retry.
//
// # Snowflake unreachable
//
// Every call is traced (httptrace on the driver's HTTP requests, reach): a
// call that has been trying to connect (DNS, TCP, TLS) for
// snowflake.connect_timeout without getting a connection is cancelled and
// fails with *UnavailableError naming the host; while Snowflake is known down
// a refused connection fails the call at once. A call that has a connection
// and waits for an answer (a slow query, a hung Snowflake) is left to
// query.timeout. A call never waits for the driver after its context ended
// (detach): gosnowflake sends its abort on a background context and retries it
// for tens of seconds when Snowflake is down. Ping (readiness) gives up at the
// first refused connection. Up reports the latest outcome (the
// snowflake_mcp_snowflake_up metric); the change to down is logged at ERROR,
// the return at INFO. KeepWarm logs in with backoff for a server that started
// while Snowflake was down.
//
// Sessions get MULTI_STATEMENT_COUNT=1, so Snowflake itself refuses more than
// one statement per request, whatever the read-only guard let through.
package snowpool
