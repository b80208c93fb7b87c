package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mattranso/mattranso/cmd/mattranso/internal/config"
	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/ingest"
	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/store"
)

// The library's models — the local embedder and the re-ranker it teaches —
// are shared by every instance on the database (retrieval.Models): the
// one instance holding the lease modelsLease trains a new version when
// the library has changed by more than retrieval.Retrain (or there is
// none) and no ingest is running, embeds its vectors and teaches the re-ranker over them, and
// stores both; every other instance, asking every modelsPoll, loads the
// new version, embeds its own vectors with it (a store per version: the
// embedded store's directory and Qdrant's collection carry the version,
// so vectors of two models never mix), and only then swaps embedder,
// vectors and re-ranker together. Until then it keeps searching with the
// version it had, whole; an instance with none yet searches on keywords
// with the learning notice.
const (
	modelsLease    = "library-models"
	modelsLeaseTTL = time.Minute
	modelsPoll     = time.Second
)

// errModelsElsewhere says that another instance holds the training lease
// and has not stored what this one needs yet: ask again later.
var errModelsElsewhere = errors.New("another instance is teaching the library's models")

// models is an instance's side of the shared models.
type models struct {
	store  *retrieval.Models
	leases *store.Leases

	mu       sync.Mutex
	recipe   string // what the embedder learns from (pairs, teaching version)
	pairs    []retrieval.Pair
	embedder retrieval.ModelInfo // in use; Version 0 when none
	reranker retrieval.ModelInfo
	current  bool  // the versions in use are the newest and fit the library…
	at       int64 // …as of this change of the library
}

// ModelsLine is /readyz's line on the library's models: the versions in
// use, and whether they are the ones for the library as it is now.
func (d *Data) ModelsLine() string {
	m := d.models.Load()
	if m == nil {
		if !d.sharesModels {
			return ""
		}
		m = &models{} // not looked yet
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.current {
		return fmt.Sprintf("mô hình: bộ nhúng v%d, bộ xếp hạng v%d, đang học (models: embedder v%d, re-ranker v%d, learning)",
			m.embedder.Version, m.reranker.Version, m.embedder.Version, m.reranker.Version)
	}
	return fmt.Sprintf("mô hình: bộ nhúng v%d, bộ xếp hạng v%d, khớp thư viện ở #%d (models: embedder v%d, re-ranker v%d, current at #%d)",
		m.embedder.Version, m.reranker.Version, m.at, m.embedder.Version, m.reranker.Version, m.at)
}

// ReadyDetail is /readyz's detail on the library: how far the index is
// behind the database (LagLine), and the models in use (ModelsLine).
func (d *Data) ReadyDetail() string {
	if l := d.ModelsLine(); l != "" {
		return LagLine(d.Follower.Lag()) + "; " + l
	}
	return LagLine(d.Follower.Lag())
}

// sharedModels prepares the instance's side of the shared models once.
func (d *Data) sharedModels(ctx context.Context, cfg config.Config) (*models, error) {
	if m := d.models.Load(); m != nil {
		return m, nil
	}
	pairs, err := retrieval.ReadTrainingPairs(cfg.Search.TrainPairs...)
	if err != nil {
		return nil, fmt.Errorf("MATTRANSO_TRAIN_PAIRS: %w", err)
	}
	leases, err := store.NewLeases(ctx, d.DB, "")
	if err != nil {
		return nil, err
	}
	recipe := retrieval.PairsDigest(pairs)
	if cfg.Search.TeachLibrary {
		// The pseudo-questions change with every document; the model is
		// retrained when the library changes materially or the way they
		// are made or worded (the thesaurus) does, not at every edit.
		recipe += "+" + retrieval.TeachVersion + "+thesaurus-" + retrieval.DefaultThesaurus().Digest()
	}
	m := &models{store: retrieval.NewModels(d.DB), leases: leases, recipe: recipe, pairs: pairs}
	d.models.Store(m)
	return m, nil
}

// localModels brings the instance's local embedder, vectors and re-ranker
// to the database's newest versions, training them under the lease when
// the library has outgrown them. With wait it returns only once it has a
// model to search with (or the library has too few passages to learn
// from); without, a model another instance is still teaching is left for
// the next call.
func (d *Data) localModels(ctx context.Context, cfg config.Config, log *slog.Logger, wait bool) error {
	m, err := d.sharedModels(ctx, cfg)
	if err != nil {
		return err
	}
	for {
		err := d.modelsStep(ctx, cfg, log, m)
		if !wait || !errors.Is(err, errModelsElsewhere) {
			return err
		}
		m.mu.Lock()
		have := m.embedder.Version > 0
		m.mu.Unlock()
		if have {
			return nil // searching with the version it has meanwhile
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(modelsPoll):
		}
	}
}

// RunModels keeps the library's models at the database's newest version
// until ctx ends, asking every modelsPoll; call it after SetupVectors.
func (d *Data) RunModels(ctx context.Context, cfg config.Config, log *slog.Logger) {
	if ctx.Err() != nil {
		return
	}
	step := func() error { return d.localModels(ctx, cfg, log, false) }
	if !localEmbedder(cfg) {
		if !wantsReranker(cfg) {
			return
		}
		// An embedding server's re-ranker: taught again as the library
		// grows, or taken up when another instance has stored a newer one.
		step = func() error {
			emb, v := d.Search.VectorSide()
			if emb == nil || v == nil {
				return nil
			}
			r, err := d.teachReranker(ctx, cfg, log, emb, v, false)
			if r != nil {
				d.Search.SetReranker(r)
			}
			return err
		}
	}
	d.following.Go(func() {
		t := time.NewTicker(modelsPoll)
		defer t.Stop()
		said := "" // the failure last logged, said once while it lasts
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			err := step()
			if err == nil || errors.Is(err, errModelsElsewhere) || ctx.Err() != nil {
				said = ""
				continue
			}
			if err.Error() != said {
				said = err.Error()
				log.Warn("the library's models could not be brought up to date; searching with those in use", "err", err)
			}
		}
	})
}

