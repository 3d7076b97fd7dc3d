//go:build e2e_systemd

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// distFile finds one artifact of `make release-snapshot` in dist/.
func distFile(t *testing.T, pattern string) string {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(repoRoot(t), "dist", pattern))
	if len(matches) != 1 {
		t.Fatalf("want one dist/%s, found %v: run 'make release-snapshot' first", pattern, matches)
	}
	return matches[0]
}

// TestSystemdDebPackage installs the deb from `make release-snapshot` on Debian 13: enabled
// but not started while unconfigured, started once the config is written, stopped by
// dpkg -r. Then the linux/amd64 tarball unpacks with the layout install.sh expects and its
// binary prints its version.
func TestSystemdDebPackage(t *testing.T) {
	deb := distFile(t, "snowflake-mcp_*_linux_amd64.deb")
	tarball := distFile(t, "snowflake-mcp_*_linux_amd64.tar.gz")

	dir := t.TempDir()
	if out, err := exec.Command("tar", "-xzf", tarball, "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v: %s", err, out)
	}
	for _, f := range []string{"snowflake-mcp", "LICENSE", "README.md", "deploy/install.sh", "deploy/uninstall.sh",
		"deploy/config.example.yaml", "deploy/systemd/snowflake-mcp.service", "deploy/systemd/notify-reload.conf",
		"deploy/logrotate/snowflake-mcp", "deploy/pm2/ecosystem.config.js"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("tarball lacks %s", f)
		}
	}
	out, err := exec.Command(filepath.Join(dir, "snowflake-mcp"), "version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "snowflake-mcp") {
		t.Fatalf("tarball binary version: %v: %s", err, out)
	}
	t.Logf("tarball %s: %s", filepath.Base(tarball), strings.TrimSpace(string(out)))

	m := newMachine(t, "trixie")
	prepare(t, m)
	// The operator's config arrives after the package: take it out again until then.
	conf := filepath.Join(m.root, "etc/snowflake-mcp/config.yaml")
	if err := os.Remove(conf); err != nil {
		t.Fatal(err)
	}
	m.copyIn(deb, "/root/snowflake-mcp.deb", 0o644)
	m.boot()

	t.Log(m.must("dpkg", "-i", "/root/snowflake-mcp.deb"))
	if got := strings.TrimSpace(m.must("systemctl", "is-enabled", service)); got != "enabled" {
		t.Fatalf("after dpkg -i: is-enabled %s", got)
	}
	if got := m.show(service, "ActiveState"); got != "inactive" {
		t.Fatalf("after dpkg -i without a config: ActiveState %s, want inactive", got)
	}
	if got := m.show(service, "FragmentPath"); got != "/usr/lib/systemd/system/snowflake-mcp.service" {
		t.Fatalf("unit at %s", got)
	}
	m.must("getent", "passwd", "snowflake-mcp")
	for _, f := range []string{"/usr/bin/snowflake-mcp", "/etc/logrotate.d/snowflake-mcp", "/usr/share/snowflake-mcp/config.example.yaml"} {
		if _, err := os.Stat(filepath.Join(m.root, f)); err != nil {
			t.Errorf("the deb did not install %s", f)
		}
	}

	m.put("/etc/snowflake-mcp/config.yaml", []byte(operatorConfig), 0o644)
	m.must("systemctl", "start", service)
	pid := waitReady(t, m, 30*time.Second, 0)
	t.Logf("configured and started: MainPID %d", pid)

	t.Log(m.must("dpkg", "-r", "snowflake-mcp"))
	if got := m.show(service, "ActiveState"); got == "active" {
		t.Fatalf("dpkg -r left the service %s", got)
	}
	if m.alive(pid) {
		t.Fatalf("dpkg -r left PID %d running", pid)
	}
	if code, _ := m.readyz(); code != "000" {
		t.Fatalf("after dpkg -r /readyz answered %s", code)
	}
	if _, err := os.Stat(conf); err != nil {
		t.Fatalf("dpkg -r removed the operator's config: %v", err)
	}
}
