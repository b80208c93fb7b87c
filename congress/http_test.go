package congress_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/congress"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

// TestAPIPermissions: anyone reads; the committee's reporter and the
// reporters above it write; a sibling, another organisation or a viewer
// do not; the history is for staff in the subtree. Refusals change
// nothing.
func TestAPIPermissions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newSite(t, db, false)
		p := f.people()
		body := map[string]any{"status": "preparing", "planned_date": "2026-05-20", "chair": "Nguyễn Văn An"}
		for _, c := range []struct {
			who    string
			status int
		}{
			{"", http.StatusUnauthorized},
			{benThanhReporter, http.StatusForbidden},
			{hanoiReporter, http.StatusForbidden},
			{saiGonHND, http.StatusForbidden},
			{hcmcViewer, http.StatusForbidden},
			{saiGonReporter, http.StatusOK},
			{hcmcReporter, http.StatusOK},
		} {
			a := f.call(t, http.MethodPut, congressPath(saiGon), p[c.who], body)
			if a.status != c.status {
				t.Errorf("PUT by %q: %d %s, want %d", c.who, a.status, a.body, c.status)
			}
		}
		if n := len(f.seen.all()); n != 2 {
			t.Errorf("%d writes, want 2 (the refused ones wrote)", n)
		}
		// Anyone reads, and no one learns who wrote.
		a := f.call(t, http.MethodGet, congressPath(saiGon), "", nil)
		var c congress.Congress
		a.decode(t, &c)
		if a.status != http.StatusOK || c.Chair != "Nguyễn Văn An" || c.Version != 2 || c.UpdatedBy != "" {
			t.Errorf("public GET: %d %+v", a.status, c)
		}
		if strings.Contains(string(a.body), "@mattranso.test") {
			t.Errorf("the public answer names a member of staff: %s", a.body)
		}
		for _, path := range []string{"/api/v1/congress/" + term + "/congresses?province=79", "/api/v1/congress/" + term + "/summary?province=79"} {
			if a := f.call(t, http.MethodGet, path, "", nil); a.status != http.StatusOK || strings.Contains(string(a.body), "@mattranso.test") {
				t.Errorf("public %s: %d %.200s", path, a.status, a.body)
			}
		}
		// The history: staff of the subtree only.
		for who, want := range map[string]int{"": http.StatusUnauthorized, hanoiReporter: http.StatusForbidden,
			hcmcViewer: http.StatusOK, saiGonReporter: http.StatusOK} {
			a := f.call(t, http.MethodGet, congressPath(saiGon, "/history"), p[who], nil)
			if a.status != want {
				t.Errorf("history by %q: %d, want %d", who, a.status, want)
			}
			if a.status == http.StatusOK {
				var h congress.HistoryResponse
				a.decode(t, &h)
				if len(h.Entries) != 2 || h.Entries[0].Version != 2 || h.Entries[1].Congress.Chair != "Nguyễn Văn An" {
					t.Fatalf("history: %+v", h.Entries)
				}
				// Staff e-mails are for org.staff.read (reporters), not viewers.
				if who == hcmcViewer {
					if strings.Contains(string(a.body), "@mattranso.test") {
						t.Errorf("the history shows a viewer staff e-mails: %s", a.body)
					}
				} else if !strings.HasPrefix(h.Entries[0].Actor, hcmcReporter) || !strings.HasPrefix(h.Entries[1].Actor, saiGonReporter) {
					t.Errorf("history actors: %q, %q", h.Entries[0].Actor, h.Entries[1].Actor)
				}
			}
		}
		// The import asks on the province's committee.
		csvBody := []byte("territory,status\n" + saiGon + ",held\n")
		for who, want := range map[string]int{saiGonReporter: http.StatusForbidden, hanoiReporter: http.StatusForbidden, hcmcReporter: http.StatusOK} {
			a := f.call(t, http.MethodPost, "/api/v1/congress/"+term+"/import?province=79", p[who], csvBody, "text/csv")
			if a.status != want {
				t.Errorf("import by %s: %d %s, want %d", who, a.status, a.body, want)
			}
		}
	})
}

