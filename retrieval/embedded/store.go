// Package embedded owns the vector store that runs inside the process,
// the default one: passage vectors held in memory and searched exactly
// (an 8-bit first pass narrows the scan without changing its answer),
// persisted in one directory as a snapshot and a write-ahead log, with
// compaction and crash recovery, in a file format of its own. It knows
// nothing of search: retrieval.EmbeddedVectors holds it to the
// retrieval.VectorStore contract.
package embedded

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/mattranso/mattranso/corpus"
)

// Record is one passage's vector with the fields filters read;
// retrieval.VectorRecord converts to it.
type Record struct {
	ID     string // passage id
	DocID  string
	Kind   corpus.Kind
	Vector []float32
}

// Filter restricts a search; zero fields mean "any".
type Filter struct {
	Kind  corpus.Kind
	DocID string
}

// Hit is a passage found by Search; Score is the cosine similarity.
type Hit struct {
	ID    string
	DocID string
	Score float32
}

var (
	// ErrCorrupt is the reason a store's files were discarded at open:
	// truncated, or failing their checksums.
	ErrCorrupt = errors.New("vector store corrupt")
	// ErrMismatch says that stored vectors were made by another model, have
	// another dimension or another format version; they must not be mixed
	// with new ones.
	ErrMismatch = errors.New("vector store made for another model")
	// ErrClosed is returned by every call after Close.
	ErrClosed = errors.New("vector store closed")
)

// What the file format holds: ids and the model name with 16-bit lengths,
// kinds with 8-bit ones; a dimension past MaxDim is no text embedding.
const (
	MaxDim      = 1 << 16
	maxString16 = 1<<16 - 1
	maxKind     = 1<<8 - 1
)

// normalize scales v to unit length in place; a zero vector stays zero and
// scores 0 against everything, as in Qdrant.
func normalize(v []float32) {
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

// Store holds every vector in memory, in one flat matrix searched exactly (a dot product per passage, vectors
// normalised at upsert), persisted under one directory. At the library's
// size — some 15,000 passages of at most 512 dimensions — a full scan takes
// a few milliseconds, so no approximate index is kept; an 8-bit copy of
// the matrix narrows the scan to the rows that can be among the best, with
// the same answer (quant.go).
//
// Persistence is a snapshot plus a write-ahead log (see the format notes
// in format.go). Every Upsert and DeleteDocs appends one
// checksummed log record and fsyncs it before returning, so a call that
// returned survives a crash and a call cut short by one leaves nothing
// behind. The log is folded into a new snapshot when it outgrows the
// snapshot, which keeps a full re-index of the corpus to a few file
// rewrites rather than one per batch; Compact does it on demand.
//
// One process owns a directory at a time.
type Store struct {
	dir   string
	dim   int
	model string

	// Fresh is set when the store opened empty — a new directory, or
	// stored vectors discarded — so that the caller re-embeds every
	// passage of the corpus.
	Fresh bool
	// Discarded says why stored vectors were thrown away at open; it wraps
	// ErrCorrupt (the damaged files are kept beside the new ones
	// with a ".corrupt" suffix) or ErrMismatch (another dimension,
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
	quant  quantized // vecs in 8 bits, for a first pass (quant.go)

	quantScratch sync.Pool // *quantScratch
}

// Open opens the vector store in dir, creating it when
// missing. Stored vectors of another dimension or model, or files that are
// truncated or fail their checksums, are discarded: the store opens empty
// with Fresh set and Discarded saying why. Any other failure to read (a
// permission, a disk error) is returned and nothing is discarded.
func Open(dir string, dim int, model string) (*Store, error) {
	if dim <= 0 || dim > MaxDim {
		return nil, fmt.Errorf("retrieval: vector dimension %d out of range 1..%d", dim, MaxDim)
	}
	if model == "" || len(model) > maxString16 || !utf8.ValidString(model) {
		return nil, fmt.Errorf("retrieval: embedding model name %q: want 1..%d bytes of UTF-8", model, maxString16)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("retrieval: create vector store %s: %w", dir, err)
	}
	for _, name := range []string{snapFile + ".tmp", logFile + ".tmp"} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("retrieval: remove leftover %s: %w", name, err)
		}
	}
	v := &Store{dir: dir, dim: dim, model: model, row: map[string]int{}, quant: newQuantized(dim)}
	err := v.load()
	switch {
	case err == nil:
	case errors.Is(err, ErrCorrupt), errors.Is(err, ErrMismatch):
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
	f, err := os.OpenFile(v.path(logFile), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, fmt.Errorf("retrieval: open vector log: %w", err)
	}
	v.log = f
	return v, nil
}

