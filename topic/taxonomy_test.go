package topic

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestDefaultTaxonomyClassifies(t *testing.T) {
	cases := []struct{ text, want string }{
		{"Đường ngập nước, ổ gà nhiều gây nguy hiểm", "giao_thong"},
		{"Cán bộ xã gây khó dễ khi làm giấy tờ", "thu_tuc_hanh_chinh"},
		{"xả rác thải ra sông gây ô nhiễm", "moi_truong"},
		{"xa rac thai ra song gay o nhiem", "moi_truong"},
		{"Công ty nợ lương công nhân mấy tháng nay", "lao_dong_viec_lam"},
		{"Hàng xóm lấn chiếm đất, tranh chấp ranh giới thửa đất", "dat_dai"},
		{"Khu phố mất điện cả ngày không báo trước", "dien_nuoc_ha_tang"},
		{"Cán bộ đòi tiền bồi dưỡng mới làm hồ sơ", "tham_nhung_tieu_cuc"},
		{"trom cap xe may ban dem", "an_ninh_trat_tu"},
		{"Bệnh viện quá tải, chờ khám rất lâu", "y_te"},
		{"Trường thu nhiều khoản tiền đầu năm học", "giao_duc"},
		{"Gia đình nghèo không được xét hộ nghèo", "an_sinh_xa_hoi"},
		{"Nhà bên cạnh xây dựng không phép, cơi nới", "xay_dung_do_thi"},
	}
	d := defaultClassifier(t)
	for _, c := range cases {
		got := classify(t, d, c.text)
		if got.Topic != c.want {
			t.Errorf("Classify(%q) = %s %q (%.2f; runners-up %+v), want %s", c.text, got.Topic, got.Label, got.Confidence, got.RunnersUp, c.want)
		}
		if got.Label == "" || got.Label == got.Topic {
			t.Errorf("Classify(%q): label %q is not the Vietnamese name", c.text, got.Label)
		}
	}
}

func TestDefaultClassifierIsOwn(t *testing.T) {
	text := "Xin hỏi về lịch tiếp công dân"
	other := defaultClassifier(t)
	before := classify(t, other, text)
	a, err := TrainDefault(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := classify(t, a, text); !reflect.DeepEqual(got, before) {
		t.Errorf("two trainings from the default taxonomy differ: %+v and %+v", got, before)
	}
	if err := a.Learn(t.Context(), text, "thu_tuc_hanh_chinh"); err != nil {
		t.Fatal(err)
	}
	if got := classify(t, a, text); reflect.DeepEqual(got, before) {
		t.Error("Learn changed nothing")
	}
	if got := classify(t, other, text); !reflect.DeepEqual(got, before) {
		t.Errorf("Learn on one default classifier changed another: %+v, was %+v", got, before)
	}
}

func TestTaxonomyValidation(t *testing.T) {
	cases := []struct {
		name, format, data, want string
	}{
		{"one topic", "json", `{"topics":[{"id":"a","name":"A","definition":"d","examples":["x"]}]}`, "topics: need at least two topics"},
		{"missing id", "json", `{"topics":[{"name":"A","definition":"d","examples":["x"]},{"id":"b","name":"B","definition":"d","examples":["y"]}]}`, "topics[0].id: missing"},
		{"bad id", "json", `{"topics":[{"id":"Giao Thông","name":"A","definition":"d","examples":["x"]},{"id":"b","name":"B","definition":"d","examples":["y"]}]}`, "topics[0].id: \"Giao Thông\" must be"},
		{"duplicate id", "json", `{"topics":[{"id":"a","name":"A","definition":"d","examples":["x"]},{"id":"a","name":"B","definition":"d","examples":["y"]}]}`, `topics[1].id: "a" already used by topics[0]`},
		{"no name", "json", `{"topics":[{"id":"a","definition":"d","examples":["x"]},{"id":"b","name":"B","definition":"d","examples":["y"]}]}`, "topics[0].name: missing"},
		{"no definition", "json", `{"topics":[{"id":"a","name":"A","examples":["x"]},{"id":"b","name":"B","definition":"d","examples":["y"]}]}`, "topics[0].definition: missing"},
		{"no examples", "json", `{"topics":[{"id":"a","name":"A","definition":"d"},{"id":"b","name":"B","definition":"d","examples":["y"]}]}`, "topics[0].examples: need at least one"},
		{"empty example", "json", `{"topics":[{"id":"a","name":"A","definition":"d","examples":["x"," "]},{"id":"b","name":"B","definition":"d","examples":["y"]}]}`, "topics[0].examples[1]: empty"},
		{"bad fallback", "json", `{"fallback":"zz","topics":[{"id":"a","name":"A","definition":"d","examples":["x"]},{"id":"b","name":"B","definition":"d","examples":["y"]}]}`, `fallback: "zz" is not the id`},
		{"unknown field", "json", `{"topics":[{"id":"a","name":"A","definition":"d","exmaples":["x"]}]}`, `unknown field "exmaples"`},
		{"bad json", "json", `{"topics":`, "invalid taxonomy"},
		{"yaml missing name", "yaml", "topics:\n  - id: a\n    definition: d\n    examples: [x]\n  - id: b\n    name: B\n    definition: d\n    examples: [y]\n", "topics[0].name: missing"},
		{"bad format", "toml", ``, `unknown taxonomy format "toml"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseTaxonomy([]byte(c.data), c.format)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestLoadTaxonomyYAML(t *testing.T) {
	path := filepath.Join(t.TempDir(), "topics.yaml")
	yml := `version: 1
fallback: khac
topics:
  - id: nuoc
    name: Nước sạch
    definition: Nước sinh hoạt, nước máy, mất nước.
    examples: ["Mất nước sinh hoạt ba ngày", "nuoc may duc, co mui"]
  - id: duong
    name: Đường sá
    definition: Đường hư hỏng, ổ gà.
    examples: ["Đường nhiều ổ gà", "duong xuong cap"]
  - id: khac
    name: Khác
    definition: Các phản ánh khác.
    examples: ["Xin cảm ơn"]
`
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	tax, err := LoadTaxonomy(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := TrainTaxonomy(t.Context(), tax, []Example{{Text: "vòi nước không chảy", Label: "nuoc"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := classify(t, c, "mat nuoc may ca tuan").Topic; got != "nuoc" {
		t.Errorf("custom taxonomy: %s, want nuoc", got)
	}
	if _, err := TrainTaxonomy(t.Context(), tax, []Example{{Text: "x", Label: "giao_thong"}}); err == nil || !strings.Contains(err.Error(), `"giao_thong" is not a topic id`) {
		t.Errorf("labelled example outside the taxonomy: %v", err)
	}
	if _, err := LoadTaxonomy(filepath.Join(t.TempDir(), "none.json")); err == nil {
		t.Error("missing file accepted")
	}
}
