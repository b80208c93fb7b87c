package embedded_test

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
	"github.com/mattranso/mattranso/retrieval/embedded"
)

const testModel = "test-model@1"

func openStore(t *testing.T, dir string, dim int, model string) *embedded.Store {
	t.Helper()
	v, err := embedded.Open(dir, dim, model)
	if err != nil {
		t.Fatalf("Open(%s, %d, %s): %v", dir, dim, model, err)
	}
	return v
}

// batch makes batch number b: n records of document "b<b>", with
// vectors that depend only on (b, dim), so a test can check them later.
func batch(b, n, dim int) []embedded.Record {
	rng := rand.New(rand.NewPCG(uint64(b), uint64(dim)))
	recs := make([]embedded.Record, n)
	for i := range recs {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		kind := corpus.KindLaw
		if b%2 == 1 {
			kind = corpus.KindProcedure
		}
		recs[i] = embedded.Record{ID: fmt.Sprintf("b%d-%d", b, i), DocID: "b" + strconv.Itoa(b), Kind: kind, Vector: v}
	}
	return recs
}

func upsert(t *testing.T, s *embedded.Store, recs []embedded.Record) {
	t.Helper()
	if err := s.Upsert(context.Background(), recs); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
}

func count(t *testing.T, s *embedded.Store) int {
	t.Helper()
	n, err := s.Count(context.Background())
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	return n
}

// wantBatches checks that exactly batches [0, n) are held, each whole and
// with its own vectors.
func wantBatches(t *testing.T, s *embedded.Store, n, size, dim int) {
	t.Helper()
	if got := count(t, s); got != n*size {
		t.Fatalf("Count = %d, want %d batches of %d", got, n, size)
	}
	for b := range n {
		recs := batch(b, size, dim)
		for _, r := range []embedded.Record{recs[0], recs[size-1]} {
			hits, err := s.Search(context.Background(), r.Vector, 1, embedded.Filter{DocID: r.DocID})
			if err != nil {
				t.Fatal(err)
			}
			if len(hits) != 1 || hits[0].ID != r.ID || math.Abs(float64(hits[0].Score)-1) > 1e-4 {
				t.Fatalf("batch %d: search for %s: %v", b, r.ID, hits)
			}
		}
	}
}

