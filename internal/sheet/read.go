// Package sheet reads and writes the tables people exchange as files: CSV
// (UTF-8, comma, semicolon or tab separated, as Excel and LibreOffice save
// it) and XLSX. Reading is bounded — bytes, rows, columns, the unzipped
// size of a workbook — and refuses a cell that a spreadsheet would run as
// a formula, so that an imported list can never carry one into the
// exports made from it.
package sheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Bounds of a table Read accepts.
const (
	// MaxRows bounds the data rows of a table (the header aside).
	MaxRows = 10000
	// MaxColumns bounds the columns of a table.
	MaxColumns = 50
	// MaxCell bounds a cell, in bytes.
	MaxCell = 4000
	// maxProblems bounds the cell problems one error lists.
	maxProblems = 100
)

// Table is a sheet read: the header row, trimmed, and the data rows after
// it, each padded or cut to the header's width. Lines[i] is the row
// number of Rows[i] in the file as a spreadsheet numbers it (the header is
// row 1), so that an error can name it. Blank rows are skipped.
type Table struct {
	Header []string
	Rows   [][]string
	Lines  []int
}

// Errors returned (wrapped) by Read.
var (
	// ErrTooLarge: the file is over the size given, or has too many rows
	// or columns.
	ErrTooLarge = errors.New("sheet: file too large")
	// ErrUnreadable: the file is neither a CSV in UTF-8 nor an XLSX
	// workbook, or is empty.
	ErrUnreadable = errors.New("sheet: file unreadable")
)

// CellError is a problem with one cell: its row as the spreadsheet
// numbers it, its column (the header's name when there is one, else the
// column letter) and a Vietnamese-first message.
type CellError struct {
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Message string `json:"message"`
}

func (e CellError) Error() string {
	return fmt.Sprintf("dòng %d, cột %s: %s", e.Row, e.Column, e.Message)
}

// Errors are the problems found in a file's cells, in row order.
type Errors []CellError

func (e Errors) Error() string {
	if len(e) == 0 {
		return "sheet: no problem"
	}
	msg := "sheet: " + e[0].Error()
	if len(e) > 1 {
		msg += fmt.Sprintf(" (và %d lỗi khác)", len(e)-1)
	}
	return msg
}

// Read reads a table from r: an XLSX workbook (its first sheet) when the
// content starts as a ZIP archive does, a CSV otherwise — name, a file
// name or a content type, only words the messages. More than maxBytes is
// ErrTooLarge; so are more than MaxRows rows or MaxColumns columns. A cell
// holding a formula, or text starting with = + - @ (or a tab or carriage
// return) that a spreadsheet would read as one, is refused: Read returns
// Errors naming every such cell (up to a hundred). A number written with
// a sign ("+84 912 345 678", "-5") is not a formula and is kept.
func Read(r io.Reader, name string, maxBytes int64) (Table, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return Table{}, fmt.Errorf("sheet: read %s: %w", name, err)
	}
	if int64(len(data)) > maxBytes {
		return Table{}, fmt.Errorf("%w: %s is over %d bytes", ErrTooLarge, name, maxBytes)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return Table{}, fmt.Errorf("%w: %s is empty", ErrUnreadable, name)
	}
	var cells [][]string
	var lines []int
	var formulas Errors
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		cells, formulas, err = readXLSX(data, maxBytes)
		lines = make([]int, len(cells))
		for i := range lines {
			lines[i] = i + 1
		}
	} else {
		cells, lines, err = readCSV(data)
	}
	if err != nil {
		return Table{}, err
	}
	return build(cells, lines, formulas)
}

// readCSV reads CSV in UTF-8 (a byte order mark is dropped), separated by
// the comma, semicolon or tab that the header line uses most.
func readCSV(data []byte) ([][]string, []int, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if !utf8.Valid(data) {
		return nil, nil, fmt.Errorf("%w: the CSV is not in UTF-8 (save it as \"CSV UTF-8\")", ErrUnreadable)
	}
	first, _, _ := bytes.Cut(data, []byte("\n"))
	sep, most := ',', bytes.Count(first, []byte(","))
	for _, c := range []rune{';', '\t'} {
		if n := bytes.Count(first, []byte(string(c))); n > most {
			sep, most = c, n
		}
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = sep
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	var out [][]string
	var lines []int
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, nil, fmt.Errorf("%w: CSV line %d: %v", ErrUnreadable, pe.Line, pe.Err)
			}
			return nil, nil, fmt.Errorf("%w: %v", ErrUnreadable, err)
		}
		if len(out) > MaxRows+1 {
			return nil, nil, fmt.Errorf("%w: more than %d rows", ErrTooLarge, MaxRows)
		}
		// encoding/csv skips blank lines: the line is the record's own.
		line, _ := cr.FieldPos(0)
		out = append(out, rec)
		lines = append(lines, line)
	}
	return out, lines, nil
}

