package embedded

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/mattranso/mattranso/corpus"
)

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
	formatVersion = 1
	recHeaderLen  = 12
	maxLogRecord  = 1 << 30
	opUpsert      = 1
	opDeleteDocs  = 2
)

var (
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
	snapMagic  = []byte("MTSVSNAP")
	logMagic   = []byte("MTSVWLOG")
	snapEnd    = []byte("MTSV-END")
)

func appendHeader(b, magic []byte, dim int, gen, count uint64, model string) []byte {
	start := len(b)
	b = append(b, magic...)
	b = binary.LittleEndian.AppendUint32(b, formatVersion)
	b = binary.LittleEndian.AppendUint32(b, uint32(dim))
	b = binary.LittleEndian.AppendUint64(b, gen)
	b = binary.LittleEndian.AppendUint64(b, count)
	b = appendString16(b, model)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b[start:], castagnoli))
}

func appendString16(b []byte, s string) []byte {
	b = binary.LittleEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

func appendRecord(b []byte, id, doc string, kind corpus.Kind, vec []float32) []byte {
	b = appendString16(b, id)
	b = appendString16(b, doc)
	b = append(b, byte(len(kind)))
	b = append(b, kind...)
	for _, x := range vec {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func putRecHeader(rec, body []byte) {
	binary.LittleEndian.PutUint32(rec[0:], uint32(len(body)))
	binary.LittleEndian.PutUint32(rec[4:], crc32.Checksum(rec[0:4], castagnoli))
	binary.LittleEndian.PutUint32(rec[8:], crc32.Checksum(body, castagnoli))
}

// decoder reads the format; any short read sets bad.
type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) take(n int) []byte {
	if d.bad || n > len(d.b) {
		d.bad = true
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) u8() int { p := d.take(1); return int(byteAt(p)) }

func (d *decoder) u16() int {
	if p := d.take(2); p != nil {
		return int(binary.LittleEndian.Uint16(p))
	}
	return 0
}

func (d *decoder) u32() uint32 {
	if p := d.take(4); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if p := d.take(8); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

func (d *decoder) str16() string { return string(d.take(d.u16())) }

func byteAt(p []byte) byte {
	if len(p) == 0 {
		return 0
	}
	return p[0]
}

type fileHeader struct {
	dim   int
	gen   uint64
	count uint64
	model string
}

// readHeader checks a header's magic and CRC, then its version, dimension
// and model against the store's.
func (v *Store) readHeader(d *decoder, magic []byte) (fileHeader, error) {
	start := d.b
	if m := d.take(len(magic)); d.bad || string(m) != string(magic) {
		return fileHeader{}, fmt.Errorf("%w: not a vector store file (bad magic)", ErrCorrupt)
	}
	version := d.u32()
	h := fileHeader{dim: int(d.u32()), gen: d.u64(), count: d.u64(), model: d.str16()}
	n := len(start) - len(d.b)
	sum := d.u32()
	if d.bad {
		return h, fmt.Errorf("%w: header truncated", ErrCorrupt)
	}
	if sum != crc32.Checksum(start[:n], castagnoli) {
		return h, fmt.Errorf("%w: header checksum mismatch", ErrCorrupt)
	}
	switch {
	case version != formatVersion:
		return h, fmt.Errorf("%w: format version %d, this build reads %d", ErrMismatch, version, formatVersion)
	case h.dim != v.dim || h.model != v.model:
		return h, fmt.Errorf("%w: stored vectors are %d-dimensional from model %q, asked for %d-dimensional from %q",
			ErrMismatch, h.dim, h.model, v.dim, v.model)
	}
	return h, nil
}

// readRecord decodes one record into memory; v.mu need not be held
// while loading.
func (v *Store) readRecord(d *decoder, vec []float32) (id, doc string, kind corpus.Kind, ok bool) {
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

func (v *Store) readSnapshot(b []byte) (gen uint64, err error) {
	d := &decoder{b: b}
	h, err := v.readHeader(d, snapMagic)
	if err != nil {
		return 0, err
	}
	body := d.b
	if len(body) < 4+len(snapEnd) || string(body[len(body)-len(snapEnd):]) != string(snapEnd) {
		return 0, fmt.Errorf("%w: snapshot truncated (no end mark)", ErrCorrupt)
	}
	sum := binary.LittleEndian.Uint32(body[len(body)-len(snapEnd)-4:])
	body = body[:len(body)-len(snapEnd)-4]
	if sum != crc32.Checksum(body, castagnoli) {
		return 0, fmt.Errorf("%w: snapshot checksum mismatch", ErrCorrupt)
	}
	per := 2 + 2 + 1 + 4*v.dim + 1
	if h.count > uint64(len(body)/per+1) {
		return 0, fmt.Errorf("%w: snapshot claims %d vectors in %d bytes", ErrCorrupt, h.count, len(body))
	}
	d = &decoder{b: body}
	v.vecs = make([]float32, 0, int(h.count)*v.dim)
	vec := make([]float32, v.dim)
	for range h.count {
		id, doc, kind, ok := v.readRecord(d, vec)
		if !ok {
			return 0, fmt.Errorf("%w: snapshot record cut short", ErrCorrupt)
		}
		v.put(id, doc, kind, vec)
	}
	if len(d.b) != 0 {
		return 0, fmt.Errorf("%w: %d stray bytes after the snapshot's records", ErrCorrupt, len(d.b))
	}
	return h.gen, nil
}

// replayLog applies the records of a log of the snapshot's generation and
// returns its generation and the length of its good prefix.
func (v *Store) replayLog(b []byte) (gen uint64, good int64, err error) {
	d := &decoder{b: b}
	h, err := v.readHeader(d, logMagic)
	if errors.Is(err, ErrMismatch) {
		return 0, 0, fmt.Errorf("%w: the log does not belong to its snapshot: %v", ErrCorrupt, err)
	}
	if err != nil {
		return 0, 0, err
	}
	if h.gen > v.gen {
		return 0, 0, fmt.Errorf("%w: log generation %d is newer than snapshot generation %d", ErrCorrupt, h.gen, v.gen)
	}
	off := len(b) - len(d.b)
	if h.gen < v.gen {
		return h.gen, int64(off), nil
	}
	vec := make([]float32, v.dim)
	for off < len(b) {
		rest := b[off:]
		if len(rest) < recHeaderLen {
			break // torn: the header of the last append
		}
		n := binary.LittleEndian.Uint32(rest[0:])
		if binary.LittleEndian.Uint32(rest[4:]) != crc32.Checksum(rest[0:4], castagnoli) {
			if allZero(rest) {
				break // torn: space the file system allocated but never filled
			}
			return 0, 0, fmt.Errorf("%w: log record at byte %d has a damaged length", ErrCorrupt, off)
		}
		if n > maxLogRecord {
			return 0, 0, fmt.Errorf("%w: log record at byte %d claims %d bytes", ErrCorrupt, off, n)
		}
		end := off + recHeaderLen + int(n)
		if end > len(b) {
			break // torn: the body of the last append
		}
		body := b[off+recHeaderLen : end]
		if binary.LittleEndian.Uint32(rest[8:]) != crc32.Checksum(body, castagnoli) {
			if end == len(b) {
				break // torn: the last append, never acknowledged
			}
			return 0, 0, fmt.Errorf("%w: log record at byte %d fails its checksum", ErrCorrupt, off)
		}
		if err := v.replay(body, vec); err != nil {
			return 0, 0, fmt.Errorf("%w: log record at byte %d: %v", ErrCorrupt, off, err)
		}
		off = end
	}
	return h.gen, int64(off), nil
}

func (v *Store) replay(body []byte, vec []float32) error {
	d := &decoder{b: body}
	op, n := d.u8(), int(d.u32())
	switch op {
	case opUpsert:
		for range n {
			id, doc, kind, ok := v.readRecord(d, vec)
			if !ok {
				return errors.New("upsert record cut short")
			}
			v.put(id, doc, kind, vec)
		}
	case opDeleteDocs:
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

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// writeSnapshot writes the vectors in memory as snapshot gen, atomically,
// and returns its size; v.mu is held (at least) for reading.
func (v *Store) writeSnapshot(gen uint64) (int64, error) {
	var size int64
	err := writeFile(v.dir, snapFile, func(w io.Writer) error {
		hdr := appendHeader(nil, snapMagic, v.dim, gen, uint64(len(v.ids)), v.model)
		if _, err := w.Write(hdr); err != nil {
			return err
		}
		sum := crc32.New(castagnoli)
		body := io.MultiWriter(w, sum)
		buf := make([]byte, 0, 64+4*v.dim)
		size = int64(len(hdr))
		for i, id := range v.ids {
			buf = appendRecord(buf[:0], id, v.docs[i], v.kinds[i], v.vecs[i*v.dim:(i+1)*v.dim])
			if _, err := body.Write(buf); err != nil {
				return err
			}
			size += int64(len(buf))
		}
		buf = binary.LittleEndian.AppendUint32(buf[:0], sum.Sum32())
		buf = append(buf, snapEnd...)
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
func writeFile(dir, name string, write func(io.Writer) error) error {
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
	return syncDir(dir)
}

func syncDir(dir string) error {
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

func truncateSync(path string, size int64) error {
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
