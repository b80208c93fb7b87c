package workday_test

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/feedback/workday"
)

func TestLoadFileExtendsDefault(t *testing.T) {
	cal, err := workday.LoadFile("testdata/tet2027.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		date string
		want bool
		why  string
	}{
		{"2027-02-04", false, "the file's Tết begins on Thursday"},
		{"2027-02-12", false, "the file's Tết holds Friday 12/2"},
		{"2027-02-15", true, "the file's Tết ends on Sunday 14/2"},
		{"2027-02-20", true, "Saturday worked, a '-' line"},
		{"2027-02-27", true, "Saturday worked, a 'làm bù' line with a DD/MM/YYYY date"},
		{"2027-03-06", false, "an ordinary Saturday"},
		{"2027-11-24", false, "a holiday the file adds"},
		{"2027-04-16", false, "Giỗ Tổ, still from the defaults"},
		{"2027-09-03", false, "Quốc khánh, still from the defaults"},
		// The file's line repeats the compensatory day the law gives: it
		// must not push that day further.
		{"2026-04-27", false, "compensatory day for Giỗ Tổ 2026"},
		{"2026-04-28", true, "the day after it"},
	} {
		if got := cal.IsWorkday(on(c.date)); got != c.want {
			t.Errorf("IsWorkday(%s) = %v, want %v (%s)", c.date, got, c.want, c.why)
		}
	}
	// From Wednesday 3/2/2027 the 10th working day is Thursday 25/2 by the
	// file (15–19/2, Saturday 20/2, 22–25/2) and Wednesday 24/2 by default
	// (4/2, 12/2, 15–19/2, 22–24/2).
	if got, want := cal.Add(on("2027-02-03"), 10), endOf("2027-02-25"); !got.Equal(want) {
		t.Errorf("file: Add(3/2/2027, 10) = %v, want %v", got, want)
	}
	if got, want := workday.Default().Add(on("2027-02-03"), 10), endOf("2027-02-24"); !got.Equal(want) {
		t.Errorf("default: Add(3/2/2027, 10) = %v, want %v", got, want)
	}
	checkDays(t, "MakeUpDays(2027)", cal.MakeUpDays(2027), []string{
		"2027-02-20 Làm bù cho thứ Năm 04/02",
		"2027-02-27 Làm bù cho thứ Sáu 12/02",
	})
	var feb []string
	for _, h := range cal.Holidays(2027) {
		if h.Date.Month() == 2 {
			feb = append(feb, h.Date.Format("02")+" "+h.Name)
		}
	}
	want := []string{}
	for _, d := range []string{"04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14"} {
		want = append(want, d+" Tết Nguyên đán Đinh Mùi")
	}
	if strings.Join(feb, "|") != strings.Join(want, "|") {
		t.Errorf("February 2027:\n got %q\nwant %q", feb, want)
	}
}

func TestParseReplace(t *testing.T) {
	cal, err := workday.Parse(strings.NewReader("replace\n2027-02-08..2027-02-12 Tết Nguyên đán\n"))
	if err != nil {
		t.Fatal(err)
	}
	for date, want := range map[string]bool{
		"2027-01-01": true,  // no built-in Tết Dương lịch
		"2027-02-05": true,  // nor the built-in Tết
		"2027-02-08": false, // the file's
		"2027-02-13": false, // a Saturday
		"2027-04-16": true,  // nor Giỗ Tổ
	} {
		if got := cal.IsWorkday(on(date)); got != want {
			t.Errorf("IsWorkday(%s) = %v, want %v", date, got, want)
		}
	}
	if got := len(cal.Holidays(2026)); got != 0 {
		t.Errorf("replace: %d holidays in 2026, want none", got)
	}
}

// A file line takes the place of a built-in announcement it overlaps, with
// the announcement's make-up day.
func TestParseOverridesAnnouncement(t *testing.T) {
	cal, err := workday.Parse(strings.NewReader("2025-04-30..2025-05-01 Lễ\n"))
	if err != nil {
		t.Fatal(err)
	}
	for date, want := range map[string]bool{
		"2025-04-30": false,
		"2025-05-01": false,
		"2025-05-02": true,  // the announcement's Friday off is gone
		"2025-04-26": false, // and so is its Saturday worked
	} {
		if got := cal.IsWorkday(on(date)); got != want {
			t.Errorf("IsWorkday(%s) = %v, want %v", date, got, want)
		}
	}
}

