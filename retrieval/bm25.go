package retrieval

import (
	"context"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/blevesearch/bleve/v2/analysis"
	index "github.com/blevesearch/bleve_index_api"
)

// Ranking is two-stage. Bleve finds the candidates (its disjunction
// scoring multiplies by the share of query terms matched and counts the
// idf twice, which ranks long passages full of common words too high);
// the candidates are then scored with BM25F-style weighted BM25 over the
// fields, from term counts stored with each passage and collection
// statistics kept beside the index.

// rankFields are the scored fields, in the order their counts are stored.
var rankFields = []string{"title", "heading", "text", "context"}

var statsKey = []byte("mattranso_stats")

// BM25 parameters.
var (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// candidates is how many passages the first stage hands to the second.
const candidates = 200

// fieldStats are the collection statistics BM25 needs.
type fieldStats struct {
	Passages int64   `json:"passages"`
	Len      []int64 `json:"len"` // total terms per rank field
}

func (s *fieldStats) add(lens []int, sign int64) {
	if len(s.Len) != len(rankFields) {
		s.Len = make([]int64, len(rankFields))
	}
	s.Passages += sign
	for i, l := range lens {
		s.Len[i] += sign * int64(l)
	}
}

func (s fieldStats) avg(i int) float64 {
	if s.Passages <= 0 || len(s.Len) <= i || s.Len[i] <= 0 {
		return 1
	}
	return float64(s.Len[i]) / float64(s.Passages)
}

func (s fieldStats) encode() []byte {
	b, _ := json.Marshal(s)
	return b
}

// termCounts analyses each rank field of a passage and encodes the counts:
// one line per field, "LEN term:count term:count…".
func termCounts(fields []string) (blob string, lens []int) {
	var b strings.Builder
	lens = make([]int, len(fields))
	for i, f := range fields {
		counts := map[string]int{}
		n := 0
		for _, t := range (viTokenizer{}).Tokenize([]byte(f)) {
			counts[string(t.Term)]++
			if t.Type != analysis.Shingle {
				n++
			}
		}
		lens[i] = n
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(strconv.Itoa(n))
		for t, c := range counts {
			b.WriteByte(' ')
			b.WriteString(t)
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(c))
		}
	}
	return b.String(), lens
}

// decodeLens reads the field lengths of a stored blob.
func decodeLens(blob string) []int {
	lines := strings.Split(blob, "\n")
	lens := make([]int, len(rankFields))
	for i := range lens {
		if i < len(lines) {
			n, _, _ := strings.Cut(lines[i], " ")
			lens[i], _ = strconv.Atoi(n)
		}
	}
	return lens
}

// tfIn returns the counts of the wanted terms in each field of a blob.
func tfIn(blob string, want map[string]int) (tf [][]float64, lens []int) {
	lines := strings.Split(blob, "\n")
	tf = make([][]float64, len(rankFields))
	lens = make([]int, len(rankFields))
	for i := range rankFields {
		tf[i] = make([]float64, len(want))
		if i >= len(lines) {
			continue
		}
		parts := strings.Split(lines[i], " ")
		lens[i], _ = strconv.Atoi(parts[0])
		for _, p := range parts[1:] {
			j := strings.LastIndexByte(p, ':')
			if j < 0 {
				continue
			}
			if slot, ok := want[p[:j]]; ok {
				c, _ := strconv.Atoi(p[j+1:])
				tf[i][slot] = float64(c)
			}
		}
	}
	return tf, lens
}

// queryTerm is a term of the query with its weight.
type queryTerm struct {
	term   string
	weight float64 // bigrams weigh bigramBoost
}

// rescore scores candidates with weighted BM25 and sorts them.
func (k *Keyword) rescore(ctx context.Context, reader index.IndexReader, terms []queryTerm, hits []scored) error {
	k.mu.RLock()
	st := k.stats
	k.mu.RUnlock()
	n := float64(st.Passages)
	if n <= 0 {
		return nil
	}
	want := map[string]int{}
	for i, t := range terms {
		want[t.term] = i
	}
	// idf per field and term.
	idf := make([][]float64, len(rankFields))
	for f, field := range rankFields {
		idf[f] = make([]float64, len(terms))
		for i, t := range terms {
			tfr, err := reader.TermFieldReader(ctx, []byte(t.term), field, false, false, false)
			if err != nil {
				return err
			}
			df := float64(tfr.Count())
			tfr.Close()
			if df > 0 {
				idf[f][i] = math.Log(1 + (n-df+0.5)/(df+0.5))
			}
		}
	}
	for h := range hits {
		tf, lens := tfIn(hits[h].blob, want)
		var score float64
		for f := range rankFields {
			w := fieldWeight(rankFields[f])
			if w == 0 {
				continue
			}
			norm := 1 - bm25B + bm25B*float64(lens[f])/st.avg(f)
			for i, t := range terms {
				x := tf[f][i]
				if x == 0 || idf[f][i] == 0 {
					continue
				}
				score += w * t.weight * idf[f][i] * x * (bm25K1 + 1) / (x + bm25K1*norm)
			}
		}
		hits[h].score = score
	}
	sortScored(hits)
	return nil
}

// sortScored sorts candidates best first, ties by id.
func sortScored(hits []scored) { sort.Sort(byScore(hits)) }

// byScore orders candidates as sortScored does. A sort.Interface rather
// than sort.Slice's function: swapping through reflection made sorting
// the few hundred candidates of every search twice as slow.
type byScore []scored

func (s byScore) Len() int      { return len(s) }
func (s byScore) Swap(i, j int) { s[i], s[j] = s[j], s[i] }
func (s byScore) Less(i, j int) bool {
	if s[i].score != s[j].score {
		return s[i].score > s[j].score
	}
	return s[i].id < s[j].id
}

func fieldWeight(field string) float64 {
	for _, fb := range fieldBoosts {
		if fb.field == field {
			return fb.boost
		}
	}
	return 0
}

type scored struct {
	id     string
	score  float64
	docID  string
	fields map[string]interface{} // from bleve
	blob   string
	doc    *memDoc // from memory
	// unsure marks a candidate of the memory path that bleve may or may
	// not have kept, its score tying with the last one kept.
	unsure bool
}
