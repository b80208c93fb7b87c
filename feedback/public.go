package feedback

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/org"
)

// PublicItem is all that the public pages, the public API and the feed
// read of a published item: the public text and answer (without personal
// data, as an officer reviewed them), the place down to the commune, the
// topic, the receiving unit, the state and the dates, and the photos the
// officer made public. Never the content as sent, the contact, the
// village, address or position, the tracking code or internal notes: the
// query that reads it does not select them.
type PublicItem struct {
	ID           int64         `json:"id"`
	URL          string        `json:"url"`
	Text         string        `json:"text"`
	Gist         string        `json:"gist"`
	Topic        string        `json:"topic"`
	TopicName    string        `json:"topic_name"`
	Province     string        `json:"province"`
	ProvinceName string        `json:"province_name"`
	Commune      string        `json:"commune"`
	CommuneName  string        `json:"commune_name"`
	Unit         string        `json:"unit"`
	UnitName     string        `json:"unit_name"`
	Status       State         `json:"status"`
	StatusLabel  string        `json:"status_label"`
	Outcome      Outcome       `json:"outcome,omitempty"`
	OutcomeLabel string        `json:"outcome_label,omitempty"`
	Answer       string        `json:"answer"`
	SubmittedOn  string        `json:"submitted_on"` // the day it was received, in Vietnam: 2026-03-02
	AnsweredAt   time.Time     `json:"answered_at"`
	ClosedAt     *time.Time    `json:"closed_at,omitempty"`
	Photos       []PublicPhoto `json:"photos"`

	submitted time.Time
}

// Submitted is the day the item was received (midnight in Vietnam), for
// the pages.
func (p PublicItem) Submitted() time.Time { return p.submitted }

// AnswerGist is the answer shortened for a list.
func (p PublicItem) AnswerGist() string { return gist(p.Answer, GistLength) }

