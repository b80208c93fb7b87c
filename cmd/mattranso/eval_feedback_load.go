package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattranso/mattranso/cmd/mattranso/internal/config"
	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/topic"
)

// evalFeedbackLoad runs "eval feedback-load": the load test of citizen
// feedback's intake against a running server (scripts/feedback-load.sh
// starts it, and kills and restarts it meanwhile), then the check that
// nothing acknowledged was lost and nothing was stored twice. It lives
// beside the other measuring tools of the one binary so that the script
// builds nothing else, and reads the database the way serve does
// (MATTRANSO_DATA, DATABASE_URL).
func evalFeedbackLoad(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := config.Load(config.Data)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("eval feedback-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "the server's data directory, whose database is checked (or DATABASE_URL)")
	url := fs.String("url", "", "the server, e.g. http://127.0.0.1:8080")
	o := loadOptions{}
	fs.IntVar(&o.Clients, "clients", 200, "concurrent submitters")
	fs.DurationVar(&o.Duration, "duration", time.Minute, "how long new submissions are sent")
	fs.DurationVar(&o.Drain, "drain", time.Minute, "how long the submissions in flight at the end keep being retried")
	fs.Float64Var(&o.PhotoShare, "photos", 0.05, "share of submissions sent as multipart with a photo, 0 to 1")
	fs.Uint64Var(&o.Seed, "seed", 0, "seed of the submissions' choices (0: from the clock)")
	asJSON := fs.Bool("json", false, "print one JSON object instead of the summary line")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	switch {
	case *url == "":
		return exitError{2, errors.New("eval feedback-load: --url of the server is required")}
	case o.Clients < 1 || o.Clients > 10000:
		return exitError{2, fmt.Errorf("eval feedback-load: --clients %d: want 1 to 10000", o.Clients)}
	case o.Duration <= 0 || o.Drain < 0:
		return exitError{2, errors.New("eval feedback-load: --duration must be positive and --drain not negative")}
	case o.PhotoShare < 0 || o.PhotoShare > 1 || math.IsNaN(o.PhotoShare):
		return exitError{2, fmt.Errorf("eval feedback-load: --photos %v: want a share from 0 to 1", o.PhotoShare)}
	}
	o.URL = strings.TrimRight(*url, "/")
	if o.Seed == 0 {
		o.Seed = uint64(time.Now().UnixNano())
	}
	db, err := store.Open(ctx, cfg.Database())
	if err != nil {
		return err
	}
	defer db.Close()
	o.DB = db
	o.Log = stderr
	rep, err := runFeedbackLoad(ctx, o)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := json.NewEncoder(stdout).Encode(rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(stdout, rep.Line())
	}
	if !rep.OK {
		for _, p := range rep.Problems {
			fmt.Fprintln(stderr, "  "+p)
		}
		if rep.MoreProblems > 0 {
			fmt.Fprintf(stderr, "  … and %d more\n", rep.MoreProblems)
		}
		return exitError{1, errors.New("eval feedback-load: the check failed")}
	}
	return nil
}

// loadOptions are what a load run needs.
type loadOptions struct {
	URL        string
	Clients    int
	Duration   time.Duration
	Drain      time.Duration
	PhotoShare float64
	Seed       uint64
	// Max stops the run after this many submissions in all (0: none), so
	// that a test's run does not depend on the machine's speed.
	Max int
	// DB is the server's database, read to find the communes and to check
	// what was stored; it must hold no feedback item when the run starts.
	DB *store.DB
	// Client sends the requests; nil means one with a connection kept for
	// each submitter.
	Client *http.Client
	Log    io.Writer // progress; nil for none
}

// loadReport is what a run measured and what its check found.
type loadReport struct {
	Clients          int      `json:"clients"`
	Seconds          float64  `json:"seconds"`
	Sent             int      `json:"sent"`         // submissions begun
	Acknowledged     int      `json:"acknowledged"` // 201 with a tracking code
	InWindow         int      `json:"acknowledged_in_window"`
	PerSecond        float64  `json:"per_second"`         // acknowledged in the window / its length
	PerSecondUp      float64  `json:"per_second_up"`      // the same over the seconds without a network error
	UpSeconds        int      `json:"up_seconds"`         // those seconds
	WithPhoto        int      `json:"acknowledged_photo"` // acknowledged multipart submissions with a photo
	Latency          Pcts     `json:"latency_ms"`         // of the requests answered 201
	UntilAck         Pcts     `json:"until_acknowledged_ms"`
	Histogram        []Bin    `json:"latency_histogram"`
	RetriesNetwork   int      `json:"retries_network"` // after a connection refused, reset or timed out
	RetriesServer    int      `json:"retries_5xx"`
	RetriesLimited   int      `json:"retries_429"`
	Outages          int      `json:"outages"`        // runs of seconds in which a request met a network error
	OutageSeconds    int      `json:"outage_seconds"` // those seconds
	Unacknowledged   int      `json:"unacknowledged"` // given up after the drain, or refused
	Retrievable      int      `json:"retrievable"`    // acknowledged codes GET answered
	Items            int      `json:"items"`          // items in the database
	StoredUnacked    int      `json:"stored_unacknowledged"`
	StoredTwice      int      `json:"stored_twice"`
	OK               bool     `json:"ok"`
	Problems         []string `json:"problems,omitempty"`
	MoreProblems     int      `json:"more_problems,omitempty"`
	AcksEachSecond   []int64  `json:"acknowledged_each_second"`
	NetErrEachSecond []int64  `json:"network_errors_each_second"`
}

// Pcts are latency percentiles in milliseconds.
type Pcts struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Bin is a bucket of the latency histogram: requests answered in less
// than UpTo milliseconds (and at least the previous bin's UpTo).
type Bin struct {
	UpTo  float64 `json:"up_to_ms"`
	Count int     `json:"count"`
}

// Line is the run in one line.
func (r loadReport) Line() string {
	verdict := "OK"
	if !r.OK {
		verdict = fmt.Sprintf("FAILED (%d problems)", len(r.Problems)+r.MoreProblems)
	}
	return fmt.Sprintf("feedback-load: %d clients, %.0f s: %d acknowledged (%d with a photo), %.1f/s (%.1f/s over the %d s without a network error); "+
		"latency p50 %.1f ms, p99 %.1f ms (until acknowledged, retries included: p50 %.1f ms, p99 %.1f ms); "+
		"retries: %d after a network error, %d after a 5xx, %d after a 429; %d outages (%d s); "+
		"checked: %d of %d codes retrievable, %d items stored (%d of them unacknowledged in flight), %d unacknowledged, %d stored twice: %s",
		r.Clients, r.Seconds, r.Acknowledged, r.WithPhoto, r.PerSecond, r.PerSecondUp, r.UpSeconds,
		r.Latency.P50, r.Latency.P99, r.UntilAck.P50, r.UntilAck.P99,
		r.RetriesNetwork, r.RetriesServer, r.RetriesLimited, r.Outages, r.OutageSeconds,
		r.Retrievable, r.Acknowledged, r.Items, r.StoredUnacked, r.Unacknowledged, r.StoredTwice, verdict)
}

// loadSub is one submission of the run and what became of it.
type loadSub struct {
	key     string
	content string // as the server stores it: NFC, trimmed
	contact bool
	photo   bool
	code    string // the tracking code acknowledged; "" when none was
}

// loadGen is a run in progress.
type loadGen struct {
	o        loadOptions
	client   *http.Client
	communes []string
	topics   []string
	photos   [][]byte
	run      string // the run's prefix of Idempotency-Keys

	start, end, giveUp time.Time
	begun              atomic.Int64

	acks, netErrs []atomic.Int64 // by second since start

	mu       sync.Mutex
	subs     []*loadSub
	latency  []time.Duration
	untilAck []time.Duration
	retries  struct{ network, server, limited int }
	problems problemList
}

// problemList keeps what a run found wrong, the first few in full.
type problemList struct {
	mu   sync.Mutex
	list []string
	more int
}

const maxProblemsShown = 20

func (p *problemList) add(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.list) < maxProblemsShown {
		p.list = append(p.list, fmt.Sprintf(format, args...))
	} else {
		p.more++
	}
}

