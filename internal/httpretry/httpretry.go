// Package httpretry owns how long a client of another server waits before
// it asks again: what the server's Retry-After says (RFC 9110), or else a
// back-off that doubles with each attempt. The crawler and the embedding
// server's client both wait this way.
package httpretry

import (
	"context"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// After returns how long a response's headers ask the client to wait
// before it retries, or 0 when they ask for no wait or say nothing it can
// read. It reads Retry-After (RFC 9110 §10.2.3) as delay-seconds — digits
// only, no sign, no fraction — or as an HTTP-date in any of the three
// forms HTTP allows, counted from now; a date already past asks for no
// wait. Retry-After-Ms, milliseconds, which OpenAI-compatible servers send
// beside it, is read first, being the more precise. A delay too long for
// a time.Duration is the longest one: callers cap what they honour.
func After(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 && !math.IsInf(ms, 0) {
			return clamp(ms * float64(time.Millisecond))
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if allDigits(v) {
		secs, err := strconv.ParseUint(v, 10, 64)
		if err != nil { // more digits than a uint64 holds
			return math.MaxInt64
		}
		return clamp(float64(secs) * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// clamp converts nanoseconds to a Duration, the longest one for more.
func clamp(ns float64) time.Duration {
	if ns >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(ns)
}

// Backoff returns the wait before retry number attempt+1 (attempt 0 is
// the first retry): base doubled per attempt, plus up to a quarter more so
// that many clients spread out, and never more than max.
func Backoff(base time.Duration, attempt int, max time.Duration) time.Duration {
	d := base << min(attempt, 30)
	if d <= 0 || d > max {
		d = max
	}
	if q := int64(d / 4); q > 0 {
		d += time.Duration(rand.Int64N(q))
	}
	return min(d, max)
}

// Sleep waits d, or less when ctx ends first; then it returns ctx's error.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
