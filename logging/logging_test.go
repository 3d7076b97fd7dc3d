package logging

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/config"
)

func fileCfg(dir string) config.Log {
	return config.Log{Level: "info", Format: "json", Output: "file", Dir: dir, SlowThreshold: time.Second}
}

// readLines parses every line of path as a JSON object; a partial line fails the test.
func readLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		t.Fatal(err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Fatalf("%s ends in a partial line", path)
	}
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s: partial or garbled line %q: %v", path, sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// TestReopenUnderConcurrentWriters renames the log away while 8 goroutines write, reopens,
// and checks that every line landed exactly once, whole, in one of the two files.
func TestReopenUnderConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	logs, err := New(fileCfg(dir))
	if err != nil {
		t.Fatal(err)
	}
	const writers, perWriter = 8, 2000
	var written atomic.Int64
	var wg sync.WaitGroup
	pad := strings.Repeat("x", 300) // long lines make a torn write likelier to show
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				logs.Access.Info("request", "id", fmt.Sprintf("%d-%d", w, i), "pad", pad)
				written.Add(1)
			}
		}()
	}
	// Rotate once writers are demonstrably mid-stream, not before they start.
	deadline := time.Now().Add(10 * time.Second)
	for written.Load() < writers*perWriter/4 {
		if time.Now().After(deadline) {
			t.Fatal("writers made no progress")
		}
		time.Sleep(time.Millisecond)
	}
	live := filepath.Join(dir, AccessFile)
	rotated := live + ".1"
	if err := os.Rename(live, rotated); err != nil {
		t.Fatal(err)
	}
	if err := logs.Reopen(); err != nil {
		t.Fatal(err)
	}
	atRotate := written.Load()
	wg.Wait()
	if err := logs.Close(); err != nil {
		t.Fatal(err)
	}
	if atRotate == writers*perWriter {
		t.Fatal("all lines were written before the reopen; the test proves nothing")
	}

	seen := map[string]int{}
	old, cur := readLines(t, rotated), readLines(t, live)
	if len(old) == 0 || len(cur) == 0 {
		t.Fatalf("lines before/after rotation: %d/%d; both must be non-empty", len(old), len(cur))
	}
	for _, m := range append(old, cur...) {
		seen[m["id"].(string)]++
	}
	for w := 0; w < writers; w++ {
		for i := 0; i < perWriter; i++ {
			if n := seen[fmt.Sprintf("%d-%d", w, i)]; n != 1 {
				t.Fatalf("line %d-%d appears %d times", w, i, n)
			}
		}
	}
	if len(seen) != writers*perWriter {
		t.Fatalf("%d distinct lines, want %d", len(seen), writers*perWriter)
	}
	info, err := os.Stat(live)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o640 {
		t.Fatalf("log file mode %o, want 640", perm)
	}
}

func TestFileStreams(t *testing.T) {
	dir := t.TempDir()
	logs, err := New(fileCfg(dir))
	if err != nil {
		t.Fatal(err)
	}
	logs.App.Debug("hidden at info")
	logs.App.Info("started")
	logs.App.Error("boom", "password", config.Secret("hunter2"))
	logs.RecordQuery(context.Background(), QueryEvent{QueryID: "q1", Tool: "run_query", Duration: 2 * time.Second, Rows: 3, Outcome: "ok", SQL: "select secret_sql"})
	logs.LogSQL = true
	logs.RecordQuery(context.Background(), QueryEvent{QueryID: "q2", Tool: "run_query", Duration: time.Millisecond, Outcome: "ok", SQL: "select 1"})
	if err := logs.Close(); err != nil {
		t.Fatal(err)
	}
	app := readLines(t, filepath.Join(dir, AppFile))
	if len(app) != 2 || app[0]["msg"] != "started" || app[1]["msg"] != "boom" {
		t.Fatalf("application.log: %v", app)
	}
	errs := readLines(t, filepath.Join(dir, ErrorFile))
	if len(errs) != 1 || errs[0]["msg"] != "boom" || errs[0]["password"] != "[REDACTED]" {
		t.Fatalf("error.log: %v", errs)
	}
	q := readLines(t, filepath.Join(dir, QueryFile))
	if len(q) != 2 || q[0]["query_id"] != "q1" || q[0]["sql"] != nil || q[1]["sql"] != "select 1" || q[0]["rows"] != float64(3) {
		t.Fatalf("query.log: %v", q)
	}
	perf := readLines(t, filepath.Join(dir, PerfFile))
	if len(perf) != 1 || perf[0]["query_id"] != "q1" {
		t.Fatalf("performance.log should hold only the slow query: %v", perf)
	}
	for _, name := range []string{AppFile, ErrorFile, AccessFile, QueryFile, PerfFile} {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		if strings.Contains(string(b), "hunter2") || strings.Contains(string(b), "secret_sql") {
			t.Fatalf("%s leaks a secret or unrequested SQL: %s", name, b)
		}
	}
}

func TestWriterStreamsAreTagged(t *testing.T) {
	var buf bytes.Buffer
	logs, err := NewWriter(&buf, config.Log{Level: "warn", Format: "json"})
	if err != nil {
		t.Fatal(err)
	}
	logs.App.Info("dropped below warn")
	logs.App.Warn("kept")
	logs.Access.Info("request")
	logs.Perf.Warn("slow")
	var streams []string
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("bad line %q: %v", line, err)
		}
		streams = append(streams, m["log"].(string))
	}
	if strings.Join(streams, ",") != "app,access,perf" {
		t.Fatalf("streams = %v", streams)
	}
	if _, err := New(config.Log{Level: "loud", Output: "stderr"}); err == nil {
		t.Fatal("bad level accepted")
	}
	if _, err := New(config.Log{Level: "info", Output: "file"}); err == nil {
		t.Fatal("file output without dir accepted")
	}
}

func BenchmarkAccessLogFile(b *testing.B) {
	logs, err := New(fileCfg(b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	defer logs.Close()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			logs.Access.Info("request", "method", "POST", "path", "/mcp", "status", 200)
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
