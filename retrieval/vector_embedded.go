package retrieval

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/mattranso/mattranso/corpus"
)

// Errors shared by every VectorStore backend. They belong beside the
// VectorStore interface in retrieval.go; they live here until that file
// takes them.
var (
	// ErrVectorDim wraps every error about a vector whose length is not
	// the store's dimension.
	ErrVectorDim = errors.New("vector dimension mismatch")
	// ErrVectorsCorrupt is the reason an embedded store's files were
	// discarded at open: truncated, or failing their checksums.
	ErrVectorsCorrupt = errors.New("vector store corrupt")
	// ErrVectorsMismatch says that stored vectors were made by another
	// model or have another dimension; they must not be mixed with new ones.
	ErrVectorsMismatch = errors.New("vector store made for another model")
	// ErrVectorsClosed is returned by every call after Close.
	ErrVectorsClosed = errors.New("vector store closed")
)

// Input limits shared by the backends; the embedded format stores ids with
// 16-bit lengths and kinds with 8-bit ones.
const (
	maxVectorDim   = 1 << 16
	maxVectorIDLen = 1024
	maxModelLen    = 1024
)

// checkVectorRecords validates a batch before anything is written, so that
// a bad record never leaves half a batch behind.
func checkVectorRecords(recs []VectorRecord, dim int, model string) error {
	for i, r := range recs {
		switch {
		case r.ID == "":
			return fmt.Errorf("retrieval: vector record %d has no passage id", i)
		case r.DocID == "":
			return fmt.Errorf("retrieval: vector record %q has no document id", r.ID)
		case len(r.ID) > maxVectorIDLen || len(r.DocID) > maxVectorIDLen:
			return fmt.Errorf("retrieval: vector record %q: ids are limited to %d bytes", r.ID, maxVectorIDLen)
		case !utf8.ValidString(r.ID) || !utf8.ValidString(r.DocID):
			return fmt.Errorf("retrieval: vector record %q: ids must be UTF-8", r.ID)
		case r.Kind != "" && !r.Kind.Valid():
			return fmt.Errorf("retrieval: vector record %q: unknown kind %q (law or procedure)", r.ID, r.Kind)
		case len(r.Vector) != dim:
			return fmt.Errorf("retrieval: %w: vector for passage %q has %d dimensions, the store holds %d (model %s)",
				ErrVectorDim, r.ID, len(r.Vector), dim, model)
		}
		if j := vecNonFinite(r.Vector); j >= 0 {
			return fmt.Errorf("retrieval: vector for passage %q has a non-finite value at %d", r.ID, j)
		}
	}
	return nil
}

func checkVectorQuery(vec []float32, k int, f VectorFilter, dim int, model string) error {
	if k <= 0 {
		return fmt.Errorf("%w: vector search asked for %d hits", ErrBadQuery, k)
	}
	if f.Kind != "" && !f.Kind.Valid() {
		return fmt.Errorf("%w: unknown kind %q (law or procedure)", ErrBadQuery, f.Kind)
	}
	if len(vec) != dim {
		return fmt.Errorf("retrieval: %w: query vector has %d dimensions, the store holds %d (model %s)",
			ErrVectorDim, len(vec), dim, model)
	}
	if j := vecNonFinite(vec); j >= 0 {
		return fmt.Errorf("%w: query vector has a non-finite value at %d", ErrBadQuery, j)
	}
	return nil
}

func vecNonFinite(v []float32) int {
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return i
		}
	}
	return -1
}

// lastByID keeps the last record of each passage id, so that a batch that
// names a passage twice means what it would mean applied in order.
func vecLastByID(recs []VectorRecord) []VectorRecord {
	seen := make(map[string]int, len(recs))
	out := make([]VectorRecord, 0, len(recs))
	for _, r := range recs {
		if i, ok := seen[r.ID]; ok {
			out[i] = r
			continue
		}
		seen[r.ID] = len(out)
		out = append(out, r)
	}
	return out
}

// normalize scales v to unit length in place; a zero vector stays zero and
// scores 0 against everything, as in Qdrant.
func vecNormalize(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
}

