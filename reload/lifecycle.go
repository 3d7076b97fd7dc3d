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
	"path/filepath"
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
	// DrainDelay keeps the listener accepting this long after /readyz turned
	// 503 on a stop or hand-off, so load balancers notice before connections
	// are refused (server.drain_delay); default 0.
	DrainDelay time.Duration
	Mode       string // ModeUpgrade (default) or ModeRestart
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
	// Supervised says a keeper (see package daemon) owns the PID the
	// supervisor tracks, so hand-offs are safe even under PM2.
	Supervised bool
}

// Stats counts upgrades seen by this process.
type Stats struct {
	Upgrades       int64  // successful hand-offs started from this process
	FailedUpgrades int64  // rolled back
	LastError      string // why the last upgrade failed
	LastUpgrade    string // "", "ok", "ok, took over from pid N" (a new generation) or "failed, rolled back: why"
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

	generation  int
	draining    atomic.Bool
	drainCtx    context.Context
	drainCancel context.CancelFunc
	parentGone  chan struct{} // closed once the previous generation has exited
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
	if opts.PIDFile != "" {
		// Fail now, not at Ready after the pool warmed up.
		if err := os.MkdirAll(filepath.Dir(opts.PIDFile), 0o755); err != nil {
			return nil, fmt.Errorf("reload: PID file directory: %w", err)
		}
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
		opts: opts, upg: upg, pid: os.Getpid(), generation: inheritGeneration(upg.HasParent()),
		drainCtx: ctx, drainCancel: cancel, sigs: sigs, parentGone: make(chan struct{}),
	}
	l.log = opts.Logger.With("pid", l.pid, "generation", l.generation)
	if upg.HasParent() {
		go func() {
			err := upg.WaitForParent(context.Background())
			close(l.parentGone)
			if err != nil {
				l.log.Warn("previous generation exited uncleanly", "err", err)
				return
			}
			l.log.Info("previous generation exited")
		}()
	} else {
		close(l.parentGone)
	}
	return l, nil
}

// Generation is 1 for a process started afresh and one more than its parent's
// for a process started by a hand-off.
func (l *Lifecycle) Generation() int { return l.generation }

// Upgrading reports whether this process was started by a SIGHUP hand-off and
// has a previous generation waiting for its Ready (it must not report ready
// before it can serve, or the hand-off would trade a working process for a
// broken one).
func (l *Lifecycle) Upgrading() bool { return l.upg.HasParent() }

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

// Ready marks this generation ready: it writes the PID file, tells the
// previous generation to drain, flips readiness and notifies systemd. Call it
// after every socket is listened on and the Snowflake pool is warm.
func (l *Lifecycle) Ready() error {
	if l.upg.HasParent() {
		// Before tableflip wakes the parent, so the parent reads it.
		writeReport(fmt.Sprintf("ready %d", l.pid))
	}
	if err := l.upg.Ready(); err != nil {
		return fmt.Errorf("reload: ready: %w", err)
	}
	readySent.Store(true)
	if l.upg.HasParent() && l.opts.Logs != nil {
		// logrotate may have renamed the files since this generation opened
		// them, and its SIGUSR1 went to the PID the file named then, the
		// parent's: open the current paths now that this PID is the one.
		if err := l.opts.Logs.Reopen(); err != nil {
			l.log.Warn("reopening log files at ready failed", "err", err)
		}
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
		l.mu.Lock()
		l.stats.LastUpgrade = fmt.Sprintf("ok, took over from pid %d", os.Getppid())
		l.mu.Unlock()
	}
	l.notify("READY=1", fmt.Sprintf("MAINPID=%d", l.pid), l.status("serving"))
	l.log.Info("ready", "generation_parent", l.upg.HasParent(), "mode", l.opts.Mode)
	return nil
}

func (l *Lifecycle) notify(lines ...string) {
	if _, err := Notify(lines...); err != nil {
		l.log.Warn("sd_notify failed", "err", err)
	}
}

// Why a generation stops serving.
type stopReason int

