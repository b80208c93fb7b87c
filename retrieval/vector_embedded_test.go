package retrieval_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/retrieval/vectortest"
)

const vecTestModel = "test-model@1"

func vecOpenEmbedded(t *testing.T, dir string, dim int, model string) *retrieval.EmbeddedVectors {
	t.Helper()
	v, err := retrieval.OpenEmbeddedVectors(dir, dim, model)
	if err != nil {
		t.Fatalf("OpenEmbeddedVectors(%s, %d, %s): %v", dir, dim, model, err)
	}
	return v
}

func TestEmbeddedVectorsConformance(t *testing.T) {
	vectortest.Run(t, func(t *testing.T, dim int) retrieval.VectorStore {
		v := vecOpenEmbedded(t, t.TempDir(), dim, vecTestModel)
		if !v.Fresh || v.Discarded != nil {
			t.Fatalf("a new directory: Fresh %v, Discarded %v; want Fresh and nothing discarded", v.Fresh, v.Discarded)
		}
		return v
	}, vectortest.Reopen(func(t *testing.T, dim int) func() retrieval.VectorStore {
		dir := t.TempDir()
		first := true
		return func() retrieval.VectorStore {
			v := vecOpenEmbedded(t, dir, dim, vecTestModel)
			if v.Fresh != first || v.Discarded != nil {
				t.Fatalf("open #%d: Fresh %v, Discarded %v", map[bool]int{true: 1, false: 2}[first], v.Fresh, v.Discarded)
			}
			first = false
			return v
		}
	}))
}

// batch makes batch number b: n records of document "b<b>", with
// vectors that depend only on (b, dim), so a test can check them later.
func vecBatch(b, n, dim int) []retrieval.VectorRecord {
	rng := rand.New(rand.NewPCG(uint64(b), uint64(dim)))
	recs := make([]retrieval.VectorRecord, n)
	for i := range recs {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		kind := corpus.KindLaw
		if b%2 == 1 {
			kind = corpus.KindProcedure
		}
		recs[i] = retrieval.VectorRecord{ID: fmt.Sprintf("b%d-%d", b, i), DocID: "b" + strconv.Itoa(b), Kind: kind, Vector: v}
	}
	return recs
}

func vecUpsert(t *testing.T, s retrieval.VectorStore, recs []retrieval.VectorRecord) {
	t.Helper()
	if err := s.Upsert(context.Background(), recs); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
}

func vecCount(t *testing.T, s retrieval.VectorStore) int {
	t.Helper()
	n, err := s.Count(context.Background())
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	return n
}

// wantBatches checks that exactly batches [0, n) are held, each whole and
// with its own vectors.
func vecWantBatches(t *testing.T, s retrieval.VectorStore, n, size, dim int) {
	t.Helper()
	if got := vecCount(t, s); got != n*size {
		t.Fatalf("Count = %d, want %d batches of %d", got, n, size)
	}
	for b := range n {
		recs := vecBatch(b, size, dim)
		for _, r := range []retrieval.VectorRecord{recs[0], recs[size-1]} {
			hits, err := s.Search(context.Background(), r.Vector, 1, retrieval.VectorFilter{DocID: r.DocID})
			if err != nil {
				t.Fatal(err)
			}
			if len(hits) != 1 || hits[0].ID != r.ID || math.Abs(float64(hits[0].Score)-1) > 1e-4 {
				t.Fatalf("batch %d: search for %s: %v", b, r.ID, hits)
			}
		}
	}
}

func vecFileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// storeWithLog leaves a closed store in dir holding batches 0–3: batches
// 0 and 1 in the snapshot, 2 and 3 as two records in the log. It returns
// the log's size before batch 3 was appended.
func vecStoreWithLog(t *testing.T, dir string, dim int) (logBefore3 int64) {
	t.Helper()
	v := vecOpenEmbedded(t, dir, dim, vecTestModel)
	vecUpsert(t, v, vecBatch(0, 10, dim))
	vecUpsert(t, v, vecBatch(1, 10, dim))
	if err := v.Compact(); err != nil {
		t.Fatalf("Compact: %v", err)
	}
	vecUpsert(t, v, vecBatch(2, 10, dim))
	logBefore3 = vecFileSize(t, filepath.Join(dir, "vectors.log"))
	vecUpsert(t, v, vecBatch(3, 10, dim))
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	return logBefore3
}

