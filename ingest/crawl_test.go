package ingest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattranso/mattranso/corpus"
)

// crawlSite is an httptest server that serves the saved pages under the
// URLs the real sites use, so that the links inside the pages lead from
// one to the other: vbpl.vn's /TW/Pages/vbpq-toanvan.aspx?ItemID=96122 (any
// case, any other parameters, as its IIS server does) and
// thuvienphapluat.vn's /van-ban/<field>/<slug>-<id>.aspx, taken from each
// page's canonical link. Extra handlers can be set per path.
type crawlSite struct {
	*httptest.Server
	robots string // robots.txt; "" answers 404
	mu     sync.Mutex
	hits   []string                    // request URIs, in order
	extra  map[string]http.HandlerFunc // by path
	vbpl   map[string]string           // "vbpq-toanvan.aspx|96122" → file
	tvpl   map[string]string           // lower-case path → file
	search string                      // the vbpl search results fragment
}

var crawlReFixtureName = regexp.MustCompile(`^(toanvan|thuoctinh_hopnhat|thuoctinh|luocdo_hopnhat|luocdo|vanbanlienquan)_ItemID(\d+)`)

func newCrawlSite(t *testing.T, robots string) *crawlSite {
	t.Helper()
	dir := htmlFixtureDir(t)
	s := &crawlSite{robots: robots, extra: map[string]http.HandlerFunc{}, vbpl: map[string]string{}, tvpl: map[string]string{}}
	vbplFiles, _ := filepath.Glob(filepath.Join(dir, "vbpl_vn", "*.html"))
	for _, f := range vbplFiles {
		if m := crawlReFixtureName.FindStringSubmatch(filepath.Base(f)); m != nil {
			page := "vbpq-" + strings.ReplaceAll(m[1], "_", "-") + ".aspx"
			s.vbpl[page+"|"+m[2]] = f
		}
	}
	s.search = filepath.Join(dir, "vbpl_vn", "search_results_fragment.html")
	tvplFiles, _ := filepath.Glob(filepath.Join(dir, "thuvienphapluat_vn", "*.html"))
	reCanonical := regexp.MustCompile(`rel="canonical" href="https://thuvienphapluat\.vn([^"]+)"`)
	for _, f := range tvplFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if m := reCanonical.FindSubmatch(b); m != nil {
			s.tvpl[strings.ToLower(string(m[1]))] = f
		}
	}
	if len(s.vbpl) < 5 || len(s.tvpl) < 5 {
		t.Fatalf("fixture map too small: %d vbpl, %d tvpl pages", len(s.vbpl), len(s.tvpl))
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *crawlSite) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits = append(s.hits, r.URL.RequestURI())
	h := s.extra[r.URL.Path]
	s.mu.Unlock()
	if h != nil {
		h(w, r)
		return
	}
	if r.URL.Path == "/robots.txt" {
		if s.robots == "" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, s.robots)
		return
	}
	file := ""
	lower := strings.ToLower(r.URL.Path)
	switch {
	case strings.Contains(lower, "/pages/vbpq-timkiem.aspx"):
		file = s.search
	case strings.Contains(lower, "/pages/"):
		file = s.vbpl[filepath.Base(lower)+"|"+vbplItemID(r.URL)]
	default:
		file = s.tvpl[lower]
	}
	if file == "" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	http.ServeFile(w, r, file)
}

func (s *crawlSite) handle(path string, h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.extra[path] = h
}

// count tells how many requests had a URI containing part (case-insensitive).
func (s *crawlSite) count(part string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, h := range s.hits {
		if strings.Contains(strings.ToLower(h), strings.ToLower(part)) {
			n++
		}
	}
	return n
}

// crawlTestOptions crawl fast: the politeness defaults would make a test
// of a few pages take seconds.
func crawlTestOptions() CrawlOptions {
	return CrawlOptions{Rate: 1000, Burst: 10, Timeout: 2 * time.Second, Backoff: time.Millisecond}
}

// crawlCollect runs a crawl and returns the emitted documents by ID.
func crawlCollect(t *testing.T, opts CrawlOptions, start string) (map[string]*corpus.Document, CrawlStats, error) {
	t.Helper()
	docs := map[string]*corpus.Document{}
	stats, err := NewCrawler(opts).Crawl(context.Background(), start, func(d *corpus.Document) error {
		if _, dup := docs[d.ID]; dup {
			t.Errorf("document %s emitted twice", d.ID)
		}
		docs[d.ID] = d
		return nil
	})
	return docs, stats, err
}

