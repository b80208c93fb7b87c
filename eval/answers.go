package eval

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mattranso/mattranso/assistant"
	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
)

// AnswerMetrics are the figures of an answers run.
type AnswerMetrics struct {
	Queries          int     `json:"queries"`
	F1               float64 `json:"f1"`
	ExactMatch       float64 `json:"exact_match"`
	CitationAccuracy float64 `json:"citation_accuracy"`
	// Unsupported counts the questions the assistant declined.
	Unsupported int `json:"unsupported"`
	// AnsweredRate is the share of the answerable questions answered as
	// supported with a judged first citation.
	AnsweredRate float64 `json:"answered_rate"`
	// Unanswerable counts the questions a set marks as not answerable
	// from its library (metadata.answerable false); the two rates below
	// are over them, and absent when a set has none.
	Unanswerable int `json:"unanswerable,omitempty"`
	// AbstainRate is the share of the unanswerable questions declined.
	AbstainRate *float64 `json:"abstain_rate,omitempty"`
	// FalseSupport is the share of the unanswerable questions answered as
	// supported.
	FalseSupport *float64 `json:"false_support,omitempty"`
	// ByType breaks the figures down by metadata.question_type when the
	// set has one (alqac2025: Đúng/Sai, Trắc nghiệm, Tự luận).
	ByType map[string]*AnswerMetrics `json:"by_type,omitempty"`
	// Latency of one Ask (retrieval and extraction), over the questions
	// asked, in milliseconds; the whole run only.
	LatencyP50 float64 `json:"latency_ms_p50,omitempty"`
	LatencyP95 float64 `json:"latency_ms_p95,omitempty"`
	LatencyMax float64 `json:"latency_ms_max,omitempty"`
}

// AnswerResult is one question's outcome, for reports and debugging.
type AnswerResult struct {
	ID, Question, Gold, Short string
	F1, EM                    float64
	CitationOK                bool
	Supported                 bool
	// Answerable is false for a question the set marks as not answerable
	// from its library.
	Answerable bool
	Cited      string   // corpus id of the first citation
	Judged     []string // the corpus ids judged relevant, sorted
	Quote      string   // the quote of the first citation
	Took       time.Duration
}

// AnswersOptions configure an answers run.
type AnswersOptions struct {
	RetrievalOptions
	// Each, when set, receives every question's outcome.
	Each func(AnswerResult)
	// Half, when set, asks only the questions whose metadata.half it
	// names ("tune" or "check"): a library set is tuned on one half and
	// checked on the other.
	Half string
}

// Answers loads the set and asks every query that has a gold answer
// through the extractive assistant.
func Answers(ctx context.Context, o AnswersOptions) (AnswerMetrics, error) {
	set, err := LoadWith(ctx, o.RetrievalOptions)
	if err != nil {
		return AnswerMetrics{}, err
	}
	defer set.Close()
	return set.RunAnswers(ctx, assistant.New(assistant.Options{Searcher: set.Searcher, Documents: set}), o)
}

// Get returns a document of the set, for the assistant's anchor checks.
func (s *LoadedSet) Get(_ context.Context, id string) (*corpus.Document, error) {
	d, ok := s.Docs[id]
	if !ok {
		return nil, fmt.Errorf("eval: document %q: %w", id, corpus.ErrNotFound)
	}
	return d, nil
}

// RunAnswers asks the set's answered queries through a.
func (s *LoadedSet) RunAnswers(ctx context.Context, a assistant.Asker, o AnswersOptions) (AnswerMetrics, error) {
	return runAnswers(ctx, s.Dataset, a, o, func(c assistant.Citation) string {
		return s.CorpusID(retrieval.Hit{DocID: c.ID, Anchor: c.Anchor})
	})
}

// LibraryAnswers asks the questions of a set written against the library
// itself (queries.jsonl and qrels/, no corpus.jsonl) through a, which
// answers from the ingested library; citations are judged by LibraryID.
func LibraryAnswers(ctx context.Context, ds *Dataset, a assistant.Asker, o AnswersOptions) (AnswerMetrics, error) {
	return runAnswers(ctx, ds, a, o, LibraryID)
}

