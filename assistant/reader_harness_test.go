package assistant_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/mattranso/mattranso/assistant"
	"github.com/mattranso/mattranso/eval"
	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/retrieval"
)

// Floors of the extractive reader on alqac2022 searched by keywords alone
// (TestReaderScores), a little under what it scores there (F1 0.632,
// citations 310 of 353): a change that costs the reader more fails. Hybrid
// search, as `mattranso eval answers` runs it, scores higher (EVAL.md).
const (
	readerFloorF1        = 0.62
	readerFloorCitations = 0.865
)

// TestReaderScores runs the extractive reader over the judged questions of
// alqac2022 (1,377 articles, 353 questions with a gold answer), searched by
// keywords alone so that the figures depend on nothing trained, and holds
// it to its floors. It also checks what BenchmarkReader relies on: the
// reader asked again from recorded hits gives every question the same
// outcome as from live search.
func TestReaderScores(t *testing.T) {
	ctx := context.Background()
	dir := testenv.SharedPath(t, "eval", "alqac2022")
	set, err := eval.LoadWith(ctx, eval.RetrievalOptions{Dataset: dir, Mode: retrieval.ModeKeyword, WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	hits := map[string]retrieval.Result{}
	live, liveEach := readerRun(t, set, hitRecorder{set.Searcher, hits})
	replay, replayEach := readerRun(t, set, recordedHits(hits))
	t.Logf("alqac2022, keyword search: %d questions, F1 %.4f, EM %.4f, citations %.4f, declined %d",
		live.Queries, live.F1, live.ExactMatch, live.CitationAccuracy, live.Unsupported)
	if live.Queries != 353 {
		t.Errorf("%d questions asked, want the set's 353", live.Queries)
	}
	if live.F1 < readerFloorF1 || live.CitationAccuracy < readerFloorCitations {
		t.Errorf("F1 %.4f, citations %.4f: under the floors %.2f, %.2f", live.F1, live.CitationAccuracy, readerFloorF1, readerFloorCitations)
	}
	if !reflect.DeepEqual(liveEach, replayEach) {
		for i := range min(len(liveEach), len(replayEach)) {
			if !reflect.DeepEqual(liveEach[i], replayEach[i]) {
				t.Errorf("question %s: live %+v, from recorded hits %+v", liveEach[i].ID, liveEach[i], replayEach[i])
				break
			}
		}
		t.Fatalf("%d outcomes live, %d from recorded hits, not the same", len(liveEach), len(replayEach))
	}
	if live.F1 != replay.F1 || live.ExactMatch != replay.ExactMatch || live.CitationAccuracy != replay.CitationAccuracy {
		t.Errorf("live %+v, from recorded hits %+v", live, replay)
	}
}

// BenchmarkReader measures the extractive reader alone: each iteration
// answers every judged question of a set from hits searched once before
// the timer starts, with hybrid search as `mattranso eval answers` runs it
// (the local embedder trained on the sibling sets: a minute or two of
// set-up per set). Besides the time of one pass over the set it reports
// F1, exact match and citation accuracy, so that a change to the reader
// (its weights, its sentence ranking) is judged in seconds per run, e.g.
// with benchstat over a few runs before and after:
//
//	go test ./assistant -run '^$' -bench BenchmarkReader -benchtime 3x -count 3
func BenchmarkReader(b *testing.B) {
	ctx := context.Background()
	for _, name := range []string{"alqac2022", "alqac2025"} {
		b.Run(name, func(b *testing.B) {
			dir := testenv.SharedPath(b, "eval", name)
			set, err := eval.LoadWith(ctx, eval.RetrievalOptions{Dataset: dir, PairsFrom: eval.SiblingSets(dir), WorkDir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer set.Close()
			hits := map[string]retrieval.Result{}
			readerRun(b, set, hitRecorder{set.Searcher, hits})
			var m eval.AnswerMetrics
			for b.Loop() {
				m, _ = readerRun(b, set, recordedHits(hits))
			}
			b.ReportMetric(m.F1, "f1")
			b.ReportMetric(m.ExactMatch, "exact-match")
			b.ReportMetric(m.CitationAccuracy, "citations")
		})
	}
}

// readerRun asks every judged question of set through the extractive
// assistant searching s, and returns the figures and each question's
// outcome (without its time).
func readerRun(tb testing.TB, set *eval.LoadedSet, s retrieval.Searcher) (eval.AnswerMetrics, []eval.AnswerResult) {
	tb.Helper()
	var each []eval.AnswerResult
	m, err := set.RunAnswers(context.Background(), assistant.New(assistant.Options{Searcher: s, Documents: set}), eval.AnswersOptions{
		Each: func(r eval.AnswerResult) {
			r.Took = 0
			each = append(each, r)
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return m, each
}

// hitRecorder keeps what a searcher returns, by query text and limit.
type hitRecorder struct {
	retrieval.Searcher
	hits map[string]retrieval.Result
}

func (r hitRecorder) Search(ctx context.Context, q retrieval.Query) (retrieval.Result, error) {
	res, err := r.Searcher.Search(ctx, q)
	if err == nil {
		r.hits[hitKey(q)] = res
	}
	return res, err
}

// recordedHits answers from what a hitRecorder kept.
type recordedHits map[string]retrieval.Result

func (h recordedHits) Search(_ context.Context, q retrieval.Query) (retrieval.Result, error) {
	res, ok := h[hitKey(q)]
	if !ok {
		return res, fmt.Errorf("no recorded hits for %q", q.Text)
	}
	return res, nil
}

func hitKey(q retrieval.Query) string { return fmt.Sprintf("%d\x00%s", q.Limit, q.Text) }
