#!/bin/sh
# deb preinst / rpm %pre: the system user and group the service runs as. Its home is the
# state directory: ProtectHome=yes hides /home from the service.
set -e
name=snowflake-mcp
if ! getent group "$name" >/dev/null 2>&1; then
	groupadd --system "$name"
fi
if ! getent passwd "$name" >/dev/null 2>&1; then
	nologin=/usr/sbin/nologin
	[ -x "$nologin" ] || nologin=/sbin/nologin
	useradd --system --gid "$name" --home-dir "/var/lib/$name" --no-create-home \
		--shell "$nologin" --comment "snowflake-mcp service" "$name"
fi
