package redact

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The detectors work on tokens rather than on regular expressions: the
// rules need the case a word was written in, whether it carried
// diacritics, and what stands a few words before it, and every rule looks
// a bounded number of tokens around one position, so the whole is linear.

type tkind uint8

const (
	kWord  tkind = iota + 1 // letters (with their combining marks)
	kNum                    // ASCII digits
	kPunct                  // one other character
	kHole                   // a placeholder an earlier redaction left
)

type shape uint8

const (
	lowerCase shape = iota // "bình"
	titleCase              // "Bình", "A"
	upperCase              // "BÌNH"
	mixedCase              // "iPhone", "McDonald"
)

type tok struct {
	start, end int
	kind       tkind
	r          rune   // kPunct: the character
	hole       Kind   // kHole: the kind the placeholder stands for
	sp         bool   // whitespace stands between the previous token and this one
	nl         bool   // that whitespace breaks the line
	key        string // kWord: lower case with the tone mark moved to the end; kNum: the digits
	fold       string // kWord: lower case without diacritics, đ → d
	plain      bool   // kWord: written without any diacritic
	shape      shape
}

func (t *tok) word() bool { return t.kind == kWord }

func (t *tok) capital() bool {
	return t.kind == kWord && (t.shape == titleCase || t.shape == upperCase)
}

func (t *tok) punct(r rune) bool { return t.kind == kPunct && t.r == r }

// scan splits s into tokens. Whitespace is not a token: it is remembered
// on the token after it. Invisible format characters (zero-width spaces,
// soft hyphens) count as whitespace, so that they cannot glue two words of
// a name into one.
func scan(s string) []tok {
	toks := make([]tok, 0, len(s)/4+1)
	sp, nl := false, false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			toks = append(toks, tok{start: i, end: i + 1, kind: kPunct, r: utf8.RuneError, sp: sp, nl: nl})
			sp, nl = false, false
			i++
		case unicode.IsSpace(r) || unicode.Is(unicode.Cf, r):
			sp = true
			if r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029' {
				nl = true
			}
			i += size
		case '0' <= r && r <= '9':
			j := i + 1
			for j < len(s) && '0' <= s[j] && s[j] <= '9' {
				j++
			}
			toks = append(toks, tok{start: i, end: j, kind: kNum, key: s[i:j], sp: sp, nl: nl})
			sp, nl = false, false
			i = j
		case unicode.IsLetter(r) || unicode.Is(unicode.Mn, r):
			j := i + size
			for j < len(s) {
				r2, n := utf8.DecodeRuneInString(s[j:])
				if !(unicode.IsLetter(r2) || unicode.Is(unicode.Mn, r2)) || r2 == utf8.RuneError {
					break
				}
				j += n
			}
			t := tok{start: i, end: j, kind: kWord, sp: sp, nl: nl}
			describe(&t, s[i:j])
			toks = append(toks, t)
			sp, nl = false, false
			i = j
		default:
			toks = append(toks, tok{start: i, end: i + size, kind: kPunct, r: r, sp: sp, nl: nl})
			sp, nl = false, false
			i += size
		}
	}
	return holes(s, toks)
}

// holes merges the tokens of each placeholder Text writes into one kHole
// token, so that redacting a redacted text finds nothing new: "[họ tên]"
// holds the trigger word "tên", and "[số nhà] Lê Lợi" must stay a street.
func holes(s string, toks []tok) []tok {
	out := toks[:0]
	for i := 0; i < len(toks); i++ {
		if toks[i].punct('[') {
			if k, j := holeAt(s, toks, i); k != 0 {
				out = append(out, tok{start: toks[i].start, end: toks[j].end, kind: kHole, hole: k, sp: toks[i].sp, nl: toks[i].nl})
				i = j
				continue
			}
		}
		out = append(out, toks[i])
	}
	return out
}

func holeAt(s string, toks []tok, i int) (Kind, int) {
	for j := i + 1; j < len(toks) && j <= i+5; j++ {
		if toks[j].punct(']') {
			text := s[toks[i].start:toks[j].end]
			for _, k := range kinds {
				if text == k.Placeholder() {
					return k, j
				}
			}
			return 0, 0
		}
	}
	return 0, 0
}

// describe fills in a word token's matching forms and shape.
func describe(t *tok, w string) {
	if !isASCII(w) {
		for _, r := range w {
			if unicode.Is(unicode.Mn, r) {
				w = norm.NFC.String(w)
				break
			}
		}
	}
	var key, fold strings.Builder
	key.Grow(len(w) + 1)
	fold.Grow(len(w))
	var tone byte
	plain := true
	upper, lower := 0, 0
	for _, r := range w {
		if unicode.IsUpper(r) {
			upper++
		} else if unicode.IsLower(r) {
			lower++
		}
		f := runeForms(r)
		key.WriteRune(f.base)
		fold.WriteRune(f.fold)
		if f.tone != 0 {
			tone = f.tone
		}
		if f.marked {
			plain = false
		}
	}
	if tone != 0 {
		key.WriteByte('0' + tone)
	}
	t.key, t.fold, t.plain = key.String(), fold.String(), plain
	first, _ := utf8.DecodeRuneInString(w)
	switch {
	case upper == 0:
		t.shape = lowerCase
	case unicode.IsUpper(first) && upper == 1:
		t.shape = titleCase
	case lower == 0:
		if upper == 1 {
			t.shape = titleCase
		} else {
			t.shape = upperCase
		}
	default:
		t.shape = mixedCase
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// forms are what a character contributes to a word's matching forms: its
// lower case without the tone mark (but with the circumflex, breve and
// horn, which change the vowel), its bare letter, and its tone (1 huyền,
// 2 sắc, 3 hỏi, 4 ngã, 5 nặng). Keeping the tone apart makes "hòa" and
// "hoà" — the same word in the two spelling conventions — one key.
type forms struct {
	base, fold rune
	tone       byte
	marked     bool
}

const formsTableSize = 0x2000

var (
	formsOnce  sync.Once
	formsTable []forms
)

func runeForms(r rune) forms {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return forms{base: r, fold: r}
	}
	if r < formsTableSize {
		formsOnce.Do(buildForms)
		return formsTable[r]
	}
	l := unicode.ToLower(r)
	return forms{base: l, fold: l}
}

func buildForms() {
	formsTable = make([]forms, formsTableSize)
	for r := rune(0); r < formsTableSize; r++ {
		formsTable[r] = formsOf(r)
	}
}

func formsOf(r rune) forms {
	l := unicode.ToLower(r)
	if l == 'đ' || l == 'ð' {
		return forms{base: 'đ', fold: 'd', marked: true}
	}
	if unicode.Is(unicode.Mn, r) {
		return forms{base: r, fold: r, marked: true}
	}
	f := forms{base: l, fold: l}
	d := []rune(norm.NFD.String(string(l)))
	if len(d) < 2 {
		return f
	}
	keep := []rune{d[0]}
	for _, m := range d[1:] {
		switch m {
		case '\u0300':
			f.tone = 1
		case '\u0301':
			f.tone = 2
		case '\u0309':
			f.tone = 3
		case '\u0303':
			f.tone = 4
		case '\u0323':
			f.tone = 5
		default:
			keep = append(keep, m)
		}
	}
	if b := []rune(norm.NFC.String(string(keep))); len(b) == 1 {
		f.base = b[0]
	}
	f.fold = d[0]
	f.marked = true
	return f
}

// wordForms returns the key and fold of a word given in a list.
func wordForms(w string) (key, fold string) {
	var t tok
	describe(&t, w)
	return t.key, t.fold
}
