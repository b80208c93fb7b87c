package corpus

import (
	"errors"
	"strings"
	"testing"
)

func TestCleanName(t *testing.T) {
	const label = "tên thôn, tổ dân phố"
	ok := []struct{ in, want string }{
		{"Hòa Bình", "Hòa Bình"},
		{"  Hòa   Bình \t", "Hòa Bình"},
		{"Ho\u0300a Bi\u0300nh", "Hòa Bình"}, // NFD in, NFC out
		{"Hoà Bình", "Hoà Bình"},             // the typed tone-mark style is kept
		{"Tổ\u00a0dân\u3000phố\n1", "Tổ dân phố 1"},
		{"Plei Ktu", "Plei Ktu"},
		{"Buôn Kơ\u0306 Mơ", "Buôn Kơ\u0306 Mơ"}, // a minority letter with a breve
		{"Khu phố 3A/2", "Khu phố 3A/2"},
		{strings.Repeat("a", 100), strings.Repeat("a", 100)},
	}
	for _, c := range ok {
		got, err := CleanName(label, c.in, 100)
		if err != nil || got != c.want {
			t.Errorf("CleanName(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}

	bad := []struct {
		name, in string
		problem  NameProblem
		r        rune
		at       int
		msg      string
	}{
		{"right-to-left override", "Hòa\u202eBình", NameHidden, 0x202E, 4, "ký tự ẩn hoặc ký tự điều khiển hướng chữ (U+202E, ký tự thứ 4)"},
		{"left-to-right embedding", "\u202aHòa Bình", NameHidden, 0x202A, 1, "U+202A"},
		{"pop directional formatting", "Hòa Bình\u202c", NameHidden, 0x202C, 9, "U+202C"},
		{"right-to-left isolate", "Hòa \u2067Bình", NameHidden, 0x2067, 5, "U+2067"},
		{"pop directional isolate", "Hòa Bình\u2069", NameHidden, 0x2069, 9, "U+2069"},
		{"left-to-right mark", "Hòa\u200e Bình", NameHidden, 0x200E, 4, "U+200E"},
		{"right-to-left mark", "Hòa\u200f Bình", NameHidden, 0x200F, 4, "U+200F"},
		{"Arabic letter mark", "Hòa\u061c Bình", NameHidden, 0x061C, 4, "U+061C"},
		{"zero-width space", "Hòa\u200bBình", NameHidden, 0x200B, 4, "U+200B"},
		{"zero-width non-joiner", "Hòa\u200cBình", NameHidden, 0x200C, 4, "U+200C"},
		{"zero-width joiner", "Hòa\u200dBình", NameHidden, 0x200D, 4, "U+200D"},
		{"word joiner", "Hòa\u2060Bình", NameHidden, 0x2060, 4, "U+2060"},
		{"byte order mark", "\ufeffHòa Bình", NameHidden, 0xFEFF, 1, "U+FEFF"},
		{"soft hyphen", "Hòa\u00adBình", NameHidden, 0x00AD, 4, "U+00AD"},
		{"combining grapheme joiner", "Hòa\u034fBình", NameHidden, 0x034F, 4, "U+034F"},
		{"Hangul filler", "\u3164", NameHidden, 0x3164, 1, "U+3164"},
		{"variation selector", "Hòa\ufe0f", NameHidden, 0xFE0F, 4, "U+FE0F"},
		{"NUL", "Hòa\x00Bình", NameControl, 0, 4, "ký tự điều khiển (U+0000, ký tự thứ 4)"},
		{"escape", "\x1b[31mHòa", NameControl, 0x1B, 1, "U+001B"},
		{"bell", "Hòa\aBình", NameControl, 7, 4, "U+0007"},
		{"C1 control", "Hòa\u009bBình", NameControl, 0x9B, 4, "U+009B"},
		{"replacement character", "Hòa \ufffdình", NameUnusable, 0xFFFD, 5, "sai mã hoá"},
		{"private use", "Hòa\ue000", NameUnusable, 0xE000, 4, "U+E000"},
		{"non-character", "Hòa\ufdd0", NameUnusable, 0xFDD0, 4, "U+FDD0"},
		{"unassigned", "Hòa\u0378", NameUnusable, 0x378, 4, "U+0378"},
		{"invalid UTF-8", "Hòa \xff\xfeBình", NameInvalidUTF8, 0, 5, "không phải văn bản UTF-8 hợp lệ (từ ký tự thứ 5)"},
		{"truncated UTF-8", "Ho\xc3", NameInvalidUTF8, 0, 3, "UTF-8"},
		{"empty", "", NameEmpty, 0, 0, "Tên thôn, tổ dân phố đang để trống."},
		{"spaces only", " \t\u00a0 ", NameEmpty, 0, 0, "đang để trống"},
		{"leading combining mark", "\u0301Hòa", NameMarks, 0x301, 1, "dấu không gắn với chữ nào"},
		{"stacked marks", "Hx\u0301\u0300\u0303\u0309", NameMarks, 0x309, 6, "quá nhiều dấu"},
		{"too long", strings.Repeat("ơ", 101), NameTooLong, 0, 0, "dài 101 ký tự, tối đa 100."},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			got, err := CleanName(label, c.in, 100)
			var ne *NameError
			if !errors.As(err, &ne) {
				t.Fatalf("CleanName(%q) = %q, %v; want a *NameError", c.in, got, err)
			}
			if ne.Problem != c.problem || ne.Rune != c.r || ne.At != c.at {
				t.Errorf("CleanName(%q): problem %d, rune %U at %d; want %d, %U at %d", c.in, ne.Problem, ne.Rune, ne.At, c.problem, c.r, c.at)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "Tên thôn, tổ dân phố ") || !strings.Contains(msg, c.msg) {
				t.Errorf("message %q: want it to name the field and contain %q", msg, c.msg)
			}
		})
	}

	// No bound when maxLen is 0.
	if _, err := CleanName("tên", strings.Repeat("a", 1000), 0); err != nil {
		t.Errorf("maxLen 0: %v", err)
	}
}
