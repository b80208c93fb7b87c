package feedback_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/feedback"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

func queueCodes(t *testing.T, a answer) []string {
	t.Helper()
	if a.status != http.StatusOK {
		t.Fatalf("queue: %d %s", a.status, a.body)
	}
	var q feedback.QueueResponse
	a.json(t, &q)
	var out []string
	for _, it := range q.Items {
		out = append(out, it.TrackingCode)
	}
	slices.Sort(out)
	return out
}

func codes(items ...feedback.Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, feedback.FormatCode(it.Code))
	}
	slices.Sort(out)
	return out
}

// Officers see and act within their unit's subtree only: a commune's
// officer the commune's items, the province's officer those of its
// communes, nobody those of another province; a viewer, who may not read
// feedback, nothing; nobody signed in is asked to sign in. Someone else's
// item is answered as one that does not exist.
func TestOfficerScopes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newOffice(t, db, officeOptions{})
		tok := f.officers()
		saiGon := f.submit(t, feedback.Submission{Content: "Đèn đường khu phố Hòa Bình bị hỏng cả tháng nay, buổi tối rất tối.", Email: "dan@example.vn", Phone: "0912345678"})
		benThanh := f.submit(t, feedback.Submission{Content: "Chợ Bến Thành có nhiều người bán hàng rong lấn chiếm lòng đường.", CommuneCode: "26743"})
		baDinh := f.submit(t, feedback.Submission{Content: "Rác thải tập kết ở ngõ phố gây mùi hôi thối.", CommuneCode: "00004"})

		for _, c := range []struct {
			who  string
			want []string
		}{
			{saiGonOfficer, codes(saiGon)},
			{benThanhOfficer, codes(benThanh)},
			{hcmcOfficer, codes(saiGon, benThanh)},
			{hanoiOfficer, codes(baDinh)},
		} {
			if got := queueCodes(t, f.call(t, http.MethodGet, "/api/v1/feedback/items", tok[c.who], nil)); !slices.Equal(got, c.want) {
				t.Errorf("%s's queue: %v, want %v", c.who, got, c.want)
			}
		}
		var q feedback.QueueResponse
		f.call(t, http.MethodGet, "/api/v1/feedback/items", tok[hcmcOfficer], nil).json(t, &q)
		if q.Counts.Total != 2 || q.Counts.States[feedback.Received] != 2 {
			t.Errorf("the province's counts %+v", q.Counts)
		}

		// Reading and acting.
		for _, c := range []struct {
			who    string
			item   feedback.Item
			status int
		}{
			{saiGonOfficer, saiGon, http.StatusOK},
			{hcmcOfficer, saiGon, http.StatusOK},
			{saiGonOfficer, benThanh, http.StatusNotFound},
			{benThanhOfficer, saiGon, http.StatusNotFound},
			{hanoiOfficer, saiGon, http.StatusNotFound},
			{hcmcOfficer, baDinh, http.StatusNotFound},
			{hcmcViewer, saiGon, http.StatusForbidden},
			{"", saiGon, http.StatusUnauthorized},
		} {
			a := f.call(t, http.MethodGet, itemPath(c.item.ID), tok[c.who], nil)
			if a.status != c.status {
				t.Errorf("%q reading %s's item: %d, want %d (%s)", c.who, c.item.Commune, a.status, c.status, a.body)
			}
			if a.status != http.StatusOK && strings.Contains(string(a.body), c.item.Content) {
				t.Errorf("%q refused yet shown the content", c.who)
			}
			want := c.status
			if want == http.StatusOK {
				want = http.StatusCreated
			}
			if m := f.call(t, http.MethodPost, itemPath(c.item.ID, "/notes"), tok[c.who], map[string]string{"text": "Đã xem."}); m.status != want {
				t.Errorf("%q writing a note on %s's item: %d, want %d (%s)", c.who, c.item.Commune, m.status, want, m.body)
			}
		}
		// A refused read does not tell a missing item from another's.
		missing := f.call(t, http.MethodGet, itemPath(999999), tok[saiGonOfficer], nil)
		other := f.call(t, http.MethodGet, itemPath(benThanh.ID), tok[saiGonOfficer], nil)
		if missing.status != other.status || missing.err != other.err {
			t.Errorf("a missing item answers %d %+v, another's %d %+v", missing.status, missing.err, other.status, other.err)
		}
		for _, who := range []string{hcmcViewer, ""} {
			a := f.call(t, http.MethodGet, "/api/v1/feedback/items", tok[who], nil)
			if want := map[string]int{hcmcViewer: http.StatusForbidden, "": http.StatusUnauthorized}[who]; a.status != want || a.err.Code == "" {
				t.Errorf("%q's queue: %d %s, want %d", who, a.status, a.body, want)
			}
		}
		// What staff see: the contact, which the public never does.
		v := f.staff(t, saiGon.ID, tok[saiGonOfficer])
		if v.Contact.Email != "dan@example.vn" || v.Contact.Phone != "0912345678" || v.Content != saiGon.Content || !v.CanHandle {
			t.Errorf("staff view %+v", v)
		}
		if a := f.call(t, http.MethodGet, itemPath(saiGon.ID), tok[saiGonOfficer], nil); a.header.Get("Cache-Control") != "no-store" {
			t.Errorf("an item for staff may be cached: %q", a.header.Get("Cache-Control"))
		}
		pub := f.call(t, http.MethodGet, "/api/v1/feedback/"+feedback.FormatCode(saiGon.Code), "", nil)
		if pub.status != http.StatusOK || strings.Contains(string(pub.body), "dan@example.vn") {
			t.Errorf("public status %d %s", pub.status, pub.body)
		}
	})
}

