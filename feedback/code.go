package feedback

import (
	"crypto/rand"
	"strings"
)

// codeAlphabet has no 0, O, 1 or I, which are misread and misheard: a
// tracking code is read aloud over the phone and copied by hand.
const codeAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

// CodeLen is the length of a tracking code without its dash: 10 symbols
// of 32, 50 random bits — unguessable by trying at any rate the public
// endpoints allow, and still short enough to read out.
const CodeLen = 10

// newCode makes a tracking code from crypto/rand, canonical (no dash).
func newCode() (string, error) {
	var b [CodeLen]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	for i := range b {
		// 256 is a multiple of 32, so every symbol is equally likely.
		b[i] = codeAlphabet[b[i]&31]
	}
	return string(b[:]), nil
}

// FormatCode writes a canonical code as people see it: XXXXX-XXXXX.
func FormatCode(code string) string {
	if len(code) != CodeLen {
		return code
	}
	return code[:CodeLen/2] + "-" + code[CodeLen/2:]
}

// ParseCode reads a tracking code as a person may type it — lower case,
// with or without the dash, with spaces around or inside — and returns
// it canonical, or false when it cannot be one.
func ParseCode(s string) (string, bool) {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == '-' || r == ' ':
			continue
		case r < 128 && strings.IndexByte(codeAlphabet, byte(r)) >= 0:
			b.WriteRune(r)
		default:
			return "", false
		}
		if b.Len() > CodeLen {
			return "", false
		}
	}
	if b.Len() != CodeLen {
		return "", false
	}
	return b.String(), true
}
