package retrieval

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/mattranso/mattranso/corpus"
)

// A second opening of an index in use fails after a short wait, and does
// not take the index for an unreadable one to rebuild: the first holder
// keeps every passage.
func TestOpenKeywordBusy(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "kw")
	k, err := OpenKeyword(dir)
	if err != nil {
		t.Fatal(err)
	}
	open := true
	defer func() {
		if open {
			k.Close()
		}
	}()
	if err := k.Index(context.Background(), testDocs()...); err != nil {
		t.Fatal(err)
	}
	want, _ := k.Count()
	start := time.Now()
	k2, err := OpenKeyword(dir)
	if err == nil {
		k2.Close()
		t.Fatal("the index opened twice")
	}
	if !errors.Is(err, ErrIndexBusy) {
		t.Errorf("second open: %v, want ErrIndexBusy", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("second open failed after %v", took)
	}
	if n, err := k.Count(); err != nil || n != want || want == 0 {
		t.Errorf("after the refused open the index holds %d passages (%v), want %d", n, err, want)
	}
	k.Close()
	open = false
	k3, err := OpenKeyword(dir)
	if err != nil {
		t.Fatalf("open after close: %v", err)
	}
	defer k3.Close()
	if n, _ := k3.Count(); k3.Fresh || n != want {
		t.Errorf("reopened: Fresh=%v with %d passages, want %d kept", k3.Fresh, n, want)
	}
}

// DocIDs lists each document once, in order, from the index's dictionary;
// a document deleted is at most listed until the segments merge.
func TestKeywordDocIDs(t *testing.T) {
	ctx := context.Background()
	k, err := OpenKeyword(filepath.Join(t.TempDir(), "kw"))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	doc := func(id string) *corpus.Document {
		return &corpus.Document{ID: id, Kind: corpus.KindLaw, Title: "Luật " + id, Nodes: []corpus.Node{
			{Kind: corpus.NodeDieu, Label: "1", Heading: "Phạm vi", Text: "Luật này quy định về hộ tịch.", Anchor: "dieu-1"},
			{Kind: corpus.NodeDieu, Label: "2", Heading: "Đối tượng", Text: "Công dân Việt Nam.", Anchor: "dieu-2"}}}
	}
	if err := k.Index(ctx, doc("luat-c"), doc("luat-a"), doc("luat-b")); err != nil {
		t.Fatal(err)
	}
	ids, err := k.DocIDs(ctx)
	if err != nil || !slices.Equal(ids, []string{"luat-a", "luat-b", "luat-c"}) {
		t.Fatalf("DocIDs = %v, %v", ids, err)
	}
	if err := k.Delete(ctx, "luat-b"); err != nil {
		t.Fatal(err)
	}
	ids, err = k.DocIDs(ctx)
	if err != nil || !slices.Contains(ids, "luat-a") || !slices.Contains(ids, "luat-c") || len(ids) > 3 {
		t.Fatalf("after a delete: DocIDs = %v, %v", ids, err)
	}
}
