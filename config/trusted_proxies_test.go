package config

import "testing"

func TestTrustedProxies(t *testing.T) {
	l, err := load(t, Options{Overrides: []Override{{Key: "server.trusted_proxies", Value: "10.0.0.0/8,127.0.0.1,::1", Flag: "--set"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Config.Server.TrustedProxies; len(got) != 3 || got[0] != "10.0.0.0/8" {
		t.Fatalf("trusted_proxies = %v", got)
	}
	_, err = load(t, Options{Overrides: []Override{{Key: "server.trusted_proxies", Value: "10.0.0.0/8,lb.example.com", Flag: "--set"}}})
	wantErr(t, err, "server.trusted_proxies", `"lb.example.com" is not an IP address or CIDR`)
}