func fileSize(t *testing.T, path string) int64 {
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
func storeWithLog(t *testing.T, dir string, dim int) (logBefore3 int64) {
	t.Helper()
	v := openStore(t, dir, dim, testModel)
	upsert(t, v, batch(0, 10, dim))
	upsert(t, v, batch(1, 10, dim))
	if err := v.Compact(); err != nil {
		t.Fatalf("Compact: %v", err)
	}
	upsert(t, v, batch(2, 10, dim))
	logBefore3 = fileSize(t, filepath.Join(dir, "vectors.log"))
	upsert(t, v, batch(3, 10, dim))
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	return logBefore3
}

func flip(t *testing.T, path string, at func(size int64) int64) {
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

func cut(t *testing.T, path string, to func(size int64) int64) {
	t.Helper()
	if err := os.Truncate(path, to(fileSize(t, path))); err != nil {
		t.Fatal(err)
	}
}

func TestCorruptFilesDetected(t *testing.T) {
	const dim = 8
	snap := func(dir string) string { return filepath.Join(dir, "vectors.snap") }
	log := func(dir string) string { return filepath.Join(dir, "vectors.log") }
	tests := []struct {
		name   string
		damage func(t *testing.T, dir string, logBefore3 int64)
	}{
		{"snapshot truncated", func(t *testing.T, dir string, _ int64) {
			cut(t, snap(dir), func(n int64) int64 { return n - 5 })
		}},
		{"snapshot cut after its header", func(t *testing.T, dir string, _ int64) {
			cut(t, snap(dir), func(int64) int64 { return 50 })
		}},
		{"snapshot empty", func(t *testing.T, dir string, _ int64) {
			cut(t, snap(dir), func(int64) int64 { return 0 })
		}},
		{"snapshot vector damaged", func(t *testing.T, dir string, _ int64) {
			flip(t, snap(dir), func(n int64) int64 { return n / 2 })
		}},
		{"snapshot dimension damaged", func(t *testing.T, dir string, _ int64) {
			flip(t, snap(dir), func(int64) int64 { return 12 }) // reads as another dimension unless the CRC catches it
		}},
		{"snapshot model name damaged", func(t *testing.T, dir string, _ int64) {
			flip(t, snap(dir), func(int64) int64 { return 8 + 4 + 4 + 8 + 8 + 2 + 1 })
		}},
		{"snapshot replaced by garbage", func(t *testing.T, dir string, _ int64) {
			os.WriteFile(snap(dir), []byte(strings.Repeat("not vectors\n", 100)), 0o644)
		}},
		{"snapshot missing beside its log", func(t *testing.T, dir string, _ int64) {
			os.Remove(snap(dir))
		}},
		{"log header damaged", func(t *testing.T, dir string, _ int64) {
			flip(t, log(dir), func(int64) int64 { return 3 })
		}},
		{"log record damaged with a record after it", func(t *testing.T, dir string, logBefore3 int64) {
			flip(t, log(dir), func(int64) int64 { return logBefore3 - 10 })
		}},
		{"log record length damaged with a record after it", func(t *testing.T, dir string, _ int64) {
			// The first record starts after the log header: magic, version,
			// dimension, generation, count, model, CRC.
			start := int64(8 + 4 + 4 + 8 + 8 + 2 + len(testModel) + 4)
			flip(t, log(dir), func(int64) int64 { return start + 1 })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			logBefore3 := storeWithLog(t, dir, dim)
			tt.damage(t, dir, logBefore3)

			v := openStore(t, dir, dim, testModel)
			if !errors.Is(v.Discarded, embedded.ErrCorrupt) || !v.Fresh {
				t.Fatalf("damaged files: Fresh %v, Discarded %v; want Fresh and ErrVectorsCorrupt", v.Fresh, v.Discarded)
			}
			if n := count(t, v); n != 0 {
				t.Errorf("store opened on damaged files holds %d vectors, want 0", n)
			}
			kept, _ := filepath.Glob(filepath.Join(dir, "*.corrupt"))
			if len(kept) == 0 {
				t.Errorf("damaged files not kept aside for inspection")
			}
			// The fresh store works and persists.
			upsert(t, v, batch(0, 10, dim))
			v.Close()
			v = openStore(t, dir, dim, testModel)
			defer v.Close()
			if v.Fresh || v.Discarded != nil {
				t.Fatalf("reopening the rebuilt store: Fresh %v, Discarded %v", v.Fresh, v.Discarded)
			}
			wantBatches(t, v, 1, 10, dim)
		})
	}
}

// A crash in the middle of an append leaves a torn last record; it was
// never acknowledged, so it is dropped without discarding the rest.
func TestTornLogTail(t *testing.T) {
	const dim = 8
	tests := []struct {
		name string
		tear func(t *testing.T, path string, before3, size int64)
	}{
		{"one byte of the record header", func(t *testing.T, path string, before3, _ int64) {
			cut(t, path, func(int64) int64 { return before3 + 1 })
		}},
		{"the record header only", func(t *testing.T, path string, before3, _ int64) {
			cut(t, path, func(int64) int64 { return before3 + 12 })
		}},
		{"half the record", func(t *testing.T, path string, before3, size int64) {
			cut(t, path, func(int64) int64 { return (before3 + size) / 2 })
		}},
		{"all but the last byte", func(t *testing.T, path string, _, size int64) {
			cut(t, path, func(int64) int64 { return size - 1 })
		}},
		{"whole length, last bytes never written", func(t *testing.T, path string, _, size int64) {
			flip(t, path, func(int64) int64 { return size - 1 })
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
			before3 := storeWithLog(t, dir, dim)
			path := filepath.Join(dir, "vectors.log")
			tt.tear(t, path, before3, fileSize(t, path))

			v := openStore(t, dir, dim, testModel)
			if v.Fresh || v.Discarded != nil {
				t.Fatalf("torn tail: Fresh %v, Discarded %v; want the store kept", v.Fresh, v.Discarded)
			}
			wantBatches(t, v, 3, 10, dim)
			// The torn bytes are gone: what is appended now survives.
			upsert(t, v, batch(3, 10, dim))
			v.Close()
			v = openStore(t, dir, dim, testModel)
			defer v.Close()
			if v.Discarded != nil {
				t.Fatalf("after appending past a torn tail: %v", v.Discarded)
			}
			wantBatches(t, v, 4, 10, dim)
		})
	}
}

func TestModelOrDimensionChanged(t *testing.T) {
	tests := []struct {
		name  string
		dim   int
		model string
	}{
		{"other model", 8, "another-model@1"},
		{"new version of the model", 8, "test-model@2"},
		{"other dimension", 16, testModel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			storeWithLog(t, dir, 8)
			v := openStore(t, dir, tt.dim, tt.model)
			if !errors.Is(v.Discarded, embedded.ErrMismatch) || !v.Fresh {
				t.Fatalf("Fresh %v, Discarded %v; want Fresh and ErrVectorsMismatch", v.Fresh, v.Discarded)
			}
			if msg := v.Discarded.Error(); !strings.Contains(msg, testModel) || !strings.Contains(msg, tt.model) {
				t.Errorf("the reason should name both models: %s", msg)
			}
			if n := count(t, v); n != 0 {
				t.Fatalf("%d vectors of the old model kept", n)
			}
			if kept, _ := filepath.Glob(filepath.Join(dir, "*.corrupt")); len(kept) != 0 {
				t.Errorf("files of another model are not damage, yet kept as %v", kept)
			}
			upsert(t, v, batch(7, 5, tt.dim))
			v.Close()
			// Going back to the first model does not bring the old vectors back.
			v = openStore(t, dir, 8, testModel)
			defer v.Close()
			if !errors.Is(v.Discarded, embedded.ErrMismatch) || count(t, v) != 0 {
				t.Errorf("back to the first model: Discarded %v, %d vectors; want a mismatch and none", v.Discarded, count(t, v))
			}
		})
	}
}

func TestCompactionCrashWindow(t *testing.T) {
	const dim = 8
	dir := t.TempDir()
	snap, log := filepath.Join(dir, "vectors.snap"), filepath.Join(dir, "vectors.log")
	v := openStore(t, dir, dim, testModel)
	upsert(t, v, batch(0, 10, dim))
	upsert(t, v, batch(1, 10, dim))
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
	v = openStore(t, dir, dim, testModel)
	if v.Discarded != nil {
		t.Fatalf("old log beside a new snapshot: %v", v.Discarded)
	}
	if n := count(t, v); n != 10 {
		t.Fatalf("Count = %d, want 10 (batch 1 only)", n)
	}
	v.Close()

	// The reverse — an old snapshot with a newer log — cannot come from a
	// crash: the files were mixed up, and that is damage.
	os.WriteFile(snap, oldSnap, 0o644)
	os.WriteFile(log, newLog, 0o644)
	v = openStore(t, dir, dim, testModel)
	defer v.Close()
	if !errors.Is(v.Discarded, embedded.ErrCorrupt) {
		t.Fatalf("old snapshot with a newer log: Discarded %v, want ErrVectorsCorrupt", v.Discarded)
	}
}

// A full re-index in small batches must not rewrite the snapshot per
// batch: the log absorbs the batches and is folded in geometrically.
func TestReindexRewritesFew(t *testing.T) {
	const dim, n, size = 128, 15000, 32
	dir := t.TempDir()
	snap := filepath.Join(dir, "vectors.snap")
	v := openStore(t, dir, dim, testModel)
	defer v.Close()
	rng := rand.New(rand.NewPCG(21, 21))
	rewrites := 0
	last, _ := os.Stat(snap)
	for from := 0; from < n; from += size {
		recs := make([]embedded.Record, 0, size)
		for i := from; i < min(from+size, n); i++ {
			vec := make([]float32, dim)
			for j := range vec {
				vec[j] = float32(rng.NormFloat64())
			}
			recs = append(recs, embedded.Record{ID: "p" + strconv.Itoa(i), DocID: "d" + strconv.Itoa(i/20), Kind: corpus.KindLaw, Vector: vec})
		}
		upsert(t, v, recs)
		if fi, _ := os.Stat(snap); !os.SameFile(fi, last) {
			rewrites++
			last = fi
		}
	}
	batches := (n + size - 1) / size
	t.Logf("%d batches, %d snapshot rewrites, snapshot %d bytes, log %d bytes",
		batches, rewrites, fileSize(t, snap), fileSize(t, filepath.Join(dir, "vectors.log")))
	if rewrites > 4 {
		t.Errorf("%d snapshot rewrites for %d batches; want at most 4", rewrites, batches)
	}
	if got := count(t, v); got != n {
		t.Fatalf("Count = %d, want %d", got, n)
	}
}

// Big enough that Search splits the scan across CPUs; the answer must be
// the same as a brute-force one.
func TestParallelScan(t *testing.T) {
	const dim, n = 160, 4000
	v := openStore(t, t.TempDir(), dim, testModel)
	defer v.Close()
	var recs []embedded.Record
	for b := range n / 100 {
		recs = append(recs, batch(b, 100, dim)...)
	}
	upsert(t, v, recs)
	rng := rand.New(rand.NewPCG(31, 31))
	for range 5 {
		q := make([]float32, dim)
		for j := range q {
			q[j] = float32(rng.NormFloat64())
		}
		for _, f := range []embedded.Filter{{}, {Kind: corpus.KindProcedure}, {DocID: "b17"}} {
			hits, err := v.Search(context.Background(), q, 25, f)
			if err != nil {
				t.Fatal(err)
			}
			want := bruteForce(recs, q, 25, f)
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

func bruteForce(recs []embedded.Record, q []float32, k int, f embedded.Filter) []string {
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

// The crash test kills a writer process at random moments — mid-append,
// mid-compaction — and checks after each kill that the store opens
// without loss: every batch acknowledged is there whole, no batch is
// there in part, nothing is reported corrupt. (A kill loses no page
// cache; torn writes from power loss are covered by the torn-tail test.)
const crashDirEnv = "MATTRANSO_VECTORS_CRASH_DIR"

const crashDim, crashBatch = 64, 50

func TestCrashHelper(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("run by TestSurviveKill in a child process")
	}
	v, err := embedded.Open(dir, crashDim, testModel)
	if err != nil || v.Discarded != nil {
		fmt.Printf("open failed: %v %v\n", err, v.Discarded)
		os.Exit(3)
	}
	start := count(t, v) / crashBatch
	for b := start; ; b++ {
		if err := v.Upsert(context.Background(), batch(b, crashBatch, crashDim)); err != nil {
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

func TestSurviveKill(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(41, 41))
	acked := -1
	for round := range 4 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
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

		v := openStore(t, dir, crashDim, testModel)
		if v.Discarded != nil {
			t.Fatalf("round %d: after kill: %v", round, v.Discarded)
		}
		n := count(t, v)
		if n%crashBatch != 0 || n/crashBatch < acked+1 {
			t.Fatalf("round %d: %d vectors after %d acknowledged batches of %d", round, n, acked+1, crashBatch)
		}
		wantBatches(t, v, n/crashBatch, crashBatch, crashDim)
		acked = n/crashBatch - 1
		v.Close()
	}
}

func BenchmarkSearch(b *testing.B) {
	for _, sz := range []struct{ n, dim int }{{15000, 256}, {15000, 512}} {
		b.Run(fmt.Sprintf("n=%d/dim=%d", sz.n, sz.dim), func(b *testing.B) {
			v, err := embedded.Open(b.TempDir(), sz.dim, testModel)
			if err != nil {
				b.Fatal(err)
			}
			defer v.Close()
			for from := 0; from < sz.n; from += 1000 {
				if err := v.Upsert(context.Background(), batch(from/1000, 1000, sz.dim)); err != nil {
					b.Fatal(err)
				}
			}
			q := batch(999, 1, sz.dim)[0].Vector
			b.ResetTimer()
			for b.Loop() {
				if _, err := v.Search(context.Background(), q, 20, embedded.Filter{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