// localEmbedder tells whether cfg searches with the local embedder.
func localEmbedder(cfg config.Config) bool {
	mode, _ := retrieval.ParseMode(cfg.Search.Mode)
	return mode != retrieval.ModeKeyword && (cfg.Search.OpenAIBaseURL == "" || cfg.Search.EmbeddingModel == "")
}

// wantsReranker tells whether cfg ranks with the re-ranker the library
// teaches.
func wantsReranker(cfg config.Config) bool {
	mode, _ := retrieval.ParseMode(cfg.Search.Mode)
	return (cfg.Search.Reranker == "" || cfg.Search.Reranker == "library") && mode == retrieval.ModeHybrid
}

// modelsStep is one look at the database's models (see models).
func (d *Data) modelsStep(ctx context.Context, cfg config.Config, log *slog.Logger, m *models) error {
	// The library as this instance has it: the number of passages at a
	// change of the log, read twice so that the two go together.
	seq := d.Follower.Lag().Applied
	n, err := d.Index.Count()
	if err != nil {
		return err
	}
	if d.Follower.Lag().Applied != seq {
		return nil // moving: the next look
	}
	count := int(n)
	if count < 2 {
		m.setCurrent(true, seq) // nothing to learn from yet
		return nil
	}
	latest, ok, err := m.store.Latest(ctx, retrieval.ModelEmbedder, 0)
	if err != nil {
		return err
	}
	fits := ok && retrieval.EmbedderFits(latest, m.recipe, count)
	if !fits {
		// Not while an ingest runs: a library coming in would be learned
		// again at every tenth of it; the instance that ingests trains once
		// it is in.
		busy, err := ingestRunning(ctx, d.DB)
		if err != nil {
			return err
		}
		ran := false
		if !busy {
			ran, err = m.leases.Run(ctx, modelsLease, modelsLeaseTTL, func(ctx context.Context) error {
				return d.trainModels(ctx, cfg, log, m, seq, 0)
			})
		}
		if ran {
			if err == nil {
				m.setCurrent(true, seq)
			}
			return err
		}
		if err != nil {
			return err
		}
		m.setCurrent(false, seq)
		if !ok || latest.Recipe != m.recipe {
			if m.embedderVersion() == 0 {
				d.Search.SetLearning("vector search still learning from the library")
			}
			return errModelsElsewhere
		}
		// The last version of this recipe serves until the next one is
		// stored.
	}
	if latest.Version != m.embedderVersion() || m.rerankerMissing(cfg) {
		emb, err := m.store.LoadEmbedder(ctx, latest, d.localDir(cfg))
		if errors.Is(err, retrieval.ErrModelChecksum) {
			// Never used; the next version replaces it.
			log.Error("a model of the library in the database is damaged; training the next version", "err", err)
			ran, terr := m.leases.Run(ctx, modelsLease, modelsLeaseTTL, func(ctx context.Context) error {
				return d.trainModels(ctx, cfg, log, m, seq, latest.Version)
			})
			if !ran && terr == nil {
				return err
			}
			if terr == nil {
				m.setCurrent(true, seq)
			}
			return terr
		}
		if err != nil {
			return err
		}
		if err := d.adoptModels(ctx, cfg, log, m, latest, emb, false); err != nil {
			return err
		}
	}
	m.setCurrent(fits, seq)
	return nil
}

