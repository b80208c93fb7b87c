package feedback

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/feedback/photo"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/topic"
)

// The limits of a submission.
const (
	MaxContent     = 5000            // characters of content
	MaxAddress     = 500             // characters of the address
	MaxName        = 200             // characters of the submitter's name
	MaxEmail       = 254             // bytes of an email address (RFC 5321)
	MaxPhotos      = photo.MaxPhotos // photos per item
	MaxPhotoBytes  = photo.MaxBytes
	MaxKey         = 200 // bytes of an Idempotency-Key
	minPhoneDigits = 8
	maxPhoneDigits = 15
)

// DefaultThreshold is the classifier's confidence below which an item's
// topic is flagged for an officer to check.
const DefaultThreshold = 0.5

// Classifier tags a text with a topic; *topic.Classifier and
// *topic.LLMClassifier are classifiers.
type Classifier interface {
	Classify(ctx context.Context, text string) (topic.Result, error)
}

// Limiter decides whether a client may submit now, and if not how long
// it should wait; *auth.Limiter is one.
type Limiter interface {
	Allow(r *http.Request) (bool, time.Duration)
}

// Options are what a Service needs. Store and Calendar are required.
type Options struct {
	Store *Store
	// Calendar counts the working days of deadlines
	// (feedback/workday.Default() or a configured list).
	Calendar Calendar
	// Taxonomy is the topics a citizen may choose and the classifier
	// knows; nil means topic.DefaultTaxonomy().
	Taxonomy *topic.Taxonomy
	// Rules route items and set their deadlines; nil means DefaultRules().
	Rules *Rules
	// Threshold is the confidence below which a topic is flagged; 0 means
	// DefaultThreshold.
	Threshold float64
	// Limiter limits public submissions per client; nil does not limit.
	Limiter Limiter
	// CSRFField is the name of the form field in which the site's forms
	// carry their CSRF token (the public form does not need it, but a
	// signed-in user's browser sends it); "" means "csrf_token".
	CSRFField string
	Logger    *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service takes citizens' submissions, tags and routes them, and tells
// anyone with a tracking code how an item is doing.
type Service struct {
	store     *Store
	cal       Calendar
	tax       *topic.Taxonomy
	names     map[string]string
	rules     Rules
	threshold float64
	limiter   Limiter
	pages     Pages
	csrfField string
	log       *slog.Logger
	now       func() time.Time

	classifier atomic.Pointer[classifierBox]
	communes   sync.Map // commune code → province code
}

type classifierBox struct{ Classifier }

// NewService returns a Service. It refuses rules naming topics the
// taxonomy does not hold.
func NewService(o Options) (*Service, error) {
	if o.Store == nil || o.Calendar == nil {
		return nil, errors.New("feedback: NewService needs a Store and a Calendar")
	}
	s := &Service{store: o.Store, cal: o.Calendar, tax: o.Taxonomy, threshold: o.Threshold, limiter: o.Limiter,
		csrfField: o.CSRFField, log: o.Logger, now: o.Now}
	if s.csrfField == "" {
		s.csrfField = "csrf_token"
	}
	if s.tax == nil {
		s.tax = topic.DefaultTaxonomy()
	}
	s.names = s.tax.Names()
	if o.Rules != nil {
		s.rules = *o.Rules
	} else {
		s.rules = DefaultRules()
	}
	if err := s.rules.Check(func(id string) bool { _, ok := s.names[id]; return ok }); err != nil {
		return nil, err
	}
	if s.threshold == 0 {
		s.threshold = DefaultThreshold
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Store is the Service's store.
func (s *Service) Store() *Store { return s.store }

// Rules are the routing and deadline rules in force.
func (s *Service) Rules() Rules { return s.rules }

// SetClassifier puts a classifier in service (nil takes it out): until
// then items are stored untagged and tagged later by TagPending.
func (s *Service) SetClassifier(c Classifier) {
	if c == nil {
		s.classifier.Store(nil)
		return
	}
	s.classifier.Store(&classifierBox{c})
}

// Classifier is the classifier in service, nil while there is none.
func (s *Service) Classifier() Classifier {
	if b := s.classifier.Load(); b != nil {
		return b.Classifier
	}
	return nil
}

// TopicName is a topic's Vietnamese name, "" for none.
func (s *Service) TopicName(id string) string { return s.names[id] }

// Submission is what a citizen sends: the fields of POST /api/v1/feedback
// as given (checked by Submit), photos as uploaded.
type Submission struct {
	Content     string   `json:"content"`
	CommuneCode string   `json:"commune_code"`
	VillageCode string   `json:"village_code"`
	Level       string   `json:"level"`
	Address     string   `json:"address"`
	Lat         *float64 `json:"lat"`
	Lon         *float64 `json:"lon"`
	Name        string   `json:"name"`
	Phone       string   `json:"phone"`
	Email       string   `json:"email"`
	Topic       string   `json:"topic"`

	Photos [][]byte `json:"-"`
	// IdempotencyKey is the request's Idempotency-Key header.
	IdempotencyKey string `json:"-"`
	IP             string `json:"-"`
}

// hash identifies a request for its Idempotency-Key: the fields and the
// photos' bytes, as sent.
func (sub *Submission) hash() string {
	h := sha256.New()
	b, _ := json.Marshal(sub)
	h.Write(b)
	for _, p := range sub.Photos {
		ph := sha256.Sum256(p)
		h.Write(ph[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Submit checks a submission, tags, routes and stores it, and returns its
// receipt once it is durably stored. A refusal is an *api.Error naming
// the field; nothing is stored then. A retry with the IdempotencyKey of a
// stored submission returns its receipt (Created.Replayed) and stores
// nothing; the same key with another request is a 409 naming the header.
func (s *Service) Submit(ctx context.Context, sub Submission) (Created, error) {
	if sub.IdempotencyKey != "" {
		if e := checkKey(sub.IdempotencyKey); e != nil {
			return Created{}, e
		}
	}
	n, err := s.check(ctx, &sub)
	if err != nil {
		return Created{}, err
	}
	hash := sub.hash()
	// A retry is found when the item is stored (Create); looking first
	// only spares processing the photos again.
	if sub.IdempotencyKey != "" && len(sub.Photos) > 0 {
		c, ok, err := s.store.Replay(ctx, sub.IdempotencyKey, hash)
		if err != nil {
			return Created{}, keyError(err)
		}
		if ok {
			return c, nil
		}
	}
	photos, e := processPhotos(sub.Photos)
	if e != nil {
		return Created{}, e
	}
	n.Photos = photos
	// What the public may later read, stored with the item: not reviewed
	// until an officer publishes it.
	public := PublicTextOf(n.Item.Content, n.Contact)
	n.Item.PublicText = &public
	s.tag(ctx, &n.Item)
	s.route(&n.Item)
	n.IdempotencyKey, n.RequestHash, n.IP = sub.IdempotencyKey, hash, sub.IP
	c, err := s.store.Create(ctx, n)
	if err != nil {
		return Created{}, keyError(err)
	}
	return c, nil
}

func keyError(err error) error {
	if errors.Is(err, ErrConflict) {
		return &api.Error{Status: http.StatusConflict, Code: "idempotency_key_reused", Field: "Idempotency-Key",
			Message: "Khóa Idempotency-Key này đã được dùng cho một yêu cầu khác; hãy dùng khóa mới cho mỗi phản ánh mới " +
				"(this Idempotency-Key was used for another request)."}
	}
	return err
}

func checkKey(k string) *api.Error {
	if len(k) > MaxKey {
		return api.BadRequest("invalid_idempotency_key", "Idempotency-Key",
			fmt.Sprintf("Khóa Idempotency-Key dài quá %d ký tự (the Idempotency-Key is longer than %d characters).", MaxKey, MaxKey))
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return api.BadRequest("invalid_idempotency_key", "Idempotency-Key",
				"Khóa Idempotency-Key chỉ gồm chữ, số và dấu ASCII in được, không có khoảng trắng "+
					"(the Idempotency-Key must be printable ASCII without spaces).")
		}
	}
	return nil
}

// bad is a 400 refusal of a submission's field.
func bad(code, field, vi, en string) *api.Error {
	return api.BadRequest(code, field, vi+" ("+en+")")
}

// check validates the fields of a submission and makes the item from
// them (without topic, unit or deadline).
func (s *Service) check(ctx context.Context, sub *Submission) (*NewItem, error) {
	for _, f := range []struct{ name, value string }{
		{"content", sub.Content}, {"commune_code", sub.CommuneCode}, {"village_code", sub.VillageCode},
		{"level", sub.Level}, {"address", sub.Address}, {"name", sub.Name}, {"phone", sub.Phone},
		{"email", sub.Email}, {"topic", sub.Topic},
	} {
		if e := api.CheckText(f.name, f.value); e != nil {
			return nil, e
		}
	}
	n := &NewItem{}
	it := &n.Item

	it.Content = strings.TrimSpace(corpus.NFC(sub.Content))
	switch c := utf8.RuneCountInString(it.Content); {
	case c == 0:
		return nil, bad("required", "content", "Cần nhập nội dung phản ánh, kiến nghị.", "content is required")
	case c > MaxContent:
		return nil, bad("too_long", "content",
			fmt.Sprintf("Nội dung dài %d ký tự, tối đa %d ký tự.", c, MaxContent),
			fmt.Sprintf("content is %d characters long, at most %d", c, MaxContent))
	}

	commune := strings.TrimSpace(sub.CommuneCode)
	if commune == "" {
		return nil, bad("required", "commune_code", "Cần chọn xã, phường, đặc khu nơi xảy ra sự việc.", "commune_code is required")
	}
	if l, err := org.LevelOf(commune); err != nil || l != org.Commune {
		return nil, bad("invalid_code", "commune_code",
			fmt.Sprintf("Mã xã %q không hợp lệ: cần mã xã, phường, đặc khu gồm 5 chữ số, ví dụ 26734.", commune),
			fmt.Sprintf("commune_code %q is not a 5-digit commune code", commune))
	}
	province, err := s.communeProvince(ctx, commune)
	if errors.Is(err, org.ErrNotFound) {
		return nil, bad("unknown_commune", "commune_code",
			fmt.Sprintf("Không có xã, phường, đặc khu nào mã %s.", commune), fmt.Sprintf("no commune has code %s", commune))
	}
	if err != nil {
		return nil, err
	}
	it.Commune, it.Province = commune, province

	if v := strings.TrimSpace(sub.VillageCode); v != "" {
		vc, ok := org.VillageCommune(v)
		if !ok {
			return nil, bad("invalid_code", "village_code",
				fmt.Sprintf("Mã thôn, tổ dân phố %q không hợp lệ: cần dạng MÃXÃ-SỐ, ví dụ 26734-001.", v),
				fmt.Sprintf("village_code %q is not a village code such as 26734-001", v))
		}
		if vc != commune {
			return nil, bad("wrong_commune", "village_code",
				fmt.Sprintf("Thôn, tổ dân phố %s không thuộc xã %s.", v, commune),
				fmt.Sprintf("village %s is not in commune %s", v, commune))
		}
		vt, err := s.store.territories.Territory(ctx, v)
		switch {
		case errors.Is(err, org.ErrNotFound):
			return nil, bad("unknown_village", "village_code", fmt.Sprintf("Không có thôn, tổ dân phố nào mã %s.", v),
				fmt.Sprintf("no village has code %s", v))
		case err != nil:
			return nil, fmt.Errorf("feedback: village %s: %w", v, err)
		case vt.Retired():
			return nil, bad("retired_village", "village_code",
				fmt.Sprintf("Thôn, tổ dân phố %s (%s) đã ngừng hoạt động; hãy chọn thôn hiện nay.", v, vt.Name),
				fmt.Sprintf("village %s is retired", v))
		}
		it.Village = v
	}

	lvl, err := ParseLevel(strings.TrimSpace(sub.Level))
	if err != nil {
		return nil, bad("invalid_level", "level",
			fmt.Sprintf("Cấp nhận phản ánh %q không hợp lệ: chọn commune (cấp xã), province (cấp tỉnh) hoặc central (Trung ương).", sub.Level),
			"level must be commune, province or central")
	}
	it.Level = lvl

	it.Address = strings.Join(strings.Fields(corpus.NFC(sub.Address)), " ")
	if c := utf8.RuneCountInString(it.Address); c > MaxAddress {
		return nil, bad("too_long", "address", fmt.Sprintf("Địa chỉ dài %d ký tự, tối đa %d.", c, MaxAddress),
			fmt.Sprintf("address is %d characters long, at most %d", c, MaxAddress))
	}

	if e := checkPosition(sub.Lat, sub.Lon); e != nil {
		return nil, e
	}
	it.Lat, it.Lon = sub.Lat, sub.Lon

	if strings.TrimSpace(sub.Name) != "" {
		name, err := corpus.CleanName("họ tên", sub.Name, MaxName)
		if err != nil {
			return nil, bad("invalid_name", "name", err.Error(), "name is not usable")
		}
		n.Contact.Name = name
	}
	if p := strings.TrimSpace(sub.Phone); p != "" {
		phone, ok := cleanPhone(p)
		if !ok {
			return nil, bad("invalid_phone", "phone",
				fmt.Sprintf("Số điện thoại %q không hợp lệ: cần %d–%d chữ số, có thể bắt đầu bằng +.", p, minPhoneDigits, maxPhoneDigits),
				"phone must have 8 to 15 digits, optionally starting with +")
		}
		n.Contact.Phone = phone
	}
	if m := strings.TrimSpace(sub.Email); m != "" {
		email, ok := cleanEmail(m)
		if !ok {
			return nil, bad("invalid_email", "email", fmt.Sprintf("Địa chỉ email %q không hợp lệ.", m), "email is not a valid address")
		}
		n.Contact.Email = email
	}

	if t := strings.TrimSpace(sub.Topic); t != "" {
		if _, ok := s.names[t]; !ok {
			return nil, bad("unknown_topic", "topic", fmt.Sprintf("Lĩnh vực %q không có trong danh mục; các lĩnh vực: %s.", t, strings.Join(s.tax.IDs(), ", ")),
				fmt.Sprintf("topic %q is not a topic of the taxonomy", t))
		}
		it.Topic, it.TopicSource = t, TopicCitizen
	}

	if len(sub.Photos) > MaxPhotos {
		return nil, bad("too_many_photos", "photos", fmt.Sprintf("Gửi được tối đa %d ảnh, nhận được %d.", MaxPhotos, len(sub.Photos)),
			fmt.Sprintf("at most %d photos, got %d", MaxPhotos, len(sub.Photos)))
	}
	it.State = Received
	it.CreatedAt = s.now().UTC().Truncate(time.Second)
	return n, nil
}

// communeProvince returns the province of an active commune, or an error
// wrapping org.ErrNotFound when code is no commune. Communes change only
// when the official list is imported again, so the answers are kept:
// every submission asks.
func (s *Service) communeProvince(ctx context.Context, code string) (string, error) {
	if p, ok := s.communes.Load(code); ok {
		return p.(string), nil
	}
	t, err := s.store.territories.Territory(ctx, code)
	if err != nil {
		if errors.Is(err, org.ErrNotFound) {
			return "", err
		}
		return "", fmt.Errorf("feedback: commune %s: %w", code, err)
	}
	if t.Level != org.Commune || t.Retired() {
		return "", fmt.Errorf("feedback: %s is not a commune: %w", code, org.ErrNotFound)
	}
	s.communes.Store(code, t.ParentCode)
	return t.ParentCode, nil
}

func checkPosition(lat, lon *float64) *api.Error {
	switch {
	case lat == nil && lon == nil:
		return nil
	case lat == nil:
		return bad("invalid_position", "lat", "Có kinh độ (lon) thì cần cả vĩ độ (lat).", "lat is required with lon")
	case lon == nil:
		return bad("invalid_position", "lon", "Có vĩ độ (lat) thì cần cả kinh độ (lon).", "lon is required with lat")
	case math.IsNaN(*lat) || *lat < -90 || *lat > 90:
		return bad("invalid_position", "lat", "Vĩ độ (lat) phải từ -90 đến 90.", "lat must be from -90 to 90")
	case math.IsNaN(*lon) || *lon < -180 || *lon > 180:
		return bad("invalid_position", "lon", "Kinh độ (lon) phải từ -180 đến 180.", "lon must be from -180 to 180")
	}
	return nil
}

// cleanPhone keeps a phone number's digits and a leading +, refusing
// anything but digits, spaces, dots, dashes and brackets.
func cleanPhone(p string) (string, bool) {
	var b strings.Builder
	for i, r := range p {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '.' || r == '-' || r == '(' || r == ')':
		default:
			return "", false
		}
	}
	digits := strings.TrimPrefix(b.String(), "+")
	return b.String(), len(digits) >= minPhoneDigits && len(digits) <= maxPhoneDigits
}

// cleanEmail accepts one bare address (no display name), lower-casing
// its domain.
func cleanEmail(m string) (string, bool) {
	if len(m) > MaxEmail {
		return "", false
	}
	a, err := mail.ParseAddress(m)
	if err != nil || a.Address != m || a.Name != "" {
		return "", false
	}
	local, domain, ok := strings.Cut(m, "@")
	if !ok || !strings.Contains(domain, ".") {
		return "", false
	}
	return local + "@" + strings.ToLower(domain), true
}

// tag sets the item's topic from the classifier: the classifier's topic
// when the citizen chose none; the citizen's kept, with the classifier's
// confidence in it, when they did. Flagged when that confidence is below
// the threshold, or when there is no classifier yet (topic_source stays
// pending for a citizen who chose none, for TagPending).
func (s *Service) tag(ctx context.Context, it *Item) {
	c := s.Classifier()
	if c == nil {
		it.TopicFlagged = true
		return
	}
	res, err := c.Classify(ctx, it.Content)
	if err != nil {
		s.log.WarnContext(ctx, "feedback: classify failed; left for an officer", "err", err)
		it.TopicFlagged = true
		return
	}
	applyResult(it, res, s.threshold)
}

// applyResult records a classification on an item.
func applyResult(it *Item, res topic.Result, threshold float64) {
	if it.TopicSource == TopicCitizen {
		it.TopicConfidence = confidenceIn(res, it.Topic)
	} else {
		it.Topic, it.TopicConfidence, it.TopicSource = res.Topic, res.Confidence, TopicClassifier
	}
	it.TopicFlagged = it.TopicConfidence < threshold
}

// confidenceIn is the classifier's probability of topic id, 0 when it is
// not among those it gave.
func confidenceIn(res topic.Result, id string) float64 {
	if res.Topic == id {
		return res.Confidence
	}
	for _, r := range res.RunnersUp {
		if r.Topic == id {
			return r.Score
		}
	}
	return 0
}

// route sets the receiving unit, its territory's path and the deadline.
func (s *Service) route(it *Item) {
	level := s.rules.ReceivingLevel(it.Level, it.Topic)
	it.Unit = s.rules.Route(it.Level, it.Topic, it.Commune, it.Province)
	// The tree's paths: VN/, VN/PROVINCE/, VN/PROVINCE/COMMUNE/.
	switch level {
	case LevelCentral:
		it.UnitPath = org.CentralCode + "/"
	case LevelProvince:
		it.UnitPath = org.CentralCode + "/" + it.Province + "/"
	default:
		it.UnitPath = org.CentralCode + "/" + it.Province + "/" + it.Commune + "/"
	}
	// Times are stored to the second.
	it.DueAt = s.rules.Due(s.cal, it.CreatedAt, it.Topic, level).Truncate(time.Second)
}
