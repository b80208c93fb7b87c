package retrieval_test

// BenchmarkHybridSearch measures search as `mattranso serve` ships it —
// keyword index, local embedder and embedded vector store fused, then
// re-ranked by the built-in model (and, for comparison, fused only) — on the
// whole library corpus (../shared/corpus), asked the same query mixes as
// BenchmarkKeywordSearch. Building that library takes minutes (ingest, then
// training the embedder), so the benchmark reuses a data directory made by
// `mattranso ingest` when MATTRANSO_BENCH_DATA names one (no server may
// have it open); otherwise it builds one in b.TempDir(). Nothing here
// asserts a time.
//
//	MATTRANSO_BENCH_DATA=/tmp/data go test -run '^$' -bench BenchmarkHybridSearch -benchmem ./retrieval

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/mattranso/mattranso/eval/evaltest"
	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/retrieval"
)

func BenchmarkHybridSearch(b *testing.B) {
	shared := testenv.Shared(b)
	ctx := context.Background()
	dir := os.Getenv(testenv.EnvBenchData)
	build := dir == ""
	if build {
		dir = b.TempDir()
	}
	idx, err := retrieval.OpenKeyword(filepath.Join(dir, "index", "keyword"))
	if err != nil {
		b.Fatal(err)
	}
	defer idx.Close()
	switch {
	case build:
		evaltest.Ingest(b, filepath.Join(dir, "mattranso.db"), idx, filepath.Join(shared, "corpus"))
	case idx.Fresh:
		b.Fatalf("%s holds no keyword index of version %s: run `mattranso ingest --data %s %s/corpus` first", dir, retrieval.KeywordVersion, dir, shared)
	}
	emb, vs, _, err := retrieval.LocalVectors(ctx, idx, filepath.Join(dir, "index", "local"), retrieval.TrainOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if emb == nil {
		b.Fatal("no passages to search")
	}
	defer vs.Close()
	rr, err := retrieval.ReadReranker("reranker-competition.json")
	if err != nil {
		b.Fatal(err)
	}
	h := &retrieval.Hybrid{Keyword: idx, Vectors: vs, Embedder: emb}
	idx.WarmMemory(b)
	n, _ := idx.Count()
	b.Logf("library: %d passages, embedder %s", n, emb.Name())
	for _, m := range evaltest.Mixes(b, shared) {
		for _, model := range []*retrieval.Reranker{rr, nil} {
			name := m.Name + "/reranked"
			if model == nil {
				name = m.Name + "/fused"
			}
			h.Reranker = model
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					q := m.Queries[i%len(m.Queries)]
					i++
					res, err := h.Search(ctx, retrieval.Query{Text: q, Limit: 10})
					if err != nil {
						b.Fatalf("%q: %v", q, err)
					}
					if res.Degraded != "" {
						b.Fatalf("%q: %s", q, res.Degraded)
					}
				}
			})
		}
	}
}
