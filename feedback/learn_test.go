package feedback_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/feedback"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
	"github.com/mattranso/mattranso/topic"
)

// own is a classifier of the default taxonomy of the test's own, so that
// the corrections it learns touch no other test: trained briefly on
// words alone, which is all a test of learning needs, and quick under
// the race detector (a full training takes minutes there).
func own(t *testing.T) *topic.Classifier {
	t.Helper()
	tax := topic.DefaultTaxonomy()
	c, err := topic.Train(context.Background(), tax.Examples(), topic.Options{Epochs: 10, WordsOnly: true, SingleModel: true,
		ClassWeight: 1, Labels: tax.IDs(), Names: tax.Names()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func classify(t *testing.T, c feedback.Classifier, text string) string {
	t.Helper()
	r, err := c.Classify(context.Background(), text)
	if err != nil {
		t.Fatal(err)
	}
	return r.Topic
}

// misread is a text and a topic the default classifier does not give it.
const misread = "Quán nhậu đầu hẻm kê bàn ghế tràn ra lối đi, tối nào cũng mở nhạc ồn ào tới khuya"

// A topic correction is stored with the item's text in the same
// transaction, in the history and the audit log, and the classifier in
// service learns it: its prediction for that text becomes the corrected
// topic. After a restart a fresh classifier retrained from the stored
// corrections predicts it too, and so does the model saved and read back.
func TestTopicCorrectionTeachesTheClassifier(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newOffice(t, db, officeOptions{envOptions: envOptions{noClassifier: true}})
		c1 := own(t)
		f.svc.SetClassifier(c1)
		tok := f.officers()[saiGonOfficer]
		before := classify(t, c1, misread)
		right := "moi_truong"
		if before == right {
			right = "an_ninh_trat_tu"
		}
		it := f.submit(t, feedback.Submission{Content: misread})
		if it.Topic != before {
			t.Fatalf("tagged %s, the classifier says %s", it.Topic, before)
		}

		for _, bad := range []struct{ body, code string }{{`{}`, "required"}, {`{"topic":"vu_tru"}`, "unknown_topic"}} {
			if a := f.call(t, http.MethodPost, itemPath(it.ID, "/topic"), tok, bad.body); a.status != http.StatusBadRequest || a.err.Field != "topic" || a.err.Code != bad.code {
				t.Errorf("%s: %d %s", bad.body, a.status, a.body)
			}
		}
		a := f.call(t, http.MethodPost, itemPath(it.ID, "/topic"), tok, map[string]string{"topic": right})
		if a.status != http.StatusOK {
			t.Fatalf("correct: %d %s", a.status, a.body)
		}
		got, _ := f.store.Item(context.Background(), it.ID)
		if got.Topic != right || got.TopicSource != feedback.TopicOfficer || got.TopicFlagged || got.Unit != "26734/MTTQ" {
			t.Errorf("corrected item %+v", got)
		}
		corr, err := f.store.Corrections(context.Background())
		if err != nil || len(corr) != 1 || corr[0].ItemID != it.ID || corr[0].Text != misread || corr[0].Topic != right || !strings.HasPrefix(corr[0].Actor, saiGonOfficer) {
			t.Errorf("stored corrections %+v, %v", corr, err)
		}
		if ev := f.lastEvent(t, it.ID); ev.Action != "topic" || ev.Detail != before+" → "+right {
			t.Errorf("history %+v", ev)
		}
		if n := len(f.auditEvents(t, feedback.AuditTopic)); n != 1 {
			t.Errorf("%d corrections audited", n)
		}
		if l := c1.Corrections(); len(l) != 1 || l[0].Text != misread || l[0].Label != right {
			t.Errorf("the classifier learnt %+v", l)
		}
		if now := classify(t, c1, misread); now != right {
			t.Errorf("after the correction the classifier says %s, want %s", now, right)
		}
		// The periodic retraining keeps what was learnt.
		if did, err := f.hd.Retrain(context.Background()); err != nil || !did {
			t.Fatalf("retrain: %v, %v", did, err)
		}
		if did, err := f.hd.Retrain(context.Background()); err != nil || did {
			t.Errorf("a second retrain without new corrections: %v, %v", did, err)
		}
		if now := classify(t, c1, misread); now != right {
			t.Errorf("after retraining the classifier says %s, want %s", now, right)
		}

		// A restart: a classifier that never saw the correction, and a
		// new officers' side over the same database.
		c2 := own(t)
		if classify(t, c2, misread) == right {
			t.Fatal("a fresh classifier already knows the correction")
		}
		f.svc.SetClassifier(c2)
		hd2, err := feedback.NewHandling(f.svc, feedback.HandlingOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if did, err := hd2.Retrain(context.Background()); err != nil || !did {
			t.Fatalf("retrain after the restart: %v, %v", did, err)
		}
		if now := classify(t, c2, misread); now != right {
			t.Errorf("after the restart the classifier says %s, want %s", now, right)
		}
		file := filepath.Join(t.TempDir(), "classifier.model")
		if err := c2.SaveFile(file); err != nil {
			t.Fatal(err)
		}
		c3, err := topic.LoadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if now := classify(t, c3, misread); now != right || len(c3.Corrections()) != 1 {
			t.Errorf("the saved model says %s with %d corrections", now, len(c3.Corrections()))
		}
	})
}

// A received item corrected to a topic the rules send higher goes to
// that level; the officer who corrected it learns where it went.
func TestCorrectionRaisesTheItem(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newOffice(t, db, officeOptions{})
		tok := f.officers()
		it := f.submit(t, feedback.Submission{Content: "Cán bộ phường thu tiền ngoài quy định khi làm giấy tờ nhà đất.", Topic: "dat_dai"})
		if it.Unit != "26734/MTTQ" {
			t.Fatalf("received by %s", it.Unit)
		}
		// Learning is the classifier's own business; the shared one must
		// not learn here.
		f.svc.SetClassifier(nil)
		a := f.call(t, http.MethodPost, itemPath(it.ID, "/topic"), tok[saiGonOfficer], `{"topic":"tham_nhung_tieu_cuc"}`)
		if a.status != http.StatusOK || !strings.Contains(string(a.body), `"unit":"79/MTTQ"`) || strings.Contains(string(a.body), "thu tiền") {
			t.Fatalf("correct: %d %s", a.status, a.body)
		}
		got, _ := f.store.Item(context.Background(), it.ID)
		if got.Unit != "79/MTTQ" || got.UnitPath != "VN/79/" {
			t.Errorf("item at %s (%s)", got.Unit, got.UnitPath)
		}
		if r := f.call(t, http.MethodGet, itemPath(it.ID), tok[saiGonOfficer], nil); r.status != http.StatusNotFound {
			t.Errorf("the commune still reads it: %d", r.status)
		}
		if r := f.call(t, http.MethodGet, itemPath(it.ID), tok[hcmcOfficer], nil); r.status != http.StatusOK {
			t.Errorf("the province cannot read it: %d", r.status)
		}
		// An accepted item stays where it is.
		it2 := f.submit(t, feedback.Submission{Content: "Cán bộ địa chính gây khó dễ khi làm sổ đỏ.", Topic: "dat_dai"})
		f.bring(t, it2.ID, tok[saiGonOfficer], feedback.Accepted)
		f.call(t, http.MethodPost, itemPath(it2.ID, "/topic"), tok[saiGonOfficer], `{"topic":"tham_nhung_tieu_cuc"}`)
		if got, _ := f.store.Item(context.Background(), it2.ID); got.Unit != "26734/MTTQ" || got.Topic != "tham_nhung_tieu_cuc" {
			t.Errorf("accepted item corrected: %s at %s", got.Topic, got.Unit)
		}
	})
}
