package feedback_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattranso/mattranso/feedback"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

const goodJSON = `{"content":"Đường trước nhà tôi ở khu phố Hòa Bình bị ngập nước mỗi khi mưa, xe máy không đi được, đề nghị phường sửa cống thoát nước.",
	"commune_code":"26734","village_code":"26734-001","address":"12 Lê Lợi","lat":10.7769,"lon":106.7009,
	"name":"Nguyễn Văn An","phone":"0912 345 678","email":"an.nguyen@example.vn"}`

// A good submission is stored whole and acknowledged with its receipt;
// its public status carries nothing of the submitter's.
func TestSubmitAndStatus(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, envOptions{})
		ctx := context.Background()
		a := e.submitJSON(t, goodJSON)
		if a.status != http.StatusCreated {
			t.Fatalf("submit: %d %s", a.status, a.body)
		}
		var rc feedback.Receipt
		a.json(t, &rc)
		code, ok := feedback.ParseCode(rc.TrackingCode)
		if !ok || feedback.FormatCode(code) != rc.TrackingCode {
			t.Fatalf("tracking code %q", rc.TrackingCode)
		}
		if rc.Status != feedback.Received || rc.Unit != "26734/MTTQ" || rc.Topic == "" {
			t.Errorf("receipt %+v", rc)
		}
		// Ten days (plainDays) after it was received, in Vietnam's zone.
		if want := e.now.AddDate(0, 0, 10); !rc.ExpectedAt.Equal(want) {
			t.Errorf("expected_at %s, want %s", rc.ExpectedAt, want)
		}
		if _, off := rc.ExpectedAt.Zone(); !strings.Contains(string(a.body), "+07:00") || off != 7*3600 {
			t.Errorf("expected_at is not given in Vietnam's time: %s", a.body)
		}
		if loc := a.header.Get("Location"); loc != "/api/v1/feedback/"+rc.TrackingCode {
			t.Errorf("Location %q", loc)
		}

		it, err := e.store.ItemByCode(ctx, strings.ToLower(strings.ReplaceAll(rc.TrackingCode, "-", "")))
		if err != nil {
			t.Fatal(err)
		}
		if it.Content == "" || it.Province != "79" || it.Commune != "26734" || it.Village != "26734-001" ||
			it.Address != "12 Lê Lợi" || it.Lat == nil || *it.Lat != 10.7769 || *it.Lon != 106.7009 ||
			it.Level != feedback.LevelCommune || it.UnitPath != "VN/79/26734/" ||
			it.TopicSource != feedback.TopicClassifier || it.Topic != rc.Topic || it.TopicConfidence <= 0 {
			t.Errorf("item stored as %+v", it)
		}
		// The content holds no personal data: its public text, stored at
		// intake, is the content itself.
		if it.PublicText == nil || *it.PublicText != it.Content {
			t.Errorf("public text stored at intake: %v, want the content", it.PublicText)
		}
		c, err := e.store.Contact(ctx, it.ID)
		if err != nil || c != (feedback.Contact{Name: "Nguyễn Văn An", Phone: "0912345678", Email: "an.nguyen@example.vn"}) {
			t.Errorf("contact %+v, %v", c, err)
		}
		evs, err := e.store.Events(ctx, it.ID)
		if err != nil || len(evs) != 1 || evs[0].Action != "submit" || evs[0].To != feedback.Received || evs[0].IP == "" {
			t.Errorf("history %+v, %v", evs, err)
		}

		for _, target := range []string{rc.TrackingCode, strings.ToLower(rc.TrackingCode), code, strings.ToLower(code)} {
			s := e.do(t, http.MethodGet, "/api/v1/feedback/"+target, "", nil)
			if s.status != http.StatusOK {
				t.Fatalf("status of %s: %d %s", target, s.status, s.body)
			}
			var st feedback.PublicStatus
			s.json(t, &st)
			if st.TrackingCode != rc.TrackingCode || st.Status != feedback.Received || st.UnitName != "Mặt trận Tổ quốc Phường Sài Gòn" ||
				st.CommuneName != "Phường Sài Gòn" || st.ProvinceName != "Thành phố Hồ Chí Minh" || st.TopicName == "" ||
				len(st.History) != 1 || st.History[0].Status != feedback.Received || st.Answer != "" {
				t.Errorf("status %+v", st)
			}
			for _, private := range []string{"Nguyễn", "0912", "345", "an.nguyen", "Lê Lợi", "10.77", "106.70", "ngập", "Hòa Bình", "26734-001"} {
				if strings.Contains(string(s.body), private) {
					t.Errorf("public status shows %q: %s", private, s.body)
				}
			}
		}
		page := e.do(t, http.MethodGet, "/phan-anh/"+rc.TrackingCode, "", nil)
		if page.status != http.StatusOK || !strings.Contains(string(page.body), rc.TrackingCode) || !strings.Contains(string(page.body), "Đã tiếp nhận") {
			t.Errorf("status page: %d %.300s", page.status, page.body)
		}
		for _, private := range []string{"Nguyễn", "0912", "an.nguyen", "Lê Lợi", "10.77", "ngập"} {
			if strings.Contains(string(page.body), private) {
				t.Errorf("status page shows %q", private)
			}
		}
		if r := e.do(t, http.MethodGet, "/phan-anh/"+strings.ToLower(code), "", nil); r.status != http.StatusMovedPermanently ||
			r.header.Get("Location") != "/phan-anh/"+rc.TrackingCode {
			t.Errorf("status page by a code typed in lower case: %d %s", r.status, r.header.Get("Location"))
		}

		for _, unknown := range []string{"ABCDE-FGHJK", "abcde", "ABCDE-FGHJ0", "x"} {
			nf := e.do(t, http.MethodGet, "/api/v1/feedback/"+unknown, "", nil)
			if nf.status != http.StatusNotFound || nf.err.Code != "not_found" || !strings.Contains(nf.err.Message, "Không tìm thấy") {
				t.Errorf("unknown code %s: %d %s", unknown, nf.status, nf.body)
			}
			np := e.do(t, http.MethodGet, "/phan-anh/"+unknown, "", nil)
			if np.status != http.StatusNotFound || !strings.Contains(string(np.body), "Không tìm thấy phản ánh") {
				t.Errorf("status page of unknown code %s: %d", unknown, np.status)
			}
		}
	})
}

