package eval

// The SQLite FTS5 peer: the baseline the shared README quotes ("SQLite
// FTS5, unicode61, diacritics removed, bm25()"), measured next to our
// keyword index in the same run — for retrieval quality (eval retrieval
// --mode fts5) and for speed (eval fts5-serve, the Go benchmarks). It is
// a measurement peer, not a product feature: nothing in the library
// searches through it.

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"

	_ "modernc.org/sqlite" // registers "sqlite", built with FTS5
)

// FTS5Tokenizer is the peer's tokenizer: Unicode words, lower-cased, with
// diacritics removed — but not đ, which Unicode does not decompose, so
// "dang ky" does not match "đăng ký" (FTS5 indexes it as "đang ky").
const FTS5Tokenizer = "unicode61 remove_diacritics 2"

// FTS5 is an SQLite FTS5 index over passages (title, heading, text), in a
// temporary SQLite file, ranked by bm25() with equal column weights. It
// satisfies retrieval.Searcher so that the same HTTP handlers can serve it.
type FTS5 struct {
	db  *sql.DB
	dir string // the temporary directory holding the database
}

// OpenFTS5 creates an empty FTS5 index in a new temporary directory under
// dir ("" for the system's), removed by Close.
func OpenFTS5(ctx context.Context, dir string) (*FTS5, error) {
	tmp, err := os.MkdirTemp(dir, "mattranso-fts5-")
	if err != nil {
		return nil, fmt.Errorf("eval: fts5: %w", err)
	}
	path := filepath.Join(tmp, "fts5.db")
	// The index is thrown away: no journal, no fsync. mmap and a large
	// page cache keep a built index in memory for the readers.
	q := "?_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)&_pragma=mmap_size(1073741824)&_pragma=cache_size(-262144)&_pragma=temp_store(MEMORY)"
	db, err := sql.Open("sqlite", "file:"+path+q)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("eval: fts5: open %s: %w", path, err)
	}
	// Readers run in parallel, one connection each, as bleve's do.
	db.SetMaxOpenConns(2 * runtime.GOMAXPROCS(0))
	db.SetMaxIdleConns(2 * runtime.GOMAXPROCS(0))
	db.SetConnMaxIdleTime(0)
	if _, err := db.ExecContext(ctx, `CREATE VIRTUAL TABLE passages USING fts5(
		title, heading, text,
		pid UNINDEXED, doc_id UNINDEXED, kind UNINDEXED, anchor UNINDEXED,
		tokenize = '`+FTS5Tokenizer+`')`); err != nil {
		db.Close()
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("eval: fts5: create table (is FTS5 compiled in?): %w", err)
	}
	return &FTS5{db: db, dir: tmp}, nil
}

// Close closes the index and removes its file.
func (f *FTS5) Close() error {
	err := f.db.Close()
	if rerr := os.RemoveAll(f.dir); err == nil {
		err = rerr
	}
	return err
}

// Path is the SQLite file holding the index, for measuring its size.
func (f *FTS5) Path() string { return filepath.Join(f.dir, "fts5.db") }

// Add indexes passages in one transaction.
func (f *FTS5) Add(ctx context.Context, ps ...corpus.Passage) error {
	tx, err := f.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("eval: fts5: %w", err)
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, `INSERT INTO passages (title, heading, text, pid, doc_id, kind, anchor)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`)
	if err != nil {
		return fmt.Errorf("eval: fts5: %w", err)
	}
	defer st.Close()
	for _, p := range ps {
		if _, err := st.ExecContext(ctx, p.Title, p.Heading, p.Text, p.ID, p.DocID, string(p.Kind), p.Anchor); err != nil {
			return fmt.Errorf("eval: fts5: insert %s: %w", p.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("eval: fts5: commit: %w", err)
	}
	return nil
}

// Optimize merges the index's segments into one, as a built, read-only
// index would be; call it once after the last Add.
func (f *FTS5) Optimize(ctx context.Context) error {
	if _, err := f.db.ExecContext(ctx, `INSERT INTO passages (passages) VALUES ('optimize')`); err != nil {
		return fmt.Errorf("eval: fts5: optimize: %w", err)
	}
	return nil
}

// Count returns the number of passages held.
func (f *FTS5) Count(ctx context.Context) (int, error) {
	var n int
	err := f.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM passages`).Scan(&n)
	return n, err
}

// FTS5Match turns free text into an FTS5 query: its words, each quoted
// (so that no word is read as FTS5 syntax: AND, NOT, NEAR, column:,
// "-", "*"), OR-ed. It returns "" when the text has no words.
func FTS5Match(text string) string {
	var b strings.Builder
	seen := map[string]bool{}
	for _, w := range strings.FieldsFunc(corpus.NFC(text), notWordRune) {
		key := strings.ToLower(w)
		if seen[key] {
			continue
		}
		seen[key] = true
		if b.Len() > 0 {
			b.WriteString(" OR ")
		}
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(w, `"`, `""`))
		b.WriteByte('"')
	}
	return b.String()
}

