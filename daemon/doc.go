// Package daemon runs snowflake-mcp as a service outside systemd: it starts
// the server detached from any terminal, stops, reloads and inspects it
// through its PID file, and provides the keeper, the small process that keeps
// the one PID a supervisor such as PM2 (or a container runtime, as PID 1)
// tracks while the serving generations hand off beneath it.
//
// Control (control.go) is the client side of `snowflake-mcp daemon
// start|stop|status|restart|reload|reopen-logs`. The PID file names the
// serving generation (package reload writes it at Ready, and a new
// generation's PID replaces the old one's before the old one exits), so every
// command reads it first. Status exits with the LSB codes (StatusRunning,
// StatusDead, StatusNotRunning).
//
// Keeper (keeper.go) makes itself child subreaper, starts the serving
// command in its own process group with KeeperEnv set, forwards SIGHUP,
// SIGUSR1, SIGUSR2, SIGTERM, SIGINT and SIGQUIT to the generation the PID
// file names, reaps every generation (after a hand-off the new one is
// re-parented to the keeper), and returns the last generation's exit status
// once none is left. When the serving generation dies without a successor
// (a crash, kill -9), the keeper stops the rest and exits, so the supervisor
// sees the failure and restarts the service.
//
// Invariants: nothing here calls os.Exit; every wait polls a real condition
// (the PID file, the process, /readyz) with a deadline.
package daemon
