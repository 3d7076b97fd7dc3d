package reload

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
)

// reportEnv names the file an upgrade child writes its outcome to: "ready
// <pid>" once ready, or its fatal startup error. The parent sets it just before
// each upgrade, so a failed hand-off is logged with the child's own reason even
// when the child's stderr goes elsewhere.
const reportEnv = "SNOWFLAKE_MCP_UPGRADE_REPORT"

// tableflip marks upgrade children with this variable.
const tableflipChildEnv = "TABLEFLIP_HAS_PARENT_7DIU3"

const maxReport = 4096

// reported is set once this process told its parent it is ready; later
// failures are no longer startup failures.
var reported atomic.Bool

// IsUpgradeChild reports whether this process was started by a SIGHUP hand-off.
func IsUpgradeChild() bool { return os.Getenv(tableflipChildEnv) != "" }

// ReportStartupFailure records err for the parent generation when this
// process is an upgrade child that failed before becoming ready (bad config,
// cannot bind, cannot log in). Outside an upgrade it does nothing. Call it
// from main before exiting non-zero.
func ReportStartupFailure(err error) {
	if err == nil || !IsUpgradeChild() || reported.Load() {
		return
	}
	writeReport("error " + err.Error())
}

func writeReport(s string) {
	if !reported.CompareAndSwap(false, true) {
		return
	}
	path := os.Getenv(reportEnv)
	if path == "" {
		return
	}
	if len(s) > maxReport {
		s = s[:maxReport]
	}
	// Best effort: the parent falls back to the exit status.
	_ = os.WriteFile(path, []byte(s), 0o600)
}

// childReport is what the parent learnt from the report file.
type childReport struct {
	pid int    // set once the child reported ready
	err string // the child's fatal error
}

func readReport(path string) childReport {
	b, err := os.ReadFile(path)
	if err != nil {
		return childReport{}
	}
	s := strings.TrimSpace(string(b))
	switch {
	case strings.HasPrefix(s, "ready "):
		pid, _ := strconv.Atoi(strings.TrimPrefix(s, "ready "))
		return childReport{pid: pid}
	case strings.HasPrefix(s, "error "):
		return childReport{err: strings.TrimPrefix(s, "error ")}
	}
	return childReport{}
}

func newReportFile() (string, error) {
	f, err := os.CreateTemp("", "snowflake-mcp-upgrade-*.report")
	if err != nil {
		return "", fmt.Errorf("create upgrade report file: %w", err)
	}
	name := f.Name()
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("create upgrade report file: %w", err)
	}
	return name, nil
}
