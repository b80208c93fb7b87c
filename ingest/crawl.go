package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/temoto/robotstxt"
	"golang.org/x/net/html/charset"
	"golang.org/x/time/rate"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/internal/httpretry"
)

// CrawlUserAgent is the User-Agent the crawler sends and the name it looks
// for in robots.txt.
const CrawlUserAgent = "mattranso-crawler/1 (+https://github.com/mattranso/mattranso)"

// Crawl limits and defaults.
const (
	CrawlDefaultRate    = 1.0 // requests per second
	CrawlDefaultTimeout = 20 * time.Second
	CrawlDefaultRetries = 3
	CrawlDefaultBackoff = time.Second
	// crawlMaxBody bounds one page; the largest code on vbpl.vn is about 1 MB.
	crawlMaxBody = 32 << 20
	// crawlMaxRetryWait caps a wait before a retry: the back-off, and how
	// long a server's Retry-After is honoured.
	crawlMaxRetryWait = 2 * time.Minute
)

// CrawlOptions configure a Crawler. The zero value crawls politely: one
// request a second, 20 s per request, three retries.
type CrawlOptions struct {
	Rate    float64       // requests per second (default 1); robots.txt's Crawl-delay can only lower it
	Burst   int           // requests allowed at once above Rate (default 1)
	Timeout time.Duration // per request, body included (default 20 s)
	// Retries after the first attempt on timeouts, network errors, 5xx
	// and 429 (default 3; negative for none), waiting Backoff, then twice
	// as long each time (default 1 s), or what Retry-After asks; two
	// minutes at most.
	Retries   int
	Backoff   time.Duration
	MaxPages  int    // pages requested at most, robots.txt aside (0: no limit)
	UserAgent string // default CrawlUserAgent
	Client    *http.Client
	Logger    *slog.Logger
}

// Crawler fetches law documents from vbpl.vn and thuvienphapluat.vn (or
// any host serving the same pages): it honours robots.txt, stays on the
// start URL's host, follows listing and search pages to document pages,
// joins a vbpl.vn full text with its properties page, and emits one
// corpus.Document per law.
type Crawler struct {
	opts   CrawlOptions
	client *http.Client
	log    *slog.Logger
}

// CrawlStats sums up a crawl.
type CrawlStats struct {
	Pages      int            // pages fetched successfully (robots.txt aside)
	Documents  int            // documents emitted
	Disallowed int            // links not fetched because robots.txt forbids them
	Failed     []CrawlFailure // pages that could not be fetched or read, after retries
}

// CrawlFailure is a page the crawl gave up on.
type CrawlFailure struct {
	URL string
	Err error
}

func (f CrawlFailure) Error() string { return f.URL + ": " + f.Err.Error() }

// NewCrawler returns a crawler with o's defaults filled in.
func NewCrawler(o CrawlOptions) *Crawler {
	if o.Rate <= 0 {
		o.Rate = CrawlDefaultRate
	}
	if o.Burst <= 0 {
		o.Burst = 1
	}
	if o.Timeout <= 0 {
		o.Timeout = CrawlDefaultTimeout
	}
	switch {
	case o.Retries == 0:
		o.Retries = CrawlDefaultRetries
	case o.Retries < 0:
		o.Retries = 0
	}
	if o.Backoff <= 0 {
		o.Backoff = CrawlDefaultBackoff
	}
	if o.UserAgent == "" {
		o.UserAgent = CrawlUserAgent
	}
	client := o.Client
	if client == nil {
		client = &http.Client{}
	}
	if client.CheckRedirect == nil {
		// Redirects must not lead the crawl off its host.
		c := *client
		c.CheckRedirect = crawlSameHostRedirects
		client = &c
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Crawler{opts: o, client: client, log: log}
}

// errCrawlRedirect marks a redirect the crawl refuses: it is not retried.
var errCrawlRedirect = errors.New("redirect refused")

func crawlSameHostRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return fmt.Errorf("%w: more than 10 redirects", errCrawlRedirect)
	}
	if !crawlSameHost(req.URL, via[0].URL) {
		return fmt.Errorf("%w: it leads off the host, to %s", errCrawlRedirect, req.URL.Redacted())
	}
	return nil
}

