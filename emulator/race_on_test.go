//go:build race

package emulator_test

// raceBuild: testbin builds exec'd binaries with -race too, and the race
// detector's shadow memory multiplies a Go heap: RSS bounds allow for it.
const raceBuild = true