// Every bad field is refused with its status, code and field named, and
// nothing is stored.
func TestSubmitBadInput(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, envOptions{})
		before := e.counts(t)
		long := strings.Repeat("ạ", feedback.MaxContent+1)
		for _, c := range []struct {
			what, body   string
			status       int
			code, field  string
			header       []string
			contentType  string
			messageHasVi string
		}{
			{"no content", `{"commune_code":"26734"}`, 400, "required", "content", nil, "", "nội dung"},
			{"blank content", `{"content":"  \n ","commune_code":"26734"}`, 400, "required", "content", nil, "", ""},
			{"content too long", `{"content":"` + long + `","commune_code":"26734"}`, 400, "too_long", "content", nil, "", "5000"},
			{"no commune", `{"content":"x"}`, 400, "required", "commune_code", nil, "", ""},
			{"a province as commune", `{"content":"x","commune_code":"79"}`, 400, "invalid_code", "commune_code", nil, "", ""},
			{"a malformed commune", `{"content":"x","commune_code":"2673a"}`, 400, "invalid_code", "commune_code", nil, "", ""},
			{"an unknown commune", `{"content":"x","commune_code":"99999"}`, 400, "unknown_commune", "commune_code", nil, "", "99999"},
			{"a malformed village", `{"content":"x","commune_code":"26734","village_code":"thon 1"}`, 400, "invalid_code", "village_code", nil, "", ""},
			{"an unknown village", `{"content":"x","commune_code":"26734","village_code":"26734-009"}`, 400, "unknown_village", "village_code", nil, "", ""},
			{"a retired village", `{"content":"x","commune_code":"26734","village_code":"26734-002"}`, 400, "retired_village", "village_code", nil, "", ""},
			{"a village of another commune", `{"content":"x","commune_code":"26743","village_code":"26734-001"}`, 400, "wrong_commune", "village_code", nil, "", ""},
			{"a level that makes no sense", `{"content":"x","commune_code":"26734","level":"village"}`, 400, "invalid_level", "level", nil, "", ""},
			{"lat without lon", `{"content":"x","commune_code":"26734","lat":10.5}`, 400, "invalid_position", "lon", nil, "", ""},
			{"lon without lat", `{"content":"x","commune_code":"26734","lon":106.5}`, 400, "invalid_position", "lat", nil, "", ""},
			{"lat out of range", `{"content":"x","commune_code":"26734","lat":91,"lon":106}`, 400, "invalid_position", "lat", nil, "", ""},
			{"lon out of range", `{"content":"x","commune_code":"26734","lat":10,"lon":-181}`, 400, "invalid_position", "lon", nil, "", ""},
			{"lat as text", `{"content":"x","commune_code":"26734","lat":"10","lon":106}`, 400, "invalid_type", "lat", nil, "", ""},
			{"a phone with letters", `{"content":"x","commune_code":"26734","phone":"09x2345678"}`, 400, "invalid_phone", "phone", nil, "", ""},
			{"a phone too short", `{"content":"x","commune_code":"26734","phone":"12345"}`, 400, "invalid_phone", "phone", nil, "", ""},
			{"a bad email", `{"content":"x","commune_code":"26734","email":"an@"}`, 400, "invalid_email", "email", nil, "", ""},
			{"an email with a name", `{"content":"x","commune_code":"26734","email":"An <an@x.vn>"}`, 400, "invalid_email", "email", nil, "", ""},
			{"a name too long", `{"content":"x","commune_code":"26734","name":"` + strings.Repeat("a", 201) + `"}`, 400, "invalid_name", "name", nil, "", ""},
			{"a name with a direction override", `{"content":"x","commune_code":"26734","name":"An\u202eB"}`, 400, "invalid_name", "name", nil, "", ""},
			{"an address too long", `{"content":"x","commune_code":"26734","address":"` + strings.Repeat("a", 501) + `"}`, 400, "too_long", "address", nil, "", ""},
			{"an unknown topic", `{"content":"x","commune_code":"26734","topic":"bong_da"}`, 400, "unknown_topic", "topic", nil, "", ""},
			{"an unknown field", `{"content":"x","commune_code":"26734","photo":"x"}`, 400, "unknown_field", "photo", nil, "", ""},
			{"malformed JSON", `{"content":"x",`, 400, "invalid_json", "body", nil, "", ""},
			{"not an object", `["x"]`, 400, "invalid_json", "body", nil, "", ""},
			{"NUL in the content", `{"content":"a\u0000b","commune_code":"26734"}`, 400, "invalid_text", "content", nil, "", ""},
			{"a wrong content type", `content=x`, 415, "unsupported_media_type", "Content-Type", nil, "text/plain", ""},
			{"a bad Idempotency-Key", `{"content":"x","commune_code":"26734"}`, 400, "invalid_idempotency_key", "Idempotency-Key", []string{"Idempotency-Key", "a b"}, "", ""},
			{"a long Idempotency-Key", `{"content":"x","commune_code":"26734"}`, 400, "invalid_idempotency_key", "Idempotency-Key", []string{"Idempotency-Key", strings.Repeat("k", 201)}, "", ""},
		} {
			ct := c.contentType
			if ct == "" {
				ct = "application/json"
			}
			a := e.do(t, http.MethodPost, "/api/v1/feedback", ct, []byte(c.body), c.header...)
			if a.status != c.status || a.err.Code != c.code || a.err.Field != c.field {
				t.Errorf("%s: %d %s (%s), want %d %s (%s): %s", c.what, a.status, a.err.Code, a.err.Field, c.status, c.code, c.field, a.err.Message)
			}
			if !strings.Contains(strings.ToLower(a.err.Message), strings.ToLower(c.messageHasVi)) {
				t.Errorf("%s: message %q lacks %q", c.what, a.err.Message, c.messageHasVi)
			}
		}
		if after := e.counts(t); !maps.Equal(before, after) {
			t.Errorf("refused submissions stored something: before %v, after %v", before, after)
		}
	})
}

