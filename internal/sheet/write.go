package sheet

// Writing: the exports go out through a Writer, with a text cell that a
// spreadsheet would run as a formula neutralised on the way out.

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Format is a file format of a table.
type Format string

// The formats a Writer writes.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// ParseFormat reads a format's name as a query gives it ("csv", "XLSX").
func ParseFormat(s string) (Format, bool) {
	switch Format(strings.ToLower(strings.TrimSpace(s))) {
	case CSV:
		return CSV, true
	case XLSX:
		return XLSX, true
	}
	return "", false
}

// ContentType is the media type of a file in the format.
func (f Format) ContentType() string {
	if f == XLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

// Percent is a fraction shown as a percentage: 0.857 is 85.7 %. XLSX keeps
// the fraction with a percentage format; CSV writes the percentage, 85.71,
// rounded to two decimals.
type Percent float64

// MaxSheetName is the longest sheet name XLSX takes, in characters.
const MaxSheetName = 31

// maxXLSXRows is the most rows an XLSX sheet holds.
const maxXLSXRows = 1 << 20

// Neutralise keeps a spreadsheet from reading text as a formula: text that
// begins with = + - @, a tab or a carriage return gets a leading
// apostrophe, which spreadsheets show as text. A village named
// "=HYPERLINK(…)" is exported as the name it is, never as a link.
func Neutralise(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// A Writer writes a workbook of sheets, row by row: in XLSX each sheet is a
// worksheet streamed through excelize's StreamWriter (rows go to the file
// as they come rather than into a model in memory, so a national export
// stays small); in CSV, which has one table per file, each sheet is a row
// naming it, its header and its rows, and an empty line separates sheets
// (a writer of one table, NewTable, writes no naming row). CSV is UTF-8 with a byte order mark, which Excel needs to read the
// Vietnamese as UTF-8, and CRLF line ends.
//
// A cell is a string, a bool, an integer, a float64, a Percent, a
// *float64 (nil is empty), nil (empty), a time.Time or a fmt.Stringer;
// text is neutralised (Neutralise). Errors stick: after the first, every
// call returns it.
type Writer struct {
	format Format
	out    io.Writer
	err    error
	closed bool
	sheets []string
	single bool // one table: CSV has no sheet-name row, and no second sheet

	// XLSX styles of Styled cells
	strong, alert int

	// CSV
	bw *bufio.Writer
	cw *csv.Writer

	// XLSX
	file      *excelize.File
	sw        *excelize.StreamWriter
	row       int
	bold, pct int
	rec       []string
	cells     []any
}

// NewWriter returns a Writer of format f to w. Nothing is written to w
// before the first sheet for CSV, and before Close for XLSX.
func NewWriter(w io.Writer, f Format) (*Writer, error) {
	sw := &Writer{format: f, out: w}
	switch f {
	case CSV:
		sw.bw = bufio.NewWriter(w)
		sw.cw = csv.NewWriter(sw.bw)
		sw.cw.UseCRLF = true
	case XLSX:
		sw.file = excelize.NewFile()
		var err error
		if sw.bold, err = sw.file.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
			Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}); err != nil {
			sw.file.Close()
			return nil, fmt.Errorf("sheet: header style: %w", err)
		}
		if sw.pct, err = sw.file.NewStyle(&excelize.Style{NumFmt: 10}); err != nil { // 0.00%
			sw.file.Close()
			return nil, fmt.Errorf("sheet: percent style: %w", err)
		}
		if sw.strong, err = sw.file.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
			sw.file.Close()
			return nil, fmt.Errorf("sheet: strong style: %w", err)
		}
		if sw.alert, err = sw.file.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "9C0006"},
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}}}); err != nil {
			sw.file.Close()
			return nil, fmt.Errorf("sheet: alert style: %w", err)
		}
	default:
		return nil, fmt.Errorf("sheet: unknown format %q (want csv or xlsx)", f)
	}
	return sw, nil
}

// NewTable returns a Writer of one table, its sheet already started: the
// CSV is the header and the rows alone, as a file of one table is read
// back (Read), with no row naming the sheet; the XLSX is one sheet named
// name. Sheet on it fails.
func NewTable(w io.Writer, f Format, name string, header []string, widths ...float64) (*Writer, error) {
	sw, err := NewWriter(w, f)
	if err != nil {
		return nil, err
	}
	sw.single = true
	if err := sw.Sheet(name, header, widths...); err != nil {
		sw.Close()
		return nil, err
	}
	return sw, nil
}

// Sheet starts a sheet named name with a header row; widths are the XLSX
// columns' widths in characters, from the first (14 for those not given).
// The header row stays in view as the sheet scrolls.
func (w *Writer) Sheet(name string, header []string, widths ...float64) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("sheet: Sheet after Close")
	}
	if w.single && len(w.sheets) > 0 {
		w.err = errors.New("sheet: a one-table writer (NewTable) holds one sheet")
		return w.err
	}
	name = w.sheetName(name)
	w.sheets = append(w.sheets, name)
	if w.format == CSV {
		if len(w.sheets) == 1 {
			w.bw.WriteString("\ufeff")
		} else {
			w.bw.WriteString("\r\n")
		}
		if !w.single {
			w.write([]string{Neutralise(name)})
		}
		row := make([]string, len(header))
		for i, h := range header {
			row[i] = Neutralise(h)
		}
		w.write(row)
		return w.err
	}
	if w.err = w.flushSheet(); w.err != nil {
		return w.err
	}
	if len(w.sheets) == 1 {
		w.err = w.file.SetSheetName("Sheet1", name)
	} else {
		_, w.err = w.file.NewSheet(name)
	}
	if w.err != nil {
		w.err = fmt.Errorf("sheet: sheet %q: %w", name, w.err)
		return w.err
	}
	if w.sw, w.err = w.file.NewStreamWriter(name); w.err != nil {
		w.err = fmt.Errorf("sheet: sheet %q: %w", name, w.err)
		return w.err
	}
	for c := range header {
		width := 14.0
		if c < len(widths) && widths[c] > 0 {
			width = widths[c]
		}
		if w.err = w.sw.SetColWidth(c+1, c+1, width); w.err != nil {
			return w.err
		}
	}
	if len(header) > 0 {
		if w.err = w.sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); w.err != nil {
			return w.err
		}
		cells := make([]any, len(header))
		for i, h := range header {
			cells[i] = excelize.Cell{StyleID: w.bold, Value: Neutralise(h)}
		}
		w.row = 1
		w.err = w.sw.SetRow("A1", cells)
	} else {
		w.row = 0
	}
	return w.err
}

