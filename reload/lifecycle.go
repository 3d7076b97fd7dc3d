package reload

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cloudflare/tableflip"
)

// Modes for Options.Mode (config key reload.mode).
const (
	ModeUpgrade = "upgrade" // SIGHUP hands the sockets to a freshly started binary
	ModeRestart = "restart" // SIGHUP is refused; the supervisor restarts the process
)

// Readiness is the /readyz state the lifecycle flips.
type Readiness interface {
	SetReady()
	SetDraining()
}

// QueryDrainer tracks running Snowflake queries so a drain can wait for them
// and cancel the rest at the deadline.
type QueryDrainer interface {
	Wait(ctx context.Context) error
	CancelAll()
}

// LogReopener reopens every log file of the process (SIGUSR1 after logrotate).
type LogReopener interface {
	Reopen() error
}

// Options configure a Lifecycle; they mirror the reload.* and
// server.drain_timeout config keys.
type Options struct {
	PIDFile        string
	UpgradeTimeout time.Duration // child must be ready within this; default 1m
	DrainTimeout   time.Duration // queries get this long after a hand-off or stop; default 30s
	Mode           string        // ModeUpgrade (default) or ModeRestart
	// HardGrace is added to DrainTimeout for the timer that force-exits a
	// drain that hangs anyway; default 5s.
	HardGrace time.Duration
	// IdleGrace is how long a drain leaves idle connections open before it
	// closes them. Busy keep-alive connections are never closed under a
	// client: their next answer carries "Connection: close". Closing one a
	// client is just reusing would fail that request, so idle ones get this
	// long to be used once more. Default 1s (at most DrainTimeout/2).
	IdleGrace time.Duration
	Logger    *slog.Logger
	// Readiness, Queries and Logs are optional.
	Readiness Readiness
	Queries   QueryDrainer
	Logs      LogReopener
}

// Stats counts upgrades seen by this process.
type Stats struct {
	Upgrades       int64  // successful hand-offs started from this process
	FailedUpgrades int64  // rolled back
	LastError      string // why the last upgrade failed
}

// Lifecycle runs one generation of the server process.
type Lifecycle struct {
	opts Options
	log  *slog.Logger
	upg  *tableflip.Upgrader
	pid  int

	mu        sync.Mutex
	servers   []*server
	closers   []func(context.Context) error
	stats     Stats
	readyDone bool

	draining    atomic.Bool
	drainCtx    context.Context
	drainCancel context.CancelFunc
	parentGone  atomic.Bool
	sigs        chan os.Signal
}

type server struct {
	srv     *http.Server
	ln      net.Listener
	mu      sync.Mutex
	conns   map[net.Conn]connState
	closing atomic.Bool
}

