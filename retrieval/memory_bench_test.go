package retrieval_test

// BenchmarkLibraryMemory reports what a library holds in memory once
// `serve` has opened it and answered the query mixes: the heap in use after
// a collection, per passage, with the in-memory keyword snapshot built. It
// opens the data directory MATTRANSO_BENCH_DATA names (made by `mattranso
// ingest`; no server may have it open), and writes a heap profile where
// MATTRANSO_HEAP_PROFILE says, to see what grows with the library:
//
//	MATTRANSO_BENCH_DATA=/tmp/data MATTRANSO_HEAP_PROFILE=/tmp/heap.pprof \
//	  go test -run '^$' -bench BenchmarkLibraryMemory -benchtime 1x ./retrieval
//	go tool pprof -sample_index inuse_space -top /tmp/heap.pprof

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"testing"

	"github.com/mattranso/mattranso/eval/evaltest"
	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/retrieval"
)

func BenchmarkLibraryMemory(b *testing.B) {
	shared := testenv.Shared(b)
	dir := os.Getenv(testenv.EnvBenchData)
	if dir == "" {
		b.Skip("MATTRANSO_BENCH_DATA names no data directory to measure")
	}
	ctx := context.Background()
	for b.Loop() {
		idx, err := retrieval.OpenKeyword(filepath.Join(dir, "index", "keyword"))
		if err != nil {
			b.Fatal(err)
		}
		if idx.Fresh {
			b.Fatalf("%s holds no keyword index of version %s", dir, retrieval.KeywordVersion)
		}
		// The re-ranker the library taught, when the directory has one.
		var rr *retrieval.Reranker
		if p := filepath.Join(dir, "index", "local", "reranker.json"); fileExists(p) {
			if rr, err = retrieval.ReadReranker(p); err != nil {
				b.Fatal(err)
			}
		}
		h := &retrieval.Hybrid{Keyword: idx, Reranker: rr}
		// A data directory without vectors (ingested, then served with
		// MATTRANSO_SEARCH_MODE=keyword) is measured on keywords alone
		// rather than trained here.
		var vs *retrieval.EmbeddedVectors
		if _, err := os.Stat(filepath.Join(dir, "index", "local", "embedder.bin")); err == nil {
			emb, v, _, err := retrieval.LocalVectors(ctx, idx, filepath.Join(dir, "index", "local"), retrieval.TrainOptions{})
			if err != nil || emb == nil {
				b.Fatalf("vectors: %v", err)
			}
			h.Vectors, h.Embedder, vs = v, emb, v
		}
		idx.WarmMemory(b)
		n, _ := idx.Count()
		for _, m := range evaltest.Mixes(b, shared) {
			for _, q := range m.Queries {
				if _, err := h.Search(ctx, retrieval.Query{Text: q, Limit: 10}); err != nil {
					b.Fatalf("%q: %v", q, err)
				}
			}
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
		b.ReportMetric(float64(ms.HeapInuse)/float64(max(n, 1)), "heap-B/passage")
		b.Logf("library: %d passages; heap in use %.0f MiB, from the system %.0f MiB", n, float64(ms.HeapInuse)/(1<<20), float64(ms.Sys)/(1<<20))
		if path := os.Getenv("MATTRANSO_HEAP_PROFILE"); path != "" {
			f, err := os.Create(path)
			if err != nil {
				b.Fatal(err)
			}
			if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
		runtime.KeepAlive(h)
		if vs != nil {
			vs.Close()
		}
		idx.Close()
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
