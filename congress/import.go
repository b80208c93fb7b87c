package congress

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/org"
)

// Bulk update by a province: a CSV or XLSX file whose first row names
// the columns (the exports' headings or their keys, see columns) and
// whose other rows each update one congress of the province. A column
// present sets its field on every row (an empty cell clears it); a
// column absent keeps what is stored. Every row is checked, then all are
// written in one transaction, or none: the answer names each bad row and
// field. A cell holding a formula is refused, as is a file that is not
// CSV in UTF-8 or XLSX.

// RowProblem is a bad row of an import, as the API answers it.
type RowProblem struct {
	Row     int    `json:"row"` // 1 is the header
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ImportError is an import's refusal: the file as a whole or its rows.
type ImportError struct {
	Message string
	Rows    []RowProblem
}

func (e *ImportError) Error() string { return e.Message }

// Is makes an ImportError an ErrInvalid.
func (e *ImportError) Is(target error) bool { return target == ErrInvalid }

func fileProblem(vi, en string) *ImportError {
	return &ImportError{Message: vi + " (" + en + ")."}
}

// rowsEnvelope is the body of a refused import.
type rowsEnvelope struct {
	Error rowsError `json:"error"`
}

type rowsError struct {
	Code    string       `json:"code"`
	Message string       `json:"message"`
	Field   string       `json:"field"`
	Rows    []RowProblem `json:"rows"`
}

func writeImportError(w http.ResponseWriter, e *ImportError) {
	rows := e.Rows
	if rows == nil {
		rows = []RowProblem{}
	}
	api.WriteJSON(w, http.StatusBadRequest, rowsEnvelope{rowsError{Code: "invalid_import", Message: e.Message, Field: "file", Rows: rows}})
}

func writeRowErrors(w http.ResponseWriter, re *RowErrors) {
	e := &ImportError{Message: "Có dòng không hợp lệ; không dòng nào được ghi (invalid rows: nothing was written)."}
	for _, r := range re.Rows {
		var fe *FieldError
		if errors.As(r.Err, &fe) {
			e.Rows = append(e.Rows, RowProblem{Row: r.Index + 1, Field: fe.Field, Message: fe.Message})
		} else {
			e.Rows = append(e.Rows, RowProblem{Row: r.Index + 1, Message: r.Err.Error()})
		}
	}
	writeImportError(w, e)
}

// readTable reads a CSV or XLSX file into rows of cells.
func readTable(data []byte) ([][]string, error) {
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return readXLSX(data)
	}
	if !utf8.Valid(data) {
		return nil, fileProblem("Tệp không phải CSV mã UTF-8 hay XLSX: hãy lưu lại dạng \"CSV UTF-8\" hoặc Excel (.xlsx)",
			"the file is neither CSV in UTF-8 nor XLSX")
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	var rows [][]string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			return nil, &ImportError{Message: "Tệp CSV sai cấu trúc (malformed CSV).",
				Rows: []RowProblem{{Row: line, Field: "file", Message: fmt.Sprintf("Dòng %d: dấu ngoặc kép hoặc số cột không đúng (%v).", line, err)}}}
		}
		if len(rows) > MaxImportRows {
			return nil, tooManyRows()
		}
		for i, c := range rec {
			// A CSV has no formulas; a cell written as one is refused,
			// as the spreadsheet it came from would have run it.
			if strings.HasPrefix(c, "=") {
				return nil, formulaProblem(len(rows)+1, i)
			}
		}
		rows = append(rows, rec)
	}
	return rows, nil
}

func tooManyRows() *ImportError {
	return fileProblem(fmt.Sprintf("Tệp có quá nhiều dòng: tối đa %d", MaxImportRows), fmt.Sprintf("at most %d rows", MaxImportRows))
}

func formulaProblem(row, col int) *ImportError {
	name, _ := excelize.ColumnNumberToName(col + 1)
	return &ImportError{Message: "Tệp có ô chứa công thức; hãy dán giá trị thay cho công thức (formula cells are refused).",
		Rows: []RowProblem{{Row: row, Field: name, Message: fmt.Sprintf("Ô %s%d chứa công thức (a formula).", name, row)}}}
}

func readXLSX(data []byte) ([][]string, error) {
	x, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: 64 << 20, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		return nil, fileProblem("Không đọc được tệp XLSX", "the XLSX file cannot be read")
	}
	defer x.Close()
	sheets := x.GetSheetList()
	if len(sheets) == 0 {
		return nil, fileProblem("Tệp XLSX không có trang tính nào", "the XLSX file has no sheet")
	}
	sheet := sheets[0]
	rows, err := x.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, fileProblem("Không đọc được trang tính đầu tiên của tệp XLSX", "the first sheet cannot be read")
	}
	if len(rows) > MaxImportRows+1 {
		return nil, tooManyRows()
	}
	width := 0
	for _, r := range rows {
		width = max(width, len(r))
	}
	for i := range rows {
		for j := 0; j < width; j++ {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if f, err := x.GetCellFormula(sheet, cell); err == nil && f != "" {
				return nil, formulaProblem(i+1, j)
			}
		}
	}
	return rows, nil
}

