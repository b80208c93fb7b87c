package web_test

import (
	"testing"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/internal/testenv/testlibrary"
	"github.com/mattranso/mattranso/retrieval"
)

// Documents the tests look at.
const (
	criminalCode = "01-vbhn-vpqh" // Bộ luật Hình sự (consolidated), Điều 418
	civilCode    = "91-2015-qh13" // Bộ luật Dân sự 2015, 689 articles
	birthReg     = "1.001193"     // Thủ tục đăng ký khai sinh
)

func TestMain(m *testing.M) { testlibrary.Main(m) }

// needLibrary returns the library the tests here read: the four codes of
// ALQAC 2022 and a few hundred procedures of the national portal.
func needLibrary(t testing.TB) (*corpus.Store, *retrieval.Keyword) {
	t.Helper()
	return testlibrary.Open(t, testlibrary.Options{Procedures: 300})
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
