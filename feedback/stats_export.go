package feedback

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/internal/sheet"
)

// The exports of the statistics: the same tables as CSV (one a file,
// chosen by ?table=) and as XLSX (every table, a sheet each). A cell of
// text that a spreadsheet would read as a formula (starting with = + - @,
// a tab or a carriage return) is written with a leading apostrophe, so
// that a commune or topic name can never run as one.

// exportTable is one table of the exports.
type exportTable struct {
	key   string // ?table=
	sheet string // the XLSX sheet's name (at most 31 characters)
	label string // how the page names it
	build func(f *Figures) table
}

// table is a header and rows; a cell is a string, an int, a float64, a
// *float64 (nil is empty) or a percent.
type table struct {
	header []string
	rows   [][]any
	// widths are the XLSX columns' widths, from the first.
	widths []float64
	// marked are the cells to highlight in XLSX, by row and column.
	marked map[[2]int]bool
}

// percent is a fraction shown as a percentage: 0.857 is 85.7 % (CSV
// writes 85.7).
type percent *float64

var exportTables = []exportTable{
	{"summary", "Tổng hợp", "tổng hợp", summaryTable},
	{"unit", "Theo đơn vị", "theo đơn vị", unitTable},
	{"topic", "Theo lĩnh vực", "theo lĩnh vực", topicTable},
	{"commune_topic", "Xã × lĩnh vực", "xã × lĩnh vực", areaExport},
	{"week", "Theo tuần", "theo tuần", weekTable},
}

// tallyHeader are the columns of a Tally.
var tallyHeader = []string{"Tiếp nhận (received)", "Đã trả lời (answered)", "Đến hạn (due)", "Đúng hạn (on time)",
	"Trễ hạn (late)", "Trễ hạn chưa trả lời (late, open)", "Chưa đến hạn (not yet due)", "Tỷ lệ đúng hạn % (on-time rate)",
	"Trung vị ngày làm việc (median working days)"}

func tallyCells(t Tally) []any {
	return []any{t.Received, t.Answered, t.Due, t.OnTime, t.Late, t.LateOpen, t.NotYetDue, percent(t.OnTimeRate), t.MedianDays}
}

func summaryTable(f *Figures) table {
	t := table{header: []string{"Chỉ tiêu (figure)", "Giá trị (value)"}, widths: []float64{44, 30}}
	add := func(k string, v any) { t.rows = append(t.rows, []any{k, v}) }
	add("Đơn vị (unit)", f.Unit.Name)
	add("Mã đơn vị (unit id)", f.Unit.ID)
	add("Từ ngày (from)", f.From)
	add("Đến ngày (to)", f.To)
	add("Tính lúc (computed at)", f.At.In(Vietnam).Format("2006-01-02 15:04:05 -07:00"))
	for i, h := range tallyHeader {
		add(h, tallyCells(f.Totals)[i])
	}
	for _, s := range f.ByState {
		add("Trạng thái (state): "+s.Label, s.Count)
	}
	return t
}

func unitTable(f *Figures) table {
	t := table{header: append([]string{"Mã đơn vị (unit id)", "Đơn vị (unit)"}, tallyHeader...), widths: []float64{14, 40}}
	for _, u := range f.ByUnit {
		name := u.Name
		if u.Own {
			name += " (tiếp nhận trực tiếp)"
		}
		t.rows = append(t.rows, append([]any{u.Unit, name}, tallyCells(u.Tally)...))
	}
	return t
}

func topicTable(f *Figures) table {
	t := table{header: []string{"Mã lĩnh vực (topic)", "Lĩnh vực (topic name)", "Tiếp nhận (received)"}, widths: []float64{22, 40, 12}}
	for _, c := range f.ByTopic {
		t.rows = append(t.rows, []any{c.Topic, c.Name, c.Count})
	}
	return t
}

// areaExport is the commune × topic table with its margins, and a last
// column naming the row's low spots (which XLSX also highlights).
func areaExport(f *Figures) table {
	a := f.Areas
	t := table{header: []string{"Mã xã (commune)", "Xã (commune name)", "Tổng (total)"}, widths: []float64{10, 30, 8},
		marked: map[[2]int]bool{}}
	for _, tp := range a.Topics {
		t.header = append(t.header, tp.Name)
	}
	t.header = append(t.header, "Điểm trũng (low spots)")
	for i, r := range a.Rows {
		row := []any{r.Commune, r.Name, r.Total}
		var low []string
		for j, c := range r.Cells {
			row = append(row, c.Count)
			if c.LowSpot {
				low = append(low, a.Topics[j].Name)
				t.marked[[2]int{i + 1, 3 + j}] = true
			}
		}
		t.rows = append(t.rows, append(row, strings.Join(low, "; ")))
	}
	total := []any{"", "Tổng (total)", a.Total}
	for _, n := range a.TopicTotals {
		total = append(total, n)
	}
	t.rows = append(t.rows, append(total, ""))
	return t
}

func weekTable(f *Figures) table {
	t := table{header: append([]string{"Tuần từ thứ Hai (week from Monday)"}, tallyHeader...), widths: []float64{16}}
	for _, w := range f.Weeks {
		t.rows = append(t.rows, append([]any{w.Start}, tallyCells(w.Tally)...))
	}
	return t
}

