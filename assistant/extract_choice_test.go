package assistant

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
)

// Handmade articles of an imaginary tourism law, as retrieved passages.
var (
	services = retrieval.Hit{
		DocID: "luat-du-lich", PassageID: "p1", Kind: corpus.KindLaw, Anchor: "dieu-40", Score: 10,
		Heading: "Điều 40. Dịch vụ du lịch khác",
		Text: "Dịch vụ du lịch khác bao gồm:\n" +
			"a) Dịch vụ ăn uống;\n" +
			"b) Dịch vụ mua sắm;\n" +
			"c) Dịch vụ thể thao;\n" +
			"d) Dịch vụ chăm sóc sức khỏe.",
	}
	guides = retrieval.Hit{
		DocID: "luat-du-lich", PassageID: "p2", Kind: corpus.KindLaw, Anchor: "dieu-59", Score: 9,
		Heading: "Điều 59. Điều kiện cấp thẻ hướng dẫn viên du lịch nội địa",
		Text: "Điều kiện cấp thẻ hướng dẫn viên du lịch nội địa bao gồm:\n" +
			"a) Có quốc tịch Việt Nam, thường trú tại Việt Nam;\n" +
			"b) Có năng lực hành vi dân sự đầy đủ;\n" +
			"c) Không mắc bệnh truyền nhiễm, không sử dụng chất ma túy;\n" +
			"d) Tốt nghiệp trung cấp chuyên ngành hướng dẫn du lịch trở lên.",
	}
	notice = retrieval.Hit{
		DocID: "luat-vien-chuc", PassageID: "p3", Kind: corpus.KindLaw, Anchor: "dieu-46", Score: 8,
		Heading: "Điều 46. Thông báo nghỉ hưu",
		Text:    "Chậm nhất 06 tháng trước thời điểm viên chức nghỉ hưu, đơn vị sự nghiệp công lập phải thông báo bằng văn bản cho viên chức về thời điểm nghỉ hưu.",
	}
)

func choicesOf(ss ...string) []Choice {
	out := make([]Choice, len(ss))
	for i, s := range ss {
		out[i] = Choice{Key: string(rune('A' + i)), Text: s}
	}
	return out
}

func TestChooseOption(t *testing.T) {
	tests := []struct {
		name, q string
		choices []Choice
		hits    []retrieval.Hit
		want    string
	}{
		{"the option the passage states", "Thông báo nghỉ hưu đối với viên chức được ban hành trong thời gian bao lâu trước khi nghỉ hưu?",
			choicesOf("04 tháng", "06 tháng", "03 tháng", "02 tháng"), []retrieval.Hit{notice, services}, "B"},
		{"every option named holds", "Dịch vụ du lịch khác bao gồm dịch vụ nào sau đây?",
			choicesOf("Dịch vụ thể thao.", "Dịch vụ ăn uống.", "Dịch vụ chăm sóc sức khỏe.", "Cả 3 phương án trên."), []retrieval.Hit{services, guides}, "D"},
		{"not every option named holds", "Dịch vụ du lịch khác bao gồm dịch vụ nào sau đây?",
			choicesOf("Dịch vụ thể thao.", "Dịch vụ vận tải hàng không.", "Cả A và B đều đúng", "Cả A và B đều sai"), []retrieval.Hit{services, guides}, "A"},
		{"the inverse question takes the unsupported option", "Đâu không phải là điều kiện cấp thẻ hướng dẫn viên du lịch nội địa?",
			choicesOf("Có quốc tịch Việt Nam, thường trú tại Việt Nam.", "Có năng lực hành vi dân sự đầy đủ.", "Tốt nghiệp đại học chuyên ngành kế toán.", "Không sử dụng chất ma túy."),
			[]retrieval.Hit{guides, services}, "C"},
		{"a substituted word", "Điều kiện nào sau đây là điều kiện cấp thẻ hướng dẫn viên du lịch nội địa?",
			choicesOf("Có quốc tịch nước ngoài.", "Có năng lực hành vi dân sự đầy đủ.", "Mắc bệnh truyền nhiễm.", "Tốt nghiệp đại học chuyên ngành kế toán."),
			[]retrieval.Hit{guides, services}, "B"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, e, ok := chooseOption(tt.q, tt.choices, tt.hits, DefaultReaderWeights)
			if !ok || o.Key != tt.want || e.short != tt.want {
				var got []string
				for _, p := range parseOptions(parseQuestion(tt.q), tt.choices) {
					got = append(got, p.Key)
				}
				t.Errorf("chose %q (ok %v, short %q) of %v, want %q; quote %q", o.Key, ok, e.short, got, tt.want, e.quote)
			}
		})
	}
}

func TestParseOptions(t *testing.T) {
	tests := []struct {
		choices []Choice
		i       int
		refs    []int
		allTrue bool
	}{
		{choicesOf("x", "y", "Cả A và B đều đúng", "Cả A và B đều sai"), 2, []int{0, 1}, true},
		{choicesOf("x", "y", "Cả A và B đều đúng", "Cả A và B đều sai"), 3, []int{0, 1}, false},
		{choicesOf("x", "y", "z", "Cả 3 phương án trên."), 3, []int{0, 1, 2}, true},
		{choicesOf("x", "y", "z", "Cả A, B, C đều đúng"), 3, []int{0, 1, 2}, true},
		{choicesOf("x", "y", "z", "Tất cả các đáp án trên"), 3, []int{0, 1, 2}, true},
		// An option that merely starts with "Cả" states something.
		{choicesOf("x", "y", "z", "Cả vợ và chồng cùng đứng tên"), 3, nil, false},
	}
	for _, tt := range tests {
		o := parseOptions(parseQuestion("Câu hỏi nào?"), tt.choices)[tt.i]
		if !slices.Equal(o.refs, tt.refs) || o.allTrue != tt.allTrue {
			t.Errorf("%q: refs %v allTrue %v, want %v %v", tt.choices[tt.i].Text, o.refs, o.allTrue, tt.refs, tt.allTrue)
		}
	}
}