func crawlFailedURLs(st CrawlStats) []string {
	var out []string
	for _, f := range st.Failed {
		out = append(out, f.URL+" ("+f.Err.Error()+")")
	}
	return out
}

func TestCrawlVBPLDocuments(t *testing.T) {
	site := newCrawlSite(t, "")
	tests := []struct {
		name       string
		start      string // path and query, as the pages link them
		id         string
		sourcePath string
		props      bool   // the properties page was read
		failed     string // a URL part expected among failures
	}{
		{
			// There is no saved properties page for ItemID 96122: its
			// metadata come from the full-text page, and the missing page
			// is reported.
			name: "full text whose properties page is missing", start: "/tw/Pages/vbpq-toanvan.aspx?dvid=13&ItemID=96122&Keyword=",
			id: "100-2015-qh13", sourcePath: "/tw/Pages/vbpq-toanvan.aspx?dvid=13&ItemID=96122", failed: "vbpq-thuoctinh.aspx?ItemID=96122",
		},
		{
			name: "full text, then its properties", start: "/TW/Pages/vbpq-toanvan.aspx?ItemID=96172",
			id: "101-2015-qh13", sourcePath: "/TW/Pages/vbpq-toanvan.aspx?ItemID=96172", props: true,
		},
		{
			name: "properties, then the full text", start: "/TW/Pages/vbpq-thuoctinh.aspx?ItemID=32801",
			id: "hien-phap-nam-2013", sourcePath: "/TW/Pages/vbpq-toanvan.aspx?ItemID=32801", props: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, st, err := crawlCollect(t, crawlTestOptions(), site.URL+tt.start)
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) != 1 || docs[tt.id] == nil {
				t.Fatalf("documents %v, want only %s", docs, tt.id)
			}
			d := docs[tt.id]
			if d.SourceURL != site.URL+tt.sourcePath {
				t.Errorf("SourceURL = %q, want %q", d.SourceURL, site.URL+tt.sourcePath)
			}
			htmlCheckTree(t, d)
			if st.Documents != 1 || st.Pages != 2-len(st.Failed) {
				t.Errorf("stats %+v", st)
			}
			switch {
			case tt.failed != "":
				if len(st.Failed) != 1 || !strings.Contains(st.Failed[0].URL, tt.failed) || !strings.Contains(st.Failed[0].Err.Error(), "404") {
					t.Errorf("failed = %v, want only %s with 404", crawlFailedURLs(st), tt.failed)
				}
			case len(st.Failed) > 0:
				t.Errorf("failed = %v", crawlFailedURLs(st))
			}
			// What the crawl emits is what the parser makes of the two pages.
			id := vbplItemID(crawlParseURL(t, site.URL+tt.start))
			var props []byte
			if tt.props {
				props = htmlFixture(t, filepath.Join("vbpl_vn", "thuoctinh_ItemID"+id+".html"))
			}
			text, _ := os.ReadFile(site.vbpl["vbpq-toanvan.aspx|"+id])
			want, err := ParseVBPL(text, props, d.SourceURL)
			if err != nil {
				t.Fatal(err)
			}
			if want.Hash != d.Hash {
				t.Errorf("crawled document differs from ParseVBPL of its pages (props=%v)", tt.props)
			}
		})
	}

	// The code itself, in full, with the metadata.
	docs, _, err := crawlCollect(t, crawlTestOptions(), site.URL+tests[0].start)
	if err != nil {
		t.Fatal(err)
	}
	d := docs["100-2015-qh13"]
	if n := len(d.Articles()); n != 426 {
		t.Errorf("%d articles, want 426", n)
	}
	if p := d.Find("dieu-418/khoan-2/diem-b"); p == nil || !strings.Contains(p.Text, "di vật") {
		t.Errorf("dieu-418/khoan-2/diem-b = %+v", p)
	}
	if d.Number != "100/2015/QH13" || d.Issuer != "Quốc hội" || d.IssuedAt != "2015-11-27" || d.EffectiveAt != "2018-01-01" || d.Title != "Bộ luật Hình sự" {
		t.Errorf("metadata %q %q %q %q %q", d.Number, d.Issuer, d.IssuedAt, d.EffectiveAt, d.Title)
	}
}

