// Package testlibrary builds the small library that the tests of the
// site's pages and of the assistant read: the four codes of ALQAC 2022
// from the shared corpus (and, when asked, some procedures of the national
// portal), ingested by the real pipeline into an SQLite file and the bleve
// keyword index. Each library is built once per test binary, by the first
// test that needs it, and removed by [Main].
package testlibrary

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
	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/store"
)

// Options choose what joins the four codes.
type Options struct {
	// Procedures is how many of the portal's procedures join them, the
	// first ones of its dump; with any, every birth registration joins too
	// (ingesting all 2,642 takes half a minute).
	Procedures int
}

type library struct {
	once  sync.Once
	dir   string
	db    *store.DB
	docs  *corpus.Store
	index *retrieval.Keyword
	err   error
}

var (
	mu    sync.Mutex
	built = map[Options]*library{}
)

// Main runs the tests of m, removes the libraries they built and exits;
// call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	mu.Lock()
	for _, l := range built {
		if l.index != nil {
			l.index.Close()
		}
		if l.db != nil {
			l.db.Close()
		}
		if l.dir != "" {
			os.RemoveAll(l.dir)
		}
	}
	mu.Unlock()
	os.Exit(code)
}

// Open returns the library o describes, building it on first use. Without
// the shared corpus the test ends as [testenv.Missing] says.
func Open(tb testing.TB, o Options) (*corpus.Store, *retrieval.Keyword) {
	tb.Helper()
	laws := testenv.SharedPath(tb, "corpus", "laws", "alqac2022-4-laws.json")
	var procedures string
	if o.Procedures > 0 {
		procedures = testenv.SharedPath(tb, "corpus", "procedures", "dichvucong-procedures.jsonl")
	}
	mu.Lock()
	l := built[o]
	if l == nil {
		l = &library{}
		built[o] = l
	}
	mu.Unlock()
	l.once.Do(func() {
		if l.dir, l.err = os.MkdirTemp("", "mattranso-test-library-"); l.err == nil {
			l.err = l.build(laws, procedures, o.Procedures)
		}
	})
	if l.err != nil {
		tb.Fatalf("test library: %v", l.err)
	}
	return l.docs, l.index
}

func (l *library) build(laws, procedures string, n int) error {
	ctx := context.Background()
	var err error
	if l.db, err = store.Open(ctx, filepath.Join(l.dir, "library.db")); err != nil {
		return err
	}
	l.docs = corpus.NewStore(l.db)
	if err := l.docs.Migrate(ctx); err != nil {
		return err
	}
	if l.index, err = retrieval.OpenKeyword(filepath.Join(l.dir, "keyword")); err != nil {
		return err
	}
	sources := []string{laws}
	if procedures != "" {
		path, err := someProcedures(procedures, l.dir, n)
		if err != nil {
			return err
		}
		sources = append(sources, path)
	}
	sum, err := ingest.Run(ctx, ingest.Options{Store: l.docs, Index: l.index, Sources: sources})
	if err != nil {
		return err
	}
	if sum.Laws != 4 {
		return fmt.Errorf("%s", sum.Line())
	}
	return nil
}

// someProcedures writes to dir a dump of the first n procedures of src and
// every birth registration, and returns its path.
func someProcedures(src, dir string, n int) (string, error) {
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
