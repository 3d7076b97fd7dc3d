#!/bin/sh
# Removes what deploy/install.sh added. Keeps the operator's configuration (/etc/snowflake-mcp,
# /etc/default/snowflake-mcp, drop-ins in /etc/systemd/system/snowflake-mcp.service.d), the logs,
# the state directory and the snowflake-mcp user unless --purge is given.
#
#   sudo sh deploy/uninstall.sh [--purge]
set -eu

name=snowflake-mcp
PREFIX=${PREFIX:-/usr/local}
purge=no
case "${1:-}" in
"") ;;
--purge) purge=yes ;;
*) printf '%s\n' "usage: uninstall.sh [--purge]" >&2; exit 2 ;;
esac

say() { printf '%s: %s\n' "$name uninstall" "$*"; }
die() { printf '%s: error: %s\n' "$name uninstall" "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root"

unitdir=/etc/systemd/system
if [ -d /run/systemd/system ] && [ -f "$unitdir/$name.service" ]; then
	systemctl disable --now "$name.service" >/dev/null 2>&1 || die "systemctl disable --now $name failed"
	say "stopped and disabled $name.service"
fi

remove() {
	for p in "$@"; do
		if [ -e "$p" ] || [ -L "$p" ]; then
			rm -rf "$p" || die "cannot remove $p"
			say "removed $p"
		fi
	done
}

remove "$PREFIX/bin/$name" "$PREFIX/share/$name" "$unitdir/$name.service" \
	"$unitdir/$name.service.d/notify-reload.conf" "/etc/logrotate.d/$name"
rmdir "$unitdir/$name.service.d" 2>/dev/null || true

if [ "$purge" = yes ]; then
	remove "/etc/$name" "/etc/default/$name" "$unitdir/$name.service.d" \
		"/var/log/$name" "/var/lib/$name" "/var/cache/$name" "/run/$name"
	if getent passwd "$name" >/dev/null 2>&1; then
		userdel "$name" || die "userdel $name failed"
		say "removed user $name"
	fi
	if getent group "$name" >/dev/null 2>&1; then
		groupdel "$name" || die "groupdel $name failed"
		say "removed group $name"
	fi
else
	say "kept /etc/$name, /var/lib/$name, /var/cache/$name, /var/log/$name and the $name user (--purge removes them)"
fi
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || die "systemctl daemon-reload failed"
	systemctl reset-failed "$name.service" >/dev/null 2>&1 || true
fi
say "done"
