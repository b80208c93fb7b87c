package eval

import (
	"context"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
)

// Cross-fitting the embedder. The embedder `serve` ships learns from the
// judged questions of every set in ../shared/eval, the set's own among
// them, as the re-ranker does. Evaluated with an embedder that learned
// from the other sets only, a set is measured by a weaker model than the
// one shipped; evaluated with one that learned from its own questions, it
// would be flattered. So, as for the re-ranker (rerank.go), the set's
// judged questions are cut into CrossFolds folds and each fold is answered
// by an embedder that learned from the other folds and the other sets,
// never from its own questions.

// folds assigns each judged question of ds (by id) to a fold: its place
// among the judged questions, in query order, modulo CrossFolds. The
// re-ranker's cross-fitting uses the same folds, so a question's embedder
// and re-ranker both learned without it.
func folds(ds *Dataset) map[string]int {
	out := map[string]int{}
	i := 0
	for _, q := range ds.Queries {
		if len(ds.Qrels[q.ID]) == 0 {
			continue
		}
		out[q.ID] = i % CrossFolds
		i++
	}
	return out
}

// ownPairs are the judged questions of ds outside fold f, with the text of
// their gold articles, as TrainingPairs reads them from other sets.
func ownPairs(ds *Dataset, fold map[string]int, f int) []retrieval.Pair {
	text := map[string]string{}
	for _, c := range ds.Corpus {
		text[c.ID] = c.Title + "\n" + c.Text
	}
	var pairs []retrieval.Pair
	for _, q := range ds.Queries {
		if g, ok := fold[q.ID]; !ok || g == f {
			continue
		}
		for id, grade := range ds.Qrels[q.ID] {
			if t, ok := text[id]; ok && grade > 0 {
				pairs = append(pairs, retrieval.Pair{Query: q.Text, Text: t})
			}
		}
	}
	return pairs
}

// foldSearch answers a judged question with the hybrid search of its
// fold, and any other text with the first; with one hybrid search, every
// text with it. Its folds are also the re-ranker's (crossFitted).
type foldSearch struct {
	hs    []*retrieval.Hybrid
	folds map[string]int // folded question text → fold
}

func newFoldSearch(ds *Dataset, hs []*retrieval.Hybrid) *foldSearch {
	s := &foldSearch{hs: hs, folds: map[string]int{}}
	fold := folds(ds)
	for _, q := range ds.Queries {
		if f, ok := fold[q.ID]; ok {
			// Asked with or without its options, and with or without
			// diacritics, a question goes to its fold.
			s.folds[corpus.Fold(q.Text)] = f
			s.folds[corpus.Fold(q.SearchText())] = f
		}
	}
	return s
}

// fold returns the fold of a query text: 0 for a text no judged question
// has.
func (s *foldSearch) fold(text string) int { return s.folds[corpus.Fold(text)] }

// search returns fold f's hybrid search.
func (s *foldSearch) search(f int) *retrieval.Hybrid {
	if len(s.hs) == 1 {
		return s.hs[0]
	}
	return s.hs[f]
}

func (s *foldSearch) Search(ctx context.Context, q retrieval.Query) (retrieval.Result, error) {
	return s.search(s.fold(q.Text)).Search(ctx, q)
}

func (s *foldSearch) Candidates(ctx context.Context, q retrieval.Query) (retrieval.Candidates, error) {
	return s.search(s.fold(q.Text)).Candidates(ctx, q)
}

// each applies set to every fold's hybrid search.
func (s *foldSearch) each(set func(h *retrieval.Hybrid)) {
	for _, h := range s.hs {
		set(h)
	}
}
