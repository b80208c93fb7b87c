package eval

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
)

// RetrievalOptions configure a retrieval run.
type RetrievalOptions struct {
	Dataset string
	Split   string
	// StripDiacritics removes the diacritics from every query, as citizens
	// type on phones.
	StripDiacritics bool
	// QuestionOnly searches a multiple-choice question without its options
	// (by default they are searched with it, as the assistant does).
	QuestionOnly bool
	// WorkDir holds the temporary index; empty means a new temporary
	// directory, removed afterwards.
	WorkDir string
	// Progress, when set, is called after each query.
	Progress func(done, total int)
	// Mode is keyword, vector or hybrid (the default).
	Mode retrieval.Mode
	// PairsFrom lists other BEIR sets whose judged questions train the
	// local embedder, with their gold articles. The set being evaluated is
	// never among them: its own questions would flatter the figures.
	PairsFrom []string
	// OwnFolds cross-fits the embedder on the set's own judged questions
	// too (folds.go): each fold is answered by an embedder that also
	// learned from the other folds, as the shipped one learned from every
	// judged set.
	OwnFolds bool
	// Library teaches the local embedder the pseudo-questions the set's
	// corpus gives (retrieval.LibraryPairs), as serve does by default.
	Library bool
	// Teach configures the pseudo-questions (library embedder and
	// re-ranker).
	Teach retrieval.TeachOptions
	// TeachFrom, when set, is another BEIR set whose corpus teaches the
	// library re-ranker: the cross-corpus check.
	TeachFrom string
	// TeachQuestions is how many pseudo-questions teach the library
	// re-ranker (0: retrieval.RerankLessons).
	TeachQuestions int
	// Reranker chooses the re-ranking model in hybrid mode: RerankLibrary
	// (the default), RerankCompetition, RerankCompetitionAsIs,
	// RerankCross, RerankNone or the path of a model file.
	Reranker string
	// Log receives training progress; nil means none.
	Log func(format string, args ...any)
	// Each, when set, receives every judged query's outcome.
	Each func(QueryOutcome)
}

// OutcomeDepth is how far down the ranking a QueryOutcome looks for the
// judged article. The metrics read the first ten only; the place of an
// article below them tells whether the re-ranker's list held it.
const OutcomeDepth = 50

// QueryOutcome is how one judged query ranked.
type QueryOutcome struct {
	ID, Text string
	Ranked   []string // the first ten corpus ids, best first
	Judged   []string // the relevant corpus ids, sorted
	// Rank is the 1-based place of the first relevant id among the first
	// OutcomeDepth ranked, 0 when none is there.
	Rank int
}

// LoadedSet is a dataset indexed with the default pipeline, ready to be
// asked: the retrieval and answer runners share it.
type LoadedSet struct {
	*Dataset
	Index *retrieval.Keyword
	// Searcher answers the queries: the keyword index, or the hybrid
	// search over it and the vectors.
	Searcher retrieval.Searcher
	Docs     map[string]*corpus.Document // by document id
	// corpusID maps a document id and article anchor to the set's corpus id.
	corpusID map[string]string
	cleanup  func()
	// Reranking says which re-ranker orders the hybrid results: "none",
	// "shipped", cross-fitted, or a model file.
	Reranking      string
	hybrids        *foldSearch // in vector and hybrid modes: one hybrid search, or one per fold
	teach          retrieval.TeachOptions
	teachFrom      string
	teachQuestions int
	lessonOf       *retrieval.Lesson
	// questionOnly: the re-ranker learns from questions searched without
	// their options, as they will be asked.
	questionOnly bool
}

// searchText is the text a judged query is searched with in this run.
func (s *LoadedSet) searchText(q QueryRec) string {
	if s.questionOnly {
		return q.Text
	}
	return q.SearchText()
}

// Close removes the temporary index.
func (s *LoadedSet) Close() { s.cleanup() }

// CorpusID returns the set's corpus id (LAW#ARTICLE) of a hit.
func (s *LoadedSet) CorpusID(h retrieval.Hit) string {
	art, _, _ := strings.Cut(h.Anchor, "/")
	return s.corpusID[h.DocID+"#"+art]
}

// Load reads a dataset and indexes its corpus in a temporary directory
// with the same documents, passages and index the library uses; keyword
// search only.
func Load(ctx context.Context, dir, split, workDir string) (*LoadedSet, error) {
	return LoadWith(ctx, RetrievalOptions{Dataset: dir, Split: split, WorkDir: workDir, Mode: retrieval.ModeKeyword})
}

