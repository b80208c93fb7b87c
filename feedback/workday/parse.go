package workday

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Limits of a calendar file.
const (
	// MaxLineBytes is the longest line read.
	MaxLineBytes = 1024
	// MaxLines is the most lines a file may have.
	MaxLines = 10_000
	// MaxSpanDays is the longest run of days one line may give; a longer one
	// is taken for a typing mistake.
	MaxSpanDays = 31
	// MinYear and MaxYear bound the years a file may name.
	MinYear, MaxYear = 1900, 2199
)

// ParseError is a line of a calendar file refused: where, and why in
// Vietnamese and in English.
type ParseError struct {
	Path   string // the file, when read by LoadFile
	Line   int    // from 1
	Vi, En string
}

func (e *ParseError) Error() string {
	vi, en := fmt.Sprintf("dòng %d", e.Line), fmt.Sprintf("line %d", e.Line)
	if e.Path != "" {
		vi, en = e.Path+", "+vi, e.Path+", "+en
	}
	return fmt.Sprintf("lịch ngày nghỉ: %s: %s (holiday calendar: %s: %s)", vi, e.Vi, en, e.En)
}

// LoadFile reads the calendar file at path; see Parse.
func LoadFile(path string) (*Calendar, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("lịch ngày nghỉ: không mở được tệp (holiday calendar: cannot open the file): %w", err)
	}
	defer f.Close()
	c, err := Parse(f)
	if pe, ok := errors.AsType[*ParseError](err); ok {
		pe.Path = path
	}
	return c, err
}

// Parse reads a calendar file, a plain text list a deployment keeps as the
// government announces each year's days off. One entry a line:
//
//	# Lịch nghỉ năm 2027 theo thông báo của Chính phủ (ví dụ)
//	2027-02-05..2027-02-11 Tết Nguyên đán Đinh Mùi
//	+ 2027-02-12 Nghỉ hoán đổi dịp Tết
//	- 2027-02-20 Làm bù cho thứ Sáu 12/02
//	làm bù 20/02/2027 cho thứ Sáu 12/02
//
// (the last two lines are two ways of writing the same day).
//
// A line gives a date (2027-02-05 or 05/02/2027) or an inclusive run of
// them (first..last, at most MaxSpanDays days), then a name. A line marked
// "+", or not marked, gives holidays, and needs the name. A line marked
// "-", or beginning with "làm bù", or whose name begins with "làm bù",
// declares working days: they are worked whatever the rest of the calendar
// says, as a Saturday worked in exchange for a weekday off is. "#" begins a
// comment; blank lines are ignored.
//
// The file extends Default. A holiday line whose days meet a built-in
// holiday's own days (not its compensatory days) takes that holiday's place
// for the year, with its compensatory and make-up days, so an announced
// schedule is written down as announced: "2024-02-08..2024-02-14 Tết" gives
// exactly those days. The file's holidays get no compensatory days of their
// own: an announcement already places them, and the file lists them. A line
// "replace" (or "thay thế") makes the file replace the built-in holidays
// altogether: the calendar is then the weekends, the file's holidays and
// its working days.
//
// A refused line is reported as a *ParseError naming its line; nothing of a
// refused file is used.
func Parse(r io.Reader) (*Calendar, error) {
	sc := bufio.NewScanner(r)
	// Room for the line break too, "\r\n" included.
	sc.Buffer(make([]byte, 0, 256), MaxLineBytes+2)
	c := &Calendar{defaults: true}
	holidayLine := map[int]int{} // day → line that made it a holiday
	workLine := map[int]int{}    // day → line that made it a working day
	line := 0
	for sc.Scan() {
		line++
		if line > MaxLines {
			return nil, &ParseError{Line: line,
				Vi: fmt.Sprintf("tệp dài quá %d dòng", MaxLines),
				En: fmt.Sprintf("the file is longer than %d lines", MaxLines)}
		}
		e, err := parseLine(sc.Text(), line)
		if err != nil {
			return nil, err
		}
		switch {
		case e.kind == blank:
		case e.kind == replaceDefaults:
			c.defaults = false
		case e.kind == holiday:
			if d, other, ok := clash(e.span, workLine); ok {
				return nil, conflict(line, d, other, "ngày làm việc", "a working day")
			}
			for d := e.first; d <= e.last; d++ {
				holidayLine[d] = line
			}
			c.extra = append(c.extra, e.span)
		default:
			if d, other, ok := clash(e.span, holidayLine); ok {
				return nil, conflict(line, d, other, "ngày nghỉ", "a holiday")
			}
			for d := e.first; d <= e.last; d++ {
				workLine[d] = line
			}
			c.work = append(c.work, e.span)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &ParseError{Line: line + 1,
				Vi: fmt.Sprintf("dòng dài quá %d byte", MaxLineBytes),
				En: fmt.Sprintf("the line is longer than %d bytes", MaxLineBytes)}
		}
		return nil, fmt.Errorf("lịch ngày nghỉ: không đọc được (holiday calendar: cannot read): %w", err)
	}
	return c, nil
}

