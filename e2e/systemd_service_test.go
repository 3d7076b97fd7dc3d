//go:build e2e_systemd

package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/testbin"
)

const service = "snowflake-mcp.service"

// The operator's files, written before install.sh runs: a config pointing at the emulator in
// the container, the password handed over as a systemd credential, and a drop-in that orders
// the service after the emulator (the test's stand-in for Snowflake).
const operatorConfig = `# written by the operator before install
server:
  listen: 127.0.0.1:8000
snowflake:
  account: demo
  user: demo
  password_file: ${CREDENTIALS_DIRECTORY}/sf-password
  host: 127.0.0.1
  port: 8089
  protocol: http
  database: DEMO
  schema: SALES
  warehouse: DEMO_WH
reload:
  pid_file: /run/snowflake-mcp/snowflake-mcp.pid
`

const operatorDropIn = `[Unit]
Wants=snowflake-emulator-e2e.service
After=snowflake-emulator-e2e.service
[Service]
LoadCredential=sf-password:/etc/snowflake-mcp/password
`

// The emulator as a unit of its own; ExecStartPost holds the start job until it answers.
const emulatorUnit = `[Unit]
Description=snowflake-emulator (the e2e tests' Snowflake)
[Service]
ExecStart=/usr/local/libexec/e2e/snowflake-emulator --listen 127.0.0.1:8089
ExecStartPost=/bin/sh -c 'until curl -s -o /dev/null http://127.0.0.1:8089/; do sleep 0.1; done'
TimeoutStartSec=90
MemoryMax=1G
[Install]
WantedBy=multi-user.target
`

var operatorFiles = map[string]string{
	"/etc/snowflake-mcp/config.yaml":                                operatorConfig,
	"/etc/snowflake-mcp/password":                                   "demo\n",
	"/etc/systemd/system/snowflake-mcp.service.d/e2e-operator.conf": operatorDropIn,
}

