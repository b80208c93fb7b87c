package web_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/ingest"
	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/store"
)

// lib is the library every test here reads: the four codes of ALQAC 2022
// and the 2,642 procedures of the national portal, ingested by the real
// pipeline into an SQLite file and the bleve keyword index, once, by
// TestMain.
var lib struct {
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
	dir, err := os.MkdirTemp("", "web-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lib.err = buildLibrary(dir)
	code := m.Run()
	if lib.index != nil {
		lib.index.Close()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// needLibrary returns the test library, failing the test when it could
// not be built.
func needLibrary(t *testing.T) (*corpus.Store, *retrieval.Keyword) {
	t.Helper()
	if lib.err != nil {
		t.Fatalf("test library: %v", lib.err)
	}
	return lib.docs, lib.index
}

// sharedDir is ../shared, or $MATTRANSO_SHARED.
func sharedDir() string {
	if d := os.Getenv("MATTRANSO_SHARED"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "shared")
}

func buildLibrary(dir string) error {
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
	procedures, err := someProcedures(dir, 300)
	if err != nil {
		return err
	}
	start := time.Now()
	sum, err := ingest.Run(ctx, ingest.Options{
		Store: lib.docs, Index: lib.index,
		Sources: []string{filepath.Join(sharedDir(), "corpus", "laws", "alqac2022-4-laws.json"), procedures},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%s in %v\n", sum.Line(), time.Since(start))
	return nil
}

// someProcedures writes to dir a dump of the first n procedures of the
// portal's and every birth registration: ingesting all 2,642 takes half a
// minute.
func someProcedures(dir string, n int) (string, error) {
	src := filepath.Join(sharedDir(), "corpus", "procedures", "dichvucong-procedures.jsonl")
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
			out.Write(append(line, '\n'))
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("%s: %w", src, err)
	}
	return path, out.Close()
}
