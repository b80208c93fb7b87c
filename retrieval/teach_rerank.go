package retrieval

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/mattranso/mattranso/corpus"
)

// RerankLessons is how many pseudo-questions the library's re-ranker
// learns from: more add little (each question's twenty candidates give
// the pairs) and every one is a hybrid search while teaching.
const RerankLessons = 1500

// TeachProgress reports how far teaching has come: what is being taught,
// how many steps of how many are done, and the time taken so far.
type TeachProgress func(what string, done, total int, took time.Duration)

// TeachReranker trains a re-ranker on the lesson's pseudo-questions
// (at most n, a seeded sample; 0 means RerankLessons): each is searched with h, as a
// citizen's question would be, and its candidates are labelled by whether
// they belong to the article the question was made from. The keyword and
// vector sides' other candidates are its hard negatives. The model records
// the lesson it learned from (TrainedOn: its name, questions and the
// library's digest).
func TeachReranker(ctx context.Context, h *Hybrid, ps []corpus.Passage, l Lesson, n int, progress TeachProgress) (*Reranker, error) {
	if n <= 0 {
		n = RerankLessons
	}
	byID := make(map[string]*corpus.Passage, len(ps))
	for i := range ps {
		byID[ps[i].ID] = &ps[i]
	}
	pairs := make([]TeachPair, 0, len(l.Pairs))
	for _, t := range l.Pairs {
		if byID[t.Passage] != nil {
			pairs = append(pairs, t)
		}
	}
	if len(pairs) > n {
		rng := rand.New(rand.NewPCG(3, 0x7465616368))
		rng.Shuffle(len(pairs), func(i, j int) { pairs[i], pairs[j] = pairs[j], pairs[i] })
		pairs = pairs[:n]
	}
	start := time.Now()
	var groups []TrainingGroup
	for i, t := range pairs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c, err := h.Candidates(ctx, Query{Text: t.Query})
		if err != nil {
			return nil, fmt.Errorf("retrieval: teach the re-ranker: %w", err)
		}
		gold := byID[t.Passage]
		want := articleKey{gold.DocID, articleOf(gold.Anchor)}
		var g TrainingGroup
		for _, cd := range c.Top {
			g.Features = append(g.Features, cd.Features)
			g.Relevant = append(g.Relevant, articleKeyOf(&cd.Hit) == want)
		}
		groups = append(groups, g)
		if progress != nil && ((i+1)%250 == 0 || i+1 == len(pairs)) {
			progress("re-ranker questions", i+1, len(pairs), time.Since(start))
		}
	}
	if len(groups) == 0 {
		return nil, errors.New("retrieval: teach the re-ranker: the library gave no question")
	}
	r, err := TrainReranker(groups, RerankTraining{})
	if err != nil {
		return nil, err
	}
	r.TrainedOn = []TrainedSet{{Name: "library " + l.Version, Queries: len(groups), Digest: l.Library}}
	return r, nil
}