// New creates the lifecycle of this process. Only one may exist per process.
func New(opts Options) (*Lifecycle, error) {
	if opts.Mode == "" {
		opts.Mode = ModeUpgrade
	}
	if opts.Mode != ModeUpgrade && opts.Mode != ModeRestart {
		return nil, fmt.Errorf("reload: mode %q: want %q or %q", opts.Mode, ModeUpgrade, ModeRestart)
	}
	if opts.UpgradeTimeout <= 0 {
		opts.UpgradeTimeout = time.Minute
	}
	if opts.DrainTimeout <= 0 {
		opts.DrainTimeout = 30 * time.Second
	}
	if opts.HardGrace <= 0 {
		opts.HardGrace = 5 * time.Second
	}
	if opts.IdleGrace <= 0 {
		opts.IdleGrace = time.Second
	}
	if opts.IdleGrace > opts.DrainTimeout/2 {
		opts.IdleGrace = opts.DrainTimeout / 2
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	// Catch SIGHUP and SIGUSR1 from the start: their default action kills
	// the process, and a starting child must survive a stray one.
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGUSR1)
	upg, err := tableflip.New(tableflip.Options{PIDFile: opts.PIDFile, UpgradeTimeout: opts.UpgradeTimeout})
	if err != nil {
		signal.Stop(sigs)
		return nil, fmt.Errorf("reload: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &Lifecycle{
		opts: opts, log: opts.Logger.With("pid", os.Getpid()), upg: upg, pid: os.Getpid(),
		drainCtx: ctx, drainCancel: cancel, sigs: sigs,
	}
	if upg.HasParent() {
		go func() {
			err := upg.WaitForParent(context.Background())
			l.parentGone.Store(true)
			if err != nil {
				l.log.Warn("previous generation exited uncleanly", "err", err)
				return
			}
			l.log.Info("previous generation exited")
		}()
	} else {
		l.parentGone.Store(true)
	}
	return l, nil
}

// HasParent reports whether this generation was started by a hand-off.
func (l *Lifecycle) HasParent() bool { return l.upg.HasParent() }

// Listen returns the listening socket for addr, inherited from the previous
// generation when there is one. Call it for every socket before Ready.
func (l *Lifecycle) Listen(network, addr string) (net.Listener, error) {
	ln, err := l.upg.Listen(network, addr)
	if err != nil {
		return nil, fmt.Errorf("reload: listen %s %s: %w", network, addr, err)
	}
	return ln, nil
}

// AddServer registers srv to be served on ln by Run and drained on exit.
// Wrap srv.Handler with Middleware so draining can end streams and close
// keep-alive connections cleanly.
func (l *Lifecycle) AddServer(srv *http.Server, ln net.Listener) {
	s := &server{srv: srv, ln: &onceCloseListener{Listener: ln}, conns: map[net.Conn]connState{}}
	prev := srv.ConnState
	srv.ConnState = func(c net.Conn, st http.ConnState) {
		s.track(c, st)
		if prev != nil {
			prev(c, st)
		}
	}
	l.mu.Lock()
	l.servers = append(l.servers, s)
	l.mu.Unlock()
}

// OnShutdown registers fn to run after the HTTP servers have drained (close
// MCP sessions, the Snowflake pool, log files). They run in order.
func (l *Lifecycle) OnShutdown(fn func(ctx context.Context) error) {
	l.mu.Lock()
	l.closers = append(l.closers, fn)
	l.mu.Unlock()
}

// SetQueries sets the query tracker the drain waits for, when it is built
// after New (it needs the config and the pool). Call it before Run.
func (l *Lifecycle) SetQueries(q QueryDrainer) {
	l.mu.Lock()
	l.opts.Queries = q
	l.mu.Unlock()
}

// Stats returns the upgrade counters.
func (l *Lifecycle) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats
}

// Draining reports whether this generation has begun to drain.
func (l *Lifecycle) Draining() bool { return l.draining.Load() }

// Ready marks this generation ready: it writes the PID file, tells the
// previous generation to drain, flips readiness and notifies systemd. Call it
// after every socket is listened on and the Snowflake pool is warm.
func (l *Lifecycle) Ready() error {
	if err := l.upg.Ready(); err != nil {
		return fmt.Errorf("reload: ready: %w", err)
	}
	// From here on a stop signal must drain, not kill: queue it for Run. (Not
	// earlier: during the pool warm-up the default action stops us at once.)
	signal.Notify(l.sigs, syscall.SIGTERM, syscall.SIGINT)
	l.mu.Lock()
	l.readyDone = true
	l.mu.Unlock()
	if l.opts.Readiness != nil {
		l.opts.Readiness.SetReady()
	}
	if l.upg.HasParent() {
		writeReport(fmt.Sprintf("ready %d", l.pid))
	}
	status := fmt.Sprintf("STATUS=serving, ready (pid %d)", l.pid)
	if l.upg.HasParent() {
		status += fmt.Sprintf("; last upgrade: ok, took over from pid %d", os.Getppid())
	}
	l.notify("READY=1", fmt.Sprintf("MAINPID=%d", l.pid), status)
	l.log.Info("ready", "generation_parent", l.upg.HasParent(), "mode", l.opts.Mode)
	return nil
}

func (l *Lifecycle) notify(lines ...string) {
	if _, err := Notify(lines...); err != nil {
		l.log.Warn("sd_notify failed", "err", err)
	}
}

