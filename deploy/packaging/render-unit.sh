#!/bin/sh
# goreleaser's before-hook: the packages install the binary in /usr/bin, so their unit is the
# repository's unit with that path (install.sh does the same rewrite for its PREFIX).
set -eu
out=${1:-build/package}
mkdir -p "$out"
sed 's|/usr/local/bin/snowflake-mcp|/usr/bin/snowflake-mcp|g' deploy/systemd/snowflake-mcp.service >"$out/snowflake-mcp.service"
