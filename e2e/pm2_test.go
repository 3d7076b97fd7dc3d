package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/testbin"
	"github.com/snowflake-mcp/snowflake-mcp/testemulator"
)

// pm2 runs the real PM2 (deploy/pm2/node_modules, `make pm2-deps`) with an
// isolated PM2_HOME.
type pm2 struct {
	t    *testing.T
	bin  string
	home string
	env  []string
}

func newPM2(t *testing.T, env ...string) *pm2 {
	t.Helper()
	root, err := testbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, "deploy", "pm2", "node_modules", ".bin", "pm2")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("pm2 not installed (run `make pm2-deps`): %v", err)
	}
	home := t.TempDir()
	p := &pm2{t: t, bin: bin, home: home, env: append([]string{"PM2_HOME=" + home}, env...)}
	t.Cleanup(func() { _, _ = p.run("kill") })
	return p
}

func (p *pm2) run(args ...string) (string, error) {
	cmd := exec.Command(p.bin, args...)
	cmd.Env = testbin.CleanEnv(p.env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (p *pm2) must(args ...string) string {
	p.t.Helper()
	out, err := p.run(args...)
	if err != nil {
		p.t.Fatalf("pm2 %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// app is the part of `pm2 jlist` the test reads.
type app struct {
	Name   string `json:"name"`
	PID    int    `json:"pid"`
	PM2Env struct {
		Status      string `json:"status"`
		RestartTime int    `json:"restart_time"`
	} `json:"pm2_env"`
}

func (p *pm2) app(name string) (app, bool) {
	p.t.Helper()
	out := p.must("jlist")
	// pm2 may print notices before the JSON.
	if i := strings.Index(out, "["); i >= 0 {
		out = out[i:]
	}
	var apps []app
	if err := json.Unmarshal([]byte(out), &apps); err != nil {
		p.t.Fatalf("pm2 jlist: %v\n%s", err, out)
	}
	for _, a := range apps {
		if a.Name == name {
			return a, true
		}
	}
	return app{}, false
}

func (p *pm2) logs() string {
	b, _ := os.ReadFile(filepath.Join(p.home, "logs", "snowflake-mcp-error.log"))
	c, _ := os.ReadFile(filepath.Join(p.home, "logs", "snowflake-mcp-out.log"))
	return string(b) + string(c)
}

// Under PM2 the keeper keeps PM2's PID while three SIGHUP hand-offs happen
// beneath it under 8 MCP clients; a kill -9 of the serving process is seen
// and healed; pm2 stop drains; pm2 delete cleans up.
func TestPM2ZeroDowntimeKeeper(t *testing.T) {
	emu := testemulator.Start(t)
	dir := t.TempDir()
	listen := freeListen(t)
	root, _ := testbin.ModuleRoot()
	// The listen address comes from the shell that runs pm2 start.
	p := newPM2(t, "SNOWFLAKE_MCP_BIN="+serverBin(t), "SNOWFLAKE_MCP_CONFIG="+configFile(t, dir, emu, ""),
		"SNOWFLAKE_MCP_SERVER__LISTEN="+listen)
	pidFile := filepath.Join(p.home, "pids", "snowflake-mcp-serving.pid")
	killOnCleanup(t, pidFile)
	base := "http://" + listen

	p.must("start", filepath.Join(root, "deploy", "pm2", "ecosystem.config.js"), "--env", "development")
	waitFor(t, 60*time.Second, "online and /healthz 200", func() bool {
		a, ok := p.app("snowflake-mcp")
		code, _ := get(base + "/healthz")
		return ok && a.PM2Env.Status == "online" && code == 200
	})
	before, _ := p.app("snowflake-mcp")
	serving := readPID(pidFile)
	if serving == 0 || serving == before.PID {
		t.Fatalf("serving PID %d, PM2's PID %d: want a server beneath the keeper\n%s", serving, before.PID, p.logs())
	}

	load := startClientLoad(t, base+"/mcp", 8)
	gens := []int{serving}
	for i := range 3 {
		old := readPID(pidFile)
		p.must("sendSignal", "SIGHUP", "snowflake-mcp")
		waitFor(t, 30*time.Second, "a new serving generation", func() bool {
			n := readPID(pidFile)
			code, by := get(base + "/readyz")
			return n != 0 && n != old && code == 200 && by == n
		})
		// The next hand-off is refused while the previous generation drains.
		waitFor(t, 30*time.Second, "the old generation to exit", func() bool { return !alive(old) })
		gens = append(gens, readPID(pidFile))
		t.Logf("SIGHUP %d: serving PID %d -> %d", i+1, old, readPID(pidFile))
	}
	ok, fails, servedBy := load.stop()
	if len(fails) > 0 {
		t.Errorf("%d of %d calls failed across three hand-offs; first: %v", len(fails), int(ok)+len(fails), fails[:min(5, len(fails))])
	}
	if len(servedBy) < 2 {
		t.Errorf("every answer came from %v; want the serving PID to change", servedBy)
	}
	after, _ := p.app("snowflake-mcp")
	if after.PID != before.PID || after.PM2Env.RestartTime != before.PM2Env.RestartTime {
		t.Errorf("PM2 pid %d -> %d, restart_time %d -> %d; want both unchanged",
			before.PID, after.PID, before.PM2Env.RestartTime, after.PM2Env.RestartTime)
	}
	t.Logf("%d calls, 0 allowed failures, served by %v, generations %v", ok, servedBy, gens)

	// A crash of the serving process: PM2 must see it and bring the service back.
	victim := readPID(pidFile)
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	waitFor(t, 30*time.Second, "healthy again after kill -9", func() bool {
		code, by := get(base + "/healthz")
		return code == 200 && by != victim && by != 0
	})
	healed := time.Since(killed)
	t.Logf("healthy again %v after kill -9 of PID %d", healed.Round(time.Millisecond), victim)
	// 5s for the release binary (1.2s measured at load 35 on 2 cores); a race
	// build starts two processes (keeper, server) several times slower.
	bound := 5 * time.Second
	if raceBuild && os.Getenv("SNOWFLAKE_MCP_BIN") == "" {
		bound = 15 * time.Second
	}
	if healed > bound {
		t.Errorf("healthy again only %v after kill -9, want within %v", healed.Round(time.Millisecond), bound)
	}
	if a, _ := p.app("snowflake-mcp"); a.PM2Env.RestartTime != after.PM2Env.RestartTime+1 {
		t.Errorf("restart_time %d after the crash, want %d (PM2 saw it)", a.PM2Env.RestartTime, after.PM2Env.RestartTime+1)
	}

	// pm2 stop: SIGINT to the keeper, forwarded once, drained.
	last := readPID(pidFile)
	p.must("stop", "snowflake-mcp")
	if a, _ := p.app("snowflake-mcp"); a.PM2Env.Status != "stopped" || alive(last) {
		t.Errorf("after pm2 stop: status %q, serving process alive %v", a.PM2Env.Status, alive(last))
	}
	logs := p.logs()
	if !strings.Contains(logs, "stopping; draining") || strings.Count(logs, "drain finished") < 4 || strings.Contains(logs, "second stop signal") {
		t.Errorf("pm2 stop did not drain once, cleanly:\n%s", logs[max(0, len(logs)-3000):])
	}
	if _, err := os.Stat(pidFile); !os.IsNotExist(err) {
		t.Errorf("serving PID file left after pm2 stop: %v", err)
	}
	p.must("delete", "snowflake-mcp")
	if _, ok := p.app("snowflake-mcp"); ok {
		t.Error("pm2 delete left the app listed")
	}
}