// notWordRune splits text where unicode61 would: a word is letters,
// numbers and combining marks.
func notWordRune(r rune) bool {
	return !(unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Mn, r))
}

// Search answers q with bm25() ranking. Kind and DocID filter; Issuer and
// Status are not held and are refused. Scores are -bm25(), higher better.
func (f *FTS5) Search(ctx context.Context, q retrieval.Query) (retrieval.Result, error) {
	start := time.Now()
	text := strings.TrimSpace(corpus.NFC(q.Text))
	switch {
	case text == "":
		return retrieval.Result{}, fmt.Errorf("%w: the query is empty", retrieval.ErrBadQuery)
	case utf8.RuneCountInString(text) > retrieval.MaxQueryLen:
		return retrieval.Result{}, fmt.Errorf("%w: the query has more than %d characters", retrieval.ErrBadQuery, retrieval.MaxQueryLen)
	case q.Kind != "" && !q.Kind.Valid():
		return retrieval.Result{}, fmt.Errorf("%w: unknown kind %q (law or procedure)", retrieval.ErrBadQuery, q.Kind)
	case q.Issuer != "" || q.Status != "":
		return retrieval.Result{}, fmt.Errorf("%w: the FTS5 peer does not filter by issuer or status", retrieval.ErrBadQuery)
	}
	if q.Limit <= 0 {
		q.Limit = 10
	}
	q.Limit = min(q.Limit, retrieval.MaxLimit)
	q.Offset = max(q.Offset, 0)
	match := FTS5Match(text)
	if match == "" {
		return retrieval.Result{}, fmt.Errorf("%w: the query has no words", retrieval.ErrBadQuery)
	}
	// The inner query ranks row ids only; the outer one reads the columns
	// of the rows kept, rather than of every row that matched.
	inner := `SELECT rowid AS r, bm25(passages) AS s FROM passages WHERE passages MATCH $1`
	args := []any{match}
	if q.Kind != "" {
		args = append(args, string(q.Kind))
		inner += fmt.Sprintf(` AND kind = $%d`, len(args))
	}
	if q.DocID != "" {
		args = append(args, q.DocID)
		inner += fmt.Sprintf(` AND doc_id = $%d`, len(args))
	}
	args = append(args, q.Limit, q.Offset)
	inner += fmt.Sprintf(` ORDER BY s LIMIT $%d OFFSET $%d`, len(args)-1, len(args))
	sqlText := `SELECT p.pid, p.doc_id, p.kind, p.anchor, p.title, p.heading, p.text, t.s
		FROM (` + inner + `) AS t JOIN passages AS p ON p.rowid = t.r ORDER BY t.s`
	rows, err := f.db.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return retrieval.Result{}, fmt.Errorf("eval: fts5: search %q: %w", match, err)
	}
	defer rows.Close()
	terms := map[string]bool{}
	for _, t := range corpus.Terms(text) {
		terms[t] = true
	}
	var res retrieval.Result
	for rows.Next() {
		var h retrieval.Hit
		var kind string
		var bm25 float64
		if err := rows.Scan(&h.PassageID, &h.DocID, &kind, &h.Anchor, &h.Title, &h.Heading, &h.Text, &bm25); err != nil {
			return retrieval.Result{}, fmt.Errorf("eval: fts5: search %q: %w", match, err)
		}
		h.Kind, h.Score = corpus.Kind(kind), -bm25
		h.Snippet = retrieval.Snippet(h.Text, terms, 240)
		res.Hits = append(res.Hits, h)
	}
	if err := rows.Err(); err != nil {
		return retrieval.Result{}, fmt.Errorf("eval: fts5: search %q: %w", match, err)
	}
	res.Total = uint64(q.Offset + len(res.Hits))
	res.Took = time.Since(start)
	return res, nil
}

