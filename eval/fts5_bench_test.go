package eval_test

// BenchmarkFTS5Search measures the SQLite FTS5 peer (eval.FTS5) on the
// passages BenchmarkKeywordSearch (package retrieval) searches — the
// alqac2025 laws and the first evaltest.BenchProcedures procedures, ingested with
// the real pipeline into b.TempDir() once per run — with the same query
// mixes. Results go to BENCHMARKS.md (scripts/bench.sh); nothing here
// asserts a time.
//
//	go test -run '^$' -bench BenchmarkFTS5Search -benchmem ./eval

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/eval"
	"github.com/mattranso/mattranso/eval/evaltest"
	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/retrieval"
)

func BenchmarkFTS5Search(b *testing.B) {
	shared := testenv.Shared(b)
	ctx := context.Background()
	dir := b.TempDir()
	docs := evaltest.Ingest(b, filepath.Join(dir, "bench.db"), nopIndexer{}, evaltest.SubsetSources(b, shared, dir)...)
	idx, err := eval.OpenFTS5(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	defer idx.Close()
	var ps []corpus.Passage
	if err := docs.All(ctx, "", func(d *corpus.Document) error {
		ps = append(ps, corpus.Passages(d)...)
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	if err := idx.Add(ctx, ps...); err != nil {
		b.Fatal(err)
	}
	if err := idx.Optimize(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("fts5 index: %d passages (alqac2025 laws + %d procedures)", len(ps), evaltest.BenchProcedures)
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

// nopIndexer lets the ingest fill the database alone.
type nopIndexer struct{}

func (nopIndexer) Index(context.Context, ...*corpus.Document) error { return nil }
func (nopIndexer) Delete(context.Context, ...string) error          { return nil }