// Multipart submissions: fields as in JSON, photos counted and measured
// as they arrive; malformed bodies refused.
func TestSubmitMultipart(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, envOptions{})
		fields := []part{{name: "content", value: "Đèn đường ở khu phố tắt cả tháng nay."}, {name: "commune_code", value: "26734"},
			{name: "lat", value: "10.77"}, {name: "lon", value: "106.7"}, {name: "level", value: "province"}}
		ct, body := multipartBody(t, fields)
		a := e.do(t, http.MethodPost, "/api/v1/feedback", ct, body)
		if a.status != http.StatusCreated {
			t.Fatalf("multipart submit: %d %s", a.status, a.body)
		}
		var rc feedback.Receipt
		a.json(t, &rc)
		if rc.Unit != "79/MTTQ" {
			t.Errorf("addressed to the province, received by %s", rc.Unit)
		}
		before := e.counts(t)
		photo := make([]byte, 100)
		for _, c := range []struct {
			what        string
			parts       []part
			raw         string
			status      int
			code, field string
		}{
			{"six photos", append(fields[:2:2], part{name: "photos", file: "1.jpg", data: photo}, part{name: "photos", file: "2.jpg", data: photo},
				part{name: "photos", file: "3.jpg", data: photo}, part{name: "photos", file: "4.jpg", data: photo}, part{name: "photos", file: "5.jpg", data: photo},
				part{name: "photos", file: "6.jpg", data: photo}), "", 400, "too_many_photos", "photos"},
			{"a photo over 5 MB", append(fields[:2:2], part{name: "photos", file: "big.jpg", data: make([]byte, feedback.MaxPhotoBytes+1)}), "", 413, "photo_too_large", "photos"},
			{"a script renamed .jpg", append(fields[:2:2], part{name: "photos", file: "x.jpg", data: []byte("#!/bin/sh\nrm -rf /\n")}), "", 415, "unsupported_photo", "photos"},
			{"an unknown field", append(fields[:2:2], part{name: "ho_ten", value: "x"}), "", 400, "unknown_field", "ho_ten"},
			{"a field twice", append(fields[:2:2], part{name: "content", value: "x"}), "", 400, "duplicate_field", "content"},
			{"lat not a number", append(fields[:2:2], part{name: "lat", value: "mười"}, part{name: "lon", value: "106"}), "", 400, "invalid_position", "lat"},
			{"no content", fields[1:2], "", 400, "required", "content"},
			{"a truncated body", nil, "--b\r\nContent-Disposition: form-data; name=\"content\"\r\n\r\nabc", 400, "invalid_multipart", "body"},
		} {
			ct, body := "multipart/form-data; boundary=b", []byte(c.raw)
			if c.parts != nil {
				ct, body = multipartBody(t, c.parts)
			}
			a := e.do(t, http.MethodPost, "/api/v1/feedback", ct, body)
			if a.status != c.status || a.err.Code != c.code || a.err.Field != c.field {
				t.Errorf("%s: %d %s (%s), want %d %s (%s): %s", c.what, a.status, a.err.Code, a.err.Field, c.status, c.code, c.field, a.err.Message)
			}
		}
		if after := e.counts(t); !maps.Equal(before, after) {
			t.Errorf("refused submissions stored something: before %v, after %v", before, after)
		}
	})
}

