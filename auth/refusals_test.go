package auth

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestRefusalLog: one client's refusals of a minute cost two rows — the
// first at once, the rest summed up with their count and reasons — and
// no refusal goes uncounted.
func TestRefusalLog(t *testing.T) {
	l := newRefusalLog()
	t0 := time.Unix(1_800_000_000, 0)
	var rows []Event
	total := func() (n int64) {
		for _, e := range rows {
			n += e.Count
		}
		return n
	}
	refuse := func(ip, reason string, at time.Time) {
		rows = append(rows, l.note(Event{Action: EventTokenRefused, Outcome: OutcomeRefused, IP: ip, Reason: reason}, at)...)
	}
	for i := range 1000 {
		reason := "unknown token"
		if i%4 == 0 {
			reason = "malformed token"
		}
		refuse("203.0.113.9", reason, t0.Add(time.Duration(i)*50*time.Millisecond)) // 50 s
	}
	if len(rows) != 1 || rows[0].Count != 1 || rows[0].Reason != "malformed token" {
		t.Fatalf("rows during the first window: %+v", rows)
	}
	// A minute on, the next refusal writes the summary and opens a window.
	refuse("203.0.113.9", "unknown token", t0.Add(61*time.Second))
	if len(rows) != 3 || total() != 1001 {
		t.Fatalf("rows after a minute: %d, counting %d; want 3 counting 1001: %+v", len(rows), total(), rows)
	}
	if s := rows[1]; s.Count != 999 || s.IP != "203.0.113.9" ||
		!strings.Contains(s.Reason, "999 more from this address") || !strings.Contains(s.Reason, "unknown token ×750") ||
		!strings.Contains(s.Reason, "malformed token ×249") {
		t.Errorf("summary: %+v", s)
	}

	// Addresses of one IPv6 /64 are one client.
	rows = nil
	for i := range 300 {
		refuse(fmt.Sprintf("2001:db8:1:2::%x", i+1), "unknown token", t0.Add(2*time.Minute))
	}
	rows = append(rows, l.flush(t0.Add(2*time.Minute))...)
	if len(rows) != 2 || total() != 300 || rows[1].IP != "2001:db8:1:2::/64" {
		t.Errorf("one /64: %d rows counting %d: %+v", len(rows), total(), rows)
	}

	// Past maxRefusalClients open windows, new clients share one.
	rows = nil
	at := t0.Add(10 * time.Minute)
	for i := range maxRefusalClients + 500 {
		refuse(fmt.Sprintf("10.%d.%d.%d", i>>16, i>>8&255, i&255), "unknown token", at)
	}
	rows = append(rows, l.flush(at)...)
	if len(rows) > maxRefusalClients+2 || total() != maxRefusalClients+500 {
		t.Errorf("%d clients: %d rows counting %d", maxRefusalClients+500, len(rows), total())
	}
	last := rows[len(rows)-1]
	if last.IP != manyClients || last.Count != 499 {
		t.Errorf("the shared window's summary: %+v", last)
	}
	if len(l.windows) > maxRefusalClients+1 {
		t.Errorf("%d windows open", len(l.windows))
	}
}
