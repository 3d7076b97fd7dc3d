package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	_ "github.com/snowflakedb/gosnowflake" // the direct baseline's driver
)

// Options configure one run.
type Options struct {
	ServerBin   string // snowflake-mcp
	EmulatorBin string // snowflake-emulator
	PeerDir     string // bench/peer (server.mjs, package.json)
	Node, NPM   string
	JSONOut     string // the JSON file of the figures
	Out         io.Writer
	Log         io.Writer // progress lines

	Rounds           int           // rounds per throughput figure
	RoundTime        time.Duration // measured time per round and cell
	MaxCallsPerRound int           // bound on calls per round and cell
	Upgrades         int           // SIGHUP upgrades under load
	MemRounds        int           // rounds of the memory and start-up figures
	PoolMax          int           // Snowflake connections per server (and for the direct driver)
	EmulatorMemLimit int64         // address-space limit of the emulator, bytes
	Commit           string        // recorded in the results
	Quick            bool          // recorded: a -quick run has fewer, shorter rounds
	// BaselineBin, when set, is a second snowflake-mcp build (say, before a change)
	// measured interleaved with ServerBin in every snowflake-mcp cell, as "baseline".
	BaselineBin string
	// BaselineEnv is extra environment for the baseline (e.g. GOGC=400 to A/B a runtime setting).
	BaselineEnv []string
	// ThroughputOnly skips memory, upgrades and drains (for before/after comparisons).
	ThroughputOnly bool

	serverEnv []string
}

func (o *Options) logf(format string, args ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, "bench %s: "+format+"\n", append([]any{time.Now().UTC().Format("15:04:05.000")}, args...)...)
	}
}

// Results are every figure of one run, with the run's context.
type Results struct {
	Date    time.Time `json:"date"`
	Commit  string    `json:"commit"`
	Machine string    `json:"machine"`
	Quick   bool      `json:"quick"`
	Rounds  int       `json:"rounds"`
	// RoundSeconds is the measured time of each round of each throughput cell.
	RoundSeconds float64        `json:"round_seconds"`
	Figures      []Figure       `json:"figures"`
	Targets      []TargetResult `json:"targets"`
	Errors       []string       `json:"errors,omitempty"`
	byKey        map[string]int // index into Figures
	Elapsed      float64        `json:"elapsed_seconds"`
	Config       map[string]any `json:"config"`
}

func (r *Results) add(f Figure) {
	if r.byKey == nil {
		r.byKey = map[string]int{}
	}
	if i, ok := r.byKey[f.Key]; ok {
		r.Figures[i] = f
		return
	}
	r.byKey[f.Key] = len(r.Figures)
	r.Figures = append(r.Figures, f)
}

// Get returns the figure with key, if measured.
func (r *Results) Get(key string) (Figure, bool) {
	i, ok := r.byKey[key]
	if !ok {
		return Figure{}, false
	}
	return r.Figures[i], true
}

