// Package corpus owns the library's document model — laws with their
// phần / chương / mục / điều / khoản / điểm structure, and administrative
// procedures — together with Vietnamese text normalisation (and the check
// of names the public sees, CleanName), legal-structure parsing, the
// references to laws that questions make (document numbers, "Điều N
// <law>", law names and their years), a law's number, year, entry into
// force and validity as its fields and its text give them (ReadLawFacts),
// passages for indexing, and the documents table.
package corpus

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Kind tells a law from an administrative procedure.
type Kind string

const (
	KindLaw       Kind = "law"
	KindProcedure Kind = "procedure"
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == KindLaw || k == KindProcedure }

// Document is one law or procedure as the library stores and shows it.
type Document struct {
	ID     string `json:"id"` // stable: a law's slug ("91-2015-qh13"), a procedure's code ("1.001193")
	Kind   Kind   `json:"kind"`
	Number string `json:"number,omitempty"` // số hiệu, e.g. "91/2015/QH13"
	Title  string `json:"title"`
	Type   string `json:"type,omitempty"`   // Bộ luật, Luật, Hiến pháp, Nghị định, Thủ tục hành chính…
	Issuer string `json:"issuer,omitempty"` // cơ quan ban hành
	// Dates are ISO 8601 (YYYY-MM-DD) where known.
	IssuedAt    string `json:"issued_at,omitempty"`
	EffectiveAt string `json:"effective_at,omitempty"`
	Status      string `json:"status,omitempty"` // tình trạng hiệu lực, e.g. "Còn hiệu lực"
	SourceURL   string `json:"source_url,omitempty"`
	// Aliases are the other names and numbers the same document arrived
	// under ("Bộ luật dân sự", "Bộ Luật Dân sự 2015", "91/2015/QH13").
	Aliases []string `json:"aliases,omitempty"`

	Nodes     []Node     `json:"nodes,omitempty"`     // a law's structure
	Procedure *Procedure `json:"procedure,omitempty"` // a procedure's fields

	Hash      string    `json:"hash"`
	UpdatedAt time.Time `json:"updated_at"`
}

// NodeKind is a level of the legal structure.
type NodeKind string

const (
	NodePhan   NodeKind = "phan"   // Phần
	NodeChuong NodeKind = "chuong" // Chương
	NodeMuc    NodeKind = "muc"    // Mục
	NodeDieu   NodeKind = "dieu"   // Điều
	NodeKhoan  NodeKind = "khoan"  // Khoản
	NodeDiem   NodeKind = "diem"   // Điểm
)

// Node is one element of a law's structure.
type Node struct {
	Kind    NodeKind `json:"kind"`
	Label   string   `json:"label"`             // "418", "1", "a", "II"
	Heading string   `json:"heading,omitempty"` // "Tội chiếm đoạt hoặc hủy hoại di vật của tử sỹ"
	// Text is the node's own text, without its children's: for an article the
	// lead-in before its clauses, for a clause the lead-in before its points.
	Text     string `json:"text,omitempty"`
	Anchor   string `json:"anchor"` // "dieu-418/khoan-1/diem-a", unique within the document
	Children []Node `json:"children,omitempty"`
}

// Procedure holds the fields of an administrative procedure (thủ tục hành chính).
type Procedure struct {
	Code         string `json:"code"`                   // mã thủ tục
	Decision     string `json:"decision,omitempty"`     // số quyết định công bố
	Field        string `json:"field,omitempty"`        // lĩnh vực
	Level        string `json:"level,omitempty"`        // cấp thực hiện
	Category     string `json:"category,omitempty"`     // loại thủ tục
	Subjects     string `json:"subjects,omitempty"`     // đối tượng thực hiện
	Agency       string `json:"agency,omitempty"`       // cơ quan có thẩm quyền / thực hiện
	Steps        string `json:"steps,omitempty"`        // trình tự thực hiện
	Methods      string `json:"methods,omitempty"`      // cách thức thực hiện (ways, time, fees)
	Documents    string `json:"documents,omitempty"`    // thành phần hồ sơ
	Requirements string `json:"requirements,omitempty"` // yêu cầu, điều kiện
	Result       string `json:"result,omitempty"`       // kết quả thực hiện
	LegalBasis   string `json:"legal_basis,omitempty"`  // căn cứ pháp lý
	Fees         string `json:"fees,omitempty"`         // phí, lệ phí where stated apart

	// The rows read out of the portal's flattened tables (ParseProcedure),
	// stored with the fields above, which stay the text that is indexed.
	Authority string             `json:"authority,omitempty"` // cơ quan có thẩm quyền, where it differs from Agency
	Address   string             `json:"address,omitempty"`   // địa chỉ tiếp nhận hồ sơ
	Channels  []ProcedureChannel `json:"channels,omitempty"`  // ways to submit, time and fee
	Papers    []ProcedurePaper   `json:"papers,omitempty"`    // the application file
	Bases     []LegalBase        `json:"bases,omitempty"`     // căn cứ pháp lý as (title, number)
	Results   []ProcedureResult  `json:"results,omitempty"`   // kết quả thực hiện
}

// Passage is the unit the indexes hold: an article, or one of its clauses
// when the article is long, or a section of a procedure — carrying the
// document title and heading as context.
type Passage struct {
	ID      string `json:"id"` // DocID + "#" + Anchor
	DocID   string `json:"doc_id"`
	Kind    Kind   `json:"kind"`
	Anchor  string `json:"anchor"`
	Title   string `json:"title"`   // the document's title
	Heading string `json:"heading"` // "Điều 418. Tội chiếm đoạt…" or "Thành phần hồ sơ"
	Text    string `json:"text"`
	// Context is searchable text that is not shown: aliases and numbers of
	// the document, the chapter heading.
	Context string `json:"context,omitempty"`
	Number  string `json:"number,omitempty"`
	Issuer  string `json:"issuer,omitempty"`
	Status  string `json:"status,omitempty"`
}

// ComputeHash returns the content hash of d: everything but Hash and
// UpdatedAt, so that an unchanged document hashes the same on every run.
func (d Document) ComputeHash() string {
	d.Hash = ""
	d.UpdatedAt = time.Time{}
	b, _ := json.Marshal(d)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Find returns the node with the given anchor, searching the whole tree.
func (d *Document) Find(anchor string) *Node {
	var walk func(ns []Node) *Node
	walk = func(ns []Node) *Node {
		for i := range ns {
			if ns[i].Anchor == anchor {
				return &ns[i]
			}
			if n := walk(ns[i].Children); n != nil {
				return n
			}
		}
		return nil
	}
	return walk(d.Nodes)
}

// Articles returns the document's articles (Điều) in order, wherever they sit
// in the tree.
func (d *Document) Articles() []*Node {
	var out []*Node
	var walk func(ns []Node)
	walk = func(ns []Node) {
		for i := range ns {
			if ns[i].Kind == NodeDieu {
				out = append(out, &ns[i])
				continue
			}
			walk(ns[i].Children)
		}
	}
	walk(d.Nodes)
	return out
}
