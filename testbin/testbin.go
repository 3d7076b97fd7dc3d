// Package testbin builds the project's own binaries for tests that run them
// with os/exec, once per test process, into a temporary directory.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	mu    sync.Mutex
	built = map[string]string{}
	dir   string
)

// Build compiles the main package at pkg (for example "./cmd/snowflake-mcp",
// relative to the module root) and returns the binary's path. An environment
// variable named by envOverride (e.g. SNOWFLAKE_MCP_BIN), when set, names a
// prebuilt binary instead. The race detector is on when the test binary has it,
// so a race in the exec'd binary fails its test too.
func Build(tb testing.TB, pkg string, envOverride string, extraEnv ...string) string {
	tb.Helper()
	if envOverride != "" {
		if p := os.Getenv(envOverride); p != "" {
			return p
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if p, ok := built[pkg]; ok {
		return p
	}
	root, err := ModuleRoot()
	if err != nil {
		tb.Fatalf("testbin: %v", err)
	}
	if dir == "" {
		d, err := os.MkdirTemp("", "snowflake-mcp-testbin-")
		if err != nil {
			tb.Fatalf("testbin: temp dir: %v", err)
		}
		dir = d
	}
	out := filepath.Join(dir, filepath.Base(pkg))
	args := []string{"build", "-o", out}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, pkg)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), extraEnv...)
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("testbin: go build %s: %v\n%s", pkg, err, b)
	}
	built[pkg] = out
	return out
}

// Run runs the tests of m, then removes the binaries Build made (a few hundred
// MB per package), and returns the exit code: `os.Exit(testbin.Run(m))` in the
// TestMain of every package that uses Build, directly or through testemulator.
func Run(m *testing.M) int {
	code := m.Run()
	mu.Lock()
	defer mu.Unlock()
	if dir != "" {
		_ = os.RemoveAll(dir)
		dir, built = "", map[string]string{}
	}
	return code
}

// ModuleRoot returns the directory holding go.mod.
func ModuleRoot() (string, error) {
	b, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(b))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside the module")
	}
	return filepath.Dir(gomod), nil
}

// CleanEnv is this process's environment without anything that configures
// snowflake-mcp or the driver (SNOWFLAKE_*, CREDENTIALS_DIRECTORY), plus extra:
// a host's own Snowflake settings must not leak into a test's binary.
func CleanEnv(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "SNOWFLAKE_") || name == "CREDENTIALS_DIRECTORY" {
			continue
		}
		out = append(out, kv)
	}
	return append(out, extra...)
}

// RaceEnabled reports whether Build makes race-detector binaries (they start several
// times slower, which timing bounds in tests allow for).
func RaceEnabled() bool { return raceEnabled }