// TestAPIBadInput is the bad-input table through the API: a 4xx
// naming the field or row, and nothing written.
func TestAPIBadInput(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newSite(t, db, false)
		tok := f.people()[hcmcReporter]
		if a := f.call(t, http.MethodPut, congressPath(benThanh), tok, `{"status":"held","delegates_summoned":100}`); a.status != http.StatusOK {
			t.Fatalf("setup: %d %s", a.status, a.body)
		}
		before, _ := f.store.LastChange(t.Context(), term)
		big := bytes.Repeat([]byte("x"), congress.MaxResolution+1)
		copy(big, "%PDF-1.4\n")
		cases := []struct {
			name, method, path, body string
			status                   int
			field                    string
		}{
			{"unknown term", "PUT", "/api/v1/congress/1990-1995/congresses/" + saiGon, `{}`, 404, "term"},
			{"unknown term (list)", "GET", "/api/v1/congress/1990-1995/congresses", "", 404, "term"},
			{"unknown territory", "PUT", congressPath("99999"), `{}`, 404, "territory"},
			{"a village", "PUT", congressPath(saiGon + "-001"), `{}`, 400, "territory"},
			{"a territory that is no code", "GET", congressPath("abc"), "", 400, "territory"},
			{"a date that is not a date", "PUT", congressPath(saiGon), `{"planned_date":"2026-02-30"}`, 400, "planned_date"},
			{"attending > summoned", "PUT", congressPath(saiGon), `{"delegates_summoned":10,"delegates_attending":11}`, 400, "delegates_attending"},
			{"standing > committee", "PATCH", congressPath(saiGon), `{"committee_size":10,"standing_size":11}`, 400, "standing_size"},
			{"held → planned without a reason", "PATCH", congressPath(benThanh), `{"status":"planned"}`, 400, "status"},
			{"attending > the summoned stored", "PATCH", congressPath(benThanh), `{"delegates_attending":101}`, 400, "delegates_attending"},
			{"postponed without a reason", "PATCH", congressPath(saiGon), `{"status":"postponed","new_date":"2026-07-01"}`, 400, "postponed_reason"},
			{"a wrong type", "PATCH", congressPath(saiGon), `{"committee_size":"ba"}`, 400, "committee_size"},
			{"an unknown field", "PUT", congressPath(saiGon), `{"chu_tich":"A"}`, 400, "chu_tich"},
			{"another territory in the body", "PUT", congressPath(saiGon), `{"territory":"26743"}`, 400, "territory"},
			{"a stale version", "PUT", congressPath(benThanh), `{"version":7,"status":"held"}`, 409, "version"},
			{"a bad province filter", "GET", "/api/v1/congress/" + term + "/congresses?province=7", "", 400, "province"},
			{"a bad level filter", "GET", "/api/v1/congress/" + term + "/congresses?level=village", "", 400, "level"},
			{"a bad status filter", "GET", "/api/v1/congress/" + term + "/congresses?status=done", "", 400, "status"},
			{"a bad format", "GET", "/api/v1/congress/" + term + "/congresses?format=pdf", "", 400, "format"},
			{"a bad summary province", "GET", "/api/v1/congress/" + term + "/summary?province=26740", "", 400, "province"},
		}
		for _, c := range cases {
			var body any
			if c.body != "" {
				body = c.body
			}
			a := f.call(t, c.method, c.path, tok, body)
			if a.status != c.status || a.err.Field != c.field || a.err.Message == "" {
				t.Errorf("%s: %d %s, want %d naming %s", c.name, a.status, a.body, c.status, c.field)
			}
		}
		// Attachments: an oversize one, one that is not what it says,
		// an unknown kind.
		up := func(kind, name string, data []byte) answer {
			return f.upload(t, "/api/v1/congress/"+term+"/attachments", tok, map[string]string{"territory": saiGon, "kind": kind}, "file", name, data)
		}
		if a := up("resolution", "nq.pdf", big); a.status != http.StatusRequestEntityTooLarge || a.err.Field != "file" {
			t.Errorf("an oversize resolution: %d %s", a.status, a.body)
		}
		if a := up("resolution", "nq.pdf", []byte("<html>không phải PDF</html>")); a.status != http.StatusBadRequest || a.err.Field != "file" {
			t.Errorf("a resolution that is no PDF: %d %s", a.status, a.body)
		}
		if a := up("photo", "anh.jpg", []byte("%PDF-1.4 not a photo")); a.status != http.StatusBadRequest || a.err.Field != "file" {
			t.Errorf("a photo that is no image: %d %s", a.status, a.body)
		}
		if a := up("video", "a.mp4", []byte("x")); a.status != http.StatusBadRequest || a.err.Field != "kind" {
			t.Errorf("an unknown kind: %d %s", a.status, a.body)
		}
		if a := f.call(t, http.MethodPost, "/api/v1/congress/"+term+"/attachments", tok, `{"file":"x"}`); a.status != http.StatusUnsupportedMediaType || a.err.Field != "Content-Type" {
			t.Errorf("an attachment as JSON: %d %s", a.status, a.body)
		}
		if last, _ := f.store.LastChange(t.Context(), term); last != before {
			t.Errorf("refusals wrote: last change %d, want %d", last, before)
		}
	})
}