// Run serves every registered server and handles signals until this
// generation should exit: after a successful hand-off, on SIGTERM/SIGINT, or
// when ctx ends. It then drains and returns nil when the drain was clean.
func (l *Lifecycle) Run(ctx context.Context) error {
	defer l.upg.Stop()
	// The channel already holds any SIGHUP/SIGUSR1 that arrived before Run.
	sigs := l.sigs
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)

	l.mu.Lock()
	servers := append([]*server(nil), l.servers...)
	l.mu.Unlock()
	serveErr := make(chan error, len(servers))
	for _, s := range servers {
		go func() {
			err := s.srv.Serve(s.ln)
			if err != nil && !errors.Is(err, http.ErrServerClosed) && !s.closing.Load() {
				serveErr <- fmt.Errorf("reload: serve %s: %w", s.ln.Addr(), err)
			}
		}()
	}

	var (
		upgradeDone = make(chan upgradeResult, 1)
		upgrading   bool
		reason      string
		runErr      error
		newPID      int
	)
loop:
	for {
		select {
		case sig := <-sigs:
			switch sig {
			case syscall.SIGHUP:
				if l.refuseUpgrade(upgrading) {
					continue
				}
				upgrading = true
				go func() { upgradeDone <- l.upgrade() }()
			case syscall.SIGUSR1:
				l.reopenLogs()
			case syscall.SIGTERM, syscall.SIGINT:
				reason = "signal " + sig.String()
				break loop
			}
		case res := <-upgradeDone:
			upgrading = false
			if res.err == nil {
				newPID = res.pid
				reason = "hand-off"
				break loop
			}
			l.upgradeFailed(res)
		case err := <-serveErr:
			runErr = err
			reason = "server error"
			break loop
		case <-ctx.Done():
			reason = "context done"
			break loop
		}
	}

	handoff := reason == "hand-off"
	if !handoff {
		// Kills a child that is mid-upgrade; no upgrade may start now.
		l.upg.Stop()
		if upgrading {
			if res := <-upgradeDone; res.err == nil {
				handoff, newPID = true, res.pid
			}
		}
	}
	if handoff {
		l.log.Info("handed off to new generation; draining", "new_pid", newPID, "drain_timeout", l.opts.DrainTimeout)
	} else {
		l.log.Info("stopping; draining", "reason", reason, "drain_timeout", l.opts.DrainTimeout)
		l.notify("STOPPING=1", "STATUS=draining: "+reason)
	}

	// Signals during the drain: a second stop signal (or the first one after
	// a stop signal started the drain) exits at once.
	stopSigs := 0
	if !handoff && reason != "context done" && reason != "server error" {
		stopSigs = 1
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case sig := <-sigs:
				switch sig {
				case syscall.SIGUSR1:
					l.reopenLogs()
				case syscall.SIGHUP:
					if handoff {
						l.log.Warn("SIGHUP ignored: this generation handed off and is draining; signal the new generation", "new_pid", newPID)
					} else {
						l.log.Warn("SIGHUP ignored: shutting down")
					}
				case syscall.SIGTERM, syscall.SIGINT:
					stopSigs++
					if stopSigs >= 2 {
						l.log.Error("second stop signal during drain; exiting now", "signal", sig.String())
						os.Exit(1)
					}
					l.log.Info("stop signal during drain; finishing the drain (send it again to exit at once)", "signal", sig.String())
				}
			}
		}
	}()
	drainErr := l.drain(servers)
	close(done)
	if !handoff && l.opts.PIDFile != "" {
		if removed, err := removePIDFile(l.opts.PIDFile, l.pid); err != nil {
			l.log.Warn("PID file not removed", "err", err)
		} else if removed {
			l.log.Info("PID file removed", "path", l.opts.PIDFile)
		}
	}
	if runErr != nil {
		return runErr
	}
	return drainErr
}

type upgradeResult struct {
	pid      int
	err      error
	childErr string
	took     time.Duration
}