// bring moves an item along the table to state through legal moves.
func (f *office) bring(t *testing.T, id int64, token string, path ...feedback.State) {
	t.Helper()
	for _, to := range path {
		m := map[string]string{"to": string(to)}
		switch to {
		case feedback.Rejected:
			m["reason"] = "Không thuộc phạm vi."
		case feedback.Forwarded:
			m["agency"] = "Ủy ban nhân dân Phường Sài Gòn"
		case feedback.Answered:
			m["answer"] = "Đã sửa xong."
		case feedback.Closed:
			m["outcome"] = "resolved"
		}
		if a := f.call(t, http.MethodPost, itemPath(id, "/transition"), token, m); a.status != http.StatusOK {
			t.Fatalf("moving %d to %s: %d %s", id, to, a.status, a.body)
		}
	}
}

// pathTo is a way along the table from received to each state.
var pathTo = map[feedback.State][]feedback.State{
	feedback.Received:   nil,
	feedback.Accepted:   {feedback.Accepted},
	feedback.Rejected:   {feedback.Rejected},
	feedback.Forwarded:  {feedback.Accepted, feedback.Forwarded},
	feedback.InProgress: {feedback.Accepted, feedback.InProgress},
	feedback.Answered:   {feedback.Accepted, feedback.InProgress, feedback.Answered},
	feedback.Closed:     {feedback.Accepted, feedback.InProgress, feedback.Answered, feedback.Closed},
}

