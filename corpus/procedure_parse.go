package corpus

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The national public-service portal publishes a procedure's ways to
// submit, its documents and its legal bases as tables; the dump keeps
// only the cells' text run together ("Trực tuyến1Miễn phíDịch vụ bưu
// chính1Miễn phí…"). The parsers below put the rows back from what the
// columns look like: a channel's name followed at once by its time, a
// quantity ("1 bản chính") closing a document's row, a document number
// ("123/2015/NĐ-CP") closing a legal basis's row. Each returns the rows
// and, when the field could not be read entirely, a short problem that
// names what was left over; the rows read so far are still returned.

// ProcedureParseVersion changes whenever the parsers read a field
// differently, so that stored procedures are parsed again.
const ProcedureParseVersion = 1

// ProcedureChannel is one way to submit an application: the channel, how
// long the answer takes and what it costs.
type ProcedureChannel struct {
	Channel string `json:"channel"`        // "Trực tiếp", "Trực tuyến", "Dịch vụ bưu chính"
	Time    string `json:"time,omitempty"` // "3 ngày làm việc"; "" when the portal gives none
	Fee     string `json:"fee,omitempty"`  // "Miễn phí", "7.000 đồng"; "" when the portal gives none
	Note    string `json:"note,omitempty"` // the portal's description of the row
}

// ProcedurePaper is one row of the application file: a document, the form
// to fill in where there is one, and how many originals and copies.
// A row that asks for nothing (all counts zero) is a note about the file.
type ProcedurePaper struct {
	Group     string `json:"group,omitempty"` // "Giấy tờ phải nộp", "Giấy tờ phải xuất trình", "Lưu ý"…
	Name      string `json:"name"`
	Form      string `json:"form,omitempty"` // mẫu đơn, tờ khai: the portal's file name
	Originals int    `json:"originals,omitempty"`
	Copies    int    `json:"copies,omitempty"`
	Scans     int    `json:"scans,omitempty"` // bản chụp
}

// IsNote reports whether the row asks for no document: the portal lists
// conditions and remarks as rows of quantity zero.
func (p ProcedurePaper) IsNote() bool { return p.Originals == 0 && p.Copies == 0 && p.Scans == 0 }

// Quantity says how many of the document to bring: "1 bản chính, 1 bản sao".
func (p ProcedurePaper) Quantity() string {
	var parts []string
	if p.Originals > 0 {
		parts = append(parts, strconv.Itoa(p.Originals)+" bản chính")
	}
	if p.Copies > 0 {
		parts = append(parts, strconv.Itoa(p.Copies)+" bản sao")
	}
	if p.Scans > 0 {
		parts = append(parts, strconv.Itoa(p.Scans)+" bản chụp")
	}
	return strings.Join(parts, ", ")
}

// LegalBase is one document a procedure rests on: its title as the portal
// gives it and its number (số hiệu), by which the library finds the law.
type LegalBase struct {
	Title  string `json:"title"`
	Number string `json:"number,omitempty"`
}

// ProcedureResult is what the applicant receives.
type ProcedureResult struct {
	Name string `json:"name"`
	Code string `json:"code,omitempty"` // the portal's result code, "KQ.G15.000031"
	Note string `json:"note,omitempty"`
}

// ProcedureFields are the portal's flattened fields that ParseProcedure reads.
type ProcedureFields struct {
	Methods    string // cach_thuc_thuc_hien
	Documents  string // thanh_phan_ho_so
	LegalBasis string // can_cu_phap_ly
	Result     string // ket_qua_xu_ly
}

// ProcedureParse is what ParseProcedure read from one procedure, with a
// problem per field that was not read entirely ("" when it was, or when
// the field is empty).
type ProcedureParse struct {
	Channels []ProcedureChannel
	Papers   []ProcedurePaper
	Bases    []LegalBase
	Results  []ProcedureResult

	ChannelsProblem, PapersProblem, BasesProblem string
}

