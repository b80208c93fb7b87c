package redact

import (
	"testing"
	"unicode/utf8"
)

// FuzzText checks, on any input, that nothing panics, that Find's spans
// lie inside the text, sorted, apart and on character boundaries, that
// Text writes valid UTF-8, and that redacting its result changes nothing.
// Its seeds are the table's cases and testdata/fuzz/FuzzText.
func FuzzText(f *testing.F) {
	for _, c := range pairs(f) {
		f.Add(c[0])
	}
	for _, s := range lines(f, "keep.txt") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		end := 0
		for _, sp := range Find(s) {
			if sp.Start < end || sp.End <= sp.Start || sp.End > len(s) {
				t.Fatalf("Find(%q): span %+v out of order or range", s, sp)
			}
			if !boundary(s, sp.Start) || !boundary(s, sp.End) {
				t.Fatalf("Find(%q): span %+v splits a character", s, sp)
			}
			if sp.Kind < Name || sp.Kind > HouseNumber {
				t.Fatalf("Find(%q): span %+v of no kind", s, sp)
			}
			end = sp.End
		}
		once := Text(s, "Nguyễn Văn Bình", "0912345678")
		if !utf8.ValidString(once) {
			t.Fatalf("Text(%q) = %q, not valid UTF-8", s, once)
		}
		if twice := Text(once, "Nguyễn Văn Bình", "0912345678"); twice != once {
			t.Fatalf("Text is not idempotent on %q:\n once %q\ntwice %q", s, once, twice)
		}
		Leaks(s, []string{"Nguyễn Văn Bình", "0912345678", "a@b.vn", once})
	})
}

// boundary reports whether i is where a character of s starts (each byte
// of an invalid sequence counting as one), or the end of s.
func boundary(s string, i int) bool {
	for at := 0; at < len(s); {
		if at == i {
			return true
		}
		if at > i {
			return false
		}
		_, size := utf8.DecodeRuneInString(s[at:])
		at += size
	}
	return i == len(s)
}
