// Package gencorpus owns the synthetic library used to measure the library
// at sizes the real corpus does not reach: it recombines the real laws and
// procedures (read at run time, never copied into the repository) into new
// documents — new titles, numbers and years; articles made of clauses drawn
// from real articles; procedures whose sections come from several real
// ones — so that the vocabulary, the lengths and the mix of laws and
// procedures stay those of the real library. The output is written in the
// dump formats `mattranso ingest` reads, and is the same byte for byte for
// the same source, size and seed.
package gencorpus

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/internal/jsonl"
)

// Options say what to generate.
type Options struct {
	// Source is a corpus folder laid out as ../shared/corpus: law dumps
	// under laws/*.json, the procedure dump under procedures/*.jsonl.
	Source string
	// Out is the folder written; it is created, and must hold no earlier
	// output (files of these names are refused rather than mixed).
	Out string
	// Passages is how many passages the library will hold once ingested,
	// laws and procedures together, as corpus.Passages cuts them. The
	// result is within one law of it.
	Passages int
	Seed     uint64
	// LawsPerFile and ProceduresPerFile bound each output file, so that
	// no file is large to read whole (the law reader does). Defaults 200
	// and 20,000.
	LawsPerFile, ProceduresPerFile int
}

// Summary is what was written.
type Summary struct {
	Laws, Procedures int
	// LawPassages and Procedures add up to the passages of the library.
	LawPassages int
	Files       []string
	Bytes       int64
}

// Passages is the number of passages the output holds.
func (s Summary) Passages() int { return s.LawPassages + s.Procedures }

// Generate writes a synthetic library of about o.Passages passages.
func Generate(o Options) (Summary, error) {
	if o.Passages <= 0 {
		return Summary{}, fmt.Errorf("gencorpus: passages %d: want at least 1", o.Passages)
	}
	src, err := ReadSource(o.Source)
	if err != nil {
		return Summary{}, err
	}
	return src.Generate(o)
}

// Generate writes a synthetic library of about o.Passages passages from s;
// o.Source is not read.
func (src *Source) Generate(o Options) (Summary, error) {
	var sum Summary
	if o.Passages <= 0 {
		return sum, fmt.Errorf("gencorpus: passages %d: want at least 1", o.Passages)
	}
	if o.LawsPerFile <= 0 {
		o.LawsPerFile = 200
	}
	if o.ProceduresPerFile <= 0 {
		o.ProceduresPerFile = 20000
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return sum, err
	}
	old, err := filepath.Glob(filepath.Join(o.Out, "gen-*"))
	if err != nil {
		return sum, err
	}
	if len(old) > 0 {
		return sum, fmt.Errorf("gencorpus: %s already holds generated files (%s): name an empty folder", o.Out, filepath.Base(old[0]))
	}
	// Keep the real library's share of procedures among passages.
	procTarget := int(float64(o.Passages)*src.procShare + 0.5)
	lawTarget := o.Passages - procTarget

	g := &generator{src: src, rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x6d617474)), used: map[string]bool{}}
	w := &shardWriter{dir: o.Out, sum: &sum}
	var laws []genLaw
	flushLaws := func() error {
		if len(laws) == 0 {
			return nil
		}
		err := w.writeJSON(fmt.Sprintf("gen-laws-%05d.json", len(sum.Files)+1), laws)
		laws = laws[:0]
		return err
	}
	for sum.LawPassages < lawTarget {
		law, n := g.law(sum.Laws)
		laws = append(laws, law)
		sum.Laws++
		sum.LawPassages += n
		if len(laws) == o.LawsPerFile {
			if err := flushLaws(); err != nil {
				return sum, err
			}
		}
	}
	if err := flushLaws(); err != nil {
		return sum, err
	}
	var procs []map[string]string
	flushProcs := func() error {
		if len(procs) == 0 {
			return nil
		}
		err := w.writeLines(fmt.Sprintf("gen-procedures-%05d.jsonl", len(sum.Files)+1), procs)
		procs = procs[:0]
		return err
	}
	for sum.Procedures < procTarget {
		procs = append(procs, g.procedure(sum.Procedures))
		sum.Procedures++
		if len(procs) == o.ProceduresPerFile {
			if err := flushProcs(); err != nil {
				return sum, err
			}
		}
	}
	return sum, flushProcs()
}

// Source is what the real corpus gives to recombine, read once.
type Source struct {
	articles   []article // every real article, the templates
	clauses    []string  // every clause, without its number
	bodies     []string  // the bodies of articles without clauses
	headings   []string
	lawSizes   []int    // articles per real law
	subjects   []string // "Cư trú", "Viên chức": real law names without kind and year
	procedures []map[string]string
	procShare  float64 // procedures among the real library's passages
	// realLaws holds the title keys of the real laws (corpus.TitleKey,
	// without the year): a new law of the same title would be merged with
	// a real one that names no year.
	realLaws map[string]bool
}