func TestCrawlFollowsListings(t *testing.T) {
	site := newCrawlSite(t, "User-agent: *\nDisallow: /private/\n")
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request to another host: %s", r.URL)
	}))
	defer other.Close()
	// A listing such as vbpl.vn's type and year lists, pointing at the
	// saved documents in the ways real listings do.
	listing := `<html><body><ul class="listLaw">
<li><a href="/tw/Pages/vbpq-toanvan.aspx?dvid=13&ItemID=96122">Bộ luật 100/2015/QH13</a></li>
<li><a href="vbpq-thuoctinh.aspx?ItemID=96172&Keyword=">Thuộc tính</a> <a href="/TW/Pages/vbpq-toanvan.aspx?ItemID=96172#top">Toàn văn</a></li>
<li><a href="/van-ban/Cong-nghe-thong-tin/Luat-an-ninh-mang-2018-351416.aspx?tab=1">Luật An ninh mạng</a></li>
<li><a href="` + other.URL + `/TW/Pages/vbpq-toanvan.aspx?ItemID=32801">elsewhere</a></li>
<li><a href="` + strings.Replace(other.URL, "127.0.0.1", "localhost", 1) + `/van-ban/A/B-1.aspx">elsewhere too</a></li>
<li><a href="/private/vbpq-toanvan.aspx?ItemID=22313">not for robots</a></li>
<li><a href="javascript:NexpageHN('','2');">2</a> <a href="#top">top</a> <a href="mailto:x@y.vn">mail</a></li>
<li><a href="/tw/Pages/vbpq-luocdo.aspx?ItemID=96122">Lược đồ (not followed)</a></li>
</ul></body></html>`
	site.handle("/TW/Pages/vanban.aspx", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, listing)
	})
	docs, st, err := crawlCollect(t, crawlTestOptions(), site.URL+"/TW/Pages/vanban.aspx?idLoaiVanBan=16")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"100-2015-qh13", "101-2015-qh13", "24-2018-qh14"} {
		if docs[id] == nil {
			t.Errorf("document %s not emitted", id)
		}
	}
	if len(docs) != 3 {
		t.Errorf("%d documents, want 3", len(docs))
	}
	if n := site.count("vbpq-toanvan.aspx?itemid=96172"); n != 1 {
		t.Errorf("96172's full text fetched %d times, want once", n)
	}
	if n := site.count("vbpq-luocdo"); n != 0 {
		t.Errorf("relation diagram fetched %d times", n)
	}
	if n := site.count("/private/"); n != 0 || st.Disallowed != 1 {
		t.Errorf("disallowed page fetched %d times, Disallowed = %d", n, st.Disallowed)
	}
	if d := docs["24-2018-qh14"]; d != nil && d.SourceURL != site.URL+"/van-ban/Cong-nghe-thong-tin/Luat-an-ninh-mang-2018-351416.aspx" {
		t.Errorf("tvpl SourceURL = %q", d.SourceURL)
	}

	// vbpl.vn's own search results list consolidated texts; their
	// properties pages list the source laws, which are not saved.
	docs, st, err = crawlCollect(t, crawlTestOptions(), site.URL+"/TW/Pages/vbpq-timkiem.aspx?Keyword=luat")
	if err != nil {
		t.Fatal(err)
	}
	if site.count("/tw/Pages/vbpq-thuoctinh-hopnhat.aspx?ItemID=147301") != 1 {
		t.Errorf("the consolidated text's properties were not followed")
	}
	if site.count("vbpq-toanvan.aspx?itemid=27621") != 1 {
		t.Errorf("the source law listed in the consolidated text's properties was not followed")
	}
	if len(docs) != 0 || len(st.Failed) == 0 {
		t.Errorf("docs %d, failed %v", len(docs), crawlFailedURLs(st))
	}
}

