package library

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/store/storetest"
)

// keptPage keeps what a page was given to show, in place of the layout.
type keptPage struct {
	name string
	data any
}

func (k *keptPage) Render(w http.ResponseWriter, _ *http.Request, status int, name string, data any) {
	k.name, k.data = name, data
	w.WriteHeader(status)
}

type noSearch struct{}

func (noSearch) Search(context.Context, retrieval.Query) (retrieval.Result, error) {
	return retrieval.Result{}, nil
}

func landLaws(effective2024 string) []*corpus.Document {
	old := &corpus.Document{ID: "45-2013-qh13", Kind: corpus.KindLaw, Title: "Luật Đất đai 2013", Number: "45/2013/QH13", Nodes: []corpus.Node{
		corpus.ParseArticle("212", "Hiệu lực thi hành\n\nLuật này có hiệu lực thi hành từ ngày 01 tháng 7 năm 2014."),
	}}
	d, m, y := effective2024[8:10], effective2024[5:7], effective2024[:4]
	recent := &corpus.Document{ID: "luat-dat-dai", Kind: corpus.KindLaw, Title: "Luật Đất đai", Nodes: []corpus.Node{
		corpus.ParseArticle("243", "Sửa đổi luật khác\n\nPhụ lục ban hành kèm theo Luật Đất đai số 31/2024/QH15."),
		corpus.ParseArticle("252", "Hiệu lực thi hành\n\n1. Luật này có hiệu lực thi hành từ ngày "+d+" tháng "+m+" năm "+y+".\n\n"+
			"2. Luật Đất đai số 45/2013/QH13 hết hiệu lực kể từ ngày Luật này có hiệu lực thi hành."),
	}}
	return []*corpus.Document{old, recent}
}

// The law list judges validity by the other laws of the library, and
// reads a law again when its stored version changes.
func TestLawListValidityFollowsTheLibrary(t *testing.T) {
	ctx := t.Context()
	st := corpus.NewStore(storetest.SQLite(t))
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	stored := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	put := func(docs []*corpus.Document) {
		stored = stored.Add(time.Hour) // a new version is stored later
		for _, d := range docs {
			d.UpdatedAt = stored
			if err := st.Put(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
	}
	put(landLaws("2025-01-01"))
	pages := &keptPage{}
	h := New(Options{Searcher: noSearch{}, Documents: st, Pages: pages,
		Now: func() time.Time { return time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC) }})
	list := func() map[string]lawLink {
		h.Home(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/?loai=luat", nil))
		out := map[string]lawLink{}
		for _, l := range pages.data.(homeView).Laws {
			out[l.Title] = l
		}
		return out
	}
	got := list()
	old, recent := got["Luật Đất đai 2013"], got["Luật Đất đai"]
	if old.Status != corpus.StatusRepealed || !strings.Contains(old.StatusSource, "Luật Đất đai (31/2024/QH15) thay thế từ 01/01/2025 (Điều 252)") {
		t.Errorf("2013 law: %+v", old)
	}
	if recent.Number != "31/2024/QH15" || recent.Year != "2024" || recent.Status != corpus.StatusInForce || !strings.Contains(recent.StatusSource, "suy ra từ Điều 252") {
		t.Errorf("2024 law: %+v", recent)
	}

	// The 2024 law, stored again with a later date of entry into force:
	// on 1 June 2025 the 2013 law is in force again, and the law page says
	// so too.
	put(landLaws("2026-01-01")[1:])
	got = list()
	if old := got["Luật Đất đai 2013"]; old.Status != corpus.StatusInForce {
		t.Errorf("2013 law once the 2024 one takes effect later: %+v", old)
	}
	if recent := got["Luật Đất đai"]; recent.Status != corpus.StatusNotYet || !strings.Contains(recent.StatusSource, "01/01/2026") {
		t.Errorf("2024 law not yet in force: %+v", recent)
	}
	r := httptest.NewRequest(http.MethodGet, "/van-ban/luat-dat-dai", nil)
	r.SetPathValue("id", "luat-dat-dai")
	h.LawPage(httptest.NewRecorder(), r)
	rows := map[string]factRow{}
	for _, row := range pages.data.(lawView).Meta {
		rows[row.Label] = row
	}
	for label, want := range map[string]factRow{
		"Số hiệu":          {Value: "31/2024/QH15", Source: "suy ra từ Điều 243"},
		"Ngày có hiệu lực": {Value: "01/01/2026", Source: "suy ra từ Điều 252"},
		"Tình trạng":       {Value: corpus.StatusNotYet},
		"Thay thế":         {Value: "Luật Đất đai số 45/2013/QH13", Source: "suy ra từ Điều 252"},
	} {
		got := rows[label]
		if got.Value != want.Value || (want.Source != "" && got.Source != want.Source) {
			t.Errorf("law page %s = %+v, want %+v", label, got, want)
		}
	}
}