const (
	stopHandoff     stopReason = iota + 1 // a new generation took over
	stopSignal                            // SIGTERM or SIGINT
	stopServerError                       // a listener failed
	stopContext                           // Run's context ended
)

func (r stopReason) String() string {
	switch r {
	case stopHandoff:
		return "hand-off"
	case stopSignal:
		return "stop signal"
	case stopServerError:
		return "server error"
	case stopContext:
		return "context done"
	}
	return "unknown"
}

// Errors Run returns when a drain did not finish by itself; the PID file has
// been removed by then, so main only has to exit non-zero.
var (
	ErrDrainOverran = errors.New("reload: drain overran its hard deadline (drain_delay + drain_timeout + grace)")
	ErrForcedStop   = errors.New("reload: second stop signal during the drain")
)

// Run serves every registered server and handles signals until this
// generation should exit: after a successful hand-off, on SIGTERM/SIGINT, or
// when ctx ends. It then drains and returns nil when the drain was clean.
func (l *Lifecycle) Run(ctx context.Context) error {
	defer l.upg.Stop()
	// The channel already holds any SIGHUP/SIGUSR1 that arrived before Run.
	signal.Notify(l.sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(l.sigs)

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

	reason, newPID, runErr := l.serveUntilStop(ctx, serveErr)
	if reason == stopHandoff {
		l.log.Info("handed off to new generation; draining", "new_pid", newPID,
			"drain_delay", l.opts.DrainDelay, "drain_timeout", l.opts.DrainTimeout)
	} else {
		l.log.Info("stopping; draining", "reason", reason.String(),
			"drain_delay", l.opts.DrainDelay, "drain_timeout", l.opts.DrainTimeout)
		l.notify("STOPPING=1", l.status("draining: "+reason.String()))
	}
	drainErr := l.drainUntilDone(servers, reason, newPID)
	if reason != stopHandoff && l.opts.PIDFile != "" {
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

// serveUntilStop is the signal loop of a serving generation. It returns why
// the generation stops and, after a hand-off, the new generation's PID.
func (l *Lifecycle) serveUntilStop(ctx context.Context, serveErr <-chan error) (stopReason, int, error) {
	upgradeDone := make(chan upgradeResult, 1)
	upgrading := false
	var (
		reason stopReason
		runErr error
	)
loop:
	for {
		select {
		case sig := <-l.sigs:
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
				l.log.Info("stop signal", "signal", sig.String())
				reason = stopSignal
				break loop
			}
		case res := <-upgradeDone:
			upgrading = false
			if res.err == nil {
				return stopHandoff, res.pid, nil
			}
			l.upgradeFailed(res)
		case runErr = <-serveErr:
			reason = stopServerError
			break loop
		case <-ctx.Done():
			reason = stopContext
			break loop
		}
	}
	// Kills a child that is mid-upgrade; no upgrade may start now.
	l.upg.Stop()
	if upgrading {
		res := <-upgradeDone
		if res.err == nil {
			return stopHandoff, res.pid, runErr
		}
		// The child may have written its PID before it was stopped: this
		// generation is still the one serving, so the PID file names it
		// again and is removed with it.
		l.reclaimPIDFile()
	}
	return reason, 0, runErr
}

// drainUntilDone drains and answers signals meanwhile. A second stop signal
// (or the first one after a stop signal started the drain), or the hard
// deadline, ends the wait with an error; the drain's goroutines are then
// left to the process exit.
func (l *Lifecycle) drainUntilDone(servers []*server, reason stopReason, newPID int) error {
	stopSigs := 0
	if reason == stopSignal {
		stopSigs = 1
	}
	drained := make(chan error, 1)
	go func() { drained <- l.drain(servers) }()
	hard := time.NewTimer(l.opts.DrainDelay + l.opts.DrainTimeout + l.opts.HardGrace)
	defer hard.Stop()
	start := time.Now()
	for {
		select {
		case err := <-drained:
			return err
		case <-hard.C:
			l.log.Error("drain overran its hard deadline; exiting now", "after", time.Since(start))
			return ErrDrainOverran
		case sig := <-l.sigs:
			switch sig {
			case syscall.SIGUSR1:
				l.reopenLogs()
			case syscall.SIGHUP:
				if reason == stopHandoff {
					l.log.Warn("SIGHUP ignored: this generation handed off and is draining; signal the new generation", "new_pid", newPID)
				} else {
					l.log.Warn("SIGHUP ignored: shutting down")
				}
			case syscall.SIGTERM, syscall.SIGINT:
				stopSigs++
				if stopSigs >= 2 {
					l.log.Error("second stop signal during drain; exiting now", "signal", sig.String())
					return ErrForcedStop
				}
				l.log.Info("stop signal during drain; finishing the drain (send it again to exit at once)", "signal", sig.String())
			}
		}
	}
}

// reclaimPIDFile writes this process's PID back into the PID file when an
// aborted upgrade's child left its own there.
func (l *Lifecycle) reclaimPIDFile() {
	if l.opts.PIDFile == "" {
		return
	}
	if pid, err := readPIDFile(l.opts.PIDFile); err == nil && pid == l.pid {
		return
	}
	if err := writePIDFile(l.opts.PIDFile, l.pid); err != nil {
		l.log.Warn("PID file not reclaimed after the aborted upgrade", "err", err)
		return
	}
	l.log.Info("PID file names this generation again after the aborted upgrade", "path", l.opts.PIDFile)
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
	case os.Getenv("pm_id") != "" && !l.opts.Supervised:
		why = "running under PM2 without the keeper, and PM2 would start a second copy when this PID exits; run `snowflake-mcp daemon start --no-daemon` (the keeper) under PM2, or use `pm2 restart` (a stop/start, not zero-downtime)"
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
	l.notify("RELOADING=1", "MONOTONIC_USEC="+monotonicUsec(), l.status("upgrade refused: "+why))
	l.notify("READY=1", fmt.Sprintf("MAINPID=%d", l.pid), l.status("serving (upgrade refused)"))
	return true
}

// parentGoneWithin reports whether the previous generation has exited,
// allowing a moment for its exit to be noticed: a SIGHUP sent right after the
// old process went away must not be refused.
func (l *Lifecycle) parentGoneWithin(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-l.parentGone:
		return true
	case <-t.C:
		return false
	}
}

func (l *Lifecycle) upgrade() upgradeResult {
	start := time.Now()
	l.log.Info("SIGHUP: upgrade starting", "upgrade_timeout", l.opts.UpgradeTimeout)
	l.notify("RELOADING=1", "MONOTONIC_USEC="+monotonicUsec(), l.status("upgrading"))
	report, err := newReportFile()
	if err != nil {
		l.log.Warn("upgrade: child errors will only reach the shared stderr", "err", err)
	}
	err = l.upg.Upgrade()
	rep := report.collect()
	res := upgradeResult{err: err, took: time.Since(start), pid: rep.pid, childErr: rep.err}
	if err == nil {
		l.mu.Lock()
		l.stats.Upgrades++
		l.stats.LastUpgrade = "ok"
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
	l.stats.LastUpgrade = fmt.Sprintf("failed, rolled back: %.160s", l.stats.LastError)
	failed := l.stats.FailedUpgrades
	l.mu.Unlock()
	attrs := []any{"err", res.err, "took", res.took, "failed_upgrades", failed}
	if res.childErr != "" {
		attrs = append(attrs, "child_error", res.childErr)
	}
	l.log.Error("upgrade failed; rolled back, this generation keeps serving", attrs...)
	l.notify("READY=1", fmt.Sprintf("MAINPID=%d", l.pid), l.status("serving (last upgrade failed)"))
}

// status is the sd_notify STATUS= line: what the process does, its
// generation and the last upgrade's outcome.
func (l *Lifecycle) status(doing string) string {
	l.mu.Lock()
	last := l.stats.LastUpgrade
	l.mu.Unlock()
	s := fmt.Sprintf("STATUS=%s; generation %d", doing, l.generation)
	if last != "" {
		s += "; last upgrade: " + last
	}
	return s
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