// EmbeddedVectors is the default VectorStore: every vector in memory, in
// one flat matrix searched exactly (a dot product per passage, vectors
// normalised at upsert), persisted under one directory. At the library's
// size — some 15,000 passages of at most 512 dimensions — a full scan takes
// a few milliseconds, so no approximate index is kept; an 8-bit copy of
// the matrix narrows the scan to the rows that can be among the best, with
// the same answer (vecquant.go).
//
// Persistence is a snapshot plus a write-ahead log (see the format notes
// at the end of this file). Every Upsert and DeleteDocs appends one
// checksummed log record and fsyncs it before returning, so a call that
// returned survives a crash and a call cut short by one leaves nothing
// behind. The log is folded into a new snapshot when it outgrows the
// snapshot, which keeps a full re-index of the corpus to a few file
// rewrites rather than one per batch; Compact does it on demand.
//
// One process owns a directory at a time.
type EmbeddedVectors struct {
	dir   string
	dim   int
	model string

	// Fresh is set when the store opened empty — a new directory, or
	// stored vectors discarded — so that the caller re-embeds every
	// passage of the corpus.
	Fresh bool
	// Discarded says why stored vectors were thrown away at open; it wraps
	// ErrVectorsCorrupt (the damaged files are kept beside the new ones
	// with a ".corrupt" suffix) or ErrVectorsMismatch (another dimension,
	// model or format version). It is nil when nothing was discarded.
	Discarded error

	write    sync.Mutex // one writer at a time: log appends and compaction
	log      *os.File   // opened for append; nil once closed
	logSize  int64
	snapSize int64
	gen      uint64
	broken   error // set when the log can no longer be trusted; writes fail until reopen

	mu     sync.RWMutex // guards what follows
	closed bool
	ids    []string
	docs   []string
	kinds  []corpus.Kind
	vecs   []float32 // row i is vecs[i*dim : (i+1)*dim], unit length
	row    map[string]int
	quant  vecQuant // vecs in 8 bits, for a first pass (vecquant.go)

	quantScratch sync.Pool // *vecQuantScratch
	// exactOnly turns the 8-bit first pass off, for tests that compare.
	exactOnly bool
}

var _ VectorStore = (*EmbeddedVectors)(nil)

// OpenEmbeddedVectors opens the vector store in dir, creating it when
// missing. Stored vectors of another dimension or model, or files that are
// truncated or fail their checksums, are discarded: the store opens empty
// with Fresh set and Discarded saying why. Any other failure to read (a
// permission, a disk error) is returned and nothing is discarded.
func OpenEmbeddedVectors(dir string, dim int, model string) (*EmbeddedVectors, error) {
	if dim <= 0 || dim > maxVectorDim {
		return nil, fmt.Errorf("retrieval: vector dimension %d out of range 1..%d", dim, maxVectorDim)
	}
	if model == "" || len(model) > maxModelLen || !utf8.ValidString(model) {
		return nil, fmt.Errorf("retrieval: embedding model name %q: want 1..%d bytes of UTF-8", model, maxModelLen)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("retrieval: create vector store %s: %w", dir, err)
	}
	for _, name := range []string{vecSnapFile + ".tmp", vecLogFile + ".tmp"} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("retrieval: remove leftover %s: %w", name, err)
		}
	}
	v := &EmbeddedVectors{dir: dir, dim: dim, model: model, row: map[string]int{}, quant: newVecQuant(dim)}
	err := v.load()
	switch {
	case err == nil:
	case errors.Is(err, ErrVectorsCorrupt), errors.Is(err, ErrVectorsMismatch):
		if err := v.discard(err); err != nil {
			return nil, err
		}
	default:
		return nil, err
	}
	if v.Fresh && v.gen == 0 {
		if err := v.initFiles(); err != nil {
			return nil, err
		}
	}
	f, err := os.OpenFile(v.path(vecLogFile), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, fmt.Errorf("retrieval: open vector log: %w", err)
	}
	v.log = f
	return v, nil
}

const (
	vecSnapFile = "vectors.snap"
	vecLogFile  = "vectors.log"
)

func (v *EmbeddedVectors) path(name string) string { return filepath.Join(v.dir, name) }

// Dim returns the dimension of the vectors held.
func (v *EmbeddedVectors) Dim() int { return v.dim }

// Model returns the name of the embedding model the vectors came from.
func (v *EmbeddedVectors) Model() string { return v.model }

