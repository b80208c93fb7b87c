package server

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mattranso/mattranso/cmd/mattranso/internal/config"
	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/ingest"
	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/store"
)

// Data is the opened data of a data directory: the database, the
// documents, the keyword index and the search over them.
type Data struct {
	DB     *store.DB
	Docs   *corpus.Store
	Index  *retrieval.Keyword
	Search *retrieval.Hybrid // the searcher and indexer: keyword, plus vectors once set
	// Follower keeps Search in step with the database's change log, which
	// every instance on the database writes (Follow).
	Follower *ingest.Follower

	vectors retrieval.VectorStore
	lock    *store.DirLock // the data directory, held while open
}

// Open opens the database (migrating the corpus and ingest tables) and
// the keyword index of cfg, with the search mode and the re-ranker of
// cfg.Search; vectors come with SetupVectors.
func Open(ctx context.Context, cfg config.Config) (*Data, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", cfg.DataDir, err)
	}
	// One process at a time: a second one fails at once, naming the holder.
	lock, err := store.LockDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, cfg.Database())
	if err != nil {
		lock.Close()
		return nil, err
	}
	d, err := OpenOn(ctx, cfg, db)
	if err != nil {
		db.Close()
		lock.Close()
		return nil, err
	}
	d.lock = lock
	return d, nil
}

// OpenOn is Open over a database already open, which the returned Data
// then owns (Close closes it); on an error the caller keeps it.
func OpenOn(ctx context.Context, cfg config.Config, db *store.DB) (*Data, error) {
	docs := corpus.NewStore(db)
	if err := docs.Migrate(ctx); err != nil {
		return nil, err
	}
	if err := ingest.Migrate(ctx, db); err != nil {
		return nil, err
	}
	idx, err := retrieval.OpenKeyword(cfg.KeywordDir())
	if err != nil {
		return nil, err
	}
	mode, err := retrieval.ParseMode(cfg.Search.Mode)
	if err != nil {
		mode = retrieval.ModeHybrid
	}
	rr, err := config.LoadReranker(cfg.Search.Reranker)
	if err != nil {
		idx.Close()
		return nil, fmt.Errorf("MATTRANSO_RERANKER: %w", err)
	}
	th, err := retrieval.LoadThesaurus(cfg.Search.Thesaurus)
	if err != nil {
		idx.Close()
		return nil, fmt.Errorf("MATTRANSO_THESAURUS: %w", err)
	}
	retrieval.UseThesaurus(th)
	hy := &retrieval.Hybrid{Keyword: idx, Mode: mode, Timeout: 3 * time.Second, Logger: slog.Default(), Reranker: rr,
		Concurrency: cfg.Search.Turns}
	d := &Data{DB: db, Docs: docs, Index: idx, Search: hy}
	fo := ingest.FollowOptions{Store: docs, Index: hy, SeqFile: SeqFile(cfg), Logger: slog.Default(),
		Known: func(ctx context.Context) ([]string, error) { return indexedDocs(ctx, idx) }}
	if db.Dialect == store.Postgres {
		fo.Listen = ingest.ListenPostgres(db.DB)
	}
	d.Follower = ingest.NewFollower(fo)
	return d, nil
}

// SeqFile is where an instance keeps the last change of the library it
// has applied: next to the keyword index, in its data directory.
func SeqFile(cfg config.Config) string {
	return filepath.Join(filepath.Dir(cfg.KeywordDir()), "library.seq")
}