// ParseProcedure reads the structured rows out of a procedure's fields.
func ParseProcedure(f ProcedureFields) ProcedureParse {
	var out ProcedureParse
	out.Channels, out.ChannelsProblem = ParseChannels(f.Methods)
	out.Papers, out.PapersProblem = ParsePapers(f.Documents)
	out.Bases, out.BasesProblem = ParseLegalBases(f.LegalBasis)
	out.Results = ParseResults(f.Result)
	return out
}

// Apply stores the parsed rows on p.
func (pp ProcedureParse) Apply(p *Procedure) {
	p.Channels, p.Papers, p.Bases, p.Results = pp.Channels, pp.Papers, pp.Bases, pp.Results
}

const noInfo = "Không có thông tin"

// emptyField reports whether a portal field says nothing.
func emptyField(s string) bool {
	s = strings.TrimSpace(s)
	return s == "" || s == noInfo || s == "Không"
}

// EmptyProcedureField reports whether a raw portal field says nothing: it
// is blank, the portal's "Không có thông tin", or a table's header alone.
func EmptyProcedureField(s string) bool {
	s = NFC(strings.TrimSpace(s))
	for _, h := range []string{methodsHeader, papersHeader, basesHeader} {
		s = strings.TrimSpace(strings.ReplaceAll(s, h, ""))
	}
	return emptyField(strings.Trim(s, "*-–: "))
}