// ingestRunning tells whether an ingest or a deletion holds the library's
// lock (ingest.AcquireLock) now.
func ingestRunning(ctx context.Context, db *store.DB) (bool, error) {
	l, err := ingest.AcquireLock(ctx, db, ingest.LockOptions{})
	if errors.Is(err, ingest.ErrBusy) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	l.Release()
	return false, nil
}

func (m *models) setCurrent(ok bool, seq int64) {
	m.mu.Lock()
	m.current, m.at = ok, seq
	m.mu.Unlock()
}

func (m *models) embedderVersion() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.embedder.Version
}

func (m *models) rerankerMissing(cfg config.Config) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return wantsReranker(cfg) && m.reranker.Embedder != m.embedder.Version
}

func (d *Data) localDir(cfg config.Config) string {
	return filepath.Join(cfg.DataDir, "index", "local")
}

// trainModels runs under the lease: unless another instance stored a
// fitting embedder meanwhile (other than the version damaged, 0 for
// none), it trains one on the library as this instance has it (at change
// seq), stores it, and adopts it — which teaches and stores the
// re-ranker.
func (d *Data) trainModels(ctx context.Context, cfg config.Config, log *slog.Logger, m *models, seq, damaged int64) error {
	count, err := d.Index.Count()
	if err != nil {
		return err
	}
	if count < 2 {
		return nil
	}
	if latest, ok, err := m.store.Latest(ctx, retrieval.ModelEmbedder, 0); err != nil {
		return err
	} else if ok && latest.Version != damaged && retrieval.EmbedderFits(latest, m.recipe, int(count)) {
		emb, err := m.store.LoadEmbedder(ctx, latest, d.localDir(cfg))
		if err != nil {
			return err
		}
		return d.adoptModels(ctx, cfg, log, m, latest, emb, true)
	}
	start := time.Now()
	// A library beyond retrieval.MaxTrainPassages teaches from a sample.
	ps, err := retrieval.TrainingPassages(ctx, d.Index)
	if err != nil {
		return err
	}
	opts := retrieval.TrainOptions{Supervised: append([]retrieval.Pair(nil), m.pairs...)}
	taught := 0
	if cfg.Search.TeachLibrary {
		lib := retrieval.LibraryPairs(ps, retrieval.Teach(ps, retrieval.TeachOptions{}))
		taught = len(lib)
		opts.Supervised = append(opts.Supervised, lib...)
		opts.Sentences = retrieval.LibrarySentences
		retrieval.SortPairs(opts.Supervised)
	}
	opts.Progress = teachingLog(log, start, retrieval.TrainEpochs(opts), len(opts.Supervised))
	emb, err := retrieval.TrainLocalEmbedder(ctx, ps, opts)
	if err != nil {
		return err
	}
	info, err := m.store.PutEmbedder(ctx, emb, m.recipe, seq, int(count), d.localDir(cfg))
	if err != nil {
		return err
	}
	log.Info("local embedder trained and stored for every instance", "version", info.Version, "model", emb.Name(),
		"passages", count, "judged_pairs", len(m.pairs), "library_questions", taught, "took", time.Since(start).Round(time.Millisecond))
	return d.adoptModels(ctx, cfg, log, m, info, emb, true)
}

