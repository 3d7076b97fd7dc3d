package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/snowflake-mcp/snowflake-mcp/testbin"
)

// balancer is a real HAProxy or nginx in front of the replicas, configured
// from the file shipped in deploy/ with only addresses and paths substituted.
type balancer interface {
	url() string
	// statuses counts the HTTP statuses in the balancer's own request log.
	statuses() map[int]int
	// log is everything the balancer logged.
	log() string
}

// freePort asks the kernel for a loopback port for the balancer's listener
// (the balancers cannot report a port they chose).
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func shipped(t testing.TB, rel string) string {
	t.Helper()
	root, err := testbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// substitute replaces every match of re with repl(i, match) and fails unless
// there were exactly want matches: the shipped file must still look the way
// this test expects, or the test would no longer test it.
func substitute(t testing.TB, text string, re *regexp.Regexp, want int, repl func(i int, m string) string) string {
	t.Helper()
	i := 0
	out := re.ReplaceAllStringFunc(text, func(m string) string {
		s := repl(i, m)
		i++
		return s
	})
	if i != want {
		t.Fatalf("shipped config: %d lines match %v, want %d", i, re, want)
	}
	return out
}

// runTool starts a balancer process and stops it (SIGTERM, then SIGKILL) at
// the end of the test.
func runTool(t testing.TB, out *syncBuffer, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
}

// --- HAProxy ---

type haproxy struct {
	port int
	out  *syncBuffer
}

var (
	haproxyBind   = regexp.MustCompile(`(?m)^\tbind :8080$`)
	haproxyServer = regexp.MustCompile(`(?m)^\tserver mcp\d+ \S+$`)
	// httplog: client [date] frontend backend/server timers status bytes ...
	haproxyStatus = regexp.MustCompile(`(?m)\] \S+ \S+/\S+ \S+ (\d{3}) `)
)

func renderHAProxy(t testing.TB, port int, upstreams []string) string {
	cfg := shipped(t, "deploy/haproxy/haproxy.cfg")
	cfg = substitute(t, cfg, haproxyBind, 1, func(int, string) string { return fmt.Sprintf("\tbind 127.0.0.1:%d", port) })
	return substitute(t, cfg, haproxyServer, len(upstreams), func(i int, _ string) string {
		return fmt.Sprintf("\tserver mcp%d %s", i+1, upstreams[i])
	})
}

func startHAProxy(t testing.TB, upstreams []string) *haproxy {
	t.Helper()
	h := &haproxy{port: freePort(t), out: &syncBuffer{}}
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(renderHAProxy(t, h.port, upstreams)), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("haproxy", "-c", "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("haproxy -c: %v\n%s", err, b)
	}
	runTool(t, h.out, "haproxy", "-db", "-f", path)
	waitBalancerUp(t, h.url(), len(upstreams))
	return h
}

func (h *haproxy) url() string { return fmt.Sprintf("http://127.0.0.1:%d", h.port) }
func (h *haproxy) log() string { return h.out.String() }
func (h *haproxy) statuses() map[int]int {
	return countStatuses(haproxyStatus, h.log())
}

// --- nginx ---

type nginx struct {
	port      int
	dir       string
	accessLog string
	out       *syncBuffer
}

var (
	nginxListen    = regexp.MustCompile(`(?m)^    listen 8080;$`)
	nginxServer    = regexp.MustCompile(`(?m)^    server \S+:8000 `)
	nginxAccessLog = regexp.MustCompile(`(?m)^    access_log \S+ snowflake_mcp;$`)
	nginxStatus    = regexp.MustCompile(`(?m)" (\d{3}) \d+ upstream=`)
)

func renderNginx(t testing.TB, port int, upstreams []string, accessLog string) string {
	cfg := shipped(t, "deploy/nginx/snowflake-mcp.conf")
	cfg = substitute(t, cfg, nginxListen, 1, func(int, string) string { return fmt.Sprintf("    listen 127.0.0.1:%d;", port) })
	cfg = substitute(t, cfg, nginxAccessLog, 1, func(int, string) string {
		return fmt.Sprintf("    access_log %s snowflake_mcp;", accessLog)
	})
	return substitute(t, cfg, nginxServer, len(upstreams), func(i int, _ string) string {
		return fmt.Sprintf("    server %s ", upstreams[i])
	})
}

func startNginx(t testing.TB, upstreams []string) *nginx {
	t.Helper()
	dir := t.TempDir()
	n := &nginx{port: freePort(t), dir: dir, accessLog: filepath.Join(dir, "access.log"), out: &syncBuffer{}}
	snippet := filepath.Join(dir, "snowflake-mcp.conf")
	if err := os.WriteFile(snippet, []byte(renderNginx(t, n.port, upstreams, n.accessLog)), 0o600); err != nil {
		t.Fatal(err)
	}
	// The shipped file is an http-context snippet; this is the minimal main
	// file around it, with every path inside the test's directory.
	main := fmt.Sprintf(`daemon off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events { worker_connections 1024; }
http {
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    include %[2]s;
}
`, dir, snippet)
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", conf}
	if b, err := exec.Command("nginx", append(args, "-t")...).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, b)
	}
	runTool(t, n.out, "nginx", args...)
	waitBalancerUp(t, n.url(), len(upstreams))
	return n
}

func (n *nginx) url() string { return fmt.Sprintf("http://127.0.0.1:%d", n.port) }
func (n *nginx) log() string {
	a, _ := os.ReadFile(n.accessLog)
	e, _ := os.ReadFile(filepath.Join(n.dir, "error.log"))
	return string(a) + "\n--- error.log ---\n" + string(e) + n.out.String()
}
func (n *nginx) statuses() map[int]int {
	a, _ := os.ReadFile(n.accessLog)
	return countStatuses(nginxStatus, string(a))
}

func countStatuses(re *regexp.Regexp, text string) map[int]int {
	m := map[int]int{}
	for _, s := range re.FindAllStringSubmatch(text, -1) {
		code, _ := strconv.Atoi(s[1])
		m[code]++
	}
	return m
}

func fiveXX(m map[int]int) int {
	n := 0
	for code, c := range m {
		if code >= 500 {
			n += c
		}
	}
	return n
}

// waitBalancerUp waits until /readyz through the balancer has been answered by
// every replica (HAProxy's checks have marked them all up).
func waitBalancerUp(t testing.TB, url string, replicas int) {
	t.Helper()
	seen := map[string]bool{}
	waitFor(t, 30*time.Second, "every replica answering through the balancer", func() bool {
		resp, err := httpClient.Get(url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		if resp.StatusCode == 200 {
			seen[resp.Header.Get(pidHeader)] = true
		}
		return len(seen) >= replicas
	})
}

func addrs(rs []*replica) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.addr())
	}
	return out
}
