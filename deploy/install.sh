#!/bin/sh
# Installs snowflake-mcp as a systemd service. Run as root from an unpacked release tarball or
# from a checkout after `make build`. Idempotent: running it again changes nothing the operator
# owns, and upgrades a running service in place (systemctl reload) when the binary changed.
#
#   sudo sh deploy/install.sh            # PREFIX=/usr/local
#   DESTDIR=/tmp/stage PREFIX=/usr sh deploy/install.sh   # staged: files only, no user, no systemctl
#
# It never overwrites /etc/snowflake-mcp/config.yaml. When that file is absent it is created from
# config.example.yaml and the service is enabled but not started: edit it, then
# `systemctl start snowflake-mcp`.
set -eu

name=snowflake-mcp
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
# yes, no or auto (auto: systemd 253 or later gets Type=notify-reload).
NOTIFY_RELOAD=${SNOWFLAKE_MCP_NOTIFY_RELOAD:-auto}

say() { printf '%s: %s\n' "$name install" "$*"; }
die() { printf '%s: error: %s\n' "$name install" "$*" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")

if [ -x "$src/$name" ]; then
	bin_src=$src/$name # release tarball: binary at the top
elif [ -x "$src/bin/$name" ]; then
	bin_src=$src/bin/$name # checkout: make build
else
	die "no $name binary in $src or $src/bin: run 'make build' first (or unpack a release tarball)"
fi
for f in "$here/systemd/$name.service" "$here/systemd/notify-reload.conf" "$here/logrotate/$name" "$here/config.example.yaml"; do
	[ -f "$f" ] || die "missing $f: run this script from a complete release tarball or checkout"
done

if [ -z "$DESTDIR" ] && [ "$(id -u)" -ne 0 ]; then
	die "run as root (or set DESTDIR for a staged install)"
fi

bindir=$PREFIX/bin
sharedir=$PREFIX/share/$name
unitdir=/etc/systemd/system
dropin=$unitdir/$name.service.d/notify-reload.conf
confdir=/etc/$name
conf=$confdir/config.yaml
systemd_running=no
if [ -z "$DESTDIR" ] && [ -d /run/systemd/system ]; then
	systemd_running=yes
fi

# The user and group the service runs as; its home is the state directory (ProtectHome=yes hides /home).
if [ -n "$DESTDIR" ]; then
	say "DESTDIR set: not creating the $name user (the package's preinstall does that)"
elif getent passwd "$name" >/dev/null 2>&1; then
	say "user $name exists"
else
	nologin=/usr/sbin/nologin
	[ -x "$nologin" ] || nologin=/sbin/nologin
	getent group "$name" >/dev/null 2>&1 || groupadd --system "$name" || die "groupadd $name failed"
	useradd --system --gid "$name" --home-dir "/var/lib/$name" --no-create-home \
		--shell "$nologin" --comment "snowflake-mcp service" "$name" || die "useradd $name failed"
	say "created system user and group $name"
fi

# install_file MODE SRC DEST: copies only when the content differs, by rename (a running binary
# is replaced atomically, which is what a zero-downtime upgrade needs). Sets $changed.
install_file() {
	mode=$1 from=$2 to=$3
	changed=no
	if [ -f "$to" ] && cmp -s "$from" "$to"; then
		return 0
	fi
	mkdir -p "$(dirname "$to")" || die "cannot create $(dirname "$to")"
	cp "$from" "$to.new.$$" && chmod "$mode" "$to.new.$$" && mv -f "$to.new.$$" "$to" ||
		{ rm -f "$to.new.$$"; die "cannot install $to"; }
	changed=yes
	say "installed $to"
}

install_file 0755 "$bin_src" "$DESTDIR$bindir/$name"
bin_changed=$changed

unit_tmp=$(mktemp) || die "mktemp failed"
trap 'rm -f "$unit_tmp"' EXIT
sed "s|/usr/local/bin/$name|$bindir/$name|g" "$here/systemd/$name.service" >"$unit_tmp" || die "cannot render the unit"
install_file 0644 "$unit_tmp" "$DESTDIR$unitdir/$name.service"
unit_changed=$changed

if [ "$NOTIFY_RELOAD" = auto ]; then
	NOTIFY_RELOAD=no
	if command -v systemctl >/dev/null 2>&1; then
		v=$(systemctl --version 2>/dev/null | sed -n '1s/^systemd \([0-9]*\).*/\1/p')
		if [ -n "$v" ] && [ "$v" -ge 253 ]; then
			NOTIFY_RELOAD=yes
		fi
	fi
fi
if [ "$NOTIFY_RELOAD" = yes ]; then
	install_file 0644 "$here/systemd/notify-reload.conf" "$DESTDIR$dropin"
	if [ "$changed" = yes ]; then unit_changed=yes; fi
elif [ -f "$DESTDIR$dropin" ]; then
	rm -f "$DESTDIR$dropin" && rmdir "$DESTDIR$unitdir/$name.service.d" 2>/dev/null || true
	unit_changed=yes
	say "removed $dropin (systemd older than 253)"
fi

install_file 0644 "$here/logrotate/$name" "$DESTDIR/etc/logrotate.d/$name"
install_file 0644 "$here/config.example.yaml" "$DESTDIR$sharedir/config.example.yaml"

if [ ! -d "$DESTDIR$confdir" ]; then
	mkdir -p "$DESTDIR$confdir" && chmod 0755 "$DESTDIR$confdir" || die "cannot create $confdir"
fi
configured=yes
if [ -e "$DESTDIR$conf" ]; then
	say "kept $conf (an existing config is never overwritten)"
	# An untouched copy of the example is not a configuration yet.
	cmp -s "$here/config.example.yaml" "$DESTDIR$conf" && configured=no
else
	cp "$here/config.example.yaml" "$DESTDIR$conf" && chmod 0640 "$DESTDIR$conf" || die "cannot create $conf"
	[ -n "$DESTDIR" ] || chgrp "$name" "$conf" || die "cannot chgrp $conf"
	configured=no
	say "created $conf from the example: fill in the Snowflake account and credentials"
fi

if [ "$systemd_running" = no ]; then
	if [ -z "$DESTDIR" ]; then
		say "systemd is not running here: start the server with '$bindir/$name serve --env production --config $conf', or run 'systemctl enable --now $name' once systemd runs"
	fi
	say "done"
	exit 0
fi

systemctl daemon-reload || die "systemctl daemon-reload failed"
systemctl enable "$name.service" >/dev/null 2>&1 || die "systemctl enable $name failed"
say "enabled $name.service (starts at boot)"
if [ "$configured" = no ]; then
	say "not started: edit $conf, then run 'systemctl start $name'"
	exit 0
fi
if systemctl is-active --quiet "$name.service"; then
	if [ "$unit_changed" = yes ]; then
		systemctl restart "$name.service" || die "systemctl restart $name failed: see 'journalctl -u $name'"
		say "restarted $name.service (the unit changed)"
	elif [ "$bin_changed" = yes ]; then
		systemctl reload "$name.service" || die "systemctl reload $name failed: see 'journalctl -u $name'"
		say "upgraded $name.service in place (systemctl reload)"
	else
		say "$name.service is running and up to date"
	fi
else
	systemctl start "$name.service" || die "systemctl start $name failed: see 'systemctl status $name' and 'journalctl -u $name'"
	say "started $name.service"
fi
say "done: 'systemctl status $name' shows its state"