type article struct {
	lead    string // the text before the first clause
	clauses int
}

var (
	reClause   = regexp.MustCompile(`^\d+\.\s`)
	reLawKind  = regexp.MustCompile(`^(?i)(bộ luật|luật)\s+`)
	reYearTail = regexp.MustCompile(`\s*(năm\s+)?(19|20)\d\d\s*$`)
	// The dumps carry the headings of the parts that follow an article
	// at its end ("Tiểu mục 8", "CẦM GIỮ TÀI SẢN"): not the article's text.
	rePart = regexp.MustCompile(`^(Phần|Chương|Mục|Tiểu mục)\s+[\dIVXLC]+\b`)
)

// ReadSource reads the real corpus in dir, laid out as ../shared/corpus.
func ReadSource(dir string) (*Source, error) {
	lawFiles, err := filepath.Glob(filepath.Join(dir, "laws", "*.json"))
	if err != nil {
		return nil, err
	}
	procFiles, err := filepath.Glob(filepath.Join(dir, "procedures", "*.jsonl"))
	if err != nil {
		return nil, err
	}
	if len(lawFiles) == 0 || len(procFiles) == 0 {
		return nil, fmt.Errorf("gencorpus: %s: want law dumps under laws/*.json and a procedure dump under procedures/*.jsonl (the layout of ../shared/corpus)", dir)
	}
	sort.Strings(lawFiles)
	sort.Strings(procFiles)
	s := &Source{realLaws: map[string]bool{}}
	subjects := map[string]bool{}
	seenLaw := map[string]bool{}
	lawPassages := 0
	for _, f := range lawFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var laws []struct {
			ID       json.RawMessage `json:"id"`
			Articles []struct {
				ID   json.RawMessage `json:"id"`
				Text string          `json:"text"`
			} `json:"articles"`
		}
		if err := json.Unmarshal(data, &laws); err != nil {
			return nil, fmt.Errorf("gencorpus: %s: %w", f, err)
		}
		for li, l := range laws {
			var name string
			if json.Unmarshal(l.ID, &name) != nil {
				name = strings.Trim(string(l.ID), `"`)
			}
			name = corpus.NFC(strings.TrimSpace(name))
			if !corpus.LooksLikeNumber(name) {
				if subj := subjectOf(name); subj != "" && !subjects[subj] {
					subjects[subj] = true
					s.subjects = append(s.subjects, subj)
				}
				s.realLaws[corpus.TitleKey(name)] = true
			}
			d := &corpus.Document{Kind: corpus.KindLaw, Title: name}
			for ai, a := range l.Articles {
				text := corpus.NFC(a.Text)
				if strings.TrimSpace(text) == "" {
					continue
				}
				label := strings.Trim(string(a.ID), `"`)
				if label == "" {
					label = fmt.Sprint(ai + 1)
				}
				d.Nodes = append(d.Nodes, corpus.ParseArticle(label, text))
				s.addArticle(text)
			}
			if len(d.Nodes) == 0 {
				continue
			}
			s.lawSizes = append(s.lawSizes, len(d.Nodes))
			// The same law comes in several dumps; ingest stores it once.
			key := corpus.Fingerprint(d)
			if key == "" {
				key = fmt.Sprintf("%s#%d", f, li)
			}
			if !seenLaw[key] {
				seenLaw[key] = true
				lawPassages += len(corpus.Passages(d))
			}
		}
	}
	for _, f := range procFiles {
		if err := s.readProcedures(f); err != nil {
			return nil, err
		}
	}
	if len(s.articles) == 0 || len(s.clauses) == 0 || len(s.bodies) == 0 || len(s.subjects) == 0 || len(s.procedures) == 0 {
		return nil, fmt.Errorf("gencorpus: %s holds too little to recombine (%d articles, %d clauses, %d law names, %d procedures)",
			dir, len(s.articles), len(s.clauses), len(s.subjects), len(s.procedures))
	}
	s.procShare = float64(len(s.procedures)) / float64(len(s.procedures)+lawPassages)
	return s, nil
}

// subjectOf is what a law's name is about: "Luật Cư trú 2020" → "Cư trú".
func subjectOf(name string) string {
	s := reYearTail.ReplaceAllString(name, "")
	s = reLawKind.ReplaceAllString(s, "")
	return strings.TrimSpace(s)
}

