package feedback_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mattranso/mattranso/feedback"
	"github.com/mattranso/mattranso/topic"
)

// Every topic of the default taxonomy has model texts for each step —
// acceptance, rejection, forwarding, answer — its own first; every
// placeholder is known, and filled.
func TestDefaultResponses(t *testing.T) {
	rs := feedback.DefaultResponses()
	tax := topic.DefaultTaxonomy()
	if err := rs.Check(func(id string) bool { _, ok := tax.Topic(id); return ok }); err != nil {
		t.Fatal(err)
	}
	f := feedback.Fields{Code: "ABCDEFGHJK", Unit: "Mặt trận Tổ quốc Phường Sài Gòn", Topic: "Giao thông", Place: "Phường Sài Gòn, Thành phố Hồ Chí Minh",
		Due: time.Date(2026, 3, 16, 23, 59, 59, 0, feedback.Vietnam), Sent: time.Date(2026, 3, 2, 9, 0, 0, 0, feedback.Vietnam)}
	for _, tp := range tax.Topics {
		for _, mv := range feedback.ResponseMoves {
			got := rs.For(tp.ID, mv)
			if len(got) == 0 {
				t.Errorf("%s, %s: no model text", tp.ID, mv)
				continue
			}
			if (mv == feedback.Forwarded || mv == feedback.Answered) && got[0].Topic != tp.ID {
				t.Errorf("%s, %s: the first text is %s's, not the topic's own", tp.ID, mv, got[0].Topic)
			}
			for _, r := range got {
				if r.Move != mv || r.Topic != "" && r.Topic != tp.ID {
					t.Errorf("%s, %s: offered %+v", tp.ID, mv, r)
				}
				text := r.Fill(f)
				if strings.ContainsAny(strings.ReplaceAll(text, "[", ""), "{}") {
					t.Errorf("%s: a placeholder is left: %s", r.ID, text)
				}
			}
		}
	}
	r, ok := rs.ByID("thu_ly")
	if !ok {
		t.Fatal("no thu_ly")
	}
	text := r.Fill(f)
	for _, want := range []string{"ABCDE-FGHJK", "Mặt trận Tổ quốc Phường Sài Gòn", "16/03/2026", "02/03/2026", "Giao thông", "Phường Sài Gòn"} {
		if !strings.Contains(text, want) {
			t.Errorf("thu_ly filled lacks %q: %s", want, text)
		}
	}
	fw, _ := rs.ByID("chuyen")
	if !strings.Contains(fw.Fill(f), "cơ quan có thẩm quyền") || !strings.Contains(fw.Fill(feedback.Fields{Agency: "Công an Phường Sài Gòn"}), "Công an Phường Sài Gòn") {
		t.Errorf("{co_quan}: %s", fw.Fill(f))
	}
}

// A responses file adds texts and replaces defaults by id; it is read
// strictly.
func TestParseResponses(t *testing.T) {
	rs, err := feedback.LoadResponses("testdata/responses.json")
	if err != nil {
		t.Fatal(err)
	}
	got := rs.For("giao_thong", feedback.Answered)
	if len(got) != 2 || got[0].Title != "Đã vá mặt đường" || got[1].ID != "tra_loi" {
		t.Errorf("giao_thong's answers %+v", got)
	}
	if fw := rs.For("dien_nuoc_ha_tang", feedback.Forwarded); len(fw) != 3 || fw[0].ID != "chuyen_dien_nuoc_ha_tang" || fw[1].ID != "chuyen_dien_luc" || fw[2].ID != "chuyen" {
		t.Errorf("dien_nuoc_ha_tang's forwarding notes %+v", fw)
	}
	only, err := feedback.ParseResponses(strings.NewReader(`{"defaults":false,"responses":[{"id":"a","move":"rejected","title":"T","text":"{ma_theo_doi}"}]}`))
	if err != nil || len(only.All()) != 1 {
		t.Errorf("without the defaults: %v, %v", only, err)
	}
	for _, c := range []struct{ file, want string }{
		{`{"responses":[{"id":"A","move":"answered","title":"T","text":"x"}]}`, `id "A"`},
		{`{"responses":[{"id":"a","move":"closed","title":"T","text":"x"}]}`, `move "closed"`},
		{`{"responses":[{"id":"a","move":"answered","title":"","text":"x"}]}`, "title"},
		{`{"responses":[{"id":"a","move":"answered","title":"T","text":""}]}`, "text"},
		{`{"responses":[{"id":"a","move":"answered","title":"T","text":"{ho_ten}"}]}`, "unknown placeholder {ho_ten}"},
		{`{"responses":[{"id":"a","move":"answered","title":"T","text":"x"},{"id":"a","move":"answered","title":"T","text":"y"}]}`, "twice"},
		{`{"responses":[{"id":"a","move":"answered","title":"T","text":"a\u0007b"}]}`, "control"},
		{`{"mau":[]}`, "unknown field"},
	} {
		_, err := feedback.ParseResponses(strings.NewReader(c.file))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.file, err, c.want)
		}
	}
	bad, err := feedback.ParseResponses(strings.NewReader(`{"responses":[{"id":"a","topic":"vu_tru","move":"answered","title":"T","text":"x"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	tax := topic.DefaultTaxonomy()
	if err := bad.Check(func(id string) bool { _, ok := tax.Topic(id); return ok }); err == nil || !strings.Contains(err.Error(), "vu_tru") {
		t.Errorf("a topic not in the taxonomy: %v", err)
	}
}
