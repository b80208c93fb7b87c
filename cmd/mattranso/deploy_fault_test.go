package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mattranso/mattranso/congress"
	"github.com/mattranso/mattranso/feedback"
	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/store"
)

// The faults of a deployment as deploy/ describes it — PostgreSQL, three
// serve instances from the systemd unit, nginx from its site file — under
// a load of searches and feedback submissions through nginx:
//
//   - one instance killed with SIGKILL: clients see fewer than 0.1 %
//     errors (nginx sends a failed search to another instance, the
//     feedback client sends a submission again with its Idempotency-Key),
//     and every acknowledged tracking code is in the database, once;
//   - the site file's own limit on feedback submissions holds for all
//     instances together;
//   - the congress dashboard's live events pass through nginx, from the
//     instance that takes a write to the one that holds the stream;
//   - the instances see each client's own address (X-Real-IP from
//     nginx), so one client's sign-ins beyond the limit do not refuse
//     another's;
//   - PostgreSQL stopped and started again: every instance says "not
//     ready" on /readyz meanwhile and ready again by itself afterwards,
//     and the submissions acknowledged around it are all stored.

// realQueries returns the first n questions of eval/testdata/realq.
func realQueries(t testing.TB, n int) []string {
	t.Helper()
	b, err := os.ReadFile("../../eval/testdata/realq/queries.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var qs []string
	for _, ln := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var q struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal([]byte(ln), &q); err != nil {
			t.Fatalf("realq: %v", err)
		}
		qs = append(qs, q.Text)
	}
	if len(qs) < n {
		t.Fatalf("realq has %d questions, want %d", len(qs), n)
	}
	return qs[:n]
}

// searchLoad sends searches from clients until stop, counting answers
// and errors (anything but 200 with results, or no answer).
type searchLoad struct {
	base    string
	queries []string
	ok, bad atomic.Int64
	mu      sync.Mutex
	first   []string // the first errors, for the failure message
	wg      sync.WaitGroup
}

func (s *searchLoad) run(ctx context.Context, clients int) {
	hc := &http.Client{Timeout: 30 * time.Second}
	for c := range clients {
		s.wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), 7))
			for ctx.Err() == nil {
				q := s.queries[rng.IntN(len(s.queries))]
				err := s.one(ctx, hc, q)
				if ctx.Err() != nil {
					return
				}
				if err != nil {
					s.bad.Add(1)
					s.mu.Lock()
					if len(s.first) < 10 {
						s.first = append(s.first, fmt.Sprintf("%s: %v", time.Now().Format("15:04:05.000"), err))
					}
					s.mu.Unlock()
				} else {
					s.ok.Add(1)
				}
				time.Sleep(time.Duration(rng.IntN(20)) * time.Millisecond)
			}
		})
	}
}