// Every move from every state through the API: those of the table are
// made, with their history event (who, from where, from and to) and their
// audit record; the others are 409 naming "to" in Vietnamese and English,
// and change nothing.
func TestEveryTransition(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newOffice(t, db, officeOptions{})
		tok := f.officers()[saiGonOfficer]
		n := 0
		for _, from := range feedback.States {
			for _, to := range feedback.States {
				if from == to {
					continue
				}
				n++
				it := f.submit(t, feedback.Submission{Content: fmt.Sprintf("Phản ánh thử số %d về ổ gà trên đường Lê Lợi.", n)})
				f.bring(t, it.ID, tok, pathTo[from]...)
				body := map[string]string{"to": string(to)}
				switch to {
				case feedback.Rejected:
					body["reason"] = "Nội dung không thuộc thẩm quyền."
				case feedback.Forwarded:
					body["agency"] = "uy ban nhan dan phuong sai gon"
				case feedback.Answered:
					body["answer"] = "Phường đã vá ổ gà ngày 05/3."
				case feedback.Closed:
					body["outcome"] = "partly_resolved"
				}
				a := f.call(t, http.MethodPost, itemPath(it.ID, "/transition"), tok, body)
				after, err := f.store.Item(context.Background(), it.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !feedback.CanMove(from, to) {
					if a.status != http.StatusConflict || a.err.Code != "invalid_transition" || a.err.Field != "to" ||
						!strings.Contains(a.err.Message, string(to)) || !strings.Contains(a.err.Message, "cannot move") || !strings.Contains(a.err.Message, "Không chuyển được") {
						t.Errorf("%s → %s: %d %s, want 409 naming to", from, to, a.status, a.body)
					}
					if after.State != from {
						t.Errorf("%s → %s refused, yet the item is %s", from, to, after.State)
					}
					continue
				}
				if a.status != http.StatusOK {
					t.Errorf("%s → %s: %d %s", from, to, a.status, a.body)
					continue
				}
				var v feedback.StaffItem
				a.json(t, &v)
				if v.State != to || after.State != to {
					t.Errorf("%s → %s: answered %s, stored %s", from, to, v.State, after.State)
				}
				ev := f.lastEvent(t, it.ID)
				if ev.From != from || ev.To != to || !strings.HasPrefix(ev.Actor, saiGonOfficer) || ev.IP == "" || ev.Action != "move" {
					t.Errorf("%s → %s: history event %+v", from, to, ev)
				}
				switch to {
				case feedback.Rejected:
					if after.Reason != "Nội dung không thuộc thẩm quyền." || !strings.Contains(ev.Detail, after.Reason) {
						t.Errorf("rejected: reason %q, detail %q", after.Reason, ev.Detail)
					}
				case feedback.Forwarded:
					// Typed without diacritics, stored as the directory spells it.
					if after.Agency != "Ủy ban nhân dân Phường Sài Gòn" || after.ForwardedAt == nil {
						t.Errorf("forwarded: agency %q at %v", after.Agency, after.ForwardedAt)
					}
				case feedback.Answered:
					if after.Answer != "Phường đã vá ổ gà ngày 05/3." || after.AnsweredAt == nil {
						t.Errorf("answered: %q at %v", after.Answer, after.AnsweredAt)
					}
				case feedback.Closed:
					if after.Outcome != feedback.PartlyResolved || after.ClosedAt == nil {
						t.Errorf("closed: %q at %v", after.Outcome, after.ClosedAt)
					}
				case feedback.InProgress:
					if (from == feedback.Closed || from == feedback.Answered) && (after.Outcome != "" || after.ClosedAt != nil) {
						t.Errorf("reopened from %s keeps outcome %q, closed at %v", from, after.Outcome, after.ClosedAt)
					}
				}
			}
		}
		// Every move made is in the audit log, by its actor.
		moves := f.auditEvents(t, feedback.AuditTransition)
		legal := 0
		for _, from := range feedback.States {
			legal += len(feedback.Moves[from])
		}
		if len(moves) < legal {
			t.Errorf("%d transitions in the audit log, at least %d made", len(moves), legal)
		}
		for _, e := range moves {
			if !strings.HasPrefix(e.Actor, saiGonOfficer) || e.Unit != "26734/MTTQ" || e.IP == "" {
				t.Errorf("audit event %+v", e)
				break
			}
		}
	})
}

