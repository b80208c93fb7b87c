package eval

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
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
	if got := JudgedSets(root); !slices.Equal(got, []string{a, b}) {
		t.Errorf("judged sets: %v", got)
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