// load reads the snapshot and replays the log into memory. On a new
// directory it sets Fresh and leaves gen 0 for initFiles.
func (v *EmbeddedVectors) load() error {
	snap, err := os.ReadFile(v.path(vecSnapFile))
	if errors.Is(err, fs.ErrNotExist) {
		if _, lerr := os.Stat(v.path(vecLogFile)); lerr == nil {
			return fmt.Errorf("%w: %s exists without %s", ErrVectorsCorrupt, vecLogFile, vecSnapFile)
		}
		v.Fresh = true
		return nil
	}
	if err != nil {
		return fmt.Errorf("retrieval: read vector snapshot: %w", err)
	}
	gen, err := v.readSnapshot(snap)
	if err != nil {
		return fmt.Errorf("retrieval: %s: %w", v.path(vecSnapFile), err)
	}
	v.gen, v.snapSize = gen, int64(len(snap))
	snap = nil

	log, err := os.ReadFile(v.path(vecLogFile))
	if errors.Is(err, fs.ErrNotExist) {
		// A crash between writing the first snapshot and the first log.
		return v.resetLog()
	}
	if err != nil {
		return fmt.Errorf("retrieval: read vector log: %w", err)
	}
	logGen, size, err := v.replayLog(log)
	if err != nil {
		return fmt.Errorf("retrieval: %s: %w", v.path(vecLogFile), err)
	}
	switch {
	case logGen < v.gen:
		// A crash after a compaction renamed its snapshot into place and
		// before it replaced the log: the snapshot already holds every
		// record of this log.
		return v.resetLog()
	case size < int64(len(log)):
		// The tail is an append that never completed, so it was never
		// acknowledged: cut it off before appending after it.
		if err := vecTruncateSync(v.path(vecLogFile), size); err != nil {
			return fmt.Errorf("retrieval: cut torn tail of vector log: %w", err)
		}
	}
	v.logSize = size
	return nil
}

// discard empties the store after load failed with reason: damaged files
// are set aside for inspection, files of another model removed, and a
// new empty pair written.
func (v *EmbeddedVectors) discard(reason error) error {
	v.ids, v.docs, v.kinds, v.vecs = nil, nil, nil, nil
	v.row = map[string]int{}
	v.quant = newVecQuant(v.dim)
	v.Fresh, v.Discarded = true, reason
	for _, name := range []string{vecSnapFile, vecLogFile} {
		p := v.path(name)
		var err error
		if errors.Is(reason, ErrVectorsCorrupt) {
			err = os.Rename(p, p+".corrupt")
		} else {
			err = os.Remove(p)
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("retrieval: set aside discarded vectors %s: %w", p, err)
		}
	}
	v.gen = 0
	return nil
}

// initFiles writes the empty snapshot and log of generation 1.
func (v *EmbeddedVectors) initFiles() error {
	n, err := v.writeSnapshot(1)
	if err != nil {
		return err
	}
	v.gen, v.snapSize = 1, n
	return v.resetLog()
}

// resetLog atomically replaces the log with an empty one of the current
// generation.
func (v *EmbeddedVectors) resetLog() error {
	hdr := vecAppendHeader(nil, vecLogMagic, v.dim, v.gen, 0, v.model)
	if err := vecWriteFile(v.dir, vecLogFile, func(w io.Writer) error {
		_, err := w.Write(hdr)
		return err
	}); err != nil {
		return fmt.Errorf("retrieval: write vector log: %w", err)
	}
	v.logSize = int64(len(hdr))
	return nil
}

// Upsert adds or replaces vectors by passage id. The batch is validated
// whole, logged as one record and fsynced before it becomes visible.
func (v *EmbeddedVectors) Upsert(ctx context.Context, recs []VectorRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkVectorRecords(recs, v.dim, v.model); err != nil {
		return err
	}
	if len(recs) == 0 {
		return nil
	}
	recs = vecLastByID(recs)
	norm := make([]float32, len(recs)*v.dim)
	for i, r := range recs {
		row := norm[i*v.dim : (i+1)*v.dim]
		copy(row, r.Vector)
		vecNormalize(row)
	}

	v.write.Lock()
	defer v.write.Unlock()
	if err := v.writable(); err != nil {
		return err
	}
	payload := make([]byte, vecRecHeaderLen, vecRecHeaderLen+5+len(recs)*(8+4*v.dim))
	payload = append(payload, vecOpUpsert)
	payload = binary.LittleEndian.AppendUint32(payload, uint32(len(recs)))
	for i, r := range recs {
		payload = vecAppendRecord(payload, r.ID, r.DocID, r.Kind, norm[i*v.dim:(i+1)*v.dim])
	}
	if err := v.appendLog(payload); err != nil {
		return err
	}
	v.apply(func() {
		for i, r := range recs {
			v.put(r.ID, r.DocID, r.Kind, norm[i*v.dim:(i+1)*v.dim])
		}
	})
	return v.maybeCompact()
}