// tidy collapses runs of white space (the dump has stray zero-width marks
// and doubled spaces) and trims.
func tidy(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\ufeff':
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// ---- ways to submit ----

const methodsHeader = "Hình thức nộpThời gianPhí, lệ phíMô tả"

var (
	// A row starts where a channel's name runs straight into the next
	// cell; in a description the name is followed by a space or a colon.
	reChannel = regexp.MustCompile(`(Trực tuyến|Trực tiếp|Dịch vụ bưu chính)[\p{L}\d]`)
	reTime    = regexp.MustCompile(`^(\d+(?:[.,]\d+)?)\s*(Ngày làm việc|Ngày|Giờ làm việc|Giờ|Tháng|Năm|Phút)?`)
	reAmount  = regexp.MustCompile(`^(\d[\d.,]*)\s*(Việt Nam Đồng|VNĐ|Đồng|đồng|USD)`)
	// A time in words ("Không quy định") ends where the fee cell starts.
	reFeeCell = regexp.MustCompile(`Miễn phí|Không có thông tin|\d[\d.,]*\s*(?:Việt Nam Đồng|VNĐ|Đồng|đồng|USD)`)
)

// ParseChannels reads the "Cách thức thực hiện" table: channel, time, fee,
// description.
func ParseChannels(s string) ([]ProcedureChannel, string) {
	s = NFC(strings.TrimSpace(s))
	if emptyField(s) {
		return nil, ""
	}
	rest, ok := strings.CutPrefix(s, methodsHeader)
	if !ok {
		return nil, "không có dòng tiêu đề của bảng (no table header)"
	}
	starts := reChannel.FindAllStringSubmatchIndex(rest, -1)
	if len(starts) == 0 {
		if emptyField(rest) {
			return nil, ""
		}
		return nil, "không có hình thức nộp nào (no channel): " + clip(rest)
	}
	var problem string
	if lead := strings.TrimSpace(rest[:starts[0][0]]); lead != "" {
		problem = "chữ trước hình thức nộp đầu tiên (text before the first channel): " + clip(lead)
	}
	var out []ProcedureChannel
	for i, m := range starts {
		end := len(rest)
		if i+1 < len(starts) {
			end = starts[i+1][0]
		}
		c := ProcedureChannel{Channel: rest[m[2]:m[3]]}
		cell := rest[m[3]:end]
		var timeOK, feeOK bool
		// An amount right after the channel is the fee of a row without a
		// time: "Trực tiếp50,000 VNĐ".
		if reAmount.MatchString(cell) {
			timeOK = true
		} else if tm := reTime.FindStringSubmatchIndex(cell); tm != nil {
			c.Time = cell[tm[2]:tm[3]]
			if tm[4] >= 0 {
				c.Time += " " + strings.ToLower(cell[tm[4]:tm[5]])
			}
			cell, timeOK = cell[tm[1]:], true
		} else if after, ok := strings.CutPrefix(cell, noInfo); ok {
			cell, timeOK = after, true
		} else if fm := reFeeCell.FindStringIndex(cell); fm != nil && fm[0] > 0 && utf8.RuneCountInString(cell[:fm[0]]) <= 80 {
			c.Time, cell, timeOK = tidy(cell[:fm[0]]), cell[fm[0]:], true
			if c.Time == "Không" {
				c.Time = ""
			}
		}
		cell = strings.TrimLeft(cell, " ")
		switch {
		case strings.HasPrefix(cell, "Miễn phí"):
			c.Fee, cell, feeOK = "Miễn phí", cell[len("Miễn phí"):], true
		case strings.HasPrefix(cell, noInfo):
			cell, feeOK = cell[len(noInfo):], true
		default:
			if am := reAmount.FindStringSubmatchIndex(cell); am != nil {
				unit := "đồng"
				if cell[am[4]:am[5]] == "USD" {
					unit = "USD"
				}
				c.Fee, cell, feeOK = formatAmount(cell[am[2]:am[3]])+" "+unit, cell[am[1]:], true
			}
		}
		c.Note = unwrap(tidy(cell))
		if emptyField(c.Note) {
			c.Note = ""
		}
		if (!timeOK || !feeOK) && problem == "" {
			problem = "không đọc được thời gian hoặc phí của dòng (no time or fee in row) " +
				strconv.Itoa(i+1) + ": " + clip(c.Channel+rest[m[3]:end])
		}
		out = append(out, c)
	}
	return out, problem
}

// formatAmount writes an amount the Vietnamese way, "7.000" for the
// portal's "7,000".
func formatAmount(a string) string {
	digits := strings.NewReplacer(",", "", ".", "").Replace(a)
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	for i, r := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// unwrap removes the parentheses the portal puts around a whole description.
func unwrap(s string) string {
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") && strings.Count(s, "(") == 1 {
		return strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

// ---- documents ----

const papersHeader = "Tên giấy tờMẫu đơn, tờ khaiSố lượng"

var (
	// A quantity closes a row; the portal writes one or two ("1 bản
	// chính1 bản sao") in the last cell.
	reQuantity = regexp.MustCompile(`(\d+) ?([Bb]ản (?:chính|sao|chụp))`)
	reFormFile = regexp.MustCompile(`(?i)\.(?:docx?|pdf|xlsx?|odt|rtf|rar|zip|jpe?g|png)$`)
)

// ParsePapers reads the "Thành phần hồ sơ" tables: groups of documents,
// each with its form and quantity.
func ParsePapers(s string) ([]ProcedurePaper, string) {
	s = NFC(strings.TrimSpace(s))
	if emptyField(s) {
		return nil, ""
	}
	chunks := strings.Split(s, papersHeader)
	if len(chunks) == 1 {
		return nil, "không có dòng tiêu đề của bảng (no table header): " + clip(s)
	}
	var out []ProcedurePaper
	var problem string
	group := groupName(chunks[0])
	if group == "" && !emptyLabel(chunks[0]) {
		problem = "chữ trước bảng đầu tiên (text before the first table): " + clip(chunks[0])
	}
	for ci, chunk := range chunks[1:] {
		last := ci == len(chunks)-2
		qs := reQuantity.FindAllStringSubmatchIndex(chunk, -1)
		from := 0
		for i := 0; i < len(qs); {
			p := ProcedurePaper{Group: group}
			text := chunk[from:qs[i][0]]
			// Quantities that follow each other belong to one row.
			j := i
			for ; j < len(qs) && (j == i || strings.Trim(chunk[qs[j-1][1]:qs[j][0]], " ,;+") == ""); j++ {
				n, _ := strconv.Atoi(chunk[qs[j][2]:qs[j][3]])
				// The same kind twice ("1 bản chính+ 01 bản chính") is the
				// portal repeating itself, not a second copy.
				switch strings.ToLower(chunk[qs[j][4]:qs[j][5]]) {
				case "bản chính":
					p.Originals = max(p.Originals, n)
				case "bản sao":
					p.Copies = max(p.Copies, n)
				default:
					p.Scans = max(p.Scans, n)
				}
			}
			from = qs[j-1][1]
			i = j
			p.Name, p.Form = splitForm(tidy(text))
			// The portal's list marks say nothing once the rows are rows.
			p.Name = strings.TrimSpace(strings.TrimLeft(p.Name, "-–+•* "))
			if p.Name == "" && p.Form == "" {
				if problem == "" {
					problem = "dòng không có tên giấy tờ (row without a name) in table " + strconv.Itoa(ci+1)
				}
				continue
			}
			if p.Name == "" {
				p.Name = p.Form
			}
			out = append(out, p)
		}
		tail := chunk[from:]
		if last {
			if !emptyLabel(tail) && problem == "" {
				problem = "chữ sau dòng cuối (text after the last row): " + clip(tail)
			}
			break
		}
		group = groupName(tail)
		if group == "" && !emptyLabel(tail) && problem == "" {
			problem = "chữ giữa hai bảng không phải tên nhóm (text between tables is not a group name): " + clip(tail)
		}
	}
	if len(out) == 0 && problem == "" {
		problem = "không có dòng nào (no rows)"
	}
	return out, problem
}

// groupName reads the caption the portal puts above a table of documents:
// "* Giấy tờ phải nộp:" → "Giấy tờ phải nộp", or the case the table is
// for ("- Trường hợp … hồ sơ gồm:"). Text longer than a paragraph is not a
// caption but cells out of place.
func groupName(s string) string {
	s = tidy(s)
	s = strings.Trim(s, "*-–: ")
	if s == "" || utf8.RuneCountInString(s) > maxCaption {
		return ""
	}
	return s
}

const maxCaption = 400

func emptyLabel(s string) bool {
	return strings.Trim(tidy(s), "*-–:. ") == ""
}

// splitForm separates a row's name from the form's file name that the
// portal runs into it: "Tờ khai (mẫu NA17)Mau NA17.doc".
func splitForm(s string) (name, form string) {
	s = strings.TrimSpace(s)
	if !reFormFile.MatchString(s) {
		return s, ""
	}
	// The file name starts after the last sentence end, closing bracket or
	// glued word boundary before its extension.
	dot := strings.LastIndexByte(s, '.')
	stop, glue := -1, -1
	prev := rune(0)
	for i, r := range s[:dot] {
		switch {
		case r == ')' || r == ';' || r == ':':
			stop = i + 1
		case r == '.' && !unicode.IsDigit(prev):
			stop = i + 1
		case unicode.IsUpper(r) && unicode.IsLower(prev):
			glue = i
		}
		prev = r
	}
	cut := stop
	if cut <= 0 {
		cut = glue
	}
	// A form's name run into a code before it: "…155/2020/NĐ-CPMẫu số 07.docx".
	for _, w := range []string{"Mẫu", "Mau", "Phụ lục", "Biểu mẫu"} {
		if stop > 0 {
			break
		}
		if i := strings.LastIndex(s[:dot], w); i > 0 && i > cut {
			if p, _ := utf8.DecodeLastRuneInString(s[:i]); unicode.IsLetter(p) {
				cut = i
			}
		}
	}
	if cut <= 0 {
		// Nothing tells the name from the file: the row is its form.
		return "", s
	}
	return strings.TrimSpace(s[:cut]), strings.TrimSpace(s[cut:])
}

// ---- legal bases ----

const basesHeader = "Tên văn bản pháp lýMã văn bản"

// reDocNumber matches a document number: "85/2019/TT-BTC", "66.7/2025/NQ-CP",
// "60/2014/QH13", "01/VBHN-VPQH". The issuer's part is spelled out so that
// a number run into the next title ("…/NĐ-CPNghị định") ends where it should.
var reDocNumber = regexp.MustCompile(`\d+[a-z]?(?:\.\d+)?/(?:(?:19|20)\d\d/)?` +
	`(?:(?:UBTVQH|QH|L-CTN)\d{0,2}|[A-ZĐ]+(?:(?:- ?|/)(?:(?:UBTVQH|QH)\d\d|TTg|[A-ZĐ&]+))+)`)

// ParseLegalBases reads the "Căn cứ pháp lý" table: each row a title and
// a number. A number inside a title is followed by a space or a stop; the
// number column runs straight into the next title.
func ParseLegalBases(s string) ([]LegalBase, string) {
	s = NFC(strings.TrimSpace(s))
	if emptyField(s) {
		return nil, ""
	}
	rest, ok := strings.CutPrefix(s, basesHeader)
	if !ok {
		rest = strings.TrimLeft(s, ": ")
	}
	ms := reDocNumber.FindAllStringIndex(rest, -1)
	for i := range ms {
		ms[i][1] = numberEnd(rest, ms[i][0], ms[i][1])
	}
	var rows []LegalBase
	from := 0
	for i, m := range ms {
		end, ok := rowEnd(rest, m[0], m[1])
		if !ok {
			continue
		}
		// A title that ends in its own number is followed at once by the
		// number column: "Luật 60/2014/QH1360/2014/QH13".
		if i+1 < len(ms) && ms[i+1][0] == m[1] && rest[m[0]:m[1]] == rest[ms[i+1][0]:ms[i+1][1]] {
			continue
		}
		title := trimNumberLabel(strings.TrimLeft(tidy(rest[from:m[0]]), "-–+• "))
		number := rest[m[0]:m[1]]
		from = end
		// A title that is the number alone is followed by the number
		// column "Số 61/2025/TT-NHNN": one row, not two.
		if n := len(rows); n > 0 && strings.EqualFold(title, "số") && rows[n-1].Number == number {
			continue
		}
		switch {
		case title == "":
			title = number
		case isDocType(title):
			// The portal's title is the type alone: "Luật" + "28/2023/QH15".
			title += " " + number
		}
		rows = append(rows, LegalBase{Title: title, Number: number})
	}
	if tail := strings.TrimLeft(tidy(rest[from:]), "-–+• "); tail != "" {
		rows = append(rows, LegalBase{Title: tail})
	}
	// A row whose number cell was empty runs into the next title:
	// "…Bộ Nông nghiệp và Môi trườngNghị định số 33/2026/NĐ-CP…".
	var out []LegalBase
	for _, r := range rows {
		parts := splitGlued(r.Title)
		for k, t := range parts {
			b := LegalBase{Title: t}
			if k == len(parts)-1 {
				b.Number = r.Number
			}
			if b.Number == "" {
				if m := reDocNumber.FindStringIndex(t); m != nil {
					b.Number = t[m[0]:numberEnd(t, m[0], m[1])]
				}
			}
			out = append(out, b)
		}
	}
	for i, b := range out {
		switch {
		case b.Title != b.Number && len(strings.Fields(b.Title)) < 2:
			return out, "dòng " + strconv.Itoa(i+1) + " có tên quá ngắn (title too short): " + clip(b.Title)
		case truncatedDocType(b.Title):
			return out, "dòng " + strconv.Itoa(i+1) + " bắt đầu giữa chừng (row starts mid-word): " + clip(b.Title)
		case reGluedNumber.MatchString(b.Title):
			return out, "dòng " + strconv.Itoa(i+1) + " có số hiệu dính vào chữ (a number run into the title): " + clip(b.Title)
		case b.Number == "" && !startsWithDocType(b.Title):
			return out, "dòng " + strconv.Itoa(i+1) + " không có số hiệu (row without a number): " + clip(b.Title)
		}
	}
	if len(out) == 0 {
		return nil, "không có dòng nào (no rows): " + clip(rest)
	}
	return out, ""
}

// reGluedNumber finds a number run into the letters before it inside a
// title, the mark of a row boundary that was missed.
var reGluedNumber = regexp.MustCompile(`\p{L}\d+(?:\.\d+)?/(?:19|20)\d\d/`)

// numberEnd corrects where a number ends when the next title starts with
// capitals that the issuer's part took: "…/TT-BCAThông tư" matches
// "TT-BCAT", "…/TT-BCALUẬT" matches "TT-BCALU".
func numberEnd(s string, start, end int) int {
	for k := 1; k <= 3 && end-k > start; k++ {
		rest := s[end-k:]
		for _, w := range docTypes {
			if strings.HasPrefix(rest, w) || strings.HasPrefix(rest, strings.ToUpper(w)) {
				return end - k
			}
		}
	}
	// A capital followed by a small letter starts a word: "…/NĐ-CPQuy định";
	// but "…/TT-NHNNsố" keeps its N, as no Vietnamese word starts "Ns".
	r, _ := utf8.DecodeRuneInString(s[end:])
	p, _ := utf8.DecodeLastRuneInString(s[:end])
	if unicode.IsLower(r) && unicode.IsUpper(p) && wordStart(p, r) && !strings.HasSuffix(s[:end], "TTg") && end-1 > start {
		if seg := s[strings.LastIndexAny(s[:end], "-/")+1 : end]; len(seg) > 2 {
			return end - 1
		}
	}
	return end
}

// wordStart reports whether a word may start with the letters a, b: a
// vowel after the first letter, or one of the consonant pairs (ch, gh, kh,
// ng, nh, ph, qu, th, tr).
func wordStart(a, b rune) bool {
	if strings.ContainsRune("aăâeêioôơuưyáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ", b) {
		return true
	}
	pair := strings.ToLower(string(a)) + string(b)
	for _, p := range []string{"ch", "gh", "gi", "kh", "ng", "nh", "ph", "qu", "th", "tr"} {
		if pair == p {
			return true
		}
	}
	return false
}

// rowEnd reports whether a number ending at i ends a row — the string ends
// there, or the next title starts at once without a space — and where the
// next row starts: after the stops the portal sometimes leaves
// ("…/NĐ-CP.Nghị định").
func rowEnd(s string, start, i int) (int, bool) {
	j := i
	for j < len(s) && strings.IndexByte(".,; \t\r\n", s[j]) >= 0 {
		j++
	}
	if j == len(s) {
		return j, true
	}
	r, _ := utf8.DecodeRuneInString(s[j:])
	if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
		return 0, false
	}
	// After a space a number ends a row only when it was run into the
	// title before it and a capital follows ("…Bộ Tư pháp18/2026/NĐ-CP
	// Nghị định…"); "…/QH13 ngày" and "số 12/2015/NĐ-CP. Quy định" stay
	// inside a title.
	if strings.ContainsAny(s[i:j], " \t\r\n") {
		p, _ := utf8.DecodeLastRuneInString(s[:start])
		if !unicode.IsLetter(p) || !unicode.IsUpper(r) {
			return 0, false
		}
	}
	return j, true
}

// trimNumberLabel removes the number column's own words run into the end of
// a title: "…Bộ Tư phápThông tư số" (the column said "Thông tư số 03/2023/TT-BTP").
func trimNumberLabel(t string) string {
	for _, w := range []string{"Thông tư liên tịch số", "Thông tư số", "Nghị định số", "Quyết định số", "Nghị quyết số", "Luật số", "Thông tư", "Nghị định", "Quyết định", "Nghị quyết", "Luật", "số"} {
		if strings.HasSuffix(t, w) {
			head := strings.TrimSuffix(t, w)
			r, _ := utf8.DecodeLastRuneInString(head)
			if head != "" && (unicode.IsLower(r) || r == '.' || r == ')') {
				return strings.TrimSpace(head)
			}
		}
	}
	return t
}

// splitGlued cuts a title where two cells run together: a small letter
// followed at once by a document's type ("…Môi trườngNghị định…").
func splitGlued(t string) []string {
	var out []string
	from := 0
	for i := 1; i < len(t); i++ {
		if !utf8.RuneStart(t[i]) {
			continue
		}
		p, _ := utf8.DecodeLastRuneInString(t[:i])
		if !unicode.IsLower(p) {
			continue
		}
		for _, w := range docTypes {
			if strings.HasPrefix(t[i:], w) {
				if head := strings.TrimSpace(t[from:i]); head != "" {
					out = append(out, head)
				}
				from = i
				break
			}
		}
	}
	return append(out, strings.TrimSpace(t[from:]))
}

// truncatedDocType reports whether t starts with a document's type that
// lost its first letters to the number before it: "hông tư số 06/2025…".
func truncatedDocType(t string) bool {
	for _, w := range docTypes {
		for _, form := range []string{w, strings.ToUpper(w)} {
			_, n := utf8.DecodeRuneInString(form)
			if strings.HasPrefix(t, form[n:]) && len(form[n:]) >= 3 {
				return true
			}
		}
	}
	return false
}

func isDocType(t string) bool {
	for _, w := range docTypes {
		if strings.EqualFold(t, w) {
			return true
		}
	}
	return false
}

func startsWithDocType(t string) bool {
	f := Fold(t)
	for _, w := range docTypes {
		if strings.HasPrefix(f, Fold(w)) {
			return true
		}
	}
	return false
}

var docTypes = []string{"Luật", "Bộ luật", "Nghị định", "Nghị quyết", "Thông tư", "Quyết định", "Pháp lệnh", "Hiến pháp", "Chỉ thị", "Văn bản hợp nhất", "Công văn", "Hướng dẫn", "Quy định", "Sửa đổi"}

// ---- result ----

var reResultCode = regexp.MustCompile(`Mã: ?(KQ[.\-][A-Z]\d+\.\d+)`)

// ParseResults reads "Kết quả thực hiện": one or more results, each with
// the portal's code, without the portal's search form that follows them.
func ParseResults(s string) []ProcedureResult {
	s = NFC(strings.TrimSpace(s))
	if i := strings.Index(s, "Chọn cơ quan thực hiện"); i >= 0 {
		s = s[:i]
	}
	if emptyField(s) {
		return nil
	}
	ms := reResultCode.FindAllStringSubmatchIndex(s, -1)
	if len(ms) == 0 {
		return []ProcedureResult{{Name: tidy(s)}}
	}
	var out []ProcedureResult
	var tail string
	name := s[:ms[0][0]]
	for i, m := range ms {
		r := ProcedureResult{Name: tidy(name), Code: s[m[2]:m[3]]}
		end := len(s)
		if i+1 < len(ms) {
			end = ms[i+1][0]
		}
		// After the code come "Từ khóa…Mô tả…" and then, unmarked, the
		// next result's name: it can be told apart only when the
		// description is the portal's "Không có thông tin".
		tail, name = s[m[1]:end], ""
		if !strings.HasPrefix(tail, "Từ khóa") {
			name = tail
		} else if k := strings.Index(tail, "Mô tả"); k >= 0 {
			desc := tail[k+len("Mô tả"):]
			if after, ok := strings.CutPrefix(desc, noInfo); ok {
				name = after
			} else {
				r.Note = tidy(desc)
			}
		}
		if r.Name == "" {
			r.Name = r.Code
		}
		out = append(out, r)
	}
	return out
}

// clip shortens s for a problem message.
func clip(s string) string {
	s = tidy(s)
	if utf8.RuneCountInString(s) <= 120 {
		return s
	}
	r := []rune(s)
	return string(r[:120]) + "…"
}
