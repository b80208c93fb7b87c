package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/store"
)

// Several `mattranso serve` processes on one PostgreSQL database, each
// with its own data directory, as instances behind a load balancer: the
// library written through one is searched the same through every one.

// launched is a serve process started but perhaps not ready yet.
type launched struct {
	base    string
	log     *syncBuffer
	exited  chan error
	cmd     *exec.Cmd
	stopped bool
}

// launch starts `bin serve` on a free port with a data directory of its
// own; it is stopped with SIGTERM at the end of the test and must exit
// cleanly. It does not wait: see ready.
func launch(t *testing.T, bin string, env []string) *launched {
	t.Helper()
	return launchIn(t, bin, env, t.TempDir())
}

// launchIn is launch with the data directory dir.
func launchIn(t *testing.T, bin string, env []string, dir string) *launched {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve", "--addr", addr, "--data", dir)
	cmd.Env = env
	l := &launched{base: "http://" + addr, log: &syncBuffer{}, exited: make(chan error, 1), cmd: cmd}
	cmd.Stdout, cmd.Stderr = l.log, l.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { l.exited <- cmd.Wait() }()
	t.Cleanup(func() { l.stop(t) })
	return l
}

// stop ends the instance with SIGTERM; it must exit cleanly.
func (l *launched) stop(t *testing.T) {
	t.Helper()
	if l.stopped {
		return
	}
	l.stopped = true
	_ = l.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-l.exited:
		if err != nil {
			t.Errorf("serve at %s: %v\n%s", l.base, err, l.log)
		}
	case <-time.After(30 * time.Second):
		_ = l.cmd.Process.Kill()
		t.Errorf("serve at %s did not stop within 30 s of SIGTERM\n%s", l.base, l.log)
	}
}

// ready waits until the instance answers /readyz with 200 (a bound on a
// hang of two minutes, not a timing check) and returns its answer.
func (l *launched) ready(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case err := <-l.exited:
			t.Fatalf("serve at %s exited: %v\n%s", l.base, err, l.log)
		default:
		}
		if resp, err := http.Get(l.base + "/readyz"); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return string(b)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve at %s not ready in 2 minutes\n%s", l.base, l.log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// libraryPassages asks an instance's search API and returns the passages found,
// in order.
func libraryPassages(t *testing.T, base, q string) []string {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/library/search?limit=20&q=" + url.QueryEscape(q))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Results []struct {
			ID        string `json:"id"`
			PassageID string `json:"passage_id"`
		} `json:"results"`
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("search %q at %s: %s %s", q, base, resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, r := range out.Results {
		ids = append(ids, r.PassageID)
	}
	return ids
}

func docOf(passage string) string { id, _, _ := strings.Cut(passage, "#"); return id }

