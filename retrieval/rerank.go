package retrieval

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
)

// The re-ranking stage. Fusion ranks passages by two scores; it cannot see
// whether the question's phrases occur together in one sentence of a
// passage, whether the article heading names what is asked, or whether
// the neighbours in the list come from the same law. The re-ranker looks
// at the first RerankDepth fused passages again with such features and
// orders them by a linear model learned from judged questions (pairwise
// logistic regression: a relevant passage should score above each
// irrelevant one of the same question).
//
// By default the model is taught by the library itself (TeachReranker:
// its pseudo-questions) and kept in the data directory; the binary embeds
// none. reranker-competition.json, beside this file, is a model trained on
// the competition sets' judged questions, for research and evaluation
// only (their terms allow no more); it is read from its path, never built
// in, and is trained by
//
//	mattranso eval train-reranker --out retrieval/reranker-competition.json \
//	    --dataset ../shared/eval/alqac2025 --dataset ../shared/eval/alqac2022 --dataset ../shared/eval/vlsp2023
//
// It records which questions it saw, so that `eval retrieval` never scores
// a question with a model that was trained on it (see
// eval.RetrievalOptions.Reranker). PROVENANCE.md says what each model file
// of this package learned from.

// RerankDepth is how many articles' fused passages the re-ranker orders;
// the rest keep their fused order below them. 20 ranks as well as 30, 60
// or 100 on the dev sets (deeper lists add noise, not answers) and costs a
// third less than 30.
const RerankDepth = 20

// RerankVersion names the feature set; a model trained on another one is
// refused.
const RerankVersion = "rerank-5"

// rerankFeatures are the features, in the order of a model's weights.
var rerankFeatures = []string{
	"keyword",          // keyword score / best keyword score
	"vector",           // vector score scaled 0..1 over the vector list
	"keyword_rr",       // 1/(1+rank) in the keyword list, 0 if absent
	"vector_rr",        // 1/(1+rank) in the vector list, 0 if absent
	"fused",            // the fused score
	"fused_rr",         // 1/(1+rank) in the fused list
	"cover",            // idf share of the query's words found in the passage
	"cover_bigram",     // idf share of the query's word pairs found in the passage
	"sentence_cover",   // the same for the best single sentence
	"sentence_bigram",  // … and word pairs in the best single sentence
	"heading_cover",    // idf share of the query's words found in the heading
	"heading_share",    // share of the heading's words found in the query
	"longest_run",      // longest run of consecutive query word pairs in the passage, per query word
	"length",           // log(1 + words of the text)
	"same_document",    // share of the first ten fused passages from the same document
	"document_named",   // every word of the document title occurs in the query
	"article_passages", // log(1 + fused passages of the same article)
	"article_cover",    // idf share of the query's words in the article's passages among the first ones
	"article_bigram",   // … and of its word pairs
	"heading_phrase",   // longest stretch of the heading's name found word for word in the query, per heading word
	"heading_whole",    // the heading's name (two words or more) occurs word for word in the query
	"defines",          // idf share of the query's words in a phrase of the query the passage defines ("X là …")
	"defines_asked",    // the same, when the question asks what something means ("là gì", "được hiểu", "định nghĩa")
	"law_year",         // the question gives the law a year one of its names holds ("Bộ luật Dân sự 2015", "91/2015/QH13")
	"law_year_other",   // the question gives laws years, this law's names hold only others (see lawyear.go)
}

// Reranker is a trained re-ranking model.
type Reranker struct {
	Version  string    `json:"version"`
	Features []string  `json:"features"`
	Weights  []float64 `json:"weights"`
	// TrainedOn lists the judged question sets the model learned from.
	TrainedOn []TrainedSet `json:"trained_on"`
}

// TrainedSet identifies a set of judged questions a model learned from.
type TrainedSet struct {
	Name    string `json:"name"`
	Queries int    `json:"queries"`
	// Digest is a hash of the questions and their judgements (see
	// eval.QuestionsDigest): the same questions under another name are
	// still recognised.
	Digest string `json:"digest"`
}

// ReadReranker reads a model file.
func ReadReranker(path string) (*Reranker, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseReranker(b)
}

// ParseReranker reads a model and checks it fits this feature set.
func ParseReranker(b []byte) (*Reranker, error) {
	var r Reranker
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("retrieval: read re-ranker: %w", err)
	}
	if r.Version != RerankVersion || !slices.Equal(r.Features, rerankFeatures) {
		return nil, fmt.Errorf("retrieval: re-ranker %q was trained for other features than %s; retrain it (mattranso eval train-reranker)", r.Version, RerankVersion)
	}
	if len(r.Weights) != len(rerankFeatures) {
		return nil, fmt.Errorf("retrieval: re-ranker has %d weights for %d features", len(r.Weights), len(rerankFeatures))
	}
	for _, w := range r.Weights {
		if math.IsNaN(w) || math.IsInf(w, 0) {
			return nil, errors.New("retrieval: re-ranker has a weight that is not a number")
		}
	}
	return &r, nil
}