// Run starts the emulator, snowflake-mcp, the TypeScript peer and the direct
// driver, measures them, writes the JSON file and prints the Markdown table.
func Run(ctx context.Context, o Options) (*Results, error) {
	start := time.Now()
	res := &Results{Date: start.UTC(), Commit: o.Commit, Machine: machine(), Quick: o.Quick, Rounds: o.Rounds,
		RoundSeconds: o.RoundTime.Seconds(), Config: map[string]any{
			"pool_max": o.PoolMax, "emulator_mem_limit_bytes": o.EmulatorMemLimit, "upgrades": o.Upgrades,
			"mcp_protocol": mcpProtocol, "load": "lean net/http client, stateless tools/call, keep-alive, closed loop",
		}}
	for _, p := range []*string{&o.PeerDir, &o.ServerBin, &o.EmulatorBin, &o.BaselineBin} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return nil, err
		}
		*p = abs
	}
	dir, err := os.MkdirTemp("", "snowflake-mcp-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	if err := installPeer(ctx, &o, o.Log); err != nil {
		return nil, err
	}
	emu, err := startEmulator(ctx, &o, dir)
	if err != nil {
		return nil, err
	}
	defer emu.stop(10 * time.Second)
	o.logf("emulator on %s (address space limited to %d MiB)", emu.addr, o.EmulatorMemLimit>>20)

	// Start-up: exec to /readyz 200, pool warm-up included; the last start stays up.
	var startups []float64
	var srv *server
	for i := range max(1, o.MemRounds) {
		s, err := startServer(ctx, &o, dir, emu)
		if err != nil {
			return nil, err
		}
		startups = append(startups, ms(s.readyIn))
		if i < max(1, o.MemRounds)-1 {
			s.stopAll()
			continue
		}
		srv = s
	}
	defer func() { srv.stopAll() }()
	res.add(newFigure("startup/"+ours+"/ms", "ms", startups))
	time.Sleep(time.Second) // idle means idle for a moment, not mid-start-up
	rss, _, _ := readMem(srv.currentPID())
	res.add(single("rss_idle/"+ours+"/mib", "MiB", mib(rss)))
	o.logf("snowflake-mcp on %s: ready in %.0f ms (median of %d), RSS idle %.1f MiB", srv.addr, median(sorted(startups)), len(startups), mib(rss))

	pr, err := startPeer(ctx, &o, emu)
	if err != nil {
		return nil, err
	}
	defer func() { pr.stop(10 * time.Second) }()
	res.add(single("startup/"+tsPeer+"/ms", "ms", ms(pr.readyIn)))
	time.Sleep(time.Second)
	prss, _, _ := readMem(pr.pid())
	res.add(single("rss_idle/"+tsPeer+"/mib", "MiB", mib(prss)))
	o.logf("TypeScript peer on %s: ready in %.0f ms, RSS idle %.1f MiB", pr.addr, ms(pr.readyIn), mib(prss))

	db, err := sql.Open("snowflake", emu.dsn())
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.SetMaxOpenConns(o.PoolMax)
	db.SetMaxIdleConns(o.PoolMax)

	cases := throughputCases(srv, pr, db)
	if o.BaselineBin != "" {
		bo := o
		bo.ServerBin = o.BaselineBin
		bo.serverEnv = o.BaselineEnv
		base, err := startServer(ctx, &bo, dir, emu)
		if err != nil {
			return nil, fmt.Errorf("baseline: %w", err)
		}
		defer base.stopAll()
		cases = withBaseline(cases, base)
		defer func() {
			brss, _, _ := readMem(base.currentPID())
			o.logf("RSS after load: baseline %.1f MiB", mib(brss))
		}()
	}
	if err := runThroughput(ctx, &o, cases, res); err != nil {
		return nil, err
	}
	if o.ThroughputOnly {
		rss, _, _ := readMem(srv.currentPID())
		o.logf("RSS after load: snowflake-mcp %.1f MiB", mib(rss))
		return finish(&o, res, start)
	}
	time.Sleep(time.Second)
	rss, _, _ = readMem(srv.currentPID())
	res.add(single("rss_after_load/"+ours+"/mib", "MiB", mib(rss)))
	prss, _, _ = readMem(pr.pid())
	res.add(single("rss_after_load/"+tsPeer+"/mib", "MiB", mib(prss)))
	pr.stop(10 * time.Second) // the rest measures snowflake-mcp alone
	o.logf("RSS after load: snowflake-mcp %.1f MiB, peer %.1f MiB", mib(rss), mib(prss))

	var growth, inflight []float64
	for range max(1, o.MemRounds) {
		g, err := peakGrowthCapped(ctx, srv)
		if err != nil {
			return nil, err
		}
		growth = append(growth, mib(g))
		r, err := rssInFlight(ctx, srv, 1000)
		if err != nil {
			return nil, err
		}
		inflight = append(inflight, mib(r))
	}
	res.add(newFigure("rss_capped_1m_rows_growth/"+ours+"/mib", "MiB", growth))
	res.add(newFigure("rss_1000_in_flight/"+ours+"/mib", "MiB", inflight))
	o.logf("peak RSS growth for a capped query over %d rows: %.1f MiB; RSS with 1,000 calls in flight: %.1f MiB",
		bigTableRows, median(sorted(growth)), median(sorted(inflight)))

	if err := runUpgrades(ctx, &o, srv, res); err != nil {
		return nil, err
	}
	if err := runDrains(ctx, &o, dir, emu, srv, res); err != nil {
		return nil, err
	}
	return finish(&o, res, start)
}

func finish(o *Options, res *Results, start time.Time) (*Results, error) {
	res.Targets = evaluate(res)
	res.Elapsed = time.Since(start).Seconds()
	if o.JSONOut != "" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(o.JSONOut, append(b, '\n'), 0o644); err != nil {
			return nil, err
		}
	}
	if o.Out != nil {
		writeTable(o.Out, res)
	}
	return res, nil
}

func throughputCases(srv *server, pr *peer, db *sql.DB) []throughputCase {
	srvPID, peerPID := srv.currentPID, pr.pid
	var cases []throughputCase
	for _, conc := range []int{1, 16, 64} {
		cases = append(cases, throughputCase{name: "execute_query", conc: conc, cells: []cell{
			{ours, newMCPCaller(srv.mcpURL(), "execute_query", `{"query":"SELECT 1"}`, `"row_count":1`, conc), srvPID},
			{tsPeer, newMCPCaller(pr.mcpURL(), "execute_query", `{"query":"SELECT 1"}`, `"row_count":1`, conc), peerPID},
			{direct, &sqlCaller{db: db, query: "SELECT 1"}, nil},
		}})
	}
	cases = append(cases,
		throughputCase{name: "list_databases", conc: 16, cells: []cell{
			{ours, newMCPCaller(srv.mcpURL(), "list_databases", `{}`, `"DEMO"`, 16), srvPID},
			{direct, &sqlCaller{db: db, query: "SHOW DATABASES"}, nil},
		}},
		throughputCase{name: "bench_echo", conc: 16, cells: []cell{
			{ours, newMCPCaller(srv.mcpURL(), "bench_echo", `{"text":"hello"}`, `"hello"`, 16), srvPID},
			{tsPeer, newMCPCaller(pr.mcpURL(), "bench_echo", `{"text":"hello"}`, `"hello"`, 16), peerPID},
		}},
	)
	return cases
}

func sorted(v []float64) []float64 { return slices.Sorted(slices.Values(v)) }

// machine describes the host: CPU model, cores, memory, kernel.
func machine() string {
	model := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if line, _, ok := strings.Cut(string(b), "\n"); ok {
			mem = strings.Join(strings.Fields(line)[1:], " ")
		}
	}
	kernel, _ := exec.Command("uname", "-r").Output()
	return fmt.Sprintf("%s, %d cores, MemTotal %s, Linux %s, %s", model, runtime.NumCPU(), mem, strings.TrimSpace(string(kernel)), runtime.Version())
}
