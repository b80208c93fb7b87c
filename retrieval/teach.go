package retrieval

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mattranso/mattranso/corpus"
)

// Teaching from the library. A deployment loads documents no judged
// question set covers (the Front's charter, its regulations, joint
// resolutions), so what the local embedder and the re-ranker learn by
// default comes from the library itself: pseudo-questions made from each
// passage — its heading, the openings of its clauses, the terms it defines,
// the everyday questions a procedure's fields answer, and their everyday
// wording through the thesaurus — each paired with the passage it came
// from. The lesson is deterministic (seeded) and versioned: TeachVersion
// and a digest of the library say what a model learned from, so that a
// model is retrained when either changes.

// TeachVersion changes when the pseudo-questions are made differently.
const TeachVersion = "teach-1"

// TeachPair is a pseudo-question and the passage it was made from.
type TeachPair struct {
	Query   string `json:"query"`
	Passage string `json:"passage"` // corpus.Passage.ID
	Source  string `json:"source"`  // what it was made from: one of the Teach* sources
}

// Sources of pseudo-questions.
const (
	TeachHeading    = "heading"    // the article's or clause's name
	TeachClause     = "clause"     // the opening words of a clause
	TeachStripped   = "stripped"   // a clause opening without the heading's words
	TeachDefinition = "definition" // "X là gì" for a clause defining X
	TeachProcedure  = "procedure"  // what a procedure's fields answer
	TeachParaphrase = "paraphrase" // one of the above in everyday words
)

// Lesson is what the library teaches: its pseudo-questions, the version
// of the recipe and a digest of the passages they were made from.
type Lesson struct {
	Version string
	Library string // digest of the passages (LibraryDigest)
	Pairs   []TeachPair
}

// Name identifies the lesson: the recipe's version and the library's
// digest.
func (l Lesson) Name() string { return l.Version + ":" + l.Library }

// TeachOptions configure Teach; zero values take the defaults.
type TeachOptions struct {
	Seed uint64 // default 1
	// StripShare is the share of clause openings whose words that also
	// name the passage's heading are taken out (default 0.5; <0 none), so
	// that the models learn the clause's content rather than to match the
	// heading word for word. EVAL.md measures it.
	StripShare float64
	// PerPassage caps the pseudo-questions of one passage (default 4).
	PerPassage int
	// LawShare is the share of a law's questions that name the law, as
	// citizens' questions often do ("Theo Bộ luật Dân sự 2015, …"), so
	// that the re-ranker learns what a named law and its year say
	// (default 0.3; <0 none).
	LawShare float64
	// Max caps the lesson; beyond it a seeded sample is kept (0: all).
	Max int
	// Thesaurus words paraphrases; nil uses the one search uses.
	Thesaurus *Thesaurus
}

func (o *TeachOptions) defaults() {
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.StripShare == 0 {
		o.StripShare = 0.5
	}
	if o.StripShare < 0 {
		o.StripShare = 0
	}
	if o.PerPassage <= 0 {
		o.PerPassage = 4
	}
	if o.LawShare == 0 {
		o.LawShare = 0.3
	}
	if o.LawShare < 0 {
		o.LawShare = 0
	}
	if o.Thesaurus == nil {
		o.Thesaurus = DefaultThesaurus()
	}
}

