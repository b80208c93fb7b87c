package assistant

import (
	"regexp"
	"strings"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
)

// Segmentation: a passage cut along its numbered lines into segments,
// each with the anchor of its clause or point, and segments into
// sentences.

// sentence is a candidate sentence of a retrieved passage.
type sentence struct {
	hit        int
	anchor     string
	start, end int // bytes of the hit's Text
	toks       []corpus.Token
	segment    int // index of its segment in the hit
	listLead   bool
	lead       int // index of the sentence that leads in to its list, or -1
	score      float64
	cover      float64
	shared     float64
}

// segment is one numbered line (or the lead-in) of a passage.
type segment struct {
	anchor     string
	start, end int
	point      bool
	clause     bool // a numbered clause line "1. …"
}

var (
	reClauseLine = regexp.MustCompile(`^(\d+)\.\s`)
	rePointLine  = regexp.MustCompile(`^([a-zđ])\)\s`)
)

// segments cuts a passage's text along its numbered lines and gives each
// its anchor, read from the numbering: "2. …" under dieu-5 is dieu-5/khoan-2.
func segments(h retrieval.Hit) []segment {
	base := h.Anchor
	article := corpus.ArticleAnchor(base)
	inClause := strings.Contains(base, "/khoan-")
	clause := base
	var out []segment
	pos := 0
	for _, line := range strings.SplitAfter(h.Text, "\n") {
		start, end := pos, pos+len(strings.TrimRight(line, "\n"))
		pos += len(line)
		text := h.Text[start:end]
		if strings.TrimSpace(text) == "" {
			continue
		}
		anchor := clause
		point := false
		isClause := reClauseLine.MatchString(text)
		if base != "" {
			if m := reClauseLine.FindStringSubmatch(text); m != nil && !inClause {
				clause = corpus.ClauseAnchor(article, m[1])
				anchor = clause
			} else if m := rePointLine.FindStringSubmatch(text); m != nil {
				anchor = corpus.PointAnchor(clause, m[1])
				point = true
			} else if len(out) > 0 {
				anchor = out[len(out)-1].anchor
				point = out[len(out)-1].point
			}
		}
		out = append(out, segment{anchor: anchor, start: start, end: end, point: point, clause: isClause})
	}
	return out
}

// sentenceEnd matches where a sentence ends inside a line.
var sentenceEnd = regexp.MustCompile(`[.;:!?]\s+`)

func splitSentences(text string, start, end int) [][2]int {
	var out [][2]int
	s := text[start:end]
	prev := 0
	for _, m := range sentenceEnd.FindAllStringIndex(s, -1) {
		// "01.01.2020", "5.000.000" have no space after the dot; "Điều 5. " splits, which is fine.
		out = append(out, [2]int{start + prev, start + m[0] + 1})
		prev = m[1]
	}
	if prev < len(s) {
		out = append(out, [2]int{start + prev, end})
	}
	return out
}

// followingPointsAt returns the byte range of the point lines that follow
// segment i (a lead-in ending with ":") in the passage.
func followingPointsAt(segs []segment, i int) (int, int, bool) {
	j := i + 1
	for j < len(segs) && segs[j].point {
		j++
	}
	if j == i+1 {
		// Clauses "1. …", "2. …" after an article's lead-in are a list too.
		for j < len(segs) && segs[j].clause {
			j++
		}
	}
	if j == i+1 {
		return 0, 0, false
	}
	return segs[i+1].start, segs[j-1].end, true
}
