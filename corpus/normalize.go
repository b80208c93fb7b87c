package corpus

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// NFC returns s in Unicode normal form C, the form every stored text uses.
func NFC(s string) string { return norm.NFC.String(s) }

// Fold returns the matching form of s: diacritics removed, đ/Đ → d, lower case.
// Punctuation and spacing are kept, so positions stay meaningful for display.
//
// It is foldNFD rune by rune: canonical decomposition maps each character
// on its own, and reordering moves only combining marks, which folding
// drops, so the folded runes of the first 0x3000 code points (Latin,
// Vietnamese, Greek, Cyrillic, combining marks) are looked up in a table
// built once from foldNFD. Folding by NFD for every word was a third of an
// extractive answer's time.
func Fold(s string) string {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf && (s[i] < 'A' || s[i] > 'Z') {
		i++
	}
	if i == len(s) {
		return s // plain lower-case ASCII folds to itself
	}
	foldOnce.Do(buildFoldTable)
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		switch {
		case r < utf8.RuneSelf:
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteByte(byte(r))
		case r < foldTableSize:
			b.WriteString(foldTable[r])
		default:
			b.WriteString(foldNFD(string(r)))
		}
	}
	return b.String()
}

// foldNFD is Fold by its definition: decompose, drop the nonspacing marks,
// fold what remains.
func foldNFD(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

const foldTableSize = 0x3000

var (
	foldOnce  sync.Once
	foldTable []string                                                      // folded form of each rune below foldTableSize
	toneTable []rune                                                        // the tone mark in the decomposition of each rune below foldTableSize, or 0
	toneMarks = [...]rune{'\u0300', '\u0301', '\u0303', '\u0309', '\u0323'} // huyền, sắc, ngã, hỏi, nặng
)

func buildFoldTable() {
	foldTable = make([]string, foldTableSize)
	toneTable = make([]rune, foldTableSize)
	for r := rune(0); r < foldTableSize; r++ {
		if !utf8.ValidRune(r) {
			foldTable[r] = string(utf8.RuneError)
			continue
		}
		foldTable[r] = foldNFD(string(r))
		toneTable[r] = toneNFD(string(r))
	}
}

// Tone returns the first Vietnamese tone mark (huyền, sắc, ngã, hỏi or
// nặng, as a combining character) in the decomposition of s, or 0 when it
// has none: "hủy" and "huỷ" both give U+0309.
func Tone(s string) rune {
	foldOnce.Do(buildFoldTable)
	for _, r := range s {
		if r < utf8.RuneSelf {
			continue
		}
		if unicode.Is(unicode.Mn, r) {
			// Separate marks: normalisation may reorder them, so
			// decompose the whole, as the definition says.
			return toneNFD(s)
		}
	}
	for _, r := range s {
		var t rune
		switch {
		case r < utf8.RuneSelf:
		case r < foldTableSize:
			t = toneTable[r]
		default:
			t = toneNFD(string(r))
		}
		if t != 0 {
			return t
		}
	}
	return 0
}

// toneNFD is Tone by its definition.
func toneNFD(s string) rune {
	for _, r := range norm.NFD.String(s) {
		for _, m := range toneMarks {
			if r == m {
				return r
			}
		}
	}
	return 0
}

func foldRune(r rune) rune {
	switch r {
	case 'đ', 'Đ', 'ð', 'Ð':
		return 'd'
	}
	return unicode.ToLower(r)
}

// Token is one syllable (or number) of a text: its folded form and its byte
// span in the original string.
type Token struct {
	Term       string
	Start, End int
}

// Tokenize splits s into syllable tokens. Each term is folded and
// spelling-normalised (see FoldSyllable); Start and End index the original s,
// so a caller can highlight the words exactly as they were written.
// Document numbers such as 91/2015/QH13 are split into their parts; exact
// look-up of numbers goes through NormalizeNumber instead.
//
// Search tokenizes whole passages for every snippet, and the reader every
// sentence it weighs, so this is written for speed: words of plain ASCII
// are folded in place, others are folded once and remembered (syllables).
// tokenizeRef in the tests is the same by its definition.
func Tokenize(s string) []Token {
	toks := make([]Token, 0, len(s)/6)
	start := -1
	ascii := true
	flush := func(end int) {
		if start < 0 {
			return
		}
		if t := foldWord(s[start:end], ascii); t != "" {
			toks = append(toks, Token{Term: t, Start: start, End: end})
		}
		start, ascii = -1, true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
				if start < 0 {
					start = i
				}
			} else {
				flush(i)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if isWordRune(r) {
			if start < 0 {
				start = i
			}
			ascii = false
		} else {
			flush(i)
		}
		i += size
	}
	flush(len(s))
	return toks
}

// foldWord is FoldSyllable of a word, ascii when it holds only ASCII.
func foldWord(w string, ascii bool) string {
	if !ascii {
		return syllables.fold(w)
	}
	f := w
	for i := 0; i < len(w); i++ {
		if 'A' <= w[i] && w[i] <= 'Z' {
			f = strings.ToLower(w)
			break
		}
	}
	return EvenSpelling(f)
}

// syllables remembers the folded form of words with diacritics, so that
// tokenizing allocates nothing for a word seen before. The language's
// syllables are few; the cap keeps odd input from growing it without end.
var syllables = newFoldMemo(1 << 14)

type foldMemo struct {
	perShard int
	shards   [32]struct {
		sync.RWMutex
		m map[string]string
	}
}

func newFoldMemo(perShard int) *foldMemo {
	f := &foldMemo{perShard: perShard}
	for i := range f.shards {
		f.shards[i].m = map[string]string{}
	}
	return f
}

func (f *foldMemo) fold(w string) string {
	var h uint32 = 2166136261
	for i := 0; i < len(w); i++ {
		h = (h ^ uint32(w[i])) * 16777619
	}
	sh := &f.shards[h%uint32(len(f.shards))]
	sh.RLock()
	t, ok := sh.m[w]
	sh.RUnlock()
	if ok {
		return t
	}
	t = FoldSyllable(w)
	sh.Lock()
	if len(sh.m) < f.perShard {
		sh.m[strings.Clone(w)] = t
	}
	sh.Unlock()
	return t
}

// Terms returns the folded syllables of s.
func Terms(s string) []string {
	toks := Tokenize(s)
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = t.Term
	}
	return out
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// FoldSyllable folds one syllable and evens out spelling variants that
// Vietnamese writers use interchangeably: a final "y" after a consonant is
// written "i" by some ("sỹ"/"sĩ", "kỹ"/"kĩ", "lý"/"lí"), and "quí" is the old
// spelling of "quý".
func FoldSyllable(w string) string {
	return EvenSpelling(Fold(w))
}

// EvenSpelling evens out the i/y spellings of a syllable already folded
// (FoldSyllable without the folding), for callers that fold faster.
func EvenSpelling(f string) string {
	n := len(f)
	if n >= 2 && f[n-1] == 'y' && isConsonant(f[n-2]) {
		f = f[:n-1] + "i"
	}
	if f == "qui" {
		f = "quy"
	}
	return f
}

func isConsonant(c byte) bool {
	switch c {
	case 'b', 'c', 'd', 'g', 'h', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'x':
		return true
	}
	return false
}

// Bigrams joins neighbouring terms with "_" so that compound words ("khai
// sinh", "đất đai", "căn cước") match as units.
func Bigrams(terms []string) []string {
	if len(terms) < 2 {
		return nil
	}
	out := make([]string, 0, len(terms)-1)
	for i := 0; i+1 < len(terms); i++ {
		out = append(out, terms[i]+"_"+terms[i+1])
	}
	return out
}

// NormalizeNumber returns the matching key of a document number (số hiệu):
// folded, upper-case, with spaces removed and dashes and slashes kept, so that
// "91/2015/qh13", "91/2015/QH13" and "91 / 2015 / QH13" are one key.
func NormalizeNumber(s string) string {
	var b strings.Builder
	for _, r := range Fold(s) {
		switch {
		case unicode.IsSpace(r):
		case r == '–' || r == '—' || r == '_':
			b.WriteRune('-')
		default:
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	return b.String()
}

// Slug returns a URL-safe identifier made of folded terms joined with "-".
func Slug(s string) string {
	return strings.Join(Terms(strings.ReplaceAll(s, "/", " ")), "-")
}