// DeleteDocs removes every vector of the given documents.
func (v *EmbeddedVectors) DeleteDocs(ctx context.Context, docIDs ...string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	del := make(map[string]bool, len(docIDs))
	for _, d := range docIDs {
		if d == "" || len(d) > maxVectorIDLen {
			return fmt.Errorf("retrieval: delete vectors: bad document id %q", d)
		}
		del[d] = true
	}
	if len(del) == 0 {
		return nil
	}
	v.write.Lock()
	defer v.write.Unlock()
	if err := v.writable(); err != nil {
		return err
	}
	v.mu.RLock()
	found := slices.ContainsFunc(v.docs, func(d string) bool { return del[d] })
	v.mu.RUnlock()
	if !found {
		return nil
	}
	payload := make([]byte, vecRecHeaderLen, vecRecHeaderLen+5+len(del)*32)
	payload = append(payload, vecOpDeleteDocs)
	payload = binary.LittleEndian.AppendUint32(payload, uint32(len(del)))
	for d := range del {
		payload = vecAppendString16(payload, d)
	}
	if err := v.appendLog(payload); err != nil {
		return err
	}
	v.apply(func() { v.deleteDocs(del) })
	return v.maybeCompact()
}

func (v *EmbeddedVectors) apply(change func()) {
	v.mu.Lock()
	defer v.mu.Unlock()
	change()
}

// put and deleteDocs change memory only; v.mu is held for writing.
func (v *EmbeddedVectors) put(id, doc string, kind corpus.Kind, vec []float32) {
	i, ok := v.row[id]
	if !ok {
		i = len(v.ids)
		v.row[id] = i
		v.ids = append(v.ids, id)
		v.docs = append(v.docs, doc)
		v.kinds = append(v.kinds, kind)
		v.vecs = append(v.vecs, vec...)
		v.quant.set(i, vec)
		return
	}
	v.docs[i], v.kinds[i] = doc, kind
	copy(v.vecs[i*v.dim:(i+1)*v.dim], vec)
	v.quant.set(i, vec)
}

func (v *EmbeddedVectors) deleteDocs(del map[string]bool) {
	// Backwards, so that the row swapped into a hole was already kept.
	for i := len(v.ids) - 1; i >= 0; i-- {
		if !del[v.docs[i]] {
			continue
		}
		last := len(v.ids) - 1
		delete(v.row, v.ids[i])
		if i != last {
			v.ids[i], v.docs[i], v.kinds[i] = v.ids[last], v.docs[last], v.kinds[last]
			copy(v.vecs[i*v.dim:(i+1)*v.dim], v.vecs[last*v.dim:])
			v.quant.move(i, last)
			v.row[v.ids[i]] = i
		}
		v.ids, v.docs, v.kinds = v.ids[:last], v.docs[:last], v.kinds[:last]
		v.vecs = v.vecs[:last*v.dim]
		v.quant.truncate(last)
	}
}

// Count returns the number of vectors held.
func (v *EmbeddedVectors) Count(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.closed {
		return 0, ErrVectorsClosed
	}
	return len(v.ids), nil
}

// parallelWork is the number of multiply-adds above which a search is
// split across CPUs; below it the goroutines cost more than they save.
const vecParallelWork = 1 << 19

// Search returns the k passages most similar to vec that pass the filter,
// best first; equal scores are ordered by passage id.
func (v *EmbeddedVectors) Search(ctx context.Context, vec []float32, k int, f VectorFilter) ([]VectorHit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkVectorQuery(vec, k, f, v.dim, v.model); err != nil {
		return nil, err
	}
	q := slices.Clone(vec)
	vecNormalize(q)

	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.closed {
		return nil, ErrVectorsClosed
	}
	n := len(v.ids)
	parts := min(runtime.GOMAXPROCS(0), n*v.dim/vecParallelWork+1)
	var best vecTopK
	ok := false
	if f.DocID == "" && !v.exactOnly {
		best, ok = v.scanQuantized(q, k, f)
	}
	switch {
	case ok:
	case parts <= 1:
		best = v.scan(q, k, f, 0, n)
	default:
		found := make([]vecTopK, parts)
		var wg sync.WaitGroup
		for p := range parts {
			wg.Go(func() { found[p] = v.scan(q, k, f, p*n/parts, (p+1)*n/parts) })
		}
		wg.Wait()
		best = vecTopK{k: k, ids: v.ids}
		for _, t := range found {
			for _, c := range t.h {
				best.push(c)
			}
		}
	}
	hits := make([]VectorHit, len(best.h))
	for i := len(hits) - 1; i >= 0; i-- {
		c := best.pop()
		hits[i] = VectorHit{ID: v.ids[c.row], DocID: v.docs[c.row], Score: c.score}
	}
	return hits, nil
}

// scan scores rows [from, to); v.mu is held for reading.
func (v *EmbeddedVectors) scan(q []float32, k int, f VectorFilter, from, to int) vecTopK {
	t := vecTopK{k: k, ids: v.ids, h: make([]vecCandidate, 0, min(k, to-from))}
	for i := from; i < to; i++ {
		if f.Kind != "" && v.kinds[i] != f.Kind || f.DocID != "" && v.docs[i] != f.DocID {
			continue
		}
		t.push(vecCandidate{score: vecDot(q, v.vecs[i*v.dim:(i+1)*v.dim]), row: i})
	}
	return t
}

