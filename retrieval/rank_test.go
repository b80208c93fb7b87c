package retrieval

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2/analysis"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/internal/testenv"
)

// waitMem builds the memory snapshot of k and waits for it.
func waitMem(t testing.TB, k *Keyword) *memIndex {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		if m := k.memFor(); m != nil {
			return m
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the memory snapshot was not built")
	return nil
}

// sameSearch asks q of k from memory and from bleve alone and fails when
// the answers differ in anything.
func sameSearch(t *testing.T, k *Keyword, q Query) {
	t.Helper()
	ctx := context.Background()
	k.bleveOnly = false
	got, gotErr := k.Search(ctx, q)
	k.bleveOnly = true
	want, wantErr := k.Search(ctx, q)
	k.bleveOnly = false
	got.Took, want.Took = 0, 0
	if (gotErr == nil) != (wantErr == nil) || !reflect.DeepEqual(got, want) {
		t.Errorf("%+v: memory and bleve differ:\n memory %v %+v\n bleve  %v %+v", q, gotErr, got, wantErr, want)
	}
}

// memAnswers reports whether the memory path answered q itself.
func memAnswers(k *Keyword, m *memIndex, q Query) bool {
	uni, bi := queryTerms(q.Text)
	size := max(q.Limit, 10)
	cands, _, ok, err := k.rankedMem(m, dedupe(uni), dedupe(bi), q, max(candidates, q.Offset+size))
	return ok && err == nil && settled(cands, q.Offset+size)
}

func TestMemoryRankingMatchesBleve(t *testing.T) {
	// Pages of a few passages, so that the snapshot is read in many.
	defer func(n int) { memBuildPage = n }(memBuildPage)
	memBuildPage = 2
	k := openTest(t)
	m := waitMem(t, k)
	if n, _ := k.Count(); n <= 2*uint64(memBuildPage) || uint64(len(m.docs)) != n {
		t.Fatalf("snapshot of %d passages read from %d in pages of %d: want several pages, all read", len(m.docs), n, memBuildPage)
	}
	queries := []Query{
		{Text: "chiếm đoạt di vật của tử sỹ"},
		{Text: "chiem doat di vat cua tu si"},
		{Text: "đăng ký khai sinh", Limit: 3},
		{Text: "đăng ký khai sinh", Kind: corpus.KindProcedure},
		{Text: "thường trú", Kind: corpus.KindLaw},
		{Text: "thủ tục", Offset: 1, Limit: 2},
		{Text: "Theo Luật Cư trú, đăng ký thường trú ở đâu?"},
		{Text: "Điều 418 Bộ luật Hình sự"},
		{Text: "từ không có trong kho"},
		{Text: "luật", Issuer: "Quốc hội"},
	}
	for _, q := range queries {
		sameSearch(t, k, q)
	}
	if !memAnswers(k, m, Query{Text: "chiếm đoạt di vật của tử sỹ"}) {
		t.Error("the memory path did not answer a plain question")
	}
	if memAnswers(k, m, Query{Text: "luật", Issuer: "Quốc hội"}) {
		t.Error("the memory path answered a filter it does not hold")
	}
	// Its document frequencies are bleve's.
	r, _ := k.idx.Advanced()
	reader, err := r.Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	for f, field := range rankFields {
		for term, lists := range m.post {
			post := &lists.post[f]
			if len(post.p) == 0 {
				continue
			}
			tfr, err := reader.TermFieldReader(context.Background(), []byte(term), field, true, false, false)
			if err != nil {
				t.Fatal(err)
			}
			if n := tfr.Count(); n != uint64(len(post.p)) {
				t.Errorf("%s:%s: %d passages in memory, %d in bleve", field, term, len(post.p), n)
			}
			// And so are its term frequencies, packed beside the passage.
			want := map[string]uint64{}
			for {
				d, err := tfr.Next(nil)
				if err != nil {
					t.Fatal(err)
				}
				if d == nil {
					break
				}
				id, err := reader.ExternalID(d.ID)
				if err != nil {
					t.Fatal(err)
				}
				want[id] = d.Freq
			}
			for i, p := range post.p {
				if id := m.docs[p>>8].id; want[id] != uint64(post.tf(i)) {
					t.Errorf("%s:%s: %s: frequency %d in memory, %d in bleve", field, term, id, post.tf(i), want[id])
				}
			}
			tfr.Close()
		}
	}

	// A write drops the snapshot; the next one holds the change.
	if err := k.Delete(context.Background(), "bo-luat-hinh-su"); err != nil {
		t.Fatal(err)
	}
	if k.mem.Load() != nil {
		t.Fatal("the snapshot outlived a write")
	}
	m = waitMem(t, k)
	for _, d := range m.docs {
		if d.docID == "bo-luat-hinh-su" {
			t.Fatalf("the new snapshot holds deleted passage %s", d.id)
		}
	}
	for _, q := range queries {
		sameSearch(t, k, q)
	}
}

// openBenchData opens the keyword index of the data directory that
// MATTRANSO_BENCH_DATA names (a library made by `mattranso ingest`, which
// the test command builds), and says where the shared data is.
func openBenchData(t *testing.T) (dir, shared string, k *Keyword) {
	t.Helper()
	dir = testenv.BenchData(t)
	shared = testenv.Shared(t)
	k, err := OpenKeyword(filepath.Join(dir, "index", "keyword"))
	if err != nil {
		t.Fatal(err)
	}
	return dir, shared, k
}

// libraryEvery thins out the questions the slower library-scale checks
// ask: all 950, each both ways, keep them busy for about seven minutes on
// two cores, too long for every run of the tests (one in ten: a minute).
var libraryEvery = flag.Int("library-every", 10, "the library-scale checks ask one evaluation question in this many (1: all)")

// libraryQuestions are the evaluation questions of alqac2022 and
// alqac2025, one in every (see libraryEvery), as written and without
// diacritics, and a few short searches and references.
func libraryQuestions(t *testing.T, shared string, every int) []string {
	t.Helper()
	var texts []string
	for _, ds := range []string{"alqac2022", "alqac2025"} {
		f, err := os.Open(filepath.Join(shared, "eval", ds, "queries.jsonl"))
		if err != nil {
			testenv.Missing(t, "%v", err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var all []string
		for sc.Scan() {
			var q struct{ Text string }
			if json.Unmarshal(sc.Bytes(), &q) == nil && q.Text != "" {
				all = append(all, q.Text, corpus.Fold(q.Text))
			}
		}
		f.Close()
		texts = append(texts, everyPair(all, every)...)
	}
	return append(texts, "thu tuc dang ky khai sinh", "cấp căn cước", "91/2015/QH13", "Điều 5 Luật Cư trú",
		"Luật 59/2020/QH14 doanh nghiệp", "đăng ký thường trú", "xin cap lai the can cuoc")
}

// everyPair keeps one pair in every of texts, a list of pairs (a question
// as written and without diacritics), starting with the first.
func everyPair(texts []string, every int) []string {
	if every < 1 {
		every = 1
	}
	var out []string
	for i := 0; i+1 < len(texts); i += 2 * every {
		out = append(out, texts[i], texts[i+1])
	}
	return out
}

// TestMemoryRankingMatchesBleveOnLibrary compares the two paths on a real
// library — a data directory made by `mattranso ingest`, named by
// MATTRANSO_BENCH_DATA — over the evaluation questions, as written and
// without diacritics.
func TestMemoryRankingMatchesBleveOnLibrary(t *testing.T) {
	dir, shared, k := openBenchData(t)
	defer k.Close()
	if k.Fresh {
		t.Fatalf("%s holds no keyword index of version %s", dir, KeywordVersion)
	}
	m := waitMem(t, k)
	texts := libraryQuestions(t, shared, *libraryEvery)
	fallbacks, searches := 0, 0
	for _, text := range texts {
		for _, q := range []Query{{Text: text, Limit: 10}, {Text: text, Limit: 100, noSnippets: true}, {Text: text, Limit: 10, Kind: corpus.KindLaw}} {
			if q.Kind != "" && len(text)%4 != 0 {
				continue // a sample of filtered searches: bleve is slow
			}
			searches++
			sameSearch(t, k, q)
			if !memAnswers(k, m, q) {
				fallbacks++
			}
		}
	}
	t.Logf("%d searches, %d answered by bleve (a tie at the cut)", searches, fallbacks)
}

// WarmMemory builds the memory snapshot and waits for it, so that the
// benchmarks of package retrieval_test time searches rather than the build.
func (k *Keyword) WarmMemory(tb testing.TB) { waitMem(tb, k) }

// queryTerms and queryPairs read a query as the index's analyzer reads text.
func TestQueryTermsAreAnalyzerTerms(t *testing.T) {
	texts := []string{
		"", "a", "Điều 418. Tội chiếm đoạt di vật của tử sỹ", "QUÍ KỸ SỸ quy y Lý",
		"e\u0301 combining marks \u0301\u0300 alone", "91/2015/QH13, ½ ① ٣ x²", "ĐĂNG KÝ THƯỜNG TRÚ; đ Đ ð Ð",
		"tab\tnew\nline…“quoted”  two  spaces", "\xff\xfe broken utf-8 \xc3", "thu tuc dang ky khai sinh",
	}
	for _, d := range testDocs() {
		for _, p := range corpus.Passages(d) {
			texts = append(texts, p.Title, p.Heading, p.Text)
		}
	}
	for _, s := range texts {
		var uni, bi []string
		for _, tok := range (viTokenizer{}).Tokenize([]byte(s)) {
			if tok.Type == analysis.Shingle {
				bi = append(bi, string(tok.Term))
			} else {
				uni = append(uni, string(tok.Term))
			}
		}
		gotU, gotB := queryTerms(s)
		if !slices.Equal(gotU, uni) || !slices.Equal(gotB, bi) {
			t.Errorf("%q:\n got %q %q\nwant %q %q", s, gotU, gotB, uni, bi)
		}
		// The pairs in order, "" where two words make none, as the
		// re-ranker read them from the analyzer's tokens.
		seq := (viTokenizer{}).Tokenize([]byte(s))
		var pairs []string
		for i, tok := range seq {
			if tok.Type == analysis.Shingle {
				pairs = append(pairs, string(tok.Term))
			} else if i+1 < len(seq) && seq[i+1].Type != analysis.Shingle {
				pairs = append(pairs, "")
			}
		}
		if got := queryPairs(s); !slices.Equal(got, pairs) {
			t.Errorf("%q: pairs\n got %q\nwant %q", s, got, pairs)
		}
	}
}

func TestGetFromMemory(t *testing.T) {
	k := openTest(t)
	waitMem(t, k)
	ctx := context.Background()
	var ids []string
	for _, d := range testDocs() {
		for _, p := range corpus.Passages(d) {
			ids = append(ids, p.ID)
		}
	}
	ids = append(ids, "no-such-passage", ids[0])
	for _, q := range []Query{{}, {Text: "đăng ký khai sinh"}, {Text: "thường trú", noSnippets: true}} {
		want, err := k.Get(ctx, ids, q)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := k.getMem(ids, q)
		if !ok {
			t.Fatal("the memory snapshot did not answer")
		}
		byID := map[string]Hit{}
		for _, h := range want {
			byID[h.PassageID] = h
		}
		if len(got) != len(want) {
			t.Fatalf("%d hits from memory, %d from bleve", len(got), len(want))
		}
		for _, h := range got {
			if !reflect.DeepEqual(h, byID[h.PassageID]) {
				t.Errorf("%s:\n memory %+v\n bleve  %+v", h.PassageID, h, byID[h.PassageID])
			}
		}
	}
	if _, ok := k.getMem(ids, Query{Issuer: "Quốc hội"}); ok {
		t.Error("the memory snapshot answered an issuer filter")
	}
}

// bleveCandidates are rankedBleve's candidates for text, rescored from
// bleve's stored term counts (memory false) or from the snapshot's
// postings (memory true).
func bleveCandidates(t *testing.T, k *Keyword, q Query, memory bool) []scored {
	t.Helper()
	uni, bi := queryTerms(q.Text)
	k.bleveOnly = !memory
	defer func() { k.bleveOnly = false }()
	cands, _, err := k.rankedBleve(context.Background(), dedupe(uni), dedupe(bi), q, 10)
	if err != nil {
		t.Fatal(err)
	}
	return cands
}

// checkRescoreHits holds rankedBleve's two ways of rescoring its
// candidates to each other: the same passages, order and scores.
func checkRescoreHits(t *testing.T, k *Keyword, queries []Query) {
	t.Helper()
	for _, q := range queries {
		got, want := bleveCandidates(t, k, q, true), bleveCandidates(t, k, q, false)
		if len(got) != len(want) {
			t.Fatalf("%+v: %d candidates from memory, %d from bleve", q, len(got), len(want))
		}
		for i := range got {
			if got[i].id != want[i].id || got[i].score != want[i].score || got[i].docID != want[i].docID || got[i].doc == nil {
				t.Fatalf("%+v: candidate %d is %s %v from memory, %s %v from bleve", q, i, got[i].id, got[i].score, want[i].id, want[i].score)
			}
		}
	}
}

func TestRescoreHitsMatchesBleve(t *testing.T) {
	k := openTest(t)
	waitMem(t, k)
	checkRescoreHits(t, k, []Query{
		{Text: "chiếm đoạt di vật của tử sỹ"}, {Text: "chiem doat di vat cua tu si"},
		{Text: "đăng ký khai sinh", Kind: corpus.KindProcedure}, {Text: "luật", Issuer: "Quốc hội"},
		{Text: "Theo Luật Cư trú, đăng ký thường trú ở đâu?"}, {Text: "từ không có trong kho"},
	})
}

func TestRescoreHitsMatchesBleveOnLibrary(t *testing.T) {
	dir, shared, k := openBenchData(t)
	defer k.Close()
	if k.Fresh {
		t.Fatalf("%s holds no keyword index of version %s", dir, KeywordVersion)
	}
	waitMem(t, k)
	var qs []Query
	for i, text := range libraryQuestions(t, shared, 1) {
		if i%10 == 0 || strings.Contains(text, "/") { // a sample: bleve is slow
			qs = append(qs, Query{Text: text})
		}
	}
	checkRescoreHits(t, k, qs)
	t.Logf("%d questions", len(qs))
}

// checkIDFs holds the re-ranker's idfs from the snapshot to bleve's, for
// every word and word pair of the queries and a word the index lacks.
func checkIDFs(t *testing.T, k *Keyword, texts []string) {
	t.Helper()
	m := waitMem(t, k)
	terms := []string{"tuvungkhongco"}
	for _, text := range texts {
		uni, bi := queryTerms(text)
		terms = append(append(terms, uni...), bi...)
	}
	got := m.idfs(terms)
	want, err := k.idfsBleve(context.Background(), float64(k.stats.Passages), terms)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		for term, w := range want {
			if got[term] != w {
				t.Errorf("idf of %q: %v from memory, %v from bleve", term, got[term], w)
			}
		}
		t.Fatal("the snapshot's idfs differ from bleve's")
	}
}

func TestIDFsFromMemory(t *testing.T) {
	checkIDFs(t, openTest(t), []string{"chiếm đoạt di vật của tử sỹ", "đăng ký khai sinh", "Luật Cư trú thường trú"})
}

func TestIDFsFromMemoryOnLibrary(t *testing.T) {
	_, shared, k := openBenchData(t)
	defer k.Close()
	checkIDFs(t, k, libraryQuestions(t, shared, 1))
}

// orderFree tells sums that every order of addition gives alike from those
// that depend on the order.
func TestOrderFree(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want bool
	}{
		{nil, true},
		{[]float64{0.5}, true},
		{[]float64{1, 2, 3, 4}, true},
		{[]float64{0.1, 0.2, 0.3}, false}, // (0.1+0.2)+0.3 is not 0.1+(0.2+0.3)
		{[]float64{1e16, 1, -1e16}, false},
	} {
		var sum float64
		for _, x := range c.xs {
			sum += x
		}
		xs := slices.Clone(c.xs)
		if got := orderFree(xs, sum); got != c.want {
			t.Errorf("orderFree(%v) = %v, want %v", c.xs, got, c.want)
		}
		if !slices.Equal(xs, c.xs) {
			t.Errorf("orderFree(%v) left them as %v", c.xs, xs)
		}
	}
}

// A posting packs the passage and its term frequency in four bytes; the
// frequencies that do not fit are kept aside, each at its posting.
func TestMemListKeepsLargeFrequencies(t *testing.T) {
	var l memList
	tfs := []uint32{1, 254, 255, 256, 3, 70000, 1, memBigTF - 1}
	for i, tf := range tfs {
		l.add(uint32(i*1000+memMaxDocs-len(tfs)*1000), tf)
	}
	for i, tf := range tfs {
		if got := l.tf(i); got != tf {
			t.Errorf("posting %d: frequency %d, want %d", i, got, tf)
		}
		if doc := l.p[i] >> 8; doc != uint32(i*1000+memMaxDocs-len(tfs)*1000) {
			t.Errorf("posting %d: passage %d, want %d", i, doc, i*1000+memMaxDocs-len(tfs)*1000)
		}
	}
	if len(l.big) != 3 {
		t.Errorf("%d frequencies kept aside, want the 3 of 255 and more", len(l.big))
	}
}
