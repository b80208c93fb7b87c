package ingest

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

type allowAll struct{}

func (allowAll) Authorize(*http.Request, string, string) error { return nil }

type mux struct{ *http.ServeMux }

func (m mux) Handle(method, pattern string, h http.Handler) { m.ServeMux.Handle(method+" "+pattern, h) }

func TestHTTPRefusals(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		l := openLib(t, db, t.TempDir())
		m := mux{http.NewServeMux()}
		NewHTTP(HTTPOptions{DB: db, Store: l.docs, Index: l.index, Authorizer: allowAll{}, Unit: "VN/MTTQ"}).Register(m)
		send := func(method, target, ct, body string) (int, map[string]any) {
			r := httptest.NewRequest(method, target, strings.NewReader(body))
			if ct != "" {
				r.Header.Set("Content-Type", ct)
			}
			w := httptest.NewRecorder()
			m.ServeHTTP(w, r)
			var out map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
				t.Fatalf("%s %s: %d %q is not JSON", method, target, w.Code, w.Body)
			}
			return w.Code, out
		}
		field := func(out map[string]any) string {
			e, _ := out["error"].(map[string]any)
			f, _ := e["field"].(string)
			return f
		}
		good := `[{"id": "Luật Cư trú", "articles": [{"id": "Điều 1", "text": "Công dân có quyền tự do cư trú."}]}]`
		for _, c := range []struct {
			what, method, target, ct, body string
			status                         int
			field                          string
		}{
			{"a form", "POST", DocumentsPath, "application/x-www-form-urlencoded", "a=b", 415, "Content-Type"},
			{"no Content-Type", "POST", DocumentsPath, "", good, 415, "Content-Type"},
			{"an empty body", "POST", DocumentsPath, "application/json", "", 400, "body"},
			{"not a document file", "POST", DocumentsPath, "application/json", `{"x": 1}`, 422, "body"},
			{"a dump whose every record is broken", "POST", DocumentsPath, "application/json", `[{"id": "Luật A", "articles": 5}]`, 422, "body"},
			{"a bad wait", "POST", DocumentsPath + "?wait=mai", "application/json", good, 400, "wait"},
			{"too long a wait", "POST", DocumentsPath + "?wait=2h", "application/json", good, 400, "wait"},
			{"an unknown document", "DELETE", DocumentsPath + "/khong-co", "", "", 404, "id"},
		} {
			status, out := send(c.method, c.target, c.ct, c.body)
			if status != c.status || field(out) != c.field {
				t.Errorf("%s: %d %v, want %d naming %q", c.what, status, out, c.status, c.field)
			}
		}
		if n, _ := l.docs.Count(t.Context(), ""); n != 0 {
			t.Fatalf("the refusals stored %d documents", n)
		}

		// While another ingest runs: 409 at once, saying so in Vietnamese
		// first; nothing written.
		lock, err := AcquireLock(t.Context(), db, LockOptions{})
		if err != nil {
			t.Fatal(err)
		}
		status, out := send("POST", DocumentsPath, "application/json", good)
		msg, _ := out["error"].(map[string]any)["message"].(string)
		if status != http.StatusConflict || !strings.HasPrefix(msg, "một lượt nạp thư viện khác đang chạy") {
			t.Errorf("POST during another ingest: %d %v, want 409 saying so", status, out)
		}
		lock.Release()
		status, out = send("POST", DocumentsPath, "application/json", good)
		if status != http.StatusOK || out["added"] != float64(1) {
			t.Fatalf("POST: %d %v", status, out)
		}
		id := out["written"].([]any)[0].(string)
		var remembered int
		if err := db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM ingest_sources`).Scan(&remembered); err != nil || remembered != 0 {
			t.Errorf("an upload left %d remembered runs (%v), want none: its file is gone", remembered, err)
		}
		if got := indexedDocIDs(t, l); !got[id] {
			t.Errorf("the written law is not in this instance's index: %v", got)
		}
		status, out = send("DELETE", DocumentsPath+"/"+id, "", "")
		if status != http.StatusOK || out["deleted"] != id {
			t.Fatalf("DELETE %s: %d %v", id, status, out)
		}
		if got := indexedDocIDs(t, l); got[id] {
			t.Errorf("the deleted law is still in this instance's index")
		}
		if err := Delete(t.Context(), DeleteOptions{DB: db, Store: l.docs, Index: l.index}, id); !errors.Is(err, corpus.ErrNotFound) {
			t.Errorf("deleting it again: %v, want not found", err)
		}
	})
}

func indexedDocIDs(t *testing.T, l *lib) map[string]bool {
	t.Helper()
	ps, err := l.index.Passages(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, p := range ps {
		out[p.DocID] = true
	}
	return out
}
