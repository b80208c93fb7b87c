package retrieval

// The memory snapshot caches each passage's tokens (passageTokens) for
// snippets and the re-ranker's features. These tests hold the cached path
// to the tokenizing one, bit for bit, on every passage of an index and on
// the hits of many questions. Snippet and matchPassage, which tokenize the
// text they are given, are the reference; before the cache came in, a dump
// of every result, snippet and feature vector over the library's questions
// was checked to be byte for byte the same with and without it.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/internal/testenv"
)

// trickyDocs are passages whose words are hard to tokenize: capitals,
// combining marks, broken UTF-8, "_" inside words, numbers, symbols, and a
// long text whose snippet is a window.
func trickyDocs() []*corpus.Document {
	long := strings.Repeat("Người sử dụng lao động phải trả lương đúng hạn cho người lao động. ", 12) +
		"Tử sỹ và tử sĩ; QUÍ KỸ SỸ. " + strings.Repeat("Quy định này áp dụng đối với cơ quan, tổ chức, cá nhân! ", 10)
	return []*corpus.Document{{
		ID: "tricky", Kind: corpus.KindLaw, Title: "Luật THỬ_NGHIỆM Ký tự e\u0301 lạ: luật thử nghiệm 2024",
		Nodes: []corpus.Node{
			corpus.ParseArticle("1", "Giải thích từ ngữ\n\n1. Người lao động là người làm việc cho người sử dụng lao động.\n\n2. Tử sỹ là người đã hy sinh."),
			corpus.ParseArticle("2", "Ký tự lạ\n\nQUÍ KỸ SỸ quy y Lý; a_b snake_case tu_si 91/2015/QH13, ½ ① ٣ x² \xff\xfe hỏng \xc3 e\u0301 \u0301\u0300 đ Đ ð Ð… “trích” <b>&amp;</b> 'x'"),
			corpus.ParseArticle("3", "Trả lương\n\n"+long),
			corpus.ParseArticle("4", "Tử sỹ\n\nTử sỹ: chiếm đoạt. di vật\ncủa tử sỹ? phạt tù! tử\tsỹ"),
			// Words longer than a cached token's length can say.
			corpus.ParseArticle("5", "Từ dài\n\nTử sỹ "+strings.Repeat("sỹ", 90)+" tử sỹ "+strings.Repeat("x", 300)+" tử sỹ."),
		},
	}}
}

func TestCachedTokensMatchTokenizing(t *testing.T) {
	h, _ := openHybrid(t)
	if err := h.Index(context.Background(), trickyDocs()...); err != nil {
		t.Fatal(err)
	}
	queries := []string{
		"chiếm đoạt di vật của tử sỹ", "chiem doat di vat cua tu si", "đăng ký khai sinh", "phạt tù",
		"Điều 173 Bộ luật Hình sự", "91/2015/QH13", "quí kỹ sỹ quy y", "snake_case a_b tu_si",
		"thế nào là tử sỹ", "người lao động là gì", "trả lương cho người lao động", "ký tự lạ e\u0301",
		"đăng ký thường trú cư trú", "tu sy", "TỬ SỸ", "x² ½", "tử sỹ. di vật của", "của của của",
		strings.Repeat("x", 300) + " tử sỹ", strings.Repeat("sy", 90),
	}
	for _, d := range append(testDocs(), trickyDocs()...) {
		for _, p := range corpus.Passages(d) {
			w := strings.Fields(p.Text)
			queries = append(queries, headingName(p.Heading), strings.Join(w[:min(8, len(w))], " "),
				corpus.Fold(strings.Join(w[max(0, len(w)-6):], " ")))
		}
	}
	checkCachedTokens(t, h, queries)
}

