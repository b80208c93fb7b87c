package feedback_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/feedback"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

func (e *env) submit(t *testing.T, body string) feedback.Item {
	t.Helper()
	a := e.submitJSON(t, body)
	if a.status != http.StatusCreated {
		t.Fatalf("submit: %d %s", a.status, a.body)
	}
	var rc feedback.Receipt
	a.json(t, &rc)
	it, err := e.store.ItemByCode(context.Background(), rc.TrackingCode)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// Update moves an item along the table and refuses what the table does
// not allow or what lacks its reason, agency, answer or outcome; each
// update is one history event, and the public history shows the states.
func TestUpdate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, envOptions{})
		ctx := context.Background()
		it := e.submit(t, goodJSON)
		officer := feedback.Change{Actor: "can.bo@mttq.vn", IP: "192.0.2.1"}
		move := func(to feedback.State, set func(*feedback.Item)) (feedback.Item, error) {
			ch := officer
			ch.Action = "move"
			return e.store.Update(ctx, it.ID, ch, func(_ context.Context, _ feedback.Querier, x *feedback.Item) error {
				x.State = to
				if set != nil {
					set(x)
				}
				return nil
			})
		}
		mustMove := func(to feedback.State, set func(*feedback.Item)) feedback.Item {
			t.Helper()
			x, err := move(to, set)
			if err != nil {
				t.Fatalf("move to %s: %v", to, err)
			}
			if x.State != to {
				t.Fatalf("moved to %s, state %s", to, x.State)
			}
			return x
		}
		refused := func(to feedback.State, set func(*feedback.Item), why string) {
			t.Helper()
			x, err := move(to, set)
			if !errors.Is(err, feedback.ErrTransition) || !strings.Contains(err.Error(), why) {
				t.Errorf("move to %s: %v (%+v), want ErrTransition saying %q", to, err, x, why)
			}
		}
		refused(feedback.Answered, func(x *feedback.Item) { x.Answer = "x" }, "from received to answered")
		refused(feedback.Rejected, nil, "reason")
		mustMove(feedback.Accepted, nil)
		refused(feedback.Forwarded, nil, "agency")
		x := mustMove(feedback.Forwarded, func(x *feedback.Item) { x.Agency = "UBND phường Sài Gòn" })
		if x.ForwardedAt == nil || x.Agency != "UBND phường Sài Gòn" {
			t.Errorf("forwarded: %+v", x)
		}
		mustMove(feedback.InProgress, nil)
		refused(feedback.Answered, nil, "answer")
		statusPage := func() string {
			return string(e.do(t, http.MethodGet, "/phan-anh/"+feedback.FormatCode(it.Code), "", nil).body)
		}
		if p := statusPage(); !strings.Contains(p, "Hạn trả lời dự kiến") || strings.Contains(p, "Ngày trả lời") {
			t.Error("before the answer the status page should show the expected date only")
		}
		x = mustMove(feedback.Answered, func(x *feedback.Item) { x.Answer = "Phường đã nạo vét cống ngày 5/3." })
		if x.AnsweredAt == nil {
			t.Error("answered without answered_at")
		}
		// Once answered, the expected date would only confuse.
		if p := statusPage(); strings.Contains(p, "Hạn trả lời dự kiến") || !strings.Contains(p, "Ngày trả lời") {
			t.Error("the answered status page should show the answer's date instead of the expected one")
		}
		refused(feedback.Closed, nil, "outcome")
		refused(feedback.Closed, func(x *feedback.Item) { x.Outcome = "done" }, "outcome")
		x = mustMove(feedback.Closed, func(x *feedback.Item) { x.Outcome = feedback.PartlyResolved })
		if x.ClosedAt == nil || x.Outcome != feedback.PartlyResolved {
			t.Errorf("closed: %+v", x)
		}
		// Public: closed with its outcome and the answer.
		var st feedback.PublicStatus
		e.do(t, http.MethodGet, "/api/v1/feedback/"+feedback.FormatCode(it.Code), "", nil).json(t, &st)
		if st.Status != feedback.Closed || st.Outcome != feedback.PartlyResolved || st.Answer != x.Answer || len(st.History) != 6 {
			t.Errorf("public status after closing: %+v", st)
		}
		x = mustMove(feedback.InProgress, nil) // reopened
		if x.Outcome != "" || x.ClosedAt != nil {
			t.Errorf("reopened but still closed: %+v", x)
		}
		st = feedback.PublicStatus{}
		e.do(t, http.MethodGet, "/api/v1/feedback/"+feedback.FormatCode(it.Code), "", nil).json(t, &st)
		if st.Answer != "" || st.Outcome != "" || st.Status != feedback.InProgress {
			t.Errorf("a reopened item shows its old answer: %+v", st)
		}

		// What was sent does not change.
		if _, err := e.store.Update(ctx, it.ID, officer, func(_ context.Context, _ feedback.Querier, x *feedback.Item) error {
			x.Content = "khác"
			return nil
		}); err == nil {
			t.Error("the content was changed")
		}
		// An error of fn undoes everything.
		boom := errors.New("boom")
		before, _ := e.store.Events(ctx, it.ID)
		if _, err := e.store.Update(ctx, it.ID, officer, func(ctx context.Context, tx feedback.Querier, x *feedback.Item) error {
			x.Answer = "không lưu"
			if err := e.store.RecordCorrection(ctx, tx, feedback.Correction{ItemID: x.ID, Text: x.Content, Topic: "moi_truong"}); err != nil {
				return err
			}
			return boom
		}); !errors.Is(err, boom) {
			t.Errorf("fn's error: %v", err)
		}
		after, _ := e.store.Events(ctx, it.ID)
		got, _ := e.store.Item(ctx, it.ID)
		corr, _ := e.store.Corrections(ctx)
		if len(after) != len(before) || got.Answer == "không lưu" || len(corr) != 0 {
			t.Errorf("a failed update left %d events (was %d), answer %q, %d corrections", len(after), len(before), got.Answer, len(corr))
		}
		if _, err := e.store.Update(ctx, 987654, officer, func(context.Context, feedback.Querier, *feedback.Item) error { return nil }); !errors.Is(err, feedback.ErrNotFound) {
			t.Errorf("update of no item: %v", err)
		}

		// Re-routing files the item under the new unit's territory.
		x, err := e.store.Update(ctx, it.ID, feedback.Change{Actor: "can.bo@mttq.vn", Action: "reroute", Detail: "26734/MTTQ → 79/MTTQ"},
			func(_ context.Context, _ feedback.Querier, x *feedback.Item) error { x.Unit = "79/mttq"; return nil })
		if err != nil || x.Unit != "79/MTTQ" || x.UnitPath != "VN/79/" {
			t.Errorf("re-routed: %+v, %v", x, err)
		}
		if _, err := e.store.Update(ctx, it.ID, officer, func(_ context.Context, _ feedback.Querier, x *feedback.Item) error {
			x.Unit = "88888/MTTQ"
			return nil
		}); err == nil {
			t.Error("re-routed to a unit that does not exist")
		}

		evs, err := e.store.Events(ctx, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		var states []string
		for _, ev := range evs {
			if ev.To != "" {
				states = append(states, string(ev.From)+">"+string(ev.To))
			}
		}
		if got, want := strings.Join(states, " "), ">received received>accepted accepted>forwarded forwarded>in_progress in_progress>answered answered>closed closed>in_progress"; got != want {
			t.Errorf("history:\n got %s\nwant %s", got, want)
		}
		last := evs[len(evs)-1]
		if last.Action != "reroute" || last.Actor != "can.bo@mttq.vn" || last.Detail != "26734/MTTQ → 79/MTTQ" || last.From != "" {
			t.Errorf("last event %+v", last)
		}

		// Notes are internal and in the history without their text.
		n, err := e.store.AddNote(ctx, it.ID, "can.bo@mttq.vn", "Đã gọi điện cho người dân.", "192.0.2.1")
		if err != nil || n.ID == 0 {
			t.Fatalf("note: %+v, %v", n, err)
		}
		notes, _ := e.store.Notes(ctx, it.ID)
		if len(notes) != 1 || notes[0].Text != "Đã gọi điện cho người dân." {
			t.Errorf("notes %+v", notes)
		}
		if _, err := e.store.AddNote(ctx, 987654, "x", "y", ""); !errors.Is(err, feedback.ErrNotFound) {
			t.Errorf("note on no item: %v", err)
		}
		page := e.do(t, http.MethodGet, "/phan-anh/"+feedback.FormatCode(it.Code), "", nil)
		if strings.Contains(string(page.body), "gọi điện") {
			t.Error("the status page shows an internal note")
		}
	})
}

