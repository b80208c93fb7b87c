package retrieval

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval/openaitest"
)

func testPassages() []corpus.Passage {
	var ps []corpus.Passage
	for _, d := range testDocs() {
		ps = append(ps, corpus.Passages(d)...)
	}
	return ps
}

func TestLocalEmbedderDeterministicAndPersisted(t *testing.T) {
	ctx := context.Background()
	o := TrainOptions{Dim: 16, Epochs: 3, Batch: 4, MinDF: 1}
	a, err := TrainLocalEmbedder(ctx, testPassages(), o)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := TrainLocalEmbedder(ctx, testPassages(), o)
	texts := []string{"chiếm đoạt di vật của tử sỹ", "dang ky khai sinh", "không có từ nào quen"}
	va, _ := a.Embed(ctx, texts)
	vb, _ := b.Embed(ctx, texts)
	if !reflect.DeepEqual(va, vb) || a.Name() != b.Name() {
		t.Fatal("two trainings on the same corpus differ")
	}
	if a.Dimension() != 16 || !strings.HasPrefix(a.Name(), "local:"+LocalEmbedderVersion) {
		t.Errorf("dimension %d, name %q", a.Dimension(), a.Name())
	}
	path := filepath.Join(t.TempDir(), "m.bin")
	if err := a.Save(path); err != nil {
		t.Fatal(err)
	}
	c, err := LoadLocalEmbedder(path)
	if err != nil {
		t.Fatal(err)
	}
	vc, _ := c.Embed(ctx, texts)
	if !reflect.DeepEqual(va, vc) || c.Name() != a.Name() {
		t.Error("the saved model embeds differently")
	}
	// A flipped byte is caught by the checksum; a cut file too.
	raw, _ := os.ReadFile(path)
	raw[len(raw)/2] ^= 0xff
	os.WriteFile(path, raw, 0o644)
	if _, err := LoadLocalEmbedder(path); !errors.Is(err, ErrModelCorrupt) {
		t.Errorf("corrupt model: %v", err)
	}
	os.WriteFile(path, raw[:len(raw)/3], 0o644)
	if _, err := LoadLocalEmbedder(path); !errors.Is(err, ErrModelCorrupt) {
		t.Errorf("truncated model: %v", err)
	}
}

func openHybrid(t *testing.T) (*Hybrid, string) {
	t.Helper()
	k := openTest(t)
	dir := t.TempDir()
	emb, v, trained, err := LocalVectors(context.Background(), k, dir, TrainOptions{Dim: 16, Epochs: 3, Batch: 4, MinDF: 1})
	if err != nil || !trained {
		t.Fatalf("LocalVectors: trained=%v err=%v", trained, err)
	}
	t.Cleanup(func() { v.Close() })
	return &Hybrid{Keyword: k, Vectors: v, Embedder: emb}, dir
}

