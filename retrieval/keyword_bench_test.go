package retrieval_test

// BenchmarkKeywordSearch measures our keyword index on real data: the
// alqac2025 laws and the first evaltest.BenchProcedures procedures of the portal
// dump, ingested with the real pipeline into b.TempDir() once per run, and
// asked the alqac2025 questions (as written and without diacritics), short
// citizen searches, references, and the load-test mix. Its peer is
// BenchmarkFTS5Search in package eval, on the same passages and queries.
// Results go to BENCHMARKS.md (scripts/bench.sh); nothing here asserts a
// time.
//
//	go test -run '^$' -bench BenchmarkKeywordSearch -benchmem ./retrieval

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/mattranso/mattranso/eval/evaltest"
	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/retrieval"
)

func BenchmarkKeywordSearch(b *testing.B) {
	shared := testenv.Shared(b)
	ctx := context.Background()
	dir := b.TempDir()
	idx, err := retrieval.OpenKeyword(filepath.Join(dir, "keyword"))
	if err != nil {
		b.Fatal(err)
	}
	defer idx.Close()
	evaltest.Ingest(b, filepath.Join(dir, "bench.db"), idx, evaltest.SubsetSources(b, shared, dir)...)
	n, err := idx.Count()
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("keyword index: %d passages (alqac2025 laws + %d procedures)", n, evaltest.BenchProcedures)
	idx.WarmMemory(b)
	for _, m := range evaltest.Mixes(b, shared) {
		b.Run(m.Name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				q := m.Queries[i%len(m.Queries)]
				i++
				if _, err := idx.Search(ctx, retrieval.Query{Text: q, Limit: 10}); err != nil {
					b.Fatalf("%q: %v", q, err)
				}
			}
		})
	}
}