// A retry with the same Idempotency-Key gets the first answer, byte for
// byte, and stores nothing; the same key with another request is a 409;
// concurrent retries with one key store one item.
func TestIdempotency(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, envOptions{})
		first := e.submitJSON(t, goodJSON, "Idempotency-Key", "khoa-1")
		if first.status != http.StatusCreated {
			t.Fatalf("first: %d %s", first.status, first.body)
		}
		before := e.counts(t)
		e.now = e.now.Add(time.Hour) // a later retry: the same answer still
		again := e.submitJSON(t, goodJSON, "Idempotency-Key", "khoa-1")
		if again.status != first.status || string(again.body) != string(first.body) {
			t.Errorf("retry: %d %s, want %d %s", again.status, again.body, first.status, first.body)
		}
		if after := e.counts(t); !maps.Equal(before, after) {
			t.Errorf("a retry stored something: before %v, after %v", before, after)
		}
		other := e.submitJSON(t, strings.Replace(goodJSON, "ngập", "lụt", 1), "Idempotency-Key", "khoa-1")
		if other.status != http.StatusConflict || other.err.Field != "Idempotency-Key" || other.err.Code != "idempotency_key_reused" {
			t.Errorf("another request with the key: %d %s", other.status, other.body)
		}
		if after := e.counts(t); !maps.Equal(before, after) {
			t.Errorf("a conflicting request stored something: before %v, after %v", before, after)
		}
		// Without a key, the same text is a new item.
		if a := e.submitJSON(t, goodJSON); a.status != http.StatusCreated || string(a.body) == string(first.body) {
			t.Errorf("without a key: %d %s", a.status, a.body)
		}

		const n = 24
		before = e.counts(t)
		bodies := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				a := e.submitJSON(t, goodJSON, "Idempotency-Key", "khoa-dong-thoi")
				if a.status != http.StatusCreated {
					t.Errorf("concurrent retry %d: %d %s", i, a.status, a.body)
				}
				bodies[i] = string(a.body)
			})
		}
		wg.Wait()
		for i := range bodies {
			if bodies[i] != bodies[0] {
				t.Errorf("concurrent retries answered differently: %s and %s", bodies[0], bodies[i])
			}
		}
		after := e.counts(t)
		if d := after["feedback_items"] - before["feedback_items"]; d != 1 {
			t.Errorf("%d concurrent retries stored %d items, want 1", n, d)
		}
		if d := after["feedback_idempotency"] - before["feedback_idempotency"]; d != 1 {
			t.Errorf("%d concurrent retries stored %d keys, want 1", n, d)
		}
	})
}

