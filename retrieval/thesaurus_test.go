package retrieval

import (
	"os"
	"path/filepath"
	"testing"
)

func TestThesaurusDigest(t *testing.T) {
	load := func(spec string) *Thesaurus {
		t.Helper()
		th, err := LoadThesaurus(spec)
		if err != nil {
			t.Fatal(err)
		}
		return th
	}
	file := filepath.Join(t.TempDir(), "extra.tsv")
	if err := os.WriteFile(file, []byte("sổ hồng\tgiấy chứng nhận quyền sở hữu nhà ở\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	shipped, again, none, extended := load("shipped"), load(""), load("none"), load(file)
	if shipped.Digest() != again.Digest() || len(shipped.Digest()) != 12 {
		t.Errorf("the shipped thesaurus twice: %s, %s", shipped.Digest(), again.Digest())
	}
	if shipped.Digest() == none.Digest() || shipped.Digest() == extended.Digest() || none.Digest() == extended.Digest() {
		t.Errorf("digests: shipped %s, none %s, extended %s", shipped.Digest(), none.Digest(), extended.Digest())
	}
	if (*Thesaurus)(nil).Digest() != none.Digest() {
		t.Error("a nil thesaurus digests otherwise than an empty one")
	}
}
