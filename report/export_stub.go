package report

import (
	"net/http"

	"github.com/mattranso/mattranso/api"
)

// writeRollupExport answers a roll-up as a CSV or XLSX file (format "csv"
// or "xlsx"); the roll-up holds the full missing list. Until the export
// is built the format is refused.
func writeRollupExport(w http.ResponseWriter, r *http.Request, ru Rollup, format string) {
	api.WriteError(w, http.StatusNotAcceptable, "unsupported_format", "format",
		"Chưa hỗ trợ xuất tệp "+format+" cho bảng tổng hợp (export not available).")
}
