package corpus

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CleanName is the one check of a name that the public will see — a
// village, later a petitioner, a congress, a member of staff: it returns
// the name as stored (NFC, trimmed, every run of spacing one space) or
// a *NameError naming the field by label ("tên thôn, tổ dân phố") in
// Vietnamese. maxLen bounds the cleaned name in characters (0: no bound).
//
// It refuses what would make a name show other than it compares: invalid
// UTF-8; U+FFFD, which a decoder leaves where it met invalid UTF-8;
// invisible characters — format characters (Cf: the bidi embeddings,
// overrides and isolates U+202A–U+202E and U+2066–U+2069, the marks
// U+200E, U+200F and U+061C, zero-width U+200B–U+200D, U+2060, U+FEFF, the
// soft hyphen) and the other default-ignorable code points (U+034F,
// U+3164, the variation selectors); control characters other than
// spacing; private-use, unassigned and non-characters; a name starting
// with a combining mark, or more than maxMarks marks on one letter. So
// "Hòa\u202eBình", which a browser shows as "HòahnìB", is refused instead
// of being stored and then blocking the real "Hòa Bình" as a duplicate.
func CleanName(label, s string, maxLen int) (string, error) {
	fail := func(p NameProblem, r rune, at int) (string, error) {
		return "", &NameError{Label: label, Problem: p, Rune: r, At: at}
	}
	if !utf8.ValidString(s) {
		at := 1 + utf8.RuneCountInString(s[:invalidAt(s)])
		return fail(NameInvalidUTF8, 0, at)
	}
	at := 0
	for _, r := range s {
		at++
		if p := nameRuneProblem(r); p != 0 {
			return fail(p, r, at)
		}
	}
	n := NFC(strings.Join(strings.Fields(s), " "))
	if n == "" {
		return fail(NameEmpty, 0, 0)
	}
	marks := 0
	for i, r := range []rune(n) {
		if !unicode.In(r, unicode.Mn, unicode.Me) {
			marks = 0
			continue
		}
		marks++
		if i == 0 || marks > maxMarks {
			return fail(NameMarks, r, i+1)
		}
	}
	if c := utf8.RuneCountInString(n); maxLen > 0 && c > maxLen {
		return "", &NameError{Label: label, Problem: NameTooLong, Len: c, Max: maxLen}
	}
	return n, nil
}

// maxMarks bounds the combining marks on one letter after NFC. Vietnamese
// composes fully; the letters of minority languages written with
// Vietnamese letters (ŏ, ĕ, ơ̆) keep one, rarely two. Stacks of more spill
// over the lines around them.
const maxMarks = 3

// NameProblem is what CleanName found wrong.
type NameProblem int

// The problems, in the order CleanName checks them.
const (
	NameInvalidUTF8 NameProblem = iota + 1 // bytes that are not UTF-8
	NameHidden                             // an invisible or direction-changing character
	NameControl                            // a control character other than spacing
	NameUnusable                           // private use, unassigned, a non-character or U+FFFD
	NameEmpty                              // nothing but spacing
	NameMarks                              // a combining mark with no letter, or too many on one
	NameTooLong                            // over the bound
)

// NameError is CleanName's refusal. Its message names the field by its
// label, says what is wrong, and for a character its code point and its
// position (in characters, from 1) in what was typed.
type NameError struct {
	Label   string
	Problem NameProblem
	Rune    rune // the character refused
	At      int  // its position, from 1
	Len     int  // NameTooLong: the length
	Max     int  // NameTooLong: the bound
}

func (e *NameError) Error() string {
	l := capitalise(e.Label)
	where := fmt.Sprintf("(%U, ký tự thứ %d)", e.Rune, e.At)
	switch e.Problem {
	case NameInvalidUTF8:
		return fmt.Sprintf("%s không phải văn bản UTF-8 hợp lệ (từ ký tự thứ %d): hãy gõ lại.", l, e.At)
	case NameHidden:
		return fmt.Sprintf("%s chứa ký tự ẩn hoặc ký tự điều khiển hướng chữ %s: "+
			"ký tự này làm tên hiển thị khác với tên thật. Hãy gõ lại tên thay vì dán từ nơi khác.", l, where)
	case NameControl:
		return fmt.Sprintf("%s chứa ký tự điều khiển %s: hãy gõ lại tên.", l, where)
	case NameUnusable:
		if e.Rune == utf8.RuneError {
			return fmt.Sprintf("%s chứa ký tự thay thế %s, dấu hiệu văn bản bị sai mã hoá: hãy gõ lại tên.", l, where)
		}
		return fmt.Sprintf("%s chứa ký tự không hiển thị được %s: hãy gõ lại tên.", l, where)
	case NameEmpty:
		return fmt.Sprintf("%s đang để trống.", l)
	case NameMarks:
		return fmt.Sprintf("%s có dấu không gắn với chữ nào, hoặc quá nhiều dấu chồng lên một chữ %s.", l, where)
	case NameTooLong:
		return fmt.Sprintf("%s dài %d ký tự, tối đa %d.", l, e.Len, e.Max)
	}
	return fmt.Sprintf("%s không hợp lệ.", l)
}

// nameRuneProblem says why r may not stand in a name, or 0.
func nameRuneProblem(r rune) NameProblem {
	switch {
	case unicode.IsSpace(r):
		// Tabs, line breaks, no-break and ideographic spaces: each run
		// becomes one space.
		return 0
	case unicode.Is(unicode.Cf, r), unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r),
		unicode.Is(unicode.Variation_Selector, r):
		return NameHidden
	case unicode.IsControl(r):
		return NameControl
	case r == utf8.RuneError, unicode.Is(unicode.Co, r), unicode.Is(unicode.Noncharacter_Code_Point, r),
		!unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z):
		return NameUnusable
	}
	return 0
}

// invalidAt is the byte offset of the first invalid UTF-8 sequence in s.
func invalidAt(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		}
	}
	return len(s)
}

func capitalise(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return "Tên"
	}
	return string(unicode.ToUpper(r)) + s[size:]
}