// PublicPhoto is a photo an officer made public, and its thumbnail.
type PublicPhoto struct {
	Seq      int    `json:"seq"`
	URL      string `json:"url"`
	ThumbURL string `json:"thumb_url"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
}

// PublicURL is the public page of a published item.
func PublicURL(id int64) string { return "/phan-anh/tra-loi/" + strconv.FormatInt(id, 10) }

// PublicPhotoURL is a public photo of a published item, or its thumbnail.
func PublicPhotoURL(id int64, seq int, thumb bool) string {
	u := PublicURL(id) + "/anh/" + strconv.Itoa(seq)
	if thumb {
		u += "/nho"
	}
	return u
}

// GistLength is how many characters of the public text a list shows.
const GistLength = 280

// gist shortens s to about n characters, at a word.
func gist(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	cut := string(r)
	if i := strings.LastIndexByte(cut, ' '); i > len(cut)/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,.;:-") + "…"
}

// PublicQuery selects published items: a search without diacritics in
// their text, answer and place, filters, and a page.
type PublicQuery struct {
	Q        string
	Province string
	Commune  string
	Topic    string
	Before   Cursor // the previous page's Next; zero starts at the newest
	Limit    int    // 1 to MaxPublicList; 0 means DefaultPublicList
}

// The page size of the public list.
const (
	DefaultPublicList = 20
	MaxPublicList     = 50
	maxPublicQuery    = 200 // characters of q
	maxPublicTerms    = 10
)

// Cursor is a place in the public list, newest answers first: the
// answer's time and the item's id. Its text form is "unix-id".
type Cursor struct {
	At int64
	ID int64
}

// IsZero reports whether c is the start of the list.
func (c Cursor) IsZero() bool { return c.ID == 0 }

func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	return strconv.FormatInt(c.At, 10) + "-" + strconv.FormatInt(c.ID, 10)
}

// ParseCursor reads a Cursor's text form.
func ParseCursor(s string) (Cursor, bool) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return Cursor{}, false
	}
	at, err1 := strconv.ParseInt(a, 10, 64)
	id, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || at < 0 || id <= 0 {
		return Cursor{}, false
	}
	return Cursor{At: at, ID: id}, true
}

// PublicPage is one page of the public list.
type PublicPage struct {
	Items []PublicItem `json:"items"`
	// Next is the before= of the next page, "" when this is the last.
	Next string `json:"next"`
}

// publicColumns are the columns a public reader selects: nothing else of
// an item may reach the public.
const publicColumns = `id, public_text, public_answer, province, commune, unit, topic, state, outcome, created_at,
	answered_at, closed_at`

// publicWhere is what makes an item public (PublicPhoto says it again
// of the photo's item).
const publicWhere = `published = $1 AND state IN ('answered', 'closed') AND public_text IS NOT NULL AND public_answer IS NOT NULL`

type publicRow struct {
	id                      int64
	text, answer            string
	province, commune, unit string
	topic                   string
	state                   State
	outcome                 Outcome
	created, answered       int64
	closed                  sql.NullInt64
}

func scanPublic(sc scanner) (publicRow, error) {
	var r publicRow
	var state, outcome string
	var answered sql.NullInt64
	err := sc.Scan(&r.id, &r.text, &r.answer, &r.province, &r.commune, &r.unit, &r.topic, &state, &outcome,
		&r.created, &answered, &r.closed)
	r.state, r.outcome, r.answered = State(state), Outcome(outcome), answered.Int64
	return r, err
}

// published returns a page of published items matching q, newest answers
// first; q is checked.
func (s *Store) published(ctx context.Context, q PublicQuery) ([]publicRow, Cursor, error) {
	args := []any{true}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	where := []string{publicWhere}
	for _, term := range publicTerms(q.Q) {
		// Terms are letters and digits only: no LIKE wildcard among them.
		where = append(where, "public_search LIKE "+arg("% "+term+" %"))
	}
	if q.Province != "" {
		where = append(where, "province = "+arg(q.Province))
	}
	if q.Commune != "" {
		where = append(where, "commune = "+arg(q.Commune))
	}
	if q.Topic != "" {
		where = append(where, "topic = "+arg(q.Topic))
	}
	if !q.Before.IsZero() {
		at, id := arg(q.Before.At), arg(q.Before.ID)
		where = append(where, "(answered_at < "+at+" OR (answered_at = "+at+" AND id < "+id+"))")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultPublicList
	}
	limit = min(limit, MaxPublicList)
	rows, err := s.db.QueryContext(ctx, `SELECT `+publicColumns+` FROM feedback_items WHERE `+strings.Join(where, " AND ")+
		` ORDER BY answered_at DESC, id DESC LIMIT `+arg(limit+1), args...)
	if err != nil {
		return nil, Cursor{}, fmt.Errorf("feedback: public list: %w", err)
	}
	defer rows.Close()
	var out []publicRow
	for rows.Next() {
		r, err := scanPublic(rows)
		if err != nil {
			return nil, Cursor{}, fmt.Errorf("feedback: public list: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, Cursor{}, fmt.Errorf("feedback: public list: %w", err)
	}
	var next Cursor
	if len(out) > limit {
		out = out[:limit]
		next = Cursor{At: out[limit-1].answered, ID: out[limit-1].id}
	}
	return out, next, nil
}

// publicTerms are the folded words of a search, at most maxPublicTerms.
func publicTerms(q string) []string {
	terms := corpus.Terms(q)
	if len(terms) > maxPublicTerms {
		terms = terms[:maxPublicTerms]
	}
	return terms
}

// publishedItem returns one published item, or ErrNotFound.
func (s *Store) publishedItem(ctx context.Context, id int64) (publicRow, error) {
	r, err := scanPublic(s.db.QueryRowContext(ctx, `SELECT `+publicColumns+` FROM feedback_items WHERE `+publicWhere+
		` AND id = $2`, true, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("feedback: published item %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("feedback: published item %d: %w", id, err)
	}
	return r, nil
}

// publicPhotos returns the photos of an item that are public (of a
// published item: the caller read it as published).
func (s *Store) publicPhotos(ctx context.Context, id int64) ([]PublicPhoto, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, width, height FROM feedback_photos WHERE item_id = $1 AND public = $2
		ORDER BY seq`, id, true)
	if err != nil {
		return nil, fmt.Errorf("feedback: public photos of item %d: %w", id, err)
	}
	defer rows.Close()
	out := []PublicPhoto{}
	for rows.Next() {
		p := PublicPhoto{}
		if err := rows.Scan(&p.Seq, &p.Width, &p.Height); err != nil {
			return nil, err
		}
		p.URL, p.ThumbURL = PublicPhotoURL(id, p.Seq, false), PublicPhotoURL(id, p.Seq, true)
		out = append(out, p)
	}
	return out, rows.Err()
}

