package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/internal/jsonl"
)

// Format is a kind of source file, recognised by its content.
type Format string

const (
	FormatLawDump       Format = "law-dump"       // [{"id": LAW, "articles": [{"id","text"}]}]
	FormatProcedureDump Format = "procedure-dump" // one dichvucong.gov.vn procedure a line
	FormatBEIR          Format = "beir-corpus"    // {"_id","title","text","metadata":{"law_id","article_id"}}
	FormatHTML          Format = "html"           // a saved vbpl.vn or thuvienphapluat.vn page
	FormatUnknown       Format = ""
)

// DetectFormat looks at the start of a file and tells what it holds.
func DetectFormat(head []byte) Format {
	b := bytes.TrimLeft(head, " \t\r\n\ufeff")
	switch {
	case len(b) == 0:
		return FormatUnknown
	case b[0] == '[' && bytes.Contains(b, []byte(`"articles"`)):
		return FormatLawDump
	case b[0] == '{' && bytes.Contains(firstLine(b), []byte(`"ma_thu_tuc"`)):
		return FormatProcedureDump
	case b[0] == '{' && bytes.Contains(firstLine(b), []byte(`"_id"`)) && bytes.Contains(firstLine(b), []byte(`"text"`)):
		return FormatBEIR
	case b[0] == '<' && (bytes.Contains(bytes.ToLower(b), []byte("<html")) || bytes.Contains(bytes.ToLower(b), []byte("<div"))):
		return FormatHTML
	}
	return FormatUnknown
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i]
	}
	return b
}

// Rejected is a record that could not be read; the run goes on without it.
type Rejected struct {
	File   string
	Line   int
	Reason string
}

func (r Rejected) String() string { return fmt.Sprintf("%s:%d: %s", r.File, r.Line, r.Reason) }

// lawRecord is one law as one dump holds it.
type lawRecord struct {
	name     string // as the dump names it: a title or a number
	articles []corpus.Node
	source   string // file:line
}

// readLawDump reads a law dump: a JSON array of laws. A malformed law is
// rejected with its line; the others are kept.
func readLawDump(path string, r io.Reader, emit func(lawRecord), reject func(Rejected)) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	lineAt := func(off int64) int { return 1 + bytes.Count(data[:min(int(off), len(data))], []byte("\n")) }
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('[') {
		reject(Rejected{path, 1, "not a JSON array of laws"})
		return nil
	}
	for dec.More() {
		start := dec.InputOffset()
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			reject(Rejected{path, lineAt(dec.InputOffset()), "broken JSON: " + err.Error()})
			return nil
		}
		// InputOffset before Decode points at the separator; the law starts
		// at the first '{' after it.
		line := lineAt(start + int64(bytes.IndexByte(data[start:], '{')))
		var law struct {
			ID       json.RawMessage `json:"id"`
			Articles []struct {
				ID   json.RawMessage `json:"id"`
				Text string          `json:"text"`
			} `json:"articles"`
		}
		if err := json.Unmarshal(raw, &law); err != nil {
			reject(Rejected{path, line, "malformed law: " + err.Error()})
			continue
		}
		name := strings.TrimSpace(rawString(law.ID))
		if name == "" {
			reject(Rejected{path, line, `law without "id"`})
			continue
		}
		if len(law.Articles) == 0 {
			reject(Rejected{path, line, fmt.Sprintf("law %q has no articles", name)})
			continue
		}
		rec := lawRecord{name: corpus.NFC(name), source: fmt.Sprintf("%s:%d", path, line)}
		bad := ""
		for i, a := range law.Articles {
			label := strings.TrimSpace(rawString(a.ID))
			if label == "" || strings.TrimSpace(a.Text) == "" {
				bad = fmt.Sprintf("law %q: article %d has no id or no text", name, i+1)
				break
			}
			rec.articles = append(rec.articles, corpus.ParseArticle(label, a.Text))
		}
		if bad != "" {
			reject(Rejected{path, line, bad})
			continue
		}
		emit(rec)
	}
	return nil
}