func TestPatchKeepsOtherFields(t *testing.T) {
	f := newSite(t, storetest.SQLite(t), false)
	tok := f.people()[saiGonReporter]
	a := f.call(t, http.MethodPut, congressPath(saiGon), tok, `{"status":"preparing","place":"Hội trường","ordinal":"II","delegates_summoned":120,"vice_chairs":["A","B"]}`)
	if a.status != http.StatusOK {
		t.Fatalf("PUT: %d %s", a.status, a.body)
	}
	a = f.call(t, http.MethodPatch, congressPath(saiGon), tok, `{"status":"held","delegates_attending":118,"place":null}`)
	var c congress.Congress
	a.decode(t, &c)
	if a.status != http.StatusOK || c.Status != congress.Held || *c.DelegatesSummoned != 120 || *c.DelegatesAttending != 118 ||
		c.Place != "" || len(c.ViceChairs) != 2 || c.Ordinal != "II" || c.Version != 2 {
		t.Errorf("PATCH: %d %+v", a.status, c)
	}
	if want := "Đại hội đại biểu Mặt trận Tổ quốc Việt Nam phường Sài Gòn lần thứ II"; c.Name != want {
		t.Errorf("name %q, want the built %q", c.Name, want)
	}
	// The ordinal changed: a built name follows it.
	a = f.call(t, http.MethodPatch, congressPath(saiGon), tok, `{"ordinal":"III"}`)
	a.decode(t, &c)
	if !strings.HasSuffix(c.Name, "lần thứ III") {
		t.Errorf("name after the ordinal changed: %q", c.Name)
	}
	// A correction goes back, and says so in the history.
	a = f.call(t, http.MethodPatch, congressPath(saiGon), tok, `{"status":"preparing","correction":"Nhập nhầm trạng thái"}`)
	if a.status != http.StatusOK {
		t.Fatalf("a correction: %d %s", a.status, a.body)
	}
	h, _ := f.store.History(t.Context(), term, saiGon)
	if h[0].Reason != "Nhập nhầm trạng thái" || h[0].Status != congress.Preparing {
		t.Errorf("history of the correction: %+v", h[0])
	}
}

