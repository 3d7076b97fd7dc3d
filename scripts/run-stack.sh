#!/usr/bin/env bash
# Runs the full local stack: the Snowflake emulator with the demo warehouse, and
# snowflake-mcp (development environment) pointed at it. Ctrl-C stops both.
set -euo pipefail

bin=$(cd "${1:-bin}" && pwd)
emulator_listen=${EMULATOR_LISTEN:-127.0.0.1:8089}
server_listen=${SNOWFLAKE_MCP_LISTEN:-127.0.0.1:8000}
state=$(mktemp -d)
pids=()

stop() {
	trap - INT TERM EXIT
	for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$state"
}
trap stop INT TERM EXIT

# The emulator prints one "listening on" line once its socket is bound: wait for that, not a sleep.
"$bin/snowflake-emulator" --listen "$emulator_listen" >"$state/emulator.out" &
pids+=($!)
for _ in $(seq 1 300); do
	grep -q 'listening on' "$state/emulator.out" 2>/dev/null && break
	kill -0 "${pids[0]}" 2>/dev/null || { echo "snowflake-emulator exited; is $emulator_listen free?" >&2; exit 1; }
	sleep 0.1
done
grep -q 'listening on' "$state/emulator.out" || { echo "snowflake-emulator did not start within 30s" >&2; exit 1; }

emulator_port=${emulator_listen##*:}
"$bin/snowflake-mcp" serve --env development --listen "$server_listen" --set "snowflake.port=$emulator_port" &
pids+=($!)
for _ in $(seq 1 300); do
	curl -fsS "http://$server_listen/readyz" >/dev/null 2>&1 && break
	kill -0 "${pids[1]}" 2>/dev/null || { echo "snowflake-mcp exited; see its log above" >&2; exit 1; }
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

  Ctrl-C stops both.

MSG
wait -n "${pids[@]}"
