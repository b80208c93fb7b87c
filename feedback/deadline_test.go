package feedback_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mattranso/mattranso/feedback"
	"github.com/mattranso/mattranso/feedback/workday"
	"github.com/mattranso/mattranso/store/storetest"
)

// Deadlines in working days with Vietnam's calendar, across Tết Bính Ngọ
// (16–20 February 2026 off) and a weekend, per level and per topic as the
// rules configure them.
func TestDeadlinesAcrossTet(t *testing.T) {
	rules, err := feedback.ParseRules(strings.NewReader(`{"days": {"commune": 10, "province": 15, "central": 20}, "topic_days": {"dat_dai": {"commune": 3}}}`))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, storetest.SQLite(t), envOptions{calendar: workday.Default(), rules: &rules})
	vn := feedback.Vietnam
	end := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 23, 59, 59, 0, vn) }
	for _, c := range []struct {
		what     string
		received time.Time
		body     string
		want     time.Time
	}{
		// Friday before Tết: the five days off and the weekends are
		// skipped; ten working days end on Friday 6 March.
		{"commune, before Tết", time.Date(2026, 2, 13, 10, 0, 0, 0, vn), `"level":"commune","topic":"giao_thong"`, end(2026, 3, 6)},
		// Received on the eve of the lunar new year (a holiday): counting
		// starts on Monday 23 February.
		{"commune, during Tết", time.Date(2026, 2, 16, 8, 0, 0, 0, vn), `"level":"commune","topic":"giao_thong"`, end(2026, 3, 6)},
		{"province, before Tết", time.Date(2026, 2, 13, 10, 0, 0, 0, vn), `"level":"province","topic":"giao_thong"`, end(2026, 3, 13)},
		{"central, before Tết", time.Date(2026, 2, 13, 10, 0, 0, 0, vn), `"level":"central","topic":"giao_thong"`, end(2026, 3, 20)},
		// A topic with its own deadline at the commune.
		{"land at the commune", time.Date(2026, 2, 12, 16, 0, 0, 0, vn), `"level":"commune","topic":"dat_dai"`, end(2026, 2, 24)},
		// Late on a Friday in UTC is already Saturday in Vietnam: counting
		// starts on Monday.
		{"UTC evening", time.Date(2026, 3, 6, 18, 0, 0, 0, time.UTC), `"level":"commune","topic":"giao_thong"`, end(2026, 3, 20)},
		// Corruption is received by the province, with its deadline.
		{"corruption raised", time.Date(2026, 2, 13, 10, 0, 0, 0, vn), `"level":"commune","topic":"tham_nhung_tieu_cuc"`, end(2026, 3, 13)},
	} {
		e.now = c.received
		a := e.submitJSON(t, `{"content":"Nội dung phản ánh.","commune_code":"26734",`+c.body+`}`)
		if a.status != http.StatusCreated {
			t.Fatalf("%s: %d %s", c.what, a.status, a.body)
		}
		var rc feedback.Receipt
		a.json(t, &rc)
		if !rc.ExpectedAt.Equal(c.want) {
			t.Errorf("%s: expected_at %s, want %s", c.what, rc.ExpectedAt.In(vn), c.want)
		}
		it, err := e.store.ItemByCode(t.Context(), rc.TrackingCode)
		if err != nil || !it.DueAt.Equal(c.want) {
			t.Errorf("%s: due_at stored %s, %v", c.what, it.DueAt.In(vn), err)
		}
	}
}
