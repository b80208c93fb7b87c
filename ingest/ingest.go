// Package ingest owns bringing documents into the library: sources (law
// dumps, the procedure dump, BEIR corpora, saved or crawled vbpl.vn and
// thuvienphapluat.vn pages), recognising the same law arriving from several
// sources, and the pipeline read → merge → skip unchanged → index → store.
// It is incremental and resumable: a document is indexed before its record
// (with its content hash) is stored, so a run killed midway and started
// again ends with exactly the index of a clean run.
//
// On several instances sharing one database it also owns keeping them one
// library: one ingest (or deletion) at a time across all of them
// (AcquireLock), each instance's index following the database's change
// log (Follower), and the staff API that writes through a running
// instance (HTTP).
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/store"
)

// Options configure a run.
type Options struct {
	// DB, when set, remembers the content of the sources of each complete
	// run, so that a run over unchanged sources ends without re-reading
	// them. Call Migrate on it first.
	DB      *store.DB
	Store   *corpus.Store
	Index   retrieval.Indexer
	Sources []string // files, folders or http(s) URLs
	Crawl   CrawlOptions
	Logger  *slog.Logger
	// Progress receives a progress bar when it is a terminal; nil means none.
	Progress io.Writer
	// BatchSize is how many documents are indexed together (default 32).
	BatchSize int
	// Once says the sources are read this once (an upload in a
	// temporary file): their digest is not remembered for the next run.
	Once bool
	// LockWait is how long Run waits for another ingest on the same
	// database (AcquireLock) before failing with ErrBusy; 0 fails at once.
	// Without DB there is no lock.
	LockWait time.Duration

	// observeHeld, when set, is told how many documents the run holds
	// whenever that changes: the tests' view of its memory.
	observeHeld func(int)
}

// Summary is what a run did.
type Summary struct {
	Added, Updated, Unchanged int
	Rejected                  []Rejected
	CrawlFailures             []CrawlFailure
	Laws, Procedures          int // distinct documents read
	Skipped                   []string
	Written                   []string // ids of the documents added or updated, in order
	Took                      time.Duration
}

// Line is the one-line summary printed after every run.
func (s Summary) Line() string {
	return fmt.Sprintf("ingest: %d laws, %d procedures read — %d added, %d updated, %d unchanged, %d rejected (%s)",
		s.Laws, s.Procedures, s.Added, s.Updated, s.Unchanged, len(s.Rejected)+len(s.CrawlFailures), s.Took.Round(time.Millisecond))
}

// ErrRejected is returned (wrapped) when some records were rejected; the
// rest of the run has been carried out.
var ErrRejected = errors.New("some records were rejected")

// Run reads the sources and brings the store and the index up to date.
// With o.DB it holds the ingest lock throughout: one ingest at a time
// across every instance on the database.
func Run(ctx context.Context, o Options) (Summary, error) {
	start := time.Now()
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 32
	}
	var sum Summary
	var key, digest string
	if o.DB != nil {
		lock, err := AcquireLock(ctx, o.DB, LockOptions{Wait: o.LockWait, Logger: o.Logger})
		if err != nil {
			return sum, err
		}
		defer lock.Release()
	}
	if o.DB != nil && !o.Once {
		var err error
		if key, digest, err = sourceDigest(o.Sources); err != nil {
			return sum, err
		}
		if digest != "" {
			last, err := readLastRun(ctx, o.DB, key)
			if err != nil {
				return sum, fmt.Errorf("ingest: read last run: %w", err)
			}
			n, err := o.Store.Count(ctx, "")
			if err != nil {
				return sum, err
			}
			if last.digest == digest && last.documents == n {
				sum.Laws, sum.Procedures, sum.Unchanged = last.laws, last.procedures, last.laws+last.procedures
				sum.Took = time.Since(start)
				return sum, nil
			}
		}
	}
	if err := stream(ctx, o, &sum); err != nil {
		return sum, err
	}
	sum.Took = time.Since(start)
	if len(sum.Rejected) > 0 || len(sum.CrawlFailures) > 0 {
		return sum, fmt.Errorf("ingest: %w: %d", ErrRejected, len(sum.Rejected)+len(sum.CrawlFailures))
	}
	if digest != "" {
		n, err := o.Store.Count(ctx, "")
		if err != nil {
			return sum, err
		}
		if err := saveRun(ctx, o.DB, key, lastRun{digest, sum.Laws, sum.Procedures, n}); err != nil {
			return sum, fmt.Errorf("ingest: record run: %w", err)
		}
	}
	return sum, nil
}

