package server

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/cmd/mattranso/internal/config"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store/storetest"
	"github.com/mattranso/mattranso/web"
)

// MATTRANSO_FEEDBACK_RATE limits public submissions per client address:
// past its allowance a client is answered 429 with Retry-After and a
// message in Vietnamese, then English, saying when to come back, and
// nothing is stored; another address is not limited by it; 0 turns the
// limit off.
func TestFeedbackRateLimitFromConfig(t *testing.T) {
	for _, c := range []struct {
		rate    string
		allowed int // submissions from one address before the first 429; -1: never
	}{{"6", 6}, {"0", -1}} {
		t.Run("rate="+c.rate, func(t *testing.T) {
			t.Setenv("MATTRANSO_FEEDBACK_RATE", c.rate)
			cfg, err := config.Load(config.Feedback)
			if err != nil {
				t.Fatal(err)
			}
			cfg.DataDir = t.TempDir()
			db := storetest.SQLite(t)
			ctx := t.Context()
			tree := org.NewStore(db)
			if err := tree.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := tree.ImportTerritories(ctx, strings.NewReader(territories)); err != nil {
				t.Fatal(err)
			}
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			fb, err := FeedbackSite(ctx, cfg, db, log)
			if err != nil {
				t.Fatal(err)
			}
			h := web.New(web.Options{Logger: log, Modules: []web.Module{fb.Module}})
			post := func(addr string, i int) *httptest.ResponseRecorder {
				body := fmt.Sprintf(`{"content":"Cống trước nhà số %d bị tắc, nước tràn lên đường.","commune_code":"26734"}`, i)
				r := httptest.NewRequest(http.MethodPost, "/api/v1/feedback", strings.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				r.RemoteAddr = addr
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				return w
			}
			const tries = 8
			stored := 0
			for i := range tries {
				w := post("198.51.100.7:40000", i)
				limited := c.allowed >= 0 && i >= c.allowed
				if !limited {
					if w.Code != http.StatusCreated {
						t.Fatalf("submission %d: %d %s, want 201", i+1, w.Code, w.Body)
					}
					stored++
					continue
				}
				if w.Code != http.StatusTooManyRequests {
					t.Fatalf("submission %d past the allowance of %d: %d, want 429", i+1, c.allowed, w.Code)
				}
				// The allowance refills at rate/60 a second: one more
				// submission is a few seconds away, at most 60/rate.
				rate, _ := strconv.Atoi(c.rate)
				secs, err := strconv.Atoi(w.Header().Get("Retry-After"))
				if err != nil || secs < 1 || secs > 60/rate {
					t.Errorf("Retry-After %q, want whole seconds from 1 to %d", w.Header().Get("Retry-After"), 60/rate)
				}
				var e struct {
					Error struct{ Code, Message string }
				}
				if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
					t.Fatalf("429 body %s: %v", w.Body, err)
				}
				vi, en, _ := strings.Cut(e.Error.Message, " (")
				if e.Error.Code != "rate_limited" || !strings.Contains(vi, "thử lại sau "+strconv.Itoa(secs)+" giây") ||
					!strings.Contains(en, "retry in "+strconv.Itoa(secs)+" s") {
					t.Errorf("429 answer %s: want rate_limited, Vietnamese first then English, both saying %d s", w.Body, secs)
				}
			}
			// Another address has its own allowance.
			if w := post("203.0.113.9:40000", tries); w.Code != http.StatusCreated {
				t.Errorf("another address: %d %s, want 201", w.Code, w.Body)
			}
			stored++
			var n int
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM feedback_items`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != stored {
				t.Errorf("%d items stored, want the %d accepted", n, stored)
			}
		})
	}
}
