//go:build !race

package mcptools_test

const raceBuild = false
