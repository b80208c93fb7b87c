package assistant

import (
	"strings"
	"testing"

	"github.com/mattranso/mattranso/retrieval"
)

// Passages worded as the marriage and labour laws word them: a definition
// that names the age without giving it ranks above the article that gives
// it, as search ranks them.
var (
	marriageTerms = retrieval.Hit{DocID: "hngd", Anchor: "dieu-3", Title: "Luật Hôn nhân và gia đình 2014",
		Heading: "Điều 3. Giải thích từ ngữ — Khoản 8", Score: 1,
		Text: "8. Tảo hôn là việc lấy vợ, lấy chồng khi một bên hoặc cả hai bên chưa đủ tuổi kết hôn theo quy định tại điểm a khoản 1 Điều 8 của Luật này."}
	marriageConditions = retrieval.Hit{DocID: "hngd", Anchor: "dieu-8", Title: "Luật Hôn nhân và gia đình 2014",
		Heading: "Điều 8. Điều kiện kết hôn", Score: 0.25,
		Text: "1. Nam, nữ kết hôn với nhau phải tuân theo các điều kiện sau đây:\na) Nam từ đủ 20 tuổi trở lên, nữ từ đủ 18 tuổi trở lên;\nb) Việc kết hôn do nam và nữ tự nguyện quyết định;"}
	workBreaks = retrieval.Hit{DocID: "bllđ", Anchor: "dieu-109", Title: "Bộ luật Lao động 2019",
		Heading: "Điều 109. Nghỉ trong giờ làm việc", Score: 1,
		Text: "1. Người lao động làm việc theo thời giờ làm việc quy định tại Điều 105 của Bộ luật này từ 06 giờ trở lên trong một ngày thì được nghỉ giữa giờ ít nhất 30 phút liên tục, làm việc ban đêm thì được nghỉ giữa giờ ít nhất 45 phút liên tục."}
	workHours = retrieval.Hit{DocID: "bllđ", Anchor: "dieu-105", Title: "Bộ luật Lao động 2019",
		Heading: "Điều 105. Thời giờ làm việc bình thường", Score: 0.3,
		Text: "1. Thời giờ làm việc bình thường không quá 08 giờ trong 01 ngày và không quá 48 giờ trong 01 tuần."}
)

func TestTypedTier(t *testing.T) {
	for _, tt := range []struct {
		q, text string
		want    int
	}{
		{"Tuổi kết hôn của nữ là bao nhiêu tuổi?", marriageTerms.Text, 0},
		{"Tuổi kết hôn của nữ là bao nhiêu tuổi?", marriageConditions.Text, 1},
		{"Người chưa thành niên là người bao nhiêu tuổi?", "Người chưa thành niên là người chưa đủ mười tám tuổi.", 1},
		{"Một ngày làm việc tối đa mấy tiếng?", workHours.Text, 2},
		{"Một ngày làm việc tối đa mấy tiếng?", workBreaks.Text, 1},        // a lower bound in hours
		{"Một ngày làm việc tối đa mấy tiếng?", "nghỉ ít nhất 30 phút", 0}, // minutes, not hours
		{"Thời hiệu khởi kiện là bao lâu?", "Thời hiệu khởi kiện là 03 năm, kể từ ngày…", 1},
		{"Có bao nhiêu loại hợp đồng?", "Hợp đồng gồm 02 loại", 0}, // not a typed unit: no preference
	} {
		pq := parseQuestion(tt.q)
		unit := askedUnit(pq)
		got := 0
		if unit != "" {
			got = typedTier(pq, unit, tt.text)
		}
		if got != tt.want {
			t.Errorf("%q over %q: tier %d (unit %q), want %d", tt.q, tt.text, got, unit, tt.want)
		}
	}
}

// A number question is answered from the passage that states a number in
// the unit asked, though search ranks a definition naming the subject
// first: "Trả lời: 1" (the clause number) was the answer before.
func TestTypedAnswerComesFromTheNumber(t *testing.T) {
	for _, tt := range []struct {
		q      string
		hits   []retrieval.Hit
		anchor string
		short  string
	}{
		{"Tuổi kết hôn của nam là bao nhiêu?", []retrieval.Hit{marriageTerms, marriageConditions}, "dieu-8", "20 tuổi"},
		{"Nữ bao nhiêu tuổi thì được kết hôn?", []retrieval.Hit{marriageTerms, marriageConditions}, "dieu-8", "18 tuổi"},
		{"con gai bao nhieu tuoi thi duoc lay chong", []retrieval.Hit{marriageTerms, marriageConditions}, "dieu-8", "tuổi"},
		{"Thời giờ làm việc bình thường một ngày tối đa mấy tiếng?", []retrieval.Hit{workBreaks, workHours}, "dieu-105", "08 giờ"},
	} {
		_, plain := retrieval.DefaultThesaurus().Rewrite(tt.q)
		e := chooseSpan(plain, tt.q, tt.hits, DefaultReaderWeights)
		if !e.supported || !strings.HasPrefix(e.anchor, tt.anchor) || !strings.Contains(e.short, tt.short) {
			t.Errorf("%q: answered %q from %s (supported %v), want %q from %s", tt.q, e.short, e.anchor, e.supported, tt.short, tt.anchor)
		}
	}
	// Without the typed passage, the definition is still what the reader
	// reads: the preference reorders, it invents nothing.
	e := chooseSpan("Tuổi kết hôn của nam là bao nhiêu?", "Tuổi kết hôn của nam là bao nhiêu?", []retrieval.Hit{marriageTerms}, DefaultReaderWeights)
	if e.supported && !strings.HasPrefix(e.anchor, "dieu-3") {
		t.Errorf("answered from %s with one passage given", e.anchor)
	}
}

