#!/bin/sh
# deb postinst / rpm %post. The unit is enabled on install (it starts at boot) but started only
# once /etc/snowflake-mcp/config.yaml exists: the package ships config.example.yaml, never
# config.yaml, so an unconfigured service is not started into a failure. On upgrade a running
# service is upgraded in place (systemctl reload: zero-downtime hand-off to the new binary).
set -e
name=snowflake-mcp
conf=/etc/$name/config.yaml
if [ ! -d "/etc/$name" ]; then
	install -d -m 0755 "/etc/$name"
fi
[ -d /run/systemd/system ] || exit 0
systemctl daemon-reload >/dev/null 2>&1 || true
# deb: "configure" with the old version in $2 on upgrade; rpm: $1 is 2 or more on upgrade.
upgrade=no
case "${1:-}" in
configure) if [ -n "${2:-}" ]; then upgrade=yes; fi ;;
[2-9]*) upgrade=yes ;;
esac
if [ "$upgrade" = no ]; then
	systemctl enable "$name.service" >/dev/null 2>&1 || true
fi
if systemctl is-active --quiet "$name.service"; then
	systemctl reload "$name.service" || systemctl restart "$name.service"
elif [ -f "$conf" ]; then
	systemctl start "$name.service" || echo "$name: start failed: see 'journalctl -u $name'" >&2
else
	echo "$name: enabled, not started: write $conf (example: /usr/share/$name/config.example.yaml), then 'systemctl start $name'"
fi