// LibraryDigest identifies a library's passages (ids and texts), in any
// order.
func LibraryDigest(ps []corpus.Passage) string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.ID + "\x00" + p.Heading + "\x00" + p.Text
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// Teach makes the pseudo-questions of a library's passages.
func Teach(ps []corpus.Passage, o TeachOptions) Lesson {
	o.defaults()
	sorted := make([]corpus.Passage, len(ps))
	copy(sorted, ps)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	rng := rand.New(rand.NewPCG(o.Seed, 0x7465616368))
	l := Lesson{Version: TeachVersion, Library: LibraryDigest(ps)}
	for _, p := range sorted {
		var qs []TeachPair
		if p.Kind == corpus.KindProcedure {
			qs = procedureQuestions(p)
		} else {
			qs = lawQuestions(p, o, rng)
			if title := strings.TrimSpace(p.Title); title != "" {
				for i := range qs {
					if rng.Float64() >= o.LawShare {
						continue
					}
					if qs[i].Source == TeachHeading {
						qs[i].Query = title + " quy định như thế nào về " + lowerFirst(qs[i].Query)
					} else {
						qs[i].Query = "Theo " + title + ", " + lowerFirst(qs[i].Query)
					}
				}
			}
		}
		// Paraphrases are made before the cap, so that a passage whose
		// wording the thesaurus knows keeps one in everyday words.
		var para []TeachPair
		for _, q := range qs {
			if e := o.Thesaurus.Everyday(q.Query); e != q.Query {
				para = append(para, TeachPair{Query: e, Passage: p.ID, Source: TeachParaphrase})
			}
		}
		if len(para) > 0 {
			qs = append(qs[:min(len(qs), o.PerPassage-1)], para[rng.IntN(len(para))])
		}
		if len(qs) > o.PerPassage {
			rng.Shuffle(len(qs), func(i, j int) { qs[i], qs[j] = qs[j], qs[i] })
			qs = qs[:o.PerPassage]
		}
		l.Pairs = append(l.Pairs, qs...)
	}
	if o.Max > 0 && len(l.Pairs) > o.Max {
		rng.Shuffle(len(l.Pairs), func(i, j int) { l.Pairs[i], l.Pairs[j] = l.Pairs[j], l.Pairs[i] })
		l.Pairs = l.Pairs[:o.Max]
		sort.SliceStable(l.Pairs, func(i, j int) bool { return l.Pairs[i].Passage < l.Pairs[j].Passage })
	}
	return l
}

// EmbedderPairs are the lesson's pairs as the local embedder learns them:
// each question with its passage's text and place.
func (l Lesson) EmbedderPairs(ps []corpus.Passage) []Pair {
	byID := make(map[string]*corpus.Passage, len(ps))
	for i := range ps {
		byID[ps[i].ID] = &ps[i]
	}
	out := make([]Pair, 0, len(l.Pairs))
	for _, t := range l.Pairs {
		if p := byID[t.Passage]; p != nil {
			out = append(out, Pair{Query: t.Query, Text: EmbedText(*p), Passage: p.ID})
		}
	}
	return out
}

// articleLabel is the "Điều 12." (or "Khoản 2", "Điểm a") that opens a
// heading, and clauseLabel the "1." or "a)" that opens a clause's line.
var (
	articleLabel = regexp.MustCompile(`^(Điều|Khoản|Điểm|Chương|Mục|Phần)\s+[0-9A-Za-zđĐ]+[.:]?\s*`)
	clauseLabel  = regexp.MustCompile(`^([0-9]+(\.[0-9]+)*[.)]|[a-zđ][.)]|[-–•+])\s*`)
)

// teachHeading is a heading without its labels: "Điều 5. Quyền của X —
// Khoản 2" gives "Quyền của X".
func teachHeading(h string) string {
	var names []string
	for _, part := range strings.Split(h, " — ") {
		if n := strings.TrimSpace(articleLabel.ReplaceAllString(strings.TrimSpace(part), "")); n != "" {
			names = append(names, n)
		}
	}
	return strings.Join(names, " ")
}

// Clause openings are cut to this many words: a citizen's question is
// short, and the start of a clause says what it is about.
const (
	openingMin = 5
	openingMax = 14
)

func lawQuestions(p corpus.Passage, o TeachOptions, rng *rand.Rand) []TeachPair {
	var out []TeachPair
	add := func(q, src string) {
		if q = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(q), ".,;:")); len(strings.Fields(q)) >= 2 {
			out = append(out, TeachPair{Query: q, Passage: p.ID, Source: src})
		}
	}
	name := teachHeading(p.Heading)
	if len(strings.Fields(name)) >= 2 {
		add(name, TeachHeading)
	}
	headWords := map[string]bool{}
	for _, t := range corpus.Tokenize(name) {
		headWords[t.Term] = true
	}
	var lines []string
	for _, ln := range strings.Split(p.Text, "\n") {
		ln = strings.TrimSpace(clauseLabel.ReplaceAllString(strings.TrimSpace(ln), ""))
		if utf8.RuneCountInString(ln) < 20 {
			continue
		}
		if term, ok := definedTerm(ln); ok {
			add(term+" là gì", TeachDefinition)
		}
		lines = append(lines, ln)
	}
	// Two clause openings, chosen by the seed.
	for k := 0; k < 2 && len(lines) > 0; k++ {
		i := rng.IntN(len(lines))
		ln := lines[i]
		lines = append(lines[:i], lines[i+1:]...)
		words := strings.Fields(ln)
		if len(words) < openingMin {
			continue
		}
		words = words[:min(len(words), openingMax)]
		if rng.Float64() < o.StripShare && len(headWords) > 0 {
			var kept []string
			for _, w := range words {
				folded := ""
				for _, t := range corpus.Tokenize(w) {
					folded += t.Term
				}
				if folded == "" || !headWords[folded] {
					kept = append(kept, w)
				}
			}
			if len(kept) >= openingMin-1 && len(kept) < len(words) {
				add(strings.Join(kept, " "), TeachStripped)
				continue
			}
		}
		add(strings.Join(words, " "), TeachClause)
	}
	return out
}