const (
	snapFile = "vectors.snap"
	logFile  = "vectors.log"
)

func (v *Store) path(name string) string { return filepath.Join(v.dir, name) }

// Dim returns the dimension of the vectors held.
func (v *Store) Dim() int { return v.dim }

// Model returns the name of the embedding model the vectors came from.
func (v *Store) Model() string { return v.model }

// load reads the snapshot and replays the log into memory. On a new
// directory it sets Fresh and leaves gen 0 for initFiles.
func (v *Store) load() error {
	snap, err := os.ReadFile(v.path(snapFile))
	if errors.Is(err, fs.ErrNotExist) {
		if _, lerr := os.Stat(v.path(logFile)); lerr == nil {
			return fmt.Errorf("%w: %s exists without %s", ErrCorrupt, logFile, snapFile)
		}
		v.Fresh = true
		return nil
	}
	if err != nil {
		return fmt.Errorf("retrieval: read vector snapshot: %w", err)
	}
	gen, err := v.readSnapshot(snap)
	if err != nil {
		return fmt.Errorf("retrieval: %s: %w", v.path(snapFile), err)
	}
	v.gen, v.snapSize = gen, int64(len(snap))
	snap = nil

	log, err := os.ReadFile(v.path(logFile))
	if errors.Is(err, fs.ErrNotExist) {
		// A crash between writing the first snapshot and the first log.
		return v.resetLog()
	}
	if err != nil {
		return fmt.Errorf("retrieval: read vector log: %w", err)
	}
	logGen, size, err := v.replayLog(log)
	if err != nil {
		return fmt.Errorf("retrieval: %s: %w", v.path(logFile), err)
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
		if err := truncateSync(v.path(logFile), size); err != nil {
			return fmt.Errorf("retrieval: cut torn tail of vector log: %w", err)
		}
	}
	v.logSize = size
	return nil
}

