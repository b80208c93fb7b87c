package eval

import (
	"context"
	"math"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mattranso/mattranso/assistant"
	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/retrieval"
)

func TestAnswerScores(t *testing.T) {
	tests := []struct {
		pred, gold string
		f1, em     float64
	}{
		{"16 tuổi", "16 tuổi.", 1, 1},
		{"từ 01 năm đến 05 năm", "01 năm đến 05 năm", 2 * (5.0 / 6) * 1 / (5.0/6 + 1), 0},
		{"Ngân sách Nhà nước", "ngân sách nhà nước", 1, 1},
		{"tù chung thân", "tử hình", 0, 0},
		{"", "có", 0, 0},
	}
	for _, tt := range tests {
		if f1 := F1(tt.pred, tt.gold); math.Abs(f1-tt.f1) > 1e-9 {
			t.Errorf("F1(%q, %q) = %v, want %v", tt.pred, tt.gold, f1, tt.f1)
		}
		if em := ExactMatch(tt.pred, tt.gold); em != tt.em {
			t.Errorf("ExactMatch(%q, %q) = %v, want %v", tt.pred, tt.gold, em, tt.em)
		}
	}
}

func TestAnswersTinySet(t *testing.T) {
	var seen []AnswerResult
	m, err := Answers(context.Background(), AnswersOptions{
		RetrievalOptions: RetrievalOptions{Dataset: "testdata/answers-tiny", WorkDir: t.TempDir(), Mode: retrieval.ModeKeyword},
		Each:             func(r AnswerResult) { seen = append(seen, r) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.Queries != 3 || len(seen) != 3 {
		t.Fatalf("queries = %d, want the 3 with an answer", m.Queries)
	}
	if m.CitationAccuracy != 1 || m.F1 < 0.9 || m.ExactMatch < 0.6 {
		t.Errorf("metrics %+v; answers %+v", m, seen)
	}
}

// BenchmarkAskALQAC2022 measures extractive Ask latency on the alqac2022
// corpus (1,377 articles) indexed with the default pipeline, and reports
// the p95 over the set's questions. The set's path comes from
// MATTRANSO_ALQAC2022 (default eval/alqac2022 in the shared data).
func BenchmarkAskALQAC2022(b *testing.B) {
	dir := os.Getenv("MATTRANSO_ALQAC2022")
	if dir == "" {
		dir = testenv.SharedPath(b, "eval", "alqac2022")
	}
	ctx := context.Background()
	set, err := LoadWith(ctx, RetrievalOptions{Dataset: dir, WorkDir: b.TempDir(), Mode: retrieval.ModeKeyword})
	if err != nil {
		b.Fatal(err)
	}
	defer set.Close()
	a := assistant.New(assistant.Options{Searcher: set.Searcher, Documents: set})
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := set.Queries[i%len(set.Queries)]
		start := time.Now()
		if _, err := a.Ask(ctx, assistant.Request{Question: q.Text}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
}

func TestAnswerChoices(t *testing.T) {
	q := QueryRec{Metadata: map[string]any{"choices": map[string]any{"C": "ba", "A": "một", "B": " ", "D": 4}}}
	got := choices(q)
	if len(got) != 2 || got[0] != (assistant.Choice{Key: "A", Text: "một"}) || got[1] != (assistant.Choice{Key: "C", Text: "ba"}) {
		t.Errorf("choices = %+v, want A and C in order (no blank, no non-text option)", got)
	}
	if got := choices(QueryRec{}); got != nil {
		t.Errorf("no choices: %+v", got)
	}
	p50, p95, hi := LatencyMS([]time.Duration{3 * time.Millisecond, time.Millisecond, 2 * time.Millisecond, 10 * time.Millisecond})
	if p50 != 2 || p95 != 10 || hi != 10 {
		t.Errorf("LatencyMS = %v %v %v, want 2 10 10", p50, p95, hi)
	}
}

func TestSearchText(t *testing.T) {
	q := QueryRec{Text: "Hành vi nào sau đây bị cấm?", Metadata: map[string]any{"choices": map[string]any{"B": "Tảo hôn.", "A": "Cưỡng ép ly hôn."}}}
	if got, want := q.SearchText(), "Hành vi nào sau đây bị cấm?\nCưỡng ép ly hôn.\nTảo hôn."; got != want {
		t.Errorf("SearchText = %q, want %q", got, want)
	}
	if got := (QueryRec{Text: "Thời hiệu là gì?"}).SearchText(); got != "Thời hiệu là gì?" {
		t.Errorf("no choices: %q", got)
	}
	long := QueryRec{Text: strings.Repeat("từ ", 400), Metadata: map[string]any{"choices": map[string]any{"A": strings.Repeat("chữ ", 400)}}}
	if n := utf8.RuneCountInString(long.SearchText()); n != retrieval.MaxQueryLen {
		t.Errorf("a long question with options is %d characters, want %d (what a search accepts)", n, retrieval.MaxQueryLen)
	}
}