// rawString reads a JSON string or number as text.
func rawString(b json.RawMessage) string {
	var s string
	if json.Unmarshal(b, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(b, &n) == nil {
		return n.String()
	}
	return ""
}

// readBEIR reads a BEIR corpus.jsonl into law records, one per law_id.
func readBEIR(path string, r io.Reader, emit func(lawRecord), reject func(Rejected)) error {
	laws := map[string]*lawRecord{}
	var order []string
	err := jsonl.Each(r, func(line int, b []byte) error {
		var d struct {
			ID       string `json:"_id"`
			Title    string `json:"title"`
			Text     string `json:"text"`
			Metadata struct {
				LawID     string `json:"law_id"`
				ArticleID string `json:"article_id"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			reject(Rejected{path, line, "broken JSON: " + err.Error()})
			return nil
		}
		law, art := d.Metadata.LawID, d.Metadata.ArticleID
		if law == "" || art == "" {
			law, art, _ = strings.Cut(d.ID, "#")
		}
		if law == "" || art == "" || strings.TrimSpace(d.Text) == "" {
			reject(Rejected{path, line, "record without law, article or text"})
			return nil
		}
		rec, ok := laws[law]
		if !ok {
			rec = &lawRecord{name: corpus.NFC(law), source: fmt.Sprintf("%s:%d", path, line)}
			laws[law] = rec
			order = append(order, law)
		}
		rec.articles = append(rec.articles, corpus.ParseArticle(art, d.Text))
		return nil
	})
	for _, l := range order {
		emit(*laws[l])
	}
	return err
}

// procedureRecord is one line of the dichvucong.gov.vn dump.
type procedureRecord struct {
	Code         string `json:"ma_thu_tuc"`
	URL          string `json:"detail_url"`
	Name         string `json:"ten_thu_tuc"`
	Decision     string `json:"so_quyet_dinh"`
	Level        string `json:"cap_thuc_hien"`
	Category     string `json:"loai_thu_tuc"`
	Field        string `json:"linh_vuc"`
	Subjects     string `json:"doi_tuong_thuc_hien"`
	Authority    string `json:"co_quan_co_tham_quyen"`
	Agency       string `json:"co_quan_thuc_hien"`
	Steps        string `json:"trinh_tu_thuc_hien"`
	Methods      string `json:"cach_thuc_thuc_hien"`
	Documents    string `json:"thanh_phan_ho_so"`
	LegalBasis   string `json:"can_cu_phap_ly"`
	Requirements string `json:"yeu_cau_dieu_kien"`
	Result       string `json:"ket_qua_xu_ly"`
	Address      string `json:"dia_chi_tiep_nhan"`
}

var reCode = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.\-]{2,40}$`)

// readProcedureDump reads the procedure dump, one procedure a line.
func readProcedureDump(path string, r io.Reader, emit func(*corpus.Document), reject func(Rejected)) error {
	return jsonl.Each(r, func(line int, b []byte) error {
		var p procedureRecord
		if err := json.Unmarshal(b, &p); err != nil {
			reject(Rejected{path, line, "broken JSON: " + err.Error()})
			return nil
		}
		p.Code, p.Name = strings.TrimSpace(p.Code), strings.TrimSpace(p.Name)
		switch {
		case p.Code == "":
			reject(Rejected{path, line, `procedure without "ma_thu_tuc"`})
			return nil
		case !reCode.MatchString(p.Code):
			reject(Rejected{path, line, fmt.Sprintf("procedure code %q is not a code", p.Code)})
			return nil
		case p.Name == "":
			reject(Rejected{path, line, fmt.Sprintf("procedure %s without \"ten_thu_tuc\"", p.Code)})
			return nil
		}
		emit(procedureDocument(p))
		return nil
	})
}

func procedureDocument(p procedureRecord) *corpus.Document {
	agency := clean(p.Agency)
	if agency == "" {
		agency = clean(p.Authority)
	}
	methods, fees := cleanMethods(p.Methods)
	d := &corpus.Document{
		ID:        p.Code,
		Kind:      corpus.KindProcedure,
		Number:    p.Code,
		Title:     corpus.NFC(p.Name),
		Type:      "Thủ tục hành chính",
		Issuer:    clean(p.Authority),
		SourceURL: p.URL,
		Procedure: &corpus.Procedure{
			Code: p.Code, Decision: clean(p.Decision), Field: clean(p.Field), Level: clean(p.Level),
			Category: clean(p.Category), Subjects: clean(p.Subjects), Agency: agency,
			Steps: clean(p.Steps), Methods: methods, Fees: fees,
			Documents: cleanDocuments(p.Documents), Requirements: clean(p.Requirements),
			Result: cleanResult(p.Result), LegalBasis: cleanLegalBasis(p.LegalBasis),
			Address: clean(p.Address),
		},
	}
	if a := clean(p.Authority); a != agency {
		d.Procedure.Authority = a
	}
	// The rows are read from the raw fields: the cleaned text above has
	// lost the table headers that mark where the rows start.
	corpus.ParseProcedure(corpus.ProcedureFields{
		Methods: p.Methods, Documents: p.Documents, LegalBasis: p.LegalBasis, Result: p.Result,
	}).Apply(d.Procedure)
	return d
}

// clean normalises a field: NFC, trimmed lines, and the portal's
// placeholder for an empty field removed.
func clean(s string) string {
	s = corpus.NFC(strings.TrimSpace(s))
	if s == "Không có thông tin" || s == "Không" {
		return ""
	}
	var lines []string
	for _, ln := range strings.Split(s, "\n") {
		if ln = strings.TrimSpace(ln); ln != "" {
			lines = append(lines, ln)
		}
	}
	return strings.Join(lines, "\n")
}

// The portal's tables were flattened without separators; these put the
// rows back on lines of their own where the column headers make it clear.
var (
	reMethodRow = regexp.MustCompile(`(Trực tuyến|Trực tiếp|Dịch vụ bưu chính)`)
	reDocRow    = regexp.MustCompile(`(\d+ (?:bản chính|bản sao|Bản chính|Bản sao)[^-]*?)-\s*`)
	reLawRow    = regexp.MustCompile(`(\d+/\d{4}/[\p{L}\d\-]+)`)
)

func cleanMethods(s string) (methods, fees string) {
	s = clean(s)
	s = strings.TrimPrefix(s, "Hình thức nộpThời gianPhí, lệ phíMô tả")
	s = reMethodRow.ReplaceAllString(s, "\n$1: ")
	s = strings.TrimSpace(s)
	var feeLines []string
	for _, ln := range strings.Split(s, "\n") {
		if strings.Contains(ln, "phí") || strings.Contains(ln, "Phí") || strings.Contains(ln, "đồng") {
			feeLines = append(feeLines, strings.TrimSpace(ln))
		}
	}
	return s, strings.Join(feeLines, "\n")
}

func cleanDocuments(s string) string {
	s = clean(s)
	s = strings.ReplaceAll(s, "Tên giấy tờMẫu đơn, tờ khaiSố lượng", "\n")
	s = reDocRow.ReplaceAllString(s, "$1\n- ")
	return strings.TrimSpace(s)
}

func cleanLegalBasis(s string) string {
	s = clean(s)
	s = strings.TrimPrefix(s, "Tên văn bản pháp lýMã văn bản")
	s = reLawRow.ReplaceAllString(s, " ($1)\n")
	return strings.TrimSpace(s)
}

func cleanResult(s string) string {
	s = clean(s)
	if i := strings.Index(s, "Chọn cơ quan thực hiện"); i >= 0 {
		s = s[:i]
	}
	s = strings.ReplaceAll(s, "Từ khóaKhông có thông tin", "")
	s = strings.ReplaceAll(s, "Mô tảKhông có thông tin", "")
	return strings.TrimSpace(s)
}

func openFile(path string) (*os.File, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, head[:n], nil
}