// Crawl starts at startURL — a listing or search page, or a document page
// — and calls emit for each document it reads. Failures of single pages
// are recorded in the stats and the crawl goes on; an error from emit, an
// unusable start URL or robots.txt, or ctx's end stop it and are returned.
func (c *Crawler) Crawl(ctx context.Context, startURL string, emit func(*corpus.Document) error) (CrawlStats, error) {
	start, err := url.Parse(startURL)
	if err != nil || (start.Scheme != "http" && start.Scheme != "https") || start.Host == "" {
		return CrawlStats{}, fmt.Errorf("crawl: start URL %q: want an absolute http(s) URL", startURL)
	}
	if emit == nil {
		return CrawlStats{}, errors.New("crawl: no emit function")
	}
	start.Fragment = ""
	r := &crawlRun{
		c:       c,
		start:   start,
		emit:    emit,
		limiter: rate.NewLimiter(rate.Limit(c.opts.Rate), c.opts.Burst),
		seen:    map[string]bool{},
	}
	if err := r.loadRobots(ctx); err != nil {
		return r.stats, err
	}
	if !r.allowed(start) {
		return r.stats, fmt.Errorf("crawl: robots.txt of %s disallows the start URL %s", start.Host, startURL)
	}
	r.enqueue(start, true)
	for len(r.queue) > 0 {
		if err := ctx.Err(); err != nil {
			return r.stats, err
		}
		if c.opts.MaxPages > 0 && r.requested >= c.opts.MaxPages {
			c.log.Info("crawl: page limit reached", "max_pages", c.opts.MaxPages, "left", len(r.queue))
			break
		}
		item := r.queue[0]
		r.queue = r.queue[1:]
		if err := r.visit(ctx, item); err != nil {
			return r.stats, err
		}
	}
	c.log.Info("crawl: done", "start", startURL, "pages", r.stats.Pages, "documents", r.stats.Documents,
		"failed", len(r.stats.Failed), "disallowed", r.stats.Disallowed)
	return r.stats, ctx.Err()
}

// crawlRun is the state of one Crawl call.
type crawlRun struct {
	c         *Crawler
	start     *url.URL
	emit      func(*corpus.Document) error
	limiter   *rate.Limiter
	robots    *robotstxt.RobotsData
	queue     []crawlItem
	seen      map[string]bool
	requested int
	stats     CrawlStats
}

type crawlItem struct {
	u       *url.URL
	listing bool // the page's links are followed
}

func (r *crawlRun) loadRobots(ctx context.Context) error {
	ru := &url.URL{Scheme: r.start.Scheme, Host: r.start.Host, Path: "/robots.txt"}
	resp, err := r.get(ctx, ru.String())
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case resp != nil && resp.status >= 500:
		return fmt.Errorf("crawl: %s answers HTTP %d, which asks crawlers to stay away for now: %w", ru, resp.status, err)
	case err != nil:
		return fmt.Errorf("crawl: fetching %s: %w", ru, err)
	}
	robots, perr := robotstxt.FromStatusAndBytes(resp.status, resp.body)
	if perr != nil {
		// An unreadable robots.txt is treated as none, as search engines do.
		r.c.log.Warn("crawl: unreadable robots.txt, treating it as empty", "url", ru.String(), "err", perr)
		robots, _ = robotstxt.FromStatusAndBytes(http.StatusNotFound, nil)
	}
	r.robots = robots
	if d := robots.FindGroup(r.c.opts.UserAgent).CrawlDelay; d > 0 && rate.Every(d) < r.limiter.Limit() {
		r.c.log.Info("crawl: robots.txt asks for a crawl delay", "delay", d)
		// One request every d from now on, counting robots.txt's own.
		r.limiter = rate.NewLimiter(rate.Every(d), 1)
		r.limiter.Allow()
	}
	return nil
}

func (r *crawlRun) allowed(u *url.URL) bool {
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return r.robots.TestAgent(p, r.c.opts.UserAgent)
}

// enqueue adds u to the queue unless it was seen, is on another host or
// is disallowed.
func (r *crawlRun) enqueue(u *url.URL, listing bool) {
	key := crawlKey(u)
	if r.seen[key] || !crawlSameHost(u, r.start) {
		return
	}
	r.seen[key] = true
	if !r.allowed(u) {
		r.stats.Disallowed++
		r.c.log.Debug("crawl: disallowed by robots.txt", "url", u.String())
		return
	}
	r.queue = append(r.queue, crawlItem{u: u, listing: listing})
}

