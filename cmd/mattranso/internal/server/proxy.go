package server

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// RealIP makes the client's address the request's RemoteAddr when the
// request comes from one of trusted — the load balancer, which names the
// client in X-Real-IP (deploy/nginx/mattranso.conf) — so that what keys on
// the client's address (rate limits, sessions, the audit) sees the
// client rather than the proxy. From any other peer the header is
// ignored: a client cannot choose its own address. Without trusted
// proxies h is returned as it is.
func RealIP(h http.Handler, trusted []netip.Prefix) http.Handler {
	if len(trusted) == 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if real := r.Header.Get("X-Real-IP"); real != "" && fromTrusted(r.RemoteAddr, trusted) {
			if a, err := netip.ParseAddr(strings.TrimSpace(real)); err == nil {
				r2 := *r
				r2.RemoteAddr = net.JoinHostPort(a.Unmap().String(), "0")
				r = &r2
			}
		}
		h.ServeHTTP(w, r)
	})
}

func fromTrusted(remote string, trusted []netip.Prefix) bool {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return false
	}
	a := ap.Addr().Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
