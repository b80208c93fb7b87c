package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/cmd/mattranso/internal/config"
	"github.com/mattranso/mattranso/feedback"
	"github.com/mattranso/mattranso/feedback/redact"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
	"github.com/mattranso/mattranso/web"
)

// piiTerritories: two provinces and three communes, so that the public
// list's filters have something to tell apart.
const piiTerritories = "level,code,name,short_name,type,type_full,parent_code,parent_name\n" +
	"province,01,Thành phố Hà Nội,Hà Nội,Thành phố,Thành phố trực thuộc trung ương,,\n" +
	"province,79,Thành phố Hồ Chí Minh,Hồ Chí Minh,Thành phố,Thành phố trực thuộc trung ương,,\n" +
	"commune,00004,Phường Ba Đình,Ba Đình,Phường,Phường,01,Thành phố Hà Nội\n" +
	"commune,26734,Phường Sài Gòn,Sài Gòn,Phường,Phường,79,Thành phố Hồ Chí Minh\n" +
	"commune,26743,Phường Bến Thành,Bến Thành,Phường,Phường,79,Thành phố Hồ Chí Minh\n"

// piiSeed is a submission full of personal data, what happens to it, and
// the personal data it holds (secrets), none of which any public page or
// API may show.
type piiSeed struct {
	content string
	commune string
	name    string // the contact fields
	phone   string
	email   string
	address string
	lat     string
	lon     string
	photos  int
	// What the officers do: answer (quoting the citizen), publish, and
	// make photo 1 public; note and reason are internal.
	answer  string
	publish bool
	close   bool
	reject  string
	note    string
	// unpublish: published, then taken back.
	unpublish bool
	// fix is what the officer's review takes out by hand before
	// publishing, which the automatic redaction left.
	fix     string
	secrets []string
}