// addArticle splits a real article ("Heading\n\nBody") into its heading,
// the lead-in before its clauses, and its clauses.
func (s *Source) addArticle(text string) {
	text = strings.TrimSpace(text)
	body := text
	// Some laws (the Constitution) give their articles no heading: the
	// parser's judgement of the first line is the one ingest will make.
	if h := corpus.ParseArticle("1", text).Heading; h != "" {
		first, rest, _ := strings.Cut(text, "\n")
		if strings.TrimSpace(first) == h {
			s.headings = append(s.headings, h)
			body = rest
		}
	}
	var lead, cur []string
	n := 0
	flush := func() {
		if len(cur) > 0 {
			s.clauses = append(s.clauses, strings.Join(cur, "\n"))
			cur = nil
		}
	}
	for _, ln := range strings.Split(body, "\n") {
		ln = strings.TrimSpace(ln)
		if ln == "" || rePart.MatchString(ln) || (ln == strings.ToUpper(ln) && ln != strings.ToLower(ln)) {
			continue
		}
		if loc := reClause.FindStringIndex(ln); loc != nil {
			flush()
			n++
			cur = []string{strings.TrimSpace(ln[loc[1]:])}
			continue
		}
		if n == 0 {
			lead = append(lead, ln)
		} else {
			cur = append(cur, ln)
		}
	}
	flush()
	a := article{lead: strings.Join(lead, "\n"), clauses: n}
	if n == 0 && a.lead != "" {
		s.bodies = append(s.bodies, a.lead)
	}
	s.articles = append(s.articles, a)
}

// procedureFields are the fields of the portal's dump that ingest reads.
var procedureFields = []string{
	"ma_thu_tuc", "detail_url", "ten_thu_tuc", "so_quyet_dinh", "cap_thuc_hien", "loai_thu_tuc",
	"linh_vuc", "doi_tuong_thuc_hien", "co_quan_co_tham_quyen", "co_quan_thuc_hien",
	"trinh_tu_thuc_hien", "cach_thuc_thuc_hien", "thanh_phan_ho_so", "can_cu_phap_ly",
	"yeu_cau_dieu_kien", "ket_qua_xu_ly", "dia_chi_tiep_nhan",
}

// recombined are the sections a generated procedure takes from other real
// procedures than the one it is modelled on.
var recombined = []string{"trinh_tu_thuc_hien", "thanh_phan_ho_so", "yeu_cau_dieu_kien", "ket_qua_xu_ly", "can_cu_phap_ly", "cach_thuc_thuc_hien"}

func (s *Source) readProcedures(path string) error {
	return jsonl.EachFile(path, func(_ int, b []byte) error {
		var raw map[string]any
		if err := json.Unmarshal(b, &raw); err != nil {
			return nil // ingest rejects it too; nothing to learn from it
		}
		p := map[string]string{}
		for _, k := range procedureFields {
			if v, ok := raw[k].(string); ok {
				p[k] = v
			}
		}
		if strings.TrimSpace(p["ma_thu_tuc"]) == "" || strings.TrimSpace(p["ten_thu_tuc"]) == "" {
			return nil
		}
		s.procedures = append(s.procedures, p)
		return nil
	})
}

type generator struct {
	src  *Source
	rng  *rand.Rand
	used map[string]bool // subject and year of each law made: no two alike
}

// genLaw is one law of a generated dump, in the dump's field order.
type genLaw struct {
	ID       string       `json:"id"`
	Articles []genArticle `json:"articles"`
}

type genArticle struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

var lawSuffixes = []string{"QH13", "QH14", "QH15", "QH16"}

