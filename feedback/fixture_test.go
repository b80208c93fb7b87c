package feedback_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/feedback"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/topic"
	"github.com/mattranso/mattranso/web"
)

// The unit tree of testdata/units.csv: Hà Nội (01: 00004) and Hồ Chí Minh
// (79: 26734, 26743). fixture adds the villages 26734-001 (active) and
// 26734-002 (retired).

var (
	classifierOnce sync.Once
	classifier     *topic.Classifier
	classifierErr  error
)

// trained is the classifier of the default taxonomy, trained once per
// test binary (it is safe for concurrent use).
func trained(t testing.TB) *topic.Classifier {
	t.Helper()
	classifierOnce.Do(func() { classifier, classifierErr = topic.TrainDefault(context.Background()) })
	if classifierErr != nil {
		t.Fatal(classifierErr)
	}
	return classifier
}

// plainDays is a stand-in calendar that counts every day as a working
// day, for the tests that are not about the calendar; the deadline tests
// use feedback/workday's.
type plainDays struct{}

func (plainDays) Add(t time.Time, days int) time.Time { return t.AddDate(0, 0, days) }

// env is a feedback service over a fresh database with the test tree.
type env struct {
	db    *store.DB
	tree  *org.Store
	store *feedback.Store
	svc   *feedback.Service
	h     http.Handler
	now   time.Time
}

type envOptions struct {
	noClassifier bool
	limiter      feedback.Limiter
	storeOpts    feedback.StoreOptions
	calendar     feedback.Calendar // nil: plainDays
	rules        *feedback.Rules
}

func newEnv(t testing.TB, db *store.DB, o envOptions) *env {
	t.Helper()
	ctx := context.Background()
	tree := org.NewStore(db)
	if err := tree.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join("testdata", "units.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := tree.ImportTerritories(ctx, f); err != nil {
		t.Fatal(err)
	}
	if _, err := tree.CreateVillage(ctx, "26734", "Hòa Bình", "khu phố"); err != nil {
		t.Fatal(err)
	}
	if _, err := tree.CreateVillage(ctx, "26734", "Cũ", "khu phố"); err != nil {
		t.Fatal(err)
	}
	if _, err := tree.RetireVillage(ctx, "26734-002"); err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, tree: tree, now: time.Date(2026, 3, 2, 9, 30, 0, 0, feedback.Vietnam)}
	if o.storeOpts.Now == nil {
		o.storeOpts.Now = func() time.Time { return e.now }
	}
	st := feedback.NewStore(db, o.storeOpts)
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	e.store = st
	pages, err := web.NewRenderer(feedback.Templates, feedback.TemplateFuncs)
	if err != nil {
		t.Fatal(err)
	}
	if o.calendar == nil {
		o.calendar = plainDays{}
	}
	svc, err := feedback.NewService(feedback.Options{Store: st, Calendar: o.calendar, Rules: o.rules, Limiter: o.limiter,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return e.now }})
	if err != nil {
		t.Fatal(err)
	}
	if !o.noClassifier {
		svc.SetClassifier(trained(t))
	}
	e.svc = svc
	mux := http.NewServeMux()
	svc.Register(muxRouter{mux}, pages)
	e.h = mux
	return e
}

type muxRouter struct{ *http.ServeMux }

func (m muxRouter) Handle(method, pattern string, h http.Handler) {
	m.ServeMux.Handle(method+" "+pattern, h)
}

type answer struct {
	status int
	header http.Header
	body   []byte
	err    api.Error
}

func (a answer) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("answer %d %s: %v", a.status, a.body, err)
	}
}

func (e *env) do(t *testing.T, method, target, ct string, body []byte, header ...string) answer {
	t.Helper()
	r := httptest.NewRequest(method, target, bytes.NewReader(body))
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	a := answer{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
	if w.Code >= 400 && api.IsAPIPath(target) {
		var env api.Envelope
		if json.Unmarshal(a.body, &env) == nil && env.Error != nil {
			a.err = *env.Error
		}
	}
	return a
}

func (e *env) submitJSON(t *testing.T, body string, header ...string) answer {
	t.Helper()
	return e.do(t, http.MethodPost, "/api/v1/feedback", "application/json", []byte(body), header...)
}

// part is one part of a multipart body: a field, or a file when file is
// set.
type part struct {
	name, value string
	file        string
	data        []byte
}

func multipartBody(t *testing.T, parts []part) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, p := range parts {
		if p.file == "" && p.data == nil {
			if err := mw.WriteField(p.name, p.value); err != nil {
				t.Fatal(err)
			}
			continue
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+p.name+`"; filename="`+p.file+`"`)
		h.Set("Content-Type", "image/jpeg")
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(p.data)
	}
	mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

// counts is how many rows each table holds.
func (e *env) counts(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"feedback_items", "feedback_contacts", "feedback_photos", "feedback_blobs",
		"feedback_idempotency", "feedback_events", "feedback_notes", "feedback_corrections"} {
		var n int
		if err := e.db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}