func (s *searchLoad) one(ctx context.Context, hc *http.Client, q string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/api/v1/library/search?limit=10&q="+url.QueryEscape(q), nil)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, b)
	}
	var r struct {
		Results []struct{ ID string } `json:"results"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return err
	}
	return nil
}

func (s *searchLoad) reset() {
	s.ok.Store(0)
	s.bad.Store(0)
	s.mu.Lock()
	s.first = nil
	s.mu.Unlock()
}

// deployment is PostgreSQL, three instances and nginx, with the shared
// library ingested once and the unit tree imported.
type deployment struct {
	pg        *pgCluster
	dsn       string
	bin       string
	state     string
	env       []string
	instances []*serveProc
	addrs     []string
	nginx     string
	nginxLog  string   // nginx's error log
	adminEnv  []string // for `mattranso admin` on the deployment's database
}

func newDeployment(t testing.TB, n int) *deployment {
	t.Helper()
	return newDeploymentMode(t, n, "keyword")
}

// newDeploymentMode is newDeployment with the instances searching in
// mode (MATTRANSO_SEARCH_MODE).
func newDeploymentMode(t testing.TB, n int, mode string) *deployment {
	t.Helper()
	laws := testenv.SharedPath(t, "corpus", "laws", "alqac2022-4-laws.json")
	d := &deployment{pg: newCluster(t), bin: buildBinary(t), state: t.TempDir()}
	d.dsn = d.pg.database("mattranso")
	d.env = unitEnv(t, map[string]string{
		"DATABASE_URL": d.dsn, "MATTRANSO_INGEST": "none", "MATTRANSO_UNITS": "none",
		"MATTRANSO_PUBLIC_URL": "http://127.0.0.1", "MATTRANSO_SEARCH_MODE": mode, "MATTRANSO_TRAIN_PAIRS": "none",
		"LOG_LEVEL": "warn",
	})
	adminEnv := append(d.env[:len(d.env):len(d.env)], "MATTRANSO_DATA="+t.TempDir())
	runBin(t, d.bin, adminEnv, "admin", "import-units", filepath.Join("..", "..", "congress", "testdata", "tree.csv"))
	runBin(t, d.bin, adminEnv, "ingest", laws)
	for range n {
		addr := freeAddr(t)
		d.addrs = append(d.addrs, addr)
		port := addr[strings.LastIndexByte(addr, ':')+1:]
		d.instances = append(d.instances, startUnit(t, d.bin, d.state, port, d.env))
	}
	d.adminEnv = adminEnv
	d.nginx, d.nginxLog = startNginxRate(t, d.addrs, false)
	return d
}

func TestDeployFaultsThroughNginx(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL, three servers and nginx: not under -short")
	}
	d := newDeployment(t, 3)
	ctx := context.Background()
	db, err := store.Open(ctx, d.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	searches := &searchLoad{base: d.nginx, queries: realQueries(t, 50)}

	t.Run("SIGKILL", func(t *testing.T) {
		loadCtx, stopSearches := context.WithCancel(ctx)
		searches.run(loadCtx, 6)
		const duration = 20 * time.Second
		killed := make(chan struct{})
		go func() {
			defer close(killed)
			time.Sleep(duration / 3)
			d.instances[1].kill()
		}()
		var logb bytes.Buffer
		rep, err := runFeedbackLoad(ctx, loadOptions{URL: d.nginx, Clients: 16, Duration: duration, Drain: 30 * time.Second,
			PhotoShare: 0.05, Seed: 17, DB: db, Log: &logb})
		<-killed
		stopSearches()
		searches.wg.Wait()
		if err != nil {
			t.Fatalf("feedback load: %v\n%s", err, logb.String())
		}
		t.Log(rep.Line())
		ok, bad := searches.ok.Load(), searches.bad.Load()
		t.Logf("searches through nginx: %d answered, %d errors", ok, bad)
		if ok < 100 {
			t.Errorf("only %d searches answered: the load did not run", ok)
		}
		if bad*1000 >= ok+bad {
			t.Errorf("searches: %d errors of %d (want < 0.1 %%): %v", bad, ok+bad, searches.first)
		}
		// nginx met the killed instance's failures (requests cut or
		// refused) and sent them on: the kill happened under load.
		errlog, err := os.ReadFile(d.nginxLog)
		if err != nil {
			t.Fatal(err)
		}
		failed := 0
		for _, ln := range strings.Split(string(errlog), "\n") {
			if strings.Contains(ln, d.addrs[1]) && strings.Contains(ln, "upstream") {
				failed++
			}
		}
		t.Logf("nginx logged %d failed requests to the killed instance", failed)
		if failed == 0 {
			t.Errorf("nginx logged no failure of the killed instance %s: was it under load?\n%.2000s", d.addrs[1], errlog)
		}
		// The load went on through the kill: submissions acknowledged in
		// the seconds after it.
		after := 0
		for _, n := range rep.AcksEachSecond[min(len(rep.AcksEachSecond), int(duration/3/time.Second)+1):] {
			after += int(n)
		}
		if after == 0 {
			t.Errorf("no submission acknowledged after the kill: %v", rep.AcksEachSecond)
		}
		if rep.Acknowledged < 50 {
			t.Errorf("only %d submissions acknowledged: the load did not run", rep.Acknowledged)
		}
		if failed := rep.Unacknowledged; failed*1000 >= rep.Sent {
			t.Errorf("feedback: %d of %d submissions never acknowledged (want < 0.1 %%)", failed, rep.Sent)
		}
		if !rep.OK {
			t.Errorf("feedback check failed: %s", strings.Join(rep.Problems, "; "))
		}
		if rep.Retrievable != rep.Acknowledged {
			t.Errorf("%d of %d acknowledged codes retrievable", rep.Retrievable, rep.Acknowledged)
		}
	})

	// The killed instance comes back on its own data directory (the lock
	// of the dead process went with it) and joins.
	if d.instances[1].cmd == nil {
		d.instances[1].start()
		d.instances[1].waitReady(2 * time.Minute)
	}

	t.Run("feedback limit", func(t *testing.T) { checkFeedbackLimit(t, d) })
	t.Run("congress events", func(t *testing.T) { checkEventsThroughNginx(t, d) })
	t.Run("client address", func(t *testing.T) { checkClientAddress(t, d) })

	t.Run("PostgreSQL restart", func(t *testing.T) {
		searches.reset()
		loadCtx, stopLoad := context.WithCancel(ctx)
		searches.run(loadCtx, 4)
		subs := &keyedSubmitter{base: d.nginx, prefix: fmt.Sprintf("pgrestart-%x", rand.Uint32())}
		giveUp := time.Now().Add(2 * time.Minute)
		subs.run(loadCtx, 8, giveUp)
		time.Sleep(3 * time.Second)

		d.pg.stop()
		down := time.Now()
		for i, p := range d.instances {
			deadline := time.Now().Add(20 * time.Second)
			for {
				code, body := readyz(p.base)
				if code == http.StatusServiceUnavailable && strings.Contains(body, "not ready") {
					t.Logf("instance %d while PostgreSQL is down: %d %q", i+1, code, strings.TrimSpace(body))
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("instance %d: /readyz answers %d %q 20 s after PostgreSQL stopped, want 503 not ready", i+1, code, body)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		time.Sleep(2 * time.Second)
		d.pg.start()
		t.Logf("PostgreSQL down for %.1f s", time.Since(down).Seconds())
		for i, p := range d.instances {
			deadline := time.Now().Add(30 * time.Second)
			for {
				code, body := readyz(p.base)
				if code == http.StatusOK {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("instance %d: not ready 30 s after PostgreSQL came back: %d %q\n%s", i+1, code, body, p.log)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		// Searches after the recovery must all succeed.
		searches.reset()
		time.Sleep(5 * time.Second)
		stopLoad()
		searches.wg.Wait()
		subs.wg.Wait()
		if ok, bad := searches.ok.Load(), searches.bad.Load(); bad > 0 || ok == 0 {
			t.Errorf("searches after PostgreSQL came back: %d answered, %d errors: %v", ok, bad, searches.first)
		}
		acked := subs.acknowledged()
		t.Logf("submissions around the restart: %d acknowledged, %d in flight when the load stopped, %d retries",
			len(acked), subs.unfinished.Load(), subs.retries.Load())
		if len(acked) < 20 {
			t.Errorf("only %d submissions acknowledged: the load did not run", len(acked))
		}
		if p := subs.problems(); len(p) > 0 {
			t.Errorf("submissions: %s", strings.Join(p, "; "))
		}
		stored := map[string]int{}
		rows, err := db.QueryContext(ctx, `SELECT code FROM feedback_items`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				t.Fatal(err)
			}
			stored[feedback.FormatCode(c)]++
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		lost := 0
		for key, code := range acked {
			if n := stored[code]; n != 1 {
				if lost++; lost <= 10 {
					t.Errorf("submission %s acknowledged as %s: %d items in the database, want 1", key, code, n)
				}
			}
		}
		if lost > 0 {
			t.Errorf("%d of %d acknowledged submissions not stored once", lost, len(acked))
		}
	})
}

// checkFeedbackLimit sends submissions from one address through nginx
// with the site file's own limit: 10 a minute and 10 more at once, for
// all the instances together, whichever answers each.
func checkFeedbackLimit(t *testing.T, d *deployment) {
	base, _ := startNginxRate(t, d.addrs, true)
	start := time.Now()
	acked, limited := 0, 0
	for i := range 30 {
		body := fmt.Sprintf(`{"content":"Rác thải ở đầu hẻm %d chưa được thu gom, đề nghị xử lý.","commune_code":"00004"}`, i)
		req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/feedback", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", fmt.Sprintf("limit-%d", i))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusCreated:
			acked++
		case http.StatusTooManyRequests:
			limited++
		default:
			t.Fatalf("submission %d through the limit: HTTP %d", i, resp.StatusCode)
		}
	}
	// 11 at once (one, and the burst of 10), then one every 6 s.
	allowed := 11 + int(time.Since(start)/(6*time.Second))
	t.Logf("30 submissions from one address: %d acknowledged, %d refused with 429", acked, limited)
	if acked < 11 || acked > allowed {
		t.Errorf("%d submissions acknowledged; want 11 to %d across the %d instances", acked, allowed, len(d.addrs))
	}
}

// checkEventsThroughNginx follows the congress dashboard's event stream
// through nginx while a congress is written through nginx: the event
// reaches the stream as it comes, whichever instances hold the stream and
// take the write (round-robin: another one, here).
func checkEventsThroughNginx(t *testing.T, d *deployment) {
	const reporter = "bao-cao.tphcm@mattranso.test"
	runBin(t, d.bin, d.adminEnv, "admin", "grant", "--email", reporter, "--role", "reporter", "--unit", "79/MTTQ")
	token := strings.TrimSpace(runBin(t, d.bin, d.adminEnv, "admin", "token", "create", "--email", reporter, "--role", "reporter", "--unit", "79/MTTQ"))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	events := d.nginx + "/api/v1/congress/" + congress.DefaultTerm + "/events"
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, events, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events through nginx: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	got := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		name := ""
		for sc.Scan() {
			ln := sc.Text()
			if v, ok := strings.CutPrefix(ln, "event: "); ok {
				name = v
			}
			if v, ok := strings.CutPrefix(ln, "data: "); ok && name == "congress" {
				got <- v
				return
			}
		}
		close(got)
	}()
	body := `{"status":"held","planned_date":"2026-05-20","chair":"Trần Thị Bình","delegates_summoned":100,"delegates_attending":97}`
	putCongress(t, d.nginx, token, body)
	select {
	case data, ok := <-got:
		if !ok || !strings.Contains(data, "Trần Thị Bình") {
			t.Fatalf("the stream through nginx ended or sent %q", data)
		}
	case <-ctx.Done():
		t.Fatal("no congress event through nginx within 2 minutes")
	}
}

// clientFrom is an HTTP client whose connections leave from the loopback
// address local (any of 127.0.0.0/8 on Linux), as a distinct client.
func clientFrom(local string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DialContext: d.DialContext}}
}

// checkClientAddress: the instances key the sign-in limit on the client's
// address that nginx names (MATTRANSO_TRUSTED_PROXIES in mattranso.env),
// not on nginx's own — one client sending too many sign-ins is refused,
// another is not.
func checkClientAddress(t *testing.T, d *deployment) {
	get := func(c *http.Client) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, d.nginx+"/auth/login", nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	busy := clientFrom("127.0.0.2")
	limited := 0
	codes := map[int]int{}
	// 10 at once per instance, then one every 3 s: 60 requests fill the
	// three instances' allowances, round-robin.
	for range 60 {
		code := get(busy)
		codes[code]++
		if code == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Fatalf("60 sign-ins from one address through nginx: none refused (answers: %v)", codes)
	}
	other := clientFrom("127.0.0.3")
	for i := range 3 {
		if code := get(other); code == http.StatusTooManyRequests {
			t.Fatalf("another client's sign-in %d refused (429) after the first client's %d refusals: the instances count nginx's address, not the clients'", i+1, limited)
		}
	}
	t.Logf("sign-ins: %d of 60 from one client refused, none of another's", limited)
}

// keyedSubmitter sends feedback submissions, each until acknowledged
// with the same Idempotency-Key, as the feedback clients do.
type keyedSubmitter struct {
	base       string
	prefix     string
	wg         sync.WaitGroup
	retries    atomic.Int64
	unfinished atomic.Int64
	mu         sync.Mutex
	acks       map[string]string // key → tracking code
	probs      []string
}

func (k *keyedSubmitter) run(ctx context.Context, clients int, giveUp time.Time) {
	k.acks = map[string]string{}
	hc := &http.Client{Timeout: 20 * time.Second}
	for c := range clients {
		k.wg.Go(func() {
			for seq := 0; ctx.Err() == nil; seq++ {
				key := fmt.Sprintf("%s-%d-%d", k.prefix, c, seq)
				body, _ := json.Marshal(map[string]string{
					"content":      fmt.Sprintf("Đèn đường trước nhà số %d/%d bị hỏng, buổi tối rất tối, đề nghị sửa sớm.", seq, c+1),
					"commune_code": "00004",
				})
				// Once begun, a submission is sent until acknowledged even
				// after the load stops: an acknowledgement lost is what
				// the check is about.
				k.send(hc, key, body, giveUp)
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

func (k *keyedSubmitter) send(hc *http.Client, key string, body []byte, giveUp time.Time) {
	for wait := 50 * time.Millisecond; time.Now().Before(giveUp); wait = min(2*wait, time.Second) {
		req, _ := http.NewRequest(http.MethodPost, k.base+"/api/v1/feedback", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		resp, err := hc.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case resp.StatusCode == http.StatusCreated:
				var r struct {
					TrackingCode string `json:"tracking_code"`
				}
				k.mu.Lock()
				defer k.mu.Unlock()
				if json.Unmarshal(b, &r) != nil || r.TrackingCode == "" {
					k.probs = append(k.probs, fmt.Sprintf("%s: 201 without a tracking code: %.200s", key, b))
					return
				}
				k.acks[key] = r.TrackingCode
				return
			case resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests:
				k.mu.Lock()
				k.probs = append(k.probs, fmt.Sprintf("%s: HTTP %d: %.200s", key, resp.StatusCode, b))
				k.mu.Unlock()
				return
			}
		}
		k.retries.Add(1)
		time.Sleep(time.Duration(rand.Int64N(int64(wait))) + time.Millisecond)
	}
	k.unfinished.Add(1)
	k.mu.Lock()
	k.probs = append(k.probs, key+": not acknowledged within the run")
	k.mu.Unlock()
}

func (k *keyedSubmitter) acknowledged() map[string]string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.acks
}

func (k *keyedSubmitter) problems() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.probs) > 10 {
		return append(k.probs[:10:10], fmt.Sprintf("… and %d more", len(k.probs)-10))
	}
	return k.probs
}
