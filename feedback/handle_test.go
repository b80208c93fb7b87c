package feedback_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/time/rate"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/auth/dextest"
	"github.com/mattranso/mattranso/feedback"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/web"
)

// office is the site as serve builds it for officers — web's shell with
// the real auth (bearer tokens as `admin token create` makes them;
// sessions through a real Dex for the pages' forms) and feedback's public
// and officers' routes — over a test database with the test tree, served
// on 127.0.0.1.
type office struct {
	*env
	t    *testing.T
	auth *auth.Service
	hd   *feedback.Handling
	site http.Handler
	srv  *httptest.Server
	dex  *dextest.Dex
}

type officeOptions struct {
	envOptions
	handling feedback.HandlingOptions
	dex      bool
}

func newOffice(t *testing.T, db *store.DB, o officeOptions) *office {
	t.Helper()
	e := newEnv(t, db, o.envOptions)
	f := &office{env: e, t: t}
	ctx := t.Context()
	if err := auth.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	var h atomic.Pointer[http.Handler]
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*h.Load()).ServeHTTP(w, r) }))
	t.Cleanup(f.srv.Close)
	var oidc auth.OIDC
	if o.dex {
		f.dex = dextest.Start(t, dextest.Options{RedirectURLs: []string{f.srv.URL + "/auth/callback"}, Users: []dextest.User{
			{Email: saiGonOfficer, Password: "mat-khau-1", Name: "Trần Văn Bình", Subject: "7a1e2b3c-0000-4000-8000-000000000001"},
		}})
		oidc = auth.OIDC{Issuer: f.dex.Issuer, ClientID: f.dex.ClientID, ClientSecret: f.dex.ClientSecret}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var err error
	f.auth, err = auth.New(auth.Options{DB: db, Units: org.IDs{Store: e.tree}, OIDC: oidc, PublicURL: f.srv.URL,
		LoginLimiter: auth.NewLimiter(rate.Inf, 1), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ho := o.handling
	ho.Authorizer, ho.Auditor, ho.CSRF, ho.CSRFField = auth.Check, auth.AuditLog, auth.CSRFToken, auth.CSRFFieldName
	if ho.PublicURL == "" {
		ho.PublicURL = "https://pakn.example.vn"
	}
	if ho.Logger == nil {
		ho.Logger = log
	}
	if f.hd, err = feedback.NewHandling(e.svc, ho); err != nil {
		t.Fatal(err)
	}
	f.site = web.New(web.Options{
		Logger: log,
		Modules: []web.Module{
			{Name: "auth", Templates: auth.Templates, Funcs: auth.TemplateFuncs, Mount: func(r web.Router, p *web.Renderer) error {
				f.auth.Register(r, p)
				return nil
			}},
			{Name: "feedback", Templates: feedback.Templates, Funcs: feedback.TemplateFuncs, BodyLimits: feedback.BodyLimits,
				Mount: func(r web.Router, p *web.Renderer) error {
					e.svc.Register(r, p)
					f.hd.Register(r, p)
					return nil
				}},
		},
		Middleware: []func(http.Handler) http.Handler{f.auth.Middleware},
		CSRFField:  auth.CSRFField,
	})
	h.Store(&f.site)
	return f
}

// The people of the tests.
const (
	saiGonOfficer   = "can-bo.saigon@mattranso.test"   // officer of 26734/MTTQ
	benThanhOfficer = "can-bo.benthanh@mattranso.test" // officer of 26743/MTTQ
	hcmcOfficer     = "can-bo.tphcm@mattranso.test"    // officer of 79/MTTQ
	hanoiOfficer    = "can-bo.hanoi@mattranso.test"    // officer of 01/MTTQ
	hcmcViewer      = "theo-doi.tphcm@mattranso.test"  // viewer of 79/MTTQ
)

// token grants role at unit to email and makes a bearer token of it.
func (f *office) token(email string, role auth.Role, unit string) string {
	f.t.Helper()
	ctx := f.t.Context()
	if _, err := f.auth.Store().Grant(ctx, email, role, unit, "test"); err != nil {
		f.t.Fatal(err)
	}
	secret, _, err := f.auth.Store().CreateToken(ctx, auth.TokenSpec{Email: email, Role: role, Unit: unit, CreatedBy: "test"})
	if err != nil {
		f.t.Fatal(err)
	}
	return secret
}

// officers makes the tokens of the tests' people.
func (f *office) officers() map[string]string {
	return map[string]string{
		saiGonOfficer:   f.token(saiGonOfficer, auth.Officer, "26734/MTTQ"),
		benThanhOfficer: f.token(benThanhOfficer, auth.Officer, "26743/MTTQ"),
		hcmcOfficer:     f.token(hcmcOfficer, auth.Officer, "79/MTTQ"),
		hanoiOfficer:    f.token(hanoiOfficer, auth.Officer, "01/MTTQ"),
		hcmcViewer:      f.token(hcmcViewer, auth.Viewer, "79/MTTQ"),
	}
}

// call sends a request to the site with a bearer token ("" for none); a
// body that is not a string is sent as JSON.
func (f *office) call(t *testing.T, method, target, token string, body any) answer {
	t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd, ct = bytes.NewReader(data), "application/json"
	}
	r := httptest.NewRequest(method, target, rd)
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	f.site.ServeHTTP(w, r)
	a := answer{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
	if w.Code >= 400 && api.IsAPIPath(target) {
		var env api.Envelope
		if json.Unmarshal(a.body, &env) == nil && env.Error != nil {
			a.err = *env.Error
		}
	}
	return a
}

// submit stores a citizen's item as the public form does and returns it.
func (f *office) submit(t *testing.T, sub feedback.Submission) feedback.Item {
	t.Helper()
	if sub.CommuneCode == "" {
		sub.CommuneCode = "26734"
	}
	c, err := f.svc.Submit(t.Context(), sub)
	if err != nil {
		t.Fatalf("submit %q: %v", sub.Content, err)
	}
	it, err := f.store.Item(t.Context(), c.ItemID)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func itemPath(id int64, rest ...string) string {
	return "/api/v1/feedback/items/" + strconv.FormatInt(id, 10) + strings.Join(rest, "")
}

// staff reads an item as the API answers it to staff.
func (f *office) staff(t *testing.T, id int64, token string) feedback.StaffItem {
	t.Helper()
	a := f.call(t, http.MethodGet, itemPath(id), token, nil)
	if a.status != http.StatusOK {
		t.Fatalf("GET item %d: %d %s", id, a.status, a.body)
	}
	var v feedback.StaffItem
	a.json(t, &v)
	return v
}

// auditEvents are the audit log's events of action, newest first.
func (f *office) auditEvents(t *testing.T, action string) []auth.Event {
	t.Helper()
	evs, err := f.auth.Store().Events(context.Background(), auth.EventQuery{Action: action, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// lastEvent is the last entry of an item's history.
func (f *office) lastEvent(t *testing.T, id int64) feedback.Event {
	t.Helper()
	evs, err := f.store.Events(context.Background(), id)
	if err != nil || len(evs) == 0 {
		t.Fatalf("history of %d: %v, %d events", id, err, len(evs))
	}
	return evs[len(evs)-1]
}
