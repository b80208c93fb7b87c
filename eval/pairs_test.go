package eval

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/retrieval"
)

// A judged set is one with queries, a corpus and a training split; the
// set under evaluation is never among its siblings.
func TestSiblingSets(t *testing.T) {
	root := t.TempDir()
	mk := func(name string, files ...string) string {
		dir := filepath.Join(root, name)
		for _, f := range files {
			p := filepath.Join(dir, f)
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, nil, 0o644)
		}
		return dir
	}
	a := mk("a", "queries.jsonl", "corpus.jsonl", "qrels/train.tsv")
	b := mk("b", "queries.jsonl", "corpus.jsonl", "qrels/train.tsv")
	mk("test-only", "queries.jsonl", "corpus.jsonl", "qrels/test.tsv")
	mk("no-corpus", "queries.jsonl", "qrels/train.tsv")
	if got := SiblingSets(a); !slices.Equal(got, []string{b}) {
		t.Errorf("siblings of a: %v, want [%s]", got, b)
	}
	if got := SiblingSets(filepath.Join(root, "missing", "x")); got != nil {
		t.Errorf("siblings of a missing set: %v", got)
	}
}

// Pairs come from training splits only, and never from the excluded set.
func TestTrainingPairs(t *testing.T) {
	pairs, err := TrainingPairs([]string{tinySet}, "")
	if err == nil {
		t.Errorf("a set with only a test split gave %d training pairs", len(pairs))
	}
	pairs, err = TrainingPairs([]string{tinySet}, tinySet)
	if err != nil || len(pairs) != 0 {
		t.Errorf("the excluded set gave %d pairs (%v)", len(pairs), err)
	}
}

// The pairs that teach the embedder, as serve reads them, are those that
// eval's own BEIR loader finds in the training splits of the shared sets:
// every judged question with each of its gold articles, in the same order
// — so eval retrieval's figures and the shipped embedder do not change
// with the reader.
func TestTrainingPairsMatchDatasets(t *testing.T) {
	sets := retrieval.TrainingSets(filepath.Join(testenv.Shared(t), "eval"))
	if len(sets) < 2 {
		t.Fatalf("judged sets in the shared data: %v; want at least two", sets)
	}
	fromDatasets := func(dirs []string) []retrieval.Pair {
		var pairs []retrieval.Pair
		for _, dir := range dirs {
			ds, err := LoadDataset(dir, "train")
			if err != nil {
				t.Fatal(err)
			}
			pairs = append(pairs, ownPairs(ds, folds(ds), -1)...) // no fold left out
		}
		retrieval.SortPairs(pairs)
		return pairs
	}
	want := fromDatasets(sets)
	got, err := retrieval.ReadTrainingPairs(sets...)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Fatalf("retrieval.ReadTrainingPairs gave %d pairs, eval's datasets %d (or they differ)", len(got), len(want))
	}
	for i, ex := range sets {
		rest := slices.Delete(slices.Clone(sets), i, i+1)
		got, err := TrainingPairs(sets, ex)
		if err != nil {
			t.Fatal(err)
		}
		if want := fromDatasets(rest); !slices.Equal(got, want) {
			t.Errorf("without %s: TrainingPairs gave %d pairs, eval's datasets %d (or they differ)", filepath.Base(ex), len(got), len(want))
		}
	}
}
