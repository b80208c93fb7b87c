package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/retrieval"
)

// The built-in re-ranker must recognise the sets it learned from, or
// `eval retrieval` would score their questions with a model that saw them.
func TestShippedRerankerKnowsItsSets(t *testing.T) {
	shared := testenv.Shared(t)
	r, err := CompetitionReranker()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, s := range r.TrainedOn {
		known[s.Digest] = true
	}
	for _, name := range []string{"alqac2025", "alqac2022", "vlsp2023"} {
		ds, err := LoadDataset(filepath.Join(shared, "eval", name), "")
		if err != nil {
			t.Fatal(err)
		}
		if !known[QuestionsDigest(ds)] {
			t.Errorf("%s: the built-in re-ranker does not record these questions; eval would not cross-fit", name)
		}
	}
}

func TestQuestionsDigest(t *testing.T) {
	a, err := LoadDataset(tinySet, "")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := LoadDataset(tinySet, "")
	if QuestionsDigest(a) != QuestionsDigest(b) {
		t.Fatal("one set, two digests")
	}
	// Another judgement is another set of questions.
	for q, rel := range b.Qrels {
		for id := range rel {
			delete(rel, id)
			rel[id+"x"] = 1
		}
		b.Qrels[q] = rel
		break
	}
	if QuestionsDigest(a) == QuestionsDigest(b) {
		t.Error("a changed judgement kept the digest")
	}
}

func TestRerankerChoices(t *testing.T) {
	ctx := context.Background()
	load := func(choice string) (*LoadedSet, error) {
		return LoadWith(ctx, RetrievalOptions{Dataset: tinySet, WorkDir: t.TempDir(), Reranker: choice})
	}
	set, err := load(RerankNone)
	if err != nil {
		t.Fatal(err)
	}
	if set.Reranking != RerankNone || set.hybrids.hs[0].Reranker != nil {
		t.Errorf("none: %q", set.Reranking)
	}
	// Cross-fitting: one model per fold, each trained without its fold.
	_, groups, err := set.groups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 5 || len(groups[0].Features) == 0 {
		t.Fatalf("groups: %d", len(groups))
	}
	if err := set.crossFit(ctx, nil, nil); err != nil {
		t.Fatal(err)
	}
	cf, ok := set.Searcher.(*crossFitted)
	if !ok || len(cf.models) != CrossFolds || !strings.HasPrefix(set.Reranking, "cross-fitted") {
		t.Fatalf("cross-fitting: %T %q", set.Searcher, set.Reranking)
	}
	if m, err := set.RunRetrieval(ctx, RetrievalOptions{}); err != nil || m.Queries != 5 || m.RecallAt10 < 0.99 {
		t.Errorf("cross-fitted run: %+v %v", m, err)
	}
	set.Close()

	// A model file that learned from these questions is refused; another is used.
	ds, _ := LoadDataset(tinySet, "")
	model, err := retrieval.TrainReranker(groups, retrieval.RerankTraining{})
	if err != nil {
		t.Fatal(err)
	}
	model.TrainedOn = []retrieval.TrainedSet{{Name: "tiny", Queries: 5, Digest: QuestionsDigest(ds)}}
	seen := filepath.Join(t.TempDir(), "seen.json")
	b, _ := model.Marshal()
	os.WriteFile(seen, b, 0o644)
	if _, err := load(seen); err == nil || !strings.Contains(err.Error(), "learned from these questions") {
		t.Errorf("a model that saw the set: %v", err)
	}
	model.TrainedOn = []retrieval.TrainedSet{{Name: "other", Queries: 5, Digest: "0123456789abcdef"}}
	other := filepath.Join(t.TempDir(), "other.json")
	b, _ = model.Marshal()
	os.WriteFile(other, b, 0o644)
	set, err = load(other)
	if err != nil {
		t.Fatal(err)
	}
	if set.Reranking != "file other.json" || set.hybrids.hs[0].Reranker == nil {
		t.Errorf("model file: %q", set.Reranking)
	}
	set.Close()
	if _, err := load(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("a missing model file was accepted")
	}
}

