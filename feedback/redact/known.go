package redact

import (
	"strings"
	"unicode"
)

// known redacts every occurrence of a string the system knows to be
// personal: an e-mail address as written (ignoring the case of its
// letters) and its local part standing alone; a number by its digits,
// however they are grouped and with or without the country code; a name
// by its syllables, ignoring case and diacritics.
func (d *doc) known(k string) {
	k = strings.TrimSpace(k)
	if k == "" {
		return
	}
	if strings.Contains(k, "@") {
		d.knownEmail(k)
		return
	}
	if digits, ok := numberLike(k); ok {
		d.knownDigits(digits)
		return
	}
	d.knownWords(k)
}

// numberLike returns the digits of a string that is a number: at least six
// digits and no more than three letters ("+84 912 345 678", "CCCD 0010…").
func numberLike(k string) (string, bool) {
	var b strings.Builder
	letters := 0
	for _, r := range k {
		switch {
		case '0' <= r && r <= '9':
			b.WriteRune(r)
		case unicode.IsLetter(r):
			letters++
		}
	}
	return b.String(), b.Len() >= 6 && letters <= 3
}

// core is the part of a number every way of writing it contains: a phone
// number without its leading 0 or country code.
func core(digits string) string {
	switch {
	case strings.HasPrefix(digits, "840") && len(digits) >= 11:
		return digits[3:]
	case strings.HasPrefix(digits, "84") && len(digits) >= 11:
		return digits[2:]
	case strings.HasPrefix(digits, "0") && len(digits) >= 10 && phone(digits):
		return digits[1:]
	}
	return digits
}

func (d *doc) knownEmail(k string) {
	lowS, lowK := asciiLower(d.s), asciiLower(k)
	for at := 0; ; {
		i := strings.Index(lowS[at:], lowK)
		if i < 0 {
			break
		}
		d.add(Email, at+i, at+i+len(k))
		at += i + len(k)
	}
	local := lowK[:strings.IndexByte(lowK, '@')]
	if len(local) < 4 {
		return
	}
	for at := 0; ; {
		i := strings.Index(lowS[at:], local)
		if i < 0 {
			break
		}
		from, to := at+i, at+i+len(local)
		if (from == 0 || !emailByte(lowS[from-1])) && (to == len(lowS) || !emailByte(lowS[to])) {
			d.add(Email, from, to)
		}
		at = to
	}
}

func emailByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-' || c == '+' || c >= 0x80
}

// asciiLower lower-cases ASCII letters only, so that byte offsets stay.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func (d *doc) knownDigits(digits string) {
	want := core(digits)
	kind := Phone
	if !phone(digits) && (len(digits) == 9 || len(digits) == 12) {
		kind = IDNumber
	}
	for _, st := range digitStreams(d.t, 2) {
		for at := 0; ; {
			i := strings.Index(st.digits[at:], want)
			if i < 0 {
				break
			}
			from, to := at+i, at+i+len(want)
			// take in the leading 0 or country code written before the core
			if want != digits {
				switch {
				case from >= 1 && st.digits[from-1] == '0' && !(from >= 3 && st.digits[from-3:from] == "840"):
					from--
				case from >= 2 && st.digits[from-2:from] == "84":
					from -= 2
				case from >= 3 && st.digits[from-3:from] == "840":
					from -= 3
				}
			}
			start, end := st.pos[from], st.pos[to-1]+1
			if ti := st.tok[from]; start == d.t[ti].start && ti > 0 && d.t[ti-1].punct('+') && !d.t[ti].sp {
				start = d.t[ti-1].start
			}
			d.add(kind, start, end)
			at = to
		}
	}
}

// stream is the digits of a run of numbers joined by separators, each
// with its byte offset in the text and its token.
type stream struct {
	digits string
	pos    []int
	tok    []int
}

// digitStreams joins numbers separated by at most seps characters of
// punctuation (and spaces) on one line: "0912 345 678", "+84 (912) 345-678".
func digitStreams(t []tok, seps int) []stream {
	var out []stream
	var cur stream
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			cur.digits = b.String()
			out = append(out, cur)
		}
		cur = stream{}
		b.Reset()
	}
	last := -1
	for i := range t {
		if t[i].kind != kNum {
			continue
		}
		joined := last >= 0 && !t[i].nl && i-last-1 <= seps
		for k := last + 1; joined && k < i; k++ {
			if t[k].kind != kPunct || t[k].nl || unicode.IsLetter(t[k].r) {
				joined = false
			}
		}
		if !joined {
			flush()
		}
		for j := t[i].start; j < t[i].end; j++ {
			cur.pos = append(cur.pos, j)
			cur.tok = append(cur.tok, i)
		}
		b.WriteString(t[i].key)
		last = i
	}
	flush()
	return out
}

func (d *doc) knownWords(k string) {
	want := foldedWords(scan(k))
	if len(want) == 0 {
		return
	}
	joined := strings.Join(want, "")
	t := d.t
	for i := range t {
		if t[i].kind != kWord && t[i].kind != kNum {
			continue
		}
		if len(want) > 1 && len(joined) >= 6 && t[i].kind == kWord && even(t[i].fold) == joined {
			d.addTokens(Name, i, i) // "nguyenvanbinh"
			continue
		}
		if len(want) == 1 && !t[i].capital() {
			continue // a single given name only where it is written as a name
		}
		j, n := i, 0
		for ; n < len(want) && j < len(t); n++ {
			if n > 0 && (t[j].nl || !t[j].sp && t[j-1].kind == t[j].kind) || termOf(&t[j]) != want[n] {
				break
			}
			j++
		}
		if n == len(want) {
			d.addTokens(Name, i, j-1)
		}
	}
}

// foldedWords are the words and numbers of toks, folded, spelling evened.
func foldedWords(toks []tok) []string {
	var out []string
	for i := range toks {
		if f := termOf(&toks[i]); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func termOf(t *tok) string {
	switch t.kind {
	case kWord:
		return even(t.fold)
	case kNum:
		return t.key
	}
	return ""
}

// even writes a final y after a consonant as i: "Lý" and "Lí", "Mỹ" and
// "Mĩ" are spellings of one name.
func even(f string) string {
	n := len(f)
	if n >= 2 && f[n-1] == 'y' && strings.IndexByte("bcdghklmnpqrstvx", f[n-2]) >= 0 {
		return f[:n-1] + "i"
	}
	return f
}
