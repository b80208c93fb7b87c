package assistant

import (
	"strings"
	"testing"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
)

func TestQuestionForms(t *testing.T) {
	tests := []struct {
		q     string
		kind  qkind
		whole bool
	}{
		{"Người phạm tội làm gián điệp thì bị phạt như thế nào?", kindPenalty, false},
		{"Người bị kết án tử hình được ân giảm thì hình phạt tử hình được chuyển thành hình phạt gì?", kindPenalty, false},
		{"Việc chủ thể nắm giữ, chi phối tài sản được gọi là gì?", kindTerm, false},
		{"Theo Bộ luật Dân sự 2015, hoa lợi được hiểu như thế nào?", kindDefinition, true},
		{"Bộ luật Dân sự 2015 quy định thế nào về tuyên bố mất tích?", kindDefinition, true},
		{"Người bắt được gia súc bị thất lạc phải làm gì?", kindHow, false},
		{"Thành viên rút khỏi hợp đồng hợp tác có quyền gì?", kindHow, false},
		{"Đồng phạm là gì?", kindDefinition, false},
		{"Người tổ chức là ai?", kindDefinition, false},
		{"Ai có quyền khởi kiện?", kindAgent, false},
		{"Thời hạn cấm cư trú là từ bao nhiêu đến bao nhiêu năm?", kindNumber, false},
	}
	for _, tt := range tests {
		p := parseQuestion(tt.q)
		if p.kind != tt.kind || p.whole != tt.whole {
			t.Errorf("parseQuestion(%q): kind %d whole %v, want %d %v", tt.q, p.kind, p.whole, tt.kind, tt.whole)
		}
	}
}

// article is an article of a criminal law as a retrieved passage: a
// first clause, and a second whose penalty is stated in its lead-in and
// whose cases are points.
var article = retrieval.Hit{
	DocID: "bo-luat-hinh-su", PassageID: "p1", Kind: corpus.KindLaw, Anchor: "dieu-417",
	Heading: "Điều 417. Tội cố ý bỏ thương binh",
	Text: "1. Người nào có trách nhiệm mà cố ý bỏ thương binh tại trận địa, thì bị phạt cải tạo không giam giữ đến 03 năm hoặc phạt tù từ 06 tháng đến 05 năm.\n" +
		"2. Phạm tội thuộc một trong các trường hợp sau đây, thì bị phạt tù từ 03 năm đến 10 năm:\n" +
		"a) Là chỉ huy hoặc sĩ quan;\n" +
		"b) Đối với 02 người trở lên.",
}

