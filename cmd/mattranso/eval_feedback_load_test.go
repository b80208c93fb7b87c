package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mattranso/mattranso/feedback"
	"github.com/mattranso/mattranso/feedback/workday"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
	"github.com/mattranso/mattranso/web"
)

const loadTerritories = "level,code,name,short_name,type,type_full,parent_code,parent_name\n" +
	"province,01,Thành phố Hà Nội,Hà Nội,Thành phố,Thành phố trực thuộc trung ương,,\n" +
	"province,79,Thành phố Hồ Chí Minh,Hồ Chí Minh,Thành phố,Thành phố trực thuộc trung ương,,\n" +
	"commune,00004,Phường Ba Đình,Ba Đình,Phường,Phường,01,Thành phố Hà Nội\n" +
	"commune,26734,Phường Sài Gòn,Sài Gòn,Phường,Phường,79,Thành phố Hồ Chí Minh\n" +
	"commune,26743,Phường Bến Thành,Bến Thành,Phường,Phường,79,Thành phố Hồ Chí Minh\n"

// faultyNetwork stands between the load generator and the feedback
// module as serve builds it, and fails as a server being killed does:
// some submissions are stored and their answer lost (the connection
// closed after the handler ran), some get a 503 before the handler, some
// connections are refused.
type faultyNetwork struct {
	next               http.Handler
	posts              atomic.Int64
	lost, unavailable  atomic.Int64
	dials, refusedDial atomic.Int64
}

func (f *faultyNetwork) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		f.next.ServeHTTP(w, r)
		return
	}
	switch n := f.posts.Add(1); {
	case n%7 == 3:
		f.unavailable.Add(1)
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
	case n%4 == 0:
		rec := httptest.NewRecorder()
		f.next.ServeHTTP(rec, r)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		conn.Close()
		f.lost.Add(1)
	default:
		f.next.ServeHTTP(w, r)
	}
}

func (f *faultyNetwork) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if f.dials.Add(1)%5 == 2 {
		f.refusedDial.Add(1)
		return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
	}
	return (&net.Dialer{}).DialContext(ctx, network, addr)
}

