package gencorpus_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/ingest"
	"github.com/mattranso/mattranso/ingest/gencorpus"
	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/store"
)

var (
	sourceOnce sync.Once
	source     *gencorpus.Source
	sourceErr  error
)

// generate writes a corpus from ../shared/corpus, read once for all tests.
func generate(t *testing.T, passages int, seed uint64) (string, gencorpus.Summary) {
	t.Helper()
	dir := testenv.SharedPath(t, "corpus")
	sourceOnce.Do(func() { source, sourceErr = gencorpus.ReadSource(dir) })
	if sourceErr != nil {
		t.Fatal(sourceErr)
	}
	out := filepath.Join(t.TempDir(), "corpus")
	sum, err := source.Generate(gencorpus.Options{
		Out: out, Passages: passages, Seed: seed,
		LawsPerFile: 3, ProceduresPerFile: 100,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, sum
}

// readAll concatenates the output files in name order.
func readAll(t *testing.T, dir string) []byte {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "gen-*"))
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		all = append(append(all, filepath.Base(n)...), b...)
	}
	return all
}

func TestGenerateIsDeterministicBySeed(t *testing.T) {
	a, sa := generate(t, 1200, 7)
	b, sb := generate(t, 1200, 7)
	c, _ := generate(t, 1200, 8)
	if sa.Laws != sb.Laws || sa.Procedures != sb.Procedures || sa.Passages() != sb.Passages() {
		t.Fatalf("same seed, different summaries: %+v and %+v", sa, sb)
	}
	if !bytes.Equal(readAll(t, a), readAll(t, b)) {
		t.Fatal("the same seed wrote different files")
	}
	if bytes.Equal(readAll(t, a), readAll(t, c)) {
		t.Fatal("another seed wrote the same files")
	}
	if len(sa.Files) < 3 {
		t.Fatalf("files %v: want the laws split 3 to a file and the procedures 100 to a file", sa.Files)
	}
	// Within a law of the target, and both kinds present.
	if p := sa.Passages(); p < 1200 || p > 1200+700 || sa.Laws == 0 || sa.Procedures == 0 {
		t.Fatalf("asked 1200 passages, got %d (%d laws, %d procedures)", p, sa.Laws, sa.Procedures)
	}
}

func TestGenerateRefusesAFolderWithOutput(t *testing.T) {
	out, _ := generate(t, 300, 1)
	_, err := source.Generate(gencorpus.Options{Out: out, Passages: 300, Seed: 1})
	if err == nil || !strings.Contains(err.Error(), "already holds generated files") {
		t.Fatalf("second run into the same folder: %v", err)
	}
}

// identity is what ingest recognises a law's name by: its number, or its
// title without the year, and the year; a real law that names no year is
// recognised by its title alone.
func identity(name string) string {
	if corpus.LooksLikeNumber(name) {
		return "no:" + corpus.NormalizeNumber(name)
	}
	year := ""
	if ys := corpus.YearsIn(name); len(ys) > 0 {
		year = fmt.Sprint(ys[len(ys)-1])
	}
	return "t:" + corpus.TitleKey(name) + "|" + year
}

func TestGeneratedLawsAreNewAndRecombined(t *testing.T) {
	out, _ := generate(t, 30000, 3)
	real := map[string]bool{}
	for _, f := range []string{"alqac2022-4-laws.json", "alqac2025-28-laws.json", "vlsp2023-18-laws.json"} {
		var laws []struct {
			ID       string                  `json:"id"`
			Articles []struct{ Text string } `json:"articles"`
		}
		b, err := os.ReadFile(testenv.SharedPath(t, "corpus", "laws", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &laws); err != nil {
			t.Fatal(err)
		}
		for _, l := range laws {
			real[identity(l.ID)] = true
			real["t:"+corpus.TitleKey(l.ID)] = true
		}
	}
	names, _ := filepath.Glob(filepath.Join(out, "gen-laws-*.json"))
	seen := map[string]bool{}
	articles, clauses := 0, 0
	for _, n := range names {
		var laws []struct {
			ID       string                      `json:"id"`
			Articles []struct{ ID, Text string } `json:"articles"`
		}
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &laws); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		for _, l := range laws {
			// Ingest would merge a law named as a real one, or as
			// another generated one: the same title and year, or number.
			if k := identity(l.ID); real[k] || real["t:"+corpus.TitleKey(l.ID)] || seen[k] {
				t.Errorf("law name %q is a real law's or repeats", l.ID)
			}
			seen[identity(l.ID)] = true
			for _, a := range l.Articles {
				articles++
				node := corpus.ParseArticle(a.ID, a.Text)
				if node.Heading == "" {
					t.Errorf("%s, article %s: no heading in %.80q", l.ID, a.ID, a.Text)
				}
				clauses += len(node.Children)
			}
		}
	}
	if articles == 0 || clauses == 0 {
		t.Fatalf("%d articles, %d clauses: want articles made of clauses", articles, clauses)
	}
}

// TestGeneratedCorpusIngests runs the real pipeline over a generated corpus:
// nothing rejected, no two documents merged, and the index holds the
// passages the generator counted.
func TestGeneratedCorpusIngests(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests a few thousand passages")
	}
	out, sum := generate(t, 1500, 5)
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "mattranso.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	docs := corpus.NewStore(db)
	if err := docs.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	idx, err := retrieval.OpenKeyword(filepath.Join(dir, "keyword"))
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	got, err := ingest.Run(ctx, ingest.Options{Store: docs, Index: idx, Sources: []string{out}})
	if err != nil {
		t.Fatalf("%v (rejected: %v)", err, got.Rejected)
	}
	if got.Laws != sum.Laws || got.Procedures != sum.Procedures || got.Added != sum.Laws+sum.Procedures || len(got.Skipped) != 0 {
		t.Fatalf("ingest read %s, skipped %v; the generator wrote %d laws and %d procedures", got.Line(), got.Skipped, sum.Laws, sum.Procedures)
	}
	n, err := idx.Count()
	if err != nil {
		t.Fatal(err)
	}
	if int(n) != sum.Passages() {
		t.Fatalf("index holds %d passages, the generator counted %d", n, sum.Passages())
	}
}
