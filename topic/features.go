package topic

import (
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mattranso/mattranso/corpus"
)

// featureSpec is what the classifier reads of a text. It is stored with a
// model, so that a model keeps reading texts the way it was trained to.
type featureSpec struct {
	// CharMin and CharMax bound the length of the character n-grams taken
	// over the folded syllables joined by single spaces (so they span
	// syllable boundaries: "g vi" in "giang vien"); CharMax 0 takes none.
	CharMin int `json:"char_min,omitempty"`
	CharMax int `json:"char_max,omitempty"`
	// Trigrams adds folded syllable trigrams to the word features.
	Trigrams bool `json:"trigrams,omitempty"`
	// CharWeight scales the character block against the word block, each
	// first L2-normalised on its own.
	CharWeight float64 `json:"char_weight,omitempty"`
	// Expand reads the abbreviations people type on phones ("ko", "dc",
	// "bhxh", "ubnd") as the words they stand for (abbreviations), so that
	// they meet the words of the taxonomy's phrases.
	Expand bool `json:"expand,omitempty"`
}

// defaultFeatures were chosen by 5-fold cross-validation on the UIT-VSFC
// training split only (model.go); its dev split was not used.
var defaultFeatures = featureSpec{CharMin: 2, CharMax: 6, CharWeight: 1}

// taxonomyFeatures are those of a classifier trained from a taxonomy's
// phrases: the default ones, and abbreviations read as words, since the
// phrases spell out what citizens abbreviate.
var taxonomyFeatures = featureSpec{CharMin: 2, CharMax: 6, CharWeight: 1, Expand: true}

// names returns the feature names of text, repeated as often as they occur.
func (s featureSpec) names(text string) []string {
	var out []string
	s.each(text, func(name []byte) { out = append(out, string(name)) })
	return out
}

// each calls emit with every feature name of text, as names returns them
// and in the same order. The name is in a buffer that each reuses, so
// that looking it up in a map allocates nothing: a classification reads
// some 500 names, most of them character n-grams.
func (s featureSpec) each(text string, emit func(name []byte)) {
	if len(text) > maxExampleText {
		text = text[:maxExampleText]
	}
	text = corpus.NFC(text)
	toks := corpus.Tokenize(text)
	// joined[i] says whether token i+1 follows token i with only spaces
	// between them (no punctuation breaking the phrase).
	joined := make([]bool, len(toks))
	for i := range toks {
		joined[i] = i+1 < len(toks) && spaceOnly(text[toks[i].End:toks[i+1].Start])
	}
	// accented[i] is token i as typed, lower-cased.
	accented := make([]string, len(toks))
	for i, t := range toks {
		accented[i] = strings.ToLower(text[t.Start:t.End])
	}
	if s.Expand {
		toks, joined, accented = expand(toks, joined, accented)
	}
	buf := make([]byte, 0, 64)
	name := func(prefix string, parts ...string) []byte {
		buf = append(buf[:0], prefix...)
		for k, p := range parts {
			if k > 0 {
				buf = append(buf, '_')
			}
			buf = append(buf, p...)
		}
		return buf
	}
	for i, t := range toks {
		emit(name("w:", t.Term))
		if a := accented[i]; a != t.Term {
			emit(name("a:", a))
		}
		if joined[i] {
			emit(name("b:", t.Term, toks[i+1].Term))
			if s.Trigrams && joined[i+1] {
				emit(name("t:", t.Term, toks[i+1].Term, toks[i+2].Term))
			}
		}
	}
	if s.CharMax > 0 && len(toks) > 0 {
		var b strings.Builder
		b.WriteByte(' ')
		for _, t := range toks {
			b.WriteString(t.Term)
			b.WriteByte(' ')
		}
		// Folded terms may still hold letters outside ASCII (other
		// scripts); n-grams are of runes, not bytes.
		r := []rune(b.String())
		for n := s.CharMin; n <= s.CharMax; n++ {
			for j := 0; j+n <= len(r); j++ {
				g := r[j : j+n]
				if n > 1 && (g[0] == ' ' && g[1] == ' ') {
					continue
				}
				buf = append(buf[:0], 'c', ':')
				for _, c := range g {
					buf = utf8.AppendRune(buf, c)
				}
				emit(buf)
			}
		}
	}
}

// abbreviations maps what people type for a word or a phrase to what it
// stands for. Only forms that stand for one thing in citizens' feedback
// are here: "hong" (hỏng, không), "bit" (bịt, biết), "dt" (điện thoại,
// diện tích) or "dk" (được, đăng ký, điều kiện) are not.
var abbreviations = map[string]string{
	"ko": "không", "k": "không", "kg": "không", "khg": "không", "hok": "không",
	"dc": "được", "cx": "cũng", "cg": "cũng", "j": "gì", "vs": "với", "ng": "người",
	"trc": "trước", "ntn": "như thế nào", "wa": "quá", "mk": "mình", "r": "rồi", "bik": "biết",
	"sdt": "số điện thoại", "ubnd": "ủy ban nhân dân", "hdnd": "hội đồng nhân dân",
	"mttq": "mặt trận tổ quốc", "tdp": "tổ dân phố", "kp": "khu phố", "cb": "cán bộ", "cty": "công ty",
	"bhyt": "bảo hiểm y tế", "bhxh": "bảo hiểm xã hội", "bhtn": "bảo hiểm thất nghiệp",
	"csgt": "cảnh sát giao thông", "atgt": "an toàn giao thông", "attp": "an toàn thực phẩm",
	"pccc": "phòng cháy chữa cháy", "cccd": "căn cước công dân", "cmnd": "chứng minh nhân dân",
	"gcn": "giấy chứng nhận", "qsdd": "quyền sử dụng đất", "gplx": "giấy phép lái xe",
	"bv": "bệnh viện", "bs": "bác sĩ", "kcn": "khu công nghiệp", "tp": "thành phố", "tphcm": "thành phố hồ chí minh",
	"hs": "học sinh", "gv": "giáo viên", "sv": "sinh viên", "thpt": "trung học phổ thông", "thcs": "trung học cơ sở",
	"ql": "quốc lộ",
}

