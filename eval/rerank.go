package eval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mattranso/mattranso/retrieval"
)

// Re-ranker choices for RetrievalOptions.Reranker.
const (
	// RerankLibrary teaches a model from the set's corpus alone (its
	// pseudo-questions, retrieval.TeachReranker), as serve does by default.
	RerankLibrary = "library"
	// RerankCompetition uses the model trained on the competition sets
	// (CompetitionModel) — unless that model learned from this set's
	// questions: then every question is ranked by a model trained on the
	// other folds of the set (CrossFolds-fold cross-fitting), so no
	// question is scored by a model that saw it.
	RerankCompetition = "competition"
	// RerankCompetitionAsIs uses the competition model as it is (refused
	// on a set it learned from: the figures would flatter it).
	RerankCompetitionAsIs = "competition-as-is"
	// RerankNone leaves the fused order.
	RerankNone = "none"
	// RerankCross always cross-fits on the set's own questions.
	RerankCross = "cross"
)

// CompetitionModel is the competition-trained re-ranker's file, relative
// to the repository's root; CompetitionReranker looks for it there from
// the working directory up.
const CompetitionModel = "retrieval/reranker-competition.json"

// CompetitionReranker reads the re-ranker trained on the competition
// sets, for research and evaluation: it is not built into the binary.
func CompetitionReranker() (*retrieval.Reranker, error) {
	dir, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	for {
		p := filepath.Join(dir, CompetitionModel)
		if _, err := os.Stat(p); err == nil {
			return retrieval.ReadReranker(p)
		}
		up := filepath.Dir(dir)
		if up == dir {
			return nil, fmt.Errorf("eval: %s not found from the working directory up; run from the repository", CompetitionModel)
		}
		dir = up
	}
}

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
func (s *LoadedSet) setReranker(ctx context.Context, choice string, log func(string, ...any)) error {
	use := func(r *retrieval.Reranker) { s.hybrids.each(func(h *retrieval.Hybrid) { h.Reranker = r }) }
	switch choice {
	case RerankNone:
		s.Reranking = RerankNone
		return nil
	case "", RerankLibrary:
		if s.teachFrom != "" {
			return s.teachElsewhere(ctx, log)
		}
		ps, err := s.Index.Passages(ctx)
		if err != nil {
			return err
		}
		r, err := retrieval.TeachReranker(ctx, s.hybrids.hs[0], ps, s.lesson(ps), s.teachQuestions, teachLog(log))
		if err != nil {
			return err
		}
		use(r)
		s.Reranking = RerankLibrary
		return nil
	case RerankCompetition, RerankCompetitionAsIs:
		r, err := CompetitionReranker()
		if err != nil {
			return err
		}
		digest := QuestionsDigest(s.Dataset)
		for _, t := range r.TrainedOn {
			if t.Digest != digest {
				continue
			}
			if choice == RerankCompetitionAsIs {
				return fmt.Errorf("eval: the competition re-ranker learned from these questions (%s); use --reranker competition to cross-fit", t.Name)
			}
			others, err := s.otherSetsOf(ctx, r, log)
			if err != nil {
				return err
			}
			return s.crossFit(ctx, others, log)
		}
		use(r)
		s.Reranking = RerankCompetition
		return nil
	case RerankCross:
		return s.crossFit(ctx, nil, log)
	}
	b, err := os.ReadFile(choice)
	if err != nil {
		return fmt.Errorf("eval: --reranker: %w (library, competition, competition-as-is, cross, none or a model file)", err)
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
	use(r)
	s.Reranking = "file " + filepath.Base(choice)
	return nil
}

// groups computes the re-ranking candidates of every judged question of
// the set, labelled by its judgements, in query order.
func (s *LoadedSet) groups(ctx context.Context) ([]QueryRec, []retrieval.TrainingGroup, error) {
	var qs []QueryRec
	var gs []retrieval.TrainingGroup
	for _, q := range s.Queries {
		rel := s.Qrels[q.ID]
		if len(rel) == 0 {
			continue
		}
		c, err := s.hybrids.Candidates(ctx, retrieval.Query{Text: s.searchText(q)})
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

// judgedGroups are the re-ranking candidates of another set's judged
// questions, to train on.
type judgedGroups struct {
	name   string
	groups []retrieval.TrainingGroup
}

// otherSetsOf computes the candidates of the other sets the model learned
// from, found beside this one by their questions' digest, so that
// cross-fitting can train each fold's model on what the model learned
// from, this fold's questions left out. Each is indexed as TrainReranker
// indexes it, except that this set's questions do not teach its embedder
// either. A set the model names but that is not beside this one is left
// out, with a line in the log.
func (s *LoadedSet) otherSetsOf(ctx context.Context, model *retrieval.Reranker, log func(string, ...any)) ([]judgedGroups, error) {
	self, _ := filepath.Abs(s.Dir)
	byDigest := map[string]string{}
	siblings := SiblingSets(s.Dir)
	for _, dir := range siblings {
		ds, err := LoadDataset(dir, "")
		if err != nil {
			continue // not a set we can read: not one of the model's
		}
		byDigest[QuestionsDigest(ds)] = dir
	}
	own := QuestionsDigest(s.Dataset)
	var out []judgedGroups
	for _, t := range model.TrainedOn {
		if t.Digest == own {
			continue
		}
		dir, ok := byDigest[t.Digest]
		if !ok {
			if log != nil {
				log("re-ranker: %s, which the model learned from, is not beside %s; its folds learn without it", t.Name, s.Dir)
			}
			continue
		}
		var pairs []string
		for _, p := range SiblingSets(dir) {
			if p != self {
				pairs = append(pairs, p)
			}
		}
		set, err := LoadWith(ctx, RetrievalOptions{Dataset: dir, Mode: retrieval.ModeHybrid, Reranker: RerankNone, PairsFrom: pairs, Log: log})
		if err != nil {
			return nil, fmt.Errorf("eval: re-ranker training set %s: %w", t.Name, err)
		}
		_, gs, err := set.groups(ctx)
		set.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, judgedGroups{name: filepath.Base(dir), groups: gs})
	}
	return out, nil
}

// crossFit trains one model per fold of the set's judged questions, each
// on the other folds and on the judged questions of the other sets
// given, and answers every question with the model of its fold.
func (s *LoadedSet) crossFit(ctx context.Context, others []judgedGroups, log func(string, ...any)) error {
	qs, gs, err := s.groups(ctx)
	if err != nil {
		return err
	}
	if len(qs) < CrossFolds {
		return fmt.Errorf("eval: %d judged questions are too few to cross-fit a re-ranker", len(qs))
	}
	// groups lists the judged questions in query order, so gs[i] is in
	// fold i%CrossFolds, as folds() assigns them.
	cf := &crossFitted{hs: s.hybrids}
	var extra []retrieval.TrainingGroup
	var names []string
	for _, o := range others {
		extra = append(extra, o.groups...)
		names = append(names, o.name)
	}
	for f := range CrossFolds {
		train := slices.Clone(extra)
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
	if len(names) > 0 {
		s.Reranking = fmt.Sprintf("cross-fitted (%d folds of this set's questions, with %s)", CrossFolds, strings.Join(names, ", "))
	}
	return nil
}

// crossFitted answers a judged question with the re-ranker of its fold
// (and, with OwnFolds, its fold's embedder); any other text with the first
// fold's.
type crossFitted struct {
	hs     *foldSearch
	models []*retrieval.Reranker
}

func (c *crossFitted) Search(ctx context.Context, q retrieval.Query) (retrieval.Result, error) {
	f := c.hs.fold(q.Text)
	h := c.hs.search(f)
	if h.Mode != "" && h.Mode != retrieval.ModeHybrid {
		return h.Search(ctx, q)
	}
	return h.SearchWith(ctx, q, c.models[f])
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
		qs, gs, err := set.groups(ctx)
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

// teachLog turns teaching progress into log lines; nil for no log.
func teachLog(log func(string, ...any)) retrieval.TeachProgress {
	if log == nil {
		return nil
	}
	return func(what string, done, total int, took time.Duration) {
		log("teaching the %s: %d of %d, %s", what, done, total, took.Round(time.Second))
	}
}

// teachElsewhere ranks the set with a re-ranker taught by another set's
// corpus (its pseudo-questions searched in its own index): whether what
// the library teaches fits one corpus only.
func (s *LoadedSet) teachElsewhere(ctx context.Context, log func(string, ...any)) error {
	other, err := LoadWith(ctx, RetrievalOptions{Dataset: s.teachFrom, Mode: retrieval.ModeHybrid, Reranker: RerankNone, Library: true, Teach: s.teach, Log: log})
	if err != nil {
		return fmt.Errorf("eval: --teach-from: %w", err)
	}
	defer other.Close()
	ps, err := other.Index.Passages(ctx)
	if err != nil {
		return err
	}
	r, err := retrieval.TeachReranker(ctx, other.hybrids.hs[0], ps, other.lesson(ps), s.teachQuestions, teachLog(log))
	if err != nil {
		return err
	}
	s.hybrids.each(func(h *retrieval.Hybrid) { h.Reranker = r })
	s.Reranking = "library of " + filepath.Base(filepath.Clean(s.teachFrom))
	return nil
}