// A question's fold must be found however it is searched — as written, with
// its options (the default) or alone (--question-only), with or without
// diacritics — or it would be ranked by a model trained on it.
func TestCrossFoldsFindAQuestionHoweverAsked(t *testing.T) {
	q := QueryRec{ID: "q4", Text: "Hành vi nào sau đây bị cấm?", Metadata: map[string]any{"choices": map[string]any{"A": "Tảo hôn.", "B": "Cưỡng ép ly hôn."}}}
	ds := &Dataset{Qrels: map[string]map[string]int{}}
	for i := range 5 {
		qi := QueryRec{ID: fmt.Sprintf("q%d", i+1), Text: fmt.Sprintf("câu hỏi số %d", i+1)}
		if i == 3 {
			qi = q
		}
		ds.Queries = append(ds.Queries, qi)
		ds.Qrels[qi.ID] = map[string]int{"L#1": 1}
	}
	fs := newFoldSearch(ds, nil)
	for _, text := range []string{q.Text, q.SearchText(), corpus.Fold(q.Text), corpus.Fold(q.SearchText())} {
		if f := fs.fold(text); f != 3 {
			t.Errorf("%q: fold %d; want 3", text, f)
		}
	}
}

// copyJudgedSet copies the tiny set to dir as a judged set (its judgements
// as the training split), each question's text passed through edit.
func copyJudgedSet(t *testing.T, dir string, edit func(string) string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "qrels"), 0o755); err != nil {
		t.Fatal(err)
	}
	corpusB, err := os.ReadFile(filepath.Join(tinySet, "corpus.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	qrels, _ := os.ReadFile(filepath.Join(tinySet, "qrels", "test.tsv"))
	queries, _ := os.ReadFile(filepath.Join(tinySet, "queries.jsonl"))
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(queries)), "\n") {
		var q map[string]any
		if err := json.Unmarshal([]byte(line), &q); err != nil {
			t.Fatal(err)
		}
		q["text"] = edit(q["text"].(string))
		b, _ := json.Marshal(q)
		out = append(out, string(b))
	}
	for name, b := range map[string][]byte{"corpus.jsonl": corpusB, "queries.jsonl": []byte(strings.Join(out, "\n") + "\n"), filepath.Join("qrels", "train.tsv"): qrels} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Cross-fitting stands in for the shipped model, which learned from every
// judged set: each fold's model learns from the other folds and from the
// model's other sets found beside this one — not from a set beside it that
// the model never saw.
func TestCrossFitLearnsFromTheModelsOtherSets(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	a, b, c := filepath.Join(parent, "a"), filepath.Join(parent, "b"), filepath.Join(parent, "c")
	copyJudgedSet(t, a, func(s string) string { return s })
	copyJudgedSet(t, b, func(s string) string { return "Xin hỏi: " + s })
	copyJudgedSet(t, c, func(s string) string { return "Cho hỏi: " + s })
	digest := func(dir string) string {
		ds, err := LoadDataset(dir, "")
		if err != nil {
			t.Fatal(err)
		}
		return QuestionsDigest(ds)
	}
	model, err := CompetitionReranker()
	if err != nil {
		t.Fatal(err)
	}
	model.TrainedOn = []retrieval.TrainedSet{{Name: "a", Queries: 5, Digest: digest(a)}, {Name: "b", Queries: 5, Digest: digest(b)}, {Name: "gone", Queries: 5, Digest: "0123456789abcdef"}}

	set, err := LoadWith(ctx, RetrievalOptions{Dataset: a, WorkDir: t.TempDir(), Reranker: RerankNone})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	var logged []string
	others, err := set.otherSetsOf(ctx, model, func(f string, args ...any) { logged = append(logged, fmt.Sprintf(f, args...)) })
	if err != nil {
		t.Fatal(err)
	}
	if len(others) != 1 || others[0].name != "b" || len(others[0].groups) != 5 {
		t.Fatalf("other sets: %+v; want b with its 5 questions (not a itself, not c, which the model never saw)", others)
	}
	if !strings.Contains(strings.Join(logged, "\n"), "gone") {
		t.Errorf("a set the model names but that is missing was not logged: %q", logged)
	}

	if err := set.crossFit(ctx, nil, nil); err != nil {
		t.Fatal(err)
	}
	alone := set.Searcher.(*crossFitted).models
	if err := set.crossFit(ctx, others, nil); err != nil {
		t.Fatal(err)
	}
	with := set.Searcher.(*crossFitted).models
	if !strings.Contains(set.Reranking, "with b") {
		t.Errorf("reranking %q does not name the other set", set.Reranking)
	}
	for f := range with {
		if slices.Equal(with[f].Weights, alone[f].Weights) {
			t.Errorf("fold %d: the model did not learn from the other set", f+1)
		}
	}
}