// within waits up to 5 s — the acceptance bound — for ok.
func within5s(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5 s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lawDump is a law dump of laws, by name, as the ingester reads it.
func lawDump(laws map[string][]string) []byte { return testenv.LawDump(laws, nil) }

// sameRanking checks that every instance ranks query's passages as the
// first does (when: the moment, for the messages) and returns that
// ranking, which must hold at least least passages to compare.
func sameRanking(t *testing.T, when, query string, least int, insts ...*launched) []string {
	t.Helper()
	want := libraryPassages(t, insts[0].base, query)
	if len(want) < least {
		t.Fatalf("%s: %q finds %v, too few to compare rankings", when, query, want)
	}
	for i, in := range insts[1:] {
		if got := libraryPassages(t, in.base, query); !slices.Equal(got, want) {
			t.Errorf("%s: instance %d ranks %v, instance 1 %v", when, i+2, got, want)
		}
	}
	return want
}

// settled waits until every instance says it has applied the newest
// change of the library (its memory snapshot rebuilt with it) and, when
// it searches with the library's models, that the models it uses are the
// database's newest for the library as it is at that change: from then
// on each answers as it will until the next change. The wait is bounded
// (two minutes, for a hang), not timed.
func settled(t *testing.T, docs *corpus.Store, insts ...*launched) {
	t.Helper()
	last, err := docs.LastChange(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	mark := fmt.Sprintf("applied up to #%d)", last.Seq)
	models := fmt.Sprintf("current at #%d)", last.Seq)
	deadline := time.Now().Add(2 * time.Minute)
	for i, in := range insts {
		for {
			r := in.ready(t)
			if strings.Contains(r, mark) && (!strings.Contains(r, "(models:") || strings.Contains(r, models)) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("instance %d has not applied change %d with its models: %q\n%s", i+1, last.Seq, r, in.log)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// modelsLine matches /readyz's account of the models an instance uses.
var modelsLine = regexp.MustCompile(`\(models: embedder v(\d+), re-ranker v(\d+), current at #\d+\)`)

// sameModels checks that every instance, settled, searches with the
// database's newest embedder and the re-ranker taught over it, and
// returns the embedder's version.
func sameModels(t *testing.T, db *store.DB, insts ...*launched) int64 {
	t.Helper()
	models := retrieval.NewModels(db)
	emb, ok, err := models.Latest(t.Context(), retrieval.ModelEmbedder, 0)
	if err != nil || !ok {
		t.Fatalf("no embedder in the database: %v", err)
	}
	rr, ok, err := models.Latest(t.Context(), retrieval.ModelReranker, emb.Version)
	if err != nil || !ok {
		t.Fatalf("no re-ranker taught over embedder v%d in the database: %v", emb.Version, err)
	}
	want := fmt.Sprintf("(models: embedder v%d, re-ranker v%d, current at", emb.Version, rr.Version)
	for i, in := range insts {
		r := in.ready(t)
		if !modelsLine.MatchString(r) || !strings.Contains(r, want) {
			t.Errorf("instance %d /readyz: %q, want %s…", i+1, r, want)
		}
	}
	return emb.Version
}

// articles makes n articles of a law on the work of local bodies, each
// saying something of its own, starting from the seed-th combination.
func articles(n, seed int) []string {
	who := []string{"Ủy ban nhân dân cấp xã", "Ban Thường trực Ủy ban Mặt trận Tổ quốc", "cơ quan công an",
		"Hội đồng nhân dân", "người đứng đầu cơ quan", "tổ chức chính trị - xã hội"}
	does := []string{"tiếp nhận", "giải quyết", "giám sát", "phản biện", "hướng dẫn", "kiểm tra"}
	what := []string{"kiến nghị của cử tri", "đơn khiếu nại, tố cáo", "hồ sơ đăng ký hộ tịch",
		"báo cáo định kỳ", "ý kiến của nhân dân", "chương trình hành động"}
	out := make([]string, n)
	for i := range out {
		k := i + seed
		out[i] = fmt.Sprintf("%s có trách nhiệm %s %s trong thời hạn %d ngày làm việc, kể từ ngày nhận đủ giấy tờ theo quy định.",
			who[k%len(who)], does[(k/len(who))%len(does)], what[(k+k/len(who))%len(what)], 3+k%12)
	}
	return out
}

func libraryRequest(t *testing.T, method, target, token string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestLibraryAcrossServeProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts four servers: not under -short")
	}
	dsn := throwawayDatabase(t)
	bin := buildBinary(t)
	// The default search: hybrid, with the local embedder and the
	// re-ranker the library teaches, which one instance trains and every
	// instance loads from the database.
	env := append(os.Environ(), "DATABASE_URL="+dsn, "MATTRANSO_INGEST=none", "MATTRANSO_SEARCH_MODE=", "MATTRANSO_RERANKER=",
		"QDRANT_URL=", "EMBEDDING_MODEL=", "LOG_LEVEL=info")
	admin := func(args ...string) string {
		t.Helper()
		return strings.TrimSpace(runBin(t, bin, append(env, "MATTRANSO_DATA="+t.TempDir()), append([]string{"admin"}, args...)...))
	}
	db, err := store.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	docs := corpus.NewStore(db)
	const librarian = "thu-vien@mattranso.test"
	admin("grant", "--email", librarian, "--role", "admin", "--unit", "VN/MTTQ")
	token := admin("token", "create", "--email", librarian, "--role", "admin", "--unit", "VN/MTTQ")

	var insts []*launched
	thirdDir := t.TempDir()
	for i := range 3 {
		if i == 2 {
			insts = append(insts, launchIn(t, bin, env, thirdDir))
			continue
		}
		insts = append(insts, launch(t, bin, env))
	}
	for _, in := range insts {
		in.ready(t)
	}

	// A library of a few laws, through instance 1.
	laws := map[string][]string{
		"Luật Cư trú": {
			"Công dân có quyền tự do cư trú theo quy định của Luật này.",
			"Đăng ký thường trú tại chỗ ở hợp pháp do công dân sở hữu.",
		},
		"Luật Đất đai": {
			"Nhà nước thu hồi đất vì mục đích quốc phòng, an ninh.",
			"Người sử dụng đất được bồi thường khi Nhà nước thu hồi đất.",
		},
		"Luật Hộ tịch": {
			"Đăng ký khai sinh cho trẻ em tại Ủy ban nhân dân cấp xã nơi cư trú của cha, mẹ.",
			"Đăng ký kết hôn tại Ủy ban nhân dân cấp xã nơi cư trú của một trong hai bên.",
		},
		"Luật Thực hiện dân chủ ở cơ sở": {
			"Công dân ở xã, phường, thị trấn được bàn và quyết định những nội dung về cư trú, đất đai của cộng đồng.",
		},
	}
	// And a longer one, so that the small changes below stay under the
	// share of the library that retrains the embedder (retrieval.Retrain):
	// an instance started later must then load the version the others
	// use, not learn its own from the library as it finds it.
	laws["Luật Tổ chức chính quyền địa phương"] = articles(36, 0)
	status, body := libraryRequest(t, http.MethodPost, insts[0].base+"/api/v1/library/documents", token, lawDump(laws))
	if status != http.StatusOK {
		t.Fatalf("POST a law dump to instance 1: %d %s", status, body)
	}
	var written struct {
		Added   int      `json:"added"`
		Written []string `json:"written"`
	}
	if err := json.Unmarshal([]byte(body), &written); err != nil || written.Added != 5 || len(written.Written) != 5 {
		t.Fatalf("POST a law dump: %s (%v), want 5 added", body, err)
	}
	const query = "đăng ký cư trú tại xã"
	for i, in := range insts[1:] {
		within5s(t, fmt.Sprintf("the laws written through instance 1, searched through instance %d", i+2), func() bool {
			return len(libraryPassages(t, in.base, query)) >= 4
		})
	}
	// One ranking everywhere, once each has applied the change.
	settled(t, docs, insts...)
	first := sameModels(t, db, insts...)
	want := sameRanking(t, "once each has applied the change", query, 1, insts...)

	// A law removed through instance 2 disappears from every instance.
	gone := docOf(want[0])
	status, body = libraryRequest(t, http.MethodDelete, insts[1].base+"/api/v1/library/documents/"+url.PathEscape(gone), token, nil)
	if status != http.StatusOK {
		t.Fatalf("DELETE %s through instance 2: %d %s", gone, status, body)
	}
	for i, in := range insts {
		within5s(t, fmt.Sprintf("%s removed, through instance %d", gone, i+1), func() bool {
			return !slices.ContainsFunc(libraryPassages(t, in.base, query), func(p string) bool { return docOf(p) == gone })
		})
	}
	// And a law replaced through instance 3 is found in its new words.
	laws2 := map[string][]string{"Luật Cư trú": {
		"Công dân có quyền tự do cư trú theo quy định của Luật này.",
		"Đăng ký thường trú tại chỗ ở hợp pháp; thông báo lưu trú cho công an xã.",
	}}
	status, body = libraryRequest(t, http.MethodPost, insts[2].base+"/api/v1/library/documents?wait=30s", token, lawDump(laws2))
	if status != http.StatusOK {
		t.Fatalf("POST through instance 3: %d %s", status, body)
	}
	for i, in := range insts {
		within5s(t, fmt.Sprintf("the replaced law, through instance %d", i+1), func() bool {
			return len(libraryPassages(t, in.base, "thông báo lưu trú công an")) > 0
		})
	}

	// The third, stopped while a law is added, catches up from where it
	// was when started again on its data directory — not rebuilt.
	settled(t, docs, insts...)
	insts[2].stop(t)
	laws3 := map[string][]string{"Luật Tín ngưỡng, tôn giáo": {"Mọi người có quyền tự do tín ngưỡng, tôn giáo; đăng ký sinh hoạt tôn giáo tập trung tại xã."}}
	status, body = libraryRequest(t, http.MethodPost, insts[0].base+"/api/v1/library/documents", token, lawDump(laws3))
	if status != http.StatusOK {
		t.Fatalf("POST while the third is stopped: %d %s", status, body)
	}
	retired := insts[2]
	insts[2] = launchIn(t, bin, env, thirdDir)
	insts[2].ready(t)
	if log := insts[2].log.String(); !strings.Contains(log, "documents=1 rebuilt=false") {
		t.Errorf("the restarted instance did not apply just the one change:\n%s", log)
	}

	// A fourth instance started now answers as the others.
	fourth := launch(t, bin, env)
	fourth.ready(t)
	settled(t, docs, append(insts, fourth)...)
	if v := sameModels(t, db, append(insts, fourth)...); v != first {
		t.Errorf("small changes moved the embedder from v%d to v%d", first, v)
	}
	sameRanking(t, "after the changes", query, 3, append(insts, fourth)...)

	// A law large enough to retrain the embedder, through the fourth: one
	// instance trains the next version, and every instance takes it up
	// without a restart and ranks as the others again.
	status, body = libraryRequest(t, http.MethodPost, fourth.base+"/api/v1/library/documents", token,
		lawDump(map[string][]string{"Luật Mặt trận Tổ quốc Việt Nam": articles(12, 7)}))
	if status != http.StatusOK {
		t.Fatalf("POST a large law through the fourth: %d %s", status, body)
	}
	settled(t, docs, append(insts, fourth)...)
	if v := sameModels(t, db, append(insts, fourth)...); v != first+1 {
		t.Errorf("after a large law, the instances use embedder v%d, want v%d", v, first+1)
	}
	const query2 = "giám sát kiến nghị của cử tri"
	sameRanking(t, "after the new models", query2, 3, append(insts, fourth)...)

	// Each version of the embedder was trained by one instance alone.
	trained := regexp.MustCompile(`msg="local embedder trained and stored for every instance" version=(\d+)`)
	by := map[string]int{}
	for _, in := range append(insts, fourth, retired) {
		for _, m := range trained.FindAllStringSubmatch(in.log.String(), -1) {
			by[m[1]]++
		}
	}
	if len(by) == 0 {
		t.Error("no instance logged training the local embedder")
	}
	for v, n := range by {
		if n != 1 {
			t.Errorf("embedder v%s was trained by %d instances", v, n)
		}
	}

	// Each says how far behind it is, and it is not.
	for i, in := range append(insts, fourth) {
		if r := in.ready(t); !strings.Contains(r, "library: 0 changes, 0 s behind") {
			t.Errorf("instance %d /readyz: %q, want its lag", i+1, r)
		}
		resp, err := http.Get(in.base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		m, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(m), "\nmattranso_library_changes_behind 0\n") {
			t.Errorf("instance %d /metrics lacks mattranso_library_changes_behind 0", i+1)
		}
		if !strings.Contains(in.log.String(), "library index: listening for changes") {
			t.Errorf("instance %d never listened for changes:\n%s", i+1, in.log)
		}
	}
}

// Two instances started at once on an empty database both come up, and
// every migration ran once.
func TestServeProcessesMigrateAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts two servers: not under -short")
	}
	dsn := throwawayDatabase(t)
	bin := buildBinary(t)
	env := append(os.Environ(), "DATABASE_URL="+dsn, "MATTRANSO_INGEST=none", "MATTRANSO_SEARCH_MODE=keyword")
	var insts [2]*launched
	for i := range insts {
		insts[i] = launch(t, bin, env)
	}
	for _, in := range insts {
		in.ready(t)
	}
	for i, in := range insts {
		if strings.Contains(in.log.String(), "migration") && strings.Contains(in.log.String(), "level=ERROR") {
			t.Errorf("instance %d logged a migration error:\n%s", i+1, in.log)
		}
	}
	db, err := store.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows, distinct int
	if err := db.QueryRowContext(t.Context(), `SELECT COUNT(*), COUNT(DISTINCT domain) FROM schema_migrations`).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if distinct < 10 {
		t.Errorf("%d domains migrated, want every one (10)", distinct)
	}
	// migrate alone finds nothing to do, and says so.
	cmd := exec.Command(bin, "migrate")
	cmd.Env = append(env, "MATTRANSO_DATA="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "up to date") {
		t.Fatalf("migrate after both: %v\n%s", err, out)
	}
	var after int
	if err := db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM schema_migrations`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after != rows {
		t.Errorf("migrate recorded %d migrations more", after-rows)
	}
}
