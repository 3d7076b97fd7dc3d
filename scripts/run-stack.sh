#!/usr/bin/env bash
# Runs the full local stack: the Snowflake emulator with the demo warehouse, and
# snowflake-mcp (development environment) pointed at it. Ctrl-C stops both.
set -euo pipefail

bin=$(cd "${1:-bin}" && pwd)
emulator_listen=${EMULATOR_LISTEN:-127.0.0.1:8089}
server_listen=${SNOWFLAKE_MCP_LISTEN:-127.0.0.1:8000}
state=$(mktemp -d)
emulator_pid=""
first_server_pid=""
# The serving generation writes its PID here; after a SIGHUP upgrade that is a new
# process (not this script's child), so the script follows the file, not $!.
pid_file="$state/snowflake-mcp.pid"

server_pid() {
	local pid
	pid=$(cat "$pid_file" 2>/dev/null || true)
	echo "${pid:-$first_server_pid}"
}

# Stops the server first (its drain may still need Snowflake), then the emulator,
# each with one TERM: a second signal would make the server skip its drain.
# alive: the process runs. A generation started by a hand-off is not our child, and
# once it exits it may stay a zombie until init reaps it; kill -0 still succeeds then.
alive() {
	local state
	state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case "$state" in Z*) return 1 ;; esac
}

stop() {
	trap - INT TERM EXIT
	local pid
	pid=$(server_pid)
	if [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; then
		for _ in $(seq 1 600); do alive "$pid" || break; sleep 0.1; done
	fi
	if [ -n "$emulator_pid" ]; then kill -TERM "$emulator_pid" 2>/dev/null || true; fi
	wait 2>/dev/null || true
	rm -rf "$state"
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

# Each child in its own process group: Ctrl-C reaches only this script, whose trap
# stops each child once (the terminal's INT plus the trap's TERM would be two stop
# signals, and the server would abandon its drain).
set -m

# The emulator prints one "listening on" line once its socket is bound: wait for that, not a sleep.
"$bin/snowflake-emulator" --listen "$emulator_listen" >"$state/emulator.out" &
emulator_pid=$!
for _ in $(seq 1 300); do
	grep -q 'listening on' "$state/emulator.out" 2>/dev/null && break
	kill -0 "$emulator_pid" 2>/dev/null || { echo "snowflake-emulator exited; is $emulator_listen free?" >&2; exit 1; }
	sleep 0.1
done
grep -q 'listening on' "$state/emulator.out" || { echo "snowflake-emulator did not start within 30s" >&2; exit 1; }

emulator_port=${emulator_listen##*:}
"$bin/snowflake-mcp" serve --env development --listen "$server_listen" --set "snowflake.port=$emulator_port" --pid-file "$pid_file" &
first_server_pid=$!
for _ in $(seq 1 300); do
	curl -fsS "http://$server_listen/readyz" >/dev/null 2>&1 && break
	kill -0 "$first_server_pid" 2>/dev/null || { echo "snowflake-mcp exited; see its log above" >&2; exit 1; }
	sleep 0.1
done
curl -fsS "http://$server_listen/readyz" >/dev/null || { echo "snowflake-mcp not ready within 30s" >&2; exit 1; }

cat <<MSG

  snowflake-mcp is ready (emulator at $emulator_listen, demo warehouse DEMO).

  MCP URL:  http://$server_listen/mcp

  Client configuration (Streamable HTTP):
    {"mcpServers": {"snowflake": {"type": "http", "url": "http://$server_listen/mcp"}}}

  Client configuration (stdio):
    {"mcpServers": {"snowflake": {"command": "$bin/snowflake-mcp", "args": ["stdio", "--env", "development", "--set", "snowflake.port=$emulator_port"]}}}

  Ctrl-C stops both. Upgrade in place: kill -HUP \$(cat $pid_file)

MSG
# Runs until either process is gone; a server that handed off to a new
# generation is followed through the PID file.
while kill -0 "$emulator_pid" 2>/dev/null; do
	pid=$(server_pid)
	if ! alive "$pid"; then
		sleep 0.5 # a hand-off in progress rewrites the PID file first
		[ "$(server_pid)" != "$pid" ] && continue
		echo "snowflake-mcp (PID $pid) exited; stopping the emulator" >&2
		exit 1
	fi
	sleep 0.5
done
echo "snowflake-emulator exited; stopping snowflake-mcp" >&2
exit 1