// adoptModels makes the embedder of info the instance's: its vectors in
// a store of that version (embedded unless QDRANT_URL), the re-ranker
// taught over it — loaded, or taught and stored when none is and this
// instance may (leased, or the lease is free) — then all three at once
// in search, and the changes of the library applied meanwhile re-embedded
// into the new store.
func (d *Data) adoptModels(ctx context.Context, cfg config.Config, log *slog.Logger, m *models, info retrieval.ModelInfo, emb *retrieval.LocalEmbedder, leased bool) error {
	before := d.Follower.Lag().Applied
	v, err := d.versionedVectors(ctx, cfg, emb, info.Version)
	if err != nil {
		return err
	}
	if m.embedderVersion() == 0 && !freshVectors(v) {
		// Vectors kept from the last run: the changes the follower applied
		// at start, before there was a vector side, are not in them.
		before = min(before, d.openedSeq)
	}
	if err := retrieval.SyncVectors(ctx, d.Index, emb, v); err != nil {
		v.Close()
		return err
	}
	var rinfo retrieval.ModelInfo
	var r *retrieval.Reranker
	if wantsReranker(cfg) {
		r, rinfo, err = d.sharedReranker(ctx, cfg, log, m, info, emb, v, leased)
		if err != nil {
			v.Close()
			return err
		}
	}
	d.setVectors(emb, v)
	if r != nil {
		d.Search.SetReranker(r)
	}
	d.Search.SetLearning("")
	m.mu.Lock()
	m.embedder, m.reranker = info, rinfo
	m.mu.Unlock()
	// Whatever the follower applied while the new store was filled went
	// to the old one: applied again to the new (reading each document as
	// the database holds it now, so twice is harmless).
	if err := d.reembedSince(ctx, emb, v, before); err != nil {
		log.Warn("the library's changes made while the vectors were rebuilt could not be re-embedded", "err", err)
	}
	d.dropOtherVectors(cfg, info.Version)
	if q, ok := v.(*retrieval.Qdrant); ok && leased {
		dropOldCollections(ctx, log, q, info.Version)
	}
	if r != nil {
		// A copy for the tools that read a data directory (the memory
		// benchmark, an operator); serve reads the database's.
		if b, err := r.Marshal(); err == nil {
			os.WriteFile(filepath.Join(d.localDir(cfg), "reranker.json"), append(b, '\n'), 0o644)
		}
	}
	log.Info("library models in use", "embedder", info.Version, "model", emb.Name(), "reranker", rinfo.Version)
	return nil
}

// versionedVectors opens the vector store of an embedder version: in
// Qdrant, a collection of its own; else the embedded store's directory
// of that version.
func (d *Data) versionedVectors(ctx context.Context, cfg config.Config, emb *retrieval.LocalEmbedder, version int64) (retrieval.VectorStore, error) {
	model := retrieval.VectorModel(emb, version)
	if vc := cfg.Search; vc.QdrantURL != "" {
		return retrieval.OpenQdrant(ctx, retrieval.QdrantOptions{URL: vc.QdrantURL, APIKey: vc.QdrantKey,
			Collection: fmt.Sprintf("%s_local_v%d", retrieval.DefaultQdrantCollection, version),
			Dim:        emb.Dimension(), Model: model, RecreateOnMismatch: true})
	}
	return retrieval.OpenEmbeddedVectors(filepath.Join(d.localDir(cfg), fmt.Sprintf("vectors-v%d", version)), emb.Dimension(), model)
}

