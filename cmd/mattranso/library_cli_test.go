package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/ingest"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

// The commands that change the library on a shared PostgreSQL database,
// each from a data directory of its own as on another machine: ingest
// and delete-doc go through the change log, and wait their turn behind
// another ingest or say so.
func TestLibraryCommandsOnSharedDatabase(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	env := map[string]string{"DATABASE_URL": dsn, "MATTRANSO_SEARCH_MODE": "keyword"}
	dump := filepath.Join(t.TempDir(), "laws.json")
	if err := os.WriteFile(dump, []byte(`[{"id": "Luật Cư trú", "articles": [{"id": "Điều 1", "text": "Công dân có quyền tự do cư trú."}]},
		{"id": "Luật Hộ tịch", "articles": [{"id": "Điều 1", "text": "Đăng ký khai sinh cho trẻ em."}]}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := runCmd(t, env, "migrate", "--data", t.TempDir()); code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, stderr)
	}
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	docs := corpus.NewStore(db)

	// Another ingest holds the library: ingest gives up at once, in
	// Vietnamese first, with its own exit status; nothing is written.
	lock, err := ingest.AcquireLock(t.Context(), db, ingest.LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runCmd(t, env, "ingest", "--data", t.TempDir(), dump)
	if code != 3 || !strings.Contains(stderr, "một lượt nạp thư viện khác đang chạy") {
		t.Errorf("ingest while another runs: exit %d, stderr %q; want 3 saying so", code, stderr)
	}
	_, stderr, code = runCmd(t, env, "admin", "delete-doc", "--data", t.TempDir(), "--wait", "300ms", "luat-cu-tru")
	if code != 3 || !strings.Contains(stderr, "một lượt nạp thư viện khác đang chạy") {
		t.Errorf("delete-doc while an ingest runs: exit %d, stderr %q; want 3 saying so", code, stderr)
	}
	lock.Release()
	if n, _ := docs.Count(t.Context(), ""); n != 0 {
		t.Fatalf("refused commands wrote %d documents", n)
	}

	stdout, stderr, code := runCmd(t, env, "ingest", "--data", t.TempDir(), dump)
	if code != 0 || !strings.Contains(stdout, "2 added") {
		t.Fatalf("ingest: exit %d\n%s\n%s", code, stdout, stderr)
	}
	changes, err := docs.Changes(t.Context(), 0, 0)
	if err != nil || len(changes) != 2 {
		t.Fatalf("change log after ingesting 2 laws: %+v, %v", changes, err)
	}
	id := changes[0].DocID
	if _, stderr, code := runCmd(t, env, "admin", "delete-doc", "--data", t.TempDir(), id); code != 0 {
		t.Fatalf("delete-doc %s: exit %d: %s", id, code, stderr)
	}
	if _, err := docs.Get(t.Context(), id); err == nil {
		t.Errorf("%s still stored after delete-doc", id)
	}
	last, err := docs.LastChange(t.Context())
	if err != nil || last.DocID != id || last.Op != corpus.OpDeleted {
		t.Errorf("the last change %+v, %v; want %s deleted", last, err, id)
	}
	if _, stderr, code := runCmd(t, env, "admin", "delete-doc", "--data", t.TempDir(), id); code == 0 || !strings.Contains(stderr, "not found") {
		t.Errorf("delete-doc of a document not stored: exit %d, %q", code, stderr)
	}
}
