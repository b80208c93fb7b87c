package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/store"
)

// searchIDs returns the passages a search answers, in order, and the
// degraded notice if any.
func searchIDs(t *testing.T, base, q string) ([]string, string) {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/library/search?limit=10&q=" + url.QueryEscape(q))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("search %q at %s: %s %s", q, base, resp.Status, b)
	}
	var r struct {
		Results []struct {
			ID        string `json:"id"`
			PassageID string `json:"passage_id"`
		} `json:"results"`
		Degraded string `json:"degraded"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, x := range r.Results {
		ids = append(ids, x.ID+"|"+x.PassageID)
	}
	return ids, r.Degraded
}

// copyTree copies the files under src into dst, as an administrator
// restoring a backup with cp -a does.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A backup taken while the server serves and takes submissions, restored
// into an empty directory, serves the same search results: the same
// passages in the same order for 50 questions, with the vectors of the
// same local embedder.
func TestBackupRestoreSameResults(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests a library and starts two servers: not under -short")
	}
	laws := testenv.SharedPath(t, "corpus", "laws", "alqac2022-4-laws.json")
	bin := buildBinary(t)
	data, restored := t.TempDir(), t.TempDir()
	out := filepath.Join(t.TempDir(), "backup")
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "MATTRANSO_UNITS=none",
		"MATTRANSO_TRAIN_PAIRS=none", "MATTRANSO_FEEDBACK_RATE=0", "LOG_LEVEL=warn"}
	runBin(t, bin, append(env, "MATTRANSO_DATA="+data), "admin", "import-units", filepath.Join("..", "..", "congress", "testdata", "tree.csv"))

	addr := freeAddr(t)
	orig := startProc(t, []string{bin, "serve", "--addr", addr, "--data", data},
		append(env, "MATTRANSO_INGEST="+laws), "http://"+addr)

	// Submissions keep coming while the backup is taken.
	ctx, stop := context.WithCancel(context.Background())
	var sent atomic.Int64
	var wg sync.WaitGroup
	const clients = 4
	for c := range clients {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				body := fmt.Sprintf(`{"content":"Cống thoát nước trước nhà số %d/%d bị tắc, mưa to là ngập, đề nghị nạo vét.","commune_code":"00004"}`, i, c)
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, orig.base+"/api/v1/feedback", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", fmt.Sprintf("backup-%d-%d", c, i))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusCreated {
					sent.Add(1)
				}
			}
		})
	}
	for sent.Load() < 20 {
		time.Sleep(20 * time.Millisecond)
	}
	before := sent.Load()
	msg := runBin(t, bin, env, "admin", "backup", "--data", data, out)
	after := sent.Load()
	stop()
	wg.Wait()
	t.Log(strings.TrimSpace(msg))
	if after == before {
		t.Errorf("no submission was acknowledged while the backup ran (%d before): not an online backup test", before)
	}

	// The copy is a whole database, holding what was acknowledged before
	// the backup began.
	db, err := store.Open(context.Background(), filepath.Join(out, "mattranso.db"))
	if err != nil {
		t.Fatal(err)
	}
	var check string
	var items int64
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check of the backup = %q, %v", check, err)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM feedback_items`).Scan(&items); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// Each of the clients may have had one submission stored and not yet
	// acknowledged when the backup ended.
	if items < before || items > after+clients {
		t.Errorf("the backup holds %d feedback items; %d were acknowledged before it began and %d when it ended (%d clients)", items, before, after, clients)
	}
	if _, err := os.Stat(filepath.Join(out, "index", "keyword")); err == nil {
		t.Errorf("the backup holds a keyword index: it is to be rebuilt from the database")
	}

	// Restored into an empty directory, served without ingesting.
	copyTree(t, out, restored)
	addr2 := freeAddr(t)
	back := startProc(t, []string{bin, "serve", "--addr", addr2, "--data", restored},
		append(env, "MATTRANSO_INGEST=none"), "http://"+addr2)

	// serve is ready on keywords before its vector side has learned; the
	// restored one loads the models the backup copied.
	learned := time.Now().Add(5 * time.Minute)
	waitLearned(t, orig.base, learned)
	waitLearned(t, back.base, learned)

	queries := realQueries(t, 50)
	differ, empty := 0, 0
	for _, q := range queries {
		a, degA := searchIDs(t, orig.base, q)
		b, degB := searchIDs(t, back.base, q)
		if degA != "" || degB != "" {
			t.Errorf("%q: degraded search (original %q, restored %q)", q, degA, degB)
		}
		if len(a) == 0 {
			empty++
		}
		if !slices.Equal(a, b) {
			if differ++; differ <= 5 {
				t.Errorf("%q:\noriginal %v\nrestored %v", q, a, b)
			}
		}
	}
	if differ > 0 {
		t.Errorf("%d of %d queries answer differently after the restore", differ, len(queries))
	}
	if empty > len(queries)/2 {
		t.Errorf("%d of %d queries found nothing: the comparison says little", empty, len(queries))
	}
	t.Logf("%d queries compared, %d with no result", len(queries), empty)
}

// What admin backup refuses, before copying anything.
func TestBackupRefusals(t *testing.T) {
	data, full := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "x"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := runCmd(t, nil, "ingest", "--data", data, "../../ingest/testdata/broken"); code > 1 {
		t.Fatalf("ingest: %s", stderr)
	}
	cases := []struct {
		name string
		env  map[string]string
		args []string
		code int
		msg  string
	}{
		{"no OUT", nil, []string{"admin", "backup", "--data", data}, 2, "hãy nêu thư mục"},
		{"OUT not empty", nil, []string{"admin", "backup", "--data", data, full}, 2, "không trống"},
		{"no database", nil, []string{"admin", "backup", "--data", t.TempDir(), filepath.Join(t.TempDir(), "b")}, 1, "không có cơ sở dữ liệu"},
		{"PostgreSQL", map[string]string{"DATABASE_URL": "postgres://u@127.0.0.1:1/x"}, []string{"admin", "backup", "--data", data, filepath.Join(t.TempDir(), "b")}, 2, "pg_dump"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("DATABASE_URL", "")
			_, stderr, code := runCmd(t, c.env, c.args...)
			if code != c.code || !strings.Contains(stderr, c.msg) {
				t.Errorf("exit %d, %q; want %d and %q", code, stderr, c.code, c.msg)
			}
		})
	}
	// On an idle data directory: the database and the embedder ingest
	// trained, no index.
	out := filepath.Join(t.TempDir(), "b")
	stdout, stderr, code := runCmd(t, nil, "admin", "backup", "--data", data, out)
	if code != 0 {
		t.Fatalf("backup: %d %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "index", "local", "embedder.bin")); err != nil {
		t.Errorf("backup: no embedder: %v (%s)", err, stdout)
	}
	if _, err := os.Stat(filepath.Join(out, "index", "keyword")); err == nil {
		t.Errorf("backup: the keyword index was copied (%s)", stdout)
	}
	db, err := store.Open(context.Background(), filepath.Join(out, "mattranso.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var docs int
	if err := db.QueryRow(`SELECT COUNT(*) FROM documents`).Scan(&docs); err != nil || docs == 0 {
		t.Errorf("the copy holds %d documents (%v)", docs, err)
	}
}