// PublicPhoto returns a photo (or its thumbnail) that the public may see —
// marked public, of a published item — with its content type and a tag
// that changes with its bytes; ErrNotFound for any other.
func (s *Store) PublicPhoto(ctx context.Context, id int64, seq int, thumb bool) (data []byte, contentType, etag string, err error) {
	var blob, thumbKey, ct, thumbType string
	err = s.db.QueryRowContext(ctx, `SELECT p.blob_key, p.thumb_key, p.content_type, p.thumb_type
		FROM feedback_photos p JOIN feedback_items i ON i.id = p.item_id
		WHERE p.item_id = $2 AND p.seq = $3 AND p.public = $1 AND i.published = $1 AND i.state IN ('answered', 'closed')
			AND i.public_text IS NOT NULL AND i.public_answer IS NOT NULL`,
		true, id, seq).Scan(&blob, &thumbKey, &ct, &thumbType)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", "", fmt.Errorf("feedback: public photo %d/%d: %w", id, seq, ErrNotFound)
	}
	if err != nil {
		return nil, "", "", fmt.Errorf("feedback: public photo %d/%d: %w", id, seq, err)
	}
	key := blob
	if thumb {
		key, ct = thumbKey, thumbType
	}
	data, err = s.blobs.Get(ctx, key)
	return data, ct, `"` + key + `"`, err
}

// PublicList returns a page of the published items matching q, newest
// answers first. Check q with CheckPublicQuery first.
func (s *Service) PublicList(ctx context.Context, q PublicQuery) (PublicPage, error) {
	rows, next, err := s.store.published(ctx, q)
	if err != nil {
		return PublicPage{}, err
	}
	names := newPublicNames(s)
	p := PublicPage{Items: make([]PublicItem, 0, len(rows)), Next: next.String()}
	for _, r := range rows {
		it, err := s.publicItem(ctx, names, r)
		if err != nil {
			return PublicPage{}, err
		}
		p.Items = append(p.Items, it)
	}
	return p, nil
}

// PublishedItem returns a published item, or an error wrapping
// ErrNotFound for any item that is not published.
func (s *Service) PublishedItem(ctx context.Context, id int64) (PublicItem, error) {
	r, err := s.store.publishedItem(ctx, id)
	if err != nil {
		return PublicItem{}, err
	}
	return s.publicItem(ctx, newPublicNames(s), r)
}

func (s *Service) publicItem(ctx context.Context, names *publicNames, r publicRow) (PublicItem, error) {
	local := func(u int64) time.Time { return unix(u).In(Vietnam) }
	day := local(r.created)
	it := PublicItem{ID: r.id, URL: PublicURL(r.id), Text: r.text, Gist: gist(r.text, GistLength), Topic: r.topic,
		TopicName: s.names[r.topic], Province: r.province, Commune: r.commune, Unit: r.unit, Status: r.state,
		StatusLabel: r.state.Label(), Answer: r.answer, SubmittedOn: day.Format(time.DateOnly), AnsweredAt: local(r.answered),
		submitted: time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, Vietnam)}
	if r.state == Closed {
		it.Outcome, it.OutcomeLabel = r.outcome, r.outcome.Label()
		if r.closed.Valid {
			c := local(r.closed.Int64)
			it.ClosedAt = &c
		}
	}
	var err error
	if it.ProvinceName, err = names.territory(ctx, r.province); err != nil {
		return it, err
	}
	if it.CommuneName, err = names.territory(ctx, r.commune); err != nil {
		return it, err
	}
	if it.UnitName, err = names.unit(ctx, r.unit); err != nil {
		return it, err
	}
	if it.Photos, err = s.store.publicPhotos(ctx, r.id); err != nil {
		return it, err
	}
	return it, nil
}

// publicNames looks up the names of territories and units once per listing.
type publicNames struct {
	s     *Service
	names map[string]string
}

func newPublicNames(s *Service) *publicNames { return &publicNames{s: s, names: map[string]string{}} }

func (n *publicNames) territory(ctx context.Context, code string) (string, error) {
	if v, ok := n.names[code]; ok {
		return v, nil
	}
	t, err := n.s.store.territories.Territory(ctx, code)
	if err != nil {
		return "", fmt.Errorf("feedback: territory %s: %w", code, err)
	}
	n.names[code] = t.Name
	return t.Name, nil
}

