package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/snowflake-mcp/snowflake-mcp/config"
)

func TestClientAddr(t *testing.T) {
	lb := ParseTrustedProxies([]string{"10.0.0.0/8", "127.0.0.1"})
	cases := []struct {
		name    string
		trusted TrustedProxies
		remote  string
		xff     []string
		want    string
	}{
		{"no proxies trusted: header ignored", TrustedProxies{}, "127.0.0.1:5000", []string{"203.0.113.7"}, "127.0.0.1"},
		{"untrusted peer: header ignored", lb, "198.51.100.2:5000", []string{"203.0.113.7"}, "198.51.100.2"},
		{"trusted peer, one hop", lb, "127.0.0.1:5000", []string{"203.0.113.7"}, "203.0.113.7"},
		{"client-forged left entries are not believed", lb, "127.0.0.1:5000", []string{"1.2.3.4, 203.0.113.7"}, "203.0.113.7"},
		{"chain of trusted proxies is skipped", lb, "127.0.0.1:5000", []string{"203.0.113.7, 10.1.2.3", "10.9.9.9"}, "203.0.113.7"},
		{"all hops trusted: the leftmost", lb, "127.0.0.1:5000", []string{"10.1.1.1, 10.2.2.2"}, "10.1.1.1"},
		{"garbage hop stops the walk", lb, "127.0.0.1:5000", []string{"203.0.113.7, not-an-ip, 10.1.1.1"}, "10.1.1.1"},
		{"trusted peer without header", lb, "127.0.0.1:5000", nil, "127.0.0.1"},
		{"IPv4-mapped peer", lb, "[::ffff:127.0.0.1]:5000", []string{"2001:db8::1"}, "2001:db8::1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = c.remote
			for _, v := range c.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := c.trusted.ClientAddr(r); got != c.want {
				t.Fatalf("ClientAddr = %q, want %q", got, c.want)
			}
		})
	}
}

// The access log's client field follows server.trusted_proxies end to end.
func TestAccessLogClientBehindTrustedProxy(t *testing.T) {
	for _, c := range []struct {
		trusted []string
		want    string
	}{
		{nil, "127.0.0.1"},
		{[]string{"127.0.0.0/8"}, "203.0.113.9"},
	} {
		s := config.Defaults().Server
		s.TrustedProxies = c.trusted
		srv, buf := testServer(t, Options{Server: s})
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/healthz", nil)
		req.Header.Set("X-Forwarded-For", "203.0.113.9")
		if code, _, _ := do(t, req); code != http.StatusOK {
			t.Fatalf("healthz: %d", code)
		}
		var got string
		for _, l := range buf.lines(t) {
			if l["msg"] == "request" {
				got, _ = l["client"].(string)
			}
		}
		if got != c.want {
			t.Fatalf("trusted %v: access log client = %q, want %q\n%v", c.trusted, got, c.want, buf.lines(t))
		}
	}
}
