package feedback

import (
	"strings"
	"testing"
)

func TestTrackingCodes(t *testing.T) {
	seen := map[string]bool{}
	counts := map[rune]int{}
	const n = 2000
	for range n {
		c, err := newCode()
		if err != nil {
			t.Fatal(err)
		}
		if len(c) != CodeLen || strings.ContainsAny(c, "0O1I") {
			t.Fatalf("code %q", c)
		}
		if seen[c] {
			t.Fatalf("code %q made twice", c)
		}
		seen[c] = true
		for _, r := range c {
			counts[r]++
		}
		f := FormatCode(c)
		if len(f) != 11 || f[5] != '-' {
			t.Fatalf("FormatCode(%q) = %q", c, f)
		}
		for _, typed := range []string{c, f, strings.ToLower(f), " " + strings.ToLower(c[:5]) + " " + c[5:] + " "} {
			if got, ok := ParseCode(typed); !ok || got != c {
				t.Errorf("ParseCode(%q) = %q, %v; want %q", typed, got, ok, c)
			}
		}
	}
	// Every symbol of the alphabet turns up, none far more than the others.
	if len(counts) != len(codeAlphabet) {
		t.Errorf("%d symbols used, want %d", len(counts), len(codeAlphabet))
	}
	for r, k := range counts {
		if mean := n * CodeLen / len(codeAlphabet); k < mean/2 || k > mean*2 {
			t.Errorf("symbol %c used %d times, mean %d", r, k, mean)
		}
	}
	for _, bad := range []string{"", "ABCDE", "ABCDE-2345", "ABCDE-234567", "ABCDE-2345O", "ABCDE-23451", "ABCDE_23456", "ÂBCDE-23456", "ABCDE--23456x"} {
		if got, ok := ParseCode(bad); ok {
			t.Errorf("ParseCode(%q) = %q, accepted", bad, got)
		}
	}
}