// LoadWith reads a dataset and builds what o.Mode needs: the keyword
// index, and for vector and hybrid modes a local embedder trained on the
// set's corpus (and o.PairsFrom) with an embedded vector store.
func LoadWith(ctx context.Context, o RetrievalOptions) (*LoadedSet, error) {
	ds, err := LoadDataset(o.Dataset, o.Split)
	if err != nil {
		return nil, err
	}
	workDir := o.WorkDir
	cleanup := func() {}
	if workDir == "" {
		workDir, err = os.MkdirTemp("", "mattranso-eval-")
		if err != nil {
			return nil, err
		}
		wd := workDir
		cleanup = func() { os.RemoveAll(wd) }
	}
	docs, ids := setDocuments(ds)
	set := &LoadedSet{Dataset: ds, Docs: map[string]*corpus.Document{}, corpusID: ids, cleanup: cleanup, questionOnly: o.QuestionOnly, teach: o.Teach, teachFrom: o.TeachFrom, teachQuestions: o.TeachQuestions}
	for _, d := range docs {
		set.Docs[d.ID] = d
	}
	idx, err := retrieval.OpenKeyword(filepath.Join(workDir, "keyword"))
	if err != nil {
		cleanup()
		return nil, err
	}
	set.Index, set.Searcher = idx, idx
	closers := []func(){func() { idx.Close() }}
	set.cleanup = func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
		cleanup()
	}
	for i := 0; i < len(docs); i += 8 {
		end := min(i+8, len(docs))
		if err := idx.Index(ctx, docs[i:end]...); err != nil {
			set.Close()
			return nil, err
		}
	}
	// Every question is answered from the index's memory snapshot, as
	// serve answers once it has started, not some from bleve meanwhile.
	if err := idx.WaitMemory(ctx); err != nil {
		set.Close()
		return nil, err
	}
	mode := o.Mode
	if mode == "" {
		mode = retrieval.ModeHybrid
	}
	if mode == retrieval.ModeKeyword {
		return set, nil
	}
	pairs, err := TrainingPairs(o.PairsFrom, o.Dataset)
	if err != nil {
		set.Close()
		return nil, err
	}
	sentences := 0
	if o.Library {
		ps, err := idx.Passages(ctx)
		if err != nil {
			set.Close()
			return nil, err
		}
		lib := retrieval.LibraryPairs(ps, set.lesson(ps))
		if o.Log != nil {
			o.Log("library: %d pseudo-questions teach the embedder (%s)", len(lib), set.lesson(ps).Name())
		}
		pairs = append(pairs, lib...)
		retrieval.SortPairs(pairs)
		sentences = retrieval.LibrarySentences
	}
	n := 1
	fold := folds(ds)
	if o.OwnFolds {
		if len(fold) < CrossFolds {
			set.Close()
			return nil, fmt.Errorf("eval: --own-folds: %s has %d judged questions, too few for %d folds", ds.Dir, len(fold), CrossFolds)
		}
		n = CrossFolds
	}
	var hs []*retrieval.Hybrid
	for f := range n {
		train := retrieval.TrainOptions{Supervised: pairs, Sentences: sentences}
		dir := filepath.Join(workDir, "vectors")
		if n > 1 {
			train.Supervised = append(ownPairs(ds, fold, f), pairs...)
			retrieval.SortPairs(train.Supervised)
			dir += fmt.Sprintf("-%d", f+1)
		}
		if o.Log != nil {
			if n > 1 {
				o.Log("embedder of fold %d/%d: %d question/article pairs", f+1, n, len(train.Supervised))
			}
			train.Progress = func(epoch int, loss float64) {
				if epoch > 0 {
					o.Log("embedder epoch %d: loss %.3f", epoch, loss)
				}
			}
		}
		v, emb, err := retrieval.BuildVectors(ctx, idx, dir, train)
		if err != nil {
			set.Close()
			return nil, err
		}
		closers = append(closers, func() { v.Close() })
		hs = append(hs, &retrieval.Hybrid{Keyword: idx, Vectors: v, Embedder: emb, Mode: mode})
	}
	set.hybrids = newFoldSearch(ds, hs)
	set.Searcher = set.hybrids
	if n == 1 {
		set.Searcher = hs[0]
	}
	if mode == retrieval.ModeHybrid {
		if err := set.setReranker(ctx, o.Reranker, o.Log); err != nil {
			set.Close()
			return nil, err
		}
	}
	return set, nil
}

// lesson is what the set's corpus teaches, made once.
func (s *LoadedSet) lesson(ps []corpus.Passage) retrieval.Lesson {
	if s.lessonOf == nil {
		l := retrieval.Teach(ps, s.teach)
		s.lessonOf = &l
	}
	return *s.lessonOf
}

// TrainingPairs reads the judged questions of BEIR sets with the text of
// their gold articles, skipping the set exclude (the one under evaluation;
// "" skips none). They are read as serve reads the pairs that teach the
// shipped embedder (retrieval.ReadTrainingPairs), so that the evaluated
// embedder learns as the shipped one does.
func TrainingPairs(dirs []string, exclude string) ([]retrieval.Pair, error) {
	ex, _ := filepath.Abs(exclude)
	var keep []string
	for _, dir := range dirs {
		if abs, _ := filepath.Abs(dir); abs != ex {
			keep = append(keep, dir)
		}
	}
	return retrieval.ReadTrainingPairs(keep...)
}