// An open question whose subject is an article's very heading is read
// from that article first, not from one whose heading holds the subject
// among other words.
func TestExactHeadingAnswersOpenQuestion(t *testing.T) {
	banned := retrieval.Hit{DocID: "pcbl", Anchor: "dieu-5", Title: "Luật Phòng, chống bạo lực gia đình 2022", Score: 1,
		Heading: "Điều 5. Các hành vi bị nghiêm cấm trong phòng, chống bạo lực gia đình",
		Text:    "1. Hành vi bạo lực gia đình quy định tại Điều 3 của Luật này.\n2. Cưỡng ép, kích động, xúi giục, giúp sức người khác thực hiện hành vi bạo lực gia đình.\n3. Trả thù, đe dọa trả thù người giúp đỡ người bị bạo lực gia đình, người báo tin, ngăn chặn hành vi bạo lực gia đình."}
	acts := retrieval.Hit{DocID: "pcbl", Anchor: "dieu-3", Title: "Luật Phòng, chống bạo lực gia đình 2022", Score: 0.7,
		Heading: "Điều 3. Hành vi bạo lực gia đình",
		Text:    "1. Hành vi bạo lực gia đình bao gồm:\na) Hành hạ, ngược đãi, đánh đập, đe dọa hoặc hành vi cố ý khác xâm hại đến sức khỏe, tính mạng;\nb) Lăng mạ, chì chiết hoặc hành vi cố ý khác xúc phạm danh dự, nhân phẩm;"}
	q := "Những hành vi nào bị coi là bạo lực gia đình?"
	first := func() int {
		rk := rankSentences(parseQuestion(q), []retrieval.Hit{banned, acts}, DefaultReaderWeights)
		return rk.sents[rk.order[0]].hit
	}
	if hit := first(); hit != 1 {
		t.Errorf("best sentence from hit %d, want Điều 3", hit)
	}
	// The same article under a heading that holds the subject among other
	// words gets no more than the first: search's order stands.
	acts.Heading = "Điều 3. Các hành vi khác bị xử lý trong phòng, chống bạo lực gia đình"
	if hit := first(); hit != 0 {
		t.Errorf("without its exact heading, best sentence from hit %d", hit)
	}
}

// The compounds a question names must be found side by side: a passage on
// scholarships for medical students holds "học bổng", and "du", "nhật",
// "bản" only inside other words.
func TestPairsOfTheQuestionFoundApartDecline(t *testing.T) {
	scholarship := retrieval.Hit{DocID: "kbcb", Anchor: "dieu-105", Title: "Luật Khám bệnh, chữa bệnh 2023", Score: 1,
		Heading: "Điều 105. Chính sách đối với người học",
		Text:    "a) Cấp học bổng khuyến khích học tập cho người học chuyên ngành tâm thần, giải phẫu bệnh, pháp y có kết quả học tập, rèn luyện đủ điều kiện để cấp học bổng tại cơ sở đào tạo; bản sao văn bằng được nhật ký ghi nhận."}
	q := "lam the nao de xin hoc bong du hoc nhat ban"
	e := chooseSpan(q, q, []retrieval.Hit{scholarship}, DefaultReaderWeights)
	ev := evidence(q, e, []retrieval.Hit{scholarship}, false)
	if ev.Pairs < minPairs || ev.supported() {
		t.Errorf("supported %v with evidence %+v", ev.supported(), ev)
	}
	// The same passage answers the question it holds side by side.
	q = "Học bổng khuyến khích học tập cấp cho người học chuyên ngành nào?"
	e = chooseSpan(q, q, []retrieval.Hit{scholarship}, DefaultReaderWeights)
	if ev := evidence(q, e, []retrieval.Hit{scholarship}, false); !e.supported || !ev.supported() {
		t.Errorf("declined a question the passage holds: %+v", ev)
	}
}