// FTS5Set is a dataset indexed in the FTS5 peer, with the same documents
// and passages that Load gives our keyword index.
type FTS5Set struct {
	*Dataset
	Index    *FTS5
	corpusID map[string]string // document id + "#" + article anchor → corpus id
}

// Close removes the index.
func (s *FTS5Set) Close() { s.Index.Close() }

// LoadFTS5 reads a dataset and indexes its corpus in the FTS5 peer. The
// documents are built as Load builds them, so both indexes hold the same
// passages.
func LoadFTS5(ctx context.Context, dir, split, workDir string) (*FTS5Set, error) {
	ds, err := LoadDataset(dir, split)
	if err != nil {
		return nil, err
	}
	docs, ids := setDocuments(ds)
	idx, err := OpenFTS5(ctx, workDir)
	if err != nil {
		return nil, err
	}
	set := &FTS5Set{Dataset: ds, Index: idx, corpusID: ids}
	for _, d := range docs {
		if err := idx.Add(ctx, corpus.Passages(d)...); err != nil {
			set.Close()
			return nil, err
		}
	}
	if err := idx.Optimize(ctx); err != nil {
		set.Close()
		return nil, err
	}
	return set, nil
}

// setDocuments builds one law document per law of the set, its articles
// parsed — for the keyword index and the peer alike; it returns them in corpus order with the
// map from document id and article anchor to corpus id.
func setDocuments(ds *Dataset) ([]*corpus.Document, map[string]string) {
	byID := map[string]*corpus.Document{}
	ids := map[string]string{}
	var order []*corpus.Document
	for _, c := range ds.Corpus {
		law := c.Metadata.LawID
		id := corpus.LawID("", law)
		if corpus.LooksLikeNumber(law) {
			id = corpus.LawID(law, "")
		}
		d, ok := byID[id]
		if !ok {
			d = &corpus.Document{ID: id, Kind: corpus.KindLaw, Title: firstNonEmpty(c.Title, law)}
			if corpus.LooksLikeNumber(law) {
				d.Number = law
			}
			byID[id] = d
			order = append(order, d)
		}
		art := corpus.ParseArticle(c.Metadata.ArticleID, c.Text)
		if _, dup := ids[id+"#"+art.Anchor]; dup {
			continue
		}
		d.Nodes = append(d.Nodes, art)
		ids[id+"#"+art.Anchor] = c.ID
	}
	return order, ids
}

// Rank returns the set's corpus ids for a query, best first, at most n,
// and the returned set, as LoadedSet.Rank does for the keyword index.
func (s *FTS5Set) Rank(ctx context.Context, text string, n int) (ranked, returned []string, err error) {
	return rankArticles(ctx, s.Index, s.corpusID, text, n)
}

// RetrievalFTS5 runs every judged query of the set against the FTS5 peer
// and averages the metrics, as Retrieval does for the keyword index.
func RetrievalFTS5(ctx context.Context, opts RetrievalOptions) (Metrics, error) {
	set, err := LoadFTS5(ctx, opts.Dataset, opts.Split, opts.WorkDir)
	if err != nil {
		return Metrics{}, err
	}
	defer set.Close()
	return runJudged(ctx, set.Dataset, opts, set.Rank)
}

