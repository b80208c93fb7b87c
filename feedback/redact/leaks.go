package redact

import (
	"html"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Leaks returns the secrets that appear in a page: names (ignoring case,
// diacritics and the punctuation between syllables, or run together as in
// "nguyenvanbinh"), numbers however their digits are grouped and with or
// without the country code, e-mail addresses (also by their local part
// alone). The page may be HTML, XML or JSON: tags are dropped, and
// character references, JSON \u escapes and percent-escapes decoded first,
// so a secret cannot hide behind its encoding. It is the check of the
// site-wide test that crawls every public page.
func Leaks(page string, secrets []string) []string {
	text := pageText(page)
	t := scan(text)
	terms := make([]string, 0, len(t))
	for i := range t {
		if f := termOf(&t[i]); f != "" {
			terms = append(terms, f)
		}
	}
	streams := digitStreams(t, 3)
	lower := asciiLower(text)
	var out []string
	seen := map[string]bool{}
	for _, s := range secrets {
		if seen[s] || strings.TrimSpace(s) == "" {
			continue
		}
		if leaked(s, terms, streams, lower) {
			out = append(out, s)
			seen[s] = true
		}
	}
	return out
}

func leaked(secret string, terms []string, streams []stream, lower string) bool {
	secret = strings.TrimSpace(secret)
	if at := strings.IndexByte(secret, '@'); at >= 0 {
		if strings.Contains(lower, asciiLower(secret)) {
			return true
		}
		return at >= 4 && hasTerms(terms, foldedWords(scan(secret[:at])))
	}
	if digits, ok := numberLike(secret); ok {
		want := core(digits)
		for _, st := range streams {
			if strings.Contains(st.digits, want) {
				return true
			}
		}
		return false
	}
	return hasTerms(terms, foldedWords(scan(secret)))
}

// hasTerms reports whether want appears in terms as consecutive terms, or
// run together as one.
func hasTerms(terms, want []string) bool {
	if len(want) == 0 {
		return false
	}
	joined := strings.Join(want, "")
	for i := range terms {
		if len(want) > 1 && terms[i] == joined {
			return true
		}
		if i+len(want) > len(terms) {
			continue
		}
		ok := true
		for k, w := range want {
			if terms[i+k] != w {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// pageText undoes the encodings a page may carry its text in.
func pageText(page string) string {
	s := unescapeJSON(page)
	s = percentDecode(s)
	if strings.IndexByte(s, '<') >= 0 {
		var b strings.Builder
		in := false
		for _, r := range s {
			switch {
			case r == '<':
				in = true
				b.WriteByte(' ')
			case r == '>' && in:
				in = false
			case !in:
				b.WriteRune(r)
			}
		}
		s = b.String()
	}
	return html.UnescapeString(s)
}

// unescapeJSON decodes \uXXXX (with surrogate pairs) and the one-letter
// escapes of JSON string literals, leniently: what is not an escape stays.
func unescapeJSON(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch c := s[i+1]; c {
		case 'u':
			r, n := hexRune(s[i+2:])
			if n == 0 {
				b.WriteByte(s[i])
				continue
			}
			if utf16Surrogate(r) && i+2+n+6 <= len(s) && s[i+2+n] == '\\' && s[i+3+n] == 'u' {
				if r2, n2 := hexRune(s[i+4+n:]); n2 > 0 {
					r = utf16Decode(r, r2)
					n += 2 + n2
				}
			}
			b.WriteRune(r)
			i += 1 + n
		case 'n', 't', 'r', 'b', 'f':
			b.WriteByte(' ')
			i++
		case '/', '"', '\\':
			b.WriteByte(c)
			i++
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func hexRune(s string) (rune, int) {
	if len(s) < 4 {
		return 0, 0
	}
	v, err := strconv.ParseUint(s[:4], 16, 32)
	if err != nil {
		return 0, 0
	}
	return rune(v), 4
}

func utf16Surrogate(r rune) bool { return 0xd800 <= r && r < 0xdc00 }

func utf16Decode(hi, lo rune) rune {
	if lo < 0xdc00 || lo >= 0xe000 {
		return utf8.RuneError
	}
	return (hi-0xd800)<<10 | (lo - 0xdc00) + 0x10000
}

// percentDecode decodes %XX escapes of URLs in a page.
func percentDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b = append(b, byte(v))
				i += 2
				continue
			}
		}
		b = append(b, s[i])
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
