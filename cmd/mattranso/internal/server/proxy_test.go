package server

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/mattranso/mattranso/auth"
)

func TestRealIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}
	var got string
	h := RealIP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = auth.ClientIP(r) }), trusted)
	cases := []struct {
		name, remote, header, want string
	}{
		{"from nginx", "127.0.0.1:51234", "203.0.113.7", "203.0.113.7"},
		{"from a trusted network", "10.1.2.3:4000", "2001:db8::1", "2001:db8::1"},
		{"IPv4 mapped", "[::ffff:127.0.0.1]:51234", "198.51.100.2", "198.51.100.2"},
		{"from a client: header ignored", "198.51.100.9:5000", "203.0.113.7", "198.51.100.9"},
		{"not an address", "127.0.0.1:51234", "203.0.113.7, 10.0.0.1", "127.0.0.1"},
		{"no header", "127.0.0.1:51234", "", "127.0.0.1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = c.remote
			if c.header != "" {
				r.Header.Set("X-Real-IP", c.header)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if got != c.want {
				t.Errorf("client address %q, want %q", got, c.want)
			}
		})
	}
	// No trusted proxy: nobody's header is believed.
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "127.0.0.1:51234"
	r.Header.Set("X-Real-IP", "203.0.113.7")
	RealIP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = auth.ClientIP(r) }), nil).ServeHTTP(httptest.NewRecorder(), r)
	if got != "127.0.0.1" {
		t.Errorf("without trusted proxies: client address %q, want the peer's", got)
	}
}