func vecDot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}

type vecCandidate struct {
	score float32
	row   int
}

// topK keeps the k best candidates in a min-heap whose root is the worst.
type vecTopK struct {
	k   int
	ids []string
	h   []vecCandidate
}

func (t *vecTopK) worse(a, b vecCandidate) bool {
	if a.score != b.score {
		return a.score < b.score
	}
	return t.ids[a.row] > t.ids[b.row]
}

func (t *vecTopK) push(c vecCandidate) {
	if len(t.h) < t.k {
		t.h = append(t.h, c)
		for i := len(t.h) - 1; i > 0; {
			p := (i - 1) / 2
			if !t.worse(t.h[i], t.h[p]) {
				break
			}
			t.h[i], t.h[p] = t.h[p], t.h[i]
			i = p
		}
		return
	}
	if !t.worse(t.h[0], c) {
		return
	}
	t.h[0] = c
	t.down()
}

func (t *vecTopK) pop() vecCandidate {
	c := t.h[0]
	last := len(t.h) - 1
	t.h[0] = t.h[last]
	t.h = t.h[:last]
	t.down()
	return c
}

func (t *vecTopK) down() {
	for i := 0; ; {
		m, l, r := i, 2*i+1, 2*i+2
		if l < len(t.h) && t.worse(t.h[l], t.h[m]) {
			m = l
		}
		if r < len(t.h) && t.worse(t.h[r], t.h[m]) {
			m = r
		}
		if m == i {
			return
		}
		t.h[i], t.h[m] = t.h[m], t.h[i]
		i = m
	}
}

// Compact writes the current vectors to a new snapshot and empties the
// log. Writes call it on their own when the log outgrows the snapshot.
func (v *EmbeddedVectors) Compact() error {
	v.write.Lock()
	defer v.write.Unlock()
	if err := v.writable(); err != nil {
		return err
	}
	return v.compact()
}

// writable runs with v.write held.
func (v *EmbeddedVectors) writable() error {
	if v.broken != nil {
		return v.broken
	}
	if v.log == nil {
		return ErrVectorsClosed
	}
	return nil
}

// Compaction thresholds: the log is folded in once it is larger than the
// snapshot (so that rewrites grow geometrically during a full re-index)
// and at least minCompactLog, or in any case at maxCompactLog.
const (
	vecMinCompactLog = 4 << 20
	vecMaxCompactLog = 256 << 20
)

func (v *EmbeddedVectors) maybeCompact() error {
	if v.logSize < vecMinCompactLog || v.logSize < v.snapSize && v.logSize < vecMaxCompactLog {
		return nil
	}
	return v.compact()
}

// compact runs with v.write held. Readers go on while the snapshot is
// written; writers wait.
func (v *EmbeddedVectors) compact() error {
	if v.broken != nil {
		return v.broken
	}
	gen := v.gen + 1
	v.mu.RLock()
	n, err := v.writeSnapshot(gen)
	v.mu.RUnlock()
	if err != nil {
		return err // the old snapshot and log still stand
	}
	v.gen, v.snapSize = gen, n
	// From here the old log is stale on disk; appending to it would be lost.
	v.log.Close()
	v.log = nil
	if err := v.resetLog(); err != nil {
		v.broken = fmt.Errorf("retrieval: vector store %s cannot write its log; reopen it: %w", v.dir, err)
		return v.broken
	}
	f, err := os.OpenFile(v.path(vecLogFile), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		v.broken = fmt.Errorf("retrieval: vector store %s cannot open its log; reopen it: %w", v.dir, err)
		return v.broken
	}
	v.log = f
	return nil
}

// appendLog writes one record (payload starts with recHeaderLen bytes of
// room for its header) and fsyncs it. On failure the log is cut back to
// its last good length, or the store refuses further writes, so that a
// half-written record is never followed by another.
func (v *EmbeddedVectors) appendLog(rec []byte) error {
	if err := v.writable(); err != nil {
		return err
	}
	body := rec[vecRecHeaderLen:]
	if len(body) > vecMaxLogRecord {
		return fmt.Errorf("retrieval: vector batch of %d bytes is larger than %d; split it", len(body), vecMaxLogRecord)
	}
	vecPutRecHeader(rec, body)
	if _, err := v.log.Write(rec); err != nil {
		if terr := v.log.Truncate(v.logSize); terr != nil {
			v.broken = fmt.Errorf("retrieval: vector log %s is damaged; reopen the store: %w", v.dir, terr)
		}
		return fmt.Errorf("retrieval: append to vector log: %w", err)
	}
	if err := v.log.Sync(); err != nil {
		// After a failed fsync nothing says what reached the disk.
		v.broken = fmt.Errorf("retrieval: vector log %s failed to sync; reopen the store: %w", v.dir, err)
		return v.broken
	}
	v.logSize += int64(len(rec))
	return nil
}

