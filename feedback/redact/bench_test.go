package redact

import (
	"strings"
	"testing"
)

// adversarial are texts built to make a careless matcher slow: long runs
// of what every rule looks for.
var adversarial = map[string]string{
	"digits":    strings.Repeat("0 ", 2500),
	"dotted":    strings.Repeat("09.", 1700),
	"at-signs":  strings.Repeat("a@", 2500),
	"labels":    "x@" + strings.Repeat("a-", 2500),
	"dots":      strings.Repeat("a.", 2500),
	"capitals":  strings.Repeat("Nguyễn ", 700),
	"honorific": strings.Repeat("ông ", 1250),
	"triggers":  strings.Repeat("tôi tên là ", 450),
	"houses":    strings.Repeat("số 1/2 ", 700),
	"holes":     strings.Repeat("[họ tên]0", 500),
	"cccd":      strings.Repeat("CCCD 0 ", 700),
	"slashes":   strings.Repeat("1/", 2500),
}

// TestAdversarial runs Text on each adversarial text and on ten copies of
// it: every rule looks a bounded distance around a position, so the work
// grows with the length (BenchmarkText measures it; no time is asserted).
func TestAdversarial(t *testing.T) {
	for name, s := range adversarial {
		for _, text := range []string{s, strings.Repeat(s, 10)} {
			out := Text(text)
			if Text(out) != out {
				t.Errorf("%s: Text is not idempotent", name)
			}
		}
	}
}

// BenchmarkText measures Text on the table's cases joined into one text
// (about 9 kB) and on the adversarial texts, each at its length and ten
// times it: ns/op growing tenfold with the length shows linear time.
func BenchmarkText(b *testing.B) {
	var cases []string
	for _, c := range pairs(b) {
		cases = append(cases, c[0])
	}
	realistic := strings.Join(cases, "\n")
	run := func(name, s string) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				Text(s)
			}
		})
	}
	run("realistic", realistic)
	run("realistic-x10", strings.Repeat(realistic+"\n", 10))
	for _, name := range []string{"digits", "at-signs", "labels", "capitals", "houses", "holes", "cccd"} {
		run(name, adversarial[name])
		run(name+"-x10", strings.Repeat(adversarial[name], 10))
	}
}

// BenchmarkFind measures Find alone on the realistic text.
func BenchmarkFind(b *testing.B) {
	var cases []string
	for _, c := range pairs(b) {
		cases = append(cases, c[0])
	}
	s := strings.Join(cases, "\n")
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		Find(s)
	}
}
