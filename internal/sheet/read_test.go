package sheet_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/mattranso/mattranso/internal/sheet"
)

func TestReadCSV(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"comma with BOM and CRLF", "\ufeffHọ và tên,Điện thoại\r\nNguyễn Văn An,+84 912 345 678\r\n\r\nTrần Thị Bình,0912000111\r\n"},
		{"semicolon", "Họ và tên;Điện thoại\nNguyễn Văn An;+84 912 345 678\n;\nTrần Thị Bình;0912000111\n"},
		{"tab", "Họ và tên\tĐiện thoại\nNguyễn Văn An\t+84 912 345 678\n\nTrần Thị Bình\t0912000111"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb, err := sheet.Read(strings.NewReader(tc.in), "x.csv", 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			want := sheet.Table{
				Header: []string{"Họ và tên", "Điện thoại"},
				Rows:   [][]string{{"Nguyễn Văn An", "+84 912 345 678"}, {"Trần Thị Bình", "0912000111"}},
				Lines:  []int{2, 4},
			}
			if !reflect.DeepEqual(tb, want) {
				t.Errorf("got %+v, want %+v", tb, want)
			}
		})
	}
}

func TestReadShortRowsPadded(t *testing.T) {
	tb, err := sheet.Read(strings.NewReader("a,b,c\n1\n"), "x.csv", 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tb.Rows, [][]string{{"1", "", ""}}) {
		t.Errorf("rows %q", tb.Rows)
	}
}

func TestReadRefusesFormulaText(t *testing.T) {
	in := "Tên,Ghi chú\nAn,=HYPERLINK(\"http://x\";\"bấm\")\nBình,ổn\nCường,@SUM(A1)\nDung,-2+3+cmd|' /C calc'!A0\nEm,-5\n"
	_, err := sheet.Read(strings.NewReader(in), "x.csv", 1<<10)
	var errs sheet.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v, want sheet.Errors", err)
	}
	var got []string
	for _, e := range errs {
		got = append(got, e.Column+"@"+string(rune('0'+e.Row)))
		if e.Message == "" {
			t.Error("empty message")
		}
	}
	want := []string{"Ghi chú@2", "Ghi chú@4", "Ghi chú@5"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems %v, want %v (%v)", got, want, errs)
	}
}

func TestReadBounds(t *testing.T) {
	big := "a\n" + strings.Repeat("x\n", 600)
	if _, err := sheet.Read(strings.NewReader(big), "x.csv", 1000); !errors.Is(err, sheet.ErrTooLarge) {
		t.Errorf("over maxBytes: %v, want ErrTooLarge", err)
	}
	rows := "a\n" + strings.Repeat("x\n", sheet.MaxRows+1)
	if _, err := sheet.Read(strings.NewReader(rows), "x.csv", 1<<20); !errors.Is(err, sheet.ErrTooLarge) {
		t.Errorf("too many rows: %v, want ErrTooLarge", err)
	}
	for _, in := range []string{"", "  \n", "\xff\xfe a,b"} {
		if _, err := sheet.Read(strings.NewReader(in), "x.csv", 1<<10); !errors.Is(err, sheet.ErrUnreadable) {
			t.Errorf("%q: %v, want ErrUnreadable", in, err)
		}
	}
	if _, err := sheet.Read(strings.NewReader("PK\x03\x04garbage"), "x.xlsx", 1<<10); !errors.Is(err, sheet.ErrUnreadable) {
		t.Errorf("broken zip: %v, want ErrUnreadable", err)
	}
}

func xlsx(t *testing.T, fill func(f *excelize.File)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	fill(f)
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReadXLSX(t *testing.T) {
	data := xlsx(t, func(f *excelize.File) {
		f.SetSheetRow("Sheet1", "A1", &[]any{"Tên", "Loại", "Số"})
		f.SetSheetRow("Sheet1", "A2", &[]any{"Hòa Bình", "Thôn", 12})
		f.SetSheetRow("Sheet1", "A4", &[]any{"Tổ 5", "Tổ dân phố", 3.5})
	})
	tb, err := sheet.Read(bytes.NewReader(data), "x.xlsx", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	want := sheet.Table{Header: []string{"Tên", "Loại", "Số"},
		Rows: [][]string{{"Hòa Bình", "Thôn", "12"}, {"Tổ 5", "Tổ dân phố", "3.5"}}, Lines: []int{2, 4}}
	if !reflect.DeepEqual(tb, want) {
		t.Errorf("got %+v, want %+v", tb, want)
	}
}

func TestReadXLSXFormulas(t *testing.T) {
	data := xlsx(t, func(f *excelize.File) {
		f.SetSheetRow("Sheet1", "A1", &[]any{"Tên", "Ghi chú"})
		f.SetSheetRow("Sheet1", "A2", &[]any{"An", "ổn"})
		f.SetCellFormula("Sheet1", "B3", `HYPERLINK("http://x","bấm")`)
		f.SetCellValue("Sheet1", "A3", "Bình")
		// Text that only looks like a formula.
		f.SetSheetRow("Sheet1", "A4", &[]any{"Cường", "+cmd"})
	})
	_, err := sheet.Read(bytes.NewReader(data), "x.xlsx", 1<<20)
	var errs sheet.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v, want sheet.Errors", err)
	}
	if len(errs) != 2 || errs[0].Row != 3 || errs[0].Column != "Ghi chú" || !strings.Contains(errs[0].Message, "HYPERLINK") ||
		errs[1].Row != 4 || errs[1].Column != "Ghi chú" {
		t.Errorf("problems %+v", errs)
	}
}

func TestFormula(t *testing.T) {
	for s, want := range map[string]bool{
		"": false, "An": false, "=1": true, "@x": true, "+84 912 345 678": false, "-5": false,
		"+": false, "-": false, "-2+3": true, "+cmd": true, "\tx": true, "0912": false,
	} {
		if got := sheet.Formula(s); got != want {
			t.Errorf("Formula(%q) = %v, want %v", s, got, want)
		}
	}
}

// An export's neutralised cells import again: the apostrophe goes, and
// what follows is judged as typed.
func TestReadDropsExportApostrophe(t *testing.T) {
	tb, err := sheet.Read(strings.NewReader("Tên,Điện thoại\nAn,'+84 912 345 678\nBình,'Nhà văn hóa\n"), "x.csv", 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	if tb.Rows[0][1] != "+84 912 345 678" || tb.Rows[1][1] != "'Nhà văn hóa" {
		t.Errorf("rows %q", tb.Rows)
	}
	_, err = sheet.Read(strings.NewReader("Tên,Ghi chú\nAn,'=HYPERLINK(\"x\")\n"), "x.csv", 1<<10)
	var errs sheet.Errors
	if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Row != 2 {
		t.Errorf("a guarded formula: %v", err)
	}
}
