package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/qdrant/go-client/qdrant"

	"github.com/mattranso/mattranso/cmd/mattranso/internal/config"
	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/ingest"
	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/retrieval/openaitest"
	"github.com/mattranso/mattranso/retrieval/vectortest"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

// modelsLaw is a one-article law of its own words.
func modelsLaw(i int) *corpus.Document {
	who := []string{"Ủy ban nhân dân cấp xã", "Mặt trận Tổ quốc", "cơ quan công an", "Hội đồng nhân dân", "tổ chức đoàn thể"}
	does := []string{"tiếp nhận", "giải quyết", "giám sát", "hướng dẫn", "kiểm tra"}
	what := []string{"kiến nghị của cử tri", "đơn khiếu nại", "hồ sơ hộ tịch", "báo cáo định kỳ", "ý kiến nhân dân"}
	text := fmt.Sprintf("%s có trách nhiệm %s %s trong thời hạn %d ngày làm việc.",
		who[i%5], does[(i/5)%5], what[(i+i/5)%5], 3+i%9)
	return &corpus.Document{ID: fmt.Sprintf("luat-%02d", i), Kind: corpus.KindLaw, Title: fmt.Sprintf("Luật số %d", i),
		Nodes: []corpus.Node{{Kind: corpus.NodeDieu, Label: "1", Heading: "Trách nhiệm", Text: text, Anchor: "dieu-1"}}}
}

// modelsInstance opens an instance's data over db, as serve does, in a
// data directory of its own, brought up to the database's change log.
func modelsInstance(t *testing.T, db *store.DB) (*Data, config.Config) {
	t.Helper()
	cfg := config.Config{DataDir: t.TempDir(), Search: config.SearchConfig{Mode: "hybrid", Reranker: "library", TeachLibrary: true}}
	return openInstance(t, db, cfg), cfg
}

// openInstance opens an instance's data over db with cfg, closed when the
// test ends, and brings it up to the database's change log.
func openInstance(t *testing.T, db *store.DB, cfg config.Config) *Data {
	t.Helper()
	d, err := OpenOn(t.Context(), cfg, db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if v := d.Vectors(); v != nil {
			v.Close()
		}
		d.Index.Close()
	})
	if _, err := d.Follow(t.Context()); err != nil {
		t.Fatal(err)
	}
	return d
}

// modelsLibrary is the library of the models tests on db: laws 0..19.
func modelsLibrary(t *testing.T, db *store.DB) *corpus.Store {
	t.Helper()
	docs := corpus.NewStore(db)
	if err := docs.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	growLibrary(t, docs, 0, 20)
	return docs
}