type entryKind int

const (
	blank entryKind = iota
	replaceDefaults
	holiday
	working
)

type entry struct {
	span
	kind entryKind
}

func parseLine(raw string, line int) (entry, *ParseError) {
	fail := func(vi, en string) (entry, *ParseError) {
		return entry{}, &ParseError{Line: line, Vi: vi, En: en}
	}
	if line == 1 {
		raw = strings.TrimPrefix(raw, "\uFEFF")
	}
	if !utf8.ValidString(raw) {
		return fail("dòng không phải văn bản UTF-8", "the line is not UTF-8 text")
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return unicode.IsControl(r) && r != '\t' }) {
		return fail("dòng có ký tự điều khiển", "the line holds control characters")
	}
	s := norm.NFC.String(raw)
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return entry{kind: blank}, nil
	}
	if rest, ok := cutWord(s, "replace", "thay thế"); ok {
		if rest != "" {
			return fail(fmt.Sprintf("%q phải đứng một mình trên dòng", "replace"),
				fmt.Sprintf("%q must stand alone on its line", "replace"))
		}
		return entry{kind: replaceDefaults}, nil
	}

	kind, marked, keyword := holiday, false, false
	switch {
	case s[0] == '+':
		s, marked = strings.TrimSpace(s[1:]), true
	case s[0] == '-':
		s, kind = strings.TrimSpace(s[1:]), working
	default:
		if rest, ok := cutWord(s, "làm bù", "lam bu"); ok {
			s, kind, keyword = rest, working, true
		}
	}
	tok, name := s, ""
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		tok, name = s[:i], s[i+1:]
	}
	name = strings.Join(strings.Fields(name), " ")
	if strings.HasPrefix(name, "..") || strings.HasSuffix(tok, "..") {
		return fail("khoảng ngày phải viết liền, không có dấu cách: 2027-02-05..2027-02-11",
			"write a range without spaces: 2027-02-05..2027-02-11")
	}
	if tok == "" {
		return fail("thiếu ngày (ví dụ: 2027-02-05 hoặc 2027-02-05..2027-02-11)",
			"the date is missing (e.g. 2027-02-05 or 2027-02-05..2027-02-11)")
	}

	first, last := tok, tok
	if a, b, ok := strings.Cut(tok, ".."); ok {
		first, last = a, b
	}
	df, pe := parseDate(first, line)
	if pe != nil {
		return entry{}, pe
	}
	dl, pe := parseDate(last, line)
	if pe != nil {
		return entry{}, pe
	}
	if dl < df {
		return fail(fmt.Sprintf("khoảng ngày %q kết thúc trước khi bắt đầu", tok),
			fmt.Sprintf("the range %q ends before it begins", tok))
	}
	if n := dl - df + 1; n > MaxSpanDays {
		return fail(fmt.Sprintf("khoảng ngày %q dài %d ngày, quá %d ngày cho phép", tok, n, MaxSpanDays),
			fmt.Sprintf("the range %q spans %d days, more than the %d allowed", tok, n, MaxSpanDays))
	}

	if _, ok := cutWord(name, "làm bù", "lam bu"); ok && kind == holiday {
		if marked {
			return fail("dấu + khai báo ngày nghỉ nhưng tên lại là làm bù: dùng dấu - cho ngày làm việc",
				`"+" declares a holiday but the name says "làm bù" (a make-up working day): use "-" for working days`)
		}
		kind = working
	}
	switch {
	case kind == holiday && name == "":
		return fail("thiếu tên ngày nghỉ sau ngày (ví dụ: 2027-02-05..2027-02-11 Tết Nguyên đán Đinh Mùi)",
			"the holiday has no name after its date (e.g. 2027-02-05..2027-02-11 Tết Nguyên đán Đinh Mùi)")
	case keyword && name != "":
		name = "Làm bù " + name
	case kind == working && name == "":
		name = "Làm bù"
	}
	return entry{span: span{first: df, last: dl, name: name}, kind: kind}, nil
}

