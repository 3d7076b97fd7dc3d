// Package reload owns the process lifecycle of snowflake-mcp: zero-downtime
// upgrades on SIGHUP (tableflip socket hand-off with rollback), graceful drain
// of HTTP requests and Snowflake queries on hand-off and on SIGTERM/SIGINT,
// log reopening on SIGUSR1, the PID file, and systemd's sd_notify protocol.
//
// It depends on the rest of the program only through small interfaces
// (Readiness, QueryDrainer, LogReopener) so it has no import cycles.
package reload