// growLibrary stores the laws from..to-1 (modelsLaw) and brings each
// instance's index up to them.
func growLibrary(t *testing.T, docs *corpus.Store, from, to int, instances ...*Data) {
	t.Helper()
	for i := from; i < to; i++ {
		if err := docs.Put(t.Context(), modelsLaw(i)); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range instances {
		if _, err := d.Follower.CatchUp(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
}

func searchIDs(t *testing.T, d *Data, q string) []string {
	t.Helper()
	res, err := d.Search.Search(t.Context(), retrieval.Query{Text: q, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.Degraded != "" {
		t.Errorf("search %q: degraded: %s", q, res.Degraded)
	}
	var ids []string
	for _, h := range res.Hits {
		ids = append(ids, h.PassageID)
	}
	return ids
}

// Two instances on one database: the first trains the embedder and the
// re-ranker and stores them, the second loads them and ranks alike; a
// library grown past retrieval.Retrain is retrained by whichever looks
// first, and the other takes the new version up without a restart; a
// model damaged in the database is refused by name and version.
func TestModelsSharedThroughDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the local embedder and the re-ranker twice on each database: not under -short")
	}
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		docs := modelsLibrary(t, db)
		a, acfg := modelsInstance(t, db)
		if err := a.SetupVectors(ctx, acfg, log); err != nil {
			t.Fatal(err)
		}
		models := retrieval.NewModels(db)
		e1, ok, err := models.Latest(ctx, retrieval.ModelEmbedder, 0)
		if err != nil || !ok || e1.Version != 1 || e1.Passages != 20 {
			t.Fatalf("the first instance stored %+v (%v, %v), want embedder v1 of 20 passages", e1, ok, err)
		}
		if r1, ok, err := models.Latest(ctx, retrieval.ModelReranker, 1); err != nil || !ok {
			t.Fatalf("no re-ranker over embedder v1: %v", err)
		} else if want := fmt.Sprintf("(models: embedder v1, re-ranker v%d, current at #20)", r1.Version); !strings.Contains(a.ModelsLine(), want) {
			t.Errorf("first instance: %q, want %s", a.ModelsLine(), want)
		}

		b, bcfg := modelsInstance(t, db)
		if err := b.SetupVectors(ctx, bcfg, log); err != nil {
			t.Fatal(err)
		}
		if e, _, _ := models.Latest(ctx, retrieval.ModelEmbedder, 0); e.Version != 1 {
			t.Errorf("the second instance trained again: embedder v%d", e.Version)
		}
		if a.ModelsLine() != b.ModelsLine() {
			t.Errorf("models: first %q, second %q", a.ModelsLine(), b.ModelsLine())
		}
		text := []string{"giám sát kiến nghị của cử tri"}
		va, _ := a.Search.Embedder.Embed(ctx, text)
		vb, _ := b.Search.Embedder.Embed(ctx, text)
		if !reflect.DeepEqual(va, vb) || b.Vectors().(*retrieval.EmbeddedVectors).Model() != retrieval.VectorModel(a.Search.Embedder, 1) {
			t.Error("the second instance embeds otherwise than the first, or its vectors do not carry the version")
		}
		const q = "Hội đồng nhân dân giám sát báo cáo định kỳ"
		if ga, gb := searchIDs(t, a, q), searchIDs(t, b, q); len(ga) < 3 || !reflect.DeepEqual(ga, gb) {
			t.Errorf("rankings: first %v, second %v", ga, gb)
		}

		// The library grows by a quarter: the second looks first and
		// trains; the first takes the new version up as it is.
		growLibrary(t, docs, 20, 25, a, b)
		// Not while an ingest holds the library's lock.
		lock, err := ingest.AcquireLock(ctx, db, ingest.LockOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.localModels(ctx, bcfg, log, false); err != nil {
			t.Errorf("during an ingest: %v", err)
		}
		lock.Release()
		if e, _, _ := models.Latest(ctx, retrieval.ModelEmbedder, 0); e.Version != 1 {
			t.Errorf("trained during an ingest: embedder v%d", e.Version)
		}
		if !strings.Contains(b.ModelsLine(), "(models: embedder v1, re-ranker v1, learning)") {
			t.Errorf("an instance whose models are behind the library: %q", b.ModelsLine())
		}
		if err := b.localModels(ctx, bcfg, log, false); err != nil {
			t.Fatal(err)
		}
		if err := a.localModels(ctx, acfg, log, false); err != nil {
			t.Fatal(err)
		}
		e2, _, _ := models.Latest(ctx, retrieval.ModelEmbedder, 0)
		if e2.Version != 2 || e2.Passages != 25 {
			t.Fatalf("after the library grew: %+v, want embedder v2 of 25 passages", e2)
		}
		if !strings.Contains(a.ModelsLine(), "embedder v2,") || a.ModelsLine() != b.ModelsLine() {
			t.Errorf("after v2: first %q, second %q", a.ModelsLine(), b.ModelsLine())
		}
		if a.Vectors().(*retrieval.EmbeddedVectors).Model() != retrieval.VectorModel(a.Search.Embedder, 2) {
			t.Errorf("the first instance's vectors are of %s", a.Vectors().(*retrieval.EmbeddedVectors).Model())
		}
		if ga, gb := searchIDs(t, a, q), searchIDs(t, b, q); len(ga) < 3 || !reflect.DeepEqual(ga, gb) {
			t.Errorf("rankings after v2: first %v, second %v", ga, gb)
		}

		// A damaged model in the database is refused, naming it and its
		// version, and the next version replaces it.
		if _, err := db.ExecContext(ctx, `UPDATE library_models SET body = $1 WHERE kind = $2 AND version = 2`,
			[]byte("MTSEMB01 damaged"), retrieval.ModelEmbedder); err != nil {
			t.Fatal(err)
		}
		var said strings.Builder
		c, ccfg := modelsInstance(t, db)
		if err := c.SetupVectors(ctx, ccfg, slog.New(slog.NewTextHandler(&said, nil))); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(said.String(), "damaged") || !strings.Contains(said.String(), "embedder v2") {
			t.Errorf("the damaged model was not named:\n%s", said.String())
		}
		if e3, _, _ := models.Latest(ctx, retrieval.ModelEmbedder, 0); e3.Version != 3 || !strings.Contains(c.ModelsLine(), "embedder v3,") {
			t.Errorf("after a damaged v2: newest %+v, instance %q; want v3 in use", e3, c.ModelsLine())
		}
		if _, _, err := models.Load(ctx, retrieval.ModelEmbedder, 2); !errors.Is(err, retrieval.ErrModelChecksum) {
			t.Errorf("loading the damaged v2: %v", err)
		}
	})
}

// The embedder's recipe names the thesaurus that words the library's
// lesson (MATTRANSO_THESAURUS): a model taught with another thesaurus
// does not fit.
func TestModelsRecipeNamesTheThesaurus(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	if err := corpus.NewStore(db).Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	before := retrieval.DefaultThesaurus()
	t.Cleanup(func() { retrieval.UseThesaurus(before) })
	extra := filepath.Join(t.TempDir(), "extra.tsv")
	if err := os.WriteFile(extra, []byte("sổ hồng\tgiấy chứng nhận quyền sở hữu nhà ở\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	recipe := func(thesaurus string) string {
		t.Helper()
		cfg := config.Config{DataDir: t.TempDir(), Search: config.SearchConfig{Mode: "hybrid", Reranker: "library",
			TeachLibrary: true, Thesaurus: thesaurus}}
		d := openInstance(t, db, cfg)
		m, err := d.sharedModels(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return m.recipe
	}
	shipped, err := retrieval.LoadThesaurus("shipped")
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := recipe("shipped"), recipe(extra), recipe("")
	if a != c || a == b || !strings.Contains(a, "thesaurus-"+shipped.Digest()) {
		t.Errorf("recipes: shipped %q, extended %q, shipped again %q", a, b, c)
	}
	stored := retrieval.ModelInfo{Kind: retrieval.ModelEmbedder, Recipe: a, Passages: 100}
	if retrieval.EmbedderFits(stored, b, 100) {
		t.Error("a model taught with the shipped thesaurus fits a recipe of another")
	}
}

// The instance that trained embedder v4 drops the Qdrant collections of
// v1 and v2; v3's stays for the instances still on it, and collections
// not of the local embedder's versions are left alone.
func TestDropOldCollections(t *testing.T) {
	ctx := context.Background()
	qd := vectortest.NewQdrantStandIn(t)
	prefix := retrieval.DefaultQdrantCollection + "_local_v"
	names := []string{prefix + "1", prefix + "2", prefix + "3", retrieval.DefaultQdrantCollection, "other_local_v1", prefix + "x", prefix + "4"}
	var cur *retrieval.Qdrant
	for _, name := range names {
		q, err := retrieval.OpenQdrant(ctx, retrieval.QdrantOptions{URL: qd.URL, Collection: name, Dim: 4, Model: "m"})
		if err != nil {
			t.Fatal(err)
		}
		if name == prefix+"4" {
			cur = q
			continue
		}
		q.Close()
	}
	defer cur.Close()
	var said strings.Builder
	dropOldCollections(ctx, slog.New(slog.NewTextHandler(&said, nil)), cur, 4)
	for i, name := range names {
		_, err := retrieval.OpenQdrant(ctx, retrieval.QdrantOptions{URL: qd.URL, Collection: name, Dim: 4, Model: "m"})
		if err != nil {
			t.Fatal(err)
		}
		// Opening again creates a dropped collection anew, empty and fresh.
		created := 0
		for _, c := range vectortest.Requests[*qdrant.CreateCollection](qd) {
			if c.GetCollectionName() == name {
				created++
			}
		}
		if dropped := created == 2; dropped != (i < 2) {
			t.Errorf("collection %s dropped: %v", name, dropped)
		}
	}
	if !strings.Contains(said.String(), prefix+"1") || !strings.Contains(said.String(), prefix+"2") {
		t.Errorf("the log does not name what was dropped:\n%s", said.String())
	}
}

// With an embedding server, the re-ranker the library teaches is shared
// as the local embedder's is: the first instance teaches and stores it,
// the second loads it and ranks alike; a library grown past
// retrieval.Retrain while they serve is taught again by one of them, and
// the other takes the new version up.
func TestServerRerankerSharedThroughDatabase(t *testing.T) {
	ctx := context.Background()
	ai := openaitest.New(t)
	db := storetest.SQLite(t)
	docs := modelsLibrary(t, db)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	instance := func() (*Data, config.Config) {
		t.Helper()
		cfg := config.Config{DataDir: t.TempDir(), Search: config.SearchConfig{Mode: "hybrid", Reranker: "library",
			OpenAIBaseURL: ai.URL, EmbeddingModel: "test-embedding"}}
		d := openInstance(t, db, cfg)
		if err := d.SetupVectors(ctx, cfg, log); err != nil {
			t.Fatal(err)
		}
		return d, cfg
	}
	rerankers := func() (n int, recipe string) {
		t.Helper()
		rows, err := db.QueryContext(ctx, `SELECT recipe FROM library_models WHERE kind = $1`, retrieval.ModelReranker)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			n++
			if err := rows.Scan(&recipe); err != nil {
				t.Fatal(err)
			}
		}
		return n, recipe
	}
	a, acfg := instance()
	if n, recipe := rerankers(); n != 1 || !strings.HasSuffix(recipe, "test-embedding") {
		t.Fatalf("after the first instance: %d re-rankers stored, recipe %q", n, recipe)
	}
	b, bcfg := instance()
	if n, _ := rerankers(); n != 1 {
		t.Errorf("the second instance taught its own: %d re-rankers stored", n)
	}
	ra, _ := a.Search.Reranker.Marshal()
	rb, _ := b.Search.Reranker.Marshal()
	if string(ra) != string(rb) {
		t.Error("the two instances use different re-rankers")
	}
	const q = "Hội đồng nhân dân giám sát báo cáo định kỳ"
	if ga, gb := searchIDs(t, a, q), searchIDs(t, b, q); len(ga) < 3 || !reflect.DeepEqual(ga, gb) {
		t.Errorf("rankings: first %v, second %v", ga, gb)
	}

	// While serving: the library grows by more than a quarter; one of the
	// two teaches the next version and the other takes it up.
	run, stop := context.WithCancel(ctx)
	defer stop()
	for _, x := range []struct {
		d   *Data
		cfg config.Config
	}{{a, acfg}, {b, bcfg}} {
		x.d.RunModels(run, x.cfg, log)
		t.Cleanup(func() { stop(); x.d.following.Wait() })
	}
	growLibrary(t, docs, 20, 26, a, b)
	deadline := time.Now().Add(time.Minute)
	for a.serverReranker.Load() != 2 || b.serverReranker.Load() != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("a library grown by more than a quarter: versions in use %d and %d, want 2",
				a.serverReranker.Load(), b.serverReranker.Load())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n, _ := rerankers(); n != 2 {
		t.Errorf("after the library grew: %d re-rankers stored, want 2", n)
	}
	if ga, gb := searchIDs(t, a, q), searchIDs(t, b, q); !reflect.DeepEqual(ga, gb) {
		t.Errorf("rankings after v2: first %v, second %v", ga, gb)
	}
	// A new instance takes the stored version up rather than teaching.
	if c, _ := instance(); c.serverReranker.Load() != 2 {
		t.Errorf("a new instance uses re-ranker v%d", c.serverReranker.Load())
	}
	if n, _ := rerankers(); n != 2 {
		t.Errorf("a new instance taught its own: %d re-rankers stored", n)
	}
}
