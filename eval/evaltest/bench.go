// Package evaltest holds what the search benchmarks share: the real data
// they index and the query mixes they ask, so that our keyword index
// (package retrieval), the hybrid search and the SQLite FTS5 peer (package
// eval) are measured on exactly the same passages and queries.
package evaltest

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/eval"
	"github.com/mattranso/mattranso/ingest"
	"github.com/mattranso/mattranso/internal/jsonl"
	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/store"
)

// BenchProcedures is how many procedures of the portal dump join the
// alqac2025 laws in the benchmarks' corpus.
const BenchProcedures = 500

// SubsetSources writes the first BenchProcedures procedures into dir and
// returns the sources of the benchmarks' corpus: the alqac2025 laws and
// those procedures.
func SubsetSources(tb testing.TB, shared, dir string) []string {
	tb.Helper()
	procs := filepath.Join(dir, "procedures.jsonl")
	if err := headLines(filepath.Join(shared, "corpus/procedures/dichvucong-procedures.jsonl"), procs, BenchProcedures); err != nil {
		tb.Fatal(err)
	}
	return []string{filepath.Join(shared, "corpus/laws/alqac2025-28-laws.json"), procs}
}

// Ingest ingests sources with the real pipeline into a new database at
// dbPath and into idx, and returns the document store, open until the
// benchmark ends.
func Ingest(tb testing.TB, dbPath string, idx retrieval.Indexer, sources ...string) *corpus.Store {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	docs := corpus.NewStore(db)
	if err := docs.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	if err := ingest.Migrate(ctx, db); err != nil {
		tb.Fatal(err)
	}
	sum, err := ingest.Run(ctx, ingest.Options{Store: docs, Index: idx, Sources: sources})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Logf("%s", sum.Line())
	return docs
}

// Mix is a named list of queries.
type Mix struct {
	Name    string
	Queries []string
}

// Mixes are the query mixes every search benchmark asks, in this order:
// the alqac2025 questions as written and without diacritics, short citizen
// searches, references, and the load-test mix.
func Mixes(tb testing.TB, shared string) []Mix {
	tb.Helper()
	ds, err := eval.LoadDataset(filepath.Join(shared, "eval", "alqac2025"), "")
	if err != nil {
		tb.Fatal(err)
	}
	var qs, folded []string
	for _, q := range ds.Queries {
		qs = append(qs, q.Text)
		folded = append(folded, corpus.Fold(q.Text))
	}
	return []Mix{
		{"questions", qs},
		{"questions-no-diacritics", folded},
		{"citizen", eval.CitizenQueries},
		{"references", eval.ReferenceQueries},
		{"mix", eval.QueryMix(qs)},
	}
}

// headLines copies the first n records (lines not blank) of src to dst.
func headLines(src, dst string, n int) error {
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(out)
	copied := 0
	err = jsonl.EachFile(src, func(_ int, b []byte) error {
		if copied == n {
			return errEnough
		}
		copied++
		w.Write(b)
		return w.WriteByte('\n')
	})
	if err != nil && !errors.Is(err, errEnough) {
		out.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

var errEnough = errors.New("enough lines")
