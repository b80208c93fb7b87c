package org

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/mattranso/mattranso/corpus"
)

// MaxNameLen bounds a village name, in characters.
const MaxNameLen = 100

// tones maps the five Vietnamese tone marks (in NFD) to their VNI digit.
var tones = map[rune]byte{
	'\u0301': '1', // sắc
	'\u0300': '2', // huyền
	'\u0309': '3', // hỏi
	'\u0303': '4', // ngã
	'\u0323': '5', // nặng
}

// NameKey is the matching form of a place name: lower case, each syllable
// with its tone mark taken off the vowel and written after it as a digit,
// other diacritics kept. So the two tone-mark styles in use meet — "Hòa"
// and "Hoà" are both "hoa2", "Thụy" and "Thuỵ" both "thuy5" — while names
// that differ by a tone or a letter stay apart: "Tân Thành" and "Tân
// Thạnh", both communes of one province, fold alike under corpus.Fold but
// not here. Like corpus.FoldSyllable, a final "y" after a consonant is
// read as "i" ("Kỳ"/"Kì"), and "quí" as "quý". Separators between words
// count as one space.
func NameKey(s string) string {
	var b strings.Builder
	for i, w := range nameWords(s) {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(syllableKey(w))
	}
	return b.String()
}

// nameWords splits s into runs of letters, digits and marks.
func nameWords(s string) []string {
	return strings.FieldsFunc(norm.NFD.String(s), func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r))
	})
}

func syllableKey(w string) string {
	var base strings.Builder
	var tone byte
	for _, r := range w {
		if t, ok := tones[r]; ok {
			tone = t
			continue
		}
		base.WriteRune(unicode.ToLower(r))
	}
	k := norm.NFC.String(base.String())
	if n := len(k); n >= 2 && k[n-1] == 'y' && isConsonant(k[n-2]) {
		k = k[:n-1] + "i"
	}
	if k == "qui" {
		k = "quy"
	}
	if tone != 0 {
		k += string(tone)
	}
	return k
}

func isConsonant(c byte) bool { return strings.IndexByte("bcdghklmnpqrstvx", c) >= 0 }

// VillageKinds are the names of a village-level place that communes use:
// thôn and xóm in the north, bản in the mountains, buôn, plei and làng in
// the Central Highlands, ấp, sóc and khóm in the south, tổ dân phố and khu
// phố in towns. A village is created with one of them.
var VillageKinds = []string{
	"Thôn", "Xóm", "Làng", "Bản", "Buôn", "Plei", "Ấp", "Sóc", "Phum",
	"Khóm", "Tổ dân phố", "Khu phố", "Khu dân cư", "Khu", "Tổ",
}

var villageKindKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range VillageKinds {
		m[NameKey(k)] = k
		m[corpus.Fold(k)] = k
	}
	m[NameKey("Plây")] = "Plei"
	return m
}()

// ParseVillageKind returns the canonical spelling of a village kind typed
// in any case, with or without diacritics or in either tone-mark style
// ("tổ dân phố", "to dan pho", "To-dan-pho" → "Tổ dân phố").
func ParseVillageKind(s string) (string, error) {
	t := strings.Join(nameWords(s), " ")
	if k, ok := villageKindKeys[NameKey(t)]; ok {
		return k, nil
	}
	if k, ok := villageKindKeys[corpus.Fold(norm.NFC.String(t))]; ok {
		return k, nil
	}
	return "", fmt.Errorf("org: %w village kind %q: want one of %s", ErrInvalid, s, strings.Join(VillageKinds, ", "))
}

// NameLabel is how messages name a village's name field.
const NameLabel = "tên thôn, tổ dân phố"

// cleanName returns a village name as stored (corpus.CleanName: NFC,
// trimmed, inner spacing single spaces, no invisible or direction-changing
// characters). Its error wraps ErrInvalid and the *corpus.NameError whose
// message names the field.
func cleanName(s string) (string, error) {
	n, err := corpus.CleanName(NameLabel, s, MaxNameLen)
	if err != nil {
		return "", fmt.Errorf("org: %w name: %w", ErrInvalid, err)
	}
	if NameKey(n) == "" {
		return "", fmt.Errorf("org: %w name %q: has no letters or digits", ErrInvalid, s)
	}
	return n, nil
}

// villageName splits what a commune typed into the short name and the
// full name of a village of kind: "Hòa Bình" and "Thôn Hòa Bình" both give
// ("Hòa Bình", "Thôn Hòa Bình") for kind "Thôn".
func villageName(kind, typed string) (short, full string, err error) {
	n, err := cleanName(typed)
	if err != nil {
		return "", "", err
	}
	kk := NameKey(kind)
	if nk := NameKey(n); strings.HasPrefix(nk, kk+" ") {
		// Drop as many words as the kind has, as typed.
		words := len(strings.Fields(kind))
		rest := strings.Fields(n)
		if len(rest) > words {
			n = strings.Join(rest[words:], " ")
		}
	}
	return n, kind + " " + n, nil
}