// LibraryID is the id a library set judges a citation by: "DOC#N" for
// article N of a law (clause and point dropped: the article answers), the
// document id for a procedure.
func LibraryID(c assistant.Citation) string {
	if c.Kind == corpus.KindProcedure {
		return c.ID
	}
	art, _, _ := strings.Cut(c.Anchor, "/")
	n, ok := strings.CutPrefix(art, "dieu-")
	if !ok {
		return c.ID
	}
	return c.ID + "#" + n
}

// Answerable reports whether the set marks the query as answerable from
// its library: metadata.answerable, true when absent.
func (q QueryRec) Answerable() bool {
	v, ok := q.Metadata["answerable"].(bool)
	return !ok || v
}

// asked reports whether an answers run asks q: it has a gold answer, or
// says whether it is answerable (a library set's open questions have no
// short gold answer, its unanswerable ones none at all).
func (q QueryRec) asked(half string) bool {
	if h, _ := q.Metadata["half"].(string); half != "" && h != half {
		return false
	}
	_, marked := q.Metadata["answerable"].(bool)
	return marked || strings.TrimSpace(q.Answer()) != ""
}

// answerCounts are the denominators of AnswerMetrics' shares.
type answerCounts struct {
	gold, answerable, abstained, falseSupport int
}

func runAnswers(ctx context.Context, ds *Dataset, a assistant.Asker, o AnswersOptions, cited func(assistant.Citation) string) (AnswerMetrics, error) {
	m := AnswerMetrics{ByType: map[string]*AnswerMetrics{}}
	counts := map[*AnswerMetrics]*answerCounts{&m: {}}
	var lat []time.Duration
	for i, q := range ds.Queries {
		if !q.asked(o.Half) {
			continue
		}
		gold := q.Answer()
		text := q.Text
		if o.StripDiacritics {
			text = corpus.Fold(text)
		}
		start := time.Now()
		ans, err := a.Ask(ctx, assistant.Request{Question: text, Choices: choices(q)})
		took := time.Since(start)
		if err != nil {
			return m, fmt.Errorf("eval: query %s: %w", q.ID, err)
		}
		lat = append(lat, took)
		r := AnswerResult{ID: q.ID, Question: q.Text, Gold: gold, Short: ans.Short, Took: took, Supported: ans.Supported, Answerable: q.Answerable()}
		for id := range ds.Qrels[q.ID] {
			r.Judged = append(r.Judged, id)
		}
		slices.Sort(r.Judged)
		r.F1, r.EM = F1(ans.Short, gold), ExactMatch(ans.Short, gold)
		if len(ans.Citations) > 0 {
			c := ans.Citations[0]
			r.Quote = c.Quote
			r.Cited = cited(c)
			r.CitationOK = ds.Qrels[q.ID][r.Cited] > 0
		}
		typ, _ := q.Metadata["question_type"].(string)
		for _, acc := range []*AnswerMetrics{&m, m.typed(typ)} {
			if acc == nil {
				continue
			}
			n := counts[acc]
			if n == nil {
				n = &answerCounts{}
				counts[acc] = n
			}
			acc.Queries++
			if strings.TrimSpace(gold) != "" {
				n.gold++
				acc.F1 += r.F1
				acc.ExactMatch += r.EM
			}
			if !ans.Supported {
				acc.Unsupported++
			}
			if !r.Answerable {
				acc.Unanswerable++
				if ans.Supported {
					n.falseSupport++
				} else {
					n.abstained++
				}
				continue
			}
			n.answerable++
			if r.CitationOK {
				acc.CitationAccuracy++
				if ans.Supported {
					acc.AnsweredRate++
				}
			}
		}
		if o.Each != nil {
			o.Each(r)
		}
		if o.Progress != nil {
			o.Progress(i+1, len(ds.Queries))
		}
	}
	if m.Queries == 0 {
		return m, fmt.Errorf("eval: no query of %s has a metadata.answer or metadata.answerable", ds.Dir)
	}
	for acc, n := range counts {
		acc.F1 = meanOf(acc.F1, n.gold)
		acc.ExactMatch = meanOf(acc.ExactMatch, n.gold)
		acc.CitationAccuracy = meanOf(acc.CitationAccuracy, n.answerable)
		acc.AnsweredRate = meanOf(acc.AnsweredRate, n.answerable)
		if acc.Unanswerable > 0 {
			abstain, falseSupport := meanOf(float64(n.abstained), acc.Unanswerable), meanOf(float64(n.falseSupport), acc.Unanswerable)
			acc.AbstainRate, acc.FalseSupport = &abstain, &falseSupport
		}
	}
	if len(m.ByType) == 0 {
		m.ByType = nil
	}
	m.LatencyP50, m.LatencyP95, m.LatencyMax = LatencyMS(lat)
	return m, nil
}