func TestSummaryAPI(t *testing.T) {
	f := newSite(t, storetest.SQLite(t), false)
	tok := f.people()[hcmcReporter]
	today := congress.Now().Format("2006-01-02")
	for code, body := range map[string]string{
		saiGon:   `{"status":"held"}`,
		benThanh: `{"status":"preparing","planned_date":"` + today + `"}`,
		longHoa:  `{"status":"postponed","postponed_reason":"Bão","new_date":"` + today + `"}`,
	} {
		if a := f.call(t, http.MethodPut, congressPath(code), tok, body); a.status != http.StatusOK {
			t.Fatalf("%s: %d %s", code, a.status, a.body)
		}
	}
	a := f.call(t, http.MethodGet, "/api/v1/congress/"+term+"/summary?province=79", "", nil)
	var got map[string]any
	a.decode(t, &got)
	want := map[string]any{"expected": 4.0, "held": 1.0, "preparing": 1.0, "planned": 1.0, "postponed": 1.0, "upcoming_7d": 2.0, "percent_held": 25.0}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("summary of 79 = %v, want %v", got, want)
	}
	a = f.call(t, http.MethodGet, "/api/v1/congress/"+term+"/summary", "", nil)
	a.decode(t, &got)
	if got["expected"] != 9.0 || got["held"] != 1.0 || got["planned"] != 6.0 {
		t.Errorf("national summary = %v", got)
	}
}

// TestExportNeutralisesFormulas: the CSV and XLSX exports of a list hold
// its congresses, and a text starting with = + - @ is no formula there.
func TestExportNeutralisesFormulas(t *testing.T) {
	f := newSite(t, storetest.SQLite(t), false)
	tok := f.people()[hcmcReporter]
	if a := f.call(t, http.MethodPut, congressPath(saiGon), tok,
		`{"status":"held","chair":"=HYPERLINK(\"http://x\")","place":"+84 Lê Lợi","summary":"@SUM(A1)","vice_chairs":["-1+2"],"delegates_summoned":150}`); a.status != http.StatusOK {
		t.Fatalf("PUT: %d %s", a.status, a.body)
	}
	a := f.call(t, http.MethodGet, "/api/v1/congress/"+term+"/congresses?province=79&format=csv", "", nil)
	if a.status != http.StatusOK || !strings.HasPrefix(a.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: %d %s", a.status, a.header)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(a.body, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 {
		t.Fatalf("CSV has %d rows, want the header and 4", len(rows))
	}
	row := strings.Join(rows[3], "|")
	for _, want := range []string{`'=HYPERLINK("http://x")`, "'+84 Lê Lợi", "'@SUM(A1)", "'-1+2", "|150|", "Phường Sài Gòn"} {
		if !strings.Contains(row, want) {
			t.Errorf("CSV row of Sài Gòn lacks %q: %s", want, row)
		}
	}
	a = f.call(t, http.MethodGet, "/api/v1/congress/"+term+"/congresses?province=79&format=xlsx", "", nil)
	if a.status != http.StatusOK {
		t.Fatalf("XLSX: %d", a.status)
	}
	x, err := excelize.OpenReader(bytes.NewReader(a.body))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	sheet := x.GetSheetList()[0]
	xrows, _ := x.GetRows(sheet)
	if len(xrows) != 5 {
		t.Fatalf("XLSX has %d rows", len(xrows))
	}
	for i, v := range xrows[3] {
		cell, _ := excelize.CoordinatesToCellName(i+1, 4)
		if fm, _ := x.GetCellFormula(sheet, cell); fm != "" {
			t.Errorf("XLSX cell %s is a formula: %s", cell, fm)
		}
		if v != "" && strings.ContainsRune("=+-@", rune(v[0])) {
			t.Errorf("XLSX cell %s starts with %q: %s", cell, v[0], v)
		}
	}
	// The export imports back as it is.
	b := f.call(t, http.MethodGet, "/api/v1/congress/"+term+"/congresses?province=79&format=csv", "", nil)
	if a := f.call(t, http.MethodPost, "/api/v1/congress/"+term+"/import?province=79", tok, b.body, "text/csv"); a.status != http.StatusOK {
		t.Errorf("re-importing the export: %d %s", a.status, a.body)
	}
	if c, _ := f.store.Get(t.Context(), term, saiGon); c.Chair != `=HYPERLINK("http://x")` || c.Place != "+84 Lê Lợi" {
		t.Errorf("chair after the round trip: %q", c.Chair)
	}
}