// csvCell writes a cell as CSV text.
func csvCell(v any) string {
	switch x := v.(type) {
	case string:
		return sheet.Neutralise(x)
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case *float64:
		if x == nil {
			return ""
		}
		return strconv.FormatFloat(*x, 'f', -1, 64)
	case percent:
		if x == nil {
			return ""
		}
		return strconv.FormatFloat(round2(*x*100), 'f', -1, 64)
	}
	return sheet.Neutralise(fmt.Sprint(v))
}

// writeCSV writes t as CSV in UTF-8 with a byte order mark, which Excel
// needs to read the Vietnamese as UTF-8.
func writeCSV(w io.Writer, t table) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("\ufeff")
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	header := make([]string, len(t.header))
	for i, h := range t.header {
		header[i] = sheet.Neutralise(h)
	}
	cw.Write(header)
	rec := []string{}
	for _, row := range t.rows {
		rec = rec[:0]
		for _, v := range row {
			rec = append(rec, csvCell(v))
		}
		cw.Write(rec)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// writeXLSX writes every table as a sheet, through excelize's streaming
// writer (rows go to the file as they come, not into a model in memory).
func writeXLSX(w io.Writer, f *Figures) error {
	x := excelize.NewFile()
	defer x.Close()
	bold, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	pct, err := x.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
	if err != nil {
		return err
	}
	low, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "9C0006"},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}}})
	if err != nil {
		return err
	}
	for i, et := range exportTables {
		if i == 0 {
			if err := x.SetSheetName("Sheet1", et.sheet); err != nil {
				return err
			}
		} else if _, err := x.NewSheet(et.sheet); err != nil {
			return err
		}
		t := et.build(f)
		sw, err := x.NewStreamWriter(et.sheet)
		if err != nil {
			return err
		}
		for c := range len(t.header) {
			width := 14.0
			if c < len(t.widths) {
				width = t.widths[c]
			}
			if err := sw.SetColWidth(c+1, c+1, width); err != nil {
				return err
			}
		}
		if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
		head := make([]any, len(t.header))
		for c, h := range t.header {
			head[c] = excelize.Cell{StyleID: bold, Value: sheet.Neutralise(h)}
		}
		if err := sw.SetRow("A1", head); err != nil {
			return err
		}
		for r, row := range t.rows {
			cells := make([]any, len(row))
			for c, v := range row {
				cells[c] = xlsxCell(v, pct)
				if t.marked[[2]int{r + 1, c}] {
					cells[c] = excelize.Cell{StyleID: low, Value: v}
				}
			}
			name, err := excelize.CoordinatesToCellName(1, r+2)
			if err != nil {
				return err
			}
			if err := sw.SetRow(name, cells); err != nil {
				return err
			}
		}
		if err := sw.Flush(); err != nil {
			return err
		}
	}
	x.SetActiveSheet(0)
	_, err = x.WriteTo(w)
	return err
}

// xlsxCell is a cell's value for excelize: numbers as numbers, a rate as
// a fraction shown as a percentage, nothing for a figure without value.
func xlsxCell(v any, pct int) any {
	switch x := v.(type) {
	case string:
		return sheet.Neutralise(x)
	case *float64:
		if x == nil {
			return nil
		}
		return *x
	case percent:
		if x == nil {
			return nil
		}
		return excelize.Cell{StyleID: pct, Value: *x}
	}
	return v
}

// exportName is the file name of an export: the unit and the period.
func exportName(f *Figures, table, ext string) string {
	name := "thong-ke-phan-anh_" + strings.ReplaceAll(f.Unit.ID, "/", "-") + "_" + f.From + "_" + f.To
	if table != "" {
		name += "_" + table
	}
	return name + "." + ext
}

func (s *Stats) exportCSV(w http.ResponseWriter, r *http.Request) {
	req, err := s.read(r)
	if err != nil {
		api.Fail(w, r, s.log, err)
		return
	}
	key := strings.TrimSpace(r.URL.Query().Get("table"))
	if key == "" {
		key = exportTables[0].key
	}
	var et *exportTable
	keys := make([]string, len(exportTables))
	for i := range exportTables {
		keys[i] = exportTables[i].key
		if exportTables[i].key == key {
			et = &exportTables[i]
		}
	}
	if et == nil {
		if len(key) > 40 {
			key = key[:40] + "…"
		}
		api.WriteError(w, http.StatusBadRequest, "invalid_table", "table", fmt.Sprintf(
			"Không có bảng %q; chọn một trong: %s (unknown table).", key, strings.Join(keys, ", ")))
		return
	}
	f, err := s.Figures(r.Context(), req.Unit, req.Period)
	if err != nil {
		api.Fail(w, r, s.log, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+exportName(&f, et.key, "csv")+`"`)
	h.Set("Cache-Control", "no-store")
	if err := writeCSV(w, et.build(&f)); err != nil && r.Context().Err() == nil {
		s.log.ErrorContext(r.Context(), "feedback: statistics CSV", "err", err)
	}
}

func (s *Stats) exportXLSX(w http.ResponseWriter, r *http.Request) {
	f, ok := s.figuresFor(w, r)
	if !ok {
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	h.Set("Content-Disposition", `attachment; filename="`+exportName(&f, "", "xlsx")+`"`)
	h.Set("Cache-Control", "no-store")
	if err := writeXLSX(w, &f); err != nil && r.Context().Err() == nil {
		s.log.ErrorContext(r.Context(), "feedback: statistics XLSX", "err", err)
	}
}