// Many submissions at once are all stored, each with its own code, and
// those that ask for the same key share one item.
func TestConcurrentSubmissions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, envOptions{})
		const n = 120
		codes := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				var h []string
				if i%3 == 0 {
					h = []string{"Idempotency-Key", fmt.Sprintf("k%d", i/6)} // pairs share a key
				}
				a := e.submitJSON(t, goodJSON, h...)
				if a.status != http.StatusCreated {
					t.Errorf("submission %d: %d %s", i, a.status, a.body)
					return
				}
				var rc feedback.Receipt
				a.json(t, &rc)
				codes[i] = rc.TrackingCode
			})
		}
		wg.Wait()
		distinct := map[string]bool{}
		for _, c := range codes {
			distinct[c] = true
		}
		// 40 keyed submissions are 20 pairs: 20 items; the 80 others each one.
		if want := 80 + 20; len(distinct) != want {
			t.Errorf("%d distinct codes, want %d", len(distinct), want)
		}
		if c := e.counts(t); c["feedback_items"] != 100 || c["feedback_events"] != 100 || c["feedback_idempotency"] != 20 || c["feedback_contacts"] != 100 {
			t.Errorf("stored %v", c)
		}
		for c := range distinct {
			if _, err := e.store.ItemByCode(context.Background(), c); err != nil {
				t.Errorf("acknowledged %s is not stored: %v", c, err)
			}
		}
	})
}

// The rate limit answers 429 with Retry-After, on the API and the form.
func TestRateLimit(t *testing.T) {
	db := storetest.SQLite(t)
	lim := &countLimiter{allow: 2}
	e := newEnv(t, db, envOptions{limiter: lim})
	for i := range 4 {
		a := e.submitJSON(t, goodJSON)
		want := http.StatusCreated
		if i >= 2 {
			want = http.StatusTooManyRequests
		}
		if a.status != want {
			t.Errorf("submission %d: %d, want %d", i, a.status, want)
		}
		if a.status == http.StatusTooManyRequests && (a.header.Get("Retry-After") != "7" || a.err.Code != "rate_limited") {
			t.Errorf("429 without Retry-After or code: %v %s", a.header, a.body)
		}
	}
	ct, body := multipartBody(t, []part{{name: "content", value: "x"}, {name: "commune_code", value: "26734"}})
	if a := e.do(t, http.MethodPost, "/phan-anh/gui", ct, body); a.status != http.StatusTooManyRequests || !strings.Contains(string(a.body), "quá nhiều") {
		t.Errorf("form past the limit: %d", a.status)
	}
	if c := e.counts(t); c["feedback_items"] != 2 {
		t.Errorf("%d items stored, want 2", c["feedback_items"])
	}
}

type countLimiter struct {
	mu    sync.Mutex
	allow int
}

func (l *countLimiter) Allow(*http.Request) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.allow > 0 {
		l.allow--
		return true, 0
	}
	return false, 6500 * time.Millisecond
}

// Relaxed durability stores and answers as the durable default does.
func TestRelaxedDurability(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, envOptions{storeOpts: feedback.StoreOptions{RelaxedDurability: true}})
		first := e.submitJSON(t, goodJSON, "Idempotency-Key", "k")
		again := e.submitJSON(t, goodJSON, "Idempotency-Key", "k")
		other := e.submitJSON(t, goodJSON)
		if first.status != http.StatusCreated || string(again.body) != string(first.body) || other.status != http.StatusCreated {
			t.Errorf("relaxed: %d %s; retry %d %s; another %d", first.status, first.body, again.status, again.body, other.status)
		}
		if c := e.counts(t); c["feedback_items"] != 2 || c["feedback_idempotency"] != 1 || c["feedback_contacts"] != 2 || c["feedback_events"] != 2 {
			t.Errorf("stored %v", c)
		}
	})
}