// feedbackAPI is the feedback API on the site's web shell over db,
// migrated, without a classifier: the items are stored untagged, which
// spares the tests training one.
func feedbackAPI(t *testing.T, db *store.DB) http.Handler {
	t.Helper()
	st := feedback.NewStore(db, feedback.StoreOptions{})
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := feedback.NewService(feedback.Options{Store: st, Calendar: workday.Default(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	return web.New(web.Options{Logger: log, Modules: []web.Module{{Name: "feedback", BodyLimits: feedback.BodyLimits,
		Mount: func(r web.Router, _ *web.Renderer) error { svc.Register(r, nil); return nil }}}})
}

// The load generator against a server that loses answers, fails and
// refuses connections: every submission retried with its key is
// acknowledged once and stored once, and the check says so; the check
// then finds a submission stored twice, and an acknowledged one whose
// item is gone, when the database is made to hold them.
func TestFeedbackLoad(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		tree := org.NewStore(db)
		if err := tree.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := tree.ImportTerritories(ctx, strings.NewReader(loadTerritories)); err != nil {
			t.Fatal(err)
		}
		faults := &faultyNetwork{next: feedbackAPI(t, db)}
		srv := httptest.NewServer(faults)
		defer srv.Close()
		client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DialContext: faults.dial}}
		defer client.CloseIdleConnections()

		const total = 120
		g, err := newLoadGen(ctx, loadOptions{URL: srv.URL, Clients: 8, Duration: time.Hour, Drain: time.Hour,
			PhotoShare: 0.2, Seed: 14, Max: total, DB: db, Client: client})
		if err != nil {
			t.Fatal(err)
		}
		if err := g.load(ctx); err != nil {
			t.Fatal(err)
		}
		rep, err := g.check(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK || rep.Acknowledged != total || rep.Retrievable != total || rep.Items != total || rep.StoredTwice != 0 || rep.Unacknowledged != 0 {
			t.Fatalf("report: %s\n%s", rep.Line(), strings.Join(rep.Problems, "\n"))
		}
		if rep.WithPhoto == 0 || rep.WithPhoto == total {
			t.Errorf("%d of %d with a photo, want some", rep.WithPhoto, total)
		}
		if faults.lost.Load() == 0 || faults.unavailable.Load() == 0 || faults.refusedDial.Load() == 0 {
			t.Fatalf("faults: %d answers lost, %d 503, %d dials refused; want some of each", faults.lost.Load(), faults.unavailable.Load(), faults.refusedDial.Load())
		}
		// A lost answer is retried by the generator, or by net/http itself
		// (a request with an Idempotency-Key may be replayed on a fresh
		// connection): either way the handler saw more submissions than
		// were stored, and nothing was stored twice.
		if handled := faults.posts.Load() - faults.unavailable.Load(); handled < total+faults.lost.Load() {
			t.Errorf("the handler saw %d submissions; %d answers were lost of %d stored", handled, faults.lost.Load(), total)
		}
		if rep.RetriesServer != int(faults.unavailable.Load()) || rep.RetriesNetwork == 0 {
			t.Errorf("retries: %d after a 5xx, %d after a network error; the network made %d 503, lost %d answers and refused %d dials",
				rep.RetriesServer, rep.RetriesNetwork, faults.unavailable.Load(), faults.lost.Load(), faults.refusedDial.Load())
		}
		if rep.Latency.P50 <= 0 || rep.Latency.P99 < rep.Latency.P50 || rep.UntilAck.P99 < rep.Latency.P99 {
			t.Errorf("latencies: %+v, until acknowledged %+v", rep.Latency, rep.UntilAck)
		}
		binned := 0
		for _, b := range rep.Histogram {
			binned += b.Count
		}
		if binned != total {
			t.Errorf("the histogram holds %d requests, want %d", binned, total)
		}

		// A submission stored a second time, without its key: the check
		// finds it.
		var id int64
		if err := db.QueryRowContext(ctx, `SELECT MIN(id) FROM feedback_items`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		copyItem := `INSERT INTO feedback_items (code, content, province, commune, level, unit, unit_path, state, created_at, updated_at, due_at)
			SELECT 'ZZZZZZZZZZ', content, province, commune, level, unit, unit_path, state, created_at, updated_at, due_at
			FROM feedback_items WHERE id = $1`
		if _, err := db.ExecContext(ctx, copyItem, id); err != nil {
			t.Fatal(err)
		}
		rep, err = g.check(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK || rep.StoredTwice != 1 || !hasProblem(rep, "stored twice") || !hasProblem(rep, "without an Idempotency-Key") ||
			!hasProblem(rep, "more than the") {
			t.Errorf("a submission stored twice: %s\n%s", rep.Line(), strings.Join(rep.Problems, "\n"))
		}
		if _, err := db.ExecContext(ctx, `DELETE FROM feedback_items WHERE code = 'ZZZZZZZZZZ'`); err != nil {
			t.Fatal(err)
		}

		// An acknowledged item no longer under its code: the API and the
		// database both tell.
		if _, err := db.ExecContext(ctx, `UPDATE feedback_items SET code = 'ZZZZZZZZZZ' WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		rep, err = g.check(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK || rep.Retrievable != total-1 || !hasProblem(rep, "HTTP 404") || !hasProblem(rep, "is stored as ZZZZZ-ZZZZZ") {
			t.Errorf("an acknowledged item lost: %s\n%s", rep.Line(), strings.Join(rep.Problems, "\n"))
		}
	})
}

func hasProblem(rep loadReport, s string) bool {
	for _, p := range rep.Problems {
		if strings.Contains(p, s) {
			return true
		}
	}
	return false
}

// A database that already holds items is refused: the check could not
// tell the run's items from others.
func TestFeedbackLoadNeedsFreshDatabase(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := t.Context()
	tree := org.NewStore(db)
	if err := tree.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := newLoadGen(ctx, loadOptions{Clients: 1, Duration: time.Second, DB: db})
	if err == nil || !strings.Contains(err.Error(), "no commune") {
		t.Errorf("an empty unit tree: %v", err)
	}
	if _, err := tree.ImportTerritories(ctx, strings.NewReader(loadTerritories)); err != nil {
		t.Fatal(err)
	}
	if _, err := newLoadGen(ctx, loadOptions{Clients: 1, Duration: time.Second, DB: db}); err == nil || !strings.Contains(err.Error(), "no feedback tables") {
		t.Errorf("no feedback tables: %v", err)
	}
	feedbackAPI(t, db)
	if _, err := db.ExecContext(ctx, `INSERT INTO feedback_items (code, content, province, commune, level, unit, unit_path, state, created_at, updated_at, due_at)
		VALUES ('ZZZZZZZZZZ', 'x', '79', '26734', 'commune', '26734/MTTQ', 'VN/79/26734/', 'received', 0, 0, 0)`); err != nil {
		t.Fatal(err)
	}
	var ee exitError
	if _, err := newLoadGen(ctx, loadOptions{Clients: 1, Duration: time.Second, DB: db}); !errors.As(err, &ee) || ee.code != 2 ||
		!strings.Contains(err.Error(), "already holds 1") {
		t.Errorf("a database with an item: %v", err)
	}
}