// A move missing what it needs, or carrying what it does not use, is a
// 400 naming the field; nothing changes.
func TestTransitionNeeds(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newOffice(t, db, officeOptions{})
		tok := f.officers()[saiGonOfficer]
		for _, c := range []struct {
			name  string
			from  feedback.State
			body  string
			field string
			code  string
		}{
			{"no to", feedback.Received, `{"reason":"x"}`, "to", "required"},
			{"unknown state", feedback.Received, `{"to":"done"}`, "to", "invalid_state"},
			{"reject without reason", feedback.Received, `{"to":"rejected"}`, "reason", "required"},
			{"reject with a blank reason", feedback.Received, `{"to":"rejected","reason":"  "}`, "reason", "required"},
			{"forward without agency", feedback.Accepted, `{"to":"forwarded"}`, "agency", "required"},
			{"forward to an unknown agency", feedback.Accepted, `{"to":"forwarded","agency":"Sở Vũ trụ"}`, "agency", "unknown_agency"},
			{"forward to an empty other agency", feedback.Accepted, `{"to":"forwarded","agency":"Khác:  "}`, "agency", "unknown_agency"},
			{"answer without answer", feedback.InProgress, `{"to":"answered"}`, "answer", "required"},
			{"close without outcome", feedback.Answered, `{"to":"closed"}`, "outcome", "required"},
			{"close with a wrong outcome", feedback.Answered, `{"to":"closed","outcome":"fixed"}`, "outcome", "invalid_outcome"},
			{"an answer on accepting", feedback.Received, `{"to":"accepted","answer":"x"}`, "answer", "unexpected_field"},
			{"an agency on answering", feedback.InProgress, `{"to":"answered","answer":"x","agency":"Công an Phường Sài Gòn"}`, "agency", "unexpected_field"},
			{"an unknown field", feedback.Received, `{"to":"accepted","ly_do":"x"}`, "ly_do", "unknown_field"},
			{"a control character", feedback.Received, `{"to":"rejected","reason":"a\u001bb"}`, "reason", "invalid_text"},
			{"a reason too long", feedback.Received, `{"to":"rejected","reason":"` + strings.Repeat("ư", feedback.MaxReason+1) + `"}`, "reason", "too_long"},
		} {
			it := f.submit(t, feedback.Submission{Content: "Cống thoát nước trên đường Nguyễn Huệ bị tắc: " + c.name})
			f.bring(t, it.ID, tok, pathTo[c.from]...)
			before := len(f.events(t, it.ID))
			a := f.call(t, http.MethodPost, itemPath(it.ID, "/transition"), tok, c.body)
			if a.status != http.StatusBadRequest || a.err.Field != c.field || a.err.Code != c.code || a.err.Message == "" {
				t.Errorf("%s: %d %s, want 400 %s naming %s", c.name, a.status, a.body, c.code, c.field)
			}
			after, _ := f.store.Item(context.Background(), it.ID)
			if after.State != c.from || len(f.events(t, it.ID)) != before {
				t.Errorf("%s: refused, yet the item changed: %s", c.name, after.State)
			}
		}
		// An agency outside the directory, named as such.
		it := f.submit(t, feedback.Submission{Content: "Cột điện nghiêng sắp đổ trước nhà văn hóa khu phố."})
		f.bring(t, it.ID, tok, feedback.Accepted)
		a := f.call(t, http.MethodPost, itemPath(it.ID, "/transition"), tok, `{"to":"forwarded","agency":"khác: Công ty Điện lực Sài Gòn"}`)
		if a.status != http.StatusOK {
			t.Fatalf("forward to another agency: %d %s", a.status, a.body)
		}
		if got, _ := f.store.Item(context.Background(), it.ID); got.Agency != "Khác: Công ty Điện lực Sài Gòn" {
			t.Errorf("agency stored as %q", got.Agency)
		}
	})
}

