package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
)

// vectorConfig is the part of Config that chooses the embedder and the
// vector store.
type vectorConfig struct {
	SearchMode string // MATTRANSO_SEARCH_MODE: hybrid (default), keyword, vector
	// SearchTurns is MATTRANSO_SEARCH_CONCURRENCY: how many hybrid searches
	// run at once, the others waiting their turn; 0 means one per CPU.
	SearchTurns    int
	Reranker       string // MATTRANSO_RERANKER: shipped (default), none, or a model file
	TrainPairs     string // MATTRANSO_TRAIN_PAIRS: auto (default: the judged sets in ../shared/eval), none, or a list of BEIR sets
	OpenAIBaseURL  string // OPENAI_BASE_URL
	OpenAIKey      string // OPENAI_API_KEY (or _FILE)
	EmbeddingModel string // EMBEDDING_MODEL
	LLMModel       string // LLM_MODEL: generative answers
	QdrantURL      string // QDRANT_URL
	QdrantKey      string // QDRANT_API_KEY (or _FILE)
}

func loadVectorConfig() (vectorConfig, error) {
	c := vectorConfig{
		SearchMode:     env("MATTRANSO_SEARCH_MODE", "hybrid"),
		Reranker:       env("MATTRANSO_RERANKER", "shipped"),
		TrainPairs:     env("MATTRANSO_TRAIN_PAIRS", "auto"),
		OpenAIBaseURL:  env("OPENAI_BASE_URL", ""),
		EmbeddingModel: env("EMBEDDING_MODEL", ""),
		LLMModel:       env("LLM_MODEL", ""),
		QdrantURL:      env("QDRANT_URL", ""),
	}
	var err error
	if c.OpenAIKey, err = secret("OPENAI_API_KEY"); err != nil {
		return c, err
	}
	if c.QdrantKey, err = secret("QDRANT_API_KEY"); err != nil {
		return c, err
	}
	if _, err := retrieval.ParseMode(c.SearchMode); err != nil {
		return c, fmt.Errorf("config: MATTRANSO_SEARCH_MODE: %w", err)
	}
	if v := env("MATTRANSO_SEARCH_CONCURRENCY", ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1024 {
			return c, fmt.Errorf("config: MATTRANSO_SEARCH_CONCURRENCY: %q is not a number of searches from 1 to 1024", v)
		}
		c.SearchTurns = n
	}
	if c.Reranker != "shipped" { // the built-in model is checked by its tests
		if _, err := loadReranker(c.Reranker); err != nil {
			return c, fmt.Errorf("config: MATTRANSO_RERANKER: %w", err)
		}
	}
	return c, nil
}

// setupVectors gives the hybrid search its vector side: an embedding
// server when OPENAI_BASE_URL and EMBEDDING_MODEL are set, else the local
// embedder trained on the library; Qdrant when QDRANT_URL is set, else the
// embedded store. A failure leaves search on keywords alone, with a
// warning: the library still works.
func setupVectors(ctx context.Context, cfg Config, lib *openLib, log *slog.Logger) error {
	vc := cfg.Vectors
	if mode, _ := retrieval.ParseMode(vc.SearchMode); mode == retrieval.ModeKeyword {
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
		pairs, err := retrieval.ReadTrainingPairs(trainPairSets(vc.TrainPairs)...)
		if err != nil {
			return fmt.Errorf("MATTRANSO_TRAIN_PAIRS: %w", err)
		}
		local, v, trained, err := retrieval.LocalVectors(ctx, lib.index, filepath.Join(cfg.DataDir, "index", "local"), retrieval.TrainOptions{Supervised: pairs})
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
			lib.setVectors(emb, v)
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
	if err := retrieval.SyncVectors(ctx, lib.index, emb, store); err != nil {
		store.Close()
		return err
	}
	lib.setVectors(emb, store)
	return nil
}

// loadReranker reads the hybrid re-ranker that MATTRANSO_RERANKER names:
// "shipped" (the model built in), "none", or a model file written by
// `mattranso eval train-reranker`.
func loadReranker(spec string) (*retrieval.Reranker, error) {
	switch spec {
	case "", "shipped":
		return retrieval.ShippedReranker()
	case "none":
		return nil, nil
	}
	b, err := os.ReadFile(spec)
	if err != nil {
		return nil, fmt.Errorf("%w (shipped, none or a model file)", err)
	}
	return retrieval.ParseReranker(b)
}

// defaultJudged is where the judged question sets are looked for.
const defaultJudged = "../shared/eval"

// trainPairSets resolves MATTRANSO_TRAIN_PAIRS: the BEIR sets whose judged
// questions (training splits) also teach the local embedder.
func trainPairSets(spec string) []string {
	switch spec {
	case "", "auto":
		return retrieval.TrainingSets(defaultJudged)
	case "none":
		return nil
	}
	return splitList(spec)
}