// expansions maps the term of each abbreviation (as corpus.Tokenize folds
// it: "cty" is "cti") to the terms of the words it stands for.
var expansions = func() map[string][]string {
	out := make(map[string][]string, len(abbreviations))
	for short, long := range abbreviations {
		var terms []string
		for _, t := range corpus.Tokenize(long) {
			terms = append(terms, t.Term)
		}
		out[corpus.Tokenize(short)[0].Term] = terms
	}
	return out
}()

// expand replaces the tokens that are abbreviations by the words they
// stand for, as if typed in full without diacritics: their accented forms
// would add to every "ko" the features of every "không" typed with its
// accent, and cost a point and a half of macro-F1 on the development set.
// The words of one abbreviation are joined to each other, and the last
// keeps the abbreviation's join to what follows.
func expand(toks []corpus.Token, joined []bool, accented []string) ([]corpus.Token, []bool, []string) {
	var t2 []corpus.Token
	var j2 []bool
	var a2 []string
	for i, t := range toks {
		ws, ok := expansions[t.Term]
		if !ok {
			t2, j2, a2 = append(t2, t), append(j2, joined[i]), append(a2, accented[i])
			continue
		}
		for k, w := range ws {
			t2 = append(t2, corpus.Token{Term: w, Start: t.Start, End: t.End})
			j2 = append(j2, k+1 < len(ws) || joined[i])
			a2 = append(a2, w)
		}
	}
	return t2, j2, a2
}

func spaceOnly(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// charFeature says whether a feature name belongs to the character block.
func charFeature(name string) bool { return strings.HasPrefix(name, "c:") }

// vectorize returns the feature vector of text, sorted by feature index:
// sublinear term frequency (1 + ln count) times the feature's idf, the
// word and character blocks each L2-normalised, the character block then
// scaled by CharWeight. With grow, features not yet in the vocabulary are
// added with the idf of a feature seen in no training example (Learn);
// otherwise they are dropped.
func (c *model) vectorize(text string, grow bool) []feat {
	if grow {
		return c.vectorizeNames(c.spec.names(text), true)
	}
	// The indexes found, sorted, give the counts as runs: cheaper than a
	// map of counts for the few hundred names of a text.
	var idx []int
	c.spec.each(text, func(name []byte) {
		if i, ok := c.vocab[string(name)]; ok {
			idx = append(idx, i)
		}
	})
	slices.Sort(idx)
	x := make([]feat, 0, len(idx))
	for k := 0; k < len(idx); {
		n := 1
		for k+n < len(idx) && idx[k+n] == idx[k] {
			n++
		}
		x = append(x, feat{i: idx[k], v: float64(n)})
		k += n
	}
	return c.normalise(x)
}

func (c *model) vectorizeNames(names []string, grow bool) []feat {
	counts := make(map[int]float64, len(names))
	for _, n := range names {
		i, ok := c.vocab[n]
		if !ok {
			if !grow {
				continue
			}
			i = len(c.feats)
			c.vocab[n] = i
			c.feats = append(c.feats, n)
			c.w = append(c.w, make([]float64, len(c.labels)))
			c.idf = append(c.idf, idf(c.docs, 0))
		}
		counts[i]++
	}
	return c.weigh(counts)
}

// weigh turns the counts of features by index into the sorted, weighted
// and normalised vector that vectorize describes.
func (c *model) weigh(counts map[int]float64) []feat {
	x := make([]feat, 0, len(counts))
	for i, n := range counts {
		x = append(x, feat{i: i, v: n})
	}
	slices.SortFunc(x, func(a, b feat) int { return a.i - b.i })
	return c.normalise(x)
}

// normalise turns counts sorted by feature index into their weights.
func (c *model) normalise(x []feat) []feat {
	for j := range x {
		x[j].v = (1 + math.Log(x[j].v)) * c.idf[x[j].i]
	}
	var norm [2]float64
	for _, f := range x {
		norm[c.block(f.i)] += f.v * f.v
	}
	scale := [2]float64{1, c.spec.CharWeight}
	for b := range norm {
		if norm[b] > 0 {
			scale[b] /= math.Sqrt(norm[b])
		}
	}
	for j := range x {
		x[j].v *= scale[c.block(x[j].i)]
	}
	return x
}

func (c *model) block(i int) int {
	if charFeature(c.feats[i]) {
		return 1
	}
	return 0
}

// idf is the smoothed inverse document frequency of a feature found in df
// of docs examples: ln((1+docs)/(1+df)) + 1, never zero, so a feature in
// every example still counts.
func idf(docs, df int) float64 {
	return math.Log(float64(1+docs)/float64(1+df)) + 1
}