// Marshal writes the model as indented JSON.
func (r *Reranker) Marshal() ([]byte, error) {
	return json.MarshalIndent(r, "", "  ")
}

// Candidate is a fused passage with its re-ranking features.
type Candidate struct {
	Hit      Hit
	Features []float64
}

// Candidates are what a hybrid search found before re-ranking: looked-up
// passages (always first), the first RerankDepth fused passages with
// their features, and the rest in fused order.
type Candidates struct {
	Lookups []Hit
	Top     []Candidate
	Rest    []Hit
}

// Rank orders the candidates: look-ups first, then the top passages by
// the model (r nil: in fused order), then the rest. A re-ranked passage
// scores e^(s - best s) by the model: the first scores 1 and a passage
// the model nearly ties with it scores close to 1; the rest score below
// the lowest re-ranked one.
func (r *Reranker) Rank(c Candidates) []Hit {
	rest := restHits{hits: c.Rest}
	out := make([]Hit, 0, len(c.Lookups)+len(c.Top)+rest.len())
	out, _ = r.rankInto(out, c.Lookups, c.Top, rest, 0, cap(out))
	return out
}

// restHits are the candidates below the re-ranked ones, in fused order:
// a Candidates' Rest, or the fused list itself, read in place. A search
// shows a page of its few hundred candidates: copying all of them into
// Rest, and again into Rank's answer, only to show ten was a sixth of
// what it allocated.
type restHits struct {
	hits  []Hit      // when set, fused is nil
	fused []fusedHit // when set, hits is nil
}

func (r restHits) len() int { return len(r.hits) + len(r.fused) }

func (r restHits) at(i int) *Hit {
	if r.fused != nil {
		return &r.fused[i].Hit
	}
	return &r.hits[i]
}

// clone returns the rest as a Candidates' Rest: nil when there is none.
func (r restHits) clone() []Hit {
	if r.fused == nil {
		return r.hits
	}
	if len(r.fused) == 0 {
		return nil
	}
	out := make([]Hit, len(r.fused))
	for i := range r.fused {
		out[i] = r.fused[i].Hit
	}
	return out
}

// rankInto appends to out the hits Rank would return at places offset to
// offset+limit (not beyond the last), and returns out and how many
// candidates there are in all: Rank's page, without making the rest of
// its answer.
func (r *Reranker) rankInto(out []Hit, lookups []Hit, top []Candidate, rest restHits, offset, limit int) ([]Hit, int) {
	total := len(lookups) + len(top) + rest.len()
	end := total
	if limit < total-offset {
		end = offset + limit
	}
	if out == nil && end > offset {
		out = make([]Hit, 0, end-offset)
	}
	place := 0
	emit := func(h *Hit) {
		if place >= offset && place < end {
			out = append(out, *h)
		}
		place++
	}
	for i := range lookups {
		emit(&lookups[i])
	}
	// The top passages' scores by the model, and their order by them: the
	// indexes are sorted rather than the hits, which are large.
	scores := make([]float64, len(top))
	order := make([]int, len(top))
	best := math.Inf(-1)
	for i := range top {
		order[i] = i
		scores[i] = top[i].Hit.Score
		if r != nil {
			scores[i] = r.score(top[i].Features)
			best = max(best, scores[i])
		}
	}
	if r != nil {
		for i := range scores {
			scores[i] = math.Exp(scores[i] - best)
		}
		slices.SortStableFunc(order, func(a, b int) int {
			// Higher scores first; stable, so that ties keep the fused order.
			if scores[a] > scores[b] {
				return -1
			}
			if scores[b] > scores[a] {
				return 1
			}
			return 0
		})
	}
	for _, i := range order {
		h := top[i].Hit
		h.Score = scores[i]
		emit(&h)
	}
	floor := math.Inf(1)
	if n := len(order); n > 0 {
		floor = scores[order[n-1]]
	}
	for i := 0; i < rest.len() && place < end; i++ {
		h := rest.at(i)
		if r != nil && h.Score >= floor {
			lowered := *h
			lowered.Score = floor * 0.999
			floor = lowered.Score
			h = &lowered
		}
		emit(h)
	}
	return out, total
}

// score is the model's linear score of a feature vector.
func (r *Reranker) score(f []float64) float64 {
	var s float64
	for i, w := range r.Weights {
		s += w * f[i]
	}
	return s
}

// fusedHit is a passage of the fused list with what each side said of it.
type fusedHit struct {
	Hit
	keyword, vector     float64 // scaled scores, 0 if the side did not find it
	keywordRR, vectorRR float64 // 1/(1+rank), 0 if absent
	rank                int     // in the fused list
}
