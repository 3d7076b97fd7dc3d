package reload

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// helper is one running helper server (see helper_test.go) and its files.
type helper struct {
	*procs
	t       *testing.T
	dir     string
	bin     string
	cfg     helperConfig
	cfgPath string
	pid     int
	base    string
	client  *http.Client
}

func startHelper(t *testing.T, cfg helperConfig, env ...string) *helper {
	t.Helper()
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// Run a copy so a test can replace "the binary" without touching ours.
	bin := filepath.Join(dir, "server")
	copyFile(t, self, bin)
	if cfg.DrainTimeout == "" {
		cfg.DrainTimeout = "2s"
	}
	if cfg.UpgradeTimeout == "" {
		cfg.UpgradeTimeout = "10s"
	}
	cfg.PIDFile = filepath.Join(dir, "server.pid")
	cfg.AddrFile = filepath.Join(dir, "addr")
	if cfg.LogFile == "" {
		cfg.LogFile = filepath.Join(dir, "app.log")
	}
	h := &helper{t: t, dir: dir, bin: bin, cfg: cfg, cfgPath: filepath.Join(dir, "config.json"), client: newClient(64)}
	h.writeConfig(cfg)
	h.procs, h.pid = startProcs(t, bin, nil, append([]string{helperEnv + "=" + h.cfgPath}, env...))
	waitFor(t, 20*time.Second, "the helper's PID file", func() bool { return readPID(cfg.PIDFile) == h.pid })
	addr, err := os.ReadFile(cfg.AddrFile)
	if err != nil {
		t.Fatal(err)
	}
	h.base = "http://" + string(addr)
	return h
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	// Write then rename, like a deploy, so a running copy is never modified.
	tmp := to + ".tmp"
	if err := os.WriteFile(tmp, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, to); err != nil {
		t.Fatal(err)
	}
}

