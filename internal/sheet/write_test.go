package sheet

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// sampleSheet is a sheet with every kind of cell, the dangerous texts
// among them, and what a spreadsheet must read in each.
type sampleSheet struct {
	name   string
	header []string
	rows   [][]any
	// want are the cells' values as a spreadsheet reads them (XLSX raw
	// values; CSV text).
	wantXLSX [][]string
	wantCSV  [][]string
}

var half = 0.5

var samples = []sampleSheet{
	{
		name:   "Tổng hợp",
		header: []string{"Chỉ tiêu (figure)", "Giá trị (value)"},
		rows: [][]any{
			{"Số hội viên", 1234},
			{"Tỷ lệ báo cáo", Percent(0.85714)},
			{"Có khó khăn", true},
			{"Trung bình", 2.5},
			{"Không có số", (*float64)(nil)},
			{"Một nửa", &half},
			{"Trống", nil},
			{"Số lớn", int64(28000000)},
		},
		wantXLSX: [][]string{
			{"Chỉ tiêu (figure)", "Giá trị (value)"},
			{"Số hội viên", "1234"},
			{"Tỷ lệ báo cáo", "0.85714"},
			{"Có khó khăn", "1"},
			{"Trung bình", "2.5"},
			{"Không có số"},
			{"Một nửa", "0.5"},
			{"Trống"},
			{"Số lớn", "28000000"},
		},
		wantCSV: [][]string{
			{"Tổng hợp"},
			{"Chỉ tiêu (figure)", "Giá trị (value)"},
			{"Số hội viên", "1234"},
			{"Tỷ lệ báo cáo", "85.71"},
			{"Có khó khăn", "true"},
			{"Trung bình", "2.5"},
			{"Không có số", ""},
			{"Một nửa", "0.5"},
			{"Trống", ""},
			{"Số lớn", "28000000"},
		},
	},
	{
		// A sheet name with characters XLSX refuses, and longer than it
		// takes.
		name:   "Chưa báo cáo: xã/phường [danh sách đầy đủ]",
		header: []string{"=Mã", "Đơn vị"},
		rows: [][]any{
			{"=HYPERLINK(\"http://x\",\"bấm\")", "+84 912"},
			{"-1+2", "@SUM(A1)"},
			{"\tTab", "\rCR"},
			{"Thôn 1", "a=b"},
			{"", "'đã có"},
		},
		wantXLSX: [][]string{
			{"'=Mã", "Đơn vị"},
			{"'=HYPERLINK(\"http://x\",\"bấm\")", "'+84 912"},
			{"'-1+2", "'@SUM(A1)"},
			{"'\tTab", "'\rCR"},
			{"Thôn 1", "a=b"},
			{"", "'đã có"},
		},
	},
}