var piiSeeds = []piiSeed{
	{ // names after honorifics, with diacritics; a phone in groups; an email; CCCD; a house number
		content: "Tôi là bà Lê Thị Hồng Nhung, nhà số 387/19 đường Nguyễn Trãi. Xưởng gỗ bên cạnh gây ô nhiễm tiếng ồn suốt đêm, " +
			"cháu tôi là Trịnh Gia Bảo không ngủ được. Liên hệ 0912 345 678, email hongnhung.le@gmail.com, CCCD 079190012345.",
		commune: "26734", name: "Lê Thị Hồng Nhung", phone: "0912345678", email: "hongnhung.le@gmail.com",
		address: "387/19 Nguyễn Trãi", lat: "10.812345", lon: "106.654321", photos: 2,
		answer:  "UBND phường đã làm việc với chủ xưởng theo phản ánh của bà Lê Thị Hồng Nhung (SĐT 0912.345.678); xưởng đã ngừng chạy máy sau 22 giờ.",
		publish: true, note: "Đã gọi bà Nhung số 0912345678, hẹn kiểm tra nhà 387/19.",
		secrets: []string{"Lê Thị Hồng Nhung", "Trịnh Gia Bảo", "0912345678", "hongnhung.le@gmail.com", "079190012345", "387/19", "10.812345", "106.654321"},
	},
	{ // no diacritics at all; dots in the phone; a bank account
		content: "toi ten la Pham Van Duc o so nha 45B ngo 278, so dien thoai 0903.111.222. Den duong truoc nha hong ca thang. " +
			"Toi da nop tien sua den vao so tai khoan 0071001234567 Vietcombank cua to truong ma chua thay sua.",
		commune: "26743", name: "Pham Van Duc", phone: "0903.111.222", email: "",
		answer:  "Đã thay bóng đèn. Số tiền ông Phạm Văn Đức chuyển vào tài khoản 0071001234567 không phải khoản thu của phường, đề nghị liên hệ lại.",
		publish: true, close: true,
		secrets: []string{"Pham Van Duc", "Phạm Văn Đức", "0903111222", "0071001234567", "45B"},
	},
	{ // +84 form, a CMND, a bare name without an honorific, a name only in the contact
		content: "Nguyễn Minh Khôi phản ánh: học sinh trường tiểu học phải đóng tiền học thêm bắt buộc. Gọi +84 987 654 321. CMND 023456789.",
		commune: "00004", name: "Đỗ Thu Trang", phone: "+84 987 654 321", email: "thutrang.do@yahoo.com.vn",
		answer:  "Trả lời anh Nguyễn Minh Khôi và chị Đỗ Thu Trang: trường đã dừng thu và hoàn trả tiền học thêm.",
		publish: true,
		secrets: []string{"Nguyễn Minh Khôi", "Đỗ Thu Trang", "0987654321", "thutrang.do@yahoo.com.vn", "023456789"},
	},
	{ // answered, never published: its status page still shows the answer
		content: "Ông Quách Văn Tâm ở số nhà 12A ngõ 34 xả rác ra đường, tôi là Vũ Thị Lan, số 0978 123 456.",
		commune: "26734", name: "Vũ Thị Lan", phone: "0978 123 456",
		answer:  "Đã nhắc nhở ông Quách Văn Tâm; bà Vũ Thị Lan (0978123456) có thể báo lại nếu còn tái diễn.",
		secrets: []string{"Quách Văn Tâm", "Vũ Thị Lan", "0978123456", "12A"},
	},
	{ // a neighbour who shares a historical figure's name, which the
		// automatic redaction keeps (streets bear it): the officer's review
		// takes it out
		content: "Ông Hoàng Văn Thái hàng xóm đổ phế thải xây dựng ra lòng đường, nhà tôi số 56/7 Trần Phú.",
		commune: "26743", name: "Kiều Thị Ngân", email: "kieungan1990@gmail.com",
		answer:  "Phường đã lập biên bản ông Hoàng Văn Thái và buộc dọn phế thải trong ngày.",
		publish: true, fix: "Hoàng Văn Thái",
		secrets: []string{"Hoàng Văn Thái", "Kiều Thị Ngân", "kieungan1990@gmail.com", "56/7"},
	},
	{ // published, then taken back by the officer
		content: "Cống thoát nước tắc trước nhà anh Bùi Quang Huy, số điện thoại 0868 999 777, ngập mỗi khi mưa.",
		commune: "26743", name: "Bùi Quang Huy", phone: "0868999777", email: "quanghuy.bui@outlook.com", photos: 1,
		answer:  "Đã nạo vét cống trước nhà anh Bùi Quang Huy.",
		publish: true, unpublish: true,
		secrets: []string{"Bùi Quang Huy", "0868999777", "quanghuy.bui@outlook.com"},
	},
	{ // rejected, with a reason naming people
		content: "Hàng xóm tôi là Đặng Văn Long nợ tiền không trả, email dangvanlong88@gmail.com, tài khoản 19034567890123 Techcombank.",
		commune: "26734", name: "Mai Anh Tuấn", phone: "0355 246 810",
		reject:  "Tranh chấp dân sự giữa ông Mai Anh Tuấn (0355246810) và ông Đặng Văn Long, không thuộc thẩm quyền.",
		secrets: []string{"Đặng Văn Long", "dangvanlong88@gmail.com", "19034567890123", "Mai Anh Tuấn", "0355246810"},
	},
	{ // just received: nothing but its status
		content: "Tôi, Lý Thị Mai, SĐT 0912-888-999, phản ánh chợ tạm lấn chiếm vỉa hè.",
		commune: "00004", name: "Lý Thị Mai", email: "ly.thi.mai@example.vn", lat: "21.034567", lon: "105.834567",
		secrets: []string{"Lý Thị Mai", "0912888999", "ly.thi.mai@example.vn", "21.034567", "105.834567"},
	},
}