func (n *publicNames) unit(ctx context.Context, id string) (string, error) {
	if v, ok := n.names["unit:"+id]; ok {
		return v, nil
	}
	u, err := org.ParseUnit(id)
	if err != nil {
		return "", nil // a unit the tree cannot name is shown by its id
	}
	t, err := n.s.store.territories.Territory(ctx, u.Territory)
	if err != nil {
		return "", fmt.Errorf("feedback: unit %s: %w", id, err)
	}
	name := org.UnitName(t, u.Org)
	n.names["unit:"+id] = name
	return name, nil
}

// CheckPublicQuery reads a query of the public list from URL parameters
// (q, province, commune, topic, before, limit), refusing with an
// *api.Error naming the parameter: a code that is not a province's or a
// commune's, or that no territory has, a commune outside the province, a
// topic not in the taxonomy, a cursor or limit that is not one.
func (s *Service) CheckPublicQuery(ctx context.Context, v url.Values) (PublicQuery, error) {
	var q PublicQuery
	for _, name := range []string{"q", "province", "commune", "topic", "before", "limit"} {
		if e := api.CheckQuery(name, v.Get(name)); e != nil {
			return q, e
		}
	}
	q.Q = strings.TrimSpace(corpus.NFC(v.Get("q")))
	if n := utf8.RuneCountInString(q.Q); n > maxPublicQuery {
		return q, bad("too_long", "q", fmt.Sprintf("Từ khoá dài %d ký tự, tối đa %d.", n, maxPublicQuery),
			fmt.Sprintf("q is %d characters long, at most %d", n, maxPublicQuery))
	}
	q.Province, q.Commune, q.Topic = strings.TrimSpace(v.Get("province")), strings.TrimSpace(v.Get("commune")), strings.TrimSpace(v.Get("topic"))
	if q.Province != "" {
		if _, err := s.territoryOf(ctx, "province", q.Province, org.Province, "tỉnh, thành phố", "2 chữ số, ví dụ 79"); err != nil {
			return q, err
		}
	}
	if q.Commune != "" {
		t, err := s.territoryOf(ctx, "commune", q.Commune, org.Commune, "xã, phường, đặc khu", "5 chữ số, ví dụ 26734")
		if err != nil {
			return q, err
		}
		if q.Province != "" && t.ParentCode != q.Province {
			return q, bad("wrong_province", "commune", fmt.Sprintf("%s không thuộc tỉnh, thành phố %s.", t.Name, q.Province),
				fmt.Sprintf("commune %s is not in province %s", q.Commune, q.Province))
		}
	}
	if q.Topic != "" {
		if _, ok := s.names[q.Topic]; !ok {
			return q, bad("unknown_topic", "topic", fmt.Sprintf("Lĩnh vực %q không có trong danh mục.", q.Topic),
				fmt.Sprintf("topic %q is not a topic of the taxonomy", q.Topic))
		}
	}
	if b := strings.TrimSpace(v.Get("before")); b != "" {
		c, ok := ParseCursor(b)
		if !ok {
			return q, bad("invalid_cursor", "before", "Tham số before không hợp lệ: dùng giá trị next của trang trước.",
				"before must be the next value of the previous page")
		}
		q.Before = c
	}
	if l := strings.TrimSpace(v.Get("limit")); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxPublicList {
			return q, bad("invalid_limit", "limit", fmt.Sprintf("limit phải là số từ 1 đến %d.", MaxPublicList),
				fmt.Sprintf("limit must be a number from 1 to %d", MaxPublicList))
		}
		q.Limit = n
	}
	return q, nil
}

// territoryOf returns the territory with code, which must be of level;
// an *api.Error naming field when it is not.
func (s *Service) territoryOf(ctx context.Context, field, code string, level org.Level, what, form string) (org.Territory, error) {
	if l, err := org.LevelOf(code); err != nil || l != level {
		return org.Territory{}, bad("invalid_code", field, fmt.Sprintf("Mã %s %q không hợp lệ: cần %s.", what, code, form),
			fmt.Sprintf("%s %q is not a code of that level", field, code))
	}
	t, err := s.store.territories.Territory(ctx, code)
	if errors.Is(err, org.ErrNotFound) {
		return t, bad("unknown_"+field, field, fmt.Sprintf("Không có %s nào mã %s.", what, code),
			fmt.Sprintf("no %s has code %s", field, code))
	}
	if err != nil {
		return t, fmt.Errorf("feedback: territory %s: %w", code, err)
	}
	return t, nil
}
