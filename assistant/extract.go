package assistant

import (
	"context"
	"fmt"
	"strings"

	"github.com/mattranso/mattranso/corpus"

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
	// cover is the share of the question's weight the chosen sentence
	// holds (with its lead-in and its passage's heading).
	cover float64
	kind  qkind
	// more are the next best clauses of other lines, for an open
	// question's answer.
	more []clause
}

// clause is a numbered line (or an article's text) quoted whole.
type clause struct {
	hit    int
	anchor string
	quote  string
}

// extract builds the extractive answer to q from hits. noArticle: the
// question names an article its law does not have.
func (s *Service) extract(ctx context.Context, q, query string, hits []retrieval.Hit, noArticle bool) Answer {
	if a, ok := procedureAnswer(ctx, s.docs, q, query, hits); ok {
		return a
	}
	ans := Answer{Mode: "extractive", Query: query, Citations: []Citation{}}
	e := chooseSpan(q, query, hits, s.reader)
	// A follow-up is weighed with the question it follows, as it was
	// searched.
	_, weighed := retrieval.DefaultThesaurus().Rewrite(query)
	ev := evidence(weighed, e, hits, noArticle)
	if weighed != query {
		// The thesaurus's words are a hint: a passage holding the
		// question's own words ("người chưa thành niên" where it read
		// "người dưới 18 tuổi") supports it as well.
		own := evidence(query, e, hits, noArticle)
		if own.Content > ev.Content {
			ev.Content, ev.Missing, ev.Words = own.Content, own.Missing, own.Words
		}
		if own.Pairs > 0 && (ev.Pairs == 0 || own.PairsHeld*ev.Pairs > ev.PairsHeld*own.Pairs) {
			ev.Pairs, ev.PairsHeld = own.Pairs, own.PairsHeld
		}
	}
	ans.Evidence = &ev
	if !e.supported || !ev.supported() {
		ans.Citations = related(hits)
		ans.Text = declineText(ans.Citations)
		return ans
	}
	h := hits[e.hit]
	anchor := s.checkAnchor(ctx, h, e.anchor)
	c := citationFor(1, h, anchor, e.quote)
	ans.Citations = []Citation{c}
	ans.Supported = true
	ans.Short = e.short
	if reliable(e.kind) {
		ans.Text = composeText(e.short, c)
		return ans
	}
	// An open question (vai trò, điều kiện, giấy tờ…) is answered by its
	// best clauses, each quoted once, not by a span cut from one of them.
	for _, m := range e.more {
		mh := hits[m.hit]
		ans.Citations = append(ans.Citations, citationFor(len(ans.Citations)+1, mh, s.checkAnchor(ctx, mh, m.anchor), m.quote))
	}
	ans.Text = composeClauses(ans.Citations)
	return ans
}

// reliable reports whether the reader's short answer to a question of
// kind k can stand as "Trả lời:": a number, an age, a duration or an
// amount, có/không, who or which body. Other spans are cut from a clause
// and read as fragments ("xem xét, quyết định").
func reliable(k qkind) bool {
	switch k {
	case kindNumber, kindYesNo, kindTrueFalse, kindAgent:
		return true
	}
	return false
}

// relatedShown is how many of the closest passages a declined answer
// shows as "có thể liên quan".
const relatedShown = 3

// related returns the first passages of distinct articles or procedures
// as citations of a declined answer: what the library holds nearest the
// question, quoted from their start.
func related(hits []retrieval.Hit) []Citation {
	out := []Citation{}
	seen := map[string]bool{}
	for _, h := range hits {
		art, _, _ := strings.Cut(h.Anchor, "/")
		if k := h.DocID + "#" + art; seen[k] {
			continue
		} else {
			seen[k] = true
		}
		out = append(out, citationFor(len(out)+1, h, h.Anchor, openingOf(h.Text, 240)))
		if len(out) == relatedShown {
			break
		}
	}
	return out
}

// openingOf returns the start of text, at most n characters, cut after a
// word: a verbatim run of the passage (a quote is always verbatim).
func openingOf(text string, n int) string {
	text = strings.TrimSpace(text)
	r := []rune(text)
	if len(r) <= n {
		return text
	}
	cut := string(r[:n])
	if i := strings.LastIndexByte(cut, ' '); i > 0 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:")
}

// declineText says plainly that the library holds no answer, and names
// the closest passages.
func declineText(cs []Citation) string {
	if len(cs) == 0 {
		return NoSupportText
	}
	var b strings.Builder
	b.WriteString(NoSupportText)
	b.WriteString("\n\nCó thể liên quan:")
	for _, c := range cs {
		fmt.Fprintf(&b, "\n[%d] %s", c.N, where(c))
	}
	return b.String()
}

// where names a citation: "Điều 8 Luật Hôn nhân và gia đình 2014".
func where(c Citation) string {
	if c.Title == "" {
		return c.Label
	}
	if c.Label == "" || c.Kind == corpus.KindProcedure {
		return c.Title
	}
	return c.Label + " " + c.Title
}

// composeClauses writes an open question's answer: each clause quoted
// once, best first.
func composeClauses(cs []Citation) string {
	var b strings.Builder
	for i, c := range cs {
		if i > 0 {
			b.WriteString("\n\n")
		}
		fmt.Fprintf(&b, "Theo %s: “%s” [%d]", where(c), strings.TrimSpace(c.Quote), c.N)
	}
	return b.String()
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
	// A short answer that is most of the quote would paste the clause
	// twice.
	if short != "" && short != quote && !(strings.Contains(quote, short) && 2*len(short) > len(quote)) {
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
