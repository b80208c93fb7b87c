package auth_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

// ScopesFor reads the sender of a request through the middleware: nobody
// signed in is an error Fail answers 401; a token carries its one grant.
func TestScopesFor(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, fixtureOptions{})
		viewer, _ := f.token("xem@mttq.vn", auth.Viewer, hcmc+"/MTTQ")
		officer, _ := f.token("can.bo@mttq.vn", auth.Officer, saiGon+"/MTTQ")
		for _, c := range []struct {
			token, action string
			want          []string
			anonymous     bool
		}{
			{"", "report.read", nil, true},
			{viewer, "report.read", []string{hcmc + "/MTTQ"}, false},
			{viewer, "feedback.read", nil, false},
			{officer, "feedback.read", []string{saiGon + "/MTTQ"}, false},
			{officer, "auth.admin", nil, false},
		} {
			var (
				got []string
				err error
			)
			h := f.auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got, err = auth.Check.Scopes(r, c.action)
			}))
			r := httptest.NewRequest(http.MethodGet, "/api/v1/x", nil)
			if c.token != "" {
				r.Header.Set("Authorization", "Bearer "+c.token)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if c.anonymous {
				if !errors.Is(err, auth.ErrUnauthenticated) {
					t.Errorf("anonymous %s: err %v, want ErrUnauthenticated", c.action, err)
				}
				continue
			}
			if err != nil || !slices.Equal(got, c.want) {
				t.Errorf("%s… %s: %v, %v; want %v", c.token[:min(6, len(c.token))], c.action, got, err, c.want)
			}
		}
		// Without the middleware nobody can be identified.
		if _, err := auth.ScopesFor(httptest.NewRequest(http.MethodGet, "/", nil), auth.ReportRead); !errors.Is(err, auth.ErrUnauthenticated) ||
			!strings.Contains(err.Error(), "report.read") {
			t.Errorf("without the middleware: %v", err)
		}
	})
}
