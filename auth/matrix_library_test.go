package auth_test

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/ingest"
	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
	"github.com/mattranso/mattranso/web"
)

// The library's write API (ingest.HTTP) acts on the national library, so
// it asks library.write on the central committee (RootUnit) whatever the
// document: the matrix's relations between a user's unit and a target do
// not apply, and its rows are here, by the unit the role is held at.

// libraryDocs are the fixture's library stores, by fixture.
var libraryDocs sync.Map // *fixture → *corpus.Store

func init() {
	fixtureModules = append(fixtureModules, func(f *fixture, log *slog.Logger) web.Module {
		ctx := context.Background()
		docs := corpus.NewStore(f.db)
		if err := docs.Migrate(ctx); err != nil {
			f.t.Fatal(err)
		}
		if err := ingest.Migrate(ctx, f.db); err != nil {
			f.t.Fatal(err)
		}
		idx, err := retrieval.OpenKeyword(filepath.Join(f.t.TempDir(), "keyword"))
		if err != nil {
			f.t.Fatal(err)
		}
		f.t.Cleanup(func() { idx.Close() })
		libraryDocs.Store(f, docs)
		h := ingest.NewHTTP(ingest.HTTPOptions{DB: f.db, Store: docs, Index: idx, Authorizer: auth.Check, Auditor: auth.AuditLog,
			Unit: auth.RootUnit, Logger: log})
		return web.Module{Name: "library-write", BodyLimits: ingest.BodyLimits, Mount: func(r web.Router, _ *web.Renderer) error {
			h.Register(r)
			return nil
		}}
	})
}

const libraryLaw = `[{"id": "Luật Cư trú", "articles": [{"id": "Điều 1", "text": "Công dân có quyền tự do cư trú."}]}]`

func TestLibraryWriteMatrix(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, fixtureOptions{})
		v, _ := libraryDocs.Load(f)
		docs := v.(*corpus.Store)
		post := func(token string) response {
			return f.do(http.MethodPost, ingest.DocumentsPath, token, strings.NewReader(libraryLaw), "Content-Type", "application/json")
		}
		del := func(token, id string) response {
			return f.do(http.MethodDelete, ingest.DocumentsPath+"/"+id, token, nil)
		}
		if r := post(""); r.status != http.StatusUnauthorized {
			t.Errorf("anonymous POST: %d %s, want 401", r.status, r.body)
		}
		if r := del("", "x"); r.status != http.StatusUnauthorized {
			t.Errorf("anonymous DELETE: %d %s, want 401", r.status, r.body)
		}
		units := []string{auth.RootUnit, "VN/CD", hcmc + "/MTTQ", saiGon + "/MTTQ"}
		for _, role := range allRoles {
			for _, unit := range units {
				want := role == auth.Admin && unit == auth.RootUnit
				token, _ := f.token(string(role)+"."+strings.ReplaceAll(unit, "/", ".")+"@library.vn", role, unit)
				r := post(token)
				var out ingest.Written
				switch {
				case want && r.status == http.StatusOK:
					decode(t, r, &out)
					if len(out.Written) != 1 {
						t.Fatalf("%s at %s: POST wrote %v", role, unit, out.Written)
					}
				case want:
					t.Errorf("%s at %s: POST %d %s, want 200", role, unit, r.status, r.body)
				case r.status != http.StatusForbidden:
					t.Errorf("%s at %s: POST %d %s, want 403", role, unit, r.status, r.body)
				}
				ids, err := docs.Hashes(t.Context(), "")
				if err != nil {
					t.Fatal(err)
				}
				if !want && len(ids) > 0 {
					t.Fatalf("%s at %s: refused, but the library holds %v", role, unit, ids)
				}
				for id := range ids {
					if want {
						if r := del(token, id); r.status != http.StatusOK {
							t.Errorf("%s at %s: DELETE %s: %d %s", role, unit, id, r.status, r.body)
						}
					}
				}
				if !want {
					// Something to refuse to delete.
					if err := docs.Put(t.Context(), &corpus.Document{ID: "luat-thu", Kind: corpus.KindLaw, Title: "Luật thử"}); err != nil {
						t.Fatal(err)
					}
					if r := del(token, "luat-thu"); r.status != http.StatusForbidden {
						t.Errorf("%s at %s: DELETE %d %s, want 403", role, unit, r.status, r.body)
					}
					if _, err := docs.Get(t.Context(), "luat-thu"); err != nil {
						t.Errorf("%s at %s: refused DELETE, yet: %v", role, unit, err)
					}
					if err := docs.Delete(t.Context(), "luat-thu"); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		// The writes allowed are in the audit log.
		n := 0
		for _, e := range f.events(ingest.ActionWrite) {
			if e.Outcome == auth.OutcomeOK && e.Unit == auth.RootUnit {
				n++
			}
		}
		if n != 2 {
			t.Errorf("%d library writes audited, want 2 (the post and the delete)", n)
		}
	})
}
