package reload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/testbin"
)

// The test binary doubles as a small server built on this package, so the
// lifecycle is exercised by real processes and real signals without the rest
// of snowflake-mcp. tableflip re-executes os.Args[0] with the same
// environment, so every generation comes back here.
const helperEnv = "RELOAD_TEST_HELPER_CONFIG"

func TestMain(m *testing.M) {
	if path := os.Getenv(helperEnv); path != "" {
		os.Exit(helperMain(path))
	}
	os.Exit(testbin.Run(m))
}

type helperConfig struct {
	DrainTimeout   string `json:"drain_timeout"`
	DrainDelay     string `json:"drain_delay"`
	UpgradeTimeout string `json:"upgrade_timeout"`
	PIDFile        string `json:"pid_file"`
	AddrFile       string `json:"addr_file"`
	LogFile        string `json:"log_file"`
	Mode           string `json:"mode"`
	// HangShutdown makes the shutdown hook block, to exercise the hard deadline.
	HangShutdown bool `json:"hang_shutdown"`
	// RunGate names a FIFO the helper opens between Ready and Run: it blocks
	// there until the test opens the other end.
	RunGate string `json:"run_gate"`
}

func helperMain(path string) int {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := helperRun(path, logger); err != nil {
		ReportStartupFailure(err)
		logger.Error("helper failed", "err", err)
		return 1
	}
	return 0
}

func helperRun(path string, logger *slog.Logger) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	var c helperConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return fmt.Errorf("parse config %s: %w", path, err)
	}
	drain, err := time.ParseDuration(c.DrainTimeout)
	if err != nil {
		return fmt.Errorf("drain_timeout: %w", err)
	}
	upgrade, err := time.ParseDuration(c.UpgradeTimeout)
	if err != nil {
		return fmt.Errorf("upgrade_timeout: %w", err)
	}
	var delay time.Duration
	if c.DrainDelay != "" {
		if delay, err = time.ParseDuration(c.DrainDelay); err != nil {
			return fmt.Errorf("drain_delay: %w", err)
		}
	}
	logs, err := openReopenable(c.LogFile)
	if err != nil {
		return err
	}
	queries := newFakeQueries()
	ready := &helperReadiness{}
	lc, err := New(Options{
		PIDFile: c.PIDFile, UpgradeTimeout: upgrade, DrainTimeout: drain, DrainDelay: delay, Mode: c.Mode,
		HardGrace: 2 * time.Second, Logger: logger, Queries: queries, Logs: logs, Readiness: ready,
	})
	if err != nil {
		return err
	}
	ln, err := lc.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/work", func(w http.ResponseWriter, r *http.Request) {
		// Like the MCP SDK's event streams: the drain must still close the connection.
		w.Header().Set("Connection", "keep-alive")
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		if err := queries.run(r.Context(), time.Duration(ms)*time.Millisecond); err != nil {
			http.Error(w, "query cancelled: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "done")
	})
	mux.HandleFunc("/log", func(w http.ResponseWriter, r *http.Request) {
		logs.line(r.URL.Query().Get("line"))
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		if !ready.ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	mux.HandleFunc("/active", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, queries.Active())
	})
	mux.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(lc.Stats())
	})
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	lc.AddServer(&http.Server{Handler: lc.Middleware(mux), ReadHeaderTimeout: 5 * time.Second}, ln)
	lc.OnShutdown(func(context.Context) error { return logs.Close() })
	if c.HangShutdown {
		lc.OnShutdown(func(context.Context) error { select {} })
	}
	if c.AddrFile != "" {
		if err := os.WriteFile(c.AddrFile, []byte(ln.Addr().String()), 0o600); err != nil {
			return fmt.Errorf("write addr file: %w", err)
		}
	}
	if err := lc.Ready(); err != nil {
		return err
	}
	if c.RunGate != "" {
		logger.Info("waiting at run gate")
		f, err := os.Open(c.RunGate)
		if err != nil {
			return fmt.Errorf("run gate: %w", err)
		}
		_ = f.Close()
	}
	return lc.Run(context.Background())
}

// helperReadiness is the /readyz state the lifecycle flips.
type helperReadiness struct{ ready atomic.Bool }

func (r *helperReadiness) SetReady()    { r.ready.Store(true) }
func (r *helperReadiness) SetDraining() { r.ready.Store(false) }

// fakeQueries stands in for the Snowflake query tracker: running work that a
// drain can wait for and cancel.
type fakeQueries struct {
	mu      sync.Mutex
	running map[*context.CancelCauseFunc]struct{}
	idle    *sync.Cond
}

func newFakeQueries() *fakeQueries {
	q := &fakeQueries{running: map[*context.CancelCauseFunc]struct{}{}}
	q.idle = sync.NewCond(&q.mu)
	return q
}

var errAborted = errors.New("aborted at the drain deadline")

func (q *fakeQueries) run(ctx context.Context, d time.Duration) error {
	ctx, cancel := context.WithCancelCause(ctx)
	q.mu.Lock()
	q.running[&cancel] = struct{}{}
	q.mu.Unlock()
	defer func() {
		q.mu.Lock()
		delete(q.running, &cancel)
		q.idle.Broadcast()
		q.mu.Unlock()
		cancel(nil)
	}()
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (q *fakeQueries) Active() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.running)
}

func (q *fakeQueries) Wait(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		q.mu.Lock()
		q.idle.Broadcast()
		q.mu.Unlock()
	})
	defer stop()
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.running) > 0 {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		q.idle.Wait()
	}
	return nil
}

func (q *fakeQueries) CancelAll() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for c := range q.running {
		(*c)(errAborted)
	}
}

// reopenable is a log file that SIGUSR1 reopens by name.
type reopenable struct {
	mu   sync.Mutex
	path string
	f    *os.File
}

func openReopenable(path string) (*reopenable, error) {
	r := &reopenable{path: path}
	if path == "" {
		return r, nil
	}
	return r, r.Reopen()
}

func (r *reopenable) Reopen() error {
	if r.path == "" {
		return nil
	}
	f, err := os.OpenFile(r.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("reopen %s: %w", r.path, err)
	}
	r.mu.Lock()
	old := r.f
	r.f = f
	r.mu.Unlock()
	if old != nil {
		return old.Close()
	}
	return nil
}

func (r *reopenable) line(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f != nil {
		fmt.Fprintln(r.f, s)
	}
}

func (r *reopenable) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}