func vecFlip(t *testing.T, path string, at func(size int64) int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[at(int64(len(b)))] ^= 0x5a
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func vecCut(t *testing.T, path string, to func(size int64) int64) {
	t.Helper()
	if err := os.Truncate(path, to(vecFileSize(t, path))); err != nil {
		t.Fatal(err)
	}
}

func TestEmbeddedVectorsCorruptFilesDetected(t *testing.T) {
	const dim = 8
	snap := func(dir string) string { return filepath.Join(dir, "vectors.snap") }
	log := func(dir string) string { return filepath.Join(dir, "vectors.log") }
	tests := []struct {
		name   string
		damage func(t *testing.T, dir string, logBefore3 int64)
	}{
		{"snapshot truncated", func(t *testing.T, dir string, _ int64) {
			vecCut(t, snap(dir), func(n int64) int64 { return n - 5 })
		}},
		{"snapshot cut after its header", func(t *testing.T, dir string, _ int64) {
			vecCut(t, snap(dir), func(int64) int64 { return 50 })
		}},
		{"snapshot empty", func(t *testing.T, dir string, _ int64) {
			vecCut(t, snap(dir), func(int64) int64 { return 0 })
		}},
		{"snapshot vector damaged", func(t *testing.T, dir string, _ int64) {
			vecFlip(t, snap(dir), func(n int64) int64 { return n / 2 })
		}},
		{"snapshot dimension damaged", func(t *testing.T, dir string, _ int64) {
			vecFlip(t, snap(dir), func(int64) int64 { return 12 }) // reads as another dimension unless the CRC catches it
		}},
		{"snapshot model name damaged", func(t *testing.T, dir string, _ int64) {
			vecFlip(t, snap(dir), func(int64) int64 { return 8 + 4 + 4 + 8 + 8 + 2 + 1 })
		}},
		{"snapshot replaced by garbage", func(t *testing.T, dir string, _ int64) {
			os.WriteFile(snap(dir), []byte(strings.Repeat("not vectors\n", 100)), 0o644)
		}},
		{"snapshot missing beside its log", func(t *testing.T, dir string, _ int64) {
			os.Remove(snap(dir))
		}},
		{"log header damaged", func(t *testing.T, dir string, _ int64) {
			vecFlip(t, log(dir), func(int64) int64 { return 3 })
		}},
		{"log record damaged with a record after it", func(t *testing.T, dir string, logBefore3 int64) {
			vecFlip(t, log(dir), func(int64) int64 { return logBefore3 - 10 })
		}},
		{"log record length damaged with a record after it", func(t *testing.T, dir string, _ int64) {
			// The first record starts after the log header: magic, version,
			// dimension, generation, count, model, CRC.
			start := int64(8 + 4 + 4 + 8 + 8 + 2 + len(vecTestModel) + 4)
			vecFlip(t, log(dir), func(int64) int64 { return start + 1 })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			logBefore3 := vecStoreWithLog(t, dir, dim)
			tt.damage(t, dir, logBefore3)

			v := vecOpenEmbedded(t, dir, dim, vecTestModel)
			if !errors.Is(v.Discarded, retrieval.ErrVectorsCorrupt) || !v.Fresh {
				t.Fatalf("damaged files: Fresh %v, Discarded %v; want Fresh and ErrVectorsCorrupt", v.Fresh, v.Discarded)
			}
			if n := vecCount(t, v); n != 0 {
				t.Errorf("store opened on damaged files holds %d vectors, want 0", n)
			}
			kept, _ := filepath.Glob(filepath.Join(dir, "*.corrupt"))
			if len(kept) == 0 {
				t.Errorf("damaged files not kept aside for inspection")
			}
			// The fresh store works and persists.
			vecUpsert(t, v, vecBatch(0, 10, dim))
			v.Close()
			v = vecOpenEmbedded(t, dir, dim, vecTestModel)
			defer v.Close()
			if v.Fresh || v.Discarded != nil {
				t.Fatalf("reopening the rebuilt store: Fresh %v, Discarded %v", v.Fresh, v.Discarded)
			}
			vecWantBatches(t, v, 1, 10, dim)
		})
	}
}

// A crash in the middle of an append leaves a torn last record; it was
// never acknowledged, so it is dropped without discarding the rest.
func TestEmbeddedVectorsTornLogTail(t *testing.T) {
	const dim = 8
	tests := []struct {
		name string
		tear func(t *testing.T, path string, before3, size int64)
	}{
		{"one byte of the record header", func(t *testing.T, path string, before3, _ int64) {
			vecCut(t, path, func(int64) int64 { return before3 + 1 })
		}},
		{"the record header only", func(t *testing.T, path string, before3, _ int64) {
			vecCut(t, path, func(int64) int64 { return before3 + 12 })
		}},
		{"half the record", func(t *testing.T, path string, before3, size int64) {
			vecCut(t, path, func(int64) int64 { return (before3 + size) / 2 })
		}},
		{"all but the last byte", func(t *testing.T, path string, _, size int64) {
			vecCut(t, path, func(int64) int64 { return size - 1 })
		}},
		{"whole length, last bytes never written", func(t *testing.T, path string, _, size int64) {
			vecFlip(t, path, func(int64) int64 { return size - 1 })
		}},
		{"zeros where the record should be", func(t *testing.T, path string, before3, size int64) {
			b, _ := os.ReadFile(path)
			clear(b[before3:])
			os.WriteFile(path, b, 0o644)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			before3 := vecStoreWithLog(t, dir, dim)
			path := filepath.Join(dir, "vectors.log")
			tt.tear(t, path, before3, vecFileSize(t, path))

			v := vecOpenEmbedded(t, dir, dim, vecTestModel)
			if v.Fresh || v.Discarded != nil {
				t.Fatalf("torn tail: Fresh %v, Discarded %v; want the store kept", v.Fresh, v.Discarded)
			}
			vecWantBatches(t, v, 3, 10, dim)
			// The torn bytes are gone: what is appended now survives.
			vecUpsert(t, v, vecBatch(3, 10, dim))
			v.Close()
			v = vecOpenEmbedded(t, dir, dim, vecTestModel)
			defer v.Close()
			if v.Discarded != nil {
				t.Fatalf("after appending past a torn tail: %v", v.Discarded)
			}
			vecWantBatches(t, v, 4, 10, dim)
		})
	}
}

func TestEmbeddedVectorsModelOrDimensionChanged(t *testing.T) {
	tests := []struct {
		name  string
		dim   int
		model string
	}{
		{"other model", 8, "another-model@1"},
		{"new version of the model", 8, "test-model@2"},
		{"other dimension", 16, vecTestModel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			vecStoreWithLog(t, dir, 8)
			v := vecOpenEmbedded(t, dir, tt.dim, tt.model)
			if !errors.Is(v.Discarded, retrieval.ErrVectorsMismatch) || !v.Fresh {
				t.Fatalf("Fresh %v, Discarded %v; want Fresh and ErrVectorsMismatch", v.Fresh, v.Discarded)
			}
			if msg := v.Discarded.Error(); !strings.Contains(msg, vecTestModel) || !strings.Contains(msg, tt.model) {
				t.Errorf("the reason should name both models: %s", msg)
			}
			if n := vecCount(t, v); n != 0 {
				t.Fatalf("%d vectors of the old model kept", n)
			}
			if kept, _ := filepath.Glob(filepath.Join(dir, "*.corrupt")); len(kept) != 0 {
				t.Errorf("files of another model are not damage, yet kept as %v", kept)
			}
			vecUpsert(t, v, vecBatch(7, 5, tt.dim))
			v.Close()
			// Going back to the first model does not bring the old vectors back.
			v = vecOpenEmbedded(t, dir, 8, vecTestModel)
			defer v.Close()
			if !errors.Is(v.Discarded, retrieval.ErrVectorsMismatch) || vecCount(t, v) != 0 {
				t.Errorf("back to the first model: Discarded %v, %d vectors; want a mismatch and none", v.Discarded, vecCount(t, v))
			}
		})
	}
}