func writeSamples(t *testing.T, f Format) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, f)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range samples {
		if err := w.Sheet(s.name, s.header, 30, 20); err != nil {
			t.Fatal(err)
		}
		for _, r := range s.rows {
			if err := w.Row(r...); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestWriteXLSX opens the written workbook with excelize: the sheets in
// order under valid names, every cell's value, numbers stored as numbers,
// no formula anywhere, the percentage shown as one.
func TestWriteXLSX(t *testing.T) {
	b := writeSamples(t, XLSX)
	x, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the XLSX does not open: %v", err)
	}
	defer x.Close()
	wantSheets := []string{"Tổng hợp", "Chưa báo cáo- xã-phường -danh s"}
	if got := x.GetSheetList(); strings.Join(got, "|") != strings.Join(wantSheets, "|") {
		t.Fatalf("sheets %q, want %q", got, wantSheets)
	}
	for i, s := range samples {
		rows, err := x.GetRows(wantSheets[i], excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fmt.Sprintf("%q", rows), fmt.Sprintf("%q", s.wantXLSX); got != want {
			t.Errorf("sheet %s:\n got %s\nwant %s", wantSheets[i], got, want)
		}
		for r := range rows {
			for c := range rows[r] {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if f, err := x.GetCellFormula(wantSheets[i], cell); err != nil || f != "" {
					t.Errorf("%s!%s holds formula %q (%v)", wantSheets[i], cell, f, err)
				}
			}
		}
	}
	// A number is a cell without a type (or of type n); text is a string.
	for cell, want := range map[string][]excelize.CellType{
		"B2": {excelize.CellTypeUnset, excelize.CellTypeNumber}, "B3": {excelize.CellTypeUnset, excelize.CellTypeNumber},
		"B4": {excelize.CellTypeBool}, "A2": {excelize.CellTypeInlineString, excelize.CellTypeSharedString},
	} {
		if got, err := x.GetCellType("Tổng hợp", cell); err != nil || !slices.Contains(want, got) {
			t.Errorf("Tổng hợp!%s is of type %v, want one of %v (%v)", cell, got, want, err)
		}
	}
	if shown, err := x.GetCellValue("Tổng hợp", "B3"); err != nil || shown != "85.71%" {
		t.Errorf("the rate shows as %q, want 85.71%% (%v)", shown, err)
	}
	if w, err := x.GetColWidth("Tổng hợp", "A"); err != nil || w != 30 {
		t.Errorf("column A is %v wide, want 30 (%v)", w, err)
	}
	panes, err := x.GetPanes("Tổng hợp")
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("the header row is not frozen: %+v (%v)", panes, err)
	}
}

// TestWriteCSV reads the CSV back: a byte order mark first, then each
// sheet as its name, header and rows, an empty line between sheets, and
// the dangerous texts neutralised.
func TestWriteCSV(t *testing.T) {
	b := writeSamples(t, CSV)
	if !bytes.HasPrefix(b, []byte("\ufeff")) {
		t.Fatalf("no byte order mark: %q", b[:min(len(b), 10)])
	}
	if !bytes.Contains(b, []byte("\r\n\r\n")) {
		t.Errorf("no empty line between the sheets")
	}
	r := csv.NewReader(bytes.NewReader(b[3:]))
	r.FieldsPerRecord = -1
	got, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := append([][]string{}, samples[0].wantCSV...)
	want = append(want, []string{"Chưa báo cáo- xã-phường -danh s"})
	want = append(want, samples[1].wantXLSX...)
	// encoding/csv writing CRLF lines drops a lone carriage return; the
	// apostrophe before it stays.
	want[len(want)-3] = []string{"'\tTab", "'CR"}
	if g, w := fmt.Sprintf("%q", got), fmt.Sprintf("%q", want); g != w {
		t.Errorf("CSV:\n got %s\nwant %s", g, w)
	}
}

func TestNeutralise(t *testing.T) {
	for in, want := range map[string]string{
		"":             "",
		"=1+1":         "'=1+1",
		"+1":           "'+1",
		"-1":           "'-1",
		"@x":           "'@x",
		"\tx":          "'\tx",
		"\rx":          "'\rx",
		"Xã Bà Điểm":   "Xã Bà Điểm",
		" =1":          " =1",
		"'=1":          "'=1",
		"Tổ 1 - Khu A": "Tổ 1 - Khu A",
	} {
		if got := Neutralise(in); got != want {
			t.Errorf("Neutralise(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSheetNames: names XLSX refuses are mended, and the same name twice
// gets a number.
func TestSheetNames(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, XLSX)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"Bảng", "bảng", "", "'Trích'", strings.Repeat("Rất dài ", 10)} {
		if err := w.Sheet(n, []string{"A"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	want := []string{"Bảng", "bảng (2)", "Sheet", "Trích", "Rất dài Rất dài Rất dài Rất dài"}
	if got := x.GetSheetList(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("sheets %q, want %q", got, want)
	}
}

// TestWriteLargeXLSX streams many rows: every one arrives, in order.
func TestWriteLargeXLSX(t *testing.T) {
	if testing.Short() {
		t.Skip("seconds of writing and reading: the full pass only")
	}
	const n = 2000
	var buf bytes.Buffer
	w, err := NewWriter(&buf, XLSX)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Sheet("Đơn vị", []string{"Mã", "Tên", "Số"}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := w.Row(fmt.Sprintf("%05d", i), fmt.Sprintf("Thôn %d", i), i); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("Đơn vị")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n+1 {
		t.Fatalf("%d rows, want %d", len(rows), n+1)
	}
	for _, i := range []int{0, 1, n / 2, n - 1} {
		if got, want := strings.Join(rows[i+1], "|"), fmt.Sprintf("%05d|Thôn %d|%d", i, i, i); got != want {
			t.Errorf("row %d: %q, want %q", i+2, got, want)
		}
	}
}

func TestWriterMisuse(t *testing.T) {
	if _, err := NewWriter(&bytes.Buffer{}, "ods"); err == nil {
		t.Error("format ods accepted")
	}
	for _, f := range []Format{CSV, XLSX} {
		w, err := NewWriter(&bytes.Buffer{}, f)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Row("x"); err == nil {
			t.Errorf("%s: a row before any sheet accepted", f)
		}
		if err := w.Sheet("A", nil); err == nil {
			t.Errorf("%s: the error of a row before any sheet was forgotten", f)
		}
		w.Close()
	}
	if f, ok := ParseFormat(" XLSX "); !ok || f != XLSX {
		t.Errorf("ParseFormat(XLSX) = %q, %v", f, ok)
	}
	if _, ok := ParseFormat("pdf"); ok {
		t.Error("ParseFormat(pdf) accepted")
	}
}

// A one-table CSV reads back through Read with its header as the header;
// its XLSX marks the styled cells; a second sheet is refused.
func TestNewTable(t *testing.T) {
	header := []string{"Mã (code)", "Tên (name)", "Số (count)"}
	rows := [][]any{{"79", "Sài Gòn", 3}, {"", "Tổng", Styled{Value: 3, Style: Strong}}}
	var b bytes.Buffer
	w, err := NewTable(&b, CSV, "Bảng", header)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		w.Row(r...)
	}
	w.Close()
	if w2, _ := NewTable(&bytes.Buffer{}, CSV, "Một", header); w2.Sheet("Hai", header) == nil {
		t.Error("a second sheet in a one-table writer accepted")
	}
	if want := "\ufeffMã (code),Tên (name),Số (count)\r\n79,Sài Gòn,3\r\n,Tổng,3\r\n"; b.String() != want {
		t.Fatalf("CSV = %q, want %q", b.String(), want)
	}
	tab, err := Read(bytes.NewReader(b.Bytes()), "bang.csv", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tab.Header, header) || len(tab.Rows) != 2 || tab.Rows[0][1] != "Sài Gòn" {
		t.Errorf("read back: header %q, rows %q", tab.Header, tab.Rows)
	}

	b.Reset()
	w, err = NewTable(&b, XLSX, "Bảng", header)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		w.Row(r...)
	}
	w.Row("", "Thấp", Styled{Value: 1, Style: Alert})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if got := x.GetSheetList(); !slices.Equal(got, []string{"Bảng"}) {
		t.Errorf("sheets %q", got)
	}
	plain, _ := x.GetCellStyle("Bảng", "C2")
	strong, _ := x.GetCellStyle("Bảng", "C3")
	alert, _ := x.GetCellStyle("Bảng", "C4")
	if strong == plain || alert == plain || alert == strong {
		t.Errorf("styles: plain %d, strong %d, alert %d; want three different", plain, strong, alert)
	}
	if v, _ := x.GetCellValue("Bảng", "C3"); v != "3" {
		t.Errorf("a styled cell's value is %q", v)
	}
}