// cutWord reports whether s begins with one of the words (in any case, as
// a whole word) and returns what follows it.
func cutWord(s string, words ...string) (string, bool) {
	for _, w := range words {
		i, n := 0, utf8.RuneCountInString(w)
		for ; n > 0 && i < len(s); n-- {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
		}
		if n > 0 || !strings.EqualFold(s[:i], w) {
			continue
		}
		if rest := s[i:]; rest == "" || rest[0] == ' ' || rest[0] == '\t' {
			return strings.TrimSpace(rest), true
		}
	}
	return "", false
}

// parseDate reads 2027-02-05 or 05/02/2027 (the day and month may have one
// digit).
func parseDate(s string, line int) (int, *ParseError) {
	var ys, ms, ds string
	if p := strings.Split(s, "-"); len(p) == 3 && len(p[0]) == 4 && len(p[1]) == 2 && len(p[2]) == 2 {
		ys, ms, ds = p[0], p[1], p[2]
	} else if p := strings.Split(s, "/"); len(p) == 3 && len(p[2]) == 4 && len(p[0]) <= 2 && len(p[1]) <= 2 {
		ds, ms, ys = p[0], p[1], p[2]
	}
	y, okY := digits(ys)
	m, okM := digits(ms)
	d, okD := digits(ds)
	if !okY || !okM || !okD {
		return 0, &ParseError{Line: line,
			Vi: fmt.Sprintf("không đọc được ngày %q: viết dạng 2027-02-05 hoặc 05/02/2027", s),
			En: fmt.Sprintf("cannot read the date %q: write 2027-02-05 or 05/02/2027", s)}
	}
	if t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC); m < 1 || m > 12 || t.Day() != d {
		return 0, &ParseError{Line: line,
			Vi: fmt.Sprintf("ngày %q không có trong lịch", s),
			En: fmt.Sprintf("%q is not a date of the calendar", s)}
	}
	if y < MinYear || y > MaxYear {
		return 0, &ParseError{Line: line,
			Vi: fmt.Sprintf("năm %d của ngày %q nằm ngoài khoảng %d–%d", y, s, MinYear, MaxYear),
			En: fmt.Sprintf("the year %d of %q is outside %d–%d", y, s, MinYear, MaxYear)}
	}
	return civilDay(y, time.Month(m), d), nil
}

// digits reads a non-empty run of ASCII digits.
func digits(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// clash finds a day of s already in seen, and the line that put it there.
func clash(s span, seen map[int]int) (day, line int, found bool) {
	for d := s.first; d <= s.last; d++ {
		if l, ok := seen[d]; ok {
			return d, l, true
		}
	}
	return 0, 0, false
}

func conflict(line, day, other int, vi, en string) *ParseError {
	date := dayStart(day).Format(time.DateOnly)
	return &ParseError{Line: line,
		Vi: fmt.Sprintf("ngày %s đã được khai báo là %s ở dòng %d", date, vi, other),
		En: fmt.Sprintf("%s was declared %s on line %d", date, en, other)}
}