func TestEmbeddedVectorsCompactionCrashWindow(t *testing.T) {
	const dim = 8
	dir := t.TempDir()
	snap, log := filepath.Join(dir, "vectors.snap"), filepath.Join(dir, "vectors.log")
	v := vecOpenEmbedded(t, dir, dim, vecTestModel)
	vecUpsert(t, v, vecBatch(0, 10, dim))
	vecUpsert(t, v, vecBatch(1, 10, dim))
	if err := v.DeleteDocs(context.Background(), "b0"); err != nil {
		t.Fatal(err)
	}
	oldSnap, _ := os.ReadFile(snap)
	oldLog, _ := os.ReadFile(log)
	if err := v.Compact(); err != nil {
		t.Fatal(err)
	}
	newLog, _ := os.ReadFile(log)
	v.Close()

	// A crash after the new snapshot was renamed into place and before
	// the log was replaced: the old log must not be replayed again.
	os.WriteFile(log, oldLog, 0o644)
	v = vecOpenEmbedded(t, dir, dim, vecTestModel)
	if v.Discarded != nil {
		t.Fatalf("old log beside a new snapshot: %v", v.Discarded)
	}
	if n := vecCount(t, v); n != 10 {
		t.Fatalf("Count = %d, want 10 (batch 1 only)", n)
	}
	v.Close()

	// The reverse — an old snapshot with a newer log — cannot come from a
	// crash: the files were mixed up, and that is damage.
	os.WriteFile(snap, oldSnap, 0o644)
	os.WriteFile(log, newLog, 0o644)
	v = vecOpenEmbedded(t, dir, dim, vecTestModel)
	defer v.Close()
	if !errors.Is(v.Discarded, retrieval.ErrVectorsCorrupt) {
		t.Fatalf("old snapshot with a newer log: Discarded %v, want ErrVectorsCorrupt", v.Discarded)
	}
}