// refuseUpgrade answers a SIGHUP that must not start an upgrade, and says why.
func (l *Lifecycle) refuseUpgrade(upgrading bool) bool {
	var why string
	switch {
	case l.opts.Mode == ModeRestart:
		why = "reload.mode is restart: hand-offs are off; restart the service to apply a new binary or config"
	case os.Getenv("pm_id") != "":
		why = "running under PM2, which would start a second copy when this PID exits; use `pm2 restart` (a stop/start, not zero-downtime) or run under systemd for zero-downtime upgrades"
	case upgrading:
		why = "an upgrade is already in progress"
	case !l.parentGoneWithin(250 * time.Millisecond):
		why = "the previous generation is still draining; retry once it has exited"
	default:
		l.mu.Lock()
		ready := l.readyDone
		l.mu.Unlock()
		if !ready {
			why = "this generation is not ready yet"
		}
	}
	if why == "" {
		return false
	}
	l.log.Warn("SIGHUP: upgrade refused", "reason", why)
	// Type=notify-reload waits for RELOADING=1 then READY=1 after its SIGHUP.
	l.notify("RELOADING=1", "MONOTONIC_USEC="+monotonicUsec(), "STATUS=upgrade refused: "+why)
	l.notify("READY=1", fmt.Sprintf("MAINPID=%d", l.pid), fmt.Sprintf("STATUS=serving, ready (pid %d); last upgrade: refused: %s", l.pid, why))
	return true
}

// parentGoneWithin reports whether the previous generation has exited,
// allowing a moment for its exit to be noticed: a SIGHUP sent right after the
// old process went away must not be refused.
func (l *Lifecycle) parentGoneWithin(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for !l.parentGone.Load() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

func (l *Lifecycle) upgrade() upgradeResult {
	start := time.Now()
	l.log.Info("SIGHUP: upgrade starting", "upgrade_timeout", l.opts.UpgradeTimeout)
	l.notify("RELOADING=1", "MONOTONIC_USEC="+monotonicUsec(), "STATUS=upgrading")
	report, err := newReportFile()
	if err != nil {
		l.log.Warn("upgrade: child errors will only reach the shared stderr", "err", err)
	} else {
		defer os.Remove(report)
		os.Setenv(reportEnv, report)
		defer os.Unsetenv(reportEnv)
	}
	err = l.upg.Upgrade()
	res := upgradeResult{err: err, took: time.Since(start)}
	if report != "" {
		rep := readReport(report)
		res.pid, res.childErr = rep.pid, rep.err
	}
	if err == nil {
		l.mu.Lock()
		l.stats.Upgrades++
		l.mu.Unlock()
		l.log.Info("upgrade succeeded", "new_pid", res.pid, "took", res.took)
	}
	return res
}

func (l *Lifecycle) upgradeFailed(res upgradeResult) {
	l.mu.Lock()
	l.stats.FailedUpgrades++
	l.stats.LastError = res.err.Error()
	if res.childErr != "" {
		l.stats.LastError += ": " + res.childErr
	}
	failed := l.stats.FailedUpgrades
	lastErr := l.stats.LastError
	l.mu.Unlock()
	attrs := []any{"err", res.err, "took", res.took, "failed_upgrades", failed}
	if res.childErr != "" {
		attrs = append(attrs, "child_error", res.childErr)
	}
	l.log.Error("upgrade failed; rolled back, this generation keeps serving", attrs...)
	l.notify("READY=1", fmt.Sprintf("MAINPID=%d", l.pid), fmt.Sprintf("STATUS=serving, ready (pid %d); last upgrade: failed, rolled back: %.160s", l.pid, lastErr))
}

func (l *Lifecycle) reopenLogs() {
	if l.opts.Logs == nil {
		l.log.Info("SIGUSR1: no log files to reopen")
		return
	}
	if err := l.opts.Logs.Reopen(); err != nil {
		l.log.Error("SIGUSR1: reopening logs failed", "err", err)
		return
	}
	l.log.Info("SIGUSR1: log files reopened")
}