// prepare puts the emulator unit, the load program, the operator's files and a checkout
// (bin/ from make build, deploy/) into a machine that has not booted yet.
func prepare(t *testing.T, m *machine) {
	t.Helper()
	repo := repoRoot(t)
	for _, b := range []string{"snowflake-mcp", "snowflake-emulator"} {
		if _, err := os.Stat(filepath.Join(repo, "bin", b)); err != nil {
			t.Fatalf("bin/%s missing: run 'make build' first", b)
		}
	}
	m.copyIn(filepath.Join(repo, "bin", "snowflake-emulator"), "/usr/local/libexec/e2e/snowflake-emulator", 0o755)
	m.copyIn(mcploadBinary(t), "/usr/local/libexec/e2e/mcpload", 0o755)
	m.put("/etc/systemd/system/snowflake-emulator-e2e.service", []byte(emulatorUnit), 0o644)
	if err := os.MkdirAll(filepath.Join(m.root, "etc/systemd/system/multi-user.target.wants"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../snowflake-emulator-e2e.service", filepath.Join(m.root, "etc/systemd/system/multi-user.target.wants/snowflake-emulator-e2e.service")); err != nil {
		t.Fatal(err)
	}
	for path, content := range operatorFiles {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(path, "password") {
			mode = 0o600
		}
		m.put(path, []byte(content), mode)
	}
	checkout := filepath.Join(m.root, "root/src")
	if err := os.MkdirAll(filepath.Join(checkout, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	m.copyIn(filepath.Join(repo, "bin", "snowflake-mcp"), "/root/src/bin/snowflake-mcp", 0o755)
	if out, err := exec.Command("cp", "-a", filepath.Join(repo, "deploy"), checkout).CombinedOutput(); err != nil {
		t.Fatalf("cp deploy: %v: %s", err, out)
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := testbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// fileHashes hashes the operator's files inside the container.
func fileHashes(t *testing.T, m *machine) map[string]string {
	t.Helper()
	h := map[string]string{}
	for path := range operatorFiles {
		b, err := os.ReadFile(filepath.Join(m.root, path))
		if err != nil {
			t.Fatalf("operator file %s: %v", path, err)
		}
		sum := sha256.Sum256(b)
		st, _ := os.Stat(filepath.Join(m.root, path))
		h[path] = hex.EncodeToString(sum[:]) + " " + st.Mode().String()
	}
	return h
}

func sameHashes(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	for p, h := range before {
		if after[p] != h {
			t.Errorf("%s changed the operator's %s: %s -> %s", what, p, h, after[p])
		}
	}
}

// waitReady polls until the service is active and /readyz answers 200 from its MainPID.
func waitReady(t *testing.T, m *machine, d time.Duration, notPID int) int {
	t.Helper()
	var pid int
	m.waitFor(d, "snowflake-mcp to be active and ready", func() bool {
		if m.show(service, "ActiveState") != "active" {
			return false
		}
		pid = m.mainPID()
		if pid == 0 || pid == notPID {
			return false
		}
		code, by := m.readyz()
		return code == "200" && by == pid
	})
	return pid
}

// reloadUnderLoad runs three `systemctl reload` upgrades while mcpload calls the server and
// checks: no failed or refused call, MainPID moves to each new generation, NRestarts stays.
// With waitsForReady (Type=notify-reload) the new generation must be the ready MainPID the
// moment systemctl returns; it returns how long each reload took.
func reloadUnderLoad(t *testing.T, m *machine, rounds int, waitsForReady bool) []time.Duration {
	t.Helper()
	restartsBefore := m.show(service, "NRestarts")
	l := m.startLoad("-workers", "4")
	m.waitFor(30*time.Second, "the load to reach the server", func() bool {
		out, _ := m.run(10*time.Second, "curl", "-s", "http://127.0.0.1:8000/metrics")
		return strings.Contains(out, `snowflake_mcp_snowflake_queries_total{outcome="ok",tool="execute_query"}`)
	})
	var took []time.Duration
	pids := []int{m.mainPID()}
	for i := range rounds {
		old := pids[len(pids)-1]
		start := time.Now()
		m.must("systemctl", "reload", service)
		took = append(took, time.Since(start))
		var pid int
		if waitsForReady {
			pid = m.mainPID()
			code, by := m.readyz()
			if pid == old || code != "200" || by != pid {
				t.Fatalf("reload %d: systemctl reload returned before the new generation was ready: MainPID %d (was %d), /readyz %s from %d", i+1, pid, old, code, by)
			}
		} else {
			pid = waitReady(t, m, 60*time.Second, old)
		}
		pids = append(pids, pid)
		// One upgrade at a time: the next waits until this one's old generation has drained.
		m.waitFor(60*time.Second, "the old generation to drain and exit", func() bool { return !m.alive(old) })
		status := m.show(service, "StatusText")
		if want := "last upgrade: ok, took over from pid " + strconv.Itoa(old); !strings.Contains(status, want) {
			t.Errorf("reload %d: StatusText %q does not say %q", i+1, status, want)
		}
		if st := m.show(service, "ActiveState") + "/" + m.show(service, "SubState"); st != "active/running" {
			t.Fatalf("reload %d left the unit %s, want active/running", i+1, st)
		}
		t.Logf("reload %d: %s -> MainPID %d -> %d; StatusText %q", i+1, took[i].Round(time.Millisecond), old, pid, status)
	}
	s := l.stop()
	t.Logf("load during reloads: %d calls ok, %d failed, %d refused, by PID %v", s.OK, s.Failed, s.Refused, s.ByPID)
	if s.Failed != 0 || s.Refused != 0 || s.OK == 0 {
		t.Fatalf("calls failed during reloads: %+v", s)
	}
	for _, pid := range pids[1:] {
		if s.ByPID[strconv.Itoa(pid)] == 0 {
			t.Errorf("generation %d served no call (by PID: %v)", pid, s.ByPID)
		}
	}
	if got := m.show(service, "NRestarts"); got != restartsBefore {
		t.Fatalf("NRestarts %s -> %s: reloads must not restart the service", restartsBefore, got)
	}
	return took
}

// stopUnderLoad stops the service while calls run Snowflake queries: every call in flight
// completes, the main process exits 0, and the stop is within TimeoutStopSec.
func stopUnderLoad(t *testing.T, m *machine) {
	t.Helper()
	l := m.startLoad("-workers", "4", "-query", "SELECT SYSTEM$WAIT(1500, 'MILLISECONDS') AS W", "-stop-on-refused")
	m.waitFor(30*time.Second, "queries in flight", func() bool {
		out, _ := m.run(10*time.Second, "curl", "-s", "http://127.0.0.1:8000/metrics")
		re := regexp.MustCompile(`(?m)^snowflake_mcp_snowflake_queries_active ([0-9.]+)`)
		mm := re.FindStringSubmatch(out)
		return mm != nil && mm[1] != "0"
	})
	limit, err := time.ParseDuration(strings.ReplaceAll(m.show(service, "TimeoutStopUSec"), " ", ""))
	if err != nil {
		t.Fatalf("TimeoutStopUSec: %v", err)
	}
	start := time.Now()
	m.must("systemctl", "stop", service)
	took := time.Since(start)
	s := l.stop()
	t.Logf("stop under load: %s (TimeoutStopSec %s); calls %d ok, %d failed, %d refused after the listener closed", took.Round(time.Millisecond), limit, s.OK, s.Failed, s.Refused)
	if s.Failed != 0 || s.OK == 0 {
		t.Fatalf("calls in flight failed across the stop: %+v", s)
	}
	if took >= limit {
		t.Fatalf("stop took %s, not within TimeoutStopSec %s", took, limit)
	}
	if r, st := m.show(service, "Result"), m.show(service, "ExecMainStatus"); r != "success" || st != "0" {
		t.Fatalf("stop: Result=%s ExecMainStatus=%s, want success and 0", r, st)
	}
}

// TestSystemdTrixieService is the operator's path on Debian 13 (systemd 257), one machine
// through its life: install.sh with a config written beforehand, a second install, the
// sandbox's exposure score, three reloads under load (Type=notify-reload, which install.sh
// picks on systemd >= 253), kill -9, a stop under load, a poweroff and a second boot,
// uninstall and purge.
func TestSystemdTrixieService(t *testing.T) {
	m := newMachine(t, "trixie")
	prepare(t, m)
	m.boot()
	if v := m.must("systemctl", "--version"); !strings.HasPrefix(v, "systemd 257") {
		t.Fatalf("want systemd 257 in the trixie root, got %q", strings.SplitN(v, "\n", 2)[0])
	}
	before := fileHashes(t, m)

	t.Log(m.must("sh", "/root/src/deploy/install.sh"))
	if got := strings.TrimSpace(m.must("systemctl", "is-enabled", service)); got != "enabled" {
		t.Fatalf("is-enabled: %s", got)
	}
	pid := waitReady(t, m, 30*time.Second, 0)
	sameHashes(t, "install.sh", before, fileHashes(t, m))
	if typ := m.show(service, "Type"); typ != "notify-reload" {
		t.Fatalf("on systemd 257 install.sh should add the notify-reload drop-in; Type=%s", typ)
	}

	// A second install changes nothing and leaves the same process serving.
	out := m.must("sh", "/root/src/deploy/install.sh")
	if !strings.Contains(out, "running and up to date") {
		t.Errorf("second install: %s", out)
	}
	sameHashes(t, "the second install.sh", before, fileHashes(t, m))
	if again := m.mainPID(); again != pid {
		t.Fatalf("the second install restarted the service: MainPID %d -> %d", pid, again)
	}

	sec := m.must("systemd-analyze", "security", "--no-pager", service)
	mm := regexp.MustCompile(`Overall exposure level for snowflake-mcp.service: ([0-9.]+)`).FindStringSubmatch(sec)
	if mm == nil {
		t.Fatalf("no exposure level in systemd-analyze security output:\n%s", sec)
	}
	if exposure, _ := strconv.ParseFloat(mm[1], 64); exposure > 2.0 {
		t.Fatalf("exposure %s > 2.0:\n%s", mm[1], sec)
	}
	t.Logf("systemd-analyze security: exposure %s", mm[1])

	took := reloadUnderLoad(t, m, 3, true)
	t.Logf("Type=notify-reload: systemctl reload took %v", took)
	for _, d := range took {
		if d > 20*time.Second {
			t.Fatalf("systemctl reload took %s: it waited for a timeout, not for READY=1", d)
		}
	}

	// kill -9: Restart=on-failure brings it back, ready within 5 s. Timed inside the
	// container, polling /readyz every 50 ms, so the test's own process spawns don't count.
	restarts, _ := strconv.Atoi(m.show(service, "NRestarts"))
	out = m.sh(`victim=$(systemctl show -p MainPID --value snowflake-mcp.service)
start=$(date +%s%N)
kill -9 "$victim"
for i in $(seq 1 400); do
	r=$(curl -s -o /dev/null --max-time 1 -w '%{http_code} %header{x-served-by-pid}' http://127.0.0.1:8000/readyz)
	case "$r" in "200 "*) [ "${r#200 }" != "$victim" ] && { echo "$victim ${r#200 } $(( ($(date +%s%N) - start) / 1000000 ))"; exit 0; } ;; esac
	sleep 0.05
done
echo "$victim not replaced by a ready process within 20s"; exit 1`)
	var victim, newPID, ms int
	if _, err := fmt.Sscan(out, &victim, &newPID, &ms); err != nil {
		t.Fatalf("kill -9: %q: %v", out, err)
	}
	t.Logf("kill -9 %d: restarted as %d, ready after %d ms", victim, newPID, ms)
	if ms > 5000 {
		t.Fatalf("kill -9: ready again after %d ms, want within 5 s", ms)
	}
	if got := m.mainPID(); got != newPID {
		t.Fatalf("after kill -9 MainPID is %d, but %d answers /readyz", got, newPID)
	}
	if got, _ := strconv.Atoi(m.show(service, "NRestarts")); got != restarts+1 {
		t.Fatalf("NRestarts %d -> %d after kill -9", restarts, got)
	}

	stopUnderLoad(t, m)

	// Starts at boot: power off, boot the same root again, nothing started by hand.
	m.poweroff()
	m.boot()
	waitReady(t, m, 30*time.Second, 0)
	t.Logf("second boot: %s is %s", service, m.show(service, "ActiveState"))

	// Uninstall keeps what the operator owns; --purge removes everything.
	t.Log(m.must("sh", "/root/src/deploy/uninstall.sh"))
	if code, _ := m.readyz(); code != "000" {
		t.Fatalf("after uninstall /readyz answered %s", code)
	}
	for _, p := range uninstallRemoves {
		if _, err := os.Lstat(filepath.Join(m.root, p)); err == nil {
			t.Errorf("uninstall left %s", p)
		}
	}
	for _, p := range uninstallKeeps {
		if _, err := os.Lstat(filepath.Join(m.root, p)); err != nil {
			t.Errorf("uninstall removed %s, which it must keep: %v", p, err)
		}
	}
	sameHashes(t, "uninstall.sh", before, fileHashes(t, m))
	if _, err := m.run(10*time.Second, "getent", "passwd", "snowflake-mcp"); err != nil {
		t.Errorf("uninstall removed the user: %v", err)
	}
	t.Log(m.must("sh", "/root/src/deploy/uninstall.sh", "--purge"))
	for _, p := range append(uninstallRemoves, uninstallKeeps...) {
		if _, err := os.Lstat(filepath.Join(m.root, p)); err == nil {
			t.Errorf("uninstall --purge left %s", p)
		}
	}
	for _, db := range []string{"passwd", "group"} {
		if out, err := m.run(10*time.Second, "getent", db, "snowflake-mcp"); err == nil {
			t.Errorf("uninstall --purge left the %s entry %q", db, out)
		}
	}
}

// What README's "Install as a service" says uninstall.sh removes and keeps.
var (
	uninstallRemoves = []string{
		"/usr/local/bin/snowflake-mcp", "/usr/local/share/snowflake-mcp",
		"/etc/systemd/system/snowflake-mcp.service",
		"/etc/systemd/system/snowflake-mcp.service.d/notify-reload.conf",
		"/etc/logrotate.d/snowflake-mcp",
	}
	uninstallKeeps = []string{
		"/etc/snowflake-mcp/config.yaml", "/etc/snowflake-mcp/password",
		"/etc/systemd/system/snowflake-mcp.service.d/e2e-operator.conf",
		"/var/lib/snowflake-mcp", "/var/cache/snowflake-mcp", "/var/log/snowflake-mcp",
	}
)

// TestSystemdBookwormService runs the same unit on Debian 12 (systemd 252, plain Type=notify
// with ExecReload=kill -HUP): start, three reloads under load, a stop under load.
func TestSystemdBookwormService(t *testing.T) {
	m := newMachine(t, "bookworm")
	prepare(t, m)
	m.boot()
	if v := m.must("systemctl", "--version"); !strings.HasPrefix(v, "systemd 252") {
		t.Fatalf("want systemd 252 in the bookworm root, got %q", strings.SplitN(v, "\n", 2)[0])
	}
	t.Log(m.must("sh", "/root/src/deploy/install.sh"))
	waitReady(t, m, 30*time.Second, 0)
	if typ := m.show(service, "Type"); typ != "notify" {
		t.Fatalf("on systemd 252 the unit must be Type=notify; Type=%s", typ)
	}
	reloadUnderLoad(t, m, 3, false)
	stopUnderLoad(t, m)
}