// Close syncs and closes the files. Calls after it fail with
// ErrVectorsClosed; closing twice is harmless.
func (v *EmbeddedVectors) Close() error {
	v.write.Lock()
	defer v.write.Unlock()
	v.mu.Lock()
	v.closed = true
	v.mu.Unlock()
	if v.log == nil {
		return nil
	}
	err := v.log.Close()
	v.log = nil
	if err != nil {
		return fmt.Errorf("retrieval: close vector log: %w", err)
	}
	return nil
}

// # On-disk format
//
// Two files in the store's directory, all integers little-endian, every
// checksum CRC-32C (Castagnoli):
//
//	vectors.snap  header: "MTSVSNAP", version u32, dim u32, generation u64,
//	              count u64, model (u16 length + bytes), CRC of the header
//	              count records: id, doc id (u16 length + bytes each),
//	              kind (u8 length + bytes), dim × float32, unit length
//	              trailer: CRC of the records, "MTSV-END"
//	vectors.log   header: "MTSVWLOG", version u32, dim u32, generation u64,
//	              count u64 (unused, 0), model, CRC of the header
//	              records: length u32, CRC of the length, CRC of the body,
//	              body = op u8 and then either
//	                1 upsert: n u32, n records as in the snapshot
//	                2 delete: n u32, n doc ids
//
// Crash safety. The snapshot is only ever replaced whole: written to a
// temporary file, fsynced, renamed over the old one, and the directory
// fsynced; so it is always a complete old or a complete new one, and its
// header CRC, trailer magic and body CRC catch a truncated or damaged file.
// The log is replaced the same way and otherwise only appended to: each
// call adds one record in a single write and fsyncs it before the change is
// applied in memory or acknowledged. After a crash the last record may be
// incomplete; since nothing follows it, it was never acknowledged, and it
// is cut off at open. A bad record that is followed by more data (or a bad
// length that is not just zeros left by a crash) means damage, not a torn
// append, and the store is reported corrupt rather than silently losing
// acknowledged writes. The generation ties the log to its snapshot:
// compaction writes snapshot g+1 before replacing log g with an empty log
// g+1, so a crash between the two leaves a log of an older generation, whose
// records the new snapshot already holds, and it is ignored.

const (
	vecFormatVersion = 1
	vecRecHeaderLen  = 12
	vecMaxLogRecord  = 1 << 30
	vecOpUpsert      = 1
	vecOpDeleteDocs  = 2
)

var (
	vecCRC       = crc32.MakeTable(crc32.Castagnoli)
	vecSnapMagic = []byte("MTSVSNAP")
	vecLogMagic  = []byte("MTSVWLOG")
	vecSnapEnd   = []byte("MTSV-END")
)

func vecAppendHeader(b, magic []byte, dim int, gen, count uint64, model string) []byte {
	start := len(b)
	b = append(b, magic...)
	b = binary.LittleEndian.AppendUint32(b, vecFormatVersion)
	b = binary.LittleEndian.AppendUint32(b, uint32(dim))
	b = binary.LittleEndian.AppendUint64(b, gen)
	b = binary.LittleEndian.AppendUint64(b, count)
	b = vecAppendString16(b, model)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b[start:], vecCRC))
}