func (f *office) events(t *testing.T, id int64) []feedback.Event {
	t.Helper()
	evs, err := f.store.Events(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// A re-route needs a reason and a unit that exists and that the officer
// may handle items of; it is in the history and the audit log, and the
// item moves to the other unit's queue.
func TestReroute(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newOffice(t, db, officeOptions{})
		tok := f.officers()
		it := f.submit(t, feedback.Submission{Content: "Xe tải chở vật liệu xây dựng chạy trong hẻm nhỏ làm nứt mặt đường."})
		route := func(who, body string) answer {
			return f.call(t, http.MethodPost, itemPath(it.ID, "/route"), tok[who], body)
		}
		for _, c := range []struct {
			who, body   string
			status      int
			field, code string
		}{
			{saiGonOfficer, `{"unit":"79/MTTQ","reason":"Việc của thành phố"}`, http.StatusForbidden, "unit", "out_of_reach"},
			{saiGonOfficer, `{"unit":"26743/MTTQ","reason":"Việc của phường bên"}`, http.StatusForbidden, "unit", "out_of_reach"},
			{hcmcOfficer, `{"unit":"00004/MTTQ","reason":"Nhầm tỉnh"}`, http.StatusForbidden, "unit", "out_of_reach"},
			{hcmcOfficer, `{"unit":"26743/MTTQ"}`, http.StatusBadRequest, "reason", "required"},
			{hcmcOfficer, `{"reason":"x"}`, http.StatusBadRequest, "unit", "required"},
			{hcmcOfficer, `{"unit":"26999/MTTQ","reason":"x"}`, http.StatusBadRequest, "unit", "unknown_unit"},
			{hcmcOfficer, `{"unit":"phường bên","reason":"x"}`, http.StatusBadRequest, "unit", "invalid_unit"},
			{hcmcOfficer, `{"unit":"26734/MTTQ","reason":"x"}`, http.StatusBadRequest, "unit", "same_unit"},
		} {
			a := route(c.who, c.body)
			if a.status != c.status || a.err.Field != c.field || a.err.Code != c.code {
				t.Errorf("%s %s: %d %s, want %d %s naming %s", c.who, c.body, a.status, a.body, c.status, c.code, c.field)
			}
		}
		if got, _ := f.store.Item(context.Background(), it.ID); got.Unit != "26734/MTTQ" {
			t.Fatalf("refused re-routes moved the item to %s", got.Unit)
		}
		a := route(hcmcOfficer, `{"unit":"26743/mttq","reason":"Đoạn đường thuộc phường Bến Thành"}`)
		if a.status != http.StatusOK {
			t.Fatalf("re-route: %d %s", a.status, a.body)
		}
		got, _ := f.store.Item(context.Background(), it.ID)
		if got.Unit != "26743/MTTQ" || got.UnitPath != "VN/79/26743/" || !got.DueAt.Equal(it.DueAt) {
			t.Errorf("re-routed item %+v", got)
		}
		ev := f.lastEvent(t, it.ID)
		if ev.Action != "reroute" || !strings.HasPrefix(ev.Actor, hcmcOfficer) || !strings.Contains(ev.Detail, "26734/MTTQ → 26743/MTTQ") ||
			!strings.Contains(ev.Detail, "Bến Thành") || ev.IP == "" {
			t.Errorf("history %+v", ev)
		}
		if evs := f.auditEvents(t, feedback.AuditRoute); len(evs) != 1 || !strings.Contains(evs[0].Target, "26743/MTTQ") {
			t.Errorf("audit %+v", evs)
		}
		if a := f.call(t, http.MethodGet, itemPath(it.ID), tok[saiGonOfficer], nil); a.status != http.StatusNotFound {
			t.Errorf("the first commune still reads it: %d", a.status)
		}
		if got := queueCodes(t, f.call(t, http.MethodGet, "/api/v1/feedback/items", tok[benThanhOfficer], nil)); !slices.Equal(got, codes(it)) {
			t.Errorf("the second commune's queue: %v", got)
		}
		// Only open items move.
		f.bring(t, it.ID, tok[benThanhOfficer], feedback.Rejected)
		if a := f.call(t, http.MethodPost, itemPath(it.ID, "/route"), tok[hcmcOfficer], `{"unit":"26734/MTTQ","reason":"x"}`); a.status != http.StatusConflict || a.err.Code != "not_open" {
			t.Errorf("re-route of a rejected item: %d %s", a.status, a.body)
		}
	})
}