func TestCrawlRobots(t *testing.T) {
	start := "/TW/Pages/vbpq-toanvan.aspx?ItemID=96172"
	tests := []struct {
		name       string
		robots     string
		wantErr    bool
		docs       int
		propsFetch int
	}{
		{"no robots.txt", "", false, 1, 1},
		{"properties pages disallowed for all", "User-agent: *\nDisallow: /TW/Pages/vbpq-thuoctinh.aspx\n", false, 1, 0},
		{"everything disallowed for us", "User-agent: mattranso-crawler\nDisallow: /\n\nUser-agent: *\nAllow: /\n", true, 0, 0},
		{"everything disallowed for another robot only", "User-agent: otherbot\nDisallow: /\n", false, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			site := newCrawlSite(t, tt.robots)
			docs, st, err := crawlCollect(t, crawlTestOptions(), site.URL+start)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if len(docs) != tt.docs {
				t.Errorf("%d documents, want %d", len(docs), tt.docs)
			}
			if n := site.count("vbpq-thuoctinh.aspx"); n != tt.propsFetch {
				t.Errorf("properties page fetched %d times, want %d", n, tt.propsFetch)
			}
			if site.count("/robots.txt") != 1 {
				t.Errorf("robots.txt fetched %d times, want once", site.count("/robots.txt"))
			}
			if tt.wantErr && site.count("vbpq-") != 0 {
				t.Errorf("pages fetched despite robots.txt")
			}
			if tt.propsFetch == 0 && !tt.wantErr && st.Disallowed != 1 {
				t.Errorf("Disallowed = %d, want 1", st.Disallowed)
			}
		})
	}

	t.Run("crawl delay lowers the rate", func(t *testing.T) {
		site := newCrawlSite(t, "User-agent: *\nCrawl-delay: 0.1\n")
		began := time.Now()
		_, st, err := crawlCollect(t, crawlTestOptions(), site.URL+start)
		if err != nil {
			t.Fatal(err)
		}
		// robots.txt, the full text and its properties: two waits.
		if el := time.Since(began); el < 180*time.Millisecond || st.Pages != 2 {
			t.Errorf("3 requests took %s (pages %d), want at least 0.2 s with Crawl-delay 0.1", el, st.Pages)
		}
	})

	t.Run("robots.txt failing is an error", func(t *testing.T) {
		site := newCrawlSite(t, "")
		site.handle("/robots.txt", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) })
		_, _, err := crawlCollect(t, crawlTestOptions(), site.URL+start)
		if err == nil || !strings.Contains(err.Error(), "503") {
			t.Errorf("err = %v, want the 503 of robots.txt", err)
		}
		if n := site.count("/robots.txt"); n != 4 {
			t.Errorf("robots.txt asked %d times, want 4 (3 retries)", n)
		}
	})
}

