package feedback_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/mattranso/mattranso/feedback"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

// BenchmarkSubmit measures Service.Submit — checks, tagging, routing and
// the durable commit — with 200 submitters at once, on each database,
// durable and relaxed, to see what durability costs here and whether the
// group commit keeps up. The HTTP load test (scripts/) measures the whole
// server.
func BenchmarkSubmit(b *testing.B) {
	for _, relaxed := range []bool{false, true} {
		for _, dbName := range []string{"sqlite", "postgres"} {
			b.Run(fmt.Sprintf("%s/relaxed=%v", dbName, relaxed), func(b *testing.B) {
				var db *store.DB
				if dbName == "sqlite" {
					db = storetest.SQLite(b)
				} else {
					db = storetest.Postgres(b)
				}
				e := newEnv(b, db, envOptions{storeOpts: feedback.StoreOptions{RelaxedDurability: relaxed}}).svc
				var n atomic.Int64
				b.SetParallelism(max(1, 200/runtime.GOMAXPROCS(0))) // 200 submitters
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						i := n.Add(1)
						sub := feedback.Submission{Content: fmt.Sprintf("Đường ngập nước trước nhà số %d, đề nghị sửa cống.", i),
							CommuneCode: "26734", Phone: "0912345678", IdempotencyKey: fmt.Sprintf("bench-%d", i)}
						if _, err := e.Submit(context.Background(), sub); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "submissions/s")
			})
		}
	}
}