func TestParseForms(t *testing.T) {
	for _, c := range []struct {
		line string
		date string
		work bool
	}{
		{"2027-03-10 Ngày nghỉ riêng", "2027-03-10", false},
		{"+2027-03-10 Ngày nghỉ riêng", "2027-03-10", false},
		{"  +\t10/3/2027   Ngày nghỉ riêng   # chú thích", "2027-03-10", false},
		{"-2027-03-13", "2027-03-13", true},
		{"2027-03-13 làm bù cho 10/3", "2027-03-13", true},
		{"2027-03-13 Lam bu", "2027-03-13", true},
		{"LÀM BÙ 13/03/2027", "2027-03-13", true},
		// Decomposed (NFD) text, as some editors save it.
		{"la\u0300m bu\u0300 2027-03-13", "2027-03-13", true},
		{"\uFEFF2027-03-10 Có BOM", "2027-03-10", false},
		{"# Windows\r\n2027-03-10 Dòng CRLF\r\n", "2027-03-10", false},
		{"2027-03-10 " + strings.Repeat("x", workday.MaxLineBytes-11), "2027-03-10", false},
	} {
		cal, err := workday.Parse(strings.NewReader(c.line))
		if err != nil {
			t.Errorf("Parse(%q): %v", c.line, err)
			continue
		}
		if got := cal.IsWorkday(on(c.date)); got != c.work {
			t.Errorf("Parse(%q): IsWorkday(%s) = %v, want %v", c.line, c.date, got, c.work)
		}
	}
	cal, err := workday.Parse(strings.NewReader("2027-03-10 Ngày   nghỉ\triêng # ghi chú"))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range cal.Holidays(2027) {
		if h.Date.Format("01-02") == "03-10" && h.Name != "Ngày nghỉ riêng" {
			t.Errorf("name %q, want %q", h.Name, "Ngày nghỉ riêng")
		}
	}
}

func TestParseErrors(t *testing.T) {
	long := "2027-03-10 " + strings.Repeat("x", workday.MaxLineBytes)
	for _, c := range []struct {
		name, input string
		line        int
		vi, en      string
	}{
		{"no such date", "2027-02-30 Tết", 1, `ngày "2027-02-30" không có trong lịch`, "not a date of the calendar"},
		{"after comments", "# lịch\n\n2027-13-01 Tết", 3, "không có trong lịch", "not a date"},
		{"unreadable date", "2027/02/05 Tết", 1, "không đọc được ngày", "cannot read the date"},
		{"words", "Tết 2027-02-05", 1, `không đọc được ngày "Tết"`, "cannot read the date"},
		{"reversed range", "2027-02-11..2027-02-05 Tết", 1, "kết thúc trước khi bắt đầu", "ends before it begins"},
		{"long range", "2027-01-01..2027-03-01 Tết", 1, "dài 60 ngày, quá 31", "spans 60 days"},
		{"spaced range", "2027-02-05 .. 2027-02-11 Tết", 1, "không có dấu cách", "without spaces"},
		{"no name", "ok\n", 1, "không đọc được ngày", "cannot read"},
		{"holiday without name", "2027-02-05..2027-02-11", 1, "thiếu tên ngày nghỉ", "has no name"},
		{"no date", "2027-01-01 Tết\n+", 2, "thiếu ngày", "date is missing"},
		{"keyword without date", "làm bù", 1, "thiếu ngày", "date is missing"},
		{"replace with words", "replace all", 1, `"replace" phải đứng một mình`, "must stand alone"},
		{"plus and làm bù", "+ 2027-02-20 làm bù", 1, "dấu + khai báo ngày nghỉ", `use "-"`},
		{"year", "2300-01-01 Ngày xa", 1, "năm 2300", "outside 1900–2199"},
		{"holiday then working", "2027-02-05..2027-02-11 Tết\n- 2027-02-06", 2,
			"ngày 2027-02-06 đã được khai báo là ngày nghỉ ở dòng 1", "declared a holiday on line 1"},
		{"working then holiday", "- 2027-02-06\n\n2027-02-05..2027-02-11 Tết", 3,
			"ngày 2027-02-06 đã được khai báo là ngày làm việc ở dòng 1", "declared a working day on line 1"},
		{"control character", "2027-02-05 T\x00t", 1, "ký tự điều khiển", "control characters"},
		{"not UTF-8", "2027-02-05 T\xe9t", 1, "không phải văn bản UTF-8", "not UTF-8"},
		{"long line", "# a\n" + long, 2, "dòng dài quá 1024 byte", "longer than 1024 bytes"},
		{"too many lines", strings.Repeat("\n", workday.MaxLines+1), workday.MaxLines + 1, "tệp dài quá", "longer than"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cal, err := workday.Parse(strings.NewReader(c.input))
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want an error", c.input, cal)
			}
			var pe *workday.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if pe.Line != c.line {
				t.Errorf("line %d, want %d (%v)", pe.Line, c.line, err)
			}
			msg := err.Error()
			vi, en := strings.Index(msg, c.vi), strings.Index(msg, c.en)
			if vi < 0 || en < 0 {
				t.Fatalf("error %q: want %q and %q in it", msg, c.vi, c.en)
			}
			// Vietnamese first, English after in parentheses.
			if paren := strings.Index(msg, "(holiday calendar: line "); paren < 0 || vi > paren || en < paren {
				t.Errorf("error %q: want the Vietnamese before the English", msg)
			}
			if !strings.Contains(msg, "dòng ") || !strings.HasSuffix(msg, ")") {
				t.Errorf("error %q does not name the line in both languages", msg)
			}
		})
	}
}

