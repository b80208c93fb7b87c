package eval

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/corpus"
)

// With OwnFolds each fold's embedder learns from the other folds' questions
// and never from its own, and every question — however it is asked — is
// answered by its own fold's search.
func TestOwnFoldsNeverTeachAQuestionItsOwnEmbedder(t *testing.T) {
	ctx := context.Background()
	ds, err := LoadDataset(tinySet, "")
	if err != nil {
		t.Fatal(err)
	}
	fold := folds(ds)
	if len(fold) != 5 {
		t.Fatalf("folds: %v; want the 5 judged questions", fold)
	}
	for f := range CrossFolds {
		pairs := ownPairs(ds, fold, f)
		asked := map[string]bool{}
		for _, p := range pairs {
			asked[p.Query] = true
		}
		for _, q := range ds.Queries {
			g, judged := fold[q.ID]
			if judged && asked[q.Text] == (g == f) {
				t.Errorf("fold %d: question %s (fold %d) taught its embedder: %v", f+1, q.ID, g+1, asked[q.Text])
			}
		}
	}

	set, err := LoadWith(ctx, RetrievalOptions{Dataset: tinySet, WorkDir: t.TempDir(), Reranker: RerankCross, OwnFolds: true})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	if len(set.hybrids.hs) != CrossFolds {
		t.Fatalf("%d hybrid searches; want one per fold", len(set.hybrids.hs))
	}
	for _, q := range ds.Queries {
		want, ok := fold[q.ID]
		if !ok {
			continue
		}
		for _, text := range []string{q.Text, q.SearchText(), corpus.Fold(q.SearchText())} {
			if got := set.hybrids.fold(text); got != want {
				t.Errorf("%s asked as %q goes to fold %d; want %d", q.ID, text, got+1, want+1)
			}
		}
	}
	if got := set.hybrids.fold("a question no set holds"); got != 0 {
		t.Errorf("another text goes to fold %d; want the first", got+1)
	}
	m, err := set.RunRetrieval(ctx, RetrievalOptions{})
	if err != nil || m.Queries != 5 {
		t.Fatalf("run: %+v %v", m, err)
	}
	if m.RecallAt10 < 0.99 {
		t.Errorf("recall@10 %.2f on the tiny set; want every question found", m.RecallAt10)
	}
}

// Too few judged questions for the folds are refused, not quietly
// answered by one embedder.
func TestOwnFoldsNeedFiveQuestions(t *testing.T) {
	dir := t.TempDir()
	copyJudgedSet(t, dir, func(s string) string { return s })
	qrels := filepath.Join(dir, "qrels", "train.tsv")
	b, err := os.ReadFile(qrels)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if err := os.WriteFile(qrels, []byte(strings.Join(lines[:4], "\n")+"\n"), 0o644); err != nil { // header and three judgements
		t.Fatal(err)
	}
	_, err = LoadWith(context.Background(), RetrievalOptions{Dataset: dir, WorkDir: t.TempDir(), Reranker: RerankNone, OwnFolds: true})
	if err == nil || !strings.Contains(err.Error(), "too few") {
		t.Errorf("3 judged questions with --own-folds: %v; want refused", err)
	}
}
