package retrieval

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/mattranso/mattranso/corpus"
)

func sampleIDs(ps []corpus.Passage) []string {
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return ids
}

// A library beyond the cap trains on a sample chosen by its ids — the
// same read a page at a time as from every passage at once — and still
// has every passage embedded; a library within it trains on everything.
func TestTrainingSample(t *testing.T) {
	ctx := context.Background()
	k, err := OpenKeyword(filepath.Join(t.TempDir(), "kw"))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	docs := testDocs()
	for i := 0; i < 150; i++ {
		code := fmt.Sprintf("9.%06d", i)
		docs = append(docs, &corpus.Document{ID: code, Kind: corpus.KindProcedure, Number: code,
			Title: fmt.Sprintf("Thủ tục cấp giấy phép số %d", i),
			Procedure: &corpus.Procedure{Code: code, Field: "Thử nghiệm",
				Steps: fmt.Sprintf("Người đề nghị nộp hồ sơ cấp giấy phép loại %d tại Ủy ban nhân dân cấp xã.", i)}})
	}
	if err := k.Index(ctx, docs...); err != nil {
		t.Fatal(err)
	}
	all, err := k.Passages(ctx)
	if err != nil {
		t.Fatal(err)
	}

	within, err := TrainingPassages(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(within, all) {
		t.Fatalf("within the cap: %d passages to train on, want all %d", len(within), len(all))
	}

	defer func(c int) { trainCap = c }(trainCap)
	trainCap = 40
	sample, err := TrainingPassages(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	if len(sample) != trainCap {
		t.Fatalf("beyond the cap (%d passages, cap %d): a sample of %d", len(all), trainCap, len(sample))
	}
	ids := sampleIDs(sample)
	if !sort.StringsAreSorted(ids) {
		t.Errorf("the sample is not in the order of the ids: %v", ids)
	}
	if got := sampleIDs(trainingSample(all)); !reflect.DeepEqual(got, ids) {
		t.Errorf("paged sample %v\ndiffers from the sample of all the passages %v", ids, got)
	}
	reversed := append([]corpus.Passage(nil), all...)
	sort.Slice(reversed, func(i, j int) bool { return reversed[i].ID > reversed[j].ID })
	got := sampleIDs(trainingSample(reversed))
	sort.Strings(got)
	if !reflect.DeepEqual(got, ids) {
		t.Errorf("the sample depends on the passages' order: %v vs %v", got, ids)
	}

	// Training on every passage samples them likewise: one model.
	o := TrainOptions{Dim: 16, Epochs: 1, Batch: 4, MinDF: 1}
	fromAll, err := TrainLocalEmbedder(ctx, all, o)
	if err != nil {
		t.Fatal(err)
	}
	fromSample, err := TrainLocalEmbedder(ctx, sample, o)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := fromAll.Embed(ctx, []string{"thủ tục cấp giấy phép"})
	b, _ := fromSample.Embed(ctx, []string{"thủ tục cấp giấy phép"})
	if fromAll.Name() != fromSample.Name() || !reflect.DeepEqual(a, b) {
		t.Errorf("trained on all the passages: %s, on the sample: %s", fromAll.Name(), fromSample.Name())
	}

	v, _, err := BuildVectors(ctx, k, t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if n, err := v.Count(ctx); err != nil || n != len(all) {
		t.Errorf("%d passages embedded (%v), want all %d", n, err, len(all))
	}
}

// concatLess orders as the joined strings do, where one part is a prefix
// of the other's too.
func TestConcatLess(t *testing.T) {
	parts := []string{"", "a", "ab", "abc", "b", "ba", "thủ tục", "thủ tục cấp", "\xff"}
	for _, a := range parts {
		for _, b := range parts {
			for _, c := range parts {
				for _, d := range parts {
					if got, want := concatLess(a, b, c, d), a+b < c+d; got != want {
						t.Errorf("concatLess(%q, %q, %q, %q) = %v, want %v", a, b, c, d, got, want)
					}
				}
			}
		}
	}
}
