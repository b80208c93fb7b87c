package web_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/ingest"
	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

// lib is the library the tests here read: the four codes of ALQAC 2022
// and a few hundred procedures of the national portal, ingested by the real
// pipeline into an SQLite file and the bleve keyword index. It is built
// once, by the first test that needs it, in a folder TestMain removes.
var lib struct {
	once  sync.Once
	dir   string
	docs  *corpus.Store
	index *retrieval.Keyword
	err   error
}

// Documents the tests look at.
const (
	criminalCode = "01-vbhn-vpqh" // Bộ luật Hình sự (consolidated), Điều 418
	civilCode    = "91-2015-qh13" // Bộ luật Dân sự 2015, 689 articles
	birthReg     = "1.001193"     // Thủ tục đăng ký khai sinh
)

func TestMain(m *testing.M) {
	code := m.Run()
	if lib.index != nil {
		lib.index.Close()
	}
	if lib.dir != "" {
		os.RemoveAll(lib.dir)
	}
	os.Exit(code)
}

// needLibrary returns the test library, building it on first use. Without
// the shared corpus the test is skipped, or fails in CI.
func needLibrary(t testing.TB) (*corpus.Store, *retrieval.Keyword) {
	t.Helper()
	shared := storetest.Shared(t)
	lib.once.Do(func() {
		if lib.dir, lib.err = os.MkdirTemp("", "web-test-"); lib.err == nil {
			lib.err = buildLibrary(lib.dir, shared)
		}
	})
	if lib.err != nil {
		t.Fatalf("test library: %v", lib.err)
	}
	return lib.docs, lib.index
}

// title is the title the ingest gave a document.
func title(t *testing.T, id string) string {
	t.Helper()
	docs, _ := needLibrary(t)
	d, err := docs.Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d.Title
}

func buildLibrary(dir, shared string) error {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, "library.db"))
	if err != nil {
		return err
	}
	lib.docs = corpus.NewStore(db)
	if err := lib.docs.Migrate(ctx); err != nil {
		return err
	}
	if lib.index, err = retrieval.OpenKeyword(filepath.Join(dir, "keyword")); err != nil {
		return err
	}
	procedures, err := someProcedures(dir, shared, 300)
	if err != nil {
		return err
	}
	sum, err := ingest.Run(ctx, ingest.Options{
		Store: lib.docs, Index: lib.index,
		Sources: []string{filepath.Join(shared, "corpus", "laws", "alqac2022-4-laws.json"), procedures},
	})
	if err != nil {
		return err
	}
	if sum.Laws != 4 {
		return fmt.Errorf("%s", sum.Line())
	}
	return nil
}

// someProcedures writes to dir a dump of the first n procedures of the
// portal's and every birth registration: ingesting all 2,642 takes half a
// minute.
func someProcedures(dir, shared string, n int) (string, error) {
	src := filepath.Join(shared, "corpus", "procedures", "dichvucong-procedures.jsonl")
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	path := filepath.Join(dir, "procedures.jsonl")
	out, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer out.Close()
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for i := 0; sc.Scan(); i++ {
		line := sc.Bytes()
		if i < n || bytes.Contains(line, []byte("khai sinh")) {
			out.Write(line)
			out.Write([]byte{'\n'})
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("%s: %w", src, err)
	}
	return path, out.Close()
}
