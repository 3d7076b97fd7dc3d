// Package e2e holds the tests that exec the project's real binaries (the
// emulator, the server) and talk to them as clients do. It has no non-test code.
package e2e