func TestLoadFileErrors(t *testing.T) {
	_, err := workday.LoadFile("testdata/bad.txt")
	var pe *workday.ParseError
	if !errors.As(err, &pe) || pe.Line != 3 || pe.Path != "testdata/bad.txt" {
		t.Fatalf("LoadFile(bad.txt) = %v, want a ParseError on line 3 of the file", err)
	}
	if want := "lịch ngày nghỉ: testdata/bad.txt, dòng 3: "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q: want it to begin %q", err, want)
	}
	if _, err := workday.LoadFile("testdata/none.txt"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadFile(none.txt) = %v, want fs.ErrNotExist", err)
	}
}

func ExampleParse() {
	_, err := workday.Parse(strings.NewReader("# Tết Đinh Mùi\n2027-02-05..2027-02-11 Tết Nguyên đán Đinh Mùi\n- 2027-02-06\n"))
	fmt.Println(err)
	// Output:
	// lịch ngày nghỉ: dòng 3: ngày 2027-02-06 đã được khai báo là ngày nghỉ ở dòng 2 (holiday calendar: line 3: 2027-02-06 was declared a holiday on line 2)
}

// The example in Parse's documentation means what it says.
func TestParseDocExample(t *testing.T) {
	cal, err := workday.Parse(strings.NewReader(`# Lịch nghỉ năm 2027 theo thông báo của Chính phủ (ví dụ)
2027-02-05..2027-02-11 Tết Nguyên đán Đinh Mùi
+ 2027-02-12 Nghỉ hoán đổi dịp Tết
- 2027-02-20 Làm bù cho thứ Sáu 12/02
làm bù 20/02/2027 cho thứ Sáu 12/02
`))
	if err != nil {
		t.Fatal(err)
	}
	for date, want := range map[string]bool{
		"2027-02-04": true,
		"2027-02-05": false,
		"2027-02-11": false,
		"2027-02-12": false,
		"2027-02-15": true,
		"2027-02-20": true,
		"2027-02-27": false,
	} {
		if got := cal.IsWorkday(on(date)); got != want {
			t.Errorf("IsWorkday(%s) = %v, want %v", date, got, want)
		}
	}
	if got, want := cal.Add(on("2027-02-04"), 10), endOf("2027-02-25"); !got.Equal(want) {
		t.Errorf("Add(4/2/2027, 10) = %v, want %v: a day off more, a Saturday worked more", got, want)
	}
}
