package httpapi

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// TrustedProxies is the set of load balancers whose X-Forwarded-For is believed
// (server.trusted_proxies). The zero value trusts nobody.
type TrustedProxies struct {
	prefixes []netip.Prefix
}

// ParseTrustedProxies parses IPs and CIDRs ("10.0.0.0/8", "127.0.0.1", "::1").
// config validates them first; an entry that still does not parse is skipped.
func ParseTrustedProxies(list []string) TrustedProxies {
	var t TrustedProxies
	for _, s := range list {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			t.prefixes = append(t.prefixes, p.Masked())
		} else if a, err := netip.ParseAddr(s); err == nil {
			a = a.Unmap()
			t.prefixes = append(t.prefixes, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return t
}

func (t TrustedProxies) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientAddr returns the address of the client that sent r: the peer address,
// unless the peer is a trusted proxy, in which case X-Forwarded-For is read from
// the right (the hop nearest to us) and the first address that is not a trusted
// proxy is the client. Anything left of that address was written by the client
// itself and is not believed. An unparseable hop stops the walk at the last good one.
func (t TrustedProxies) ClientAddr(r *http.Request) string {
	peer := peerAddr(r.RemoteAddr)
	addr, err := netip.ParseAddr(peer)
	if err != nil || len(t.prefixes) == 0 || !t.trusts(addr) {
		return peer
	}
	client := addr
	hops := forwardedHops(r.Header.Values("X-Forwarded-For"))
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(hops[i])
		if err != nil {
			break
		}
		client = a.Unmap()
		if !t.trusts(client) {
			break
		}
	}
	return client.String()
}

func peerAddr(remote string) string {
	if h, _, err := net.SplitHostPort(remote); err == nil {
		return h
	}
	return remote
}

// forwardedHops flattens every X-Forwarded-For header into its addresses, in order.
func forwardedHops(values []string) []string {
	var hops []string
	for _, v := range values {
		for _, h := range strings.Split(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				hops = append(hops, h)
			}
		}
	}
	return hops
}

type clientAddrKey struct{}

// ClientAddrMiddleware stores the client address (ClientAddr) in the request
// context for the access log; it must run before AccessLog.
func ClientAddrMiddleware(t TrustedProxies) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := context.WithValue(r.Context(), clientAddrKey{}, t.ClientAddr(r))
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// ClientAddrFrom returns the address ClientAddrMiddleware stored, or "".
func ClientAddrFrom(ctx context.Context) string {
	s, _ := ctx.Value(clientAddrKey{}).(string)
	return s
}
