package feedback_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/feedback"
	"github.com/mattranso/mattranso/feedback/workday"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

func vn(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, feedback.Vietnam)
}

// eightDays: a commune has eight working days, so that an item received
// on Monday 2 February 2026 is due on Thursday 12 February, the last
// working day before Tết (Saturday 14 to Sunday 22 February are off).
var eightDays = &feedback.Rules{Raise: map[string]feedback.Level{"tham_nhung_tieu_cuc": feedback.LevelProvince},
	Days: map[feedback.Level]int{feedback.LevelCommune: 8, feedback.LevelProvince: 8, feedback.LevelCentral: 8}}

// An overdue item goes up one level each time its grace — working days,
// Tết skipped — runs out: a commune's to the province, then to the
// centre, where it stays; history and queues follow, with a fake clock.
func TestEscalationAcrossTet(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newOffice(t, db, officeOptions{envOptions: envOptions{calendar: workday.Default(), rules: eightDays},
			handling: feedback.HandlingOptions{Grace: 2}})
		f.now = vn(2026, 2, 2, 10, 0)
		it := f.submit(t, feedback.Submission{Content: "Cống thoát nước khu phố bị vỡ, nước thải tràn ra đường."})
		if want := time.Date(2026, 2, 12, 23, 59, 59, 0, feedback.Vietnam); !it.DueAt.Equal(want) {
			t.Fatalf("due %s, want %s", it.DueAt, want)
		}
		steps := []struct {
			at   time.Time
			unit string
			why  string
		}{
			{vn(2026, 2, 12, 23, 0), "26734/MTTQ", "not yet due"},
			{vn(2026, 2, 13, 9, 0), "26734/MTTQ", "overdue, grace running (Friday 13, the first day)"},
			// Without Tết the grace would have ended on Monday 16.
			{vn(2026, 2, 17, 9, 0), "26734/MTTQ", "Tết: the grace stands still"},
			{vn(2026, 2, 22, 23, 0), "26734/MTTQ", "Tết's last day"},
			{vn(2026, 2, 23, 23, 59), "26734/MTTQ", "the grace's second working day, Monday 23"},
			{vn(2026, 2, 24, 0, 1), "79/MTTQ", "grace over: the province"},
			{vn(2026, 2, 26, 23, 0), "79/MTTQ", "a new grace from the escalation (Wednesday 25, Thursday 26)"},
			{vn(2026, 2, 27, 8, 0), "VN/MTTQ", "second grace over: the centre"},
			{vn(2026, 4, 1, 8, 0), "VN/MTTQ", "nothing above the centre"},
		}
		for _, s := range steps {
			f.now = s.at
			if _, err := f.hd.EscalateOverdue(context.Background(), s.at); err != nil {
				t.Fatal(err)
			}
			got, _ := f.store.Item(context.Background(), it.ID)
			if got.Unit != s.unit {
				t.Fatalf("%s (%s): at %s, want %s", s.at.Format("02/01 15:04"), s.why, got.Unit, s.unit)
			}
		}
		got, _ := f.store.Item(context.Background(), it.ID)
		if got.EscalatedAt == nil || !got.EscalatedAt.Equal(vn(2026, 2, 27, 8, 0)) || !got.DueAt.Equal(it.DueAt) || got.State != feedback.Received {
			t.Errorf("escalated item %+v", got)
		}
		var ups []feedback.Event
		for _, e := range f.events(t, it.ID) {
			if e.Action == "escalate" {
				ups = append(ups, e)
			}
		}
		if len(ups) != 2 || ups[0].Actor != "system" || ups[0].Detail != "26734/MTTQ → 79/MTTQ: quá hạn từ 12/02/2026" ||
			ups[1].Detail != "79/MTTQ → VN/MTTQ: quá hạn từ 12/02/2026" || !ups[0].At.Equal(vn(2026, 2, 24, 0, 1)) {
			t.Errorf("escalation events %+v", ups)
		}
		// The centre's queue has it, highlighted; the commune's not.
		central := f.token("can-bo.tw@mattranso.test", auth.Officer, "VN/MTTQ")
		var q feedback.QueueResponse
		f.call(t, http.MethodGet, "/api/v1/feedback/items?overdue=1", central, nil).json(t, &q)
		if len(q.Items) != 1 || !q.Items[0].Overdue || q.Items[0].EscalatedAt == nil || q.Counts.Overdue != 1 {
			t.Errorf("the centre's overdue queue %+v", q)
		}
		if a := f.call(t, http.MethodGet, itemPath(it.ID), f.officers()[saiGonOfficer], nil); a.status != http.StatusNotFound {
			t.Errorf("the commune still reads it: %d", a.status)
		}
	})
}

// Which items go up, and where: a table over states, units and graces,
// all read at the same fake time.
func TestEscalationTable(t *testing.T) {
	for _, grace := range []int{0, 2} {
		t.Run(fmt.Sprintf("grace %d", grace), func(t *testing.T) { escalationTable(t, grace) })
	}
}