// discard empties the store after load failed with reason: damaged files
// are set aside for inspection, files of another model removed, and a
// new empty pair written.
func (v *Store) discard(reason error) error {
	v.ids, v.docs, v.kinds, v.vecs = nil, nil, nil, nil
	v.row = map[string]int{}
	v.quant = newQuantized(v.dim)
	v.Fresh, v.Discarded = true, reason
	for _, name := range []string{snapFile, logFile} {
		p := v.path(name)
		var err error
		if errors.Is(reason, ErrCorrupt) {
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
func (v *Store) initFiles() error {
	n, err := v.writeSnapshot(1)
	if err != nil {
		return err
	}
	v.gen, v.snapSize = 1, n
	return v.resetLog()
}

// resetLog atomically replaces the log with an empty one of the current
// generation.
func (v *Store) resetLog() error {
	hdr := appendHeader(nil, logMagic, v.dim, v.gen, 0, v.model)
	if err := writeFile(v.dir, logFile, func(w io.Writer) error {
		_, err := w.Write(hdr)
		return err
	}); err != nil {
		return fmt.Errorf("retrieval: write vector log: %w", err)
	}
	v.logSize = int64(len(hdr))
	return nil
}

// Upsert adds or replaces vectors by passage id; of two records of one
// passage, the last counts. The batch is validated whole, logged as one
// record and fsynced before it becomes visible.
func (v *Store) Upsert(ctx context.Context, recs []Record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := v.check(recs); err != nil {
		return err
	}
	if len(recs) == 0 {
		return nil
	}
	norm := make([]float32, len(recs)*v.dim)
	for i, r := range recs {
		row := norm[i*v.dim : (i+1)*v.dim]
		copy(row, r.Vector)
		normalize(row)
	}

	v.write.Lock()
	defer v.write.Unlock()
	if err := v.writable(); err != nil {
		return err
	}
	payload := make([]byte, recHeaderLen, recHeaderLen+5+len(recs)*(8+4*v.dim))
	payload = append(payload, opUpsert)
	payload = binary.LittleEndian.AppendUint32(payload, uint32(len(recs)))
	for i, r := range recs {
		payload = appendRecord(payload, r.ID, r.DocID, r.Kind, norm[i*v.dim:(i+1)*v.dim])
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

// check validates a batch before anything is written, so that a bad
// record never leaves half a batch behind: what the format cannot hold,
// and vectors of another dimension. (retrieval's contract asks more of a
// record before it comes here.)
func (v *Store) check(recs []Record) error {
	for _, r := range recs {
		switch {
		case r.ID == "" || len(r.ID) > maxString16 || len(r.DocID) > maxString16 || len(r.Kind) > maxKind:
			return fmt.Errorf("retrieval: vector record %q does not fit the store's format", r.ID)
		case len(r.Vector) != v.dim:
			return fmt.Errorf("retrieval: vector for passage %q has %d dimensions, the store holds %d (model %s)",
				r.ID, len(r.Vector), v.dim, v.model)
		}
	}
	return nil
}

// DeleteDocs removes every vector of the given documents.
func (v *Store) DeleteDocs(ctx context.Context, docIDs ...string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	del := make(map[string]bool, len(docIDs))
	for _, d := range docIDs {
		if d == "" || len(d) > maxString16 {
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
	payload := make([]byte, recHeaderLen, recHeaderLen+5+len(del)*32)
	payload = append(payload, opDeleteDocs)
	payload = binary.LittleEndian.AppendUint32(payload, uint32(len(del)))
	for d := range del {
		payload = appendString16(payload, d)
	}
	if err := v.appendLog(payload); err != nil {
		return err
	}
	v.apply(func() { v.deleteDocs(del) })
	return v.maybeCompact()
}

func (v *Store) apply(change func()) {
	v.mu.Lock()
	defer v.mu.Unlock()
	change()
}

// put and deleteDocs change memory only; v.mu is held for writing.
func (v *Store) put(id, doc string, kind corpus.Kind, vec []float32) {
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

func (v *Store) deleteDocs(del map[string]bool) {
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
func (v *Store) Count(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.closed {
		return 0, ErrClosed
	}
	return len(v.ids), nil
}

// Compact writes the current vectors to a new snapshot and empties the
// log. Writes call it on their own when the log outgrows the snapshot.
func (v *Store) Compact() error {
	v.write.Lock()
	defer v.write.Unlock()
	if err := v.writable(); err != nil {
		return err
	}
	return v.compact()
}

// writable runs with v.write held.
func (v *Store) writable() error {
	if v.broken != nil {
		return v.broken
	}
	if v.log == nil {
		return ErrClosed
	}
	return nil
}

// Compaction thresholds: the log is folded in once it is larger than the
// snapshot (so that rewrites grow geometrically during a full re-index)
// and at least minCompactLog, or in any case at maxCompactLog.
const (
	minCompactLog = 4 << 20
	maxCompactLog = 256 << 20
)

func (v *Store) maybeCompact() error {
	if v.logSize < minCompactLog || v.logSize < v.snapSize && v.logSize < maxCompactLog {
		return nil
	}
	return v.compact()
}

// compact runs with v.write held. Readers go on while the snapshot is
// written; writers wait.
func (v *Store) compact() error {
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
	f, err := os.OpenFile(v.path(logFile), os.O_WRONLY|os.O_APPEND, 0)
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
func (v *Store) appendLog(rec []byte) error {
	if err := v.writable(); err != nil {
		return err
	}
	body := rec[recHeaderLen:]
	if len(body) > maxLogRecord {
		return fmt.Errorf("retrieval: vector batch of %d bytes is larger than %d; split it", len(body), maxLogRecord)
	}
	putRecHeader(rec, body)
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
// ErrClosed; closing twice is harmless.
func (v *Store) Close() error {
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
