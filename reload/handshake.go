package reload

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
)

// The hand-off handshake between two generations, beyond tableflip's own
// ready pipe: the child's outcome ("ready <pid>" or its startup error) and
// the generation number.
//
// The report file's path is derived from the parent's PID, so nothing has to
// be put into the environment at upgrade time: the parent creates the file
// before tableflip starts the child and removes it once Upgrade returns; the
// child only writes into a file that exists (never creates one), and writes
// "ready" before it wakes the parent, so the parent always reads it.

// tableflip marks upgrade children with this variable.
const tableflipChildEnv = "TABLEFLIP_HAS_PARENT_7DIU3"

// generationEnv carries the generation number to the next generation; each
// process sets it once, in New, before any goroutine of ours runs.
const generationEnv = "SNOWFLAKE_MCP_GENERATION"

const maxReport = 4096

// readySent is set once this process told its parent it is ready; later
// failures are no longer startup failures.
var readySent atomic.Bool

func isUpgradeChild() bool { return os.Getenv(tableflipChildEnv) != "" }

// reportPath is where the generation with PID parent expects its child's report.
func reportPath(parent int) string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("snowflake-mcp-upgrade-%d.report", parent))
}

// ReportStartupFailure records err for the parent generation when this
// process is an upgrade child that failed before becoming ready (bad config,
// cannot bind, cannot log in). Outside an upgrade it does nothing. Call it
// from main before exiting non-zero.
func ReportStartupFailure(err error) {
	if err == nil || !isUpgradeChild() || readySent.Load() {
		return
	}
	writeReport("error " + err.Error())
}

// writeReport writes s into the parent's report file, if the parent made one.
// Best effort: without it the parent falls back to the exit status.
func writeReport(s string) {
	if len(s) > maxReport {
		s = s[:maxReport]
	}
	f, err := os.OpenFile(reportPath(os.Getppid()), os.O_WRONLY|os.O_TRUNC|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return
	}
	_, _ = f.WriteString(s)
	_ = f.Close()
}

// childReport is what the parent learnt from the report file.
type childReport struct {
	pid int    // set once the child reported ready
	err string // the child's fatal error
}

func parseReport(b []byte) childReport {
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

// reportFile is the parent's side of one upgrade's report.
type reportFile struct{ path string }

// newReportFile creates this process's (empty) report file, replacing a
// leftover of an earlier process that had the same PID.
func newReportFile() (*reportFile, error) {
	path := reportPath(os.Getpid())
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("upgrade report file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("upgrade report file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("upgrade report file: %w", err)
	}
	return &reportFile{path: path}, nil
}

// collect reads the child's report and removes the file.
func (r *reportFile) collect() childReport {
	if r == nil {
		return childReport{}
	}
	b, _ := os.ReadFile(r.path)
	_ = os.Remove(r.path)
	return parseReport(b)
}

// inheritGeneration returns this process's generation (1 for a fresh start,
// the parent's plus one after a hand-off) and records it for the next one.
func inheritGeneration(hasParent bool) int {
	gen := 1
	if hasParent {
		if n, err := strconv.Atoi(os.Getenv(generationEnv)); err == nil && n > 0 {
			gen = n + 1
		} else {
			gen = 2
		}
	}
	_ = os.Setenv(generationEnv, strconv.Itoa(gen))
	return gen
}