var dmy = regexp.MustCompile(`^(\d{1,2})/(\d{1,2})/(\d{4})$`)

// cellDate reads a date cell: 2026-05-20, 20/05/2026 (as Vietnamese
// write it), or a spreadsheet's day number.
func cellDate(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if m := dmy.FindStringSubmatch(s); m != nil {
		d, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		s = fmt.Sprintf("%s-%02d-%02d", m[3], mo, d)
	} else if n, err := strconv.ParseFloat(s, 64); err == nil && n >= 36526 && n < 73051 && n == math.Trunc(n) {
		// Days since 1899-12-30, as spreadsheets count (2000 to 2100).
		s = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(n)).Format(dateLayout)
	}
	_, err := parseDate(field, s)
	return s, err
}

func cellInt(field, s string) (*int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > MaxCount {
			return nil, invalid(field, fmt.Sprintf("%q không phải số nguyên", s), "not a whole number")
		}
		n = int(f)
	}
	return &n, nil
}

// cellStatus reads a status by its key or its Vietnamese label.
func cellStatus(s string) (Status, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	for _, st := range Statuses {
		if corpus.Fold(s) == corpus.Fold(st.Label()) {
			return st, nil
		}
	}
	return ParseStatus(s)
}

// header maps each column of the first row to its column.
func header(row []string) ([]*column, error) {
	out := make([]*column, len(row))
	seen := map[string]bool{}
	for i, h := range row {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		key := corpus.Fold(h)
		found := false
		for j := range columns {
			c := &columns[j]
			if key == c.key || key == corpus.Fold(c.label) {
				if seen[c.key] {
					return nil, &ImportError{Message: "Tiêu đề có cột lặp lại (a column appears twice).",
						Rows: []RowProblem{{Row: 1, Field: c.key, Message: fmt.Sprintf("Cột %q có hai lần.", h)}}}
				}
				seen[c.key] = true
				out[i] = c
				found = true
			}
		}
		if !found {
			return nil, &ImportError{Message: "Tiêu đề có cột không biết (an unknown column).",
				Rows: []RowProblem{{Row: 1, Field: h, Message: fmt.Sprintf("Không biết cột %q: các cột là những cột của tệp xuất.", h)}}}
		}
	}
	if !seen["territory"] {
		return nil, &ImportError{Message: "Thiếu cột \"Mã địa bàn\" (territory) (the territory column is missing).",
			Rows: []RowProblem{{Row: 1, Field: "territory", Message: "Thiếu cột Mã địa bàn."}}}
	}
	return out, nil
}

// setCell sets the field of column c on in from a cell.
func setCell(in *Congress, c *column, v string) error {
	var err error
	switch c.key {
	case "territory", "territory_name", "province", "level", "updated_at":
		// Read-only columns of an export, kept so that it imports back.
	case "name":
		in.Name = v
	case "ordinal":
		in.Ordinal = v
	case "planned_date":
		in.PlannedDate, err = cellDate(c.key, v)
	case "place":
		in.Place = v
	case "status":
		var st Status
		if st, err = cellStatus(v); err == nil && st != "" {
			in.Status = st
		}
	case "postponed_reason":
		in.PostponedReason = v
	case "new_date":
		in.NewDate, err = cellDate(c.key, v)
	case "delegates_summoned":
		in.DelegatesSummoned, err = cellInt(c.key, v)
	case "delegates_attending":
		in.DelegatesAttending, err = cellInt(c.key, v)
	case "committee_size":
		in.CommitteeSize, err = cellInt(c.key, v)
	case "standing_size":
		in.StandingSize, err = cellInt(c.key, v)
	case "delegation_above":
		in.DelegationAbove, err = cellInt(c.key, v)
	case "chair":
		in.Chair = v
	case "vice_chairs":
		in.ViceChairs = nil
		for _, n := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == '\n' }) {
			if n = strings.TrimSpace(n); n != "" {
				in.ViceChairs = append(in.ViceChairs, n)
			}
		}
	case "summary":
		in.Summary = v
	case "correction":
		in.Correction = v
	case "version":
		var n *int
		if n, err = cellInt(c.key, v); err == nil && n != nil {
			in.Version = *n
		}
	}
	return err
}

// unguard takes off the apostrophe an export put before text that a
// spreadsheet would read as a formula, so that an export imports back as
// it was.
func unguard(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(s[1])) {
		return s[1:]
	}
	return s
}

// ImportResult is an import's answer.
type ImportResult struct {
	Term       string     `json:"term"`
	Province   string     `json:"province"`
	Imported   int        `json:"imported"`
	Congresses []Congress `json:"congresses"`
}

