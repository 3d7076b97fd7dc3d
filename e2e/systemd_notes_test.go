package e2e

// The systemd tests (systemd_*_test.go, build tag e2e_systemd, run by `make test-systemd`)
// boot a real systemd with systemd-nspawn in Debian roots that scripts/e2e-systemd-roots.sh
// builds once into /var/cache/snowflake-mcp-e2e ($SNOWFLAKE_MCP_E2E_ROOTS): Debian 13
// (systemd 257) and Debian 12 (systemd 252). Each test boots a fresh overlay of a cached root
// with a private network and removes it after; the emulator runs inside the container as a
// unit, and the MCP load comes from e2e/mcpload, a static program copied in. They need root,
// systemd-container, overlayfs, `make build` and, for the package test, `make release-snapshot`.
