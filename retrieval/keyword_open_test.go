package retrieval

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
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
