package ingest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/store/storetest"
)

// writeLaws writes a law dump of the given laws, in order.
func writeLaws(t *testing.T, path string, laws map[string][]string, order []string) {
	t.Helper()
	if err := os.WriteFile(path, testenv.LawDump(laws, order), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A run holds at most a batch of documents (and the copies of a law
// whose other copies are still to come), however many its sources hold,
// and still merges the copies of one law, keeps a procedure's last line,
// and changes nothing when run again.
func TestRunHoldsABatchAtATime(t *testing.T) {
	const nLaws, nProcs, batch = 60, 150, 4
	src := t.TempDir()
	laws := map[string][]string{}
	var order []string
	for i := 1; i <= nLaws; i++ {
		name := fmt.Sprintf("Luật Thử nghiệm số %d năm 2020", i)
		order = append(order, name)
		for a := 1; a <= 3; a++ {
			laws[name] = append(laws[name], fmt.Sprintf("Điều khoản %d của luật %d\n\nLuật số %d quy định việc thử nghiệm lần %d.", a, i, i, a))
		}
	}
	writeLaws(t, filepath.Join(src, "a-laws.json"), laws, order)
	// The fifth law again, later and longer: one law, the longer text.
	again := "Luật Thử nghiệm số 5 năm 2020"
	longer := map[string][]string{again: append(append([]string(nil), laws[again]...), "Hiệu lực\n\nLuật này có hiệu lực từ ngày ký.")}
	writeLaws(t, filepath.Join(src, "b-laws.json"), longer, []string{again})

	var lines []string
	for i := 1; i <= nProcs; i++ {
		lines = append(lines, fmt.Sprintf(`{"ma_thu_tuc": "9.%06d", "ten_thu_tuc": "Thủ tục thử nghiệm thứ %d", "linh_vuc": "Thử nghiệm", "co_quan_thuc_hien": "Ủy ban nhân dân cấp xã"}`, i, i))
	}
	// A procedure's later line is the newer crawl.
	lines = append(lines, `{"ma_thu_tuc": "9.000007", "ten_thu_tuc": "Thủ tục thử nghiệm thứ bảy, sửa đổi", "linh_vuc": "Thử nghiệm"}`)
	if err := os.WriteFile(filepath.Join(src, "c-procedures.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	l := openLib(t, storetest.SQLite(t), t.TempDir())
	held, peak := 0, 0
	ctx := context.Background()
	sum, err := Run(ctx, Options{Store: l.docs, Index: l.index, Sources: []string{src}, BatchSize: batch,
		observeHeld: func(n int) {
			held = n
			peak = max(peak, n)
		}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Laws != nLaws || sum.Procedures != nProcs || sum.Added != nLaws+nProcs || len(sum.Written) != nLaws+nProcs {
		t.Errorf("summary = %s, %d written; want %d laws and %d procedures added", sum.Line(), len(sum.Written), nLaws, nProcs)
	}
	if peak > batch+1 || peak < batch {
		t.Errorf("the run held up to %d documents at once; want a batch (%d) and the copy of the law read twice", peak, batch)
	}
	if held != 0 {
		t.Errorf("the run ended holding %d documents", held)
	}
	if n, _ := l.docs.Count(ctx, ""); n != nLaws+nProcs {
		t.Errorf("store holds %d documents, want %d", n, nLaws+nProcs)
	}
	d, err := l.docs.Get(ctx, "luat-thu-nghiem-so-5-nam-2020")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Articles()) != 4 {
		t.Errorf("the law read twice has %d articles, want the longer copy's 4", len(d.Articles()))
	}
	p, err := l.docs.Get(ctx, "9.000007")
	if err != nil {
		t.Fatal(err)
	}
	if p.Title != "Thủ tục thử nghiệm thứ bảy, sửa đổi" {
		t.Errorf("procedure read twice = %q, want its later line", p.Title)
	}
	// Laws before procedures, as the run indexed them when it read
	// everything first.
	if !strings.HasPrefix(sum.Written[0], "luat-") || !strings.HasPrefix(sum.Written[len(sum.Written)-1], "9.") {
		t.Errorf("written in the order %s … %s", sum.Written[0], sum.Written[len(sum.Written)-1])
	}

	peak = 0
	sum, err = Run(ctx, Options{Store: l.docs, Index: l.index, Sources: []string{src}, BatchSize: batch,
		observeHeld: func(n int) { peak = max(peak, n) }})
	if err != nil || sum.Unchanged != nLaws+nProcs || sum.Added+sum.Updated != 0 || peak > batch+1 {
		t.Errorf("second run = %s, %v, holding up to %d", sum.Line(), err, peak)
	}
}