// Rebuild re-indexes every stored document: for an index that was created
// anew (first start, or a mapping change).
func Rebuild(ctx context.Context, store *corpus.Store, idx retrieval.Indexer, progress io.Writer) (int, error) {
	total, err := store.Count(ctx, "")
	if err != nil {
		return 0, err
	}
	bar := newProgress(progress, total)
	var batch []*corpus.Document
	n := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := idx.Index(ctx, batch...); err != nil {
			return err
		}
		n += len(batch)
		bar.Add(len(batch))
		batch = batch[:0]
		return nil
	}
	err = store.All(ctx, "", func(d *corpus.Document) error {
		batch = append(batch, d)
		if len(batch) == 32 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	bar.Finish()
	return n, err
}

// reader reads sources and hands each document to onLaw or
// onProcedure as it is read. Run reads the sources more than once (see
// stream): kinds limits a reading to the files of some kinds, and quiet
// keeps a later reading from reporting rejections and skipped files again.
type reader struct {
	logger *slog.Logger
	crawl  CrawlOptions
	kinds  map[corpus.Kind]bool // nil: every kind
	quiet  bool
	// crawled keeps the laws of each URL source: a crawl is read once.
	crawled       map[string][]*corpus.Document
	onLaw         func(*corpus.Document)
	onProcedure   func(*corpus.Document)
	err           error // the first error of onLaw or onProcedure, which stops the reading
	rejected      []Rejected
	crawlFailures []CrawlFailure
	skipped       []string
}

func (r *reader) wants(k corpus.Kind) bool { return r.kinds == nil || r.kinds[k] }

func (r *reader) law(d *corpus.Document) {
	if r.err == nil && r.wants(corpus.KindLaw) {
		r.onLaw(d)
	}
}

func (r *reader) procedure(d *corpus.Document) {
	if r.err == nil && r.wants(corpus.KindProcedure) {
		r.onProcedure(d)
	}
}

func (r *reader) skip(path string) {
	if !r.quiet {
		r.skipped = append(r.skipped, path)
		r.logger.Info("ingest: skipped, not a known format", "file", path)
	}
}

func (r *reader) reject(x Rejected) {
	if r.quiet {
		return
	}
	r.logger.Warn("ingest: rejected", "file", x.File, "line", x.Line, "reason", x.Reason)
	r.rejected = append(r.rejected, x)
}

func (r *reader) read(ctx context.Context, src string) error {
	if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
		if docs, ok := r.crawled[src]; ok {
			for _, d := range docs {
				r.law(d)
			}
			return r.err
		}
		var docs []*corpus.Document
		stats, err := NewCrawler(r.crawl).Crawl(ctx, src, func(d *corpus.Document) error {
			docs = append(docs, d)
			r.law(d)
			return r.err
		})
		if r.crawled == nil {
			r.crawled = map[string][]*corpus.Document{}
		}
		r.crawled[src] = docs
		r.crawlFailures = append(r.crawlFailures, stats.Failed...)
		return err
	}
	info, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("ingest: source %s: %w", src, err)
	}
	if !info.IsDir() {
		return r.readFile(ctx, src)
	}
	// A symbolic link to a folder is walked as the folder.
	root, err := filepath.EvalSymlinks(src)
	if err != nil {
		return fmt.Errorf("ingest: source %s: %w", src, err)
	}
	var files []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != root {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("ingest: walk %s: %w", src, err)
	}
	sort.Strings(files)
	html := map[string][]string{}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := r.readFileOrCollect(ctx, f, html); err != nil {
			return err
		}
		if r.err != nil {
			return r.err
		}
	}
	return r.readHTMLPages(html)
}

func (r *reader) readFile(ctx context.Context, path string) error {
	html := map[string][]string{}
	if err := r.readFileOrCollect(ctx, path, html); err != nil {
		return err
	}
	if r.err != nil {
		return r.err
	}
	return r.readHTMLPages(html)
}