// meanOf divides a sum by a count, 0 for none.
func meanOf(sum float64, n int) float64 {
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// SearchText is the text a judged query is searched with: its question,
// and for a multiple-choice question its options too, exactly as the
// assistant searches it (assistant.SearchText), cut to what a search
// accepts.
func (q QueryRec) SearchText() string {
	t := assistant.SearchText(q.Text, choices(q))
	if utf8.RuneCountInString(t) > retrieval.MaxQueryLen {
		t = string([]rune(t)[:retrieval.MaxQueryLen])
	}
	return t
}

// choices reads metadata.choices ({"A": "…", "B": "…"}) in key order.
func choices(q QueryRec) []assistant.Choice {
	m, _ := q.Metadata["choices"].(map[string]any)
	var out []assistant.Choice
	for k, v := range m {
		if t, ok := v.(string); ok && strings.TrimSpace(t) != "" {
			out = append(out, assistant.Choice{Key: k, Text: t})
		}
	}
	slices.SortFunc(out, func(a, b assistant.Choice) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// LatencyMS returns the median, the 95th percentile (nearest rank) and
// the maximum of the durations, in milliseconds; zeros for none.
func LatencyMS(d []time.Duration) (p50, p95, worst float64) {
	if len(d) == 0 {
		return 0, 0, 0
	}
	d = slices.Clone(d)
	slices.Sort(d)
	at := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(d)))) - 1
		return float64(d[min(max(i, 0), len(d)-1)].Microseconds()) / 1000
	}
	return at(0.50), at(0.95), float64(d[len(d)-1].Microseconds()) / 1000
}

func (m *AnswerMetrics) typed(t string) *AnswerMetrics {
	if t == "" {
		return nil
	}
	if m.ByType[t] == nil {
		m.ByType[t] = &AnswerMetrics{}
	}
	return m.ByType[t]
}

// AnswerTokens normalises an answer the SQuAD way, adapted to Vietnamese:
// NFC, lower case, punctuation removed, split on white space. Diacritics
// are kept: "năm" and "nam" are different words.
func AnswerTokens(s string) []string {
	s = strings.ToLower(corpus.NFC(s))
	s = strings.Map(func(r rune) rune {
		if unicode.IsPunct(r) || unicode.IsSymbol(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Fields(s)
}

// F1 is the SQuAD token F1 of a predicted answer against a gold one.
func F1(pred, gold string) float64 {
	p, g := AnswerTokens(pred), AnswerTokens(gold)
	if len(p) == 0 || len(g) == 0 {
		if len(p) == len(g) {
			return 1
		}
		return 0
	}
	count := map[string]int{}
	for _, t := range g {
		count[t]++
	}
	same := 0
	for _, t := range p {
		if count[t] > 0 {
			count[t]--
			same++
		}
	}
	if same == 0 {
		return 0
	}
	prec := float64(same) / float64(len(p))
	rec := float64(same) / float64(len(g))
	return 2 * prec * rec / (prec + rec)
}

// ExactMatch is 1 when the normalised answers are equal.
func ExactMatch(pred, gold string) float64 {
	if strings.Join(AnswerTokens(pred), " ") == strings.Join(AnswerTokens(gold), " ") {
		return 1
	}
	return 0
}
