package server

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	models  atomic.Pointer[models] // the library's models shared through the database (models.go)
	// openedSeq is the change of the library the index had applied when
	// opened: vectors kept from the last run hold the library as of then.
	openedSeq int64
	// sharesModels: search uses the library's models (the local embedder),
	// which /readyz accounts for from the start.
	sharesModels bool
	lock         *store.DirLock // the data directory, held while open
	following    sync.WaitGroup // RunFollower, which Close waits for
	// serverReranker is the version of the database's re-ranker in use
	// with an embedding server (0: none yet).
	serverReranker atomic.Int64
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
	if err := retrieval.MigrateModels(ctx, db); err != nil {
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
	d := &Data{DB: db, Docs: docs, Index: idx, Search: hy, openedSeq: readSeq(SeqFile(cfg)), sharesModels: localEmbedder(cfg)}
	fo := ingest.FollowOptions{Store: docs, Index: hy, SeqFile: SeqFile(cfg), Logger: slog.Default(),
		Known: idx.DocIDs}
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

// readSeq reads a SeqFile; 0 when it is missing or unreadable (the
// follower then rebuilds the index).
func readSeq(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0
	}
	return n
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

// RunFollower keeps the index following the database until ctx ends;
// call it after Follow. Close waits for it, so that the index is not
// closed under a change being applied.
func (d *Data) RunFollower(ctx context.Context) {
	if ctx.Err() != nil {
		return // serving has ended already
	}
	d.following.Go(func() { d.Follower.Run(ctx) })
}

// The change log is kept ChangesKept, and its newest ChangesKeptMin
// entries however old: an instance away longer rebuilds its index from the
// documents when it comes back (ingest.Follower), as a new one does.
// PruneEvery is how often one instance (under PruneLease) prunes it.
const (
	ChangesKept    = 30 * 24 * time.Hour
	ChangesKeptMin = 10000
	PruneEvery     = 6 * time.Hour
	PruneLease     = "library-changes-prune"
)

// RunPruner prunes the library's change log every PruneEvery, on one
// instance at a time, until ctx ends; Close waits for it.
func (d *Data) RunPruner(ctx context.Context, log *slog.Logger) {
	if ctx.Err() != nil {
		return
	}
	leases, err := store.NewLeases(ctx, d.DB, "")
	if err != nil {
		log.Error("the library's change log will not be pruned", "err", err)
		return
	}
	d.following.Go(func() {
		t := time.NewTimer(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			_, err := leases.Run(ctx, PruneLease, time.Hour, func(ctx context.Context) error {
				n, err := d.Docs.PruneChanges(ctx, time.Now().Add(-ChangesKept), ChangesKeptMin)
				if n > 0 {
					log.Info("library change log pruned", "removed", n)
				}
				return err
			})
			if err != nil && ctx.Err() == nil {
				log.Warn("pruning the library's change log failed", "err", err)
			}
			t.Reset(PruneEvery)
		}
	})
}

// Close closes the vectors, the index and the database, once the
// follower (RunFollower) has stopped: end its context first.
func (d *Data) Close() {
	d.following.Wait()
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
// embedder taught by the library (its text and, by default, its
// pseudo-questions; MATTRANSO_TRAIN_PAIRS); Qdrant when QDRANT_URL is
// set, else the embedded store. Then, with MATTRANSO_RERANKER=library,
// the re-ranker the library teaches. The local embedder and its re-ranker
// are the database's, loaded or trained there for every instance
// (models.go). Teaching logs how far it has come.
// A failure leaves search on keywords alone, with a warning: the library
// still works.
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
		// The local embedder and the re-ranker are the database's, shared
		// by every instance (models.go).
		return d.localModels(ctx, cfg, log, true)
	}
	if vc.QdrantURL != "" {
		// Vectors of a configured model are never dropped behind the
		// operator's back.
		q, err := retrieval.OpenQdrant(ctx, retrieval.QdrantOptions{URL: vc.QdrantURL, APIKey: vc.QdrantKey,
			Dim: emb.Dimension(), Model: emb.Name()})
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
	return d.joinVectors(ctx, cfg, log, emb, store)
}

// joinVectors gives search its vector side and, with
// MATTRANSO_RERANKER=library, the re-ranker the library teaches on it,
// both at once: searches go on from keywords alone until then. A re-ranker
// that cannot be taught leaves the fused order, with a warning.
func (d *Data) joinVectors(ctx context.Context, cfg config.Config, log *slog.Logger, emb retrieval.Embedder, v retrieval.VectorStore) error {
	r, err := d.teachReranker(ctx, cfg, log, emb, v, true)
	if err != nil {
		if ctx.Err() != nil {
			v.Close()
			return err
		}
		log.Warn("the library's re-ranker could not be taught; ranking in fused order", "err", err)
	}
	d.setVectors(emb, v)
	if r != nil {
		d.Search.SetReranker(r)
	}
	return nil
}

// teachReranker returns the re-ranker the library teaches over an
// embedding server's vectors (MATTRANSO_RERANKER=library; nil for any
// other), shared by every instance as the local embedder's is: the
// database's newest of this recipe (the teaching version, the thesaurus
// and the server's model) while the library has not grown or shrunk by
// more than retrieval.Retrain since, else one taught here, under the
// models' lease, and stored. An instance that finds the lease taken waits
// for what its holder stores (wait), or returns errModelsElsewhere. The
// version in use is d.serverReranker; nil when it still fits.
func (d *Data) teachReranker(ctx context.Context, cfg config.Config, log *slog.Logger, emb retrieval.Embedder, v retrieval.VectorStore, wait bool) (*retrieval.Reranker, error) {
	if spec := cfg.Search.Reranker; spec != "" && spec != "library" {
		return nil, nil
	}
	if mode, _ := retrieval.ParseMode(cfg.Search.Mode); mode != retrieval.ModeHybrid {
		return nil, nil
	}
	n, err := d.Index.Count()
	if err != nil || n < 2 {
		return nil, err // nothing to learn from yet
	}
	models := retrieval.NewModels(d.DB)
	leases, err := store.NewLeases(ctx, d.DB, "")
	if err != nil {
		return nil, err
	}
	recipe := retrieval.TeachVersion + "+thesaurus-" + retrieval.DefaultThesaurus().Digest() + "+" + emb.Name()
	// fits: the newest of the recipe fits the library; r is nil when it is
	// the one in use.
	load := func() (r *retrieval.Reranker, fits bool, err error) {
		info, ok, err := models.LatestRecipe(ctx, retrieval.ModelReranker, recipe)
		if err != nil || !ok || !retrieval.ModelFits(info, retrieval.ModelReranker, recipe, int(n)) {
			return nil, false, err
		}
		if info.Version == d.serverReranker.Load() {
			return nil, true, nil
		}
		r, info, ok, err = loadReranker(ctx, log, models, info)
		if ok {
			d.serverReranker.Store(info.Version)
			log.Info("re-ranker of the library loaded", "version", info.Version, "recipe", recipe)
		}
		return r, ok, err
	}
	for {
		if r, fits, err := load(); err != nil || fits {
			return r, err
		}
		var r *retrieval.Reranker
		ran, err := leases.Run(ctx, modelsLease, modelsLeaseTTL, func(ctx context.Context) (err error) {
			// Stored meanwhile by the instance that held the lease.
			var fits bool
			if r, fits, err = load(); err != nil || fits {
				return err
			}
			var info retrieval.ModelInfo
			r, info, err = d.teachAndStoreReranker(ctx, log, models, emb, v, retrieval.ModelInfo{Recipe: recipe, Passages: int(n)})
			if err == nil {
				d.serverReranker.Store(info.Version)
			}
			return err
		})
		if err != nil || ran {
			return r, err
		}
		if !wait {
			return nil, errModelsElsewhere
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

// teachingLog logs the start of the embedder's training and each epoch:
// how far, the loss, how long it has taken and about how long is left.
func teachingLog(log *slog.Logger, start time.Time, epochs, pairs int) func(int, float64) {
	return func(epoch int, loss float64) {
		took := time.Since(start)
		if epoch == 0 {
			log.Info("teaching the local embedder: searches use keywords until it has learned", "epochs", epochs, "question_pairs", pairs, "took", took.Round(time.Second))
			return
		}
		log.Info("teaching the local embedder", "epoch", fmt.Sprintf("%d/%d", epoch, epochs), "loss", fmt.Sprintf("%.3f", loss), "took", took.Round(time.Second), "left", left(took, epoch, epochs))
	}
}

// left estimates the time left when done of total steps took took.
func left(took time.Duration, done, total int) time.Duration {
	if done <= 0 {
		return 0
	}
	return (took / time.Duration(done) * time.Duration(total-done)).Round(time.Second)
}