// TestImport: a province's file updates its congresses all at once, or,
// with any bad row, none; each bad row is named.
func TestImport(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newSite(t, db, false)
		tok := f.people()[hcmcReporter]
		imp := func(data []byte, ct string) answer {
			return f.call(t, http.MethodPost, "/api/v1/congress/"+term+"/import?province=79", tok, data, ct)
		}
		good := "\ufeffMã địa bàn,Trạng thái,Ngày dự kiến,Đại biểu được triệu tập,Chủ tịch,Phó Chủ tịch\n" +
			saiGon + ",Đã tổ chức,20/05/2026,150,Nguyễn Văn An,Lê B; Trần C\n" +
			benThanh + ",preparing,2026-06-01,,,\n"
		a := imp([]byte(good), "text/csv")
		if a.status != http.StatusOK {
			t.Fatalf("a good CSV: %d %s", a.status, a.body)
		}
		c, _ := f.store.Get(t.Context(), term, saiGon)
		if c.Status != congress.Held || c.PlannedDate != "2026-05-20" || *c.DelegatesSummoned != 150 || len(c.ViceChairs) != 2 {
			t.Errorf("after the import: %+v", c)
		}
		before, _ := f.store.LastChange(t.Context(), term)

		bad := []struct {
			name, body string
			row        int
			field      string
		}{
			{"a commune of another province", "territory,status\n" + saiGon + ",held\n" + baDinh + ",held\n", 3, "territory"},
			{"an unknown commune", "territory,status\n" + benThanh + ",held\n99999,held\n", 3, "territory"},
			{"a date that is not a date", "territory,planned_date\n" + longHoa + ",31/02/2026\n", 2, "planned_date"},
			{"attending > summoned", "territory,delegates_summoned,delegates_attending\n" + longHoa + ",10,11\n", 2, "delegates_attending"},
			{"held → planned without a reason", "territory,status\n" + longHoa + ",held\n" + saiGon + ",planned\n", 3, "status"},
			{"a territory twice", "territory,status\n" + longHoa + ",held\n" + longHoa + ",preparing\n", 3, "territory"},
			{"an unknown column", "territory,chu_tich\n" + longHoa + ",A\n", 1, "chu_tich"},
			{"no territory column", "status\nheld\n", 1, "territory"},
			{"a formula", "territory,chair\n" + longHoa + ",=1+1\n", 2, "B"},
			{"a broken quote", "territory,chair\n" + longHoa + ",\"An\n", 0, "file"},
			{"a count that is no number", "territory,committee_size\n" + longHoa + ",ba mươi\n", 2, "committee_size"},
		}
		for _, c := range bad {
			a := imp([]byte(c.body), "text/csv")
			var e struct {
				Error struct {
					Code, Field, Message string
					Rows                 []congress.RowProblem
				}
			}
			a.decode(t, &e)
			if a.status != http.StatusBadRequest || len(e.Error.Rows) == 0 {
				t.Errorf("%s: %d %s", c.name, a.status, a.body)
				continue
			}
			r := e.Error.Rows[0]
			if (c.row != 0 && r.Row != c.row) || r.Field != c.field || r.Message == "" {
				t.Errorf("%s: row %+v, want row %d field %s", c.name, r, c.row, c.field)
			}
		}
		for _, c := range []struct{ name, ct, body string }{
			{"not UTF-8", "text/csv", "territory,chair\n" + longHoa + ",Nguy\xe1n\n"},
			{"a broken XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "PK\x03\x04garbage"},
			{"only a header", "text/csv", "territory,status\n"},
		} {
			if a := imp([]byte(c.body), c.ct); a.status != http.StatusBadRequest {
				t.Errorf("%s: %d %s", c.name, a.status, a.body)
			}
		}
		if a := imp(nil, "text/csv"); a.status != http.StatusBadRequest || a.err.Field != "file" {
			t.Errorf("an empty import: %d %s", a.status, a.body)
		}
		if a := f.call(t, http.MethodPost, "/api/v1/congress/"+term+"/import", tok, []byte(good), "text/csv"); a.status != http.StatusBadRequest || a.err.Field != "province" {
			t.Errorf("an import without a province: %d %s", a.status, a.body)
		}
		if last, _ := f.store.LastChange(t.Context(), term); last != before {
			t.Errorf("refused imports wrote: last change %d, want %d", last, before)
		}

		// XLSX, with a date cell and a number cell; then one with a formula.
		x := excelize.NewFile()
		x.SetSheetRow("Sheet1", "A1", &[]any{"territory", "planned_date", "committee_size", "status"})
		x.SetCellStr("Sheet1", "A2", longHoa)
		x.SetCellValue("Sheet1", "B2", 46172) // 2026-05-30
		x.SetCellInt("Sheet1", "C2", 31)
		x.SetCellStr("Sheet1", "D2", "Đang chuẩn bị")
		var b bytes.Buffer
		x.Write(&b)
		if a := imp(b.Bytes(), "application/octet-stream"); a.status != http.StatusOK {
			t.Fatalf("XLSX: %d %s", a.status, a.body)
		}
		c, _ = f.store.Get(t.Context(), term, longHoa)
		if c.PlannedDate != "2026-05-30" || *c.CommitteeSize != 31 || c.Status != congress.Preparing {
			t.Errorf("after the XLSX import: %+v", c)
		}
		x.SetCellFormula("Sheet1", "C2", "=30+1")
		b.Reset()
		x.Write(&b)
		a = f.upload(t, "/api/v1/congress/"+term+"/import?province=79", tok, nil, "file", "dai-hoi.xlsx", b.Bytes())
		if a.status != http.StatusBadRequest || !strings.Contains(string(a.body), "C2") {
			t.Errorf("an XLSX with a formula: %d %s", a.status, a.body)
		}
	})
}