// readXLSX reads the first sheet of a workbook, and every formula in it.
// The unzipped size is bounded, against a small file that unpacks into a
// huge one.
func readXLSX(data []byte, maxBytes int64) ([][]string, Errors, error) {
	limit := max(16*maxBytes, 64<<20)
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: limit, UnzipXMLSizeLimit: limit})
	if err != nil {
		if strings.Contains(err.Error(), "unzip size") {
			return nil, nil, fmt.Errorf("%w: the workbook unpacks to more than %d bytes", ErrTooLarge, limit)
		}
		return nil, nil, fmt.Errorf("%w: not an XLSX workbook: %v", ErrUnreadable, err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, nil, fmt.Errorf("%w: the workbook has no sheet", ErrUnreadable)
	}
	name := sheets[0]
	rows, err := f.GetRows(name, excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, nil, fmt.Errorf("%w: sheet %q: %v", ErrUnreadable, name, err)
	}
	// A formula whose cached value is empty does not show in the rows:
	// look for formulas over the sheet's stated dimension too.
	nrows, ncols := len(rows), 0
	for _, row := range rows {
		ncols = max(ncols, len(row))
	}
	if dim, err := f.GetSheetDimension(name); err == nil && dim != "" {
		_, last, _ := strings.Cut(dim, ":")
		if last == "" {
			last = dim
		}
		if c, r, err := excelize.CellNameToCoordinates(last); err == nil {
			nrows, ncols = max(nrows, r), max(ncols, c)
		}
	}
	if nrows > MaxRows+1 {
		return nil, nil, fmt.Errorf("%w: more than %d rows", ErrTooLarge, MaxRows)
	}
	if ncols > MaxColumns {
		return nil, nil, fmt.Errorf("%w: more than %d columns", ErrTooLarge, MaxColumns)
	}
	var formulas Errors
	for r := 1; r <= nrows; r++ {
		for c := 1; c <= ncols; c++ {
			cell, _ := excelize.CoordinatesToCellName(c, r)
			fx, err := f.GetCellFormula(name, cell)
			if err != nil || fx == "" {
				continue
			}
			formulas = append(formulas, CellError{Row: r, Column: letters(c),
				Message: fmt.Sprintf("ô %s chứa công thức (=%s); hãy nhập giá trị, không nhập công thức (formula not allowed).", cell, clip(fx, 40))})
		}
	}
	return rows, formulas, nil
}

// build makes the table of the rows read, the first being the header, and
// gathers the formula problems with those found in the text.
func build(cells [][]string, lines []int, formulas Errors) (Table, error) {
	head := -1
	for i, row := range cells {
		if !blank(row) {
			head = i
			break
		}
	}
	if head < 0 {
		return Table{}, fmt.Errorf("%w: no header row", ErrUnreadable)
	}
	t := Table{}
	width := len(cells[head])
	for width > 0 && strings.TrimSpace(cells[head][width-1]) == "" {
		width--
	}
	if width > MaxColumns {
		return Table{}, fmt.Errorf("%w: more than %d columns", ErrTooLarge, MaxColumns)
	}
	for _, h := range cells[head][:width] {
		t.Header = append(t.Header, strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
	}
	column := func(c int) string {
		if c < len(t.Header) && t.Header[c] != "" {
			return t.Header[c]
		}
		return letters(c + 1)
	}
	// Formulas found by position are named by their header too.
	for i := range formulas {
		if c, _, err := excelize.CellNameToCoordinates(formulas[i].Column + "1"); err == nil {
			formulas[i].Column = column(c - 1)
		}
	}
	problems := formulas
	check := func(line, c int, v string) {
		if len(v) > MaxCell {
			problems = append(problems, CellError{Row: line, Column: column(c),
				Message: fmt.Sprintf("ô quá dài: tối đa %d byte (cell too long).", MaxCell)})
		}
		if Formula(v) {
			problems = append(problems, CellError{Row: line, Column: column(c),
				Message: fmt.Sprintf("ô bắt đầu bằng %q, bảng tính sẽ đọc như công thức; hãy bỏ ký tự đó (formula-like text not allowed).", v[:1])})
		}
	}
	for c, h := range t.Header {
		check(lines[head], c, h)
	}
	for i := head + 1; i < len(cells); i++ {
		row := cells[i]
		if blank(row) {
			continue
		}
		line := lines[i]
		for c := width; c < len(row); c++ {
			if strings.TrimSpace(row[c]) != "" {
				problems = append(problems, CellError{Row: line, Column: letters(c + 1),
					Message: "ô nằm ngoài các cột của dòng tiêu đề (cell outside the header's columns)."})
				break
			}
		}
		out := make([]string, width)
		for c := range min(width, len(row)) {
			out[c] = unguard(strings.TrimSpace(row[c]))
			check(line, c, out[c])
		}
		t.Rows = append(t.Rows, out)
		t.Lines = append(t.Lines, line)
	}
	if len(t.Rows) > MaxRows {
		return Table{}, fmt.Errorf("%w: more than %d rows", ErrTooLarge, MaxRows)
	}
	if len(problems) > 0 {
		sortProblems(problems)
		if len(problems) > maxProblems {
			problems = problems[:maxProblems]
		}
		return t, problems
	}
	return t, nil
}

// Formula reports whether a spreadsheet would read text as a formula: it
// starts with = + - or @ (or a tab or carriage return, which some strip
// first), unless it is a number written with a sign, such as a phone
// number "+84 912 345 678".
func Formula(s string) bool {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return false
	}
	if s[0] == '+' || s[0] == '-' {
		rest := s[1:]
		if rest == "" {
			return false
		}
		for _, r := range rest {
			if !(r >= '0' && r <= '9' || r == ' ' || r == '.') {
				return true
			}
		}
		return false
	}
	return true
}

// unguard drops the apostrophe that exports put before text starting
// with = + - @ (and that spreadsheets read as "this is text"), so that a
// file exported here imports again: the text is then judged by Formula
// like any other.
func unguard(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@", rune(s[1])) {
		return s[1:]
	}
	return s
}

func blank(row []string) bool {
	for _, v := range row {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// letters is a column's spreadsheet name: 1 is A, 27 is AA.
func letters(c int) string {
	s, err := excelize.ColumnNumberToName(c)
	if err != nil {
		return fmt.Sprint(c)
	}
	return s
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

func sortProblems(p Errors) {
	// Insertion sort: the lists are short and mostly in order already.
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && p[j].Row < p[j-1].Row; j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
}