func vecAppendString16(b []byte, s string) []byte {
	b = binary.LittleEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

func vecAppendRecord(b []byte, id, doc string, kind corpus.Kind, vec []float32) []byte {
	b = vecAppendString16(b, id)
	b = vecAppendString16(b, doc)
	b = append(b, byte(len(kind)))
	b = append(b, kind...)
	for _, x := range vec {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func vecPutRecHeader(rec, body []byte) {
	binary.LittleEndian.PutUint32(rec[0:], uint32(len(body)))
	binary.LittleEndian.PutUint32(rec[4:], crc32.Checksum(rec[0:4], vecCRC))
	binary.LittleEndian.PutUint32(rec[8:], crc32.Checksum(body, vecCRC))
}

// decoder reads the format; any short read sets bad.
type vecDecoder struct {
	b   []byte
	bad bool
}

func (d *vecDecoder) take(n int) []byte {
	if d.bad || n > len(d.b) {
		d.bad = true
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *vecDecoder) u8() int { p := d.take(1); return int(vecByteAt(p)) }

func (d *vecDecoder) u16() int {
	if p := d.take(2); p != nil {
		return int(binary.LittleEndian.Uint16(p))
	}
	return 0
}

func (d *vecDecoder) u32() uint32 {
	if p := d.take(4); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (d *vecDecoder) u64() uint64 {
	if p := d.take(8); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

func (d *vecDecoder) str16() string { return string(d.take(d.u16())) }

func vecByteAt(p []byte) byte {
	if len(p) == 0 {
		return 0
	}
	return p[0]
}

type vecFileHeader struct {
	dim   int
	gen   uint64
	count uint64
	model string
}

// readHeader checks a header's magic and CRC, then its version, dimension
// and model against the store's.
func (v *EmbeddedVectors) readHeader(d *vecDecoder, magic []byte) (vecFileHeader, error) {
	start := d.b
	if m := d.take(len(magic)); d.bad || string(m) != string(magic) {
		return vecFileHeader{}, fmt.Errorf("%w: not a vector store file (bad magic)", ErrVectorsCorrupt)
	}
	version := d.u32()
	h := vecFileHeader{dim: int(d.u32()), gen: d.u64(), count: d.u64(), model: d.str16()}
	n := len(start) - len(d.b)
	sum := d.u32()
	if d.bad {
		return h, fmt.Errorf("%w: header truncated", ErrVectorsCorrupt)
	}
	if sum != crc32.Checksum(start[:n], vecCRC) {
		return h, fmt.Errorf("%w: header checksum mismatch", ErrVectorsCorrupt)
	}
	switch {
	case version != vecFormatVersion:
		return h, fmt.Errorf("%w: format version %d, this build reads %d", ErrVectorsMismatch, version, vecFormatVersion)
	case h.dim != v.dim || h.model != v.model:
		return h, fmt.Errorf("%w: stored vectors are %d-dimensional from model %q, asked for %d-dimensional from %q",
			ErrVectorsMismatch, h.dim, h.model, v.dim, v.model)
	}
	return h, nil
}

// readVectorRecord decodes one record into memory; v.mu need not be held
// while loading.
func (v *EmbeddedVectors) readVectorRecord(d *vecDecoder, vec []float32) (id, doc string, kind corpus.Kind, ok bool) {
	id, doc = d.str16(), d.str16()
	kind = corpus.Kind(d.take(d.u8()))
	raw := d.take(4 * v.dim)
	if d.bad || id == "" {
		return "", "", "", false
	}
	for i := range vec {
		vec[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return id, doc, kind, true
}

func (v *EmbeddedVectors) readSnapshot(b []byte) (gen uint64, err error) {
	d := &vecDecoder{b: b}
	h, err := v.readHeader(d, vecSnapMagic)
	if err != nil {
		return 0, err
	}
	body := d.b
	if len(body) < 4+len(vecSnapEnd) || string(body[len(body)-len(vecSnapEnd):]) != string(vecSnapEnd) {
		return 0, fmt.Errorf("%w: snapshot truncated (no end mark)", ErrVectorsCorrupt)
	}
	sum := binary.LittleEndian.Uint32(body[len(body)-len(vecSnapEnd)-4:])
	body = body[:len(body)-len(vecSnapEnd)-4]
	if sum != crc32.Checksum(body, vecCRC) {
		return 0, fmt.Errorf("%w: snapshot checksum mismatch", ErrVectorsCorrupt)
	}
	per := 2 + 2 + 1 + 4*v.dim + 1
	if h.count > uint64(len(body)/per+1) {
		return 0, fmt.Errorf("%w: snapshot claims %d vectors in %d bytes", ErrVectorsCorrupt, h.count, len(body))
	}
	d = &vecDecoder{b: body}
	v.vecs = make([]float32, 0, int(h.count)*v.dim)
	vec := make([]float32, v.dim)
	for range h.count {
		id, doc, kind, ok := v.readVectorRecord(d, vec)
		if !ok {
			return 0, fmt.Errorf("%w: snapshot record cut short", ErrVectorsCorrupt)
		}
		v.put(id, doc, kind, vec)
	}
	if len(d.b) != 0 {
		return 0, fmt.Errorf("%w: %d stray bytes after the snapshot's records", ErrVectorsCorrupt, len(d.b))
	}
	return h.gen, nil
}

// replayLog applies the records of a log of the snapshot's generation and
// returns its generation and the length of its good prefix.
func (v *EmbeddedVectors) replayLog(b []byte) (gen uint64, good int64, err error) {
	d := &vecDecoder{b: b}
	h, err := v.readHeader(d, vecLogMagic)
	if errors.Is(err, ErrVectorsMismatch) {
		return 0, 0, fmt.Errorf("%w: the log does not belong to its snapshot: %v", ErrVectorsCorrupt, err)
	}
	if err != nil {
		return 0, 0, err
	}
	if h.gen > v.gen {
		return 0, 0, fmt.Errorf("%w: log generation %d is newer than snapshot generation %d", ErrVectorsCorrupt, h.gen, v.gen)
	}
	off := len(b) - len(d.b)
	if h.gen < v.gen {
		return h.gen, int64(off), nil
	}
	vec := make([]float32, v.dim)
	for off < len(b) {
		rest := b[off:]
		if len(rest) < vecRecHeaderLen {
			break // torn: the header of the last append
		}
		n := binary.LittleEndian.Uint32(rest[0:])
		if binary.LittleEndian.Uint32(rest[4:]) != crc32.Checksum(rest[0:4], vecCRC) {
			if vecAllZero(rest) {
				break // torn: space the file system allocated but never filled
			}
			return 0, 0, fmt.Errorf("%w: log record at byte %d has a damaged length", ErrVectorsCorrupt, off)
		}
		if n > vecMaxLogRecord {
			return 0, 0, fmt.Errorf("%w: log record at byte %d claims %d bytes", ErrVectorsCorrupt, off, n)
		}
		end := off + vecRecHeaderLen + int(n)
		if end > len(b) {
			break // torn: the body of the last append
		}
		body := b[off+vecRecHeaderLen : end]
		if binary.LittleEndian.Uint32(rest[8:]) != crc32.Checksum(body, vecCRC) {
			if end == len(b) {
				break // torn: the last append, never acknowledged
			}
			return 0, 0, fmt.Errorf("%w: log record at byte %d fails its checksum", ErrVectorsCorrupt, off)
		}
		if err := v.replay(body, vec); err != nil {
			return 0, 0, fmt.Errorf("%w: log record at byte %d: %v", ErrVectorsCorrupt, off, err)
		}
		off = end
	}
	return h.gen, int64(off), nil
}

func (v *EmbeddedVectors) replay(body []byte, vec []float32) error {
	d := &vecDecoder{b: body}
	op, n := d.u8(), int(d.u32())
	switch op {
	case vecOpUpsert:
		for range n {
			id, doc, kind, ok := v.readVectorRecord(d, vec)
			if !ok {
				return errors.New("upsert record cut short")
			}
			v.put(id, doc, kind, vec)
		}
	case vecOpDeleteDocs:
		del := make(map[string]bool, n)
		for range n {
			del[d.str16()] = true
		}
		if d.bad {
			return errors.New("delete record cut short")
		}
		v.deleteDocs(del)
	default:
		return fmt.Errorf("unknown operation %d", op)
	}
	if d.bad || len(d.b) != 0 {
		return errors.New("record length does not match its contents")
	}
	return nil
}

func vecAllZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// writeSnapshot writes the vectors in memory as snapshot gen, atomically,
// and returns its size; v.mu is held (at least) for reading.
func (v *EmbeddedVectors) writeSnapshot(gen uint64) (int64, error) {
	var size int64
	err := vecWriteFile(v.dir, vecSnapFile, func(w io.Writer) error {
		hdr := vecAppendHeader(nil, vecSnapMagic, v.dim, gen, uint64(len(v.ids)), v.model)
		if _, err := w.Write(hdr); err != nil {
			return err
		}
		sum := crc32.New(vecCRC)
		body := io.MultiWriter(w, sum)
		buf := make([]byte, 0, 64+4*v.dim)
		size = int64(len(hdr))
		for i, id := range v.ids {
			buf = vecAppendRecord(buf[:0], id, v.docs[i], v.kinds[i], v.vecs[i*v.dim:(i+1)*v.dim])
			if _, err := body.Write(buf); err != nil {
				return err
			}
			size += int64(len(buf))
		}
		buf = binary.LittleEndian.AppendUint32(buf[:0], sum.Sum32())
		buf = append(buf, vecSnapEnd...)
		size += int64(len(buf))
		_, err := w.Write(buf)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("retrieval: write vector snapshot: %w", err)
	}
	return size, nil
}

// writeFileSync replaces dir/name atomically: write to name.tmp, fsync,
// rename, fsync the directory.
func vecWriteFile(dir, name string, write func(io.Writer) error) error {
	tmp := filepath.Join(dir, name+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	err = write(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return vecSyncDir(dir)
}

func vecSyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

func vecTruncateSync(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