// SiblingSets lists the judged BEIR sets beside dataset (the directories
// of its parent holding queries.jsonl, corpus.jsonl and qrels/train.tsv),
// dataset itself left out: the sets whose training splits may teach the
// local embedder when dataset is evaluated.
func SiblingSets(dataset string) []string {
	self, _ := filepath.Abs(dataset)
	var out []string
	for _, dir := range retrieval.TrainingSets(filepath.Dir(self)) {
		if dir != self {
			out = append(out, dir)
		}
	}
	return out
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// Rank returns the set's corpus ids for a query, best first, at most n,
// and the returned set: the ids a system would cite (see returnedSet).
func (s *LoadedSet) Rank(ctx context.Context, text string, n int) (ranked, returned []string, err error) {
	return rankArticles(ctx, s.Searcher, s.corpusID, text, n)
}

// rankArticles asks a searcher and maps its passages to the set's
// articles, keeping each article's best passage.
func rankArticles(ctx context.Context, searcher retrieval.Searcher, corpusID map[string]string, text string, n int) (ranked, returned []string, err error) {
	res, err := searcher.Search(ctx, retrieval.Query{Text: text, Limit: retrieval.MaxLimit})
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	var scores []float64
	for _, h := range res.Hits {
		art, _, _ := strings.Cut(h.Anchor, "/")
		id := corpusID[h.DocID+"#"+art]
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		ranked = append(ranked, id)
		scores = append(scores, h.Score)
		if len(ranked) == n {
			break
		}
	}
	return ranked, returnedSet(ranked, scores), nil
}

// returnedSet keeps the top article and any close runner-up: ALQAC scores
// a set of articles, and most questions have a single one.
func returnedSet(ranked []string, scores []float64) []string {
	if len(ranked) == 0 {
		return nil
	}
	out := ranked[:1]
	for i := 1; i < len(ranked) && i < 3; i++ {
		if scores[0] > 0 && scores[i] >= 0.95*scores[0] {
			out = ranked[:i+1]
		}
	}
	return out
}

// Retrieval runs every judged query of the set and averages the metrics.
func Retrieval(ctx context.Context, opts RetrievalOptions) (Metrics, error) {
	set, err := LoadWith(ctx, opts)
	if err != nil {
		return Metrics{}, err
	}
	defer set.Close()
	m, err := set.RunRetrieval(ctx, opts)
	m.Reranker = set.Reranking
	return m, err
}

// RunRetrieval asks the judged queries of a loaded set.
func (s *LoadedSet) RunRetrieval(ctx context.Context, opts RetrievalOptions) (Metrics, error) {
	return runJudged(ctx, s.Dataset, opts, s.Rank)
}

// AblationRow is one line of an ablation: a mode, with or without the
// queries' diacritics.
type AblationRow struct {
	Mode            retrieval.Mode `json:"mode"`
	Reranker        string         `json:"reranker,omitempty"` // hybrid rows: which re-ranker, or "none"
	StripDiacritics bool           `json:"strip_diacritics"`
	Metrics
}

// Ablation loads a set once (keyword index, local embedder, vectors) and
// runs its queries in every mode, with and without diacritics.
func Ablation(ctx context.Context, o RetrievalOptions) ([]AblationRow, error) {
	o.Mode = retrieval.ModeHybrid
	set, err := LoadWith(ctx, o)
	if err != nil {
		return nil, err
	}
	defer set.Close()
	reranked, hs := set.Searcher, set.hybrids
	model := hs.hs[0].Reranker
	var rows []AblationRow
	steps := []struct {
		mode     retrieval.Mode
		reranked bool
	}{{retrieval.ModeKeyword, false}, {retrieval.ModeVector, false}, {retrieval.ModeHybrid, false}, {retrieval.ModeHybrid, true}}
	for _, st := range steps {
		hs.each(func(h *retrieval.Hybrid) { h.Mode, h.Reranker = st.mode, nil })
		set.Searcher = hs
		row := AblationRow{Mode: st.mode}
		if st.mode == retrieval.ModeHybrid {
			row.Reranker = RerankNone
		}
		if st.reranked {
			hs.each(func(h *retrieval.Hybrid) { h.Reranker = model })
			set.Searcher, row.Reranker = reranked, set.Reranking
		}
		for _, strip := range []bool{false, true} {
			run := o
			run.StripDiacritics = strip
			m, err := set.RunRetrieval(ctx, run)
			if err != nil {
				return nil, err
			}
			row.StripDiacritics, row.Metrics = strip, m
			rows = append(rows, row)
		}
	}
	return rows, nil
}