func (r *crawlRun) fail(u string, err error) {
	r.stats.Failed = append(r.stats.Failed, CrawlFailure{URL: u, Err: err})
	r.c.log.Warn("crawl: page failed", "url", u, "err", err)
}

// visit fetches one queued page and acts on what it turns out to be.
func (r *crawlRun) visit(ctx context.Context, item crawlItem) error {
	pageURL := item.u.String()
	body, final, err := r.fetch(ctx, pageURL)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.fail(pageURL, err)
		return nil
	}
	kind := crawlClassify(item.u)
	switch DetectHTML(body) {
	case HTMLSiteVBPLToanVan:
		var props []byte
		if kind == vbplPageToanVan {
			props = r.fetchCompanion(ctx, vbplCompanionURL(item.u, vbplPageThuocTinh))
		}
		d, err := ParseVBPL(body, props, pageURL)
		return r.emitDoc(pageURL, d, err)
	case HTMLSiteVBPLThuocTinh:
		if kind == vbplPageThuocTinh {
			tu := vbplCompanionURL(item.u, vbplPageToanVan)
			text := r.fetchCompanion(ctx, tu)
			if text == nil {
				return ctx.Err()
			}
			d, err := ParseVBPL(text, body, tu.String())
			return r.emitDoc(tu.String(), d, err)
		}
		// A consolidated text's properties list the texts it joins.
		r.follow(final, body)
	case HTMLSiteTVPL:
		d, err := ParseTVPL(body, pageURL)
		return r.emitDoc(pageURL, d, err)
	default:
		if item.listing {
			r.follow(final, body)
		}
	}
	return ctx.Err()
}

// fetchCompanion fetches the other page of a vbpl.vn document (its
// properties for a full text and the reverse), once; nil when it cannot.
func (r *crawlRun) fetchCompanion(ctx context.Context, u *url.URL) []byte {
	if u == nil {
		return nil
	}
	key := crawlKey(u)
	if r.seen[key] {
		return nil
	}
	r.seen[key] = true
	if !r.allowed(u) {
		r.stats.Disallowed++
		return nil
	}
	if r.c.opts.MaxPages > 0 && r.requested >= r.c.opts.MaxPages {
		return nil
	}
	body, _, err := r.fetch(ctx, u.String())
	if err != nil {
		if ctx.Err() == nil {
			r.fail(u.String(), err)
		}
		return nil
	}
	return body
}

func (r *crawlRun) emitDoc(pageURL string, d *corpus.Document, err error) error {
	if err != nil {
		r.fail(pageURL, err)
		return nil
	}
	if err := r.emit(d); err != nil {
		return fmt.Errorf("crawl: storing %s (%s): %w", d.ID, d.SourceURL, err)
	}
	r.stats.Documents++
	r.c.log.Debug("crawl: document", "id", d.ID, "title", d.Title, "url", d.SourceURL, "articles", len(d.Articles()))
	return nil
}

// follow queues the links of a listing page: document pages, and further
// listing pages (search results, paging, type and year lists).
func (r *crawlRun) follow(base *url.URL, body []byte) {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return
	}
	if href, ok := doc.Find("base[href]").First().Attr("href"); ok {
		if b, err := base.Parse(strings.TrimSpace(href)); err == nil {
			base = b
		}
	}
	doc.Find("a[href]").Each(func(_ int, a *goquery.Selection) {
		href, _ := a.Attr("href")
		href = strings.TrimSpace(href)
		if href == "" || strings.HasPrefix(href, "#") || strings.Contains(strings.ToLower(href), "javascript:") {
			return
		}
		u, err := base.Parse(href)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return
		}
		u.Fragment = ""
		switch kind := crawlClassify(u); kind {
		case vbplPageToanVan, vbplPageThuocTinh:
			// Start from the full text; its properties follow.
			if tu := vbplCompanionURL(u, vbplPageToanVan); tu != nil {
				r.enqueue(tu, false)
			}
		case crawlPageTVPL:
			u.RawQuery = ""
			r.enqueue(u, false)
		case crawlPageListing:
			r.enqueue(u, true)
		default:
			// Paging of the start listing: same path, other query.
			if strings.EqualFold(u.Path, r.start.Path) && u.RawQuery != r.start.RawQuery {
				r.enqueue(u, true)
			}
		}
	})
}