// dropOtherVectors removes the embedded stores of other versions.
func (d *Data) dropOtherVectors(cfg config.Config, version int64) {
	keep := fmt.Sprintf("vectors-v%d", version)
	entries, _ := os.ReadDir(d.localDir(cfg))
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "vectors") && e.Name() != keep {
			os.RemoveAll(filepath.Join(d.localDir(cfg), e.Name()))
		}
	}
}

// dropOldCollections drops the Qdrant collections of embedder versions
// before the one ahead of version: the previous version's stays for the
// instances that have not taken the new one up yet. Done by the instance
// that trained it; a failure leaves them, said in the log.
func dropOldCollections(ctx context.Context, log *slog.Logger, q *retrieval.Qdrant, version int64) {
	prefix := retrieval.DefaultQdrantCollection + "_local_v"
	dropped, err := q.DropOthers(ctx, func(name string) bool {
		n, err := strconv.ParseInt(strings.TrimPrefix(name, prefix), 10, 64)
		return strings.HasPrefix(name, prefix) && err == nil && n < version-1
	})
	if err != nil {
		log.Warn("the vectors of older embedders could not all be dropped from Qdrant", "err", err, "dropped", dropped)
	} else if len(dropped) > 0 {
		log.Info("vectors of older embedders dropped from Qdrant", "collections", dropped)
	}
}

// freshVectors tells whether a vector store opened empty.
func freshVectors(v retrieval.VectorStore) bool {
	switch s := v.(type) {
	case *retrieval.EmbeddedVectors:
		return s.Fresh
	case *retrieval.Qdrant:
		return s.Fresh
	}
	return false
}

