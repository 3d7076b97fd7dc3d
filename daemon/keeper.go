package daemon

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// KeeperEnv is set, to the keeper's PID, in the environment of every
// generation a keeper runs: the server then knows a hand-off keeps the
// supervisor's PID (reload.Options.Supervised).
const KeeperEnv = "SNOWFLAKE_MCP_KEEPER_PID"

// UnderKeeper reports whether this process was started by a keeper.
func UnderKeeper() bool { return os.Getenv(KeeperEnv) != "" }

// forwarded are the signals the keeper passes to the serving generation.
var forwarded = []os.Signal{syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT}

// Keeper is the process a supervisor tracks while generations of the server
// hand off beneath it.
type Keeper struct {
	Argv    []string // the serving command; Argv[0] an absolute path
	Env     []string // its environment (KeeperEnv is added)
	PIDFile string   // where the serving generation writes its PID
	Log     *slog.Logger
}

// Run starts the server and keeps it until no generation is left, then
// returns the exit code of the last one to exit (128+signal when killed).
// ctx ending counts as SIGTERM.
func (k *Keeper) Run(ctx context.Context) (int, error) {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return 1, fmt.Errorf("keeper: become child subreaper: %w", err)
	}
	sigs := make(chan os.Signal, 32)
	signal.Notify(sigs, append([]os.Signal{syscall.SIGCHLD}, forwarded...)...)
	defer signal.Stop(sigs)

	env := append(append([]string(nil), k.Env...), KeeperEnv+"="+strconv.Itoa(os.Getpid()))
	proc, err := os.StartProcess(k.Argv[0], k.Argv, &os.ProcAttr{
		Env:   env,
		Files: []*os.File{os.Stdin, os.Stdout, os.Stderr},
		// Its own process group: a terminal's Ctrl-C reaches the keeper
		// only, which forwards it once.
		Sys: &syscall.SysProcAttr{Setpgid: true},
	})
	if err != nil {
		return 1, fmt.Errorf("keeper: start %s: %w", k.Argv[0], err)
	}
	first := proc.Pid
	_ = proc.Release() // reaped below with wait4(-1)
	k.Log.Info("keeper: started the server", "keeper_pid", os.Getpid(), "pid", first, "pid_file", k.PIDFile)

	var (
		lastCode  = 0
		stopping  = false
		orphaned  = false // the serving generation died without a successor
		crashCode = 0
		serving   = first // the generation signals go to
		tick      = time.NewTicker(time.Second)
		done      = ctx.Done()
	)
	defer tick.Stop()
	forward := func(sig os.Signal) {
		serving = k.current(serving)
		if err := syscall.Kill(serving, sig.(syscall.Signal)); err != nil {
			k.Log.Warn("keeper: forwarding a signal failed", "signal", sig.String(), "pid", serving, "err", err)
			return
		}
		k.Log.Info("keeper: forwarded", "signal", sig.String(), "pid", serving)
	}
	for {
		select {
		case <-done:
			done = nil
			stopping = true
			forward(syscall.SIGTERM)
			continue
		case sig := <-sigs:
			if sig != syscall.SIGCHLD {
				if sig == syscall.SIGTERM || sig == syscall.SIGINT || sig == syscall.SIGQUIT {
					stopping = true
				}
				forward(sig)
				continue
			}
		case <-tick.C: // a missed SIGCHLD must not leave a zombie
		}
		serving = k.current(serving)
		// Reap whatever exited.
		for {
			var ws unix.WaitStatus
			pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
			if errors.Is(err, unix.ECHILD) {
				k.cleanPIDFile()
				if orphaned {
					return crashCode, nil
				}
				return lastCode, nil
			}
			if err != nil && !errors.Is(err, unix.EINTR) {
				return 1, fmt.Errorf("keeper: wait: %w", err)
			}
			if pid <= 0 {
				break
			}
			code := exitCode(ws)
			lastCode = code
			k.Log.Info("keeper: generation exited", "pid", pid, "code", code)
			if !stopping && !orphaned && pid == serving {
				// No successor took over: a crash. Stop what is left (an
				// old generation still draining) and report the failure.
				orphaned, crashCode = true, code
				if crashCode == 0 {
					crashCode = 1
				}
				k.Log.Error("keeper: the serving generation exited without a successor; stopping", "pid", pid, "code", code)
				k.signalAll(syscall.SIGTERM)
			}
		}
	}
}

// current is the generation the PID file names, when alive; else fallback.
func (k *Keeper) current(fallback int) int {
	if pid, err := ReadPIDFile(k.PIDFile); err == nil && Alive(pid) {
		return pid
	}
	return fallback
}

// signalAll sends sig to every process this keeper still has beneath it.
func (k *Keeper) signalAll(sig syscall.Signal) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	me := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := ReadProcStat(pid); err == nil && st.PPID == me {
			_ = syscall.Kill(pid, sig)
		}
	}
}

// cleanPIDFile removes a PID file that names a process no longer running
// (left by a generation that was killed).
func (k *Keeper) cleanPIDFile() {
	pid, err := ReadPIDFile(k.PIDFile)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil || !Alive(pid) {
		_ = os.Remove(k.PIDFile)
	}
}

func exitCode(ws unix.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
