package httpretry

import (
	"context"
	"errors"
	"math"
	"net/http"
	"testing"
	"time"
)

func TestAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"none", http.Header{}, 0},
		{"delay-seconds", http.Header{"Retry-After": {"120"}}, 120 * time.Second},
		{"delay-seconds with spaces", http.Header{"Retry-After": {" 7 "}}, 7 * time.Second},
		{"zero", http.Header{"Retry-After": {"0"}}, 0},
		{"leading zeros", http.Header{"Retry-After": {"007"}}, 7 * time.Second},
		// Not delay-seconds: 1*DIGIT has no sign, fraction or exponent.
		{"fraction", http.Header{"Retry-After": {"1.5"}}, 0},
		{"plus sign", http.Header{"Retry-After": {"+5"}}, 0},
		{"negative", http.Header{"Retry-After": {"-3"}}, 0},
		{"exponent", http.Header{"Retry-After": {"1e3"}}, 0},
		{"infinity", http.Header{"Retry-After": {"Inf"}}, 0},
		{"garbage", http.Header{"Retry-After": {"soon"}}, 0},
		{"huge", http.Header{"Retry-After": {"99999999999999999999999"}}, math.MaxInt64},
		{"larger than a Duration", http.Header{"Retry-After": {"9223372037"}}, math.MaxInt64},
		{"IMF-fixdate", http.Header{"Retry-After": {"Sun, 01 Mar 2026 08:01:30 GMT"}}, 90 * time.Second},
		{"obsolete RFC 850 date", http.Header{"Retry-After": {"Sunday, 01-Mar-26 08:00:10 GMT"}}, 10 * time.Second},
		{"obsolete asctime date", http.Header{"Retry-After": {"Sun Mar  1 08:02:00 2026"}}, 2 * time.Minute},
		{"date past", http.Header{"Retry-After": {"Sun, 01 Mar 2026 07:59:00 GMT"}}, 0},
		{"date now", http.Header{"Retry-After": {"Sun, 01 Mar 2026 08:00:00 GMT"}}, 0},
		{"milliseconds", http.Header{"Retry-After-Ms": {"150"}}, 150 * time.Millisecond},
		{"milliseconds first", http.Header{"Retry-After-Ms": {"150"}, "Retry-After": {"2"}}, 150 * time.Millisecond},
		{"bad milliseconds", http.Header{"Retry-After-Ms": {"NaN"}, "Retry-After": {"2"}}, 2 * time.Second},
		{"infinite milliseconds", http.Header{"Retry-After-Ms": {"+Inf"}, "Retry-After": {"2"}}, 2 * time.Second},
	} {
		if got := After(tt.header, now); got != tt.want {
			t.Errorf("%s: After(%v) = %v, want %v", tt.name, tt.header, got, tt.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	for _, tt := range []struct {
		base     time.Duration
		attempt  int
		max      time.Duration
		from, to time.Duration // the wait lies in [from, to]
	}{
		{time.Second, 0, time.Minute, time.Second, 1250 * time.Millisecond},
		{time.Second, 2, time.Minute, 4 * time.Second, 5 * time.Second},
		{time.Second, 10, time.Minute, time.Minute, time.Minute},
		{time.Second, 100, time.Minute, time.Minute, time.Minute}, // no overflow
		{time.Millisecond, 1, time.Second, 2 * time.Millisecond, 2500 * time.Microsecond},
		{0, 3, time.Second, time.Second, time.Second},
	} {
		for range 50 {
			if got := Backoff(tt.base, tt.attempt, tt.max); got < tt.from || got > tt.to {
				t.Fatalf("Backoff(%v, %d, %v) = %v, want within [%v, %v]", tt.base, tt.attempt, tt.max, got, tt.from, tt.to)
			}
		}
	}
}

func TestSleep(t *testing.T) {
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("Sleep 1ms: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
		t.Errorf("Sleep of an hour in a cancelled context: %v after %v", err, time.Since(start))
	}
}
