package retrieval

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

// The models every instance on a database shares: versions that only
// grow, bytes that come back as written, a checksum that refuses a
// damaged model by name and version, and a local copy that is only a
// cache of the database's.
func TestModelsStore(t *testing.T) {
	ctx := context.Background()
	emb, err := TrainLocalEmbedder(ctx, testPassages(), TrainOptions{Dim: 16, Epochs: 2, Batch: 4, MinDF: 1})
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"đăng ký khai sinh", "chiếm đoạt di vật"}
	want, _ := emb.Embed(ctx, texts)
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		if err := MigrateModels(ctx, db); err != nil {
			t.Fatal(err)
		}
		m := NewModels(db)
		if _, ok, err := m.Latest(ctx, ModelEmbedder, 0); err != nil || ok {
			t.Fatalf("an empty table has a newest embedder: %v %v", ok, err)
		}
		dirA, dirB := t.TempDir(), t.TempDir()
		v1, err := m.PutEmbedder(ctx, emb, "pairs+teach", 7, 40, dirA)
		if err != nil {
			t.Fatal(err)
		}
		if v1.Version != 1 || v1.Size == 0 || len(v1.SHA256) != 64 || v1.Name != emb.Name() {
			t.Errorf("first version: %+v", v1)
		}
		// Another instance, with nothing of its own, loads it from the
		// database and embeds exactly as the one that trained it.
		got, err := m.LoadEmbedder(ctx, v1, dirB)
		if err != nil {
			t.Fatal(err)
		}
		if vecs, _ := got.Embed(ctx, texts); !reflect.DeepEqual(vecs, want) || got.Name() != emb.Name() {
			t.Error("the embedder read back from the database embeds differently")
		}
		if _, err := os.Stat(filepath.Join(dirB, embedderFile)); err != nil {
			t.Errorf("not kept in the data directory: %v", err)
		}
		// A damaged local copy is read again from the database.
		os.WriteFile(filepath.Join(dirB, embedderFile), []byte("MTSEMB01 no model"), 0o644)
		if got, err := m.LoadEmbedder(ctx, v1, dirB); err != nil || got.Name() != emb.Name() {
			t.Errorf("a damaged cache: %v", err)
		}

		// Re-rankers name the embedder version they were taught over.
		r1, err := m.Put(ctx, ModelInfo{Kind: ModelReranker, Name: "library t1", Recipe: "t1", Embedder: v1.Version}, []byte(`{"w":1}`))
		if err != nil || r1.Version != 1 {
			t.Fatalf("re-ranker: %+v %v", r1, err)
		}
		// Versions only grow; the oldest beyond those kept go.
		var last ModelInfo
		for i := range modelsKept + 1 {
			if last, err = m.Put(ctx, ModelInfo{Kind: ModelEmbedder, Name: "e", Recipe: "r", Passages: 40 + i}, []byte{byte(i + 1)}); err != nil {
				t.Fatal(err)
			}
		}
		if last.Version != modelsKept+2 {
			t.Errorf("version after %d puts: %d", modelsKept+2, last.Version)
		}
		if newest, ok, err := m.Latest(ctx, ModelEmbedder, 0); err != nil || !ok || newest.Version != last.Version || newest.SHA256 != last.SHA256 {
			t.Errorf("newest %+v %v %v, want version %d", newest, ok, err, last.Version)
		}
		if _, _, err := m.Load(ctx, ModelEmbedder, 1); err == nil || !strings.Contains(err.Error(), "embedder v1") {
			t.Errorf("a version dropped: %v", err)
		}
		if r, ok, err := m.Latest(ctx, ModelReranker, v1.Version); err != nil || !ok || r.Version != r1.Version {
			t.Errorf("re-ranker for embedder v1: %+v %v %v", r, ok, err)
		}
		if _, ok, err := m.Latest(ctx, ModelReranker, last.Version); err != nil || ok {
			t.Errorf("a re-ranker for an embedder none was taught over: %v %v", ok, err)
		}
		if _, err := m.Put(ctx, ModelInfo{Kind: "classifier", Name: "x"}, []byte{1}); err == nil {
			t.Error("a model of an unknown kind was stored")
		}

		// A body that no longer matches its checksum is an error naming
		// the model and its version, never a model.
		if _, err := db.ExecContext(ctx, `UPDATE library_models SET body = $1 WHERE kind = $2 AND version = $3`,
			[]byte{0xff}, ModelEmbedder, last.Version); err != nil {
			t.Fatal(err)
		}
		_, _, err = m.Load(ctx, ModelEmbedder, last.Version)
		if !errors.Is(err, ErrModelChecksum) || !strings.Contains(err.Error(), fmt.Sprintf("embedder v%d", last.Version)) {
			t.Errorf("a damaged model: %v", err)
		}
		if _, err := m.LoadEmbedder(ctx, last, t.TempDir()); !errors.Is(err, ErrModelChecksum) {
			t.Errorf("a damaged embedder loaded: %v", err)
		}
	})
}

func TestEmbedderFits(t *testing.T) {
	m := ModelInfo{Kind: ModelEmbedder, Recipe: "a", Passages: 100}
	for _, c := range []struct {
		recipe string
		count  int
		want   bool
	}{{"a", 100, true}, {"a", 110, true}, {"a", 89, false}, {"a", 111, false}, {"b", 100, false}} {
		if got := EmbedderFits(m, c.recipe, c.count); got != c.want {
			t.Errorf("recipe %s, %d passages: fits %v, want %v", c.recipe, c.count, got, c.want)
		}
	}
}
