package retrieval

import (
	"bufio"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/mattranso/mattranso/corpus"
)

// The thesaurus turns everyday words into the words of the law: citizens
// ask about "sổ đỏ", "người chưa thành niên", "bỏ nhà đi"; the law says
// "giấy chứng nhận quyền sử dụng đất", "người dưới 18 tuổi", "vắng mặt
// liên tục". A query that holds an everyday phrase is searched with the
// legal phrase added. The shipped entries are thesaurus.tsv; a file of
// the same form extends them (MATTRANSO_THESAURUS).

//go:embed thesaurus.tsv
var defaultThesaurus string

// Thesaurus maps everyday phrases to legal ones. The zero value maps
// nothing; it is safe for concurrent use once built.
type Thesaurus struct {
	entries []thesaurusEntry
}

type thesaurusEntry struct {
	words  []string // the everyday phrase, lower case with diacritics
	folded []string // the same folded
	legal  string
}

// ParseThesaurus reads entries, one a line: the everyday phrase, a tab,
// the legal phrase; blank lines and lines starting with # are skipped.
// name labels errors.
func ParseThesaurus(name, text string) (*Thesaurus, error) {
	t := &Thesaurus{}
	sc := bufio.NewScanner(strings.NewReader(text))
	line := 0
	for sc.Scan() {
		line++
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		plain, legal, ok := strings.Cut(l, "\t")
		plain, legal = strings.TrimSpace(corpus.NFC(plain)), strings.TrimSpace(corpus.NFC(legal))
		if !ok || plain == "" || legal == "" {
			return nil, fmt.Errorf("retrieval: thesaurus %s line %d: want an everyday phrase, a tab and a legal phrase", name, line)
		}
		e := thesaurusEntry{legal: legal}
		for _, tok := range corpus.Tokenize(plain) {
			e.words = append(e.words, strings.ToLower(plain[tok.Start:tok.End]))
			e.folded = append(e.folded, tok.Term)
		}
		if len(e.words) == 0 {
			return nil, fmt.Errorf("retrieval: thesaurus %s line %d: the everyday phrase has no word", name, line)
		}
		t.entries = append(t.entries, e)
	}
	return t, sc.Err()
}

// Extend returns a thesaurus with t's entries and other's.
func (t *Thesaurus) Extend(other *Thesaurus) *Thesaurus {
	return &Thesaurus{entries: append(append([]thesaurusEntry(nil), t.entries...), other.entries...)}
}

