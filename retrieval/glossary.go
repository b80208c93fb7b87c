package retrieval

import (
	"slices"
	"strings"

	"github.com/mattranso/mattranso/corpus"
)

// Definitions. Vietnamese laws define their terms in one form: a clause
// that opens with the term and "là" — "1. Người lao động là người làm
// việc…", "2. Lợi tức là khoản lợi…" — most of them in an article named
// "Giải thích từ ngữ", some in the article named after the term. A
// question that asks what such a term means ("Định nghĩa của 'Người lao
// động'?", "lợi tức được hiểu như thế nào?") shares little else with the
// defining clause: the term occurs in hundreds of other articles, which
// rank above it on words and on vectors alike. So the keyword snapshot
// keeps a glossary — each defined term (folded) and the passages that
// define it — and the hybrid search adds the passages defining a phrase
// of the question to what the re-ranker looks at, with a feature saying
// so; the model learns how much that counts.

// Limits of a defined term, in words: one word is too common to define
// anything ("Tài sản là…" has two), and a clause whose "là" comes after
// more than a dozen words is a sentence, not a definition.
const (
	definedMinWords = 2
	definedMaxWords = 12
	// definitionsPerQuery caps the passages a question's terms add.
	definitionsPerQuery = 4
)

// definedTerms returns the terms that the clauses of s (from byte from
// on) define, as folded words joined by "_", given s's tokens. A clause
// starts s or a line, after a point or clause number ("1.", "a)", "đ)");
// the term is the run of words up to the first "là", joined only by
// spaces; a closing "được hiểu" or "được gọi" before "là" is not part of
// it.
func definedTerms(s string, toks []corpus.Token, from int) []string {
	var out []string
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.Start < from || !lineStart(s, from, t.Start) {
			continue
		}
		// A point or clause number: "1." "a)" "đ)".
		if i+1 < len(toks) && isLabel(s, t) {
			i++
			t = toks[i]
		}
		j := i
		for ; j < len(toks) && j-i <= definedMaxWords+2; j++ {
			if j > i && !onlySpace(s[toks[j-1].End:toks[j].Start]) {
				break
			}
			if s[toks[j].Start:toks[j].End] == "là" {
				break
			}
		}
		if j >= len(toks) || j == i || s[toks[j].Start:toks[j].End] != "là" || !onlySpace(s[toks[j-1].End:toks[j].Start]) {
			continue
		}
		end := j
		if end-i >= 3 && toks[end-2].Term == "duoc" && (toks[end-1].Term == "hieu" || toks[end-1].Term == "goi") {
			end -= 2
		}
		if n := end - i; n < definedMinWords || n > definedMaxWords || conditionOpener(toks[i:end]) {
			continue
		}
		words := make([]string, 0, end-i)
		for _, w := range toks[i:end] {
			words = append(words, w.Term)
		}
		out = append(out, strings.Join(words, "_"))
	}
	return out
}

// conditionOpener reports whether a clause's first words open a
// condition or a setting ("Trường hợp người sử dụng lao động là cá nhân
// thì…", "Khi…", "Nếu…", "Trong…", "Đối với…"), not a term.
func conditionOpener(toks []corpus.Token) bool {
	switch toks[0].Term {
	case "neu", "khi", "trong", "tru", "ke", "sau", "truoc":
		return true
	case "truong", "doi":
		return len(toks) > 1 && (toks[1].Term == "hop" || toks[1].Term == "voi")
	}
	return false
}

// lineStart reports whether byte at starts s[from:] or a line of it,
// only spaces and tabs between.
func lineStart(s string, from, at int) bool {
	for k := at - 1; k >= from; k-- {
		switch s[k] {
		case ' ', '\t', '\r':
		case '\n':
			return true
		default:
			return false
		}
	}
	return true
}

// isLabel reports whether t is a clause or point number: digits or one
// letter, followed at once by "." or ")".
func isLabel(s string, t corpus.Token) bool {
	if t.End >= len(s) || s[t.End] != '.' && s[t.End] != ')' {
		return false
	}
	w := s[t.Start:t.End]
	if strings.Trim(w, "0123456789") == "" {
		return true
	}
	return len([]rune(w)) == 1
}

