package server

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/feedback"
	"github.com/mattranso/mattranso/feedback/workday"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store/storetest"
	"github.com/mattranso/mattranso/topic"
)

// What officers teach the classifier outlives the process: the periodic
// retraining saves the model, and the next start reads it back knowing
// the correction.
func TestOfficersCorrectionsSurviveARestart(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the topic classifier from the taxonomy: left to the pass without the race detector (scripts/test.sh)")
	}
	ctx := context.Background()
	db := storetest.SQLite(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tree := org.NewStore(db)
	if err := tree.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := tree.ImportTerritories(ctx, strings.NewReader(territories)); err != nil {
		t.Fatal(err)
	}
	st := feedback.NewStore(db, feedback.StoreOptions{Logger: log})
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// A small model saved as a first start would have saved one: a full
	// training takes minutes under the race detector, and what is tested
	// here is what happens to the model after.
	tax := topic.DefaultTaxonomy()
	small, err := topic.Train(ctx, tax.Examples(), topic.Options{Epochs: 10, WordsOnly: true, SingleModel: true, ClassWeight: 1,
		Labels: tax.IDs(), Names: tax.Names()})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "topic", "classifier.model")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := small.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	c, err := LoadClassifier(ctx, path, st, log)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := feedback.NewService(feedback.Options{Store: st, Calendar: workday.Default(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	svc.SetClassifier(c)
	hd, err := feedback.NewHandling(svc, feedback.HandlingOptions{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	const text = "Quán nhậu đầu hẻm kê bàn ghế tràn ra lối đi, tối nào cũng mở nhạc ồn ào tới khuya"
	created, err := svc.Submit(ctx, feedback.Submission{Content: text, CommuneCode: "26734"})
	if err != nil {
		t.Fatal(err)
	}
	first := created.Receipt.Topic
	right := "moi_truong"
	if first == right {
		right = "an_ninh_trat_tu"
	}
	if _, err := hd.CorrectTopic(ctx, created.ItemID, right, feedback.Actor{Name: "can-bo@mattranso.test"}); err != nil {
		t.Fatal(err)
	}
	// The model saved before goes, so that the one read below is the
	// retrained one.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	RetrainClassifier(ctx, hd, c, path, log)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the retrained classifier is not saved: %v", err)
	}

	again, err := LoadClassifier(ctx, path, st, log)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := again.Classify(ctx, text); r.Topic != right || len(again.Corrections()) != 1 {
		t.Errorf("after a restart: %s with %d corrections, want %s", r.Topic, len(again.Corrections()), right)
	}
}
