package eval_test

// BenchmarkFTS5Search measures the SQLite FTS5 peer (eval.FTS5) on the
// passages BenchmarkKeywordSearch (package retrieval) searches — the
// alqac2025 laws and the first benchProcedures procedures, ingested with
// the real pipeline into b.TempDir() once per run — with the same query
// mixes. Results go to BENCHMARKS.md (scripts/bench.sh); nothing here
// asserts a time.
//
//	go test -run '^$' -bench BenchmarkFTS5Search -benchmem ./eval

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/eval"
	"github.com/mattranso/mattranso/ingest"
	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/store"
)

// benchProcedures is how many procedures join the alqac2025 laws; keep it
// equal to the one in retrieval/keyword_bench_test.go.
const benchProcedures = 500

func BenchmarkFTS5Search(b *testing.B) {
	shared := benchShared(b)
	ctx := context.Background()
	dir := b.TempDir()
	docs := benchIngest(b, shared, dir)
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
	b.Logf("fts5 index: %d passages (alqac2025 laws + %d procedures)", len(ps), benchProcedures)
	for _, m := range benchMixes(b, shared) {
		b.Run(m.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				q := m.queries[i%len(m.queries)]
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

// benchShared returns the shared data directory, or skips.
func benchShared(b *testing.B) string {
	dir := os.Getenv("MATTRANSO_SHARED")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared")
	}
	for _, p := range []string{"corpus/laws/alqac2025-28-laws.json", "corpus/procedures/dichvucong-procedures.jsonl", "eval/alqac2025/queries.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			b.Skipf("shared data missing (%v): set MATTRANSO_SHARED to the shared directory", err)
		}
	}
	return dir
}

// benchIngest ingests the alqac2025 laws and the first benchProcedures
// procedures into a database in dir, as the keyword benchmark does, and
// returns the document store (open until the benchmark ends).
func benchIngest(b *testing.B, shared, dir string) *corpus.Store {
	ctx := context.Background()
	procs := filepath.Join(dir, "procedures.jsonl")
	if err := headLines(filepath.Join(shared, "corpus/procedures/dichvucong-procedures.jsonl"), procs, benchProcedures); err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(ctx, filepath.Join(dir, "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	docs := corpus.NewStore(db)
	if err := docs.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	sum, err := ingest.Run(ctx, ingest.Options{Store: docs, Index: nopIndexer{},
		Sources: []string{filepath.Join(shared, "corpus/laws/alqac2025-28-laws.json"), procs}})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s", sum.Line())
	return docs
}

func headLines(src, dst string, n int) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	w := bufio.NewWriter(out)
	for i := 0; i < n && sc.Scan(); i++ {
		w.Write(sc.Bytes())
		w.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		out.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

type benchMix struct {
	name    string
	queries []string
}

// benchMixes are the query mixes both benchmarks ask, in this order; keep
// them equal to those in retrieval/keyword_bench_test.go.
func benchMixes(b *testing.B, shared string) []benchMix {
	ds, err := eval.LoadDataset(filepath.Join(shared, "eval", "alqac2025"), "")
	if err != nil {
		b.Fatal(err)
	}
	var qs, folded []string
	for _, q := range ds.Queries {
		qs = append(qs, q.Text)
		folded = append(folded, corpus.Fold(q.Text))
	}
	return []benchMix{
		{"questions", qs},
		{"questions-no-diacritics", folded},
		{"citizen", eval.CitizenQueries},
		{"references", eval.ReferenceQueries},
		{"mix", eval.QueryMix(qs)},
	}
}
