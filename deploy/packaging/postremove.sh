#!/bin/sh
# deb postrm / rpm %postun. Removal keeps /etc/snowflake-mcp, the logs, the state and the user;
# `dpkg --purge` also removes the logs, state and cache directories and /etc/snowflake-mcp.
set -e
name=snowflake-mcp
if [ "${1:-}" = purge ]; then
	rm -rf "/etc/$name" "/var/log/$name" "/var/lib/$name" "/var/cache/$name"
fi
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