// sheetName makes name a valid XLSX sheet name, unique in the workbook:
// without the characters XLSX refuses, at most MaxSheetName characters.
func (w *Writer) sheetName(name string) string {
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) || r < ' ' {
			return '-'
		}
		return r
	}, strings.TrimSpace(name))
	name = strings.Trim(name, "'")
	if name == "" {
		name = "Sheet"
	}
	base := name
	for n := 2; ; n++ {
		if utf8.RuneCountInString(name) > MaxSheetName {
			name = string([]rune(name)[:MaxSheetName])
		}
		taken := false
		for _, s := range w.sheets {
			if strings.EqualFold(s, name) {
				taken = true
			}
		}
		if !taken {
			return name
		}
		suffix := fmt.Sprintf(" (%d)", n)
		r := []rune(base)
		name = string(r[:min(len(r), MaxSheetName-len(suffix))]) + suffix
	}
}

// Row writes one row of the current sheet.
func (w *Writer) Row(cells ...any) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("sheet: Row after Close")
	}
	if len(w.sheets) == 0 {
		w.err = errors.New("sheet: Row before Sheet")
		return w.err
	}
	if w.format == CSV {
		w.rec = w.rec[:0]
		for _, c := range cells {
			w.rec = append(w.rec, csvCell(c))
		}
		w.write(w.rec)
		return w.err
	}
	if w.row >= maxXLSXRows {
		w.err = fmt.Errorf("sheet: sheet %q has more than %d rows, the most XLSX holds", w.sheets[len(w.sheets)-1], maxXLSXRows)
		return w.err
	}
	w.row++
	w.cells = w.cells[:0]
	for _, c := range cells {
		w.cells = append(w.cells, w.xlsxCell(c))
	}
	name, err := excelize.CoordinatesToCellName(1, w.row)
	if err == nil {
		err = w.sw.SetRow(name, w.cells)
	}
	w.err = err
	return w.err
}

// Close finishes the file: it flushes CSV, and writes the whole XLSX
// workbook to the writer (a workbook without a sheet has one, empty).
// It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.format == CSV {
		if w.err == nil {
			w.cw.Flush()
			if w.err = w.cw.Error(); w.err == nil {
				w.err = w.bw.Flush()
			}
		}
		return w.err
	}
	defer w.file.Close()
	if w.err == nil {
		w.err = w.flushSheet()
	}
	if w.err == nil {
		w.file.SetActiveSheet(0)
		_, w.err = w.file.WriteTo(w.out)
	}
	return w.err
}

func (w *Writer) flushSheet() error {
	if w.sw == nil {
		return nil
	}
	sw := w.sw
	w.sw = nil
	return sw.Flush()
}

func (w *Writer) write(rec []string) {
	if w.err == nil {
		w.err = w.cw.Write(rec)
	}
}

// Style is how a Styled cell stands out in XLSX.
type Style int

const (
	Strong Style = iota + 1 // bold: a total row
	Alert                   // bold dark red on light red: a figure to look at
)

// Styled is a cell that stands out in XLSX; CSV writes its value alone.
type Styled struct {
	Value any
	Style Style
}

// csvCell writes a cell as CSV text.
func csvCell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case Styled:
		return csvCell(x.Value)
	case string:
		return Neutralise(x)
	case bool:
		if x {
			return "true"
		}
		return "false"
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return formatFloat(x)
	case *float64:
		if x == nil {
			return ""
		}
		return formatFloat(*x)
	case Percent:
		return formatFloat(math.Round(float64(x)*10000) / 100)
	case time.Time:
		return x.Format("2006-01-02 15:04:05 -07:00")
	case fmt.Stringer:
		return Neutralise(x.String())
	}
	return Neutralise(fmt.Sprint(v))
}

func formatFloat(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return ""
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}

// xlsxCell is a cell's value for excelize: numbers as numbers, a Percent
// as a fraction with a percentage format, text neutralised.
func (w *Writer) xlsxCell(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case Styled:
		style := w.strong
		if x.Style == Alert {
			style = w.alert
		}
		val := w.xlsxCell(x.Value)
		if c, ok := val.(excelize.Cell); ok {
			val = c.Value // the emphasis wins over a percentage's format
		}
		return excelize.Cell{StyleID: style, Value: val}
	case string:
		return Neutralise(x)
	case bool, int, int64:
		return x
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return x
	case *float64:
		if x == nil {
			return nil
		}
		return w.xlsxCell(*x)
	case Percent:
		return excelize.Cell{StyleID: w.pct, Value: float64(x)}
	case time.Time:
		return x.Format("2006-01-02 15:04:05 -07:00")
	case fmt.Stringer:
		return Neutralise(x.String())
	}
	return Neutralise(fmt.Sprint(v))
}
