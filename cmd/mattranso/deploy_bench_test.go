package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkDeployThroughput measures searches a second through nginx
// (deploy/) to 1, 2 and 3 instances on one PostgreSQL database, as shipped
// (hybrid search), 8 clients per core asking the 50 real questions in
// turn:
//
//	MATTRANSO_TEST_NGINX=/usr/sbin/nginx go test ./cmd/mattranso -run '^$' -bench DeployThroughput -benchtime 20s
//
// On one machine the instances share its cores with nginx and
// PostgreSQL: more instances add no cores, so the figure shows what the
// balancing costs more than what it gains.
func BenchmarkDeployThroughput(b *testing.B) {
	d := newDeploymentMode(b, 3, "hybrid")
	// Each instance is ready on keywords before its vector side has
	// learned: measure searches, not the learning.
	learned := time.Now().Add(10 * time.Minute)
	for _, addr := range d.addrs {
		waitLearned(b, "http://"+addr, learned)
	}
	queries := realQueries(b, 50)
	for n := 1; n <= len(d.addrs); n++ {
		base := startNginx(b, d.addrs[:n])
		b.Run(fmt.Sprintf("instances=%d", n), func(b *testing.B) {
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
			var next atomic.Int64
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					q := queries[int(next.Add(1))%len(queries)]
					resp, err := hc.Get(base + "/api/v1/library/search?limit=10&q=" + url.QueryEscape(q))
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("search %q: HTTP %d", q, resp.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "searches/s")
		})
	}
}
