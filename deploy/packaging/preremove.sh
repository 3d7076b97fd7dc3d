#!/bin/sh
# deb prerm / rpm %preun: stop and disable on removal, not on upgrade.
set -e
name=snowflake-mcp
case "${1:-}" in
remove | purge | 0) ;;
*) exit 0 ;;
esac
[ -d /run/systemd/system ] || exit 0
systemctl disable --now "$name.service" >/dev/null 2>&1 || true
