package ingest

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

type lib struct {
	db    *store.DB
	docs  *corpus.Store
	index *retrieval.Keyword
}

func openLib(t *testing.T, db *store.DB, dir string) *lib {
	t.Helper()
	ctx := context.Background()
	docs := corpus.NewStore(db)
	if err := docs.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	idx, err := retrieval.OpenKeyword(filepath.Join(dir, "keyword"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	return &lib{db, docs, idx}
}

func (l *lib) run(t *testing.T, sources ...string) (Summary, error) {
	t.Helper()
	return Run(context.Background(), Options{DB: l.db, Store: l.docs, Index: l.index, Sources: sources})
}

func TestDetectFormat(t *testing.T) {
	cases := []struct {
		head string
		want Format
	}{
		{`[{"id": "Luật Cư trú", "articles": [`, FormatLawDump},
		{"\ufeff  [\n {\"id\":\"x\",\"articles\":[]}]", FormatLawDump},
		{`{"source_folder": "bo-tu-phap", "ma_thu_tuc": "1.001193", "ten_thu_tuc": "x"}` + "\n", FormatProcedureDump},
		{`{"_id": "Luật A#1", "title": "Luật A", "text": "..."}` + "\n", FormatBEIR},
		{"<!DOCTYPE html>\n<html><body>", FormatHTML},
		{`{"text": "một câu", "label": "others"}`, FormatUnknown},
		{"", FormatUnknown},
		{"id,name\n1,a", FormatUnknown},
	}
	for _, c := range cases {
		if got := DetectFormat([]byte(c.head)); got != c.want {
			t.Errorf("DetectFormat(%.40q) = %q, want %q", c.head, got, c.want)
		}
	}
}

// Broken records are reported with file and line and skipped; the good
// ones are stored; the run reports ErrRejected.
func TestRunRejectsBrokenRecords(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		l := openLib(t, db, t.TempDir())
		sum, err := l.run(t, "testdata/broken")
		if !errors.Is(err, ErrRejected) {
			t.Fatalf("Run error = %v, want ErrRejected", err)
		}
		var got []string
		for _, r := range sum.Rejected {
			got = append(got, filepath.Base(r.File)+":"+itoa(r.Line))
		}
		sort.Strings(got)
		want := []string{"laws.json:7", "laws.json:8", "laws.json:9", "procedures.jsonl:2", "procedures.jsonl:3"}
		sort.Strings(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("rejected = %v, want %v (%v)", got, want, sum.Rejected)
		}
		if sum.Added != 4 || sum.Laws != 2 || sum.Procedures != 2 {
			t.Errorf("summary = %+v, want 2 laws + 2 procedures added", sum)
		}
		d, err := l.docs.Get(context.Background(), "luat-thu-nghiem-2020")
		if err != nil {
			t.Fatal(err)
		}
		if n := d.Find("dieu-2/khoan-2/diem-b"); n == nil || n.Text != "Tổ chức." {
			t.Errorf("dieu-2/khoan-2/diem-b = %+v", n)
		}
		p, err := l.docs.Get(context.Background(), "9.000001")
		if err != nil {
			t.Fatal(err)
		}
		if p.Procedure.Requirements != "" || p.Procedure.Agency != "Ủy ban nhân dân cấp xã" {
			t.Errorf("procedure fields not cleaned: %+v", p.Procedure)
		}
		for _, id := range []string{"luat-khong-dieu", "luat-dieu-hong", "9.000002"} {
			if _, err := l.docs.Get(context.Background(), id); !errors.Is(err, corpus.ErrNotFound) {
				t.Errorf("rejected record %s was stored (err %v)", id, err)
			}
		}
		// A rejected run is not remembered: running again reports the same
		// rejections rather than "unchanged".
		sum2, err := l.run(t, "testdata/broken")
		if !errors.Is(err, ErrRejected) || len(sum2.Rejected) != 5 || sum2.Unchanged != 4 {
			t.Errorf("second run = %+v, %v", sum2, err)
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestMergeLaws(t *testing.T) {
	art := func(label, text string) corpus.Node { return corpus.ParseArticle(label, text) }
	body := []corpus.Node{
		art("1", "Phạm vi điều chỉnh\n\nBộ luật này quy định địa vị pháp lý."),
		art("2", "Công nhận quyền dân sự\n\n1. Quyền dân sự được công nhận."),
		art("3", "Nguyên tắc cơ bản\n\nMọi cá nhân đều bình đẳng."),
	}
	longer := append(append([]corpus.Node(nil), body...), art("4", "Áp dụng\n\nÁp dụng Bộ luật."))
	other := []corpus.Node{art("1", "Phạm vi\n\nLuật đất đai cũ."), art("2", "Đối tượng\n\nCơ quan."), art("3", "Giải thích\n\nTừ ngữ.")}
	newer := []corpus.Node{art("1", "Phạm vi\n\nLuật đất đai mới."), art("2", "Đối tượng\n\nCơ quan nhà nước."), art("3", "Giải thích\n\nTừ ngữ mới.")}
	laws := []*corpus.Document{
		lawFromRecord(lawRecord{name: "91/2015/QH13", articles: body}),
		lawFromRecord(lawRecord{name: "Bộ luật dân sự", articles: longer}),
		lawFromRecord(lawRecord{name: "Bộ Luật Dân sự 2015", articles: body}),
		lawFromRecord(lawRecord{name: "Luật Đất đai 2013", articles: other}),
		lawFromRecord(lawRecord{name: "Luật Đất đai 2024", articles: newer}),
		lawFromRecord(lawRecord{name: "99/2099/QH99", articles: other[:2]}),
	}
	got := mergeLaws(laws)
	if len(got) != 4 {
		for _, d := range got {
			t.Logf("%s %q %v", d.Number, d.Title, d.Aliases)
		}
		t.Fatalf("mergeLaws kept %d laws, want 4 (the civil code once, two land laws, one unknown number)", len(got))
	}
	civil := got[0]
	if civil.Number != "91/2015/QH13" || civil.Title != "Bộ luật Dân sự 2015" || len(civil.Articles()) != 4 {
		t.Errorf("civil code = %q %q with %d articles; want the number, the catalogued title and the most complete text",
			civil.Number, civil.Title, len(civil.Articles()))
	}
	if !reflect.DeepEqual(civil.Aliases, []string{"Bộ Luật Dân sự 2015", "Bộ luật dân sự"}) {
		t.Errorf("aliases = %q", civil.Aliases)
	}
	if civil.IssuedAt != "2015-11-24" || civil.Issuer != "Quốc hội" {
		t.Errorf("catalogue metadata missing: %+v", civil)
	}
	if got[1].Title == got[2].Title {
		t.Errorf("two land laws of different years were merged")
	}
	if got[3].Title != "99/2099/QH99" || got[3].Number != "99/2099/QH99" {
		t.Errorf("a law known only by number = %q / %q", got[3].Title, got[3].Number)
	}
}

// failingIndex stops after n batches, as a killed run would.
type failingIndex struct {
	retrieval.Indexer
	left int
}

var errKilled = errors.New("killed")

func (f *failingIndex) Index(ctx context.Context, docs ...*corpus.Document) error {
	if f.left == 0 {
		return errKilled
	}
	f.left--
	return f.Indexer.Index(ctx, docs...)
}

// A run killed midway and started again ends with the same store and
// index as a clean run.
func TestRunResumesToCleanState(t *testing.T) {
	shared := testenv.Shared(t)
	src := t.TempDir()
	copyHead(t, filepath.Join(shared, "corpus/procedures/dichvucong-procedures.jsonl"), filepath.Join(src, "procedures.jsonl"), 120)
	copyFile(t, filepath.Join(shared, "corpus/laws/alqac2022-4-laws.json"), filepath.Join(src, "laws.json"))

	clean := openLib(t, storetest.SQLite(t), t.TempDir())
	if _, err := clean.run(t, src); err != nil {
		t.Fatal(err)
	}

	l := openLib(t, storetest.SQLite(t), t.TempDir())
	_, err := Run(context.Background(), Options{Store: l.docs, Index: &failingIndex{l.index, 2}, Sources: []string{src}, BatchSize: 8})
	if !errors.Is(err, errKilled) {
		t.Fatalf("interrupted run: %v", err)
	}
	sum, err := l.run(t, src)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Unchanged != 16 || sum.Added != 124-16 {
		t.Errorf("resumed run = %+v, want 16 unchanged (two batches of 8) and the rest added", sum)
	}
	assertSameLibrary(t, clean, l)
}

func assertSameLibrary(t *testing.T, a, b *lib) {
	t.Helper()
	ctx := context.Background()
	ha, _ := a.docs.Hashes(ctx, "")
	hb, _ := b.docs.Hashes(ctx, "")
	if !reflect.DeepEqual(ha, hb) {
		t.Errorf("stores differ: %d vs %d documents", len(ha), len(hb))
	}
	ca, _ := a.index.Count()
	cb, _ := b.index.Count()
	if ca != cb || ca == 0 {
		t.Errorf("indexes hold %d and %d passages", ca, cb)
	}
	for _, q := range []string{"thu tuc dang ky khai sinh", "chiem doat di vat cua tu si", "quyền nhân thân", "91/2015/QH13"} {
		ra, err := a.index.Search(ctx, retrieval.Query{Text: q, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		rb, _ := b.index.Search(ctx, retrieval.Query{Text: q, Limit: 10})
		if ids(ra) != ids(rb) {
			t.Errorf("%q: clean run gives %s, resumed run %s", q, ids(ra), ids(rb))
		}
	}
}

func ids(r retrieval.Result) string {
	var s []string
	for _, h := range r.Hits {
		s = append(s, h.PassageID)
	}
	return strings.Join(s, " ")
}

// The whole shipped corpus: each law once, every procedure, and a second
// run that changes nothing.
func TestRunSharedCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests the whole corpus")
	}
	shared := testenv.Shared(t)
	l := openLib(t, storetest.SQLite(t), t.TempDir())
	sum, err := l.run(t, filepath.Join(shared, "corpus"))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Procedures != 2642 || sum.Laws != 34 || sum.Added != 2642+34 {
		t.Errorf("first run = %s", sum.Line())
	}
	ctx := context.Background()
	civil, err := l.docs.Get(ctx, "91-2015-qh13")
	if err != nil {
		t.Fatal(err)
	}
	if len(civil.Articles()) != 689 || civil.Title != "Bộ luật Dân sự 2015" {
		t.Errorf("civil code: %q with %d articles", civil.Title, len(civil.Articles()))
	}
	// Every other name of the civil code resolves to the same document.
	for _, name := range []string{"Bộ luật dân sự", "Bộ Luật Dân sự 2015"} {
		id, err := l.docs.Lookup(ctx, []string{"t:" + corpus.TitleKey(name)})
		if err != nil || id != "91-2015-qh13" {
			t.Errorf("Lookup(%q) = %q, %v", name, id, err)
		}
	}
	sum, err = l.run(t, filepath.Join(shared, "corpus"))
	if err != nil || sum.Added+sum.Updated != 0 || sum.Unchanged != 2676 {
		t.Errorf("second run = %s, %v", sum.Line(), err)
	}
	res, err := l.index.Search(ctx, retrieval.Query{Text: "thu tuc dang ky khai sinh"})
	if err != nil || len(res.Hits) == 0 || res.Hits[0].DocID != "1.001193" {
		t.Errorf("khai sinh search: %s, %v", ids(res), err)
	}
	res, _ = l.index.Search(ctx, retrieval.Query{Text: "chiem doat di vat cua tu si", Limit: 3})
	found := false
	for _, h := range res.Hits {
		found = found || (h.DocID == "01-vbhn-vpqh" && h.Anchor == "dieu-418")
	}
	if !found {
		t.Errorf("Điều 418 not in the top 3: %s", ids(res))
	}
	res, _ = l.index.Search(ctx, retrieval.Query{Text: "91/2015/QH13"})
	if len(res.Hits) == 0 || res.Hits[0].DocID != "91-2015-qh13" {
		t.Errorf("number look-up: %s", ids(res))
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyHead(t *testing.T, from, to string, lines int) {
	t.Helper()
	f, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for i := 0; i < lines && sc.Scan(); i++ {
		out.Write(sc.Bytes())
		out.Write([]byte("\n"))
	}
}

// Saved vbpl.vn and thuvienphapluat.vn pages are recognised by content;
// each law is stored once, and two constitutions of different years stay
// two documents.
func TestRunSavedPages(t *testing.T) {
	shared := testenv.Shared(t)
	l := openLib(t, storetest.SQLite(t), t.TempDir())
	sum, err := l.run(t, filepath.Join(shared, "fixtures/html"))
	if err != nil {
		t.Fatalf("%s: %v (%v)", sum.Line(), err, sum.Rejected)
	}
	ctx := context.Background()
	penal, err := l.docs.Get(ctx, "100-2015-qh13")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(penal.Articles()); n != 426 || penal.Issuer != "Quốc hội" || penal.IssuedAt != "2015-11-27" {
		t.Errorf("Bộ luật Hình sự 2015: %d articles, issuer %q, issued %q", n, penal.Issuer, penal.IssuedAt)
	}
	if penal.Find("dieu-418/khoan-2/diem-a") == nil {
		t.Error("Điều 418 khoản 2 điểm a missing")
	}
	var constitutions []string
	all, _ := l.docs.List(ctx, corpus.ListOptions{Kind: corpus.KindLaw})
	for _, s := range all {
		if strings.HasPrefix(corpus.TitleKey(s.Title), "hien phap") {
			constitutions = append(constitutions, s.ID)
		}
	}
	if len(constitutions) != 2 {
		t.Errorf("constitutions stored: %v, want 1992 and 2013 once each", constitutions)
	}
	// Ingesting the shipped dumps afterwards merges their Hiến pháp into
	// the 2013 one and leaves 1992 alone.
	if _, err := l.run(t, filepath.Join(shared, "corpus/laws/vlsp2023-18-laws.json")); err != nil {
		t.Fatal(err)
	}
	after, _ := l.docs.List(ctx, corpus.ListOptions{Kind: corpus.KindLaw})
	n := 0
	for _, s := range after {
		if strings.HasPrefix(corpus.TitleKey(s.Title), "hien phap") {
			n++
		}
	}
	if n != 2 {
		t.Errorf("after the dumps: %d constitutions, want 2", n)
	}
}

// A source given as a symbolic link to a folder is read as the folder;
// a second run over it knows its files unchanged.
func TestRunFollowsALinkedFolder(t *testing.T) {
	dir := t.TempDir()
	folder := filepath.Join(dir, "corpus")
	if err := os.MkdirAll(filepath.Join(folder, "laws"), 0o755); err != nil {
		t.Fatal(err)
	}
	dump := testenv.LawDump(map[string][]string{"Luật Thử nghiệm": {"Điều 1. Phạm vi\nLuật này quy định về thử nghiệm."}}, nil)
	if err := os.WriteFile(filepath.Join(folder, "laws", "laws.json"), dump, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "linked")
	if err := os.Symlink(folder, link); err != nil {
		t.Fatal(err)
	}
	l := openLib(t, storetest.SQLite(t), dir)
	sum, err := l.run(t, link)
	if err != nil || sum.Laws != 1 || sum.Added != 1 {
		t.Fatalf("first run over the link: %+v, %v; want one law added", sum, err)
	}
	sum, err = l.run(t, link)
	if err != nil || sum.Unchanged != 1 || sum.Added+sum.Updated != 0 || len(sum.Skipped) != 0 {
		t.Errorf("second run over the link: %+v, %v; want the law unchanged", sum, err)
	}
}