// reembedSince re-embeds into v the documents changed after change seq,
// each as the database holds it now.
func (d *Data) reembedSince(ctx context.Context, emb retrieval.Embedder, v retrieval.VectorStore, seq int64) error {
	for {
		cs, err := d.Docs.Changes(ctx, seq, 500)
		if err != nil || len(cs) == 0 {
			return err
		}
		seen := map[string]bool{}
		for _, c := range cs {
			if seen[c.DocID] {
				continue
			}
			seen[c.DocID] = true
			if err := v.DeleteDocs(ctx, c.DocID); err != nil {
				return err
			}
			doc, err := d.Docs.Get(ctx, c.DocID)
			if errors.Is(err, corpus.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if err := retrieval.EmbedPassages(ctx, emb, v, corpus.Passages(doc)); err != nil {
				return err
			}
		}
		seq = cs[len(cs)-1].Seq
	}
}

// sharedReranker returns the re-ranker taught over the embedder of info:
// the database's, or one taught here over v and stored when none is and
// this instance holds the lease or can take it.
func (d *Data) sharedReranker(ctx context.Context, cfg config.Config, log *slog.Logger, m *models, info retrieval.ModelInfo, emb retrieval.Embedder, v retrieval.VectorStore, leased bool) (*retrieval.Reranker, retrieval.ModelInfo, error) {
	load := func() (*retrieval.Reranker, retrieval.ModelInfo, bool, error) {
		ri, ok, err := m.store.Latest(ctx, retrieval.ModelReranker, info.Version)
		if err != nil || !ok {
			return nil, ri, false, err
		}
		return loadReranker(ctx, log, m.store, ri)
	}
	if r, ri, ok, err := load(); err != nil || ok {
		return r, ri, err
	}
	var r *retrieval.Reranker
	var ri retrieval.ModelInfo
	teach := func(ctx context.Context) error {
		var ok bool
		var err error
		if !leased {
			// Stored meanwhile by the instance that held the lease.
			if r, ri, ok, err = load(); err != nil || ok {
				return err
			}
		}
		r, ri, err = d.teachAndStoreReranker(ctx, log, m.store, emb, v,
			retrieval.ModelInfo{Recipe: retrieval.TeachVersion, Passages: info.Passages, Embedder: info.Version})
		return err
	}
	if leased {
		return r, ri, teach(ctx)
	}
	ran, err := m.leases.Run(ctx, modelsLease, modelsLeaseTTL, teach)
	if err != nil {
		return nil, ri, err
	}
	if !ran {
		return nil, ri, errModelsElsewhere
	}
	return r, ri, nil
}

// loadReranker reads the re-ranker of ri from the database; ok is false,
// with a logged error, when it is damaged: never used, and taught again
// as the next version.
func loadReranker(ctx context.Context, log *slog.Logger, store *retrieval.Models, ri retrieval.ModelInfo) (r *retrieval.Reranker, _ retrieval.ModelInfo, ok bool, err error) {
	ri, body, err := store.Load(ctx, retrieval.ModelReranker, ri.Version)
	if errors.Is(err, retrieval.ErrModelChecksum) {
		log.Error("a model of the library in the database is damaged; teaching the next version", "err", err)
		return nil, ri, false, nil
	}
	if err != nil {
		return nil, ri, false, err
	}
	if r, err = retrieval.ParseReranker(body); err != nil {
		return nil, ri, false, fmt.Errorf("%s: %w", ri, err)
	}
	return r, ri, true, nil
}

// teachAndStoreReranker teaches the re-ranker over emb and v and stores
// it for every instance, with the recipe, passages and embedder version
// of info.
func (d *Data) teachAndStoreReranker(ctx context.Context, log *slog.Logger, store *retrieval.Models, emb retrieval.Embedder, v retrieval.VectorStore, info retrieval.ModelInfo) (*retrieval.Reranker, retrieval.ModelInfo, error) {
	r, err := d.teachLibraryReranker(ctx, log, emb, v)
	if err != nil {
		return nil, info, err
	}
	body, err := r.Marshal()
	if err != nil {
		return nil, info, err
	}
	info.Kind, info.Name, info.CorpusSeq = retrieval.ModelReranker, r.TrainedOn[0].Name, d.Follower.Lag().Applied
	if info, err = store.Put(ctx, info, body); err != nil {
		return nil, info, err
	}
	log.Info("re-ranker taught and stored for every instance", "version", info.Version, "embedder", info.Embedder, "recipe", info.Recipe)
	return r, info, nil
}

// teachLibraryReranker teaches the re-ranker from the library's
// pseudo-questions searched over emb and v, on a search of its own so
// that citizens' searches keep to what they had until it is done; an
// error is the library's too small to learn from (fewer than two
// passages) or the search's.
func (d *Data) teachLibraryReranker(ctx context.Context, log *slog.Logger, emb retrieval.Embedder, v retrieval.VectorStore) (*retrieval.Reranker, error) {
	start := time.Now()
	ps, err := retrieval.TrainingPassages(ctx, d.Index)
	if err != nil {
		return nil, err
	}
	if len(ps) < 2 {
		return nil, errors.New("re-ranker: the library has too few passages to learn from")
	}
	// Every pseudo-question is searched as the finished index answers
	// it: before its memory snapshot is ready a search lacks what only
	// the snapshot gives (the passages defining a phrase), and the lesson
	// would depend on when the snapshot came.
	if err := d.Index.WaitMemory(ctx); err != nil {
		return nil, err
	}
	l := retrieval.Teach(ps, retrieval.TeachOptions{})
	h := &retrieval.Hybrid{Keyword: d.Index, Embedder: emb, Vectors: v, Timeout: d.Search.Timeout, Logger: log}
	r, err := retrieval.TeachReranker(ctx, h, ps, l, 0, func(what string, done, total int, took time.Duration) {
		log.Info("teaching the re-ranker", "questions", fmt.Sprintf("%d/%d", done, total), "took", took.Round(time.Second), "left", left(took, done, total))
	})
	if err != nil {
		return nil, fmt.Errorf("re-ranker: %w", err)
	}
	log.Info("re-ranker taught by the library", "lesson", l.Name(), "questions", r.TrainedOn[0].Queries, "took", time.Since(start).Round(time.Millisecond))
	return r, nil
}
