package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/mattranso/mattranso/feedback"
)

// checkAPI asks GET /api/v1/feedback/{code} for every acknowledged code
// and returns how many answered with that item; the others are problems.
func (g *loadGen) checkAPI(ctx context.Context, probs *problemList) int {
	codes := make(chan *loadSub)
	var found int
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for s := range codes {
				if err := g.getStatus(ctx, s.code); err != nil {
					probs.add("key %s: acknowledged %s: GET /api/v1/feedback/{code}: %v", s.key, s.code, err)
					continue
				}
				g.mu.Lock()
				found++
				g.mu.Unlock()
			}
		})
	}
	g.mu.Lock()
	subs := g.subs
	g.mu.Unlock()
	for _, s := range subs {
		if s.code != "" && ctx.Err() == nil {
			codes <- s
		}
	}
	close(codes)
	wg.Wait()
	return found
}

// getStatus reads an item's public status, retrying network errors a few
// times (the server was restarted not long ago).
func (g *loadGen) getStatus(ctx context.Context, code string) error {
	var last error
	for try := range 8 {
		if try > 0 {
			time.Sleep(time.Duration(try) * 100 * time.Millisecond)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.o.URL+"/api/v1/feedback/"+url.PathEscape(code), nil)
		if err != nil {
			return err
		}
		resp, err := g.client.Do(req)
		if err != nil {
			last = err
			continue
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			last = err
			continue
		}
		if resp.StatusCode >= 500 {
			last = fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, data)
			continue
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, data)
		}
		var st feedback.PublicStatus
		if err := json.Unmarshal(data, &st); err != nil {
			return fmt.Errorf("%w: %.200s", err, data)
		}
		if st.TrackingCode != code || st.Status != feedback.Received {
			return fmt.Errorf("answered %s in state %s", st.TrackingCode, st.Status)
		}
		return nil
	}
	return last
}

// checkDB reads what the database holds: every acknowledged submission
// once under its own key with its own code and text (and its contact,
// photo and first history event), no item without a key or under two,
// no text stored twice, and beyond the acknowledged items only
// submissions that were in flight unacknowledged.
func (g *loadGen) checkDB(ctx context.Context, rep *loadReport, probs *problemList) error {
	db := g.o.DB
	count := func(what, query string) (int, error) {
		var n int
		if err := db.QueryRowContext(ctx, query).Scan(&n); err != nil {
			return 0, fmt.Errorf("eval feedback-load: check %s: %w", what, err)
		}
		return n, nil
	}
	var err error
	if rep.Items, err = count("items", `SELECT COUNT(*) FROM feedback_items`); err != nil {
		return err
	}
	// Every text is the run's own (a place with two numbers of its own):
	// one stored twice is a submission stored twice.
	if rep.StoredTwice, err = count("texts stored twice", `SELECT COALESCE(SUM(n - 1), 0)
			FROM (SELECT COUNT(*) AS n FROM feedback_items GROUP BY content HAVING COUNT(*) > 1) x`); err != nil {
		return err
	}
	if rep.StoredTwice > 0 {
		probs.add("%d submissions stored twice (the same text in two items)", rep.StoredTwice)
	}
	for _, c := range []struct{ what, query string }{
		// NOT IN, not NOT EXISTS: feedback_idempotency has no index on
		// item_id, and SQLite would scan it once for each item.
		{"items stored without an Idempotency-Key", `SELECT COUNT(*) FROM feedback_items
			WHERE id NOT IN (SELECT item_id FROM feedback_idempotency)`},
		{"items recorded under two Idempotency-Keys", `SELECT COUNT(*) FROM (SELECT item_id FROM feedback_idempotency
			GROUP BY item_id HAVING COUNT(*) > 1) x`},
		{"photos whose bytes are missing", `SELECT COUNT(*) FROM feedback_photos p
			WHERE NOT EXISTS (SELECT 1 FROM feedback_blobs b WHERE b.key = p.blob_key)
			   OR NOT EXISTS (SELECT 1 FROM feedback_blobs b WHERE b.key = p.thumb_key)`},
	} {
		n, err := count(c.what, c.query)
		if err != nil {
			return err
		}
		if n > 0 {
			probs.add("%d %s", n, c.what)
		}
	}

	g.mu.Lock()
	byKey := make(map[string]*loadSub, len(g.subs))
	for _, s := range g.subs {
		byKey[s.key] = s
	}
	g.mu.Unlock()
	rows, err := db.QueryContext(ctx, `SELECT k.key, i.code, i.content,
			CASE WHEN EXISTS (SELECT 1 FROM feedback_contacts c WHERE c.item_id = i.id) THEN 1 ELSE 0 END,
			(SELECT COUNT(*) FROM feedback_photos p WHERE p.item_id = i.id),
			(SELECT COUNT(*) FROM feedback_events e WHERE e.item_id = i.id AND e.action = 'submit')
		FROM feedback_idempotency k JOIN feedback_items i ON i.id = k.item_id`)
	if err != nil {
		return fmt.Errorf("eval feedback-load: check keys: %w", err)
	}
	defer rows.Close()
	stored := map[string]bool{}
	for rows.Next() {
		var key, code, content string
		var contact, photos, events int
		if err := rows.Scan(&key, &code, &content, &contact, &photos, &events); err != nil {
			return fmt.Errorf("eval feedback-load: check keys: %w", err)
		}
		code = feedback.FormatCode(code)
		s, ok := byKey[key]
		if !ok {
			probs.add("key %s (item %s) was not sent by this run", key, code)
			continue
		}
		stored[key] = true
		switch {
		case s.code == "":
			rep.StoredUnacked++
		case s.code != code:
			probs.add("key %s was acknowledged as %s but is stored as %s", key, s.code, code)
		}
		if content != s.content {
			probs.add("key %s (%s) holds another text: %.80q", key, code, content)
		}
		if (contact == 1) != s.contact {
			probs.add("key %s (%s): contact stored %v, sent %v", key, code, contact == 1, s.contact)
		}
		if want := map[bool]int{true: 1, false: 0}[s.photo]; photos != want {
			probs.add("key %s (%s): %d photos stored, %d sent", key, code, photos, want)
		}
		if events != 1 {
			probs.add("key %s (%s): %d submission events", key, code, events)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("eval feedback-load: check keys: %w", err)
	}
	acked := 0
	for _, s := range byKey {
		if s.code == "" {
			continue
		}
		acked++
		if !stored[s.key] {
			probs.add("key %s was acknowledged as %s but is not stored", s.key, s.code)
		}
	}
	if rep.Items < acked {
		probs.add("%d items stored, %d acknowledged", rep.Items, acked)
	}
	if limit := acked + rep.Unacknowledged; rep.Items > limit {
		probs.add("%d items stored, more than the %d acknowledged and the %d unacknowledged", rep.Items, acked, rep.Unacknowledged)
	}
	return nil
}
