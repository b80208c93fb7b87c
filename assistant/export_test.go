package assistant

import (
	"fmt"

	"github.com/mattranso/mattranso/retrieval"
)

// DebugSentences lists the reader's best sentences for q, for the harness.
func DebugSentences(q string, hits []retrieval.Hit, n int) []string {
	pq := parseQuestion(q)
	rk := rankSentences(pq, hits, DefaultReaderWeights)
	var out []string
	for _, i := range rk.order[:min(n, len(rk.order))] {
		st := rk.sents[i]
		h := hits[st.hit]
		out = append(out, fmt.Sprintf("hit %d (%.3f) score %.3f cover %.3f | %s", st.hit, h.Score/hits[0].Score, st.score, st.cover, clipText(h.Text[st.start:st.end], 110)))
	}
	return out
}

func clipText(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
