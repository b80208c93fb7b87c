package auth

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter limits requests per client address: each address may make
// Burst requests at once and then Rate a second. Use one Limiter per kind
// of request (signing in; sending feedback), shared by its routes.
//
// The client address is the connection's: behind a reverse proxy every
// client shares the proxy's address, so the proxy must limit instead.
type Limiter struct {
	rate  rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	clients map[string]*client
	swept   time.Time
}

type client struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewLimiter returns a limiter allowing every address burst requests at
// once and then r a second (rate.Every(time.Minute/10) is ten a minute).
func NewLimiter(r rate.Limit, burst int) *Limiter {
	return &Limiter{rate: r, burst: burst, now: time.Now, clients: map[string]*client{}}
}

// PublicWrites returns a limiter for the site's public write endpoints,
// such as a citizen sending feedback without an account: five at once,
// then one every ten seconds from each address. A person writes a
// petition in minutes; a script that posts faster is refused with 429.
// Wrap each such route with the same Limiter:
//
//	lim := auth.PublicWrites()
//	r.Handle("POST", "/api/v1/feedback", lim.Wrap(h))
func PublicWrites() *Limiter { return NewLimiter(rate.Every(10*time.Second), 5) }

// forget is how long an address unseen keeps its state: long enough to
// refill any bucket in use here.
const forget = 10 * time.Minute

// Allow reports whether the request's address may make one more request
// now, and if not, how long it should wait.
func (l *Limiter) Allow(r *http.Request) (bool, time.Duration) {
	return l.AllowKey(ClientIP(r))
}

// AllowKey is Allow for any key, such as a signed-in user's id: a limit
// that follows the user from address to address, and does not fall on
// everyone behind one proxy.
func (l *Limiter) AllowKey(key string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > forget {
		for k, c := range l.clients {
			if now.Sub(c.seen) > forget {
				delete(l.clients, k)
			}
		}
		l.swept = now
	}
	c := l.clients[key]
	if c == nil {
		c = &client{lim: rate.NewLimiter(l.rate, l.burst)}
		l.clients[key] = c
	}
	c.seen = now
	res := c.lim.ReserveN(now, 1)
	if !res.OK() {
		return false, time.Minute
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// Wrap answers 429 Too Many Requests, with Retry-After, to an address
// past its limit, and passes the other requests to h.
func (l *Limiter) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ok, wait := l.Allow(r); !ok {
			secs := int((wait + time.Second - 1) / time.Second)
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			writeProblem(w, r, http.StatusTooManyRequests, "rate_limited",
				"Bạn gửi quá nhiều yêu cầu trong thời gian ngắn. Vui lòng thử lại sau "+strconv.Itoa(secs)+" giây.")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// ClientIP is the address of the request's client, without the port.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
