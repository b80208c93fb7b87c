package auth

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"
)

// Refused credentials cost a client nothing to send — a made-up bearer
// token, a stale sign-on link — so their audit rows are rationed: one
// client's refusals of one action on one unit share a window of
// refusalWindow. The first refusal of a window is written at once, as it
// comes; the others are counted, and written as one row with their count
// and reasons when the window has passed — at the client's next refusal,
// at any client's refusal a window later, or when someone reads the log.
// So a client costs at most two rows a minute, however fast it sends, and
// the count is not lost. The refused request is answered as before (401):
// a refusal does not slow the client down, it only stops writing a row.
//
// What a crash loses is the count of the last window of each client.
const (
	refusalWindow = time.Minute
	// maxRefusalClients bounds the windows open at once: refusals from
	// clients past it share one window, so that a flood from many
	// addresses still costs a bounded number of rows.
	maxRefusalClients = 10000
	// manyClients stands for the clients of that shared window.
	manyClients = "(many addresses)"
	// maxReasons bounds the reasons a summary lists.
	maxReasons = 8
)

type refusalKey struct{ client, action, unit string }

type refusalWindowState struct {
	start   time.Time
	last    Event // the latest refusal counted: its time, address, user agent
	count   int64
	reasons map[string]int64
}

// refusalLog rations the audit rows of refusals.
type refusalLog struct {
	mu      sync.Mutex
	windows map[refusalKey]*refusalWindowState
	swept   time.Time
}

func newRefusalLog() *refusalLog {
	return &refusalLog{windows: map[refusalKey]*refusalWindowState{}}
}

// note counts refusal e, seen at now, and returns the events to write:
// e itself when it opens a window, and the summaries of windows that
// have ended.
func (l *refusalLog) note(e Event, now time.Time) []Event {
	e.At = now
	key := refusalKey{client: clientKey(e.IP), action: e.Action, unit: e.Unit}
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Event
	if now.Sub(l.swept) >= refusalWindow {
		for k, w := range l.windows {
			if now.Sub(w.start) >= refusalWindow {
				out = appendSummary(out, k, w)
				delete(l.windows, k)
			}
		}
		l.swept = now
	}
	if _, ok := l.windows[key]; !ok && len(l.windows) >= maxRefusalClients {
		key.client = manyClients
	}
	w := l.windows[key]
	if w != nil && now.Sub(w.start) >= refusalWindow {
		out = appendSummary(out, key, w)
		w = nil
	}
	if w == nil {
		l.windows[key] = &refusalWindowState{start: now, reasons: map[string]int64{}}
		e.Count = 1
		return append(out, e)
	}
	w.count++
	w.reasons[e.Reason]++
	w.last = e
	return out
}

// flush returns the summaries of every window with refusals counted, so
// that a reader of the log sees them; ended windows close, open ones go on
// counting from zero.
func (l *refusalLog) flush(now time.Time) []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Event
	for k, w := range l.windows {
		out = appendSummary(out, k, w)
		if now.Sub(w.start) >= refusalWindow {
			delete(l.windows, k)
		} else {
			w.count = 0
			clear(w.reasons)
		}
	}
	slices.SortFunc(out, func(a, b Event) int { return a.At.Compare(b.At) })
	return out
}

// appendSummary appends the row of w's counted refusals, if any.
func appendSummary(out []Event, k refusalKey, w *refusalWindowState) []Event {
	if w.count == 0 {
		return out
	}
	type reason struct {
		text string
		n    int64
	}
	var rs []reason
	for t, n := range w.reasons {
		rs = append(rs, reason{t, n})
	}
	slices.SortFunc(rs, func(a, b reason) int { return cmp.Or(cmp.Compare(b.n, a.n), strings.Compare(a.text, b.text)) })
	var parts []string
	for i, r := range rs {
		if i == maxReasons {
			parts = append(parts, fmt.Sprintf("%d other reasons", len(rs)-i))
			break
		}
		parts = append(parts, fmt.Sprintf("%s ×%d", r.text, r.n))
	}
	from := k.client
	if from != manyClients {
		from = "this address"
	}
	return append(out, Event{
		At: w.last.At, Action: k.action, Unit: k.unit, Outcome: OutcomeRefused, Count: w.count,
		IP: k.client, UserAgent: w.last.UserAgent,
		Reason: fmt.Sprintf("%d more from %s between %s and %s UTC: %s", w.count, from,
			w.start.UTC().Format(time.TimeOnly), w.last.At.UTC().Format(time.TimeOnly), strings.Join(parts, ", ")),
	})
}

// clientKey is the client a refusal is counted against: its address, or
// for IPv6 its /64, which one host can fill with addresses at will.
func clientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Is6() || a.Is4In6() {
		return ip
	}
	p, err := a.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}
