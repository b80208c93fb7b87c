package eval

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/internal/testenv"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestScoreQuery(t *testing.T) {
	rel := map[string]int{"a": 1, "b": 1}
	cases := []struct {
		name                   string
		ranked, returned       []string
		r1, r10, mrr, ndcg, f2 float64
	}{
		{"perfect", []string{"a", "b", "c"}, []string{"a", "b"}, 0.5, 1, 1, 1, 1},
		{"second", []string{"c", "a"}, []string{"c"}, 0, 0.5, 0.5, (1 / math.Log2(3)) / (1 + 1/math.Log2(3)), 0},
		{"miss", []string{"c", "d"}, []string{"c"}, 0, 0, 0, 0, 0},
		// One of two relevant returned alone: P=1, R=0.5, F2 = 5PR/(4P+R).
		{"half", []string{"a", "c"}, []string{"a"}, 0.5, 0.5, 1, 1 / (1 + 1/math.Log2(3)), 5 * 0.5 / 4.5},
		{"beyond ten", []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "a"}, nil, 0, 0, 0, 0, 0},
	}
	for _, c := range cases {
		r1, r10, mrr, ndcg, f2 := scoreQuery(c.ranked, c.returned, rel)
		if !near(r1, c.r1) || !near(r10, c.r10) || !near(mrr, c.mrr) || !near(ndcg, c.ndcg) || !near(f2, c.f2) {
			t.Errorf("%s: got r1=%.3f r10=%.3f mrr=%.3f ndcg=%.3f f2=%.3f, want %.3f %.3f %.3f %.3f %.3f",
				c.name, r1, r10, mrr, ndcg, f2, c.r1, c.r10, c.mrr, c.ndcg, c.f2)
		}
	}
}

func TestLoadDatasetErrors(t *testing.T) {
	if _, err := LoadDataset(t.TempDir(), ""); err == nil {
		t.Error("a folder without qrels must be an error")
	}
}

// The retrieval runner on a real set: it must find most gold articles; the
// figures themselves go to EVAL.md.
func TestRetrievalOnVLSP(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes a whole evaluation set")
	}
	dir := testenv.SharedPath(t, "eval", "vlsp2023")
	m, err := Retrieval(context.Background(), RetrievalOptions{Dataset: dir})
	if err != nil {
		t.Fatal(err)
	}
	if m.Queries != 70 {
		t.Errorf("queries = %d, want 70", m.Queries)
	}
	if m.RecallAt10 < 0.9 || m.MRRAt10 < 0.85 {
		t.Errorf("vlsp2023: %+v; hybrid search should find the gold article", m)
	}
	// By default the set's corpus teaches the re-ranker.
	if m.Reranker != RerankLibrary {
		t.Errorf("default re-ranker %q, want %q", m.Reranker, RerankLibrary)
	}
	// The competition re-ranker learned from these questions: the run must
	// have cross-fitted instead of using it.
	c, err := Retrieval(context.Background(), RetrievalOptions{Dataset: dir, Reranker: RerankCompetition, PairsFrom: SiblingSets(dir)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.Reranker, "cross-fitted") || c.MRRAt10 < 0.85 {
		t.Errorf("competition: %+v; want cross-fitted on a set the competition model learned from", c)
	}
}

// Each sees every judged query with where its first relevant article
// ranked; unjudged queries are not asked.
func TestRunJudgedReportsEachQuery(t *testing.T) {
	ds := &Dataset{
		Queries: []QueryRec{{ID: "q1", Text: "một"}, {ID: "q2", Text: "hai"}, {ID: "q3", Text: "ba"}},
		Qrels:   map[string]map[string]int{"q1": {"L#2": 1}, "q2": {"L#9": 1, "L#8": 1}},
	}
	rank := func(_ context.Context, text string, n int) ([]string, []string, error) {
		if text == "một" {
			return []string{"L#1", "L#2", "L#3"}, nil, nil
		}
		return []string{"L#1"}, nil, nil
	}
	var got []QueryOutcome
	if _, err := runJudged(context.Background(), ds, RetrievalOptions{Each: func(o QueryOutcome) { got = append(got, o) }}, rank); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("outcomes = %+v; want q1 and q2", got)
	}
	if got[0].ID != "q1" || got[0].Rank != 2 || strings.Join(got[0].Judged, ",") != "L#2" || len(got[0].Ranked) != 3 {
		t.Errorf("q1: %+v; want ranked 2nd", got[0])
	}
	if got[1].ID != "q2" || got[1].Rank != 0 || strings.Join(got[1].Judged, ",") != "L#8,L#9" {
		t.Errorf("q2: %+v; want not found, two judged sorted", got[1])
	}
}

// Below the first ten, Each still gives the judged article's place (up to
// OutcomeDepth), while the metrics count the first ten only.
func TestRunJudgedPlacesBelowTheFirstTen(t *testing.T) {
	ds := &Dataset{
		Queries: []QueryRec{{ID: "q1", Text: "một"}},
		Qrels:   map[string]map[string]int{"q1": {"L#13": 1}},
	}
	rank := func(_ context.Context, _ string, n int) ([]string, []string, error) {
		var out []string
		for i := 1; i <= n; i++ {
			out = append(out, fmt.Sprintf("L#%d", i))
		}
		return out, out[:1], nil
	}
	var got QueryOutcome
	m, err := runJudged(context.Background(), ds, RetrievalOptions{Each: func(o QueryOutcome) { got = o }}, rank)
	if err != nil {
		t.Fatal(err)
	}
	if got.Rank != 13 || len(got.Ranked) != 10 {
		t.Errorf("outcome: rank %d with %d shown; want 13 with the first 10", got.Rank, len(got.Ranked))
	}
	if m.RecallAt10 != 0 || m.MRRAt10 != 0 {
		t.Errorf("metrics counted a place below ten: %+v", m)
	}
	plain, err := runJudged(context.Background(), ds, RetrievalOptions{}, rank)
	if err != nil || plain != m {
		t.Errorf("metrics with Each %+v differ from without %+v (%v)", m, plain, err)
	}
}