func TestChooseSpanForms(t *testing.T) {
	// The aggravated case stated in one sentence, with no points: it
	// names only the case, the offence is the first clause's.
	wartime := article
	wartime.Text = "1. Người nào có trách nhiệm mà cố ý bỏ thương binh tại trận địa, thì bị phạt cải tạo không giam giữ đến 03 năm hoặc phạt tù từ 06 tháng đến 05 năm.\n" +
		"2. Phạm tội trong khu vực có chiến sự, thì bị phạt tù từ 03 năm đến 10 năm."
	definitions := retrieval.Hit{
		DocID: "bo-luat-dan-su", PassageID: "p2", Kind: corpus.KindLaw, Anchor: "dieu-105",
		Heading: "Điều 105. Chiếm hữu, hoa lợi",
		Text: "1. Chiếm hữu là việc chủ thể nắm giữ, chi phối tài sản một cách trực tiếp hoặc gián tiếp.\n" +
			"2. Hoa lợi là sản vật tự nhiên mà tài sản mang lại.",
	}
	otherRights := retrieval.Hit{
		DocID: "bo-luat-dan-su", PassageID: "p3", Kind: corpus.KindLaw, Anchor: "dieu-159",
		Heading: "Điều 159. Quyền khác đối với tài sản",
		Text: "1. Quyền khác đối với tài sản là quyền của chủ thể trực tiếp nắm giữ, chi phối tài sản thuộc quyền sở hữu của chủ thể khác.\n" +
			"2. Quyền khác đối với tài sản bao gồm:\n" +
			"a) Quyền đối với bất động sản liền kề;\n" +
			"b) Quyền hưởng dụng;\n" +
			"c) Quyền bề mặt.",
	}
	ownership := retrieval.Hit{
		DocID: "bo-luat-dan-su", PassageID: "p4", Kind: corpus.KindLaw, Anchor: "dieu-158",
		Heading: "Điều 158. Quyền sở hữu",
		Text:    "Quyền sở hữu bao gồm quyền chiếm hữu, quyền sử dụng và quyền định đoạt tài sản của chủ sở hữu theo quy định của luật.",
	}
	accounts := retrieval.Hit{
		DocID: "luat-an-ninh-mang", PassageID: "p5", Kind: corpus.KindLaw, Anchor: "dieu-26",
		Heading: "Điều 26. Bảo đảm an ninh thông tin trên không gian mạng",
		Text: "1. Doanh nghiệp cung cấp dịch vụ trên không gian mạng có trách nhiệm sau đây:\n" +
			"a) Xác thực thông tin khi người dùng đăng ký tài khoản số;\n" +
			"b) Bảo mật thông tin, tài khoản của người dùng.",
	}
	cooperation := retrieval.Hit{
		DocID: "luat-an-ninh-mang", PassageID: "p6", Kind: corpus.KindLaw, Anchor: "dieu-40",
		Heading: "Điều 40. Trách nhiệm của Bộ Công an",
		Text:    "Bộ Công an chịu trách nhiệm trước Chính phủ thực hiện hợp tác quốc tế về an ninh mạng.",
	}
	legalPerson := retrieval.Hit{
		DocID: "bo-luat-dan-su", PassageID: "p7", Kind: corpus.KindLaw, Anchor: "dieu-74",
		Heading: "Điều 74. Pháp nhân",
		Text: "1. Một tổ chức được công nhận là pháp nhân khi có đủ các điều kiện sau đây:\n" +
			"a) Được thành lập theo quy định của Bộ luật này, luật khác có liên quan;\n" +
			"b) Có tài sản độc lập với cá nhân, pháp nhân khác.\n" +
			"2. Mọi cá nhân, pháp nhân đều có quyền thành lập pháp nhân, trừ trường hợp luật có quy định khác.",
	}
	tests := []struct {
		name, q string
		hits    []retrieval.Hit
		short   string
		quote   string // a part the quote must hold
	}{
		// The point names the case, its lead-in the penalty.
		{"range from lead-in", "Người là chỉ huy hoặc sĩ quan mà cố ý bỏ thương binh tại trận địa thì bị phạt tù từ bao nhiêu đến bao nhiêu năm?",
			[]retrieval.Hit{article}, "từ 03 năm đến 10 năm", "a) Là chỉ huy hoặc sĩ quan"},
		{"penalty from lead-in", "Chỉ huy hoặc sĩ quan cố ý bỏ thương binh tại trận địa thì bị phạt như thế nào?",
			[]retrieval.Hit{article}, "phạt tù từ 03 năm đến 10 năm", "thì bị phạt tù từ 03 năm đến 10 năm:"},
		// The question also states the offence of the first clause; the
		// case it adds is the second clause's, which is read with the
		// first: its penalty is the answer.
		{"aggravated penalty", "Người nào có trách nhiệm mà cố ý bỏ thương binh tại trận địa trong khu vực có chiến sự thì bị phạt như thế nào?",
			[]retrieval.Hit{wartime}, "phạt tù từ 03 năm đến 10 năm", "Phạm tội trong khu vực có chiến sự"},
		{"number the question states is not the answer", "Cố ý bỏ thương binh đối với bao nhiêu người thì bị phạt tù từ 03 năm đến 10 năm?",
			[]retrieval.Hit{article}, "02 người trở lên", "02 người trở lên"},
		{"term", "Việc chủ thể nắm giữ, chi phối tài sản một cách trực tiếp hoặc gián tiếp được gọi là gì?",
			[]retrieval.Hit{definitions}, "Chiếm hữu", "Chiếm hữu là việc"},
		{"whole definition", "Theo Bộ luật Dân sự, hoa lợi của tài sản được hiểu như thế nào?",
			[]retrieval.Hit{definitions}, "Hoa lợi là sản vật tự nhiên mà tài sản mang lại.", "Hoa lợi là"},
		// The question names some items of a list; the answer is the one
		// it leaves out, from the points or from inside the sentence.
		{"point the question leaves out", "Quyền khác đối với tài sản bao gồm quyền đối với bất động sản liền kề, quyền bề mặt và quyền nào?",
			[]retrieval.Hit{otherRights}, "Quyền hưởng dụng", "Quyền"},
		{"item the question leaves out", "Quyền sở hữu bao gồm quyền sử dụng, quyền định đoạt tài sản và quyền nào của chủ sở hữu?",
			[]retrieval.Hit{ownership}, "quyền chiếm hữu", "quyền chiếm hữu"},
		// "an" of the question's "an ninh" is another word in "Bộ Công
		// an": the answer runs to the end of the name.
		{"name not cut at a question syllable", "Cơ quan nào chịu trách nhiệm trước Chính phủ thực hiện hợp tác quốc tế về an ninh mạng?",
			[]retrieval.Hit{cooperation}, "Bộ Công an", "Bộ Công an chịu"},
		// The lead-in announces the conditions the question asks for as
		// cases: its points are the answer, not the gap it leaves.
		{"cases the lead-in announces", "Một tổ chức được công nhận là pháp nhân trong trường hợp nào?",
			[]retrieval.Hit{legalPerson}, "a) Được thành lập theo quy định của Bộ luật này, luật khác có liên quan;\nb) Có tài sản độc lập với cá nhân, pháp nhân khác.",
			"khi có đủ các điều kiện sau đây:\na)"},
		// The label "a)" of a point is not an answer.
		{"span after the point label", "Doanh nghiệp cần làm gì khi có người dùng đăng ký tài khoản số?",
			[]retrieval.Hit{accounts}, "Xác thực thông tin", "a) Xác thực thông tin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := chooseSpan(tt.q, tt.q, tt.hits, DefaultReaderWeights)
			if !e.supported {
				t.Fatalf("unsupported")
			}
			if e.short != tt.short {
				t.Errorf("short = %q, want %q", e.short, tt.short)
			}
			if !strings.Contains(e.quote, tt.quote) || !strings.Contains(tt.hits[e.hit].Text, e.quote) {
				t.Errorf("quote %q: want a verbatim run of the passage holding %q", e.quote, tt.quote)
			}
		})
	}
}

