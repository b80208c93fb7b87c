package corpus

import (
	"strings"
	"testing"
)

// lawOutline renders a tree as "kind:label[heading]" lines, one a node,
// indented by depth, to compare structures at a glance.
func lawOutline(ns []Node) string {
	var b strings.Builder
	var walk func(ns []Node, depth int)
	walk = func(ns []Node, depth int) {
		for _, n := range ns {
			b.WriteString(strings.Repeat("  ", depth) + string(n.Kind) + ":" + n.Label)
			if n.Heading != "" {
				b.WriteString("[" + n.Heading + "]")
			}
			b.WriteString(" @" + n.Anchor + "\n")
			walk(n.Children, depth+1)
		}
	}
	walk(ns, 0)
	return b.String()
}

func TestParseLawText(t *testing.T) {
	tests := []struct {
		name string
		text string
		want string
	}{
		{
			name: "parts, chapters, headings on the next line",
			text: `BỘ LUẬT
HÌNH SỰ
__
Căn cứ Hiến pháp;
Phần thứ nhất
NHỮNG QUY ĐỊNH CHUNG
Chương I
ĐIỀU KHOẢN CƠ BẢN
Điều 1. Nhiệm vụ
Bộ luật này quy định về tội phạm.
Điều 2. Cơ sở
1. Chỉ người nào phạm tội.
2. Chỉ pháp nhân.`,
			want: `mo-dau: @mo-dau
phan:thứ nhất[NHỮNG QUY ĐỊNH CHUNG] @phan-thu-nhat
  chuong:I[ĐIỀU KHOẢN CƠ BẢN] @chuong-i
    dieu:1[Nhiệm vụ] @dieu-1
    dieu:2[Cơ sở] @dieu-2
      khoan:1 @dieu-2/khoan-1
      khoan:2 @dieu-2/khoan-2
`,
		},
		{
			// vbpl.vn writes some articles with the Icelandic eth (U+00D0).
			name: "look-alike Ð starts an article",
			text: "Chương I\nX\nĐiều 316. Tội phá thai\nNội dung.\n\u00d0iều 317. Tội vi phạm quy định về vệ sinh an toàn thực phẩm\n1. \u00d0iều kiện.",
			want: `chuong:I[X] @chuong-i
  dieu:316[Tội phá thai] @dieu-316
  dieu:317[Tội vi phạm quy định về vệ sinh an toàn thực phẩm] @dieu-317
    khoan:1 @dieu-317/khoan-1
`,
		},
		{
			name: "point đ has its own anchor",
			text: "Điều 3. Nguyên tắc\n1. Đối với người phạm tội:\na) một;\nb) hai;\nc) ba;\nd) bốn;\nđ) năm;\ne) sáu.",
			want: `dieu:3[Nguyên tắc] @dieu-3
  khoan:1 @dieu-3/khoan-1
    diem:a @dieu-3/khoan-1/diem-a
    diem:b @dieu-3/khoan-1/diem-b
    diem:c @dieu-3/khoan-1/diem-c
    diem:d @dieu-3/khoan-1/diem-d
    diem:đ @dieu-3/khoan-1/diem-dd
    diem:e @dieu-3/khoan-1/diem-e
`,
		},
		{
			name: "a decision's articles have text, not headings",
			text: "QUYẾT ĐỊNH:\nĐiều 1. Phê duyệt quy hoạch với các chỉ tiêu sau:\n1. Diện tích\nĐiều 2. Quyết định này có hiệu lực kể từ ngày ký./.",
			want: `mo-dau: @mo-dau
dieu:1 @dieu-1
  khoan:1 @dieu-1/khoan-1
dieu:2 @dieu-2
`,
		},
		{
			name: "closing formula and signature leave the last article",
			text: "Điều 426. Hiệu lực thi hành\nBộ luật này có hiệu lực từ ngày 01 tháng 7 năm 2016.\n________\nBộ luật này đã được Quốc hội khóa XIII, kỳ họp thứ 10 thông qua ngày 27 tháng 11 năm 2015.\nCHỦ TỊCH QUỐC HỘI\nNguyễn Sinh Hùng",
			want: `dieu:426[Hiệu lực thi hành] @dieu-426
ket-thuc: @ket-thuc
`,
		},
		{
			name: "recipients, signature, then an annex",
			text: "Điều 3. Chánh Văn phòng chịu trách nhiệm thi hành Quyết định này./.\nNơi nhận:\n- Như Điều 3;\n- Lưu: VT.\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\nLê Minh Chiến\nTHỦ TỤC HÀNH CHÍNH ĐƯỢC CHUẨN HÓA\nPhần I. DANH MỤC THỦ TỤC HÀNH CHÍNH\n1 | Đăng ký đầu tư",
			want: `dieu:3 @dieu-3
ket-thuc: @ket-thuc
phu-luc: @phu-luc
`,
		},
		{
			// Price tables inside an article name their groups "CHƯƠNG I".
			name: "chapters after articles outside any chapter are text",
			text: "Điều 1. Bổ sung giá như sau:\nCHƯƠNG I: XE Ô TÔ DO CÁC HÃNG NHẬT BẢN SẢN XUẤT\n1 | TOYOTA | 500\nĐiều 2. Thi hành\nCác cơ quan thi hành.",
			want: `dieu:1 @dieu-1
dieu:2[Thi hành] @dieu-2
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nodes, err := ParseLawText(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if got := lawOutline(nodes); got != tt.want {
				t.Errorf("outline:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestParseLawTextKeepsText(t *testing.T) {
	nodes, err := ParseLawText("Điều 1. Phê duyệt kế hoạch sau:\nNội dung kế hoạch.\nĐiều 2. Hiệu lực\nCó hiệu lực.\nLuật này được Quốc hội thông qua ngày 12 tháng 6 năm 2018.\nCHỦ TỊCH QUỐC HỘI\nNguyễn Thị Kim Ngân\nPHỤ LỤC\nMẫu số 01")
	if err != nil {
		t.Fatal(err)
	}
	d := Document{Nodes: nodes}
	if a := d.Find("dieu-1"); a == nil || a.Text != "Phê duyệt kế hoạch sau:\nNội dung kế hoạch." {
		t.Errorf("dieu-1 = %+v", a)
	}
	if a := d.Find("dieu-2"); a == nil || a.Text != "Có hiệu lực." {
		t.Errorf("dieu-2 = %+v", a)
	}
	if c := d.Find("ket-thuc"); c == nil || c.Text != "Luật này được Quốc hội thông qua ngày 12 tháng 6 năm 2018.\nCHỦ TỊCH QUỐC HỘI\nNguyễn Thị Kim Ngân" {
		t.Errorf("closing = %+v", c)
	}
	if p := d.Find("phu-luc"); p == nil || p.Text != "PHỤ LỤC\nMẫu số 01" {
		t.Errorf("appendix = %+v", p)
	}
}

func TestParseLawTextNoArticle(t *testing.T) {
	if _, err := ParseLawText("CÔNG VĂN\nVề việc trả lời kiến nghị."); err == nil {
		t.Error("want an error for a text without articles")
	}
}

func TestParseArticlePointAnchors(t *testing.T) {
	a := ParseArticle("3", "Nguyên tắc\na) một;\nb) hai;\nc) ba;\nd) bốn;\nđ) năm.")
	var anchors []string
	for _, c := range a.Children {
		anchors = append(anchors, c.Anchor)
	}
	if want := "dieu-3/diem-a dieu-3/diem-b dieu-3/diem-c dieu-3/diem-d dieu-3/diem-dd"; strings.Join(anchors, " ") != want {
		t.Errorf("anchors = %v, want %s", anchors, want)
	}
}
