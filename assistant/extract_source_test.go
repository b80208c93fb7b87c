package assistant

import (
	"strings"
	"testing"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
)

// The words that name the law a question asks about are its source, not
// what it asks: they are found, and only they.
func TestSourceWordsNameTheLaw(t *testing.T) {
	for _, c := range []struct {
		q    string
		want string // the folded source syllables, in order
	}{
		{"Theo Bộ luật Dân sự 2015, lợi tức được hiểu như thế nào?", "bo luat dan su 2015"},
		{"Bộ luật Dân sự năm 2015 quy định như thế nào về tài sản hiện có?", "bo luat dan su nam 2015"},
		{"Theo Luật Hôn nhân và gia đình, tài sản riêng của vợ gồm những gì?", "luat hon nhan va gia dinh"},
		{"Luật Phòng, chống ma túy quy định người nghiện là ai?", "luat phong chong ma tuy"},
		{"Theo Hiến pháp năm 2013, công dân có quyền gì?", "hien phap nam 2013"},
		{"theo bo luat lao dong 2019 thi thoi gio lam viec la bao nhieu?", ""}, // no capital: not a name
		{"Theo Bo luat Lao dong 2019 thoi gio lam viec la bao nhieu?", "bo luat lao dong 2019"},
		// "Luật sư" is a lawyer, not a law: "luật" and "dân sự" also occur
		// outside the name, and keep their weight.
		{"Luật sư có quyền gì trong vụ án dân sự theo Bộ luật Dân sự?", "bo"},
		{"Người từ đủ 16 tuổi phải chịu trách nhiệm hình sự về tội nào?", ""},
	} {
		// The law's name alone, not the meaning cues.
		p := parseQuestion(c.q)
		p.frame = nil
		toks := corpus.Tokenize(c.q)
		lower := make([]string, len(toks))
		for i, tk := range toks {
			lower[i] = strings.ToLower(c.q[tk.Start:tk.End])
		}
		sourceWords(p, c.q, toks, lower)
		var got []string
		for i, t := range p.terms {
			if p.frame[t] {
				got = append(got, p.fterms[i])
			}
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%q: source %q, want %q", c.q, strings.Join(got, " "), c.want)
		}
	}
}

// A sentence that answers a question naming its law is not held to the
// law's name: the question is answered, not declared unsupported.
func TestNamedLawDoesNotUnsupportTheAnswer(t *testing.T) {
	hit := retrieval.Hit{
		DocID: "91/2015/QH13", PassageID: "p105", Kind: corpus.KindLaw, Anchor: "dieu-105", Title: "91/2015/QH13",
		Heading: "Điều 105. Tài sản",
		Text: "1. Tài sản là vật, tiền, giấy tờ có giá và quyền tài sản.\n" +
			"2. Tài sản bao gồm bất động sản và động sản. Bất động sản và động sản có thể là tài sản hiện có và tài sản hình thành trong tương lai.",
		Score: 1,
	}
	for _, q := range []string{
		"Theo Bộ luật Dân sự 2015 “tài sản” được hiểu như thế nào?",
		"Theo Bộ luật Dân sự năm 2015, tài sản là gì?",
	} {
		e := chooseSpan(q, q, []retrieval.Hit{hit}, DefaultReaderWeights)
		if !e.supported || !strings.Contains(e.quote, "Tài sản là vật") {
			t.Errorf("%q: answer %+v; want the definition of tài sản", q, e)
		}
	}
}

// The words that ask for a meaning frame the question; the term asked
// about does not.
func TestMeaningWordsFrameTheQuestion(t *testing.T) {
	frame := func(q string) string {
		p := parseQuestion(q)
		var out []string
		for i, t := range p.terms {
			if p.frame[t] {
				out = append(out, p.fterms[i])
			}
		}
		return strings.Join(out, " ")
	}
	for q, want := range map[string]string{
		"Lợi tức được hiểu như thế nào?":                      "duoc hieu",
		"Định nghĩa của hoa lợi là gì?":                       "dinh nghia",
		"Pháp luật quy định như thế nào về tài sản hiện có?":  "quy dinh the nao",
		"Pháp luật quy định thế nào về tài sản hiện có?":      "quy dinh the nao",
		"Bộ luật Dân sự quy định thế nào về tài sản hiện có?": "bo luat dan su quy dinh the nao",
		// "hiểu" is also asked about: it keeps its weight.
		"Việc hiểu sai được hiểu như thế nào trong hợp đồng?": "duoc",
		"Người lao động được nghỉ bao nhiêu ngày?":            "",
	} {
		if got := frame(q); got != want {
			t.Errorf("%q: frame %q, want %q", q, got, want)
		}
	}
}
