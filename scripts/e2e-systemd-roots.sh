#!/bin/sh
# Builds the Debian roots the systemd container tests boot (e2e/systemd_*_test.go), once:
# a root is reused while its .complete stamp exists. Needs root, debootstrap, systemd-container.
# Usage: scripts/e2e-systemd-roots.sh [DIR]   (default /var/cache/snowflake-mcp-e2e)
set -eu

dir=${1:-/var/cache/snowflake-mcp-e2e}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# What the tests use inside: systemd as PID 1, curl for probes, procps, and libstdc++ for the
# emulator (cgo, DuckDB; built on Debian 12, so its glibc 2.36 runs in both roots).
include=systemd,systemd-sysv,dbus,procps,curl,ca-certificates,libstdc++6

for suite in trixie bookworm; do
	root=$dir/$suite
	if [ -f "$root.complete" ]; then
		echo "e2e root $root: cached"
		continue
	fi
	rm -rf "$root"
	mkdir -p "$dir"
	echo "e2e root $root: debootstrap $suite (about 2 minutes)"
	timeout 900 debootstrap --variant=minbase --include=$include "$suite" "$root" "$mirror" >"$root.log" 2>&1 || {
		echo "debootstrap $suite failed; see $root.log" >&2
		exit 1
	}
	# A machine id per boot and no getty on the console keep boots quiet and quick.
	: >"$root/etc/machine-id"
	rm -f "$root/etc/systemd/system/getty.target.wants/"* 2>/dev/null || true
	touch "$root.complete"
done