// Internal notes are kept for staff, in the history as "note" without
// their text, audited, and never in the public status.
func TestNotes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newOffice(t, db, officeOptions{})
		tok := f.officers()
		it := f.submit(t, feedback.Submission{Content: "Quán karaoke hát đến 1 giờ sáng mỗi đêm."})
		const secret = "Đã gọi điện cho chủ quán, ông ấy hứa sẽ giảm âm lượng."
		a := f.call(t, http.MethodPost, itemPath(it.ID, "/notes"), tok[saiGonOfficer], map[string]string{"text": secret})
		if a.status != http.StatusCreated {
			t.Fatalf("note: %d %s", a.status, a.body)
		}
		for _, c := range []struct {
			who, body string
			status    int
			field     string
		}{
			{saiGonOfficer, `{"text":"   "}`, http.StatusBadRequest, "text"},
			{saiGonOfficer, `{}`, http.StatusBadRequest, "text"},
			{benThanhOfficer, `{"text":"x"}`, http.StatusNotFound, "id"},
			{hcmcViewer, `{"text":"x"}`, http.StatusForbidden, ""},
		} {
			if a := f.call(t, http.MethodPost, itemPath(it.ID, "/notes"), tok[c.who], c.body); a.status != c.status || a.err.Field != c.field {
				t.Errorf("%s %s: %d %s", c.who, c.body, a.status, a.body)
			}
		}
		v := f.staff(t, it.ID, tok[hcmcOfficer])
		if len(v.Notes) != 1 || v.Notes[0].Text != secret || !strings.HasPrefix(v.Notes[0].Author, saiGonOfficer) {
			t.Errorf("notes %+v", v.Notes)
		}
		ev := f.lastEvent(t, it.ID)
		if ev.Action != "note" || strings.Contains(ev.Detail, "giảm") {
			t.Errorf("history %+v", ev)
		}
		if len(f.auditEvents(t, feedback.AuditNote)) != 1 {
			t.Error("the note is not audited")
		}
		f.bring(t, it.ID, tok[saiGonOfficer], feedback.Accepted, feedback.InProgress, feedback.Answered)
		pub := f.call(t, http.MethodGet, "/api/v1/feedback/"+feedback.FormatCode(it.Code), "", nil)
		if pub.status != http.StatusOK || strings.Contains(string(pub.body), "giảm âm lượng") {
			t.Errorf("public status %d shows the note: %s", pub.status, pub.body)
		}
	})
}

// The queue's filters: state (and open), topic, commune, flagged,
// overdue, pages; bad parameters are 400 naming them.
func TestQueueFilters(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newOffice(t, db, officeOptions{})
		tok := f.officers()[hcmcOfficer]
		a := f.submit(t, feedback.Submission{Content: "Đường Lê Lợi có nhiều ổ gà sâu, xe máy dễ té ngã.", Topic: "giao_thong"})
		b := f.submit(t, feedback.Submission{Content: "Nhà hàng xóm xây lấn sang đất nhà tôi.", Topic: "dat_dai", CommuneCode: "26743"})
		c := f.submit(t, feedback.Submission{Content: "Trạm y tế phường đóng cửa sớm.", Topic: "y_te"})
		f.bring(t, c.ID, f.officers()[saiGonOfficer], feedback.Accepted, feedback.InProgress, feedback.Answered)
		// Eleven days later (every day a working day here) a and b are
		// overdue; c was answered.
		f.now = f.now.AddDate(0, 0, 11)
		q := func(query string) []string {
			return queueCodes(t, f.call(t, http.MethodGet, "/api/v1/feedback/items"+query, tok, nil))
		}
		for _, c2 := range []struct {
			query string
			want  []string
		}{
			{"", codes(a, b, c)},
			{"?state=open", codes(a, b)},
			{"?state=answered", codes(c)},
			{"?topic=dat_dai", codes(b)},
			{"?commune=26743", codes(b)},
			{"?overdue=1", codes(a, b)},
			{"?overdue=1&commune=26734", codes(a)},
		} {
			if got := q(c2.query); !slices.Equal(got, c2.want) {
				t.Errorf("%q: %v, want %v", c2.query, got, c2.want)
			}
		}
		var page feedback.QueueResponse
		f.call(t, http.MethodGet, "/api/v1/feedback/items?limit=2", tok, nil).json(t, &page)
		if len(page.Items) != 2 || page.Next == 0 || !page.Items[0].Overdue == (page.Items[0].State == feedback.Received) || page.Counts.Overdue != 2 {
			t.Errorf("first page %+v", page)
		}
		var rest feedback.QueueResponse
		f.call(t, http.MethodGet, fmt.Sprintf("/api/v1/feedback/items?limit=2&before=%d", page.Next), tok, nil).json(t, &rest)
		if len(rest.Items) != 1 || rest.Next != 0 {
			t.Errorf("second page %+v", rest)
		}
		for _, bad := range []struct{ query, field string }{
			{"?state=done", "state"}, {"?topic=vu_tru", "topic"}, {"?commune=79", "commune"}, {"?flagged=yes", "flagged"},
			{"?overdue=2", "overdue"}, {"?before=-1", "before"}, {"?limit=0", "limit"}, {"?limit=201", "limit"},
			{"?sort=due", "sort"}, {"?state=open&state=closed", "state"},
		} {
			r := f.call(t, http.MethodGet, "/api/v1/feedback/items"+bad.query, tok, nil)
			if r.status != http.StatusBadRequest || r.err.Field != bad.field {
				t.Errorf("%s: %d %s, want 400 naming %s", bad.query, r.status, r.body, bad.field)
			}
		}
	})
}

