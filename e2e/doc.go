// Package e2e holds tests that run the real snowflake-mcp binary (testbin) against the
// real emulator (testemulator), as an operator and a client would. Helpers are shared in
// helpers_test.go; each file is named for the behaviour it tests.
package e2e