// Ask answers a multiple-choice question with the key of the option, and
// refuses malformed options as a bad question.
func TestAskChoices(t *testing.T) {
	s := New(Options{Searcher: fixedHits{services, guides}})
	ans, err := s.Ask(context.Background(), Request{Question: "Dịch vụ du lịch khác bao gồm dịch vụ nào sau đây?",
		Choices: choicesOf("Dịch vụ vận tải hàng không.", "Dịch vụ mua sắm.", "Dịch vụ cho thuê kho bãi.", "Cả A và C đều đúng")})
	if err != nil {
		t.Fatal(err)
	}
	if ans.Short != "B" || !ans.Supported || len(ans.Citations) != 1 || !strings.Contains(ans.Text, "B. Dịch vụ mua sắm") {
		t.Errorf("answer %+v", ans)
	}
	for _, cs := range [][]Choice{
		{{Key: "A", Text: "x"}, {Key: "A", Text: "y"}},
		{{Key: "A", Text: " "}},
		{{Key: "", Text: "x"}},
	} {
		if _, err := s.Ask(context.Background(), Request{Question: "Câu hỏi nào?", Choices: cs}); !errors.Is(err, ErrBadQuestion) {
			t.Errorf("choices %+v: err %v, want ErrBadQuestion", cs, err)
		}
	}
}

// fixedHits is a stand-in searcher that returns the same passages to every
// query, so that a test decides what was retrieved.
type fixedHits []retrieval.Hit

func (f fixedHits) Search(context.Context, retrieval.Query) (retrieval.Result, error) {
	return retrieval.Result{Hits: f}, nil
}

func TestJudgeStatement(t *testing.T) {
	contract := retrieval.Hit{
		DocID: "luat-du-lich", PassageID: "p4", Kind: corpus.KindLaw, Anchor: "dieu-39", Score: 7,
		Heading: "Điều 39. Hợp đồng lữ hành",
		Text:    "Hợp đồng lữ hành phải được lập thành văn bản.",
	}
	dismissal := retrieval.Hit{
		DocID: "luat-vien-chuc", PassageID: "p5", Kind: corpus.KindLaw, Anchor: "dieu-29", Score: 7,
		Heading: "Điều 29. Đơn phương chấm dứt hợp đồng làm việc",
		Text: "Đơn vị sự nghiệp công lập không được đơn phương chấm dứt hợp đồng làm việc với viên chức trong các trường hợp sau:\n" +
			"a) Viên chức ốm đau hoặc bị tai nạn, đang điều trị;\n" +
			"b) Viên chức nữ đang trong thời gian có thai.",
	}
	tests := []struct {
		q    string
		hits []retrieval.Hit
		want string
	}{
		{"Hợp đồng lữ hành phải được lập thành văn bản, đúng hay sai?", []retrieval.Hit{contract, notice}, "Đúng"},
		{"Hợp đồng lữ hành không cần lập thành văn bản, đúng hay sai?", []retrieval.Hit{contract, notice}, "Sai"},
		{"Chậm nhất 06 tháng trước thời điểm viên chức nghỉ hưu, đơn vị sự nghiệp công lập phải thông báo bằng văn bản cho viên chức, đúng hay sai?", []retrieval.Hit{notice, contract}, "Đúng"},
		// A number, and an agency, the passage does not state.
		{"Chậm nhất 03 tháng trước thời điểm viên chức nghỉ hưu, đơn vị sự nghiệp công lập phải thông báo bằng văn bản cho viên chức, đúng hay sai?", []retrieval.Hit{notice, contract}, "Sai"},
		{"Chậm nhất 06 tháng trước thời điểm viên chức nghỉ hưu, Ủy ban nhân dân tỉnh phải thông báo bằng văn bản cho viên chức, đúng hay sai?", []retrieval.Hit{notice, contract}, "Sai"},
		// The point reads with its lead-in, which holds the negation.
		{"Đơn vị sự nghiệp công lập được đơn phương chấm dứt hợp đồng làm việc với viên chức nữ đang trong thời gian có thai, đúng hay sai?", []retrieval.Hit{dismissal, contract}, "Sai"},
		{"Đơn vị sự nghiệp công lập không được đơn phương chấm dứt hợp đồng làm việc với viên chức nữ đang trong thời gian có thai, đúng hay sai?", []retrieval.Hit{dismissal, contract}, "Đúng"},
	}
	for _, tt := range tests {
		e := chooseSpan(tt.q, tt.q, tt.hits, DefaultReaderWeights)
		if e.short != tt.want {
			t.Errorf("%q: %q (quote %q), want %q", tt.q, e.short, e.quote, tt.want)
		}
	}
}

func TestRequestChoices(t *testing.T) {
	cs, err := requestChoices(map[string]string{"B": " Dịch vụ mua sắm ", "A": "Dịch vụ thể thao"})
	if err != nil || len(cs) != 2 || cs[0] != (Choice{"A", "Dịch vụ thể thao"}) || cs[1] != (Choice{"B", "Dịch vụ mua sắm"}) {
		t.Errorf("choices %+v, %v", cs, err)
	}
	var ie *InputError
	for _, m := range []map[string]string{{"A": ""}, {"ABCD": "x"}, {"A": strings.Repeat("x", MaxChoiceLen+1)}} {
		if _, err := requestChoices(m); !errors.As(err, &ie) || ie.Field != "choices" {
			t.Errorf("%v: err %v, want an InputError naming choices", m, err)
		}
	}
}