// TestCachedTokensOnLibrary does the same on some laws of the library's
// corpus (../shared, or $MATTRANSO_SHARED) with the alqac2025 questions.
func TestCachedTokensOnLibrary(t *testing.T) {
	shared := testenv.Shared(t)
	b, err := os.ReadFile(filepath.Join(shared, "corpus", "laws", "alqac2025-28-laws.json"))
	if err != nil {
		testenv.Missing(t, "%v", err)
	}
	var laws []struct {
		ID       string `json:"id"`
		Articles []struct {
			ID   string `json:"id"`
			Text string `json:"text"`
		} `json:"articles"`
	}
	if err := json.Unmarshal(b, &laws); err != nil {
		t.Fatal(err)
	}
	keep := []string{"Hiến pháp", "Luật Cư trú", "Luật Căn cước", "Luật Hôn nhân và gia đình",
		"Luật Phòng, chống ma túy", "Luật Thanh niên", "Luật Viên chức"}
	var docs []*corpus.Document
	for _, l := range laws {
		if !slices.Contains(keep, l.ID) {
			continue
		}
		d := &corpus.Document{ID: corpus.LawID("", l.ID), Kind: corpus.KindLaw, Title: l.ID}
		for _, a := range l.Articles {
			d.Nodes = append(d.Nodes, corpus.ParseArticle(a.ID, a.Text))
		}
		docs = append(docs, d)
	}
	if len(docs) != len(keep) {
		t.Fatalf("found %d of the %d laws", len(docs), len(keep))
	}
	ctx := context.Background()
	k, err := OpenKeyword(filepath.Join(t.TempDir(), "kw"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	if err := k.Index(ctx, docs...); err != nil {
		t.Fatal(err)
	}
	emb, v, _, err := LocalVectors(ctx, k, t.TempDir(), TrainOptions{Dim: 32, Epochs: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	// A third of the questions (a twelfth with -short): each is asked
	// several ways and its 200-odd candidates all checked.
	step := 3
	if testing.Short() {
		step = 12
	}
	var queries []string
	for i, q := range evalQuestions(t, shared, "alqac2025") {
		if i%step == 0 {
			queries = append(queries, q)
		}
	}
	checkCachedTokens(t, &Hybrid{Keyword: k, Vectors: v, Embedder: emb}, queries)
}

// TestCachedTokensOnBenchData does the same on the benchmarks' library, a
// data directory named by MATTRANSO_BENCH_DATA.
func TestCachedTokensOnBenchData(t *testing.T) {
	dir, shared, k := openBenchData(t)
	t.Cleanup(func() { k.Close() })
	if k.Fresh {
		t.Fatalf("%s holds no keyword index of version %s", dir, KeywordVersion)
	}
	emb, v, _, err := LocalVectors(context.Background(), k, filepath.Join(dir, "index", "local"), TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	queries := append(everyPair(evalQuestions(t, shared, "alqac2025"), *libraryEvery),
		everyPair(evalQuestions(t, shared, "alqac2022"), *libraryEvery)...)
	checkCachedTokens(t, &Hybrid{Keyword: k, Vectors: v, Embedder: emb}, queries)
}

// evalQuestions reads the questions of an evaluation set, each as written
// and without diacritics.
func evalQuestions(t *testing.T, shared, set string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(shared, "eval", set, "queries.jsonl"))
	if err != nil {
		testenv.Missing(t, "%v", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var q struct{ Text string }
		if json.Unmarshal(sc.Bytes(), &q) == nil && q.Text != "" {
			out = append(out, q.Text, corpus.Fold(q.Text))
		}
	}
	return out
}

// checkCachedTokens compares the cached tokens of every passage of h's
// keyword index with corpus.Tokenize, then, for each query, the snippets and
// passage matches of every fused candidate and the re-ranker's features
// with those of the tokenizing path.
func checkCachedTokens(t *testing.T, h *Hybrid, queries []string) {
	t.Helper()
	ctx := context.Background()
	k := h.Keyword
	m := waitMem(t, k)
	// Every text the snapshot holds compressed reads back as bleve stores
	// it, and the compressed texts take a fifth less at least (1.6–2.8
	// times less on the library's laws and procedures).
	stored, err := k.Passages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != len(m.docs) {
		t.Fatalf("snapshot holds %d passages, the index %d", len(m.docs), len(stored))
	}
	var raw, packed int
	for row, p := range stored {
		d := &m.docs[row]
		if d.id != p.ID || d.text() != p.Text {
			t.Fatalf("row %d: snapshot reads %s %.60q, the index %s %.60q", row, d.id, d.text(), p.ID, p.Text)
		}
		raw, packed = raw+len(p.Text), packed+len(d.packed)
	}
	if packed*5 > raw*4 {
		t.Errorf("texts held in %d bytes for %d: a fifth less at least expected", packed, raw)
	}
	t.Logf("texts held in %d bytes for %d (%.2f times smaller)", packed, raw, float64(raw)/float64(max(packed, 1)))
	for row := range m.docs {
		d := &m.docs[row]
		p := m.tokensOf(uint32(row))
		if p == nil {
			t.Fatalf("passage %s: no cached tokens", d.id)
		}
		if err := sameTokens(p, m.words.list(), d.title, headingName(d.heading), d.text()); err != nil {
			t.Fatalf("passage %s: %v", d.id, err)
		}
		h := d.hit(1, nil)
		if got, want := (&snippeter{m: m, terms: map[string]bool{}}).of(&h, 240), Snippet(d.text(), nil, 240); got != want {
			t.Fatalf("passage %s: snippet without terms\n got  %s\n want %s", d.id, got, want)
		}
	}
	rr, err := ReadReranker("reranker-competition.json")
	if err != nil {
		t.Fatal(err)
	}
	h.Reranker = rr
	cachedMatches, snippets := 0, 0
	for _, text := range queries {
		// As search does, with the thesaurus's legal phrases added (the
		// hybrid adds none to a query that holds them already).
		text = expandQuery(text)
		q := Query{Text: text, Limit: 10}
		fused, n, defines, ok := fusedFor(t, h, q)
		if !ok {
			continue
		}
		// The re-ranker's features, bit for bit: with the cache, and with
		// passage ids the snapshot does not know, which read the passages.
		got, err := h.features(ctx, text, fused, n, defines)
		if err != nil {
			t.Fatal(err)
		}
		ref := slices.Clone(fused)
		refDefines := map[string][]string{}
		for i := range ref {
			ref[i].PassageID = "\x00" + ref[i].PassageID
			if m.tokensFor(&ref[i].Hit) != nil {
				t.Fatalf("%s: a renamed passage is still found in the snapshot", ref[i].PassageID)
			}
		}
		for id, w := range defines {
			refDefines["\x00"+id] = w
		}
		want, err := h.features(ctx, text, ref, n, refDefines)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if !sameBits(got[i].Features, want[i].Features) {
				t.Fatalf("%q, passage %s: features\n cached     %v\n tokenizing %v", text, fused[i].PassageID, got[i].Features, want[i].Features)
			}
		}
		c, err := h.Candidates(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Top) != len(got) {
			t.Fatalf("%q: %d candidates re-ranked, the test made %d", text, len(c.Top), len(got))
		}
		for i := range got {
			if c.Top[i].Hit.PassageID != fused[i].PassageID || !sameBits(c.Top[i].Features, got[i].Features) {
				t.Fatalf("%q: Candidates differs from the test's pipeline at %d", text, i)
			}
		}
		// What leaves the package has its text read, as the index stores it.
		res, err := h.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		out := append(append(append([]Hit(nil), res.Hits...), c.Lookups...), c.Rest...)
		for _, cand := range c.Top {
			out = append(out, cand.Hit)
		}
		for _, hit := range out {
			if hit.mem != nil || hit.Text != m.docs[m.rowOf[hit.PassageID]].text() {
				t.Fatalf("%q, passage %s: text left unread or wrong: %.60q", text, hit.PassageID, hit.Text)
			}
		}
		unread := 0
		for i := range fused {
			if fused[i].mem != nil {
				unread++
			}
		}
		if unread == 0 {
			t.Fatalf("%q: every fused candidate's text read", text)
		}

		// matchPassage of every fused passage, not only the first n.
		qu, qb := queryTerms(text)
		qu, qb = dedupe(qu), dedupe(qb)
		qt := append(slices.Clone(qu), qb...)
		qidx := make(map[string]int, len(qt))
		qidf := make([]float64, len(qt))
		for j, term := range qt {
			qidx[term], qidf[j] = j, 1+float64(len(term)%7)/3
		}
		matches := passageMatches(m, fused, qidx, qidf, len(qu))
		for i, f := range fused {
			if want := matchPassage(f.Hit, qidx, qidf, len(qu)); !reflect.DeepEqual(matches[i], want) {
				t.Fatalf("%q, passage %s: match\n cached     %+v\n tokenizing %+v", text, f.PassageID, matches[i], want)
			}
			if m.tokensFor(&fused[i].Hit) != nil {
				cachedMatches++
			}
		}

		// Snippets of every fused passage, through each way of making one.
		terms := snippetTerms(queryTerms(text))
		sn := &snippeter{m: m, terms: terms}
		for _, f := range fused {
			for _, size := range []int{240, 60} {
				want := Snippet(f.text(), terms, size)
				if got := sn.of(&f.Hit, size); got != want {
					t.Fatalf("%q, passage %s, %d: snippet\n cached     %s\n tokenizing %s", text, f.PassageID, size, got, want)
				}
			}
			if d := memDocOf(m, f.PassageID); d != nil {
				if got, want := d.hit(1, terms).Snippet, Snippet(d.text(), terms, 240); got != want {
					t.Fatalf("%q, passage %s: memDoc.hit snippet\n cached     %s\n tokenizing %s", text, f.PassageID, got, want)
				}
				snippets++
			}
		}
		res, err = h.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		kres, err := k.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, hit := range append(res.Hits, kres.Hits...) {
			if want := Snippet(hit.Text, terms, 240); hit.Snippet != want {
				t.Fatalf("%q, passage %s: search snippet\n got  %s\n want %s", text, hit.PassageID, hit.Snippet, want)
			}
		}
	}
	if cachedMatches == 0 || snippets == 0 {
		t.Fatal("no passage was read from the cache")
	}
	t.Logf("%d passages, %d queries; %d matches and %d snippets from the cache", len(m.docs), len(queries), cachedMatches, snippets)
}

// fusedFor makes the fused list of Hybrid.candidates for q, with how many
// of its passages the re-ranker reads and the phrases they define; ok is
// false when q has no words.
func fusedFor(t *testing.T, h *Hybrid, q Query) (fused []fusedHit, n int, defines map[string][]string, ok bool) {
	t.Helper()
	ctx := context.Background()
	emb, vs := h.VectorSide()
	kq := q
	kq.Offset, kq.Limit, kq.noSnippets, kq.unread = 0, h.depth(q.Offset+q.Limit), true, true
	kw, err := h.Keyword.Search(ctx, kq)
	if errors.Is(err, ErrBadQuery) {
		return nil, 0, nil, false
	}
	if err != nil {
		t.Fatal(err)
	}
	vhits, err := h.vectorSearch(ctx, emb, vs, q, h.depth(q.Offset+q.Limit))
	if err != nil {
		t.Fatal(err)
	}
	lookups, fused, err := h.fuse(ctx, q, kw, vhits)
	if err != nil {
		t.Fatal(err)
	}
	n = rerankCount(fused)
	defs, words := h.Keyword.definitions(q)
	fused, n = withDefinitions(fused, n, defs, lookups)
	return fused, n, definedBy(defs, words), true
}

func memDocOf(m *memIndex, id string) *memDoc {
	for i := range m.docs {
		if m.docs[i].id == id {
			return &m.docs[i]
		}
	}
	return nil
}

func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// sameTokens checks a passage's cached tokens against corpus.Tokenize of
// the string matchPassage reads, and of its text alone.
func sameTokens(p *passageTokens, words []string, title, headName, text string) error {
	s := title + "\n" + headName + "\n" + text
	want := corpus.Tokenize(s)
	if len(p.toks) != len(want) {
		return fmt.Errorf("%d tokens cached, %d read", len(p.toks), len(want))
	}
	if int(p.headStart) != len(title)+1 || int(p.textStart) != len(title)+len(headName)+2 {
		return fmt.Errorf("heading at %d, text at %d", p.headStart, p.textStart)
	}
	textTok := len(want)
	for i, w := range want {
		got := p.toks[i]
		start := int(got.start)
		if words[got.id()] != w.Term || start != w.Start || got.end(s, 0) != w.End || tokenEnd(s, start) != w.End {
			return fmt.Errorf("token %d: cached %q %d-%d (%d), read %+v", i, words[got.id()], start, got.end(s, 0), tokenEnd(s, start), w)
		}
		var space, brk bool
		if i+1 < len(want) {
			gap := s[w.End:want[i+1].Start]
			space, brk = onlySpace(gap), clauseBreak(gap)
		}
		if got.word&gapSpace != 0 != space || got.word&gapBreak != 0 != brk {
			return fmt.Errorf("token %d %q: gap flags %x, want space %v, break %v", i, w.Term, got.word>>30, space, brk)
		}
		if w.Start >= len(title)+len(headName)+2 && textTok == len(want) {
			textTok = i
		}
	}
	if p.textTok != textTok {
		return fmt.Errorf("text from token %d, want %d", p.textTok, textTok)
	}
	own := corpus.Tokenize(text)
	if len(own) != len(p.toks)-p.textTok {
		return fmt.Errorf("%d text tokens cached, %d read", len(p.toks)-p.textTok, len(own))
	}
	for i, w := range own {
		got := p.toks[p.textTok+i]
		start := int(got.start - p.textStart)
		if words[got.id()] != w.Term || start != w.Start || got.end(text, p.textStart) != w.End {
			return fmt.Errorf("text token %d: cached %q at %d, read %+v", i, words[got.id()], start, w)
		}
	}
	return nil
}

// Searches on a new snapshot read its passages' tokens concurrently; run
// with -race.
func TestCachedTokensConcurrent(t *testing.T) {
	k := openTest(t)
	if err := k.Index(context.Background(), trickyDocs()...); err != nil {
		t.Fatal(err)
	}
	m := waitMem(t, k)
	terms := snippetTerms(queryTerms("tử sỹ người lao động đăng ký khai sinh quí kỹ sỹ"))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			// One set of terms for all: it must grow with the words of the
			// passages read meanwhile.
			sn := &snippeter{m: m, terms: terms}
			for i := range m.docs {
				row := (i + g*3) % len(m.docs)
				h := m.docs[row].hit(1, nil)
				if got, want := sn.of(&h, 80), Snippet(h.Text, terms, 80); got != want {
					t.Errorf("%s: snippet\n cached     %s\n tokenizing %s", h.PassageID, got, want)
				}
			}
		})
	}
	wg.Wait()
	for row := range m.docs {
		d := &m.docs[row]
		if err := sameTokens(m.tokensOf(uint32(row)), m.words.list(), d.title, headingName(d.heading), d.text()); err != nil {
			t.Errorf("passage %s: %v", d.id, err)
		}
	}
}

// A hit whose text is not the snapshot's (another generation) is read
// again rather than given another passage's tokens.
func TestCachedTokensOnlyForTheSamePassage(t *testing.T) {
	k := openTest(t)
	m := waitMem(t, k)
	h := m.docs[0].hit(1, nil)
	if m.tokensFor(&h) == nil {
		t.Fatal("a hit of the snapshot has no cached tokens")
	}
	for _, change := range []func(*Hit){
		func(h *Hit) { h.Text += " thêm" }, func(h *Hit) { h.Title = "Khác" },
		func(h *Hit) { h.Heading = "Điều 9. Khác" }, func(h *Hit) { h.PassageID += "x" },
	} {
		other := h
		change(&other)
		if m.tokensFor(&other) != nil {
			t.Errorf("cached tokens for a changed hit %+v", other)
		}
	}
	var none *memIndex
	terms := map[string]bool{"toi": true}
	if none.tokensFor(&h) != nil || (&snippeter{terms: terms}).of(&h, 240) != Snippet(h.Text, terms, 240) {
		t.Error("a nil snapshot must fall back to tokenizing")
	}
}
