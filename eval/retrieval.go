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
	// WorkDir holds the temporary index; empty means a new temporary
	// directory, removed afterwards.
	WorkDir string
	// Progress, when set, is called after each query.
	Progress func(done, total int)
}

// LoadedSet is a dataset indexed with the default pipeline, ready to be
// asked: the retrieval and answer runners share it.
type LoadedSet struct {
	*Dataset
	Index *retrieval.Keyword
	Docs  map[string]*corpus.Document // by document id
	// corpusID maps a document id and article anchor to the set's corpus id.
	corpusID map[string]string
	cleanup  func()
}

// Close removes the temporary index.
func (s *LoadedSet) Close() { s.cleanup() }

// CorpusID returns the set's corpus id (LAW#ARTICLE) of a hit.
func (s *LoadedSet) CorpusID(h retrieval.Hit) string {
	art, _, _ := strings.Cut(h.Anchor, "/")
	return s.corpusID[h.DocID+"#"+art]
}

// Load reads a dataset and indexes its corpus in a temporary directory
// with the same documents, passages and index the library uses.
func Load(ctx context.Context, dir, split, workDir string) (*LoadedSet, error) {
	ds, err := LoadDataset(dir, split)
	if err != nil {
		return nil, err
	}
	cleanup := func() {}
	if workDir == "" {
		workDir, err = os.MkdirTemp("", "mattranso-eval-")
		if err != nil {
			return nil, err
		}
		wd := workDir
		cleanup = func() { os.RemoveAll(wd) }
	}
	set := &LoadedSet{Dataset: ds, Docs: map[string]*corpus.Document{}, corpusID: map[string]string{}, cleanup: cleanup}
	var order []string
	for _, c := range ds.Corpus {
		law := c.Metadata.LawID
		id := corpus.LawID("", law)
		if corpus.LooksLikeNumber(law) {
			id = corpus.LawID(law, "")
		}
		d, ok := set.Docs[id]
		if !ok {
			d = &corpus.Document{ID: id, Kind: corpus.KindLaw, Title: firstNonEmpty(c.Title, law)}
			if corpus.LooksLikeNumber(law) {
				d.Number = law
			}
			set.Docs[id] = d
			order = append(order, id)
		}
		text := c.Text
		art := corpus.ParseArticle(c.Metadata.ArticleID, text)
		if _, dup := set.corpusID[id+"#"+art.Anchor]; dup {
			continue
		}
		d.Nodes = append(d.Nodes, art)
		set.corpusID[id+"#"+art.Anchor] = c.ID
	}
	idx, err := retrieval.OpenKeyword(filepath.Join(workDir, "keyword"))
	if err != nil {
		cleanup()
		return nil, err
	}
	set.Index = idx
	prev := set.cleanup
	set.cleanup = func() { idx.Close(); prev() }
	docs := make([]*corpus.Document, 0, len(order))
	for _, id := range order {
		docs = append(docs, set.Docs[id])
	}
	for i := 0; i < len(docs); i += 8 {
		end := min(i+8, len(docs))
		if err := idx.Index(ctx, docs[i:end]...); err != nil {
			set.Close()
			return nil, err
		}
	}
	return set, nil
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
	res, err := s.Index.Search(ctx, retrieval.Query{Text: text, Limit: retrieval.MaxLimit})
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	var scores []float64
	for _, h := range res.Hits {
		id := s.CorpusID(h)
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
	set, err := Load(ctx, opts.Dataset, opts.Split, opts.WorkDir)
	if err != nil {
		return Metrics{}, err
	}
	defer set.Close()
	return set.RunRetrieval(ctx, opts)
}

// RunRetrieval asks the judged queries of a loaded set.
func (s *LoadedSet) RunRetrieval(ctx context.Context, opts RetrievalOptions) (Metrics, error) {
	var m Metrics
	var judged []QueryRec
	for _, q := range s.Queries {
		if len(s.Qrels[q.ID]) > 0 {
			judged = append(judged, q)
		}
	}
	if len(judged) == 0 {
		return m, fmt.Errorf("eval: no query of %s has a judgement in split %q", s.Dir, s.Split)
	}
	for i, q := range judged {
		text := q.Text
		if opts.StripDiacritics {
			text = corpus.Fold(text)
		}
		ranked, returned, err := s.Rank(ctx, text, 10)
		if err != nil {
			return m, fmt.Errorf("eval: query %s: %w", q.ID, err)
		}
		r1, r10, mrr, ndcg, f2 := scoreQuery(ranked, returned, s.Qrels[q.ID])
		m.RecallAt1 += r1
		m.RecallAt10 += r10
		m.MRRAt10 += mrr
		m.NDCGAt10 += ndcg
		m.F2 += f2
		if opts.Progress != nil {
			opts.Progress(i+1, len(judged))
		}
	}
	n := float64(len(judged))
	m.Queries = len(judged)
	m.RecallAt1 /= n
	m.RecallAt10 /= n
	m.MRRAt10 /= n
	m.NDCGAt10 /= n
	m.F2 /= n
	return m, nil
}
