package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/cmd/mattranso/internal/config"
	"github.com/mattranso/mattranso/feedback"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
	"github.com/mattranso/mattranso/web"
)

// serve's classifier: trained and saved at first start, read back at the
// next, and taught the corrections saved meanwhile, which survive a
// restart.
func TestLoadClassifier(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the topic classifier from the taxonomy: left to the pass without the race detector (scripts/test.sh)")
	}
	// The model the first run trains is given to the second to start
	// from: training is what takes time here.
	var trainedModel []byte
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		st := feedback.NewStore(db, feedback.StoreOptions{})
		if err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "topic", "classifier.model")
		if trainedModel != nil {
			os.MkdirAll(filepath.Dir(path), 0o755)
			if err := os.WriteFile(path, trainedModel, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		c, err := LoadClassifier(ctx, path, st, log)
		if err != nil {
			t.Fatal(err)
		}
		first, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("the trained classifier was not saved: %v", err)
		}
		if trainedModel != nil {
			if string(first) != string(trainedModel) {
				t.Error("a saved model that fits was not used as it is")
			}
		} else {
			trainedModel = first
		}
		const text = "con đường trước chợ đầy ổ gà, buổi tối không có đèn"
		before, err := c.Classify(ctx, text)
		if err != nil {
			t.Fatal(err)
		}
		want := "an_ninh_trat_tu"
		if before.Topic == want {
			want = "y_te"
		}
		if err := st.RecordCorrection(ctx, db, feedback.Correction{Text: text, Topic: want, Actor: "can.bo@mttq.vn"}); err != nil {
			t.Fatal(err)
		}
		saved, _ := os.Stat(path)
		c, err = LoadClassifier(ctx, path, st, log)
		if err != nil {
			t.Fatal(err)
		}
		if r, _ := c.Classify(ctx, text); r.Topic != want || len(c.Corrections()) != 1 {
			t.Errorf("after the correction: %s (%d corrections), want %s", r.Topic, len(c.Corrections()), want)
		}
		if now, _ := os.Stat(path); !now.ModTime().After(saved.ModTime()) && now.Size() == saved.Size() {
			t.Error("the classifier taught a correction was not saved again")
		}
		// A third start reads the saved model, which knows the correction.
		c, err = LoadClassifier(ctx, path, st, log)
		if err != nil {
			t.Fatal(err)
		}
		if r, _ := c.Classify(ctx, text); r.Topic != want || len(c.Corrections()) != 1 {
			t.Errorf("after a restart: %s (%d corrections), want %s", r.Topic, len(c.Corrections()), want)
		}
		// A damaged file is trained again, not trusted.
		if db.Dialect != store.SQLite {
			return
		}
		if err := os.WriteFile(path, []byte("hỏng"), 0o644); err != nil {
			t.Fatal(err)
		}
		if c, err = LoadClassifier(ctx, path, st, log); err != nil || len(c.Corrections()) != 1 {
			t.Errorf("a damaged model file: %v", err)
		}
	})
}

// The feedback module as serve builds it limits public submissions per
// client as configured, and takes uploads past the site's body limit.
func TestFeedbackSiteRateAndUploads(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := t.Context()
	tree := org.NewStore(db)
	if err := tree.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := tree.ImportTerritories(ctx, strings.NewReader(territories)); err != nil {
		t.Fatal(err)
	}
	cfg := config.Config{DataDir: t.TempDir(), Feedback: config.FeedbackConfig{Rate: 1, Threshold: 0.5}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	fb, err := FeedbackSite(ctx, cfg, db, log)
	if err != nil {
		t.Fatal(err)
	}
	h := web.New(web.Options{Logger: log, Modules: []web.Module{fb.Module}})
	post := func(ct string, body io.Reader) int {
		r := httptest.NewRequest(http.MethodPost, "/api/v1/feedback", body)
		r.Header.Set("Content-Type", ct)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	// Two megabytes of multipart: past the site's 1 MiB, within the
	// feedback routes' own limit; refused for its photo, not its size.
	big := "--b\r\nContent-Disposition: form-data; name=\"content\"\r\n\r\nRác.\r\n" +
		"--b\r\nContent-Disposition: form-data; name=\"commune_code\"\r\n\r\n26734\r\n" +
		"--b\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"a.jpg\"\r\n\r\n" + strings.Repeat("x", 2<<20) + "\r\n--b--\r\n"
	if code := post("multipart/form-data; boundary=b", strings.NewReader(big)); code != http.StatusUnsupportedMediaType {
		t.Errorf("a 2 MB upload: %d, want 415 for what it holds", code)
	}
	codes := []int{}
	for range 6 {
		codes = append(codes, post("application/json", strings.NewReader(`{"content":"Đèn đường hỏng.","commune_code":"26734"}`)))
	}
	// A minute's allowance at once, at least five; the upload above took one.
	if want := []int{201, 201, 201, 201, 429, 429}; !equalInts(codes, want) {
		t.Errorf("statuses %v, want %v", codes, want)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
