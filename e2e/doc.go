// Package e2e holds the tests that run the real snowflake-mcp binary (built
// once per test run by testbin) against the real emulator and real tools
// (pm2 from deploy/pm2/node_modules, logrotate from Debian). Its helpers are
// shared by every file; each file is named for the behaviour it covers.
package e2e