// jpegWithGPS is a small JPEG carrying an EXIF segment with a GPS
// position, as a phone writes it.
func jpegWithGPS(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for y := range 480 {
		for x := range 640 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	payload := append([]byte("Exif\x00\x00"), []byte("GPSLatitude 10.7769 GPSLongitude 106.7009 nha-cua-toi")...)
	seg := []byte{0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	out := append([]byte{0xFF, 0xD8}, seg...)
	out = append(out, payload...)
	return append(out, b.Bytes()[2:]...)
}

// Photos are stored without what their EXIF said, their pixels as sent,
// with a thumbnail, private until an officer publishes them.
func TestSubmitPhotos(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, envOptions{})
		ctx := context.Background()
		raw := jpegWithGPS(t)
		if !bytes.Contains(raw, []byte("nha-cua-toi")) {
			t.Fatal("the fixture lacks its EXIF")
		}
		ct, body := multipartBody(t, []part{{name: "content", value: "Rác thải đổ trộm ven đường."}, {name: "commune_code", value: "26734"},
			{name: "photos", file: "IMG_0001.jpg", data: raw}, {name: "photos", file: "IMG_0002.jpg", data: raw}})
		a := e.do(t, http.MethodPost, "/api/v1/feedback", ct, body, "Idempotency-Key", "anh-1")
		if a.status != http.StatusCreated {
			t.Fatalf("submit with photos: %d %s", a.status, a.body)
		}
		var rc feedback.Receipt
		a.json(t, &rc)
		it, err := e.store.ItemByCode(ctx, rc.TrackingCode)
		if err != nil {
			t.Fatal(err)
		}
		photos, err := e.store.Photos(ctx, it.ID)
		if err != nil || len(photos) != 2 {
			t.Fatalf("photos %+v, %v", photos, err)
		}
		for i, p := range photos {
			if p.Seq != i+1 || p.ContentType != "image/jpeg" || p.Width != 640 || p.Height != 480 || p.Public || p.ThumbType != "image/jpeg" {
				t.Errorf("photo %+v", p)
			}
			data, err := e.store.Blobs().Get(ctx, p.BlobKey)
			if err != nil || len(data) != p.Size || bytes.Contains(data, []byte("nha-cua-toi")) || bytes.Contains(data, []byte("GPS")) {
				t.Errorf("photo %d: %d bytes, %v; metadata kept: %v", i+1, len(data), err, bytes.Contains(data, []byte("GPS")))
			}
			sent, err1 := jpeg.Decode(bytes.NewReader(raw))
			stored, err2 := jpeg.Decode(bytes.NewReader(data))
			if err1 != nil || err2 != nil {
				t.Fatalf("decode: %v, %v", err1, err2)
			}
			if a, b := sent.(*image.YCbCr), stored.(*image.YCbCr); a.Rect != b.Rect || !bytes.Equal(a.Y, b.Y) || !bytes.Equal(a.Cb, b.Cb) || !bytes.Equal(a.Cr, b.Cr) {
				t.Errorf("photo %d: the stored pixels are not the ones sent", i+1)
			}
			thumb, err := e.store.Blobs().Get(ctx, p.ThumbKey)
			if err != nil {
				t.Fatal(err)
			}
			if cfg, err := jpeg.DecodeConfig(bytes.NewReader(thumb)); err != nil || cfg.Width > 320 || cfg.Height > 320 {
				t.Errorf("thumbnail %+v, %v", cfg, err)
			}
		}
		// A retry with the same photos is answered without processing
		// them again, and stores nothing.
		before := e.counts(t)
		if again := e.do(t, http.MethodPost, "/api/v1/feedback", ct, body, "Idempotency-Key", "anh-1"); string(again.body) != string(a.body) {
			t.Errorf("retry with photos: %d %s", again.status, again.body)
		}
		if after := e.counts(t); !maps.Equal(before, after) {
			t.Errorf("a retry stored %v, was %v", after, before)
		}
		// A damaged photo among good ones: nothing is stored.
		broken := append([]byte{}, raw[:len(raw)/3]...)
		ct, body = multipartBody(t, []part{{name: "content", value: "x"}, {name: "commune_code", value: "26734"},
			{name: "photos", file: "a.jpg", data: raw}, {name: "photos", file: "b.jpg", data: broken}})
		if a := e.do(t, http.MethodPost, "/api/v1/feedback", ct, body); a.status != http.StatusBadRequest || a.err.Field != "photos" ||
			a.err.Code != "invalid_photo" || !strings.Contains(a.err.Message, "Ảnh thứ 2") {
			t.Errorf("a damaged photo: %d %s", a.status, a.body)
		}
		if after := e.counts(t); !maps.Equal(before, after) {
			t.Errorf("a refused submission stored %v, was %v", after, before)
		}
	})
}