// A full re-index in small batches must not rewrite the snapshot per
// batch: the log absorbs the batches and is folded in geometrically.
func TestEmbeddedVectorsReindexRewritesFew(t *testing.T) {
	const dim, n, size = 128, 15000, 32
	dir := t.TempDir()
	snap := filepath.Join(dir, "vectors.snap")
	v := vecOpenEmbedded(t, dir, dim, vecTestModel)
	defer v.Close()
	rng := rand.New(rand.NewPCG(21, 21))
	rewrites := 0
	last, _ := os.Stat(snap)
	for from := 0; from < n; from += size {
		recs := make([]retrieval.VectorRecord, 0, size)
		for i := from; i < min(from+size, n); i++ {
			vec := make([]float32, dim)
			for j := range vec {
				vec[j] = float32(rng.NormFloat64())
			}
			recs = append(recs, retrieval.VectorRecord{ID: "p" + strconv.Itoa(i), DocID: "d" + strconv.Itoa(i/20), Kind: corpus.KindLaw, Vector: vec})
		}
		vecUpsert(t, v, recs)
		if fi, _ := os.Stat(snap); !os.SameFile(fi, last) {
			rewrites++
			last = fi
		}
	}
	batches := (n + size - 1) / size
	t.Logf("%d batches, %d snapshot rewrites, snapshot %d bytes, log %d bytes",
		batches, rewrites, vecFileSize(t, snap), vecFileSize(t, filepath.Join(dir, "vectors.log")))
	if rewrites > 4 {
		t.Errorf("%d snapshot rewrites for %d batches; want at most 4", rewrites, batches)
	}
	if got := vecCount(t, v); got != n {
		t.Fatalf("Count = %d, want %d", got, n)
	}
}

// Big enough that Search splits the scan across CPUs; the answer must be
// the same as a brute-force one.
func TestEmbeddedVectorsParallelScan(t *testing.T) {
	const dim, n = 160, 4000
	v := vecOpenEmbedded(t, t.TempDir(), dim, vecTestModel)
	defer v.Close()
	var recs []retrieval.VectorRecord
	for b := range n / 100 {
		recs = append(recs, vecBatch(b, 100, dim)...)
	}
	vecUpsert(t, v, recs)
	rng := rand.New(rand.NewPCG(31, 31))
	for range 5 {
		q := make([]float32, dim)
		for j := range q {
			q[j] = float32(rng.NormFloat64())
		}
		for _, f := range []retrieval.VectorFilter{{}, {Kind: corpus.KindProcedure}, {DocID: "b17"}} {
			hits, err := v.Search(context.Background(), q, 25, f)
			if err != nil {
				t.Fatal(err)
			}
			want := vecBruteForce(recs, q, 25, f)
			if len(hits) != len(want) {
				t.Fatalf("filter %+v: %d hits, want %d", f, len(hits), len(want))
			}
			for i := range hits {
				if hits[i].ID != want[i] {
					t.Fatalf("filter %+v: hit %d is %s, want %s", f, i, hits[i].ID, want[i])
				}
			}
		}
	}
}

func vecBruteForce(recs []retrieval.VectorRecord, q []float32, k int, f retrieval.VectorFilter) []string {
	type scored struct {
		id string
		s  float64
	}
	var all []scored
	qn := 0.0
	for _, x := range q {
		qn += float64(x) * float64(x)
	}
	for _, r := range recs {
		if f.Kind != "" && r.Kind != f.Kind || f.DocID != "" && r.DocID != f.DocID {
			continue
		}
		var d, n float64
		for i := range q {
			d += float64(q[i]) * float64(r.Vector[i])
			n += float64(r.Vector[i]) * float64(r.Vector[i])
		}
		all = append(all, scored{r.ID, d / math.Sqrt(qn*n)})
	}
	slices.SortFunc(all, func(a, b scored) int {
		if a.s > b.s {
			return -1
		}
		if a.s < b.s {
			return 1
		}
		return strings.Compare(a.id, b.id)
	})
	ids := make([]string, 0, k)
	for _, s := range all[:min(k, len(all))] {
		ids = append(ids, s.id)
	}
	return ids
}