// List returns the items of units' subtrees, newest first, page by page.
func TestList(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, envOptions{})
		ctx := context.Background()
		body := func(commune, level string) string {
			return `{"content":"Rác thải đổ bừa bãi ven kênh gây ô nhiễm, mùi hôi thối.","commune_code":"` + commune + `","level":"` + level + `"}`
		}
		var saigon, benthanh, hcmc, hanoi, central []int64
		for range 3 {
			saigon = append(saigon, e.submit(t, body("26734", "commune")).ID)
			benthanh = append(benthanh, e.submit(t, body("26743", "commune")).ID)
			hcmc = append(hcmc, e.submit(t, body("26743", "province")).ID)
			hanoi = append(hanoi, e.submit(t, body("00004", "commune")).ID)
			central = append(central, e.submit(t, body("00004", "central")).ID)
		}
		all := func(q feedback.Query) []int64 {
			t.Helper()
			var out []int64
			for {
				p, err := e.store.List(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, it := range p.Items {
					out = append(out, it.ID)
				}
				if p.Next == 0 {
					return out
				}
				q.Before = p.Next
			}
		}
		desc := func(groups ...[]int64) []int64 {
			var ids []int64
			for _, g := range groups {
				ids = append(ids, g...)
			}
			// newest first
			for i := range ids {
				for j := i + 1; j < len(ids); j++ {
					if ids[j] > ids[i] {
						ids[i], ids[j] = ids[j], ids[i]
					}
				}
			}
			return ids
		}
		eq := func(a, b []int64) bool {
			if len(a) != len(b) {
				return false
			}
			for i := range a {
				if a[i] != b[i] {
					return false
				}
			}
			return true
		}
		for _, c := range []struct {
			units []string
			want  []int64
		}{
			{[]string{"26734/MTTQ"}, desc(saigon)},
			{[]string{"79/MTTQ"}, desc(saigon, benthanh, hcmc)},
			{[]string{"VN/MTTQ"}, desc(saigon, benthanh, hcmc, hanoi, central)},
			{[]string{"01/MTTQ", "26734/MTTQ"}, desc(hanoi, saigon)},
			{[]string{"79/HND"}, nil}, // a member organisation does not see the Front's items
			{nil, nil},
		} {
			for _, limit := range []int{0, 2} {
				got := all(feedback.Query{Units: c.units, Limit: limit})
				if !eq(got, c.want) {
					t.Errorf("List(%v, limit %d) = %v, want %v", c.units, limit, got, c.want)
				}
			}
		}
		if _, err := e.store.Update(ctx, saigon[0], feedback.Change{Actor: "x"}, func(_ context.Context, _ feedback.Querier, x *feedback.Item) error {
			x.State = feedback.Accepted
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if got := all(feedback.Query{Units: []string{"79/MTTQ"}, States: []feedback.State{feedback.Accepted}}); !eq(got, []int64{saigon[0]}) {
			t.Errorf("accepted under 79/MTTQ: %v", got)
		}
		if got := all(feedback.Query{Units: []string{"VN/MTTQ"}, Commune: "00004"}); !eq(got, desc(hanoi, central)) {
			t.Errorf("commune 00004: %v", got)
		}
		if _, err := e.store.List(ctx, feedback.Query{Units: []string{"99/MTTQ"}}); err == nil {
			t.Error("listing under a unit that does not exist")
		}
	})
}