// readImport reads the file of an import request: the body itself, or
// the field "file" of a multipart form.
func readImport(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxImport+64<<10)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var data []byte
	var err error
	if mt == "multipart/form-data" {
		if err = r.ParseMultipartForm(memoryForm); err == nil {
			_, data, err = formFile(r, "file", MaxImport)
			var fe *FieldError
			if errors.As(err, &fe) {
				return nil, err
			}
		}
	} else {
		data, err = io.ReadAll(io.LimitReader(r.Body, MaxImport+1))
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) || len(data) > MaxImport {
		return nil, &api.Error{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large", Field: "file",
			Message: fmt.Sprintf("Tệp nhập quá lớn: tối đa %d MiB (the file is too large).", MaxImport>>20)}
	}
	if err != nil {
		return nil, api.BadRequest("invalid_body", "body", "Không đọc được nội dung gửi lên (unreadable body).")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, api.BadRequest("invalid_import", "file", "Tệp nhập đang trống (the file is empty).")
	}
	return data, nil
}

func (s *Service) apiImport(w http.ResponseWriter, r *http.Request) {
	term := r.PathValue("term")
	if err := s.store.CheckTerm(term); err != nil {
		s.fail(w, r, err)
		return
	}
	province := strings.TrimSpace(r.URL.Query().Get("province"))
	if province == "" {
		api.WriteError(w, http.StatusBadRequest, "invalid_province", "province",
			"Cần chỉ rõ tỉnh, thành phố nhập dữ liệu: ?province=79 (the province is missing).")
		return
	}
	pc, err := s.store.Get(r.Context(), term, province)
	if err != nil || pc.Level != org.Province {
		if err == nil || errors.Is(err, ErrNotFound) {
			err = invalid("province", fmt.Sprintf("Không có tỉnh, thành phố mã %q", province), "no such province")
		}
		s.fail(w, r, err)
		return
	}
	if !s.allowed(w, r, ActionWrite, pc.Unit()) {
		return
	}
	data, err := readImport(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.Import(r, term, province, data)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if s.audit != nil {
		s.audit.Audit(r, AuditImport, pc.Unit(), fmt.Sprintf("%s/%s: %d rows", term, province, len(out)))
	}
	api.WriteJSON(w, http.StatusOK, ImportResult{Term: term, Province: province, Imported: len(out), Congresses: out})
}

// Import reads data (CSV or XLSX) and writes its rows, congresses of
// province, all or none; the refusal is an *ImportError naming the rows.
func (s *Service) Import(r *http.Request, term, province string, data []byte) ([]Congress, error) {
	rows, err := readTable(data)
	if err != nil {
		return nil, err
	}
	if len(rows) < 2 {
		return nil, fileProblem("Tệp không có dòng dữ liệu nào dưới dòng tiêu đề", "no rows below the header")
	}
	cols, err := header(rows[0])
	if err != nil {
		return nil, err
	}
	var problems ImportError
	var batch []Congress
	var lines []int
	for i, row := range rows[1:] {
		line := i + 2
		if strings.TrimSpace(strings.Join(row, "")) == "" {
			continue
		}
		get := func(key string) string {
			for j, c := range cols {
				if c != nil && c.key == key && j < len(row) {
					return strings.TrimSpace(row[j])
				}
			}
			return ""
		}
		code := get("territory")
		cur, err := s.store.Get(r.Context(), term, code)
		if err == nil && cur.Province != province {
			err = invalid("territory", fmt.Sprintf("Địa bàn %s (%s) không thuộc tỉnh, thành phố %s", code, cur.TerritoryName, province),
				"the territory is not in the province")
		}
		if errors.Is(err, ErrNotFound) {
			err = invalid("territory", fmt.Sprintf("Không có địa bàn mã %q (mã tỉnh 2 chữ số, mã xã 5 chữ số; hãy định dạng ô là văn bản để giữ số 0 ở đầu)", code),
				"no such territory")
		}
		if err != nil {
			problems.add(line, err)
			continue
		}
		in := cur
		in.Correction = ""
		for j, c := range cols {
			if c == nil {
				continue
			}
			v := ""
			if j < len(row) {
				v = unguard(strings.TrimSpace(row[j]))
			}
			if err := setCell(&in, c, v); err != nil {
				problems.add(line, err)
				break
			}
		}
		batch = append(batch, in)
		lines = append(lines, line)
	}
	if len(problems.Rows) > 0 {
		problems.Message = "Có dòng không hợp lệ; không dòng nào được ghi (invalid rows: nothing was written)."
		return nil, &problems
	}
	if len(batch) == 0 {
		return nil, fileProblem("Tệp không có dòng dữ liệu nào dưới dòng tiêu đề", "no rows below the header")
	}
	out, err := s.store.PutAll(r.Context(), term, batch, s.actor(r))
	var re *RowErrors
	if errors.As(err, &re) {
		for _, e := range re.Rows {
			problems.add(lines[e.Index], e.Err)
		}
		problems.Message = "Có dòng không hợp lệ; không dòng nào được ghi (invalid rows: nothing was written)."
		return nil, &problems
	}
	return out, err
}

func (e *ImportError) add(line int, err error) {
	var fe *FieldError
	if errors.As(err, &fe) {
		e.Rows = append(e.Rows, RowProblem{Row: line, Field: fe.Field, Message: fe.Message})
		return
	}
	e.Rows = append(e.Rows, RowProblem{Row: line, Message: err.Error()})
}