func TestCrawlRetriesAndFailures(t *testing.T) {
	site := newCrawlSite(t, "")
	const (
		flaky   = "/van-ban/Cong-nghe-thong-tin/Luat-an-ninh-mang-2018-351416.aspx"
		broken  = "/van-ban/Bo-may-hanh-chinh/Hien-phap-nam-2013-215627.aspx"
		slow    = "/van-ban/Cong-nghe-thong-tin/Luat-cong-nghe-thong-tin-2006-67-2006-QH11-12987.aspx"
		limited = "/van-ban/Dau-tu/Quyet-dinh-2083-QD-UBND-2016-thu-tuc-hanh-chinh-Ban-Quan-ly-khu-cong-nghiep-Bac-Lieu-353991.aspx"
		pdf     = "/van-ban/Dau-tu/Van-ban-goc-1.aspx"
		moved   = "/van-ban/Dau-tu/Da-chuyen-2.aspx"
	)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("redirect followed to another host: %s", r.URL)
	}))
	defer other.Close()
	var mu sync.Mutex
	calls := map[string]int{}
	next := func(p string) int {
		mu.Lock()
		defer mu.Unlock()
		calls[p]++
		return calls[p]
	}
	serveFixture := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		http.ServeFile(w, r, site.tvpl[strings.ToLower(r.URL.Path)])
	}
	site.handle(flaky, func(w http.ResponseWriter, r *http.Request) {
		if next(flaky) <= 2 {
			http.Error(w, "busy", http.StatusInternalServerError)
			return
		}
		serveFixture(w, r)
	})
	site.handle(broken, func(w http.ResponseWriter, r *http.Request) {
		next(broken)
		http.Error(w, "broken", http.StatusBadGateway)
	})
	site.handle(slow, func(w http.ResponseWriter, r *http.Request) {
		next(slow)
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	})
	site.handle(limited, func(w http.ResponseWriter, r *http.Request) {
		if next(limited) == 1 {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		serveFixture(w, r)
	})
	site.handle(pdf, func(w http.ResponseWriter, r *http.Request) {
		next(pdf)
		w.Header().Set("Content-Type", "application/pdf")
		fmt.Fprint(w, "%PDF-1.4")
	})
	site.handle(moved, func(w http.ResponseWriter, r *http.Request) {
		next(moved)
		http.Redirect(w, r, other.URL+"/van-ban/Dau-tu/X-3.aspx", http.StatusFound)
	})
	listing := `<a href="` + flaky + `">1</a><a href="` + broken + `">2</a><a href="` + slow + `">3</a>` +
		`<a href="` + limited + `">4</a><a href="/tw/Pages/vbpq-toanvan.aspx?ItemID=96122">5</a>` +
		`<a href="` + pdf + `">6</a><a href="` + moved + `">7</a>`
	site.handle("/page/tim-van-ban.aspx", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, listing)
	})

	opts := crawlTestOptions()
	opts.Timeout = 100 * time.Millisecond
	opts.Retries = 2
	docs, st, err := crawlCollect(t, opts, site.URL+"/page/tim-van-ban.aspx?keyword=luat")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"24-2018-qh14", "2083-qd-ubnd", "100-2015-qh13"} {
		if docs[id] == nil {
			t.Errorf("document %s missing: retried pages and the rest must come through", id)
		}
	}
	mu.Lock()
	if calls[flaky] != 3 || calls[limited] != 2 {
		t.Errorf("flaky asked %d times (want 3), rate-limited %d (want 2)", calls[flaky], calls[limited])
	}
	if calls[broken] != 3 || calls[slow] != 3 {
		t.Errorf("broken asked %d times, slow %d: want 3 each (Retries 2)", calls[broken], calls[slow])
	}
	if calls[pdf] != 1 || calls[moved] != 1 {
		t.Errorf("a PDF asked %d times, an off-host redirect %d: want once each, without retries", calls[pdf], calls[moved])
	}
	mu.Unlock()
	reasons := map[string]string{}
	for _, f := range st.Failed {
		reasons[strings.TrimPrefix(f.URL, site.URL)] = f.Err.Error()
	}
	if r := reasons[broken]; !strings.Contains(r, "502") {
		t.Errorf("broken page reason %q, want HTTP 502", r)
	}
	if r := reasons[slow]; !strings.Contains(r, "timed out") {
		t.Errorf("slow page reason %q, want a time-out", r)
	}
	if r := reasons[pdf]; !strings.Contains(r, "application/pdf") {
		t.Errorf("PDF reason %q", r)
	}
	if r := reasons[moved]; !strings.Contains(r, "off the host") {
		t.Errorf("redirect reason %q", r)
	}
	// Failures: the four above and the missing properties page of 96122.
	if len(st.Failed) != 5 {
		t.Errorf("failed = %v", crawlFailedURLs(st))
	}
}

