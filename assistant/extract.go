package assistant

import (
	"context"
	"strings"

	"github.com/mattranso/mattranso/retrieval"
)

// The extractive answer works in three steps:
//
//  1. The retrieved passages are cut into segments along their numbered
//     lines ("1. …" a clause, "a) …" a point, each with its anchor), and
//     segments into sentences.
//  2. Sentences are ranked against the question: idf-weighted shared
//     syllables (idf over the retrieved sentences, so words every passage
//     shares count little), shared syllable pairs, and the passage's rank.
//  3. In the best sentences the answer span is the gap the question leaves:
//     the question's words around its question word ("bị phạt tù từ ___
//     năm", "nộp vào ___") are aligned with the sentence and the span
//     between them is scored, narrowed by the question's type (a number or
//     duration, a list of points, có/không, an agency, a definition).
//
// The passages are only ever data here: nothing in them is executed or
// followed, they are cut and scored like any other text.

// Thresholds of sufficient support, tuned so that questions about
// something else ("thời tiết hôm nay thế nào") are declined.
const (
	minCoverage     = 0.25 // share of the question's weight the sentence holds
	minSharedWeight = 1.2  // idf weight of the shared content syllables
)

// announced is added to the score of a lead-in that announces what the
// question asks for: more than any span score, so that it wins among the
// best-ranked sentences.
const announced = 100.0

// extraction is the chosen span.
type extraction struct {
	hit       int
	anchor    string
	quote     string // the sentence or lines quoted
	short     string
	supported bool
	score     float64
	sentStart int
	sentEnd   int
}

// extract builds the extractive answer to q from hits.
func (s *Service) extract(ctx context.Context, q, query string, hits []retrieval.Hit) Answer {
	ans := Answer{Mode: "extractive", Query: query, Citations: []Citation{}}
	e := chooseSpan(q, query, hits, s.reader)
	if !e.supported {
		ans.Text = NoSupportText
		return ans
	}
	h := hits[e.hit]
	anchor := s.checkAnchor(ctx, h, e.anchor)
	c := citationFor(1, h, anchor, e.quote)
	ans.Citations = []Citation{c}
	ans.Supported = true
	ans.Short = e.short
	ans.Text = composeText(e.short, c)
	return ans
}

// extractChoice builds the answer to a multiple-choice question: the key
// of the option chosen, and the sentence that supports it.
func (s *Service) extractChoice(ctx context.Context, q, query string, choices []Choice, hits []retrieval.Hit) Answer {
	ans := Answer{Mode: "extractive", Query: query, Citations: []Citation{}}
	o, e, ok := chooseOption(q, choices, hits, s.reader)
	if !ok {
		ans.Text = NoSupportText
		return ans
	}
	h := hits[e.hit]
	c := citationFor(1, h, s.checkAnchor(ctx, h, e.anchor), e.quote)
	ans.Citations = []Citation{c}
	ans.Supported = true
	ans.Short = o.Key
	ans.Text = composeText(o.Key+". "+o.Text, c)
	return ans
}

// composeText writes the extractive answer: the direct answer, then the
// quote it comes from.
func composeText(short string, c Citation) string {
	var b strings.Builder
	short = strings.TrimSpace(short)
	quote := strings.TrimSpace(c.Quote)
	where := c.Label
	if c.Title != "" {
		where += " " + c.Title
	}
	if short != "" && short != quote {
		b.WriteString("Trả lời: ")
		b.WriteString(short)
		b.WriteString(" [1].\n\n")
	}
	b.WriteString("Theo ")
	b.WriteString(where)
	b.WriteString(": “")
	b.WriteString(quote)
	b.WriteString("” [1]")
	return b.String()
}

// checkAnchor keeps a clause or point anchor read from the text only when
// the document has it; without Documents it is trusted.
func (s *Service) checkAnchor(ctx context.Context, h retrieval.Hit, anchor string) string {
	if anchor == "" || anchor == h.Anchor || s.docs == nil {
		return anchor
	}
	d, err := s.docs.Get(ctx, h.DocID)
	if err != nil || d == nil || d.Find(anchor) == nil {
		return h.Anchor
	}
	return anchor
}