func pngImage(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := range 40 {
		for y := range 30 {
			img.Set(x, y, color.RGBA{uint8(x * 6), uint8(y * 8), 120, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestAttachments(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newSite(t, db, false)
		p := f.people()
		tok := p[saiGonReporter]
		pdf := []byte("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")
		up := func(tok, kind, name string, data []byte) answer {
			return f.upload(t, "/api/v1/congress/"+term+"/attachments", tok, map[string]string{"territory": saiGon, "kind": kind}, "file", name, data)
		}
		if a := up(p[benThanhReporter], "resolution", "nq.pdf", pdf); a.status != http.StatusForbidden {
			t.Errorf("a sibling's upload: %d", a.status)
		}
		a := up(tok, "resolution", "Nghị quyết đại hội.pdf", pdf)
		if a.status != http.StatusCreated {
			t.Fatalf("a resolution: %d %s", a.status, a.body)
		}
		loc := a.header.Get("Location")
		got := f.call(t, http.MethodGet, loc, "", nil)
		if got.status != http.StatusOK || !bytes.Equal(got.body, pdf) || got.header.Get("Content-Type") != "application/pdf" {
			t.Errorf("the resolution back: %d %s", got.status, got.header)
		}
		a = up(tok, "photo", "anh.png", pngImage(t))
		var c congress.Congress
		a.decode(t, &c)
		if a.status != http.StatusCreated || len(c.Attachments) != 2 || c.Attachments[1].Kind != congress.Photo {
			t.Fatalf("a photo: %d %s", a.status, a.body)
		}
		// The photo fits the thumbnail's box: it is its own thumbnail.
		thumb := f.call(t, http.MethodGet, a.header.Get("Location")+"?thumb=1", "", nil)
		if thumb.status != http.StatusOK || thumb.header.Get("Content-Type") != "image/png" {
			t.Errorf("the thumbnail: %d %s", thumb.status, thumb.header)
		}
		// A PUT keeps the attachments.
		if a := f.call(t, http.MethodPut, congressPath(saiGon), tok, `{"status":"held","attachments":[]}`); a.status != http.StatusOK {
			t.Fatalf("PUT: %d %s", a.status, a.body)
		} else if a.decode(t, &c); len(c.Attachments) != 2 {
			t.Errorf("a PUT dropped the attachments: %+v", c.Attachments)
		}
		id := c.Attachments[0].ID
		if a := f.call(t, http.MethodDelete, congressPath(saiGon, fmt.Sprintf("/attachments/%d", id)), p[hanoiReporter], nil); a.status != http.StatusForbidden {
			t.Errorf("removal by another province: %d", a.status)
		}
		if a := f.call(t, http.MethodDelete, congressPath(saiGon, fmt.Sprintf("/attachments/%d", id)), tok, nil); a.status != http.StatusOK {
			t.Errorf("removal: %d %s", a.status, a.body)
		}
		if a := f.call(t, http.MethodGet, loc, "", nil); a.status != http.StatusNotFound {
			t.Errorf("a removed attachment: %d", a.status)
		}
		if a := f.call(t, http.MethodGet, congressPath(benThanh, fmt.Sprintf("/attachments/%d", c.Attachments[1].ID)), "", nil); a.status != http.StatusNotFound {
			t.Errorf("an attachment asked under another territory: %d", a.status)
		}
	})
}

var csrfField = regexp.MustCompile(`name="` + auth.CSRFFieldName + `" value="([^"]+)"`)

// TestEntryForm: the reporter signs on through Dex, opens the form, and
// saves it with the session's CSRF token; without the token nothing is
// saved; a refusal shows the form again with what was typed.
func TestEntryForm(t *testing.T) {
	f := newSite(t, storetest.SQLite(t), true)
	if _, err := f.auth.Store().Grant(t.Context(), saiGonReporter, auth.Reporter, saiGon+"/MTTQ", "test"); err != nil {
		t.Fatal(err)
	}
	entry := congress.EntryURL(term, saiGon)
	anon := newBrowser(t)
	if p := anon.get(f.srv.URL + entry); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/auth/login?") {
		t.Errorf("the form without signing in: %d %s", p.status, p.header.Get("Location"))
	}
	b := newBrowser(t)
	p := b.signIn(f, saiGonReporter, dexPassword, entry)
	for _, want := range []string{"Phường Sài Gòn", `name="status"`, `type="date"`, `name="chair"`, "Đại hội đại biểu Mặt trận Tổ quốc Việt Nam phường Sài Gòn", `href="/dai-hoi/tep/dai-hoi.css"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the form lacks %q", want)
		}
	}
	if strings.Contains(p.body, "<script") {
		t.Error("the form needs a script")
	}
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatal("the form carries no CSRF token")
	}
	token := html.UnescapeString(m[1])
	form := url.Values{"version": {"0"}, "status": {"held"}, "planned_date": {"2026-05-20"}, "place": {"Hội trường UBND phường"},
		"delegates_summoned": {"150"}, "delegates_attending": {"148"}, "chair": {"Nguyễn Văn An"}, "vice_chairs": {"Lê Thị B\r\nTrần Văn C\r\n"},
		"news_title": {"Đại hội thành công tốt đẹp", ""}, "news_url": {"https://baochinhphu.vn/dai-hoi", ""}, "news_date": {"2026-05-21", ""}}
	if p := b.post(f.srv.URL+entry, form); p.status != http.StatusForbidden {
		t.Errorf("without the CSRF token: %d", p.status)
	}
	if c, _ := f.store.Get(t.Context(), term, saiGon); c.Version != 0 {
		t.Fatalf("a form without its token saved: %+v", c)
	}
	form.Set(auth.CSRFFieldName, token)
	p = b.post(f.srv.URL+entry, form)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != entry+"?da-luu=1" {
		t.Fatalf("saving: %d %s %.300s", p.status, p.header.Get("Location"), p.body)
	}
	c, _ := f.store.Get(t.Context(), term, saiGon)
	if c.Status != congress.Held || *c.DelegatesAttending != 148 || len(c.ViceChairs) != 2 || len(c.News) != 1 || !strings.HasPrefix(c.UpdatedBy, saiGonReporter) {
		t.Errorf("saved: %+v", c)
	}
	if p := b.get(f.srv.URL + entry + "?da-luu=1"); !strings.Contains(p.body, "Đã lưu") || !strings.Contains(p.body, "Đại hội thành công tốt đẹp") {
		t.Errorf("after saving: %.300s", p.body)
	}
	// A refusal: the form again, the field marked, what was typed kept.
	form.Set("version", "1")
	form.Set("delegates_attending", "151")
	form.Set("place", "Nhà văn hoá khu phố 3")
	p = b.post(f.srv.URL+entry, form)
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "Nhà văn hoá khu phố 3") || !strings.Contains(p.body, "dh-field--error") ||
		!strings.Contains(p.body, "lớn hơn số đại biểu được triệu tập") {
		t.Errorf("a refused form: %d %.500s", p.status, p.body)
	}
	if c2, _ := f.store.Get(t.Context(), term, saiGon); c2.Version != 1 {
		t.Errorf("a refused form saved: version %d", c2.Version)
	}
	// Another commune's form is not this reporter's.
	if p := b.get(f.srv.URL + congress.EntryURL(term, benThanh)); p.status != http.StatusForbidden {
		t.Errorf("another commune's form: %d", p.status)
	}
	if p := b.get(f.srv.URL + congress.EntryURL(term, "99999")); p.status != http.StatusNotFound {
		t.Errorf("an unknown commune's form: %d", p.status)
	}
}

// TestChoosePage: the staff home's link finds the user's committees: a
// commune's reporter goes straight to the form, a province's sees its
// congresses, someone not signed in signs in first.
func TestChoosePage(t *testing.T) {
	f := newSite(t, storetest.SQLite(t), false)
	p := f.people()
	get := func(target, who string) answer { return f.call(t, http.MethodGet, target, p[who], nil) }
	if a := get(congress.ChooseURL, saiGonReporter); a.status != http.StatusSeeOther || a.header.Get("Location") != congress.EntryURL(term, saiGon) {
		t.Errorf("a commune's reporter: %d %s", a.status, a.header.Get("Location"))
	}
	a := get(congress.ChooseURL, hcmcReporter)
	body := string(a.body)
	if a.status != http.StatusOK || strings.Count(body, "/cap-nhat\"") != 4 || !strings.Contains(body, "Phường Bến Thành") || strings.Contains(body, "Phường Ba Đình") {
		t.Errorf("a province's reporter: %d %.600s", a.status, body)
	}
	if a := get(congress.ChooseURL+"?tinh=01", hcmcReporter); a.status != http.StatusForbidden {
		t.Errorf("another province: %d", a.status)
	}
	if a := get(congress.ChooseURL, saiGonHND); a.status != http.StatusOK || strings.Contains(string(a.body), "/cap-nhat\"") {
		t.Errorf("another organisation's reporter: %d", a.status)
	}
	if a := get(congress.ChooseURL, ""); a.status != http.StatusSeeOther || !strings.HasPrefix(a.header.Get("Location"), "/auth/login?") {
		t.Errorf("nobody signed in: %d %s", a.status, a.header.Get("Location"))
	}
}
