package web_test

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mattranso/mattranso/web"
)

// A module's detail follows "ok" on /readyz, not while not ready; its
// gauges are served at /metrics.
func TestReadyDetailAndCollectors(t *testing.T) {
	ready := false
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "mattranso_test_gauge", Help: "A gauge of the test."})
	g.Set(42)
	h := web.New(web.Options{
		Logger:      slog.New(slog.DiscardHandler),
		Ready:       func() error { return map[bool]error{false: errors.New("chưa sẵn sàng"), true: nil}[ready] },
		ReadyDetail: func() string { return "thư viện: 3 thay đổi chưa áp dụng" },
		Collectors:  []prometheus.Collector{g},
	})
	if r := get(t, h, "/readyz"); r.status != http.StatusServiceUnavailable || strings.Contains(r.body, "thư viện") {
		t.Errorf("/readyz not ready = %d %q, want 503 without the detail", r.status, r.body)
	}
	ready = true
	if r := get(t, h, "/readyz"); r.status != http.StatusOK || r.body != "ok\nthư viện: 3 thay đổi chưa áp dụng\n" {
		t.Errorf("/readyz = %d %q, want ok and the detail", r.status, r.body)
	}
	if r := get(t, h, "/metrics"); !strings.Contains(r.body, "mattranso_test_gauge 42") {
		t.Errorf("/metrics lacks the module's gauge:\n%s", r.body)
	}
}
