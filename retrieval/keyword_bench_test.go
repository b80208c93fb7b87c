package retrieval_test

// BenchmarkKeywordSearch measures our keyword index on real data: the
// alqac2025 laws and the first benchProcedures procedures of the portal
// dump, ingested with the real pipeline into b.TempDir() once per run, and
// asked the alqac2025 questions (as written and without diacritics), short
// citizen searches, references, and the load-test mix. Its peer is
// BenchmarkFTS5Search in package eval, on the same passages and queries.
// Results go to BENCHMARKS.md (scripts/bench.sh); nothing here asserts a
// time.
//
//	go test -run '^$' -bench BenchmarkKeywordSearch -benchmem ./retrieval

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

// benchProcedures is how many procedures join the alqac2025 laws.
const benchProcedures = 500

func BenchmarkKeywordSearch(b *testing.B) {
	shared := benchShared(b)
	ctx := context.Background()
	dir := b.TempDir()
	idx, err := retrieval.OpenKeyword(filepath.Join(dir, "keyword"))
	if err != nil {
		b.Fatal(err)
	}
	defer idx.Close()
	benchIngest(b, shared, dir, idx)
	n, err := idx.Count()
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("keyword index: %d passages (alqac2025 laws + %d procedures)", n, benchProcedures)
	idx.WarmMemory(b)
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
// procedures into a database in dir and into idx.
func benchIngest(b *testing.B, shared, dir string, idx retrieval.Indexer) {
	procs := filepath.Join(dir, "procedures.jsonl")
	if err := headLines(filepath.Join(shared, "corpus/procedures/dichvucong-procedures.jsonl"), procs, benchProcedures); err != nil {
		b.Fatal(err)
	}
	benchIngestSources(b, filepath.Join(dir, "bench.db"), idx, filepath.Join(shared, "corpus/laws/alqac2025-28-laws.json"), procs)
}

// benchIngestSources ingests sources into a new database at dbPath and
// into idx.
func benchIngestSources(b *testing.B, dbPath string, idx retrieval.Indexer, sources ...string) {
	ctx := context.Background()
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	docs := corpus.NewStore(db)
	if err := docs.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	if err := ingest.Migrate(ctx, db); err != nil {
		b.Fatal(err)
	}
	sum, err := ingest.Run(ctx, ingest.Options{Store: docs, Index: idx, Sources: sources})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s", sum.Line())
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

// benchMixes are the query mixes both benchmarks ask, in this order.
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