func escalationTable(t *testing.T, grace int) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		{
			f := newOffice(t, db, officeOptions{envOptions: envOptions{calendar: workday.Default(), rules: eightDays},
				handling: feedback.HandlingOptions{Grace: grace}})
			tok := f.officers()
			central := f.token("can-bo.tw@mattranso.test", auth.Officer, "VN/MTTQ")
			if _, err := f.tree.CreateVillage(context.Background(), "26743", "Khu phố 1", "khu phố"); err != nil {
				t.Fatal(err)
			}
			f.now = vn(2026, 3, 2, 9, 0) // Monday: due Thursday 12 March
			type row struct {
				name  string
				setup func(it feedback.Item)
				want  map[int]string // grace → unit after
				topic string
			}
			move := func(id int64, path ...feedback.State) { f.bring(t, id, tok[hcmcOfficer], path...) }
			reroute := func(unit string) func(it feedback.Item) {
				return func(it feedback.Item) {
					if a := f.call(t, http.MethodPost, itemPath(it.ID, "/route"), central, map[string]string{"unit": unit, "reason": "thử"}); a.status != http.StatusOK {
						t.Fatalf("re-route to %s: %d %s", unit, a.status, a.body)
					}
				}
			}
			rows := []row{
				{name: "received", want: map[int]string{0: "79/MTTQ", 2: "26734/MTTQ"}},
				{name: "accepted", setup: func(it feedback.Item) { move(it.ID, feedback.Accepted) }, want: map[int]string{0: "79/MTTQ", 2: "26734/MTTQ"}},
				{name: "forwarded", setup: func(it feedback.Item) { move(it.ID, feedback.Accepted, feedback.Forwarded) }, want: map[int]string{0: "79/MTTQ", 2: "26734/MTTQ"}},
				{name: "in progress", setup: func(it feedback.Item) { move(it.ID, feedback.Accepted, feedback.InProgress) }, want: map[int]string{0: "79/MTTQ", 2: "26734/MTTQ"}},
				{name: "answered", setup: func(it feedback.Item) { move(it.ID, feedback.Accepted, feedback.InProgress, feedback.Answered) }, want: map[int]string{0: "26734/MTTQ", 2: "26734/MTTQ"}},
				{name: "rejected", setup: func(it feedback.Item) { move(it.ID, feedback.Rejected) }, want: map[int]string{0: "26734/MTTQ", 2: "26734/MTTQ"}},
				{name: "closed", setup: func(it feedback.Item) {
					move(it.ID, feedback.Accepted, feedback.InProgress, feedback.Answered, feedback.Closed)
				}, want: map[int]string{0: "26734/MTTQ", 2: "26734/MTTQ"}},
				{name: "the province's own", topic: "tham_nhung_tieu_cuc", want: map[int]string{0: "VN/MTTQ", 2: "79/MTTQ"}},
				{name: "a village's", setup: reroute("26743-001/MTTQ"), want: map[int]string{0: "26743/MTTQ", 2: "26743-001/MTTQ"}},
				{name: "a member organisation's", setup: reroute("26734/HND"), want: map[int]string{0: "79/MTTQ", 2: "26734/HND"}},
				{name: "the centre's", setup: reroute("VN/MTTQ"), want: map[int]string{0: "VN/MTTQ", 2: "VN/MTTQ"}},
			}
			items := make([]feedback.Item, len(rows))
			escalating := 0
			for i, r := range rows {
				items[i] = f.submit(t, feedback.Submission{Content: "Phản ánh để thử việc chuyển lên cấp trên: " + r.name, Topic: r.topic})
				if r.setup != nil {
					r.setup(items[i])
				}
				items[i], _ = f.store.Item(context.Background(), items[i].ID)
				if items[i].Unit != r.want[grace] {
					escalating++
				}
			}
			// Friday 13 March, the first working day after the deadline.
			at := vn(2026, 3, 13, 9, 0)
			f.now = at
			n, err := f.hd.EscalateOverdue(context.Background(), at)
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range rows {
				got, _ := f.store.Item(context.Background(), items[i].ID)
				if got.Unit != r.want[grace] {
					t.Errorf("grace %d, %s: at %s, want %s", grace, r.name, got.Unit, r.want[grace])
				}
			}
			if n != escalating || grace == 0 && n != 7 {
				t.Errorf("grace %d: %d escalated, want %d", grace, n, escalating)
			}
			// Running again at the same time changes nothing.
			if n, err := f.hd.EscalateOverdue(context.Background(), at); err != nil || n != 0 {
				t.Errorf("grace %d: a second run escalated %d (%v)", grace, n, err)
			}
		}
	})
}

// On PostgreSQL one instance escalates at a time: while another holds the
// lock, EscalateOverdue does nothing.
func TestEscalationLock(t *testing.T) {
	db := storetest.Postgres(t)
	f := newOffice(t, db, officeOptions{envOptions: envOptions{calendar: workday.Default(), rules: eightDays},
		handling: feedback.HandlingOptions{Grace: 0}})
	f.now = vn(2026, 3, 2, 9, 0)
	it := f.submit(t, feedback.Submission{Content: "Đèn tín hiệu giao thông ở ngã tư bị hỏng."})
	at := vn(2026, 3, 13, 9, 0)
	other, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(`SELECT pg_advisory_xact_lock($1)`, feedback.EscalationLock); err != nil {
		t.Fatal(err)
	}
	if n, err := f.hd.EscalateOverdue(context.Background(), at); err != nil || n != 0 {
		t.Errorf("with the lock held elsewhere: %d escalated (%v)", n, err)
	}
	if got, _ := f.store.Item(context.Background(), it.ID); got.Unit != "26734/MTTQ" {
		t.Errorf("escalated under another's lock: %s", got.Unit)
	}
	other.Rollback()
	if n, err := f.hd.EscalateOverdue(context.Background(), at); err != nil || n != 1 {
		t.Errorf("with the lock free: %d escalated (%v)", n, err)
	}
}