// runJudged asks the judged queries of ds through rank and averages the
// metrics.
func runJudged(ctx context.Context, ds *Dataset, opts RetrievalOptions,
	rank func(ctx context.Context, text string, n int) (ranked, returned []string, err error)) (Metrics, error) {
	var m Metrics
	var judged []QueryRec
	for _, q := range ds.Queries {
		if len(ds.Qrels[q.ID]) > 0 {
			judged = append(judged, q)
		}
	}
	if len(judged) == 0 {
		return m, fmt.Errorf("eval: no query of %s has a judgement in split %q", ds.Dir, ds.Split)
	}
	for i, q := range judged {
		text := q.SearchText()
		if opts.QuestionOnly {
			text = q.Text
		}
		if opts.StripDiacritics {
			text = corpus.Fold(text)
		}
		n := 10
		if opts.Each != nil {
			n = OutcomeDepth
		}
		ranked, returned, err := rank(ctx, text, n)
		if err != nil {
			return m, fmt.Errorf("eval: query %s: %w", q.ID, err)
		}
		r1, r10, mrr, ndcg, f2 := scoreQuery(ranked, returned, ds.Qrels[q.ID])
		if opts.Each != nil {
			o := QueryOutcome{ID: q.ID, Text: text, Ranked: ranked[:min(10, len(ranked))]}
			for id, g := range ds.Qrels[q.ID] {
				if g > 0 {
					o.Judged = append(o.Judged, id)
				}
			}
			slices.Sort(o.Judged)
			for i, id := range ranked {
				if ds.Qrels[q.ID][id] > 0 {
					o.Rank = i + 1
					break
				}
			}
			opts.Each(o)
		}
		m.RecallAt1 += r1
		m.RecallAt10 += r10
		m.MRRAt10 += mrr
		m.NDCGAt10 += ndcg
		m.F2 += f2
		if opts.Progress != nil {
			opts.Progress(i+1, len(judged))
		}
	}
	n := float64(len(judged))
	m.Queries = len(judged)
	m.RecallAt1 /= n
	m.RecallAt10 /= n
	m.MRRAt10 /= n
	m.NDCGAt10 /= n
	m.F2 /= n
	return m, nil
}

// CitizenQueries are short searches as citizens type them on phones —
// mostly without diacritics — for procedures and common legal topics.
// Load tests mix them with a set's questions (see QueryMix).
var CitizenQueries = []string{
	"thu tuc dang ky khai sinh",
	"cap lai can cuoc",
	"dang ky ket hon",
	"dang ky thuong tru",
	"dang ky tam tru",
	"cap giay phep xay dung",
	"cap ho chieu",
	"dang ky ho kinh doanh",
	"le phi truoc ba",
	"cap giay chung nhan quyen su dung dat",
	"xac nhan tinh trang hon nhan",
	"dang ky khai tu",
	"tro cap that nghiep",
	"doi giay phep lai xe",
	"tro cap nguoi cao tuoi",
	"đăng ký khai sinh",
	"cấp lại căn cước",
	"thủ tục ly hôn",
	"hưởng bảo hiểm xã hội một lần",
	"thời hạn giải quyết khiếu nại",
}

// ReferenceQueries are document numbers and article references, which our
// index answers by look-up and the FTS5 peer by plain word match.
var ReferenceQueries = []string{
	"91/2015/QH13",
	"Điều 418 Bộ luật Hình sự",
	"45/2019/QH14",
	"dieu 8 luat cu tru",
	"24/2018/QH14",
	"Điều 123 Bộ luật Dân sự",
	"01/VBHN-VPQH",
	"dieu 35 bo luat lao dong",
}

// QueryMix interleaves a set's questions with short searches, in blocks of
// four: a question as written, a citizen search, the same question
// without diacritics (as corpus.Fold leaves it), then a reference on even
// blocks or another citizen search on odd ones. Half the mix is long legal
// questions, three eighths short citizen searches, one eighth document
// numbers and article references. Whitespace is collapsed, one query a
// line.
func QueryMix(questions []string) []string {
	out := make([]string, 0, 4*len(questions))
	c := 0
	next := func() string { s := CitizenQueries[c%len(CitizenQueries)]; c++; return s }
	for i, q := range questions {
		q = strings.Join(strings.Fields(q), " ")
		if q == "" {
			continue
		}
		out = append(out, q, next(), strings.Join(strings.Fields(corpus.Fold(q)), " "))
		if i%2 == 0 {
			out = append(out, ReferenceQueries[(i/2)%len(ReferenceQueries)])
		} else {
			out = append(out, next())
		}
	}
	return out
}