// piiPhoto is a JPEG carrying an EXIF segment with a GPS position and a
// name, as a phone may write it.
func piiPhoto(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 400, 300))
	for y := range 300 {
		for x := range 400 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 120, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	payload := []byte("Exif\x00\x00GPSLatitude 10.812345 GPSLongitude 106.654321 Artist Le Thi Hong Nhung")
	out := []byte{0xFF, 0xD8, 0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	out = append(out, payload...)
	return append(out, b.Bytes()[2:]...)
}

type fetched struct {
	status int
	header http.Header
	body   []byte
}

// fetch GETs target from h, anonymously unless a token is given.
func fetch(t *testing.T, h http.Handler, target, token string) fetched {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return fetched{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
}

// piiSite is the site as serve builds it over db, with the tree above and
// the bearer token of an officer of the whole Front (who may handle every
// item).
func piiSite(t *testing.T, db *store.DB) (http.Handler, string) {
	t.Helper()
	ctx := t.Context()
	cfg := config.Config{DataDir: t.TempDir(), Search: config.SearchConfig{Mode: "keyword", Reranker: "none"}}
	lib, err := OpenOn(ctx, cfg, db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lib.Index.Close() })
	h, err := Site(ctx, cfg, lib, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	tree := org.NewStore(db)
	if _, err := tree.ImportTerritories(ctx, strings.NewReader(piiTerritories)); err != nil {
		t.Fatal(err)
	}
	as := auth.NewStore(db, org.IDs{Store: tree})
	if _, err := as.Grant(ctx, "can.bo@mttq.vn", auth.Officer, "VN/MTTQ", "test"); err != nil {
		t.Fatal(err)
	}
	secret, _, err := as.CreateToken(ctx, auth.TokenSpec{Email: "can.bo@mttq.vn", Role: auth.Officer, Unit: "VN/MTTQ", TTL: time.Hour, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return h, secret
}

// submitSeed sends a seed as a citizen would — JSON, or multipart with
// photos — and returns its tracking code.
func submitSeed(t *testing.T, h http.Handler, s piiSeed, photo []byte) string {
	t.Helper()
	fields := [][2]string{{"content", s.content}, {"commune_code", s.commune}, {"name", s.name}, {"phone", s.phone},
		{"email", s.email}, {"address", s.address}, {"lat", s.lat}, {"lon", s.lon}}
	var body bytes.Buffer
	ct := "application/json"
	if s.photos > 0 {
		mw := multipart.NewWriter(&body)
		for _, f := range fields {
			if f[1] != "" {
				mw.WriteField(f[0], f[1])
			}
		}
		for i := range s.photos {
			hd := textproto.MIMEHeader{}
			hd.Set("Content-Disposition", fmt.Sprintf(`form-data; name="photos"; filename="IMG_%d.jpg"`, i))
			hd.Set("Content-Type", "image/jpeg")
			w, _ := mw.CreatePart(hd)
			w.Write(photo)
		}
		mw.Close()
		ct = mw.FormDataContentType()
	} else {
		m := map[string]any{}
		for _, f := range fields {
			if f[1] == "" {
				continue
			}
			if f[0] == "lat" || f[0] == "lon" {
				x, _ := strconv.ParseFloat(f[1], 64)
				m[f[0]] = x
				continue
			}
			m[f[0]] = f[1]
		}
		json.NewEncoder(&body).Encode(m)
	}
	r := httptest.NewRequest(http.MethodPost, "/api/v1/feedback", &body)
	r.Header.Set("Content-Type", ct)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var rc feedback.Receipt
	if w.Code != http.StatusCreated || json.Unmarshal(w.Body.Bytes(), &rc) != nil {
		t.Fatalf("submit: %d %s", w.Code, w.Body)
	}
	return rc.TrackingCode
}

// publishVia posts a publication as the officer.
func publishVia(t *testing.T, h http.Handler, token string, id int64, body string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, fmt.Sprintf("/api/v1/feedback/items/%d/publication", id), strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("publish item %d with %s: %d %s", id, body, w.Code, w.Body)
	}
}

// TestNoPersonalDataInPublic seeds submissions full of personal data —
// names with and without diacritics, after honorifics and bare; phone
// numbers grouped by spaces, dots and dashes and in the +84 form; emails;
// CCCD and CMND numbers; bank accounts; house numbers; the contact
// fields, an address, a GPS position, photos with EXIF — has officers
// answer them (quoting that data), note and reject, publishes most, and
// then crawls every page and API response the public can reach: every GET
// route of the site (each filled in with every item), the home page, the
// public list with searches (for the secrets themselves too) and its
// pages, the items, their photos, every status page and status API, the
// feed, and the Open311 GETs when the site has them. Not one secret may
// appear. The officer's review page, signed in, does show the contact:
// the check is one that can fail.
func TestNoPersonalDataInPublic(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h, token := piiSite(t, db)
		st := feedback.NewStore(db, feedback.StoreOptions{})
		photo := piiPhoto(t)

		type seeded struct {
			piiSeed
			code string
			item feedback.Item
		}
		var items []seeded
		var secrets []string
		for _, s := range piiSeeds {
			code := submitSeed(t, h, s, photo)
			it, err := st.ItemByCode(ctx, code)
			if err != nil {
				t.Fatal(err)
			}
			items = append(items, seeded{s, code, it})
			secrets = append(secrets, s.secrets...)
			for _, c := range []string{s.name, s.phone, s.email, s.address} {
				if c != "" && !slices.Contains(secrets, c) {
					secrets = append(secrets, c)
				}
			}
		}
		move := func(id int64, to feedback.State, set func(*feedback.Item)) {
			t.Helper()
			_, err := st.Update(ctx, id, feedback.Change{Actor: "can.bo@mttq.vn", Action: "move", IP: "192.0.2.9"},
				func(_ context.Context, _ feedback.Querier, x *feedback.Item) error {
					x.State = to
					if set != nil {
						set(x)
					}
					return nil
				})
			if err != nil {
				t.Fatalf("item %d to %s: %v", id, to, err)
			}
		}
		var published []seeded
		for _, s := range items {
			id := s.item.ID
			if s.note != "" {
				if _, err := st.AddNote(ctx, id, "can.bo@mttq.vn", s.note, "192.0.2.9"); err != nil {
					t.Fatal(err)
				}
			}
			if s.reject != "" {
				move(id, feedback.Rejected, func(x *feedback.Item) { x.Reason = s.reject })
				continue
			}
			if s.answer == "" {
				continue
			}
			move(id, feedback.Accepted, nil)
			move(id, feedback.Forwarded, func(x *feedback.Item) { x.Agency = "Công an phường, cán bộ " + s.name })
			move(id, feedback.Answered, func(x *feedback.Item) { x.Answer = s.answer })
			if s.close {
				move(id, feedback.Closed, func(x *feedback.Item) { x.Outcome = feedback.Resolved })
			}
			if !s.publish {
				continue
			}
			body := `{"published":true}`
			if s.photos > 0 {
				body = `{"published":true,"photos":[{"seq":1,"public":true}]}`
			}
			if s.fix != "" {
				f := fetch(t, h, fmt.Sprintf("/api/v1/feedback/items/%d/publication", id), token)
				var p feedback.Publication
				if err := json.Unmarshal(f.body, &p); err != nil || f.status != http.StatusOK {
					t.Fatalf("the officer reads the publication: %d %s", f.status, f.body)
				}
				b, _ := json.Marshal(feedback.PublishRequest{Published: ptrTo(true),
					PublicText:   ptrTo(strings.ReplaceAll(p.PublicText, s.fix, "[họ tên]")),
					PublicAnswer: ptrTo(strings.ReplaceAll(p.PublicAnswer, s.fix, "[họ tên]"))})
				body = string(b)
			}
			publishVia(t, h, token, id, body)
			if s.unpublish {
				publishVia(t, h, token, id, `{"published":false}`)
				continue
			}
			published = append(published, s)
		}
		if len(published) != 4 {
			t.Fatalf("%d items published, want 4", len(published))
		}

		// The officer signed in sees the submitter: the check below
		// finds secrets where they are.
		review := fetch(t, h, fmt.Sprintf("/quan-tri/phan-anh/%d/cong-bo", items[0].item.ID), token)
		if review.status != http.StatusOK {
			t.Fatalf("the officer's review page: %d %s", review.status, review.body)
		}
		if got := redact.Leaks(string(review.body), []string{items[0].name, items[0].phone, items[0].email}); len(got) != 3 {
			t.Errorf("the officer's review page shows %v of the contact, want all three", got)
		}
		if anon := fetch(t, h, fmt.Sprintf("/quan-tri/phan-anh/%d/cong-bo", items[0].item.ID), ""); anon.status < 300 ||
			anon.status >= 500 || len(redact.Leaks(string(anon.body), secrets)) > 0 {
			t.Errorf("the review page without signing in: %d", anon.status)
		}

		crawled := map[string]fetched{} // targets fetched
		patterns := map[string]bool{}
		check := func(target string) fetched {
			t.Helper()
			if f, ok := crawled[target]; ok {
				return f
			}
			f := fetch(t, h, target, "")
			crawled[target] = f
			// 503: the staff pages of a site whose sign-on is not set up.
			if f.status >= 500 && f.status != http.StatusServiceUnavailable {
				t.Errorf("%s: %d %.300s", target, f.status, f.body)
			}
			body := string(f.body)
			if ct := f.header.Get("Content-Type"); strings.HasPrefix(ct, "image/") {
				// Photos: no EXIF, no secret in the bytes as written.
				if bytes.Contains(f.body, []byte("GPSLatitude")) || bytes.Contains(f.body, []byte("Exif")) {
					t.Errorf("%s keeps the photo's metadata", target)
				}
				for _, s := range secrets {
					if bytes.Contains(f.body, []byte(s)) {
						t.Errorf("%s: the image's bytes hold %q", target, s)
					}
				}
				return f
			}
			if l := redact.Leaks(body, secrets); len(l) > 0 {
				t.Errorf("%s (%d) leaks %q", target, f.status, l)
			}
			return f
		}

		// Every GET route of the site, its parameters filled in with
		// every item's values: whatever a route is, what it shows the
		// public holds no secret.
		routes := web.Routes(h)
		param := regexp.MustCompile(`\{[^}]+\}`)
		for _, rt := range routes {
			if rt.Method != http.MethodGet {
				continue
			}
			patterns[rt.Pattern] = true
			for _, target := range fillRoute(rt.Pattern, param, func(yield func(code string, id int64) bool) {
				for _, s := range items {
					if !yield(s.code, s.item.ID) {
						return
					}
				}
			}) {
				check(target)
			}
		}

		// The pages that matter, by name, with what they must show.
		home := check("/")
		if !bytes.Contains(home.body, []byte("Phản ánh đã được trả lời")) {
			t.Error("the home page does not show the published answers")
		}
		list := check("/phan-anh")
		for _, s := range items {
			u := feedback.PublicURL(s.item.ID)
			on := bytes.Contains(list.body, []byte(`href="`+u+`"`))
			want := s.publish && !s.unpublish
			if on != want {
				t.Errorf("item %d on the public list: %v, want %v", s.item.ID, on, want)
			}
			if want && !bytes.Contains(home.body, []byte(`href="`+u+`"`)) {
				t.Errorf("item %d is not on the home page", s.item.ID)
			}
			status := check("/phan-anh/" + s.code)
			api := check("/api/v1/feedback/" + s.code)
			if status.status != http.StatusOK || api.status != http.StatusOK {
				t.Errorf("status of %s: page %d, API %d", s.code, status.status, api.status)
			}
			item := check(u)
			if (item.status == http.StatusOK) != want {
				t.Errorf("%s: %d", u, item.status)
			}
			check("/api/v1/feedback/public/" + strconv.FormatInt(s.item.ID, 10))
			for seq := 1; seq <= 3; seq++ {
				for _, thumb := range []bool{false, true} {
					ph := check(feedback.PublicPhotoURL(s.item.ID, seq, thumb))
					if wantPhoto := want && seq == 1 && s.photos > 0; (ph.status == http.StatusOK) != wantPhoto {
						t.Errorf("%s: %d", feedback.PublicPhotoURL(s.item.ID, seq, thumb), ph.status)
					}
				}
			}
		}
		// Searches, the secrets themselves among them; and every page of
		// the list.
		queries := []string{"o nhiem", "ô nhiễm", "den duong", "hoc them", "xuong go", "tai khoan", "CCCD", "ho ten", "so dien thoai"}
		for _, s := range secrets {
			queries = append(queries, s)
		}
		found := 0
		for _, q := range queries {
			for _, base := range []string{"/phan-anh", "/api/v1/feedback/public"} {
				f := check(base + "?" + url.Values{"q": {q}}.Encode())
				if base == "/phan-anh" && bytes.Contains(f.body, []byte(`class="pa-card"`)) {
					found++
				}
			}
		}
		if found < 4 {
			t.Errorf("only %d searches found anything: the crawl is not looking at answers", found)
		}
		for _, v := range []url.Values{{"province": {"79"}}, {"commune": {"26734"}}, {"province": {"01"}, "q": {"hoc"}}, {"limit": {"1"}}} {
			check("/phan-anh/feed.atom?" + url.Values{"province": v["province"], "commune": v["commune"]}.Encode())
			target := "/api/v1/feedback/public?" + v.Encode()
			for range 10 {
				f := check(target)
				var page feedback.PublicPage
				if json.Unmarshal(f.body, &page) != nil || page.Next == "" {
					break
				}
				v.Set("before", page.Next)
				target = "/api/v1/feedback/public?" + v.Encode()
				check("/phan-anh?" + v.Encode())
			}
		}
		feed := check("/phan-anh/feed.atom")
		if n := bytes.Count(feed.body, []byte("<entry>")); n != len(published) {
			t.Errorf("the feed has %d entries, want %d", n, len(published))
		}

		// Open311 GeoReport v2 (its GETs carry no submitter field and the
		// redacted description): every GET under /open311/ was crawled
		// above from the route table; here its requests list by name,
		// when the site has it.
		open311 := patterns[feedback.Open311Path+"/{file}"]
		for _, target := range []string{"/open311/v2/requests.json", "/open311/v2/requests.xml", "/open311/v2/services.json",
			"/open311/v2/discovery.json"} {
			if f := check(target); open311 && f.status != http.StatusOK {
				t.Errorf("%s: %d", target, f.status)
			}
		}
		if open311 {
			// Each item was also crawled by its id above.
			all := check("/open311/v2/requests.json")
			for _, s := range published {
				if !bytes.Contains(all.body, []byte(s.code)) {
					t.Errorf("Open311's requests do not list %s, published: the crawl would miss its answer", s.code)
				}
			}
		}
		for _, s := range items {
			for _, ext := range []string{".json", ".xml"} {
				check("/open311/v2/requests/" + s.code + ext)
				check("/open311/v2/requests" + ext + "?" + url.Values{"service_request_id": {s.code}}.Encode())
			}
		}
		t.Logf("crawled %d public targets over %d GET routes", len(crawled), len(patterns))
	})
}

func ptrTo[T any](v T) *T { return &v }

// fillRoute is the targets of a route pattern: each parameter filled in
// with each item's tracking code and id (with and without an extension
// when a route takes a file name), a photo's number, or a file of the
// site.
func fillRoute(pattern string, param *regexp.Regexp, items func(func(string, int64) bool)) []string {
	if !param.MatchString(pattern) {
		return []string{pattern}
	}
	var out []string
	if pattern == feedback.Open311Path+"/{file}" {
		for _, f := range []string{"discovery", "services", "requests"} {
			out = append(out, feedback.Open311Path+"/"+f+".json", feedback.Open311Path+"/"+f+".xml")
		}
		return out
	}
	items(func(code string, id int64) bool {
		for _, variant := range []string{"", ".json", ".xml"} {
			out = append(out, param.ReplaceAllStringFunc(pattern, func(p string) string {
				name := strings.Trim(p, "{}.")
				switch {
				case name == "seq":
					return "1"
				case name == "code" || strings.Contains(name, "request") || name == "token":
					return code + variant
				case name == "id":
					return strconv.FormatInt(id, 10) + variant
				case name == "file" && strings.HasPrefix(pattern, "/static/"):
					return "site.css"
				case name == "file" && strings.HasPrefix(pattern, "/phan-anh/tep/"):
					return "phan-anh.css"
				}
				return code + variant
			}))
		}
		return true
	})
	slices.Sort(out)
	return slices.Compact(out)
}
