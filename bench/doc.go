// Package bench is the benchmark `make bench` runs (cmd/snowflake-mcp-bench wires
// it): one run that measures snowflake-mcp against its limits and its peer, side by
// side, on the same machine and the same emulator.
//
// It starts, each as its own process: the Snowflake emulator under an address-space
// limit (prlimit), seeded with a 1,000,000-row table; snowflake-mcp serve with
// server.bench_tools on (the bench_echo tool); and the peer in bench/peer, the
// reference stack a user would pick instead (the official TypeScript MCP SDK,
// stateless Streamable HTTP on express, execute_query on the Node snowflake-sdk),
// whose npm dependencies it installs itself. This process is the load: a lean
// net/http client posting stateless tools/call requests over keep-alive loopback
// connections, the same client for both MCP servers, and database/sql with
// gosnowflake for the direct baseline (the machine's limit).
//
// Every throughput figure is the median of Options.Rounds rounds with min and max;
// within a round the systems run one after another (snowflake-mcp, peer, direct,
// then the next case), so drift on a shared machine hits all of them, and the ratios
// are taken per round. Server CPU per call is the server's utime+stime from
// /proc/PID/stat over the round, divided by its calls. Every round is bounded in
// time (Options.RoundTime) and in calls (Options.MaxCallsPerRound).
//
// Then snowflake-mcp alone: memory (RSS idle, after the load, with 1,000 calls in
// flight, peak growth for a capped query over the big table, from /proc/PID/status),
// 20 SIGHUP upgrades under 64 clients (hand-off: SIGHUP to the new generation's PID
// file, which it writes once ready), and two drains read through the emulator's
// admin view of queries (GET /emulator/queries).
//
// For a change's before/after, -baseline OLD_BINARY (and -baseline-env KEY=VALUE)
// measures a second snowflake-mcp interleaved beside the first in every cell;
// -throughput-only skips the rest; -quick makes fewer, shorter rounds.
//
// Invariants: everything listens on loopback on kernel-chosen ports; every process
// started is stopped (Pdeathsig covers a crash of the bench itself, except for
// later generations of an upgraded server); the temporary directory is removed.
package bench
