// Package reload owns the process lifecycle of snowflake-mcp: zero-downtime
// upgrades on SIGHUP (tableflip socket hand-off with rollback), graceful drain
// of HTTP requests and Snowflake queries on hand-off and on SIGTERM/SIGINT
// (after server.drain_delay with /readyz already 503), log reopening on
// SIGUSR1, the PID file, and systemd's sd_notify protocol.
//
// Use: New, Listen for every socket, AddServer, OnShutdown, Ready once the
// pool is warm, then Run. Run returns nil after a clean drain, or
// ErrDrainOverran / ErrForcedStop (the PID file already removed): the main
// turns them into an exit code; nothing here calls os.Exit.
//
// The story of a SIGHUP: serveUntilStop (lifecycle.go) starts upgrade();
// the child's outcome comes back through handshake.go (the report file is
// written before the child wakes the parent); on success drainUntilDone and
// drain (drain.go) end the old generation. The PID file always names a live
// serving generation: a stop during an upgrade reclaims it from a child that
// was stopped after writing it.
//
// It depends on the rest of the program only through small interfaces
// (Readiness, QueryDrainer, LogReopener) so it has no import cycles.
package reload
