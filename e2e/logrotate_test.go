package e2e

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/testbin"
	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// shippedLogrotate is deploy/logrotate/snowflake-mcp pointed at dir: the
// same directives, with the paths of this test and without the service user
// (none exists here).
func shippedLogrotate(t *testing.T, logDir, pidFile string) string {
	t.Helper()
	root, err := testbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "deploy", "logrotate", "snowflake-mcp"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(b), "/var/log/snowflake-mcp", logDir)
	s = strings.ReplaceAll(s, "/run/snowflake-mcp/snowflake-mcp.pid", pidFile)
	s = strings.ReplaceAll(s, "create 0640 snowflake-mcp snowflake-mcp", "create 0640")
	var kept []string
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "su ") {
			kept = append(kept, line)
		}
	}
	if strings.Count(s, logDir) == 0 || strings.Count(s, pidFile) == 0 {
		t.Fatalf("the shipped config no longer names /var/log/snowflake-mcp and the PID file:\n%s", b)
	}
	p := filepath.Join(filepath.Dir(logDir), "logrotate.conf")
	if err := os.WriteFile(p, []byte(strings.Join(kept, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// accessLines reads every access.log* (gzip ones too) and returns the
// number of /version requests logged; a line that is not whole JSON fails.
func accessLines(t *testing.T, logDir string) (int, int) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(logDir, "access.log*"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = fh
		if strings.HasSuffix(f, ".gz") {
			if r, err = gzip.NewReader(fh); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
		}
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var rec struct {
				Path string `json:"path"`
			}
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				t.Errorf("%s: a line that is not whole JSON: %q", filepath.Base(f), sc.Text())
				continue
			}
			if rec.Path == "/version" {
				n++
			}
		}
		fh.Close()
	}
	return n, len(files)
}

// The shipped logrotate config, run for real twice under load and once in
// the middle of a SIGHUP upgrade (two generations writing the same files),
// loses and splits no access line.
func TestLogrotateUnderLoadAndUpgradeLosesNothing(t *testing.T) {
	if _, err := exec.LookPath("logrotate"); err != nil {
		t.Fatalf("logrotate not installed (.ci/run installs it): %v", err)
	}
	emu := testemulator.Start(t)
	dir := t.TempDir()
	listen := freeListen(t)
	cfg := configFile(t, dir, emu, "log:\n  format: json\n")
	logDir := filepath.Join(dir, "logs")
	pidFile := filepath.Join(dir, "snowflake-mcp.pid")
	args := func(sub string) []string {
		return []string{"daemon", sub, "--config", cfg, "--listen", listen, "--pid-file", pidFile, "--log-dir", logDir, "--timeout", "30s"}
	}
	killOnCleanup(t, pidFile)
	if r := run(t, dir, nil, args("start")...); r.code != 0 {
		t.Fatalf("start: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	conf := shippedLogrotate(t, logDir, pidFile)
	state := filepath.Join(dir, "logrotate.state")
	rotate := func() {
		t.Helper()
		out, err := exec.Command("logrotate", "-f", "-s", state, conf).CombinedOutput()
		if err != nil {
			t.Fatalf("logrotate: %v\n%s", err, out)
		}
	}

	// Load: clients count every answered /version request.
	var ok atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if code, _ := get("http://" + listen + "/version"); code == 200 {
					ok.Add(1)
				}
			}
		}()
	}
	more := func(n int64) {
		t.Helper()
		target := ok.Load() + n
		waitFor(t, 30*time.Second, "more requests served", func() bool { return ok.Load() >= target })
	}
	more(200)
	rotate()
	more(200)
	rotate()
	more(200)
	old := readPID(pidFile)
	if err := syscall.Kill(old, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	rotate() // while the new generation starts: its files were opened before this rename
	waitFor(t, 30*time.Second, "the new generation", func() bool { p := readPID(pidFile); return p != 0 && p != old })
	waitFor(t, 30*time.Second, "the old generation to exit", func() bool { return !alive(old) })
	more(200)
	close(stop)
	wg.Wait()
	// Stop drains and closes the files, so every line is on disk.
	if r := run(t, dir, nil, args("stop")...); r.code != 0 {
		t.Fatalf("stop: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	logged, files := accessLines(t, logDir)
	if int64(logged) != ok.Load() || files < 3 {
		t.Errorf("%d /version lines in %d access.log* files, %d requests answered; want equal, across the rotated files", logged, files, ok.Load())
	}
	t.Logf("%d requests, %d access lines in %d files", ok.Load(), logged, files)
}