// fetch GETs a page, retrying as the options say, and returns its body
// and its URL after redirects.
func (r *crawlRun) fetch(ctx context.Context, u string) ([]byte, *url.URL, error) {
	r.requested++
	resp, err := r.get(ctx, u)
	if err != nil {
		return nil, nil, err
	}
	if resp.status < 200 || resp.status > 299 {
		return nil, nil, fmt.Errorf("HTTP %d %s", resp.status, http.StatusText(resp.status))
	}
	r.stats.Pages++
	return resp.body, resp.url, nil
}

type crawlResponse struct {
	status int
	header http.Header
	body   []byte
	url    *url.URL // after redirects
}

// crawlPermanentError is a failure that retrying cannot mend: a PDF where
// a page was expected, a page too large, a redirect off the host.
type crawlPermanentError struct{ error }

func (e crawlPermanentError) Unwrap() error { return e.error }

// get performs GET with rate limiting and retries. When the server
// answered, the last response is returned, whatever its status, together
// with an error if that status still asked for a retry (5xx, 429).
func (r *crawlRun) get(ctx context.Context, u string) (*crawlResponse, error) {
	o := r.c.opts
	for attempt := 0; ; attempt++ {
		if err := r.limiter.Wait(ctx); err != nil {
			return nil, err
		}
		resp, err := r.once(ctx, u)
		var permanent crawlPermanentError
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil && (errors.As(err, &permanent) || errors.Is(err, errCrawlRedirect)):
			return nil, err
		case err != nil:
		case resp.status == http.StatusTooManyRequests || resp.status >= 500:
			err = fmt.Errorf("HTTP %d %s", resp.status, http.StatusText(resp.status))
		default:
			return resp, nil
		}
		if attempt >= o.Retries {
			if attempt > 0 {
				err = fmt.Errorf("%w (gave up after %d attempts)", err, attempt+1)
			}
			return resp, err
		}
		delay := httpretry.Backoff(o.Backoff, attempt, crawlMaxRetryWait)
		if resp != nil {
			if ra := httpretry.After(resp.header, time.Now()); ra > 0 {
				delay = min(ra, crawlMaxRetryWait)
			}
		}
		r.c.log.Debug("crawl: retrying", "url", u, "attempt", attempt+1, "err", err, "after", delay)
		if err := httpretry.Sleep(ctx, delay); err != nil {
			return nil, err
		}
	}
}

// once is a single attempt, bounded by the request timeout.
func (r *crawlRun) once(ctx context.Context, u string) (*crawlResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, r.c.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, crawlPermanentError{err}
	}
	req.Header.Set("User-Agent", r.c.opts.UserAgent)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5")
	req.Header.Set("Accept-Language", "vi,en;q=0.5")
	resp, err := r.c.client.Do(req)
	if err != nil {
		return nil, crawlExplain(err, r.c.opts.Timeout)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, crawlMaxBody+1))
	if err != nil {
		return nil, crawlExplain(err, r.c.opts.Timeout)
	}
	if len(body) > crawlMaxBody {
		return nil, crawlPermanentError{fmt.Errorf("page larger than %d MB", crawlMaxBody>>20)}
	}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 && !strings.HasSuffix(req.URL.Path, "/robots.txt") {
		if body, err = crawlDecode(resp.Header.Get("Content-Type"), body); err != nil {
			return nil, crawlPermanentError{err}
		}
	}
	return &crawlResponse{status: resp.StatusCode, header: resp.Header, body: body, url: resp.Request.URL}, nil
}

func crawlExplain(err error, timeout time.Duration) error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("timed out after %s: %w", timeout, err)
	}
	return err
}

