package congress

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/internal/sheet"
)

// The exports of a list, and the columns that import reads back: one
// table of columns, so that an exported file, edited, imports as it is.
// A text cell that a spreadsheet would read as a formula (starting with
// = + - @, a tab or a carriage return) is written with a leading
// apostrophe.

// column is a column of the exports and imports. key is its name for
// programs; label its heading, which import also reads (compared folded).
type column struct {
	key, label string
	get        func(c Congress) any // nil: import only
	imports    bool
	width      float64
}

func intCell(p *int) any {
	if p == nil {
		return ""
	}
	return *p
}

var columns = []column{
	{"territory", "Mã địa bàn", func(c Congress) any { return c.Territory }, true, 10},
	{"territory_name", "Địa bàn", func(c Congress) any { return c.TerritoryName }, false, 28},
	{"province", "Mã tỉnh", func(c Congress) any { return c.Province }, false, 8},
	{"level", "Cấp", func(c Congress) any { return c.Level.Label() }, false, 18},
	{"name", "Tên đại hội", func(c Congress) any { return c.Name }, true, 50},
	{"ordinal", "Lần thứ", func(c Congress) any { return c.Ordinal }, true, 8},
	{"planned_date", "Ngày dự kiến", func(c Congress) any { return c.PlannedDate }, true, 12},
	{"place", "Địa điểm", func(c Congress) any { return c.Place }, true, 30},
	{"status", "Trạng thái", func(c Congress) any { return c.Status.Label() }, true, 14},
	{"postponed_reason", "Lý do hoãn", func(c Congress) any { return c.PostponedReason }, true, 24},
	{"new_date", "Ngày tổ chức lại", func(c Congress) any { return c.NewDate }, true, 12},
	{"delegates_summoned", "Đại biểu được triệu tập", func(c Congress) any { return intCell(c.DelegatesSummoned) }, true, 10},
	{"delegates_attending", "Đại biểu có mặt", func(c Congress) any { return intCell(c.DelegatesAttending) }, true, 10},
	{"committee_size", "Số ủy viên Ủy ban", func(c Congress) any { return intCell(c.CommitteeSize) }, true, 10},
	{"standing_size", "Số ủy viên Ban Thường trực", func(c Congress) any { return intCell(c.StandingSize) }, true, 10},
	{"chair", "Chủ tịch", func(c Congress) any { return c.Chair }, true, 24},
	{"vice_chairs", "Phó Chủ tịch", func(c Congress) any { return strings.Join(c.ViceChairs, "; ") }, true, 36},
	{"delegation_above", "Đại biểu dự đại hội cấp trên", func(c Congress) any { return intCell(c.DelegationAbove) }, true, 10},
	{"summary", "Tóm tắt kết quả", func(c Congress) any { return c.Summary }, true, 40},
	{"correction", "Lý do đính chính", nil, true, 0},
	{"version", "Phiên bản", func(c Congress) any { return c.Version }, true, 8},
	{"updated_at", "Cập nhật lúc", func(c Congress) any {
		if c.UpdatedAt.IsZero() {
			return ""
		}
		return c.UpdatedAt.In(Vietnam).Format("2006-01-02 15:04")
	}, false, 16},
}

// exported are the columns of an export.
func exported() []column {
	var out []column
	for _, c := range columns {
		if c.get != nil {
			out = append(out, c)
		}
	}
	return out
}

func (s *Service) export(w http.ResponseWriter, r *http.Request, term string, f Filter, list []Congress, format string) {
	name := "dai-hoi-" + term
	if f.Province != "" {
		name += "-" + f.Province
	}
	if f.Level != "" {
		name += "-" + string(f.Level)
	}
	if f.Status != "" {
		name += "-" + string(f.Status)
	}
	var body []byte
	var err error
	var ct string
	if format == "csv" {
		body, err = exportTable(list, sheet.CSV)
		ct = "text/csv; charset=utf-8"
	} else {
		body, err = exportTable(list, sheet.XLSX)
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	if err != nil {
		api.Fail(w, r, s.log, err)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name+"."+format))
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// exportTable writes the list as one table of format f, numbers as
// numbers.
func exportTable(list []Congress, f sheet.Format) ([]byte, error) {
	cols := exported()
	header := make([]string, len(cols))
	widths := make([]float64, len(cols))
	for i, c := range cols {
		header[i], widths[i] = c.label, c.width
	}
	var b bytes.Buffer
	sw, err := sheet.NewTable(&b, f, "Đại hội", header, widths...)
	if err != nil {
		return nil, err
	}
	row := make([]any, len(cols))
	for _, cg := range list {
		for i, c := range cols {
			row[i] = c.get(cg)
			if s, ok := row[i].(string); ok && s == "" {
				row[i] = nil
			}
		}
		sw.Row(row...)
	}
	if err := sw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