func writeScript(t testing.TB, path, body string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func (h *helper) writeConfig(cfg helperConfig) {
	b, err := json.Marshal(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(h.cfgPath, b, 0o600); err != nil {
		h.t.Fatal(err)
	}
}

func (h *helper) stats() Stats {
	var s Stats
	resp, err := h.client.Get(h.base + "/stats")
	if err != nil {
		return s
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(&s)
	return s
}

func (h *helper) active() int {
	_, body, err := getPID(context.Background(), h.client, h.base+"/active")
	if err != nil {
		return -1
	}
	n, _ := strconv.Atoi(body)
	return n
}

// upgrade sends SIGHUP and waits for the new generation to take over and the
// old one to exit; it returns the old generation's exit code.
func (h *helper) upgrade(within time.Duration) int {
	h.t.Helper()
	old := h.pid
	sendSignal(h.t, old, syscall.SIGHUP)
	waitFor(h.t, 20*time.Second, "a new PID in the PID file", func() bool {
		p := readPID(h.cfg.PIDFile)
		return p != 0 && p != old
	})
	h.pid = readPID(h.cfg.PIDFile)
	h.adopt(h.pid)
	code, ok := h.waitExit(old, within)
	if !ok {
		h.t.Fatalf("old generation %d still running %v after SIGHUP", old, within)
	}
	return code
}

func workLoad(h *helper, workers int, ms int) *load {
	return startLoad(workers, func(ctx context.Context, _ int) (int, error) {
		pid, _, err := getPID(ctx, h.client, fmt.Sprintf("%s/work?ms=%d", h.base, ms))
		return pid, err
	})
}

func checkLoad(t *testing.T, l *load, gens []int) {
	t.Helper()
	if f := l.failures(); len(f) > 0 {
		t.Errorf("%d of %d requests failed; first: %v", len(f), int(l.served())+len(f), f[:min(5, len(f))])
	}
	for pid, n := range l.servedBy() {
		if !slices.Contains(gens, pid) {
			t.Errorf("%d responses served by PID %d, not one of the generations %v", n, pid, gens)
		}
	}
	if l.served() == 0 {
		t.Error("no request succeeded")
	}
}

func TestHandoffUnderLoad(t *testing.T) {
	h := startHelper(t, helperConfig{DrainTimeout: "3s"})
	gens := []int{h.pid}
	l := workLoad(h, 24, 2)
	for i := range 4 {
		before := l.served()
		waitFor(t, 10*time.Second, "traffic", func() bool { return l.served() > before+50 })
		if code := h.upgrade(3*time.Second + 3*time.Second); code != 0 {
			t.Fatalf("upgrade %d: old generation exited %d", i+1, code)
		}
		gens = append(gens, h.pid)
	}
	before := l.served()
	waitFor(t, 10*time.Second, "traffic on the last generation", func() bool { return l.served() > before+50 })
	l.stop()
	checkLoad(t, l, gens)
	if n := l.servedBy()[h.pid]; n == 0 {
		t.Errorf("the last generation %d served nothing", h.pid)
	}
	t.Logf("%d requests over %d generations: %v", l.served(), len(gens), l.servedBy())
}

func TestHandoffWaitsForQueriesThenAborts(t *testing.T) {
	h := startHelper(t, helperConfig{DrainTimeout: "1500ms"})
	old := h.pid
	type result struct {
		pid  int
		body string
		err  error
		took time.Duration
	}
	call := func(ms int) <-chan result {
		ch := make(chan result, 1)
		go func() {
			start := time.Now()
			pid, body, err := getPID(context.Background(), h.client, fmt.Sprintf("%s/work?ms=%d", h.base, ms))
			ch <- result{pid, body, err, time.Since(start)}
		}()
		return ch
	}
	short, long := call(800), call(60_000)
	waitFor(t, 5*time.Second, "both queries running", func() bool { return h.active() == 2 })
	start := time.Now()
	if code := h.upgrade(1500*time.Millisecond + 3*time.Second); code != 0 {
		t.Errorf("old generation exited %d", code)
	}
	s := <-short
	if s.err != nil || s.pid != old || strings.TrimSpace(s.body) != "done" {
		t.Errorf("query shorter than the drain: pid %d body %q err %v; want done from %d", s.pid, s.body, s.err, old)
	}
	lg := <-long
	if lg.err == nil || !strings.Contains(lg.err.Error(), "aborted at the drain deadline") || lg.pid != old {
		t.Errorf("query longer than the drain: pid %d err %v; want the abort error from %d", lg.pid, lg.err, old)
	}
	if took := time.Since(start); took < 1500*time.Millisecond {
		t.Errorf("old generation gone after %v, before the drain deadline", took)
	}
}

func TestFailedUpgradesRollBack(t *testing.T) {
	h := startHelper(t, helperConfig{DrainTimeout: "2s", UpgradeTimeout: "1s"})
	good := h.cfg
	l := workLoad(h, 16, 2)
	pidFile := func() string {
		b, _ := os.ReadFile(h.cfg.PIDFile)
		return string(b)
	}
	want := pidFile()
	self, _ := os.Executable()
	cases := []struct {
		name    string
		break_  func()
		logHint string
	}{
		{"invalid config", func() {
			if err := os.WriteFile(h.cfgPath, []byte("{not json"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "parse config"},
		{"binary exits 1", func() { writeScript(t, h.bin, "echo 'new binary is broken' >&2; exit 1") }, "exit status 1"},
		{"binary never ready", func() { writeScript(t, h.bin, "exec sleep 60") }, "timed out"},
	}
	for i, c := range cases {
		c.break_()
		before := l.served()
		sendSignal(t, h.pid, syscall.SIGHUP)
		waitFor(t, 15*time.Second, c.name+": failed upgrade counted", func() bool { return h.stats().FailedUpgrades == int64(i+1) })
		if got := h.stats().LastError; !strings.Contains(got, c.logHint) {
			t.Errorf("%s: last error %q lacks %q", c.name, got, c.logHint)
		}
		if got := pidFile(); got != want {
			t.Errorf("%s: PID file changed from %q to %q", c.name, want, got)
		}
		waitFor(t, 10*time.Second, c.name+": traffic after rollback", func() bool { return l.served() > before+50 })
		// Restore for the next case.
		copyFile(t, self, h.bin)
		h.writeConfig(good)
	}
	if !strings.Contains(h.output(), "child_error") {
		t.Error("the child's own error never reached the parent's log")
	}
	// The same generation still upgrades once the fault is gone.
	gens := []int{h.pid}
	if code := h.upgrade(5 * time.Second); code != 0 {
		t.Errorf("old generation exited %d", code)
	}
	gens = append(gens, h.pid)
	l.stop()
	checkLoad(t, l, gens)
}

func TestStopUnderLoad(t *testing.T) {
	h := startHelper(t, helperConfig{DrainTimeout: "3s"})
	// A stateful SSE stream must be ended by the drain, not hold it open.
	req, _ := http.NewRequest(http.MethodGet, h.base+"/stream", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	streamDone := make(chan error, 1)
	go func() { _, err := io.Copy(io.Discard, resp.Body); streamDone <- err }()

	var stopAt sync.Map
	l := startLoad(16, func(ctx context.Context, _ int) (int, error) {
		pid, _, err := getPID(ctx, h.client, h.base+"/work?ms=200")
		if _, stopping := stopAt.Load("t"); stopping && errors.Is(err, syscall.ECONNREFUSED) {
			return 0, nil // never reached the stopped server: the right answer
		}
		return pid, err
	})
	waitFor(t, 10*time.Second, "traffic", func() bool { return l.served() > 100 })
	stopAt.Store("t", time.Now())
	sendSignal(t, h.pid, syscall.SIGTERM)
	code, ok := h.waitExit(h.pid, 6*time.Second)
	l.stop()
	if !ok {
		t.Fatal("server still running 6s after SIGTERM")
	}
	if code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	select {
	case <-streamDone:
	case <-time.After(time.Second):
		t.Error("SSE stream still open after the server exited")
	}
	checkLoad(t, l, []int{h.pid, 0})
	if _, err := os.Stat(h.cfg.PIDFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("PID file left after a clean stop: %v", err)
	}
}

func TestSecondStopSignalExitsAtOnce(t *testing.T) {
	h := startHelper(t, helperConfig{DrainTimeout: "30s"})
	go func() { _, _, _ = getPID(context.Background(), h.client, h.base+"/work?ms=60000") }()
	waitFor(t, 5*time.Second, "a running query", func() bool { return h.active() == 1 })
	sendSignal(t, h.pid, syscall.SIGTERM)
	waitFor(t, 5*time.Second, "the drain to start", func() bool { return strings.Contains(h.output(), "stopping; draining") })
	sendSignal(t, h.pid, syscall.SIGINT)
	code, ok := h.waitExit(h.pid, 3*time.Second)
	if !ok {
		t.Fatal("second stop signal did not end the process")
	}
	if code != 1 {
		t.Errorf("exit code %d, want 1 for an interrupted drain", code)
	}
}

func TestHardDeadlineEndsAHungDrain(t *testing.T) {
	h := startHelper(t, helperConfig{DrainTimeout: "1s", HangShutdown: true})
	start := time.Now()
	sendSignal(t, h.pid, syscall.SIGTERM)
	// drain_timeout 1s + the helper's 2s hard grace, plus slack for a loaded machine.
	code, ok := h.waitExit(h.pid, 6*time.Second)
	if !ok {
		t.Fatal("hung drain not cut by the hard deadline")
	}
	if code != 1 || !strings.Contains(h.output(), "drain overran its hard deadline") {
		t.Errorf("exit code %d after %v; want 1 and the overrun logged", code, time.Since(start))
	}
	if took := time.Since(start); took < 3*time.Second {
		t.Errorf("exited after %v, before drain_timeout + hard grace (3s)", took)
	}
}

func TestUpgradeRefusals(t *testing.T) {
	t.Run("restart mode", func(t *testing.T) {
		h := startHelper(t, helperConfig{Mode: ModeRestart})
		sendSignal(t, h.pid, syscall.SIGHUP)
		waitFor(t, 5*time.Second, "the refusal", func() bool { return strings.Contains(h.output(), "reload.mode is restart") })
		if p := readPID(h.cfg.PIDFile); p != h.pid || !h.alive(h.pid) {
			t.Errorf("restart mode: PID file %d, process alive %v", p, h.alive(h.pid))
		}
	})
	t.Run("pm2", func(t *testing.T) {
		h := startHelper(t, helperConfig{}, "pm_id=3")
		sendSignal(t, h.pid, syscall.SIGHUP)
		waitFor(t, 5*time.Second, "the refusal", func() bool { return strings.Contains(h.output(), "running under PM2") })
		if s := h.stats(); s.Upgrades != 0 || s.FailedUpgrades != 0 {
			t.Errorf("pm2: stats %+v, want no upgrade attempted", s)
		}
	})
	t.Run("upgrade in progress", func(t *testing.T) {
		h := startHelper(t, helperConfig{})
		// A slow new binary: a wrapper that waits for a file, then execs the real one.
		real := h.bin + ".real"
		copyFile(t, h.bin, real)
		gate := filepath.Join(h.dir, "gate")
		writeScript(t, h.bin, fmt.Sprintf("while [ ! -e %s ]; do sleep 0.05; done\nexec %s \"$@\"", gate, real))
		old := h.pid
		sendSignal(t, old, syscall.SIGHUP)
		waitFor(t, 5*time.Second, "the upgrade to start", func() bool { return strings.Contains(h.output(), "SIGHUP: upgrade starting") })
		sendSignal(t, old, syscall.SIGHUP)
		waitFor(t, 5*time.Second, "the refusal", func() bool { return strings.Contains(h.output(), "an upgrade is already in progress") })
		if err := os.WriteFile(gate, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 20*time.Second, "the first upgrade to finish", func() bool { p := readPID(h.cfg.PIDFile); return p != 0 && p != old })
		h.pid = readPID(h.cfg.PIDFile)
		h.adopt(h.pid)
		if code, ok := h.waitExit(old, 5*time.Second); !ok || code != 0 {
			t.Errorf("old generation: exited %v code %d", ok, code)
		}
		if n := strings.Count(h.output(), "SIGHUP: upgrade starting"); n != 1 {
			t.Errorf("%d upgrades started, want 1", n)
		}
	})
	t.Run("previous generation draining", func(t *testing.T) {
		h := startHelper(t, helperConfig{DrainTimeout: "20s"})
		go func() { _, _, _ = getPID(context.Background(), h.client, h.base+"/work?ms=60000") }()
		waitFor(t, 5*time.Second, "a running query", func() bool { return h.active() == 1 })
		old := h.pid
		sendSignal(t, old, syscall.SIGHUP)
		waitFor(t, 20*time.Second, "the new generation", func() bool { p := readPID(h.cfg.PIDFile); return p != 0 && p != old })
		h.pid = readPID(h.cfg.PIDFile)
		h.adopt(h.pid)
		sendSignal(t, h.pid, syscall.SIGHUP)
		waitFor(t, 5*time.Second, "the refusal", func() bool { return strings.Contains(h.output(), "previous generation is still draining") })
		sendSignal(t, old, syscall.SIGHUP)
		waitFor(t, 5*time.Second, "the old generation's answer", func() bool {
			return strings.Contains(h.output(), "this generation handed off and is draining")
		})
		// A draining old generation obeys SIGTERM: the first one lets the drain go on, a second ends it.
		sendSignal(t, old, syscall.SIGTERM)
		waitFor(t, 5*time.Second, "the first SIGTERM noted", func() bool { return strings.Contains(h.output(), "stop signal during drain") })
		if !h.alive(old) {
			t.Error("the first SIGTERM cut the old generation's drain short")
		}
		sendSignal(t, old, syscall.SIGTERM)
		if _, ok := h.waitExit(old, 3*time.Second); !ok {
			t.Error("draining old generation ignored SIGTERM")
		}
	})
}

func TestNotifySequence(t *testing.T) {
	for _, abstract := range []bool{false, true} {
		t.Run(fmt.Sprintf("abstract=%v", abstract), func(t *testing.T) {
			n := listenNotify(t, abstract)
			h := startHelper(t, helperConfig{DrainTimeout: "1s"}, "NOTIFY_SOCKET="+n.name)
			first := h.pid
			if code := h.upgrade(4 * time.Second); code != 0 {
				t.Errorf("old generation exited %d", code)
			}
			second := h.pid
			if err := os.WriteFile(h.cfgPath, []byte("{"), 0o600); err != nil {
				t.Fatal(err)
			}
			sendSignal(t, second, syscall.SIGHUP)
			waitFor(t, 10*time.Second, "the failed upgrade", func() bool { return h.stats().FailedUpgrades == 1 })
			sendSignal(t, second, syscall.SIGTERM)
			if _, ok := h.waitExit(second, 5*time.Second); !ok {
				t.Fatal("no exit after SIGTERM")
			}
			// Keep only the state keys that systemd acts on, in order.
			var got []string
			for _, m := range n.messages() {
				var keep []string
				for _, line := range strings.Split(m, "\n") {
					k, v, _ := strings.Cut(line, "=")
					switch k {
					case "READY", "RELOADING", "STOPPING":
						keep = append(keep, line)
					case "MAINPID":
						keep = append(keep, line)
					case "MONOTONIC_USEC":
						if us, err := strconv.ParseInt(v, 10, 64); err != nil || us <= 0 {
							t.Errorf("bad MONOTONIC_USEC in %q", m)
						}
					}
				}
				got = append(got, strings.Join(keep, " "))
			}
			want := []string{
				fmt.Sprintf("READY=1 MAINPID=%d", first),
				"RELOADING=1",
				fmt.Sprintf("READY=1 MAINPID=%d", second),
				"RELOADING=1",
				fmt.Sprintf("READY=1 MAINPID=%d", second),
				"STOPPING=1",
			}
			if !slices.Equal(got, want) {
				t.Errorf("sd_notify datagrams:\n got %q\nwant %q", got, want)
			}
		})
	}
}

func TestLogReopenLosesNothing(t *testing.T) {
	h := startHelper(t, helperConfig{})
	logPath := h.cfg.LogFile
	var written int
	write := func(n int) {
		for range n {
			written++
			if _, _, err := getPID(context.Background(), h.client, fmt.Sprintf("%s/log?line=line-%d", h.base, written)); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(200)
	// logrotate: rename, then SIGUSR1; lines keep coming meanwhile.
	if err := os.Rename(logPath, logPath+".1"); err != nil {
		t.Fatal(err)
	}
	sendSignal(t, h.pid, syscall.SIGUSR1)
	for {
		write(10)
		if _, err := os.Stat(logPath); err == nil {
			break
		}
		if written > 5000 {
			t.Fatal("log file never reopened after SIGUSR1")
		}
	}
	write(200)
	seen := map[string]int{}
	count := func(path string) int {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		n := 0
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			seen[sc.Text()]++
			n++
		}
		return n
	}
	old, cur := count(logPath+".1"), count(logPath)
	if old+cur != written || len(seen) != written {
		t.Errorf("wrote %d lines; rotated file has %d, new file %d, distinct %d", written, old, cur, len(seen))
	}
	if cur < 200 {
		t.Errorf("only %d lines in the new file, want >= 200", cur)
	}
}