// Likely duplicates are the open items of the same commune whose words
// are alike, typed with or without diacritics; an officer links an item
// to one, or unlinks it, and links never chain.
func TestDuplicates(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newOffice(t, db, officeOptions{})
		tok := f.officers()
		a := f.submit(t, feedback.Submission{Content: "Đường Lê Lợi có ổ gà rất lớn trước nhà số 12, xe máy đi qua dễ té ngã, đề nghị sửa gấp."})
		b := f.submit(t, feedback.Submission{Content: "o ga tren duong Le Loi truoc so nha 12 lon qua, nguy hiem cho xe may, mong phuong sua som"})
		c := f.submit(t, feedback.Submission{Content: "Trạm y tế phường không có bác sĩ trực vào ngày thứ bảy."})
		// The same words in another commune, and an answered item.
		d := f.submit(t, feedback.Submission{Content: "Đường Lê Lợi có ổ gà rất lớn trước nhà số 12, xe máy dễ té ngã.", CommuneCode: "26743"})
		e := f.submit(t, feedback.Submission{Content: "Ổ gà lớn trên đường Lê Lợi trước nhà số 12 làm xe máy té ngã."})
		f.bring(t, e.ID, tok[saiGonOfficer], feedback.Accepted, feedback.InProgress, feedback.Answered)

		dups := func(id int64, who string) []int64 {
			var out []int64
			for _, s := range f.staff(t, id, tok[who]).Duplicates {
				if s.Score < feedback.DuplicateScore || s.Score > 1 {
					t.Errorf("score %v", s.Score)
				}
				out = append(out, s.ID)
			}
			return out
		}
		if got := dups(a.ID, saiGonOfficer); !slices.Equal(got, []int64{b.ID}) {
			t.Errorf("likely duplicates of a: %v, want [%d]", got, b.ID)
		}
		if got := dups(c.ID, saiGonOfficer); len(got) != 0 {
			t.Errorf("likely duplicates of an unrelated item: %v", got)
		}
		if got := dups(d.ID, hcmcOfficer); len(got) != 0 {
			t.Errorf("likely duplicates across communes: %v", got)
		}

		link := func(id int64, who, body string) answer {
			return f.call(t, http.MethodPost, itemPath(id, "/duplicate"), tok[who], body)
		}
		if r := link(b.ID, saiGonOfficer, fmt.Sprintf(`{"of":%d}`, a.ID)); r.status != http.StatusOK {
			t.Fatalf("link: %d %s", r.status, r.body)
		}
		if got, _ := f.store.Item(context.Background(), b.ID); got.DuplicateOf == nil || *got.DuplicateOf != a.ID {
			t.Errorf("b duplicates %v", got.DuplicateOf)
		}
		// c linked to b is linked to b's original, a.
		if r := link(c.ID, saiGonOfficer, fmt.Sprintf(`{"of":%d}`, b.ID)); r.status != http.StatusOK {
			t.Fatalf("link to a duplicate: %d %s", r.status, r.body)
		}
		if got, _ := f.store.Item(context.Background(), c.ID); got.DuplicateOf == nil || *got.DuplicateOf != a.ID {
			t.Errorf("c duplicates %v, want a", got.DuplicateOf)
		}
		for _, bad := range []struct{ who, body, field, code string }{
			{saiGonOfficer, fmt.Sprintf(`{"of":%d}`, a.ID), "of", "self_duplicate"},
			{saiGonOfficer, fmt.Sprintf(`{"of":%d}`, d.ID), "of", "unknown_item"}, // another commune's
			{saiGonOfficer, `{"of":999999}`, "of", "unknown_item"},
			{saiGonOfficer, `{"of":0}`, "of", "invalid_type"},
			{saiGonOfficer, `{"of":"ABCDE-FGHJK"}`, "of", "unknown_item"},
			{saiGonOfficer, `{"of":true}`, "of", "invalid_type"},
			{saiGonOfficer, `{"of":1.5}`, "of", "invalid_type"},
		} {
			if r := link(a.ID, bad.who, bad.body); r.status != http.StatusBadRequest || r.err.Field != bad.field || r.err.Code != bad.code {
				t.Errorf("%s: %d %s, want 400 %s", bad.body, r.status, r.body, bad.code)
			}
		}
		// a linked to b, whose original is a itself.
		if r := link(a.ID, saiGonOfficer, fmt.Sprintf(`{"of":%d}`, b.ID)); r.status != http.StatusBadRequest || r.err.Code != "self_duplicate" {
			t.Errorf("a cycle: %d %s", r.status, r.body)
		}
		// By tracking code, as typed.
		if r := link(b.ID, saiGonOfficer, fmt.Sprintf(`{"of":%q}`, strings.ToLower(feedback.FormatCode(a.Code)))); r.status != http.StatusOK {
			t.Fatalf("link by code: %d %s", r.status, r.body)
		}
		if r := link(b.ID, saiGonOfficer, `{"of":null}`); r.status != http.StatusOK {
			t.Fatalf("unlink: %d %s", r.status, r.body)
		}
		if got, _ := f.store.Item(context.Background(), b.ID); got.DuplicateOf != nil {
			t.Errorf("b still duplicates %v", *got.DuplicateOf)
		}
		if ev := f.lastEvent(t, b.ID); ev.Action != "duplicate" || ev.Detail != "Bỏ đánh dấu trùng" {
			t.Errorf("history %+v", ev)
		}
		if n := len(f.auditEvents(t, feedback.AuditDuplicate)); n != 4 {
			t.Errorf("%d duplicate links audited, want 4", n)
		}
	})
}