// indexedDocs lists the documents the keyword index holds.
func indexedDocs(ctx context.Context, idx *retrieval.Keyword) ([]string, error) {
	ps, err := idx.Passages(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var ids []string
	for _, p := range ps {
		if !seen[p.DocID] {
			seen[p.DocID] = true
			ids = append(ids, p.DocID)
		}
	}
	return ids, nil
}

// Follow brings the index in step with the database — rebuilt whole when
// it is fresh, else the changes since the last one applied — and returns
// how many documents that indexed or removed; RunFollower keeps it so.
func (d *Data) Follow(ctx context.Context) (int, error) {
	return d.Follower.Start(ctx, d.Index.Fresh)
}

// Vectors is the vector store search uses; nil before SetupVectors, or
// when it found no vectors to use.
func (d *Data) Vectors() retrieval.VectorStore { return d.vectors }

// setVectors gives search its vector side, closing the one it replaces.
func (d *Data) setVectors(emb retrieval.Embedder, v retrieval.VectorStore) {
	old := d.vectors
	d.vectors = v
	d.Search.SetVectors(emb, v)
	if old != nil && old != v {
		old.Close()
	}
}

// Close closes the vectors, the index and the database.
func (d *Data) Close() {
	if d.vectors != nil {
		d.vectors.Close()
	}
	d.Index.Close()
	d.DB.Close()
	if d.lock != nil {
		d.lock.Close()
	}
}

// SetupVectors gives the hybrid search its vector side: an embedding
// server when OPENAI_BASE_URL and EMBEDDING_MODEL are set, else the local
// embedder trained on the library (and on the training pairs of
// MATTRANSO_TRAIN_PAIRS); Qdrant when QDRANT_URL is set, else the
// embedded store. A failure leaves search on keywords alone, with a
// warning: the library still works.
func (d *Data) SetupVectors(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	vc := cfg.Search
	if mode, _ := retrieval.ParseMode(vc.Mode); mode == retrieval.ModeKeyword {
		return nil
	}
	var emb retrieval.Embedder
	var store retrieval.VectorStore
	if vc.OpenAIBaseURL != "" && vc.EmbeddingModel != "" {
		oe, err := retrieval.NewOpenAIEmbedder(retrieval.OpenAIEmbedderOptions{BaseURL: vc.OpenAIBaseURL, APIKey: vc.OpenAIKey, Model: vc.EmbeddingModel})
		if err != nil {
			return err
		}
		if oe.Dimension() == 0 {
			// Learn the dimension, which the vector store needs.
			probe, cancel := context.WithTimeout(ctx, time.Minute)
			_, err := oe.Embed(probe, []string{"Mặt trận số"})
			cancel()
			if err != nil {
				return fmt.Errorf("embedding server: %w", err)
			}
		}
		emb = oe
	} else {
		start := time.Now()
		pairs, err := retrieval.ReadTrainingPairs(vc.TrainPairs...)
		if err != nil {
			return fmt.Errorf("MATTRANSO_TRAIN_PAIRS: %w", err)
		}
		local, v, trained, err := retrieval.LocalVectors(ctx, d.Index, filepath.Join(cfg.DataDir, "index", "local"), retrieval.TrainOptions{Supervised: pairs})
		if err != nil {
			return err
		}
		if local == nil {
			return nil // an empty library: nothing to learn from yet
		}
		if trained {
			log.Info("local embedder trained", "model", local.Name(), "judged_pairs", len(pairs), "took", time.Since(start).Round(time.Millisecond))
		}
		emb = local
		if vc.QdrantURL == "" {
			d.setVectors(emb, v)
			return nil
		}
		v.Close()
	}
	if vc.QdrantURL != "" {
		// The local embedder is rebuilt from the corpus, so a collection of
		// an older local model is simply replaced; vectors of a configured
		// model are never dropped behind the operator's back.
		_, local := emb.(*retrieval.LocalEmbedder)
		q, err := retrieval.OpenQdrant(ctx, retrieval.QdrantOptions{URL: vc.QdrantURL, APIKey: vc.QdrantKey,
			Dim: emb.Dimension(), Model: emb.Name(), RecreateOnMismatch: local})
		if err != nil {
			return err
		}
		store = q
	} else {
		v, err := retrieval.OpenEmbeddedVectors(filepath.Join(cfg.DataDir, "index", "vectors-"+corpus.Slug(strings.ReplaceAll(emb.Name(), ":", " "))), emb.Dimension(), emb.Name())
		if err != nil {
			return err
		}
		store = v
	}
	if err := retrieval.SyncVectors(ctx, d.Index, emb, store); err != nil {
		store.Close()
		return err
	}
	d.setVectors(emb, store)
	return nil
}