// definedTerm returns X of a clause "X là …" (2–12 words before "là",
// not a condition such as "Trường hợp …").
func definedTerm(line string) (string, bool) {
	before, _, ok := strings.Cut(line, " là ")
	if !ok {
		return "", false
	}
	before = strings.TrimSuffix(strings.TrimSuffix(before, " được hiểu"), " được gọi")
	words := strings.Fields(before)
	if len(words) < definedMinWords || len(words) > definedMaxWords || strings.ContainsAny(before, ",;:()") {
		return "", false
	}
	if toks := corpus.Tokenize(before); len(toks) == 0 || conditionOpener(toks) {
		return "", false
	}
	return before, true
}

// procedureFields are the everyday questions a procedure's field answers,
// keyed by the field's name as the procedure's passage writes it
// (corpus.ProcedureSections); %s is the procedure's name.
var procedureFields = []struct{ field, question string }{
	{"Thành phần hồ sơ", "%s cần giấy tờ gì"},
	{"Phí, lệ phí", "lệ phí %s bao nhiêu"},
	{"Cơ quan thực hiện", "%s nộp ở đâu"},
	{"Cách thức thực hiện", "làm %s như thế nào"},
	{"Yêu cầu, điều kiện", "điều kiện để %s"},
	{"Trình tự thực hiện", "các bước %s"},
	{"Kết quả thực hiện", "%s thì được nhận gì"},
}

func procedureQuestions(p corpus.Passage) []TeachPair {
	name := lowerFirst(strings.TrimSpace(p.Title))
	if name == "" {
		return nil
	}
	out := []TeachPair{{Query: name, Passage: p.ID, Source: TeachProcedure}}
	for _, f := range procedureFields {
		if strings.Contains(p.Text, f.field+":") {
			out = append(out, TeachPair{Query: strings.Replace(f.question, "%s", name, 1), Passage: p.ID, Source: TeachProcedure})
		}
	}
	return out
}

// lowerFirst lowers a name's first letter, as it reads inside a question,
// unless the first word is an acronym ("UBND").
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	if w, _, _ := strings.Cut(s, " "); utf8.RuneCountInString(w) > 1 {
		r2, _ := utf8.DecodeRuneInString(w[n:])
		if unicode.IsUpper(r2) {
			return s
		}
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// embedderSources are the pseudo-questions the embedder learns from: the
// heading and the plain clause openings it already learns from its
// self-supervision (a heading, a sentence taken out of its passage), so
// they would only lengthen training.
var embedderSources = map[string]bool{TeachStripped: true, TeachDefinition: true, TeachProcedure: true, TeachParaphrase: true}

// EmbedderShare caps the embedder's pseudo-questions at this share of the
// passages: with LibrarySentences, an epoch then holds no more pairs than
// with two sentences a passage and no pseudo-question, so that teaching
// takes no longer than it did with the competition sets' judged questions.
const EmbedderShare = 1.0

// LibrarySentences is TrainOptions.Sentences when the library's
// pseudo-questions teach the embedder: they stand in for one of the
// two sentences each passage gives an epoch.
const LibrarySentences = 1

// LibraryPairs are the pairs the library teaches the local embedder: the
// lesson's pseudo-questions of embedderSources, at most EmbedderShare of
// the passages (a seeded sample).
func LibraryPairs(ps []corpus.Passage, l Lesson) []Pair {
	var keep []TeachPair
	for _, t := range l.Pairs {
		if embedderSources[t.Source] {
			keep = append(keep, t)
		}
	}
	if n := int(EmbedderShare * float64(len(ps))); len(keep) > n {
		rng := rand.New(rand.NewPCG(2, 0x7465616368))
		rng.Shuffle(len(keep), func(i, j int) { keep[i], keep[j] = keep[j], keep[i] })
		keep = keep[:n]
		sort.SliceStable(keep, func(i, j int) bool { return keep[i].Passage < keep[j].Passage })
	}
	return Lesson{Pairs: keep}.EmbedderPairs(ps)
}