// Staff read an item's photos and thumbnails through the item's own
// route, under the same check as the item; nobody else does.
func TestStaffPhotos(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newOffice(t, db, officeOptions{})
		tok := f.officers()
		it := f.submit(t, feedback.Submission{Content: "Cây đổ chắn ngang đường sau cơn mưa.", Photos: [][]byte{jpegWithGPS(t)}})
		v := f.staff(t, it.ID, tok[saiGonOfficer])
		if len(v.Photos) != 1 || v.Photos[0].Public || v.Photos[0].URL != itemPath(it.ID, "/photos/1") {
			t.Fatalf("photos %+v", v.Photos)
		}
		full := f.call(t, http.MethodGet, v.Photos[0].URL, tok[saiGonOfficer], nil)
		thumb := f.call(t, http.MethodGet, v.Photos[0].ThumbURL, tok[saiGonOfficer], nil)
		if full.status != http.StatusOK || full.header.Get("Content-Type") != "image/jpeg" || len(full.body) < 100 ||
			thumb.status != http.StatusOK || len(thumb.body) >= len(full.body) || !strings.Contains(full.header.Get("Cache-Control"), "no-store") {
			t.Errorf("photo %d %q %d bytes, thumbnail %d %d bytes", full.status, full.header.Get("Content-Type"), len(full.body), thumb.status, len(thumb.body))
		}
		for _, c := range []struct {
			who, path string
			status    int
		}{
			{benThanhOfficer, v.Photos[0].URL, http.StatusNotFound},
			{"", v.Photos[0].URL, http.StatusUnauthorized},
			{hcmcViewer, v.Photos[0].ThumbURL, http.StatusForbidden},
			{saiGonOfficer, itemPath(it.ID, "/photos/2"), http.StatusNotFound},
			{saiGonOfficer, itemPath(it.ID, "/photos/x"), http.StatusNotFound},
			{saiGonOfficer, v.Photos[0].URL + "?thumb=2", http.StatusBadRequest},
			{saiGonOfficer, v.Photos[0].URL + "?size=big", http.StatusBadRequest},
		} {
			if a := f.call(t, http.MethodGet, c.path, tok[c.who], nil); a.status != c.status || strings.HasPrefix(a.header.Get("Content-Type"), "image/") {
				t.Errorf("%q %s: %d %q, want %d", c.who, c.path, a.status, a.header.Get("Content-Type"), c.status)
			}
		}
	})
}