// crawlDecode checks that a body is a web page and converts it to UTF-8
// when the server declares another charset.
func crawlDecode(contentType string, body []byte) ([]byte, error) {
	if contentType == "" {
		return body, nil
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return body, nil
	}
	if mt != "text/html" && mt != "application/xhtml+xml" && mt != "text/plain" {
		return nil, fmt.Errorf("not a web page (%s)", mt)
	}
	cs := strings.ToLower(params["charset"])
	if cs == "" || cs == "utf-8" || cs == "utf8" {
		return body, nil
	}
	rd, err := charset.NewReader(bytes.NewReader(body), contentType)
	if err != nil {
		return nil, fmt.Errorf("charset %s: %w", cs, err)
	}
	return io.ReadAll(rd)
}

// ---- page kinds ----

const (
	crawlPageOther    = ""
	vbplPageToanVan   = "vbpq-toanvan.aspx"
	vbplPageThuocTinh = "vbpq-thuoctinh.aspx"
	crawlPageTVPL     = "tvpl"
	crawlPageListing  = "listing"
)

var (
	// thuvienphapluat.vn: /van-ban/<field>/<slug>-<id>.aspx
	tvplReDocPath = regexp.MustCompile(`(?i)^/van-ban/[^/]+/[^/]+-\d+\.aspx$`)
	// Listing and search pages worth following.
	crawlListingPages = map[string]bool{
		"vanban.aspx": true, "vbpq-timkiem.aspx": true, "vbpq-hopnhat-timkiem.aspx": true,
		"vbpq-thuoctinh-hopnhat.aspx": true, "vbpq-vanbanhopnhat.aspx": true, "tim-van-ban.aspx": true,
		"van-ban-moi": true, "van-ban-moi.aspx": true,
	}
)

// crawlClassify tells from its URL what a page is.
func crawlClassify(u *url.URL) string {
	name := strings.ToLower(path.Base(u.Path))
	switch {
	case name == vbplPageToanVan || name == vbplPageThuocTinh:
		if vbplItemID(u) != "" {
			return name
		}
	case tvplReDocPath.MatchString(u.Path):
		return crawlPageTVPL
	case crawlListingPages[name]:
		return crawlPageListing
	}
	return crawlPageOther
}

// vbplItemID is a vbpl.vn page's ItemID query parameter, whatever its case.
func vbplItemID(u *url.URL) string {
	for k, v := range u.Query() {
		if strings.EqualFold(k, "ItemID") && len(v) > 0 {
			if _, err := strconv.Atoi(v[0]); err == nil {
				return v[0]
			}
		}
	}
	return ""
}

// vbplCompanionURL is the URL of page (vbplPageToanVan or
// vbplPageThuocTinh) for the document u is a page of, beside u:
// /TW/Pages/vbpq-toanvan.aspx?ItemID=96122 ↔ /TW/Pages/vbpq-thuoctinh.aspx?ItemID=96122.
func vbplCompanionURL(u *url.URL, page string) *url.URL {
	id := vbplItemID(u)
	if id == "" {
		return nil
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host, Path: path.Dir(u.Path) + "/" + page, RawQuery: "ItemID=" + id}
}

// crawlKey identifies a page for de-duplication: vbpl.vn's document pages
// by their site folder, page and ItemID (the server ignores the case of
// paths, and the other parameters only carry the search); other pages by URL.
func crawlKey(u *url.URL) string {
	name := strings.ToLower(path.Base(u.Path))
	if id := vbplItemID(u); id != "" && strings.HasPrefix(name, "vbpq-") {
		return "vbpl:" + strings.ToLower(u.Hostname()+path.Dir(u.Path)) + ":" + name + ":" + id
	}
	c := *u
	c.Fragment = ""
	c.Host = crawlHostPort(u)
	return c.String()
}

// crawlSameHost compares host names and ports; a site's default ports
// (80 and 443) count as one, so that http → https stays on the host.
func crawlSameHost(a, b *url.URL) bool {
	if !strings.EqualFold(a.Hostname(), b.Hostname()) {
		return false
	}
	pa, pb := crawlPort(a), crawlPort(b)
	return pa == pb || (crawlDefaultPort(pa) && crawlDefaultPort(pb))
}

func crawlDefaultPort(p string) bool { return p == "80" || p == "443" }

func crawlHostPort(u *url.URL) string {
	return strings.ToLower(u.Hostname()) + ":" + crawlPort(u)
}

func crawlPort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "http" {
		return "80"
	}
	return "443"
}