// Without a classifier items are stored untagged and flagged; TagPending
// tags them once one is in service, and routes again those not yet taken
// up: corruption goes to the province.
func TestTagPending(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, envOptions{noClassifier: true})
		ctx := context.Background()
		corrupt := e.submit(t, `{"content":"Cán bộ địa chính phường đòi tiền mới cho làm sổ đỏ, nhận hối lộ công khai.","commune_code":"26734"}`)
		taken := e.submit(t, `{"content":"Cán bộ phường nhận hối lộ, đòi tiền bồi dưỡng mới giải quyết hồ sơ.","commune_code":"26734"}`)
		chosen := e.submit(t, `{"content":"Đường ngập nước.","commune_code":"26734","topic":"giao_thong"}`)
		for _, it := range []feedback.Item{corrupt, taken} {
			if it.Topic != "" || it.TopicSource != feedback.TopicPending || !it.TopicFlagged || it.Unit != "26734/MTTQ" {
				t.Errorf("untagged item stored as %+v", it)
			}
		}
		if chosen.Topic != "giao_thong" || chosen.TopicSource != feedback.TopicCitizen || !chosen.TopicFlagged {
			t.Errorf("citizen's topic without classifier: %+v", chosen)
		}
		if _, err := e.store.Update(ctx, taken.ID, feedback.Change{Actor: "x"}, func(_ context.Context, _ feedback.Querier, x *feedback.Item) error {
			x.State = feedback.Accepted
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if n, err := e.svc.TagPending(ctx); n != 0 || err != nil {
			t.Errorf("TagPending without a classifier: %d, %v", n, err)
		}
		e.svc.SetClassifier(trained(t))
		if n, err := e.svc.TagPending(ctx); n != 2 || err != nil {
			t.Fatalf("TagPending: %d, %v; want 2", n, err)
		}
		got, _ := e.store.Item(ctx, corrupt.ID)
		if got.Topic != "tham_nhung_tieu_cuc" || got.TopicSource != feedback.TopicClassifier || got.Unit != "79/MTTQ" ||
			got.UnitPath != "VN/79/" || !got.DueAt.Equal(got.CreatedAt.AddDate(0, 0, 15)) {
			t.Errorf("tagged: %+v", got)
		}
		got, _ = e.store.Item(ctx, taken.ID)
		if got.Topic != "tham_nhung_tieu_cuc" || got.Unit != "26734/MTTQ" {
			t.Errorf("an item taken up was routed again: %+v", got)
		}
		got, _ = e.store.Item(ctx, chosen.ID)
		if got.TopicSource != feedback.TopicCitizen || got.Topic != "giao_thong" {
			t.Errorf("the citizen's topic was replaced: %+v", got)
		}
		if n, err := e.svc.TagPending(ctx); n != 0 || err != nil {
			t.Errorf("TagPending again: %d, %v", n, err)
		}
		// With a classifier, the citizen's topic is kept with the
		// classifier's confidence in it.
		it := e.submit(t, `{"content":"Cán bộ phường nhận hối lộ khi làm sổ đỏ.","commune_code":"26734","topic":"giao_thong"}`)
		if it.Topic != "giao_thong" || it.TopicSource != feedback.TopicCitizen || !it.TopicFlagged || it.TopicConfidence >= 0.5 {
			t.Errorf("citizen's unlikely topic: %+v", it)
		}
		// Corruption at intake goes to the province at once.
		it = e.submit(t, `{"content":"Cán bộ địa chính phường đòi tiền mới cho làm sổ đỏ, nhận hối lộ công khai.","commune_code":"26734"}`)
		if it.Unit != "79/MTTQ" || it.Topic != "tham_nhung_tieu_cuc" {
			t.Errorf("corruption at intake: %+v", it)
		}
	})
}