// Digest identifies the entries, in order (12 hex digits of their
// SHA-256): the library's lesson is worded with them, so that models
// taught with one thesaurus are not reused with another.
func (t *Thesaurus) Digest() string {
	h := sha256.New()
	if t != nil {
		for _, e := range t.entries {
			fmt.Fprintf(h, "%s\t%s\n", strings.Join(e.words, " "), e.legal)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// Rewrite returns text with the legal phrase of each everyday phrase it
// holds added after it (expanded), and text with those everyday phrases
// replaced by their legal ones (plain): search reads the first, the
// assistant weighs a question's words by the second. Both are text when
// no entry matches; a legal phrase the text already holds is not added.
func (t *Thesaurus) Rewrite(text string) (expanded, replaced string) {
	if t == nil || len(t.entries) == 0 {
		return text, text
	}
	toks := corpus.Tokenize(text)
	accent := false
	lower := make([]string, len(toks))
	for i, tok := range toks {
		lower[i] = strings.ToLower(text[tok.Start:tok.End])
		if lower[i] != tok.Term {
			accent = true
		}
	}
	foldedText := " " + strings.Join(corpus.Terms(text), " ") + " "
	type match struct {
		start, end int // bytes of text
		legal      string
	}
	var ms []match
	covered := make([]bool, len(toks))
	// Longer phrases first: "làm sổ đỏ" before "sổ đỏ".
	order := make([]int, len(t.entries))
	for i := range order {
		order[i] = i
	}
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && len(t.entries[order[j]].words) > len(t.entries[order[j-1]].words); j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	for _, ei := range order {
		e := t.entries[ei]
		n := len(e.words)
		for i := 0; i+n <= len(toks); i++ {
			ok := true
			for k := 0; k < n && ok; k++ {
				if covered[i+k] {
					ok = false
				} else if accent {
					ok = lower[i+k] == e.words[k]
				} else {
					ok = toks[i+k].Term == e.folded[k]
				}
			}
			if !ok {
				continue
			}
			for k := range n {
				covered[i+k] = true
			}
			legal := e.legal
			if !accent {
				// A question typed without diacritics stays so: the
				// assistant matches its words folded only when none has
				// them.
				legal = corpus.Fold(legal)
			}
			if strings.Contains(foldedText, " "+strings.Join(corpus.Terms(legal), " ")+" ") {
				legal = ""
			}
			ms = append(ms, match{toks[i].Start, toks[i+n-1].End, legal})
		}
	}
	if len(ms) == 0 {
		return text, text
	}
	var add, rep strings.Builder
	last := 0
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && ms[j].start < ms[j-1].start; j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
	for _, m := range ms {
		rep.WriteString(text[last:m.start])
		if m.legal == "" { // the text says it in the law's words already
			rep.WriteString(text[m.start:m.end])
		}
		rep.WriteString(m.legal)
		last = m.end
		if m.legal != "" {
			add.WriteString(" ")
			add.WriteString(m.legal)
		}
	}
	rep.WriteString(text[last:])
	return text + add.String(), rep.String()
}

// Expand returns text with the legal phrases of its everyday ones added,
// and theirs in turn ("dưới 18 tuổi" adds "người chưa thành niên", which
// adds "người dưới 18 tuổi"): expanding the result again adds nothing, so
// that the hybrid search and the keyword search under it read one text.
func (t *Thesaurus) Expand(text string) string {
	for range 4 {
		x, _ := t.Rewrite(text)
		if x == text {
			break
		}
		text = x
	}
	return text
}

var thesaurus atomic.Pointer[Thesaurus]

func init() {
	t, err := ParseThesaurus("thesaurus.tsv", defaultThesaurus)
	if err != nil {
		panic(err) // the shipped file is checked by its test
	}
	thesaurus.Store(t)
}

// DefaultThesaurus returns the thesaurus search uses: the shipped entries
// unless UseThesaurus set another.
func DefaultThesaurus() *Thesaurus { return thesaurus.Load() }

// LoadThesaurus reads the thesaurus a setting names: "" the shipped
// entries, "none" no entry at all (to measure what the thesaurus
// changes), else a file whose entries extend the shipped ones.
func LoadThesaurus(spec string) (*Thesaurus, error) {
	base, err := ParseThesaurus("thesaurus.tsv", defaultThesaurus)
	switch {
	case err != nil:
		return nil, err
	case spec == "" || spec == "shipped":
		return base, nil
	case spec == "none":
		return &Thesaurus{}, nil
	}
	b, err := os.ReadFile(spec)
	if err != nil {
		return nil, fmt.Errorf("retrieval: thesaurus: %w", err)
	}
	t, err := ParseThesaurus(spec, string(b))
	if err != nil {
		return nil, err
	}
	return base.Extend(t), nil
}

// UseThesaurus makes t the thesaurus of every search from then on.
func UseThesaurus(t *Thesaurus) { thesaurus.Store(t) }

// expandQuery adds the legal phrases of a query's everyday ones, within
// the length a query may have.
func expandQuery(text string) string {
	x := DefaultThesaurus().Expand(text)
	if len([]rune(x)) > MaxQueryLen {
		return text
	}
	return x
}

// Everyday returns text with the first legal phrase the thesaurus knows
// put back in everyday words (the first entry's, whole words only, of
// two words or more): the
// library's own wording asked as a citizen would ask it. text when none
// occurs.
func (t *Thesaurus) Everyday(text string) string {
	if t == nil {
		return text
	}
	lower := strings.ToLower(text)
	for _, e := range t.entries {
		legal := strings.ToLower(e.legal)
		if !strings.Contains(legal, " ") {
			continue // one word ("nam") is too often part of another phrase ("Việt Nam")
		}
		i := strings.Index(lower, legal)
		if i < 0 || !wordEdge(lower, i) || !wordEdge(lower, i+len(legal)) {
			continue
		}
		// Lower-casing keeps the byte lengths of Vietnamese letters, so
		// offsets in lower are offsets in text.
		if len(lower) != len(text) {
			return text
		}
		return text[:i] + strings.Join(e.words, " ") + text[i+len(legal):]
	}
	return text
}

// wordEdge reports whether byte i of s is at a word's edge.
func wordEdge(s string, i int) bool {
	if i <= 0 || i >= len(s) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	p, _ := utf8.DecodeLastRuneInString(s[:i])
	return !(unicode.IsLetter(r) || unicode.IsDigit(r)) || !(unicode.IsLetter(p) || unicode.IsDigit(p))
}