// readFileOrCollect reads a dump, or sets an HTML page aside so that a
// full-text page can be read together with its properties page.
func (r *reader) readFileOrCollect(ctx context.Context, path string, html map[string][]string) error {
	f, head, err := openFile(path)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	defer f.Close()
	emitLaw := func(rec lawRecord) { r.law(lawFromRecord(rec)) }
	// A reading of some kinds leaves the files of the others unparsed.
	switch format := DetectFormat(head); {
	case (format == FormatLawDump || format == FormatBEIR || format == FormatHTML) && !r.wants(corpus.KindLaw),
		format == FormatProcedureDump && !r.wants(corpus.KindProcedure):
		return nil
	case format == FormatLawDump:
		return readLawDump(path, f, emitLaw, r.reject)
	case format == FormatBEIR:
		return readBEIR(path, f, emitLaw, r.reject)
	case format == FormatProcedureDump:
		return readProcedureDump(path, f, r.procedure, r.reject)
	case format == FormatHTML:
		html[filepath.Dir(path)] = append(html[filepath.Dir(path)], path)
		return nil
	default:
		r.skip(path)
		return nil
	}
}

var reItemID = regexp.MustCompile(`(?i)ItemID[=_]?(\d+)`)

// readHTMLPages parses saved pages: vbpl.vn full texts (with the
// properties page of the same ItemID in the same folder, when present)
// and thuvienphapluat.vn pages. Other HTML is skipped.
func (r *reader) readHTMLPages(byDir map[string][]string) error {
	// In one order on every reading: stream numbers the laws as they come.
	dirs := make([]string, 0, len(byDir))
	for dir := range byDir {
		dirs = append(dirs, dir)
	}
	sort.Strings(dirs)
	for _, dir := range dirs {
		paths := byDir[dir]
		props := map[string][]byte{}
		type page struct {
			path string
			body []byte
			site string
		}
		var pages []page
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				return fmt.Errorf("ingest: %w", err)
			}
			site := DetectHTML(b)
			switch site {
			case "vbpl-thuoctinh":
				if m := reItemID.FindStringSubmatch(filepath.Base(p)); m != nil {
					props[m[1]] = b
				}
			case "vbpl-toanvan", "tvpl":
				pages = append(pages, page{p, b, site})
			default:
				if !r.quiet {
					r.skipped = append(r.skipped, p)
				}
			}
		}
		for _, pg := range pages {
			var d *corpus.Document
			var err error
			if pg.site == "tvpl" {
				d, err = ParseTVPL(pg.body, "")
			} else {
				var prop []byte
				if m := reItemID.FindStringSubmatch(filepath.Base(pg.path)); m != nil {
					prop = props[m[1]]
				}
				d, err = ParseVBPL(pg.body, prop, "")
			}
			if err != nil {
				r.reject(Rejected{pg.path, 1, err.Error()})
				continue
			}
			r.law(d)
		}
	}
	return r.err
}

// lawFromRecord turns a dump's law into a document, named by number or by
// title as the dump names it and completed from the catalogue.
func lawFromRecord(rec lawRecord) *corpus.Document {
	d := &corpus.Document{Kind: corpus.KindLaw, Title: rec.name, Nodes: rec.articles}
	if corpus.LooksLikeNumber(rec.name) {
		d.Number = rec.name
	}
	fromCatalog(d)
	if d.Type == "" {
		d.Type = lawType(d.Title)
	}
	return d
}

func lawType(title string) string {
	t := corpus.TitleKey(title)
	switch {
	case strings.HasPrefix(t, "bo luat"):
		return "Bộ luật"
	case strings.HasPrefix(t, "luat"):
		return "Luật"
	case strings.HasPrefix(t, "hien phap"):
		return "Hiến pháp"
	}
	return ""
}

// resolveID finds the stored law that d is another copy of — by number,
// name or first articles, as long as numbers and years do not contradict
// (Hiến pháp 1992 is not Hiến pháp 2013) — or makes a new id.
func resolveID(ctx context.Context, st *corpus.Store, d *corpus.Document) (string, error) {
	for _, key := range corpus.IdentityKeys(d) {
		id, err := st.Lookup(ctx, []string{key})
		if errors.Is(err, corpus.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", err
		}
		old, err := st.Get(ctx, id)
		if err != nil {
			return "", err
		}
		if sameLaw(old, d) {
			return id, nil
		}
	}
	id := corpus.LawID(d.Number, d.Title)
	if _, err := st.Get(ctx, id); err == nil {
		// The id is taken by a different law: qualify it.
		id = corpus.LawID("", d.Title+" "+d.Number+" "+yearOf(d))
	}
	return id, nil
}

// sameLaw reports whether two copies may be one law: their numbers, when
// both have one, are equal, and so are their years.
func sameLaw(a, b *corpus.Document) bool {
	if a.Number != "" && b.Number != "" && corpus.NormalizeNumber(a.Number) != corpus.NormalizeNumber(b.Number) {
		return false
	}
	ya, yb := yearOf(a), yearOf(b)
	return ya == "" || yb == "" || ya == yb
}
