// Package e2e holds tests that exec the project's real binaries end to end.
//
// The systemd tests (files systemd_*_test.go, build tag e2e_systemd, run by
// `make test-systemd`) boot a real systemd with systemd-nspawn in Debian roots
// built once by scripts/e2e-systemd-roots.sh (cached in /var/cache/snowflake-mcp-e2e,
// or $SNOWFLAKE_MCP_E2E_ROOTS). Each test boots a fresh overlay of a cached root
// with a private network; the emulator runs inside the container as a unit, and
// load comes from e2e/mcpload, a static program copied in. They need root,
// systemd-container (nspawn), overlayfs, `make build` and, for the package test,
// `make release-snapshot`.
package e2e
