package eval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
)

// Re-ranker choices for RetrievalOptions.Reranker.
const (
	// RerankAuto uses the model built into the binary, as serve does —
	// unless that model learned from this set's questions: then every
	// question is ranked by a model trained on the other folds of the set
	// (CrossFolds-fold cross-fitting), so no question is scored by a model
	// that saw it.
	RerankAuto = "auto"
	// RerankShipped uses the built-in model as it is (refused on a set it
	// learned from: the figures would flatter it).
	RerankShipped = "shipped"
	// RerankNone leaves the fused order.
	RerankNone = "none"
	// RerankCross always cross-fits on the set's own questions.
	RerankCross = "cross"
)

// CrossFolds is the number of folds of cross-fitting.
const CrossFolds = 5

// QuestionsDigest identifies a set's judged questions and their
// judgements, whatever the set is called.
func QuestionsDigest(ds *Dataset) string {
	var lines []string
	for _, q := range ds.Queries {
		rel := ds.Qrels[q.ID]
		if len(rel) == 0 {
			continue
		}
		ids := make([]string, 0, len(rel))
		for id := range rel {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		lines = append(lines, q.Text+"\t"+strings.Join(ids, "\t"))
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// setReranker puts the chosen re-ranker on a loaded set's hybrid search.
func (s *LoadedSet) setReranker(ctx context.Context, h *retrieval.Hybrid, choice string, log func(string, ...any)) error {
	switch choice {
	case RerankNone:
		s.Reranking = RerankNone
		return nil
	case "", RerankAuto, RerankShipped:
		r, err := retrieval.ShippedReranker()
		if err != nil {
			return err
		}
		digest := QuestionsDigest(s.Dataset)
		for _, t := range r.TrainedOn {
			if t.Digest != digest {
				continue
			}
			if choice == RerankShipped {
				return fmt.Errorf("eval: the shipped re-ranker learned from these questions (%s); use --reranker auto to cross-fit", t.Name)
			}
			return s.crossFit(ctx, h, log)
		}
		h.Reranker, s.Reranking = r, RerankShipped
		return nil
	case RerankCross:
		return s.crossFit(ctx, h, log)
	}
	b, err := os.ReadFile(choice)
	if err != nil {
		return fmt.Errorf("eval: --reranker: %w (auto, shipped, cross, none or a model file)", err)
	}
	r, err := retrieval.ParseReranker(b)
	if err != nil {
		return fmt.Errorf("eval: %s: %w", choice, err)
	}
	for _, t := range r.TrainedOn {
		if t.Digest == QuestionsDigest(s.Dataset) {
			return fmt.Errorf("eval: %s learned from these questions (%s)", choice, t.Name)
		}
	}
	h.Reranker, s.Reranking = r, "file "+filepath.Base(choice)
	return nil
}

// groups computes the re-ranking candidates of every judged question of
// the set, labelled by its judgements, in query order.
func (s *LoadedSet) groups(ctx context.Context, h *retrieval.Hybrid) ([]QueryRec, []retrieval.TrainingGroup, error) {
	var qs []QueryRec
	var gs []retrieval.TrainingGroup
	for _, q := range s.Queries {
		rel := s.Qrels[q.ID]
		if len(rel) == 0 {
			continue
		}
		c, err := h.Candidates(ctx, retrieval.Query{Text: s.searchText(q)})
		if err != nil {
			return nil, nil, fmt.Errorf("eval: query %s: %w", q.ID, err)
		}
		var g retrieval.TrainingGroup
		for _, cd := range c.Top {
			g.Features = append(g.Features, cd.Features)
			g.Relevant = append(g.Relevant, rel[s.CorpusID(cd.Hit)] > 0)
		}
		qs, gs = append(qs, q), append(gs, g)
	}
	return qs, gs, nil
}

// crossFit trains one model per fold of the set's judged questions, each
// on the other folds, and answers every question with the model of its
// fold.
func (s *LoadedSet) crossFit(ctx context.Context, h *retrieval.Hybrid, log func(string, ...any)) error {
	qs, gs, err := s.groups(ctx, h)
	if err != nil {
		return err
	}
	if len(qs) < CrossFolds {
		return fmt.Errorf("eval: %d judged questions are too few to cross-fit a re-ranker", len(qs))
	}
	cf := &crossFitted{h: h, fold: map[string]int{}}
	for i, q := range qs {
		cf.assign(q, i%CrossFolds)
	}
	for f := range CrossFolds {
		var train []retrieval.TrainingGroup
		for i, g := range gs {
			if i%CrossFolds != f {
				train = append(train, g)
			}
		}
		r, err := retrieval.TrainReranker(train, retrieval.RerankTraining{})
		if err != nil {
			return fmt.Errorf("eval: fold %d: %w", f+1, err)
		}
		cf.models = append(cf.models, r)
		if log != nil {
			log("re-ranker fold %d/%d trained on %d questions", f+1, CrossFolds, len(train))
		}
	}
	s.Searcher, s.Reranking = cf, fmt.Sprintf("cross-fitted (%d folds of this set's questions)", CrossFolds)
	return nil
}

// crossFitted answers a judged question with the re-ranker of its fold;
// any other text with the first fold's model.
type crossFitted struct {
	h      *retrieval.Hybrid
	models []*retrieval.Reranker
	fold   map[string]int // folded question text → fold
}

// assign puts question q in fold f: asked with or without its options,
// and with or without diacritics, it is answered by that fold's model.
func (c *crossFitted) assign(q QueryRec, f int) {
	c.fold[corpus.Fold(q.Text)] = f
	c.fold[corpus.Fold(q.SearchText())] = f
}

func (c *crossFitted) Search(ctx context.Context, q retrieval.Query) (retrieval.Result, error) {
	if c.h.Mode != "" && c.h.Mode != retrieval.ModeHybrid {
		return c.h.Search(ctx, q)
	}
	return c.h.SearchWith(ctx, q, c.models[c.fold[corpus.Fold(q.Text)]])
}

// TrainReranker trains a re-ranking model on the judged questions of the
// given sets (each indexed with the default pipeline) and records them in
// the model.
func TrainReranker(ctx context.Context, dirs []string, log func(string, ...any)) (*retrieval.Reranker, error) {
	var all []retrieval.TrainingGroup
	var sets []retrieval.TrainedSet
	for _, dir := range dirs {
		// Each set is indexed as `eval retrieval` does by default: its
		// embedder also learns from the other judged sets beside it.
		set, err := LoadWith(ctx, RetrievalOptions{Dataset: dir, Mode: retrieval.ModeHybrid, Reranker: RerankNone, PairsFrom: SiblingSets(dir), Log: log})
		if err != nil {
			return nil, err
		}
		qs, gs, err := set.groups(ctx, set.Searcher.(*retrieval.Hybrid))
		set.Close()
		if err != nil {
			return nil, err
		}
		all = append(all, gs...)
		sets = append(sets, retrieval.TrainedSet{Name: filepath.Base(filepath.Clean(dir)), Queries: len(qs), Digest: QuestionsDigest(set.Dataset)})
		if log != nil {
			log("%s: %d questions", dir, len(qs))
		}
	}
	r, err := retrieval.TrainReranker(all, retrieval.RerankTraining{})
	if err != nil {
		return nil, err
	}
	r.TrainedOn = sets
	return r, nil
}