func (p *problemList) clone() *problemList {
	p.mu.Lock()
	defer p.mu.Unlock()
	return &problemList{list: slices.Clone(p.list), more: p.more}
}

func (p *problemList) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.list) + p.more
}

// runFeedbackLoad sends submissions from o.Clients submitters for
// o.Duration, each retried with its Idempotency-Key after a network error,
// a 5xx or a 429 until it is acknowledged or o.Drain after the end, then
// checks through the API and the database that every acknowledged
// submission is stored once and retrievable, and that nothing else is
// stored but submissions left unacknowledged in flight. A failed check is
// in the report (OK false); an error is a run that could not be made.
func runFeedbackLoad(ctx context.Context, o loadOptions) (loadReport, error) {
	g, err := newLoadGen(ctx, o)
	if err != nil {
		return loadReport{}, err
	}
	if err := g.load(ctx); err != nil {
		return loadReport{}, err
	}
	return g.check(ctx)
}

// newLoadGen prepares a run on a database holding no feedback item.
func newLoadGen(ctx context.Context, o loadOptions) (*loadGen, error) {
	g := &loadGen{o: o, client: o.Client}
	if g.client == nil {
		g.client = &http.Client{
			Timeout: 30 * time.Second,
			Transport: &http.Transport{
				DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
				MaxIdleConns:        o.Clients + 16,
				MaxIdleConnsPerHost: o.Clients + 16,
				IdleConnTimeout:     90 * time.Second,
			},
		}
	}
	var err error
	if g.communes, err = loadCommunes(ctx, o.DB); err != nil {
		return nil, err
	}
	var items int
	if err := o.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM feedback_items`).Scan(&items); err != nil {
		return nil, fmt.Errorf("eval feedback-load: the database has no feedback tables (start the server on it first): %w", err)
	}
	if items > 0 {
		return nil, exitError{2, fmt.Errorf("eval feedback-load: the database already holds %d feedback items; the check needs one without any", items)}
	}
	g.topics = topic.DefaultTaxonomy().IDs()
	rng := rand.New(rand.NewPCG(o.Seed, 14))
	for i := range 6 {
		g.photos = append(g.photos, loadPhoto(rng, i))
	}
	g.run = fmt.Sprintf("load-%x", rng.Uint32())
	seconds := int((o.Duration+o.Drain)/time.Second) + 4
	g.acks, g.netErrs = make([]atomic.Int64, seconds), make([]atomic.Int64, seconds)
	return g, nil
}

// load sends the submissions until the end of the run and of the drain.
func (g *loadGen) load(ctx context.Context) error {
	g.start = time.Now()
	g.end = g.start.Add(g.o.Duration)
	g.giveUp = g.end.Add(g.o.Drain)
	sizes := make([]int, len(g.photos))
	for i, p := range g.photos {
		sizes[i] = len(p)
	}
	g.logf("feedback-load: %d clients for %s against %s (keys %s-…; %.0f%% with a 320×240 JPEG of %d to %d bytes)",
		g.o.Clients, g.o.Duration, g.o.URL, g.run, 100*g.o.PhotoShare, slices.Min(sizes), slices.Max(sizes))
	var wg sync.WaitGroup
	for c := range g.o.Clients {
		crng := rand.New(rand.NewPCG(g.o.Seed, uint64(c)+1))
		wg.Go(func() { g.submitter(ctx, c, crng) })
	}
	stopProgress := g.progress()
	wg.Wait()
	stopProgress()
	return ctx.Err()
}

// check reports the run: what was sent and acknowledged, and what the API
// and the database hold now.
func (g *loadGen) check(ctx context.Context) (loadReport, error) {
	rep := g.report()
	probs := g.problems.clone()
	g.logf("feedback-load: %d acknowledged; checking every code through GET /api/v1/feedback/{code}", rep.Acknowledged)
	start := time.Now()
	rep.Retrievable = g.checkAPI(ctx, probs)
	g.logf("feedback-load: %d codes retrievable (%.1f s); checking the database", rep.Retrievable, time.Since(start).Seconds())
	start = time.Now()
	if err := g.checkDB(ctx, &rep, probs); err != nil {
		return loadReport{}, err
	}
	g.logf("feedback-load: database checked (%.1f s)", time.Since(start).Seconds())
	rep.Problems, rep.MoreProblems = probs.list, probs.more
	rep.OK = probs.count() == 0
	return rep, nil
}

func (g *loadGen) logf(format string, args ...any) {
	if g.o.Log != nil {
		fmt.Fprintf(g.o.Log, format+"\n", args...)
	}
}

// progress prints the acknowledgements every ten seconds until stopped.
func (g *loadGen) progress() (stop func()) {
	if g.o.Log == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				var acks, errs int64
				for i := range g.acks {
					acks += g.acks[i].Load()
					errs += g.netErrs[i].Load()
				}
				g.logf("feedback-load: %3.0f s: %d acknowledged, %d network errors", time.Since(g.start).Seconds(), acks, errs)
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

func (g *loadGen) second(t time.Time) int {
	return min(int(t.Sub(g.start)/time.Second), len(g.acks)-1)
}

// submitter sends one submission after another until the run's end.
func (g *loadGen) submitter(ctx context.Context, c int, rng *rand.Rand) {
	for seq := 1; ctx.Err() == nil && time.Now().Before(g.end); seq++ {
		if g.o.Max > 0 && g.begun.Add(1) > int64(g.o.Max) {
			return
		}
		s, body, ct, err := g.submission(rng, c, seq)
		if err != nil {
			g.problems.add("making a submission: %v", err)
			return
		}
		g.mu.Lock()
		g.subs = append(g.subs, s)
		g.mu.Unlock()
		g.send(ctx, s, body, ct)
	}
}

// send posts a submission until it is acknowledged, refused, or the
// drain is over, with the same Idempotency-Key each time.
func (g *loadGen) send(ctx context.Context, s *loadSub, body []byte, ct string) {
	first := time.Now()
	wait := 50 * time.Millisecond
	for ctx.Err() == nil && time.Now().Before(g.giveUp) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.o.URL+"/api/v1/feedback", bytes.NewReader(body))
		if err != nil {
			g.refuse(s, "%v", err)
			return
		}
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Idempotency-Key", s.key)
		t0 := time.Now()
		resp, err := g.client.Do(req)
		var data []byte
		if err == nil {
			data, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
		}
		took := time.Since(t0)
		var pause time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			// Refused while the server is down, reset when it was killed,
			// or timed out: the submission may or may not be stored, and
			// the same key tells the server which.
			g.netErrs[g.second(time.Now())].Add(1)
			g.mu.Lock()
			g.retries.network++
			g.mu.Unlock()
		case resp.StatusCode == http.StatusCreated:
			var r struct {
				TrackingCode string `json:"tracking_code"`
				Status       string `json:"status"`
			}
			if err := json.Unmarshal(data, &r); err != nil || r.TrackingCode == "" {
				g.refuse(s, "201 without a tracking code: %.200q", data)
				return
			}
			now := time.Now()
			g.acks[g.second(now)].Add(1)
			g.mu.Lock()
			if s.code != "" && s.code != r.TrackingCode {
				g.problems.add("key %s acknowledged as %s and as %s", s.key, s.code, r.TrackingCode)
			}
			s.code = r.TrackingCode
			g.latency = append(g.latency, took)
			g.untilAck = append(g.untilAck, now.Sub(first))
			g.mu.Unlock()
			return
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			g.mu.Lock()
			if resp.StatusCode == http.StatusTooManyRequests {
				g.retries.limited++
			} else {
				g.retries.server++
			}
			g.mu.Unlock()
			if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
				pause = time.Duration(secs) * time.Second
			}
		default:
			// The run sends only valid submissions: any other answer (a
			// 409 would mean a retry seen as another request) is a fault.
			g.refuse(s, "HTTP %d: %.300s", resp.StatusCode, data)
			return
		}
		if pause == 0 {
			// Full jitter, so that 200 submitters do not come back at once.
			pause = time.Duration(rand.Int64N(int64(wait))) + time.Millisecond
			wait = min(2*wait, time.Second)
		}
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
	}
}

func (g *loadGen) refuse(s *loadSub, format string, args ...any) {
	g.problems.add("key %s: "+format, append([]any{s.key}, args...)...)
}

// report sums up the sending part of the run.
func (g *loadGen) report() loadReport {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := loadReport{Clients: g.o.Clients, Seconds: g.o.Duration.Seconds(), Sent: len(g.subs),
		RetriesNetwork: g.retries.network, RetriesServer: g.retries.server, RetriesLimited: g.retries.limited}
	for _, s := range g.subs {
		if s.code != "" {
			r.Acknowledged++
			if s.photo {
				r.WithPhoto++
			}
		} else {
			r.Unacknowledged++
		}
	}
	window := int(g.o.Duration / time.Second)
	r.AcksEachSecond = make([]int64, len(g.acks))
	r.NetErrEachSecond = make([]int64, len(g.acks))
	var upAcks int64
	last := 0
	for i := range g.acks {
		a, e := g.acks[i].Load(), g.netErrs[i].Load()
		r.AcksEachSecond[i], r.NetErrEachSecond[i] = a, e
		if a > 0 || e > 0 {
			last = i + 1
		}
		if e > 0 {
			r.OutageSeconds++
			if i == 0 || g.netErrs[i-1].Load() == 0 {
				r.Outages++
			}
		}
		if i < window {
			r.InWindow += int(a)
			if e == 0 {
				r.UpSeconds++
				upAcks += a
			}
		}
	}
	r.AcksEachSecond, r.NetErrEachSecond = r.AcksEachSecond[:last], r.NetErrEachSecond[:last]
	if window > 0 {
		r.PerSecond = float64(r.InWindow) / float64(window)
	} else {
		r.PerSecond = float64(r.InWindow) / g.o.Duration.Seconds()
	}
	if r.UpSeconds > 0 {
		r.PerSecondUp = float64(upAcks) / float64(r.UpSeconds)
	}
	r.Latency = percentiles(g.latency) // sorts it for the histogram
	r.Histogram = histogram(g.latency)
	r.UntilAck = percentiles(g.untilAck)
	return r
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e4) / 100 }

// percentiles sorts ds and reads its percentiles.
func percentiles(ds []time.Duration) Pcts {
	if len(ds) == 0 {
		return Pcts{}
	}
	slices.Sort(ds)
	at := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
	return Pcts{P50: ms(at(0.50)), P90: ms(at(0.90)), P99: ms(at(0.99)), Max: ms(ds[len(ds)-1])}
}

// histogram counts sorted durations in bins doubling from 1 ms.
func histogram(sorted []time.Duration) []Bin {
	var bins []Bin
	i := 0
	for upTo := time.Millisecond; i < len(sorted); upTo *= 2 {
		n := 0
		for i < len(sorted) && sorted[i] < upTo {
			i++
			n++
		}
		bins = append(bins, Bin{UpTo: ms(upTo), Count: n})
	}
	return bins
}

// loadCommunes lists the active communes of the unit tree.
func loadCommunes(ctx context.Context, db *store.DB) ([]string, error) {
	ts, err := org.NewStore(db).Descendants(ctx, org.CentralCode, org.Commune)
	if err != nil {
		return nil, fmt.Errorf("eval feedback-load: communes: %w", err)
	}
	var codes []string
	for _, t := range ts {
		if !t.Retired() {
			codes = append(codes, t.Code)
		}
	}
	if len(codes) == 0 {
		return nil, errors.New("eval feedback-load: the unit tree has no commune: run mattranso admin import-units first")
	}
	return codes, nil
}

// What citizens write from their phones, a place in each: %s is where.
var loadTexts = []string{
	"Đèn đường %s bị hỏng gần một tháng nay, buổi tối rất tối, người đi đường dễ bị té ngã. Đề nghị xã cho sửa sớm.",
	"Rác thải tập kết %s mấy ngày không ai thu gom, bốc mùi hôi thối, ruồi muỗi nhiều. Mong chính quyền xử lý.",
	"Đường %s có ổ gà lớn, mưa xuống đọng nước, xe máy đã bị ngã mấy lần rồi ạ.",
	"Quán karaoke %s hát đến 1-2 giờ sáng, ồn ào ảnh hưởng giấc ngủ của bà con, đề nghị kiểm tra.",
	"Cống thoát nước %s bị tắc, mưa to là ngập vào nhà dân, đề nghị nạo vét.",
	"Có người lấn chiếm vỉa hè %s để bán hàng, dựng mái che, người đi bộ phải đi xuống lòng đường.",
	"Xin hỏi hồ sơ xin cấp giấy chứng nhận quyền sử dụng đất nộp từ 3 tháng trước đến nay chưa có kết quả, nhà tôi ở %s.",
	"Gia đình tôi thuộc hộ cận nghèo ở %s nhưng năm nay không có tên trong danh sách hỗ trợ, đề nghị xem xét lại.",
	"Cây xanh %s nghiêng sắp đổ, mùa mưa bão rất nguy hiểm, đề nghị cắt tỉa.",
	"Trạm y tế gần %s thiếu thuốc, người dân đi khám bảo hiểm y tế phải tự mua thuốc bên ngoài.",
	"Xưởng gỗ %s xả khói bụi và tiếng ồn suốt ngày, trẻ em trong xóm bị ho nhiều.",
	"Nước máy %s có màu vàng đục và mùi lạ đã một tuần, bà con không dám dùng để nấu ăn.",
	"Tình trạng đua xe trái phép diễn ra vào ban đêm %s, rất nguy hiểm, đề nghị công an xã tuần tra.",
	"Con tôi học lớp 1 trường gần %s, nhà trường thu nhiều khoản ngoài quy định, xin được giải thích.",
	"Đoạn kênh %s bị bèo và rác lấp kín, nước đen, đề nghị khơi thông dòng chảy.",
	"Cán bộ tiếp dân ở bộ phận một cửa hẹn đi hẹn lại nhiều lần, tôi ở %s đã đi 4 lần chưa xong thủ tục.",
	"Đề nghị lắp thêm biển báo giảm tốc độ %s vì gần trường học, giờ tan học xe chạy rất nhanh.",
	"Nhà văn hóa khu phố %s xuống cấp, mái dột, bà con không có chỗ sinh hoạt chung.",
	"Có hiện tượng tụ tập sử dụng ma túy ở bãi đất trống %s vào buổi tối, người dân rất lo lắng.",
	"Lương hưu tháng này của bố tôi ở %s bị chậm, đề nghị cơ quan bảo hiểm xã hội trả lời.",
	"Công trình xây dựng %s không che chắn, vật liệu rơi xuống đường, bụi mù mịt.",
	"Chó thả rông không rọ mõm %s, đã cắn hai cháu nhỏ, đề nghị nhắc nhở các hộ nuôi.",
	"Trụ điện %s bị nghiêng, dây điện võng thấp, trời mưa có tia lửa, rất nguy hiểm.",
	"Đề nghị tổ chức tiêm phòng dại cho chó mèo %s vì năm nay chưa thấy thông báo.",
}

// Where, in the words people use; the two numbers make every
// submission's text its own, which the check of "stored twice" reads.
var loadPlaces = []string{
	"trước nhà số %d/%d",
	"ở đầu hẻm %d/%d",
	"trong ngõ %d ngách %d",
	"gần số nhà %d/%d",
	"đoạn từ số %d đến số %d",
}

var loadNames = []string{"Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Phạm Thị Dung", "Hoàng Minh Đức", "Võ Thị Hạnh", "Đặng Quốc Huy", "Bùi Thị Lan"}

// submission makes the seq-th submission of submitter c: JSON mostly,
// multipart with one photo for a share of them; a third written without
// diacritics as many type on phones; some with contacts, a position, an
// address, a topic, or a level above the commune.
func (g *loadGen) submission(rng *rand.Rand, c, seq int) (*loadSub, []byte, string, error) {
	place := fmt.Sprintf(loadPlaces[rng.IntN(len(loadPlaces))], seq, c+1)
	content := fmt.Sprintf(loadTexts[rng.IntN(len(loadTexts))], place)
	if rng.IntN(3) == 0 {
		content = corpus.Fold(content)
	}
	f := map[string]string{"content": content, "commune_code": g.communes[rng.IntN(len(g.communes))]}
	switch x := rng.IntN(20); {
	case x == 0:
		f["level"] = "central"
	case x < 3:
		f["level"] = "province"
	}
	if rng.IntN(2) == 0 {
		f["address"] = fmt.Sprintf("Số %d, tổ %d", rng.IntN(300)+1, rng.IntN(30)+1)
	}
	if rng.IntN(3) == 0 {
		f["lat"] = strconv.FormatFloat(8.6+rng.Float64()*14.7, 'f', 5, 64)
		f["lon"] = strconv.FormatFloat(102.2+rng.Float64()*7.2, 'f', 5, 64)
	}
	s := &loadSub{key: fmt.Sprintf("%s-%d-%d", g.run, c, seq), content: strings.TrimSpace(corpus.NFC(content))}
	if rng.IntN(5) < 2 {
		f["name"] = loadNames[rng.IntN(len(loadNames))]
		f["phone"] = fmt.Sprintf("09%08d", rng.IntN(1e8))
		if rng.IntN(3) == 0 {
			f["email"] = fmt.Sprintf("nguoidan%d@example.vn", rng.IntN(1e6))
		}
		s.contact = true
	}
	if rng.IntN(10) < 3 {
		f["topic"] = g.topics[rng.IntN(len(g.topics))]
	}
	if rng.Float64() >= g.o.PhotoShare {
		m := map[string]any{}
		for k, v := range f {
			m[k] = v
		}
		for _, k := range []string{"lat", "lon"} {
			if v, ok := f[k]; ok {
				m[k], _ = strconv.ParseFloat(v, 64)
			}
		}
		body, err := json.Marshal(m)
		return s, body, "application/json", err
	}
	s.photo = true
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := w.WriteField(k, f[k]); err != nil {
			return nil, nil, "", err
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="photos"; filename="IMG_2041.jpg"`)
	h.Set("Content-Type", "image/jpeg")
	pw, err := w.CreatePart(h)
	if err != nil {
		return nil, nil, "", err
	}
	pw.Write(g.photos[rng.IntN(len(g.photos))])
	if err := w.Close(); err != nil {
		return nil, nil, "", err
	}
	return s, b.Bytes(), w.FormDataContentType(), nil
}

// loadPhoto is a small JPEG as a phone's camera might take of a street,
// shrunk: 320×240, a sky, a road and some noise.
func loadPhoto(rng *rand.Rand, i int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for y := range 240 {
		for x := range 320 {
			n := uint8(rng.IntN(24))
			var c color.RGBA
			if y < 100 {
				c = color.RGBA{uint8(120 + y/2), uint8(160 + y/3), 230, 255}
			} else {
				g := uint8(90 + (x+y+i*17)%60)
				c = color.RGBA{g, g, uint8(int(g) - 10), 255}
			}
			c.R, c.G, c.B = c.R-min(c.R, n), c.G-min(c.G, n), c.B-min(c.B, n)
			img.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		panic(err) // encoding an in-memory image does not fail
	}
	return b.Bytes()
}
