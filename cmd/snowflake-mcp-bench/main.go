// Command snowflake-mcp-bench runs the benchmark of package bench: `make bench`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/bench"
)

func main() {
	o := bench.Options{Out: os.Stdout, Log: os.Stderr}
	quick := flag.Bool("quick", false, "fewer, shorter rounds, for iterating (figures are noisier)")
	flag.StringVar(&o.ServerBin, "server", "bin/snowflake-mcp", "snowflake-mcp binary")
	flag.StringVar(&o.EmulatorBin, "emulator", "bin/snowflake-emulator", "snowflake-emulator binary")
	flag.StringVar(&o.PeerDir, "peer", "bench/peer", "directory of the TypeScript peer server")
	flag.StringVar(&o.Node, "node", "node", "node binary")
	flag.StringVar(&o.NPM, "npm", "npm", "npm binary")
	flag.StringVar(&o.JSONOut, "json", "bench/results.json", "write the figures here as JSON")
	flag.StringVar(&o.Commit, "commit", "", "commit recorded with the results")
	flag.IntVar(&o.Rounds, "rounds", 5, "rounds per throughput figure")
	flag.DurationVar(&o.RoundTime, "round-time", 2*time.Second, "measured time per round and system")
	flag.IntVar(&o.MaxCallsPerRound, "max-calls", 200_000, "calls per round and system at most")
	flag.IntVar(&o.Upgrades, "upgrades", 20, "SIGHUP upgrades under load")
	flag.IntVar(&o.MemRounds, "mem-rounds", 3, "rounds of the memory and start-up figures")
	flag.IntVar(&o.PoolMax, "pool", 64, "Snowflake connections per server and for the direct driver")
	flag.Int64Var(&o.EmulatorMemLimit, "emulator-mem", 4<<30, "address-space limit of the emulator, bytes")
	flag.StringVar(&o.BaselineBin, "baseline", "", "a second snowflake-mcp binary (e.g. before a change) measured interleaved beside -server")
	flag.Func("baseline-env", "KEY=VALUE in the baseline's environment (repeatable), e.g. GOGC=400", func(v string) error {
		o.BaselineEnv = append(o.BaselineEnv, v)
		return nil
	})
	flag.BoolVar(&o.ThroughputOnly, "throughput-only", false, "skip memory, upgrades and drains")
	flag.Parse()
	if *quick {
		o.Quick, o.Rounds, o.RoundTime, o.Upgrades, o.MemRounds = true, 2, time.Second, 5, 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := bench.Run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "snowflake-mcp-bench:", err)
		os.Exit(1)
	}
}