// definition is a passage that defines a phrase of a question.
type definition struct {
	doc   uint32
	terms []string // the phrase's folded words
}

// definitionsFor returns the passages of m that define a phrase of the
// query, longest phrases first, at most definitionsPerQuery; a phrase
// inside a longer one that is also defined does not count.
func (m *memIndex) definitionsFor(query string, q Query) []definition {
	if len(m.defines) == 0 {
		return nil
	}
	return m.definitionsIn(analyse(query), q)
}

// definitionsIn is definitionsFor of a query read already.
func (m *memIndex) definitionsIn(a *analysed, q Query) []definition {
	if len(m.defines) == 0 {
		return nil
	}
	query, toks := a.text, a.toks
	type match struct{ start, end int }
	var found []match
	var key []byte
	for i := range toks {
		// The longest defined phrase from this word: grow the key a word
		// at a time while the words are joined only by spaces.
		key = append(key[:0], toks[i].Term...)
		longest := 0
		for n := 2; n <= definedMaxWords && i+n <= len(toks); n++ {
			if !onlySpace(query[toks[i+n-2].End:toks[i+n-1].Start]) {
				break
			}
			key = append(append(key, '_'), toks[i+n-1].Term...)
			if len(m.defines[string(key)]) > 0 {
				longest = n
			}
		}
		if longest > 0 {
			found = append(found, match{i, i + longest})
		}
	}
	// Longest first; drop phrases inside a longer one.
	var kept []match
	for n := definedMaxWords; n >= definedMinWords; n-- {
		for _, f := range found {
			if f.end-f.start != n {
				continue
			}
			inside := false
			for _, k := range kept {
				if f.start >= k.start && f.end <= k.end {
					inside = true
					break
				}
			}
			if !inside {
				kept = append(kept, f)
			}
		}
	}
	var out []definition
	seen := map[uint32]bool{}
	for _, f := range kept {
		words := make([]string, 0, f.end-f.start)
		for _, t := range toks[f.start:f.end] {
			words = append(words, t.Term)
		}
		for _, d := range m.canonicalFirst(m.defines[strings.Join(words, "_")], words) {
			doc := &m.docs[d]
			if seen[d] || q.Kind != "" && doc.kind != q.Kind || q.DocID != "" && doc.docID != q.DocID {
				continue
			}
			seen[d] = true
			out = append(out, definition{doc: d, terms: words})
			if len(out) == definitionsPerQuery {
				return out
			}
		}
	}
	return out
}

// canonicalFirst orders the passages defining a phrase: first those whose
// article is named after it ("Điều 105. Tài sản"), then those of an
// article explaining terms ("Giải thích từ ngữ") or naming the phrase as
// one of a list ("Hoa lợi, lợi tức"), then the rest — a phrase such as
// "tài sản" opens clauses of many articles ("d) Tài sản là phương tiện
// kiếm sống…") that do not define it.
func (m *memIndex) canonicalFirst(docs []uint32, words []string) []uint32 {
	if len(docs) < 2 {
		return docs
	}
	phrase := strings.Join(words, " ")
	rank := func(d uint32) int {
		name := headingName(m.docs[d].heading)
		if strings.Join(wordsOf(name), " ") == phrase {
			return 0
		}
		for _, item := range strings.FieldsFunc(strings.ReplaceAll(name, " và ", ","), func(r rune) bool { return r == ',' || r == ';' }) {
			if w := strings.Join(wordsOf(item), " "); w == phrase || w == "giai thich tu ngu" {
				return 1
			}
		}
		return 2
	}
	out := slices.Clone(docs)
	slices.SortStableFunc(out, func(a, b uint32) int { return rank(a) - rank(b) })
	return out
}

// wordsOf returns the folded words of s in order.
func wordsOf(s string) []string {
	toks := corpus.Tokenize(s)
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = t.Term
	}
	return out
}