func TestHybridSearch(t *testing.T) {
	h, _ := openHybrid(t)
	ctx := context.Background()
	for _, mode := range []Mode{ModeHybrid, ModeVector, ModeKeyword} {
		h.Mode = mode
		res, err := h.Search(ctx, Query{Text: "chiem doat di vat cua tu si", Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		if res.Degraded != "" || len(res.Hits) == 0 {
			t.Fatalf("%s: %+v", mode, res)
		}
		if mode != ModeVector && res.Hits[0].PassageID != "01-vbhn-vpqh#dieu-418" {
			t.Errorf("%s: first %s", mode, res.Hits[0].PassageID)
		}
		for _, hit := range res.Hits {
			if hit.Title == "" || hit.Text == "" {
				t.Errorf("%s: hit without stored fields: %+v", mode, hit)
			}
		}
	}
	h.Mode = ModeHybrid
	res, _ := h.Search(ctx, Query{Text: "khai sinh", Kind: corpus.KindProcedure})
	for _, hit := range res.Hits {
		if hit.Kind != corpus.KindProcedure {
			t.Errorf("kind filter let %s through", hit.PassageID)
		}
	}
	// Look-ups stay first in hybrid mode.
	res, _ = h.Search(ctx, Query{Text: "Điều 173 Bộ luật Hình sự"})
	if !res.Exact || res.Lookups == 0 || res.Hits[0].PassageID != "01-vbhn-vpqh#dieu-173" {
		t.Errorf("reference look-up in hybrid mode: %v", passageIDs(res))
	}
	// Indexing through the hybrid keeps both sides in step.
	n0, _ := h.Vectors.Count(ctx)
	if err := h.Delete(ctx, "1.004194"); err != nil {
		t.Fatal(err)
	}
	if n1, _ := h.Vectors.Count(ctx); n1 != n0-1 {
		t.Errorf("vectors after delete: %d, want %d", n1, n0-1)
	}
	if err := h.Index(ctx, testDocs()[3]); err != nil {
		t.Fatal(err)
	}
	if n2, _ := h.Vectors.Count(ctx); n2 != n0 {
		t.Errorf("vectors after re-index: %d, want %d", n2, n0)
	}
}

// An embedding server that fails, is slow or answers with the wrong
// dimension never breaks search: the keyword results come back flagged.
func TestHybridFallsBackToKeywords(t *testing.T) {
	k := openTest(t)
	srv := openaitest.New(t)
	emb, err := NewOpenAIEmbedder(OpenAIEmbedderOptions{BaseURL: srv.URL, Model: "test-embed", Dimension: openaitest.DefaultDimension, Retries: -1, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	v, err := OpenEmbeddedVectors(t.TempDir(), openaitest.DefaultDimension, emb.Name())
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	ctx := context.Background()
	if err := SyncVectors(ctx, k, emb, v); err != nil {
		t.Fatal(err)
	}
	h := &Hybrid{Keyword: k, Vectors: v, Embedder: emb, Timeout: time.Second}
	if res, err := h.Search(ctx, Query{Text: "tu si"}); err != nil || res.Degraded != "" {
		t.Fatalf("healthy server: %v %q", err, res.Degraded)
	}
	for name, f := range map[string]openaitest.Fault{
		"down":            {Status: 503},
		"slow":            {Delay: 2 * time.Second},
		"wrong dimension": {Dimension: openaitest.DefaultDimension + 1},
	} {
		srv.SetFault("/v1/embeddings", f)
		h.SetVectors(emb, v) // clears the pause left by the previous case
		res, err := h.Search(ctx, Query{Text: "chiem doat di vat cua tu si"})
		if err != nil {
			t.Fatalf("%s: search failed: %v", name, err)
		}
		if res.Degraded == "" || len(res.Hits) == 0 || res.Hits[0].PassageID != "01-vbhn-vpqh#dieu-418" {
			t.Errorf("%s: want keyword results flagged degraded, got %q %v", name, res.Degraded, passageIDs(res))
		}
		// While the vector side rests, searches do not wait for it.
		calls := srv.Calls("/v1/embeddings")
		res, _ = h.Search(ctx, Query{Text: "khai sinh"})
		if res.Degraded == "" || srv.Calls("/v1/embeddings") != calls {
			t.Errorf("%s: the failing server was asked again at once", name)
		}
	}
}

// A damaged vector store is noticed at start and rebuilt from the corpus.
func TestLocalVectorsRebuildsCorruptStore(t *testing.T) {
	h, dir := openHybrid(t)
	ctx := context.Background()
	n, _ := h.Vectors.Count(ctx)
	h.Vectors.Close()
	files, _ := filepath.Glob(filepath.Join(dir, "vectors", "*"))
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil && len(b) > 16 {
			b[len(b)-5] ^= 0xff
			os.WriteFile(f, b, 0o644)
		}
	}
	_, v, trained, err := LocalVectors(ctx, h.Keyword, dir, TrainOptions{Dim: 16, Epochs: 3, Batch: 4, MinDF: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if trained {
		t.Error("an intact model was retrained")
	}
	if v.Discarded == nil {
		t.Error("the damaged vector files were not detected")
	}
	if m, _ := v.Count(ctx); m != n {
		t.Errorf("rebuilt store holds %d vectors, want %d", m, n)
	}
}

func TestSearchesTakeTurns(t *testing.T) {
	h := &Hybrid{Concurrency: 2}
	ctx := context.Background()
	r1, err := h.acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := h.acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Both turns are taken: a third search waits, and gives up when its
	// context ends.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := h.acquire(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("third search while two run: %v, want it to wait and time out", err)
	}
	// A search waiting gets the first turn given back.
	got := make(chan struct{})
	go func() {
		rel, err := h.acquire(ctx)
		if err != nil {
			t.Error(err)
		}
		close(got)
		rel()
	}()
	r1()
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("a turn given back did not reach the search waiting for it")
	}
	r2()
}