func TestTrimSpan(t *testing.T) {
	for in, want := range map[string]string{
		"về Nhà nước":              "Nhà nước",
		"vào ngân sách nhà nước":   "ngân sách nhà nước",
		"thời điểm mở thừa kế thì": "thời điểm mở thừa kế",
		"từ thời điểm mở thừa kế":  "từ thời điểm mở thừa kế",
		"là":                       "là",
	} {
		toks := corpus.Tokenize(in)
		i, j := trimSpan(in, toks, 0, len(toks))
		if got := in[toks[i].Start:toks[j-1].End]; got != want {
			t.Errorf("trimSpan(%q) = %q, want %q", in, got, want)
		}
	}
}

// "quy định như thế nào về tài sản hiện có": the sentence that defines the
// term — which ends in a function word, "có" — is the answer, not another
// that merely uses it.
func TestDefinitionOfATermEndingInAFunctionWord(t *testing.T) {
	uses := retrieval.Hit{DocID: "91/2015/QH13", PassageID: "p105", Kind: corpus.KindLaw, Anchor: "dieu-105", Title: "91/2015/QH13",
		Heading: "Điều 105. Tài sản",
		Text:    "1. Tài sản là vật, tiền, giấy tờ có giá và quyền tài sản.\n2. Tài sản bao gồm bất động sản và động sản. Bất động sản và động sản có thể là tài sản hiện có và tài sản hình thành trong tương lai.",
		Score:   1}
	defines := retrieval.Hit{DocID: "91/2015/QH13", PassageID: "p108", Kind: corpus.KindLaw, Anchor: "dieu-108", Title: "91/2015/QH13",
		Heading: "Điều 108. Tài sản hiện có và tài sản hình thành trong tương lai",
		Text:    "1. Tài sản hiện có là tài sản đã hình thành và chủ thể đã xác lập quyền sở hữu, quyền khác đối với tài sản trước hoặc tại thời điểm xác lập giao dịch.\n2. Tài sản hình thành trong tương lai bao gồm:\na) Tài sản chưa hình thành;",
		Score:   0.97}
	q := "Bộ luật Dân sự năm 2015 quy định như thế nào về tài sản hiện có?"
	e := chooseSpan(q, q, []retrieval.Hit{uses, defines}, DefaultReaderWeights)
	if e.hit != 1 || !strings.HasPrefix(e.quote, "1. Tài sản hiện có là") && !strings.HasPrefix(e.quote, "Tài sản hiện có là") {
		t.Errorf("answer from hit %d: %q; want the definition in Điều 108", e.hit, e.quote)
	}
}

// Two passages share the question's words; the one that holds its runs of
// three words ("có quyền yêu cầu bồi thường thiệt hại") answers, though
// retrieval put the other first.
func TestPassageHoldingTheQuestionsPhrasesAnswers(t *testing.T) {
	loose := retrieval.Hit{DocID: "91/2015/QH13", PassageID: "p1", Kind: corpus.KindLaw, Anchor: "dieu-1", Title: "91/2015/QH13",
		Heading: "Điều 1. Thiệt hại",
		Text:    "Thiệt hại về tài sản được bồi thường khi có yêu cầu của người có quyền.",
		Score:   1}
	close := retrieval.Hit{DocID: "91/2015/QH13", PassageID: "p2", Kind: corpus.KindLaw, Anchor: "dieu-2", Title: "91/2015/QH13",
		Heading: "Điều 2. Quyền yêu cầu",
		Text:    "Người bị thiệt hại có quyền yêu cầu bồi thường thiệt hại về tài sản.",
		Score:   0.7}
	q := "Ai có quyền yêu cầu bồi thường thiệt hại về tài sản?"
	hits := []retrieval.Hit{loose, close}
	rk := rankSentences(parseQuestion(q), hits, DefaultReaderWeights)
	if best := rk.sents[rk.order[0]]; best.hit != 1 {
		t.Errorf("best sentence from hit %d: %q; want the passage with the question's phrases", best.hit, hits[best.hit].Text)
	}
	if e := chooseSpan(q, q, hits, DefaultReaderWeights); e.hit != 1 {
		t.Errorf("answer from hit %d: %q; want the passage with the question's phrases", e.hit, e.quote)
	}
}