func TestEmbeddedVectorsOpenArguments(t *testing.T) {
	for _, tt := range []struct {
		dim   int
		model string
	}{{0, vecTestModel}, {-3, vecTestModel}, {1 << 20, vecTestModel}, {8, ""}, {8, "bad\xffname"}} {
		if v, err := retrieval.OpenEmbeddedVectors(t.TempDir(), tt.dim, tt.model); err == nil {
			v.Close()
			t.Errorf("OpenEmbeddedVectors(dim %d, model %q): no error", tt.dim, tt.model)
		}
	}
}

// The crash test kills a writer process at random moments — mid-append,
// mid-compaction — and checks after each kill that the store opens
// without loss: every batch acknowledged is there whole, no batch is
// there in part, nothing is reported corrupt. (A kill loses no page
// cache; torn writes from power loss are covered by the torn-tail test.)
const vecCrashDirEnv = "MATTRANSO_VECTORS_CRASH_DIR"

const vecCrashDim, vecCrashBatch = 64, 50

func TestEmbeddedVectorsCrashHelper(t *testing.T) {
	dir := os.Getenv(vecCrashDirEnv)
	if dir == "" {
		t.Skip("run by TestEmbeddedVectorsSurviveKill in a child process")
	}
	v, err := retrieval.OpenEmbeddedVectors(dir, vecCrashDim, vecTestModel)
	if err != nil || v.Discarded != nil {
		fmt.Printf("open failed: %v %v\n", err, v.Discarded)
		os.Exit(3)
	}
	start := vecCount(t, v) / vecCrashBatch
	for b := start; ; b++ {
		if err := v.Upsert(context.Background(), vecBatch(b, vecCrashBatch, vecCrashDim)); err != nil {
			fmt.Printf("upsert failed: %v\n", err)
			os.Exit(3)
		}
		fmt.Printf("acked %d\n", b)
		if b%9 == 8 {
			if err := v.Compact(); err != nil {
				fmt.Printf("compact failed: %v\n", err)
				os.Exit(3)
			}
		}
	}
}

func TestEmbeddedVectorsSurviveKill(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(41, 41))
	acked := -1
	for round := range 4 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestEmbeddedVectorsCrashHelper$")
		cmd.Env = append(os.Environ(), vecCrashDirEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killAfter := acked + 3 + rng.IntN(25)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			if n, ok := strings.CutPrefix(line, "acked "); ok {
				acked, _ = strconv.Atoi(n)
				if acked >= killAfter {
					break
				}
			} else if strings.Contains(line, "failed") {
				t.Fatalf("round %d: child: %s", round, line)
			}
		}
		cmd.Process.Kill()
		cmd.Wait()
		if acked < killAfter {
			t.Fatalf("round %d: child stopped at batch %d before being killed", round, acked)
		}

		v := vecOpenEmbedded(t, dir, vecCrashDim, vecTestModel)
		if v.Discarded != nil {
			t.Fatalf("round %d: after kill: %v", round, v.Discarded)
		}
		n := vecCount(t, v)
		if n%vecCrashBatch != 0 || n/vecCrashBatch < acked+1 {
			t.Fatalf("round %d: %d vectors after %d acknowledged batches of %d", round, n, acked+1, vecCrashBatch)
		}
		vecWantBatches(t, v, n/vecCrashBatch, vecCrashBatch, vecCrashDim)
		acked = n/vecCrashBatch - 1
		v.Close()
	}
}

func BenchmarkEmbeddedVectorsSearch(b *testing.B) {
	for _, sz := range []struct{ n, dim int }{{15000, 256}, {15000, 512}} {
		b.Run(fmt.Sprintf("n=%d/dim=%d", sz.n, sz.dim), func(b *testing.B) {
			v, err := retrieval.OpenEmbeddedVectors(b.TempDir(), sz.dim, vecTestModel)
			if err != nil {
				b.Fatal(err)
			}
			defer v.Close()
			for from := 0; from < sz.n; from += 1000 {
				if err := v.Upsert(context.Background(), vecBatch(from/1000, 1000, sz.dim)); err != nil {
					b.Fatal(err)
				}
			}
			q := vecBatch(999, 1, sz.dim)[0].Vector
			b.ResetTimer()
			for b.Loop() {
				if _, err := v.Search(context.Background(), q, 20, retrieval.VectorFilter{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
