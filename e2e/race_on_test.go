//go:build race

package e2e

// raceBuild: testbin builds the exec'd binaries with -race too, which makes
// each process start several times slower on a loaded machine.
const raceBuild = true