func TestCrawlLimitsAndCancel(t *testing.T) {
	site := newCrawlSite(t, "")
	site.handle("/TW/Pages/vanban.aspx", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<a href="vbpq-toanvan.aspx?ItemID=96172">a</a><a href="vbpq-toanvan.aspx?ItemID=32801">b</a><a href="vbpq-toanvan.aspx?ItemID=22313">c</a>`)
	})

	t.Run("MaxPages", func(t *testing.T) {
		opts := crawlTestOptions()
		opts.MaxPages = 3 // the listing, one full text and its properties
		docs, st, err := crawlCollect(t, opts, site.URL+"/TW/Pages/vanban.aspx")
		if err != nil {
			t.Fatal(err)
		}
		if st.Pages != 3 || len(docs) != 1 {
			t.Errorf("pages %d, documents %d; want 3 and 1", st.Pages, len(docs))
		}
	})

	t.Run("emit error stops the crawl", func(t *testing.T) {
		boom := errors.New("disk full")
		n := 0
		_, err := NewCrawler(crawlTestOptions()).Crawl(context.Background(), site.URL+"/TW/Pages/vanban.aspx", func(*corpus.Document) error {
			n++
			return boom
		})
		if !errors.Is(err, boom) || n != 1 {
			t.Errorf("err = %v after %d documents, want %v after 1", err, n, boom)
		}
	})

	t.Run("cancel during a slow request", func(t *testing.T) {
		site.handle("/hang", func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		opts := crawlTestOptions()
		opts.Timeout = time.Minute
		began := time.Now()
		_, err := NewCrawler(opts).Crawl(ctx, site.URL+"/hang", func(*corpus.Document) error { return nil })
		if !errors.Is(err, context.Canceled) || time.Since(began) > 2*time.Second {
			t.Errorf("err = %v after %s, want context.Canceled promptly", err, time.Since(began))
		}
	})

	t.Run("cancel while waiting for the rate limiter", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		began := time.Now()
		_, err := NewCrawler(CrawlOptions{Rate: 0.01}).Crawl(ctx, site.URL+"/TW/Pages/vanban.aspx", func(*corpus.Document) error { return nil })
		if err == nil || time.Since(began) > 2*time.Second {
			t.Errorf("err = %v after %s, want an error promptly", err, time.Since(began))
		}
	})

	t.Run("bad start URLs", func(t *testing.T) {
		for _, u := range []string{"", "vbpl.vn/TW", "ftp://vbpl.vn/", "http://"} {
			if _, err := NewCrawler(crawlTestOptions()).Crawl(context.Background(), u, nil); err == nil {
				t.Errorf("Crawl(%q) succeeded", u)
			}
		}
	})
}

func TestCrawlURLs(t *testing.T) {
	tests := []struct {
		in, kind, key string
	}{
		{"https://vbpl.vn/tw/Pages/vbpq-toanvan.aspx?dvid=13&ItemID=96122&Keyword=", vbplPageToanVan, "vbpl:vbpl.vn/tw/pages:vbpq-toanvan.aspx:96122"},
		{"https://vbpl.vn/TW/Pages/vbpq-toanvan.aspx?ItemID=96122", vbplPageToanVan, "vbpl:vbpl.vn/tw/pages:vbpq-toanvan.aspx:96122"},
		{"https://vbpl.vn/TW/Pages/vbpq-thuoctinh.aspx?itemid=96172", vbplPageThuocTinh, "vbpl:vbpl.vn/tw/pages:vbpq-thuoctinh.aspx:96172"},
		{"https://vbpl.vn/TW/Pages/vbpq-toanvan.aspx", crawlPageOther, "https://vbpl.vn:443/TW/Pages/vbpq-toanvan.aspx"},
		{"https://thuvienphapluat.vn/van-ban/Cong-nghe-thong-tin/Luat-an-ninh-mang-2018-351416.aspx", crawlPageTVPL, ""},
		{"https://vbpl.vn/TW/Pages/vanban.aspx?idLoaiVanBan=16", crawlPageListing, ""},
		{"https://vbpl.vn/tw/Pages/vbpq-thuoctinh-hopnhat.aspx?ItemID=147301", crawlPageListing, ""},
	}
	for _, tt := range tests {
		u := crawlParseURL(t, tt.in)
		if got := crawlClassify(u); got != tt.kind {
			t.Errorf("crawlClassify(%s) = %q, want %q", tt.in, got, tt.kind)
		}
		if tt.key != "" {
			if got := crawlKey(u); got != tt.key {
				t.Errorf("crawlKey(%s) = %q, want %q", tt.in, got, tt.key)
			}
		}
	}
	if got := vbplCompanionURL(crawlParseURL(t, "https://vbpl.vn/tw/Pages/vbpq-toanvan.aspx?dvid=13&ItemID=96122"), vbplPageThuocTinh).String(); got != "https://vbpl.vn/tw/Pages/vbpq-thuoctinh.aspx?ItemID=96122" {
		t.Errorf("companion = %s", got)
	}
	same := [][2]string{{"http://vbpl.vn/a", "https://vbpl.vn/b"}, {"https://VBPL.vn/", "https://vbpl.vn:443/"}}
	for _, p := range same {
		if !crawlSameHost(crawlParseURL(t, p[0]), crawlParseURL(t, p[1])) {
			t.Errorf("%s and %s should be one host", p[0], p[1])
		}
	}
	differ := [][2]string{{"https://vbpl.vn/", "https://thuvienphapluat.vn/"}, {"http://127.0.0.1:8080/", "http://127.0.0.1:8081/"}, {"https://m.vbpl.vn/", "https://vbpl.vn/"}}
	for _, p := range differ {
		if crawlSameHost(crawlParseURL(t, p[0]), crawlParseURL(t, p[1])) {
			t.Errorf("%s and %s should be two hosts", p[0], p[1])
		}
	}
}

func crawlParseURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
