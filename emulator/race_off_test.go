//go:build !race

package emulator_test

const raceBuild = false