// law makes the i-th law and counts its passages as ingest will cut them.
func (g *generator) law(i int) (genLaw, int) {
	s := g.src
	var subject string
	var year int
	for try := 0; ; try++ {
		subject = s.subjects[g.rng.IntN(len(s.subjects))]
		if g.rng.IntN(2) == 0 || try > 20 {
			other := s.subjects[g.rng.IntN(len(s.subjects))]
			if other != subject {
				subject += " và " + lowerFirst(other)
			}
		}
		year = 1990 + g.rng.IntN(51)
		key := corpus.TitleKey("Luật "+subject) + "|" + fmt.Sprint(year)
		if !g.used[key] || try > 1000 {
			g.used[key] = true
			break
		}
	}
	// A quarter of the laws go by their number, as in the ALQAC dumps;
	// numbers run with i from 1000, above any real law's, so that they
	// never repeat nor meet one.
	name := fmt.Sprintf("Luật %s %d", subject, year)
	if s.realLaws[corpus.TitleKey(name)] {
		// A real law's title: this one amends it.
		name = fmt.Sprintf("Luật sửa đổi, bổ sung một số điều của Luật %s %d", subject, year)
	}
	if g.rng.IntN(4) == 0 {
		name = fmt.Sprintf("%d/%d/%s", 1000+i, year, lawSuffixes[g.rng.IntN(len(lawSuffixes))])
	}
	size := s.lawSizes[g.rng.IntN(len(s.lawSizes))]
	law := genLaw{ID: name, Articles: make([]genArticle, 0, size)}
	// The first article names the subject and year, so that no two laws
	// share the first articles ingest recognises a law by.
	law.Articles = append(law.Articles, genArticle{"1", fmt.Sprintf(
		"Phạm vi điều chỉnh\n\nLuật này quy định về %s; có hiệu lực thi hành từ ngày 01 tháng 01 năm %d.", lowerFirst(subject), year+1)})
	for n := 2; n <= size; n++ {
		law.Articles = append(law.Articles, genArticle{fmt.Sprint(n), g.article()})
	}
	d := &corpus.Document{Kind: corpus.KindLaw, Title: name}
	for _, a := range law.Articles {
		d.Nodes = append(d.Nodes, corpus.ParseArticle(a.ID, a.Text))
	}
	return law, len(corpus.Passages(d))
}

// article makes an article on the pattern of a random real one: a real
// heading, the template's lead-in, and as many clauses as it had, each
// drawn from anywhere in the laws.
func (g *generator) article() string {
	s := g.src
	t := s.articles[g.rng.IntN(len(s.articles))]
	var b strings.Builder
	b.WriteString(s.headings[g.rng.IntN(len(s.headings))])
	b.WriteString("\n\n")
	if t.clauses == 0 {
		b.WriteString(s.bodies[g.rng.IntN(len(s.bodies))])
		return b.String()
	}
	if t.lead != "" {
		b.WriteString(t.lead)
		b.WriteString("\n")
	}
	for i := 1; i <= t.clauses; i++ {
		fmt.Fprintf(&b, "%d. %s\n", i, s.clauses[g.rng.IntN(len(s.clauses))])
	}
	return strings.TrimRight(b.String(), "\n")
}

// nameSplit finds where a procedure's name turns from what is done to
// whom or where: "Đăng ký khai sinh | cho người đã có hồ sơ…".
var nameSplit = regexp.MustCompile(` (cho|đối với|tại|của|trong|về|thuộc) `)

// procedure makes the i-th procedure: modelled on a real one, with a name
// joined from two real names and its sections from other real procedures.
func (g *generator) procedure(i int) map[string]string {
	s := g.src
	pick := func() map[string]string { return s.procedures[g.rng.IntN(len(s.procedures))] }
	t := pick()
	p := make(map[string]string, len(t))
	for k, v := range t {
		p[k] = v
	}
	for _, k := range recombined {
		p[k] = pick()[k]
	}
	name := t["ten_thu_tuc"]
	other := pick()["ten_thu_tuc"]
	if a, b := nameSplit.FindStringIndex(name), nameSplit.FindStringIndex(other); a != nil && b != nil {
		name = name[:a[0]] + other[b[0]:]
	}
	p["ten_thu_tuc"] = name
	// Codes like the portal's ("1.000178"), in a series of their own.
	p["ma_thu_tuc"] = fmt.Sprintf("%d.%06d", 9+i/1000000, i%1000000)
	p["so_quyet_dinh"] = fmt.Sprintf("%d/QĐ-%d", 1+g.rng.IntN(3000), 1990+g.rng.IntN(51))
	p["detail_url"] = ""
	return p
}

func lowerFirst(s string) string {
	for i, r := range s {
		return strings.ToLower(string(r)) + s[i+len(string(r)):]
	}
	return s
}

// shardWriter writes the output files, each whole or not at all.
type shardWriter struct {
	dir string
	sum *Summary
}

func (w *shardWriter) writeJSON(name string, v any) error {
	return w.write(name, func(bw *bufio.Writer) error {
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		return enc.Encode(v)
	})
}

func (w *shardWriter) writeLines(name string, lines []map[string]string) error {
	return w.write(name, func(bw *bufio.Writer) error {
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		for _, l := range lines {
			if err := enc.Encode(l); err != nil {
				return err
			}
		}
		return nil
	})
}

func (w *shardWriter) write(name string, fill func(*bufio.Writer) error) error {
	path := filepath.Join(w.dir, name)
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	err = fill(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return errors.Join(fmt.Errorf("gencorpus: write %s: %w", path, err), os.Remove(tmp))
	}
	if fi, err := os.Stat(path); err == nil {
		w.sum.Bytes += fi.Size()
	}
	w.sum.Files = append(w.sum.Files, path)
	return nil
}
