package assistant_test

import (
	"context"
	"encoding/gob"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/assistant"
	"github.com/mattranso/mattranso/eval"
	"github.com/mattranso/mattranso/retrieval"
)

// TestReaderHarness scores the extractive reader on judged sets from
// retrieval results cached on disk, so that the reader's settings can be
// compared in seconds. It runs when MTS_READER_SETS lists BEIR sets
// (comma-separated). The first run searches each set with the hybrid
// pipeline as `eval answers` does and keeps the hits in MTS_READER_CACHE
// (default mts-reader-cache in the system's temporary directory); remove
// them after changing retrieval. MTS_READER_WEIGHTS lists settings of the
// reader's weights to compare, "RANK PHRASE" separated by ";";
// MTS_READER_MISSES=1 lists the questions whose citation is wrong, =2 with
// the reader's best sentences.
//
//	MTS_READER_SETS=../../shared/eval/alqac2022,../../shared/eval/alqac2025 go test ./assistant -run ReaderHarness -v
func TestReaderHarness(t *testing.T) {
	sets := os.Getenv("MTS_READER_SETS")
	if sets == "" {
		t.Skip("MTS_READER_SETS names no set")
	}
	cache := os.Getenv("MTS_READER_CACHE")
	if cache == "" {
		cache = filepath.Join(os.TempDir(), "mts-reader-cache")
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	w := assistant.DefaultReaderWeights
	for _, v := range strings.Split(os.Getenv("MTS_READER_WEIGHTS"), ";") {
		if v != "" {
			if _, err := fmt.Sscan(v, &w.Rank, &w.Phrase); err != nil {
				t.Fatalf("MTS_READER_WEIGHTS %q: %v", v, err)
			}
		}
		t.Logf("weights %+v", w)
		for _, dir := range strings.Split(sets, ",") {
			file := filepath.Join(cache, filepath.Base(dir)+".gob")
			hits := map[string]retrieval.Result{}
			mode := retrieval.ModeKeyword
			if f, err := os.Open(file); err == nil {
				if err := gob.NewDecoder(f).Decode(&hits); err != nil {
					t.Fatal(err)
				}
				f.Close()
			} else {
				mode = retrieval.ModeHybrid
			}
			set, err := eval.LoadWith(ctx, eval.RetrievalOptions{Dataset: dir, Mode: mode, PairsFrom: eval.SiblingSets(dir)})
			if err != nil {
				t.Fatal(err)
			}
			last := &retrieval.Result{}
			var s retrieval.Searcher = cachedHits{hits, last}
			if mode == retrieval.ModeHybrid {
				s = hitRecorder{set.Searcher, hits}
			}
			var misses []string
			m, err := set.RunAnswers(ctx, assistant.New(assistant.Options{Searcher: s, Documents: set, Reader: &w}), eval.AnswersOptions{
				Each: func(r eval.AnswerResult) {
					if !r.CitationOK {
						gold := -1
						for i, h := range last.Hits {
							for _, j := range r.Judged {
								if set.CorpusID(h) == j && gold < 0 {
									gold = i
								}
							}
						}
						misses = append(misses, fmt.Sprintf("%s gold at %d cited %s judged %v\n    %s", r.ID, gold, r.Cited, r.Judged, r.Question))
						if gold >= 0 && os.Getenv("MTS_READER_MISSES") == "2" {
							misses = append(misses, "      "+strings.Join(assistant.DebugSentences(r.Question, last.Hits, 6), "\n      "))
						}
					}
				},
			})
			set.Close()
			if err != nil {
				t.Fatal(err)
			}
			if mode == retrieval.ModeHybrid {
				f, err := os.Create(file)
				if err != nil {
					t.Fatal(err)
				}
				if err := gob.NewEncoder(f).Encode(hits); err != nil {
					t.Fatal(err)
				}
				f.Close()
			}
			t.Logf("%s: %d questions, F1 %.4f, EM %.4f, citations %.4f (%d)", filepath.Base(dir), m.Queries, m.F1, m.ExactMatch,
				m.CitationAccuracy, int(m.CitationAccuracy*float64(m.Queries)+0.5))
			if os.Getenv("MTS_READER_MISSES") != "" {
				t.Log(strings.Join(misses, "\n"))
			}
		}
	}
}

// hitRecorder keeps what a searcher returns, by query text and limit.
type hitRecorder struct {
	retrieval.Searcher
	hits map[string]retrieval.Result
}

func (r hitRecorder) Search(ctx context.Context, q retrieval.Query) (retrieval.Result, error) {
	res, err := r.Searcher.Search(ctx, q)
	if err == nil {
		r.hits[fmt.Sprintf("%d\x00%s", q.Limit, q.Text)] = res
	}
	return res, err
}

// cachedHits answers from what a hitRecorder kept.
type cachedHits struct {
	hits map[string]retrieval.Result
	last *retrieval.Result
}

func (c cachedHits) Search(_ context.Context, q retrieval.Query) (retrieval.Result, error) {
	res, ok := c.hits[fmt.Sprintf("%d\x00%s", q.Limit, q.Text)]
	if !ok {
		return res, fmt.Errorf("no cached hits for %q", q.Text)
	}
	*c.last = res
	return res, nil
}
