package feedback

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/feedback/redact"
)

// Publication. Personal data is taken out of what the public may read
// before anyone reviews it: at intake public_text is the content with
// personal data found by feedback/redact replaced, the submitter's own
// name, phone and email among them; whenever an answer is given or
// changed public_answer is the answer redacted the same way (officers
// quote what they were sent). Nothing is public until an officer of the
// item's unit has reviewed both — redacting more, or giving back what was
// taken wrongly — and published the item, which only an answered or
// closed item can be. A photo is public only when that officer marks it
// so, and only while its item is published. An answer changed after
// publication takes the item off the public pages until it is reviewed
// again.

// The limits of what an officer publishes, in characters: redaction makes
// a text longer ("[số điện thoại]"), so they exceed MaxContent.
const (
	MaxPublicText   = 2 * MaxContent
	MaxPublicAnswer = 20000
)

// Publication is an item's publication as an officer reviews it: what was
// written, what the public would read, and what is public now.
type Publication struct {
	ItemID       int64  `json:"item_id"`
	TrackingCode string `json:"tracking_code"`
	State        State  `json:"state"`
	StateLabel   string `json:"state_label"`
	Unit         string `json:"unit"`
	// Content and Answer are as written, for the officer to compare.
	Content string `json:"content"`
	Answer  string `json:"answer"`
	// PublicText and PublicAnswer are what the public reads once the item
	// is published: as an officer last saved them, or the automatic
	// redaction until then.
	PublicText   string `json:"public_text"`
	PublicAnswer string `json:"public_answer"`
	// Reviewed: an officer saved the public text and answer since the
	// answer last changed.
	Reviewed    bool       `json:"reviewed"`
	Published   bool       `json:"published"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
	// CanPublish: the item is answered or closed.
	CanPublish bool               `json:"can_publish"`
	Photos     []PublicationPhoto `json:"photos"`
	// Found is the personal data found in Content and Answer; Remaining
	// what is still found in PublicText and PublicAnswer, for the officer
	// to look at twice (a street named after a person is found too).
	Found     []Finding `json:"found"`
	Remaining []Finding `json:"remaining"`

	contact Contact
}

// PublicationPhoto is one of an item's photos and whether it is public.
type PublicationPhoto struct {
	Seq         int    `json:"seq"`
	Public      bool   `json:"public"`
	ContentType string `json:"content_type"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
}

// Finding is personal data found in one of the texts: field is content,
// answer, public_text or public_answer; Start and End are byte offsets.
type Finding struct {
	Field string `json:"field"`
	Kind  string `json:"kind"`
	Start int    `json:"start"`
	End   int    `json:"end"`
	Text  string `json:"text"`
}

// PublishRequest is an officer's decision, the body of POST
// /api/v1/feedback/items/{id}/publication: a field left out keeps what is
// there. Saving is reviewing: the item counts as reviewed afterwards.
type PublishRequest struct {
	PublicText   *string       `json:"public_text"`
	PublicAnswer *string       `json:"public_answer"`
	Published    *bool         `json:"published"`
	Photos       []PhotoChoice `json:"photos"`
}

// PhotoChoice makes one photo public or not.
type PhotoChoice struct {
	Seq    int  `json:"seq"`
	Public bool `json:"public"`
}

// publicFields are the public columns of an item that Item does not hold.
type publicFields struct {
	answer   sql.NullString
	reviewed bool
}

func (s *Store) publicFields(ctx context.Context, q Querier, id int64) (publicFields, error) {
	var f publicFields
	err := q.QueryRowContext(ctx, `SELECT public_answer, public_reviewed FROM feedback_items WHERE id = $1`, id).
		Scan(&f.answer, &f.reviewed)
	if errors.Is(err, sql.ErrNoRows) {
		return f, fmt.Errorf("feedback: item %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return f, fmt.Errorf("feedback: public fields of item %d: %w", id, err)
	}
	return f, nil
}

// contactIn is Contact read on q (within a transaction).
func contactIn(ctx context.Context, q Querier, itemID int64) (Contact, error) {
	var c Contact
	err := q.QueryRowContext(ctx, `SELECT name, phone, email FROM feedback_contacts WHERE item_id = $1`, itemID).
		Scan(&c.Name, &c.Phone, &c.Email)
	if errors.Is(err, sql.ErrNoRows) {
		return Contact{}, nil
	}
	if err != nil {
		return c, fmt.Errorf("feedback: contact of item %d: %w", itemID, err)
	}
	return c, nil
}

// redactFor removes personal data from s, the submitter's contact
// included.
func redactFor(s string, c Contact) string {
	return redact.Text(s, c.Name, c.Phone, c.Email)
}

// PublicTextOf is the text to store as an item's public_text at intake:
// its content without personal data, the submitter's own included.
func PublicTextOf(content string, c Contact) string { return redactFor(content, c) }

// syncPublic runs within Update once the item is written: when the
// answer changed, its public form is redacted afresh and counts as not
// reviewed, and an item that was published is taken off the public pages
// (with an event saying why) until an officer reviews it again.
func (s *Store) syncPublic(ctx context.Context, tx Querier, before, it *Item, now time.Time) error {
	if it.Answer == before.Answer {
		return nil
	}
	c, err := contactIn(ctx, tx, it.ID)
	if err != nil {
		return err
	}
	var answer any
	if strings.TrimSpace(it.Answer) != "" {
		answer = redactFor(it.Answer, c)
	}
	unpublish := it.Published
	if unpublish {
		it.Published, it.PublishedAt = false, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE feedback_items SET public_answer = $2, public_reviewed = $3, published = $4,
			published_at = $5 WHERE id = $1`, it.ID, answer, false, it.Published, nullTime(it.PublishedAt)); err != nil {
		return fmt.Errorf("feedback: public answer of item %d: %w", it.ID, err)
	}
	if unpublish {
		return s.AddEvent(ctx, tx, Event{ItemID: it.ID, At: now, Actor: "system", Action: "unpublish",
			Detail: "Câu trả lời đã thay đổi: cần duyệt lại trước khi công khai (the answer changed: review it again before publishing)"})
	}
	return nil
}

// PublicAnswer is an item's answer as anyone may read it: the answer
// without personal data, once the item is answered or closed; "" before.
func (s *Store) PublicAnswer(ctx context.Context, it *Item) (string, error) {
	if it.State != Answered && it.State != Closed || strings.TrimSpace(it.Answer) == "" {
		return "", nil
	}
	f, err := s.publicFields(ctx, s.db, it.ID)
	if err != nil {
		return "", err
	}
	if f.answer.Valid {
		return f.answer.String, nil
	}
	// Answered before the public answer was kept: redact it now.
	c, err := s.Contact(ctx, it.ID)
	if err != nil {
		return "", err
	}
	return redactFor(it.Answer, c), nil
}

// Publication returns an item's publication for an officer to review.
func (s *Service) Publication(ctx context.Context, id int64) (Publication, error) {
	it, err := s.store.Item(ctx, id)
	if err != nil {
		return Publication{}, err
	}
	return s.publication(ctx, s.store.db, &it)
}

func (s *Service) publication(ctx context.Context, q Querier, it *Item) (Publication, error) {
	f, err := s.store.publicFields(ctx, q, it.ID)
	if err != nil {
		return Publication{}, err
	}
	c, err := contactIn(ctx, q, it.ID)
	if err != nil {
		return Publication{}, err
	}
	p := Publication{ItemID: it.ID, TrackingCode: FormatCode(it.Code), State: it.State, StateLabel: it.State.Label(),
		Unit: it.Unit, Content: it.Content, Answer: it.Answer, Reviewed: f.reviewed, Published: it.Published,
		PublishedAt: it.PublishedAt, CanPublish: it.State == Answered || it.State == Closed, contact: c}
	if it.PublicText != nil {
		p.PublicText = *it.PublicText
	} else {
		p.PublicText = redactFor(it.Content, c)
	}
	if f.answer.Valid {
		p.PublicAnswer = f.answer.String
	} else if strings.TrimSpace(it.Answer) != "" {
		p.PublicAnswer = redactFor(it.Answer, c)
	}
	photos, err := photosIn(ctx, q, it.ID)
	if err != nil {
		return Publication{}, err
	}
	p.Photos = make([]PublicationPhoto, len(photos))
	for i, ph := range photos {
		p.Photos[i] = PublicationPhoto{Seq: ph.Seq, Public: ph.Public, ContentType: ph.ContentType, Width: ph.Width, Height: ph.Height}
	}
	p.Found = append(findings("content", p.Content), findings("answer", p.Answer)...)
	p.Remaining = append(findings("public_text", p.PublicText), findings("public_answer", p.PublicAnswer)...)
	return p, nil
}

func findings(field, s string) []Finding {
	out := []Finding{}
	for _, sp := range redact.Find(s) {
		out = append(out, Finding{Field: field, Kind: sp.Kind.String(), Start: sp.Start, End: sp.End, Text: s[sp.Start:sp.End]})
	}
	return out
}

// photosIn is Store.Photos read on q.
func photosIn(ctx context.Context, q Querier, itemID int64) ([]Photo, error) {
	rows, err := q.QueryContext(ctx, `SELECT item_id, seq, content_type, width, height, size, blob_key, thumb_key,
		thumb_type, public FROM feedback_photos WHERE item_id = $1 ORDER BY seq`, itemID)
	if err != nil {
		return nil, fmt.Errorf("feedback: photos of item %d: %w", itemID, err)
	}
	defer rows.Close()
	out := []Photo{}
	for rows.Next() {
		var p Photo
		if err := rows.Scan(&p.ItemID, &p.Seq, &p.ContentType, &p.Width, &p.Height, &p.Size, &p.BlobKey, &p.ThumbKey,
			&p.ThumbType, &p.Public); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Publish saves an officer's review of an item's publication — the public
// text and answer as edited, which photos are public, whether the item is
// published — as one update with its history event (action "publish",
// saying what changed). A refusal is an *api.Error naming the field:
// publishing an item that is not answered or closed (409 not_answered),
// an empty text or answer, a text still holding the submitter's name,
// phone or email, a photo that does not exist; nothing is saved then.
func (s *Service) Publish(ctx context.Context, id int64, req PublishRequest, ch Change) (Publication, error) {
	if e := checkPublish(&req); e != nil {
		return Publication{}, e
	}
	ch.Action = "publish"
	// The history event says what changed, and Update writes it from ch:
	// the change is worked out from a read before the update and applied
	// only if the update finds the same publication; else read again.
	for try := 0; ; try++ {
		pre, err := s.Publication(ctx, id)
		if err != nil {
			return Publication{}, err
		}
		next, detail, e := pre.apply(req, s.now().UTC().Truncate(time.Second))
		if e != nil {
			return Publication{}, e
		}
		ch.Detail = detail
		_, err = s.store.Update(ctx, id, ch, func(ctx context.Context, tx Querier, it *Item) error {
			cur, err := s.publication(ctx, tx, it)
			if err != nil {
				return err
			}
			if !cur.same(&pre) {
				return errStale
			}
			for i, ph := range next.Photos {
				if ph.Public != pre.Photos[i].Public {
					if _, err := tx.ExecContext(ctx, `UPDATE feedback_photos SET public = $3 WHERE item_id = $1 AND seq = $2`,
						it.ID, ph.Seq, ph.Public); err != nil {
						return fmt.Errorf("feedback: photo %d of item %d: %w", ph.Seq, it.ID, err)
					}
				}
			}
			it.Published, it.PublishedAt, it.PublicText = next.Published, next.PublishedAt, &next.PublicText
			search, err := s.publicSearch(ctx, it, next.PublicText, next.PublicAnswer)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE feedback_items SET public_answer = $2, public_reviewed = $3,
					public_search = $4 WHERE id = $1`, it.ID, nullIfEmpty(next.PublicAnswer), true, search); err != nil {
				return fmt.Errorf("feedback: publication of item %d: %w", it.ID, err)
			}
			return nil
		})
		if errors.Is(err, errStale) {
			if try < 3 {
				continue
			}
			return Publication{}, &api.Error{Status: http.StatusConflict, Code: "conflict", Field: "",
				Message: "Phản ánh đang được người khác cập nhật; hãy tải lại trang rồi thử lại (the item is being updated by someone else; reload and retry)."}
		}
		if err != nil {
			return Publication{}, err
		}
		return next, nil
	}
}

// errStale: the publication changed between the read and the update.
var errStale = errors.New("feedback: publication changed meanwhile")

// same reports whether two reads of a publication agree on all that a
// review changes or depends on.
func (p *Publication) same(o *Publication) bool {
	if p.PublicText != o.PublicText || p.PublicAnswer != o.PublicAnswer || p.Published != o.Published ||
		p.State != o.State || p.Answer != o.Answer || len(p.Photos) != len(o.Photos) {
		return false
	}
	for i := range p.Photos {
		if p.Photos[i] != o.Photos[i] {
			return false
		}
	}
	return true
}

// apply works out the publication req makes of p at now, and the history
// event's detail: what changed, in Vietnamese.
func (p Publication) apply(req PublishRequest, now time.Time) (Publication, string, *api.Error) {
	next := p
	next.Photos = append([]PublicationPhoto(nil), p.Photos...)
	if req.PublicText != nil {
		next.PublicText = *req.PublicText
	}
	if req.PublicAnswer != nil {
		next.PublicAnswer = *req.PublicAnswer
	}
	if req.Published != nil {
		next.Published = *req.Published
	}
	if e := leftContact("public_text", next.PublicText, p.contact); e != nil {
		return p, "", e
	}
	if e := leftContact("public_answer", next.PublicAnswer, p.contact); e != nil {
		return p, "", e
	}
	if next.Published {
		switch {
		case !p.CanPublish:
			return p, "", &api.Error{Status: http.StatusConflict, Code: "not_answered", Field: "published",
				Message: fmt.Sprintf("Chỉ công khai được phản ánh đã trả lời hoặc đã kết thúc; phản ánh này đang ở trạng thái “%s” "+
					"(only an answered or closed item can be published).", p.State.Label())}
		case next.PublicText == "":
			return p, "", bad("required", "public_text", "Cần nội dung phản ánh để công khai.", "public_text is required to publish")
		case next.PublicAnswer == "":
			return p, "", bad("required", "public_answer", "Cần nội dung trả lời để công khai.", "public_answer is required to publish")
		}
	}
	var changes []string
	switch {
	case next.Published && !p.Published:
		next.PublishedAt = &now
		changes = append(changes, "công khai")
	case !next.Published && p.Published:
		next.PublishedAt = nil
		changes = append(changes, "thôi công khai")
	}
	if next.PublicText != p.PublicText {
		changes = append(changes, "sửa nội dung công khai")
	}
	if next.PublicAnswer != p.PublicAnswer {
		changes = append(changes, "sửa trả lời công khai")
	}
	for i, pc := range req.Photos {
		k := -1
		for j := range next.Photos {
			if next.Photos[j].Seq == pc.Seq {
				k = j
			}
		}
		if k < 0 {
			return p, "", bad("unknown_photo", fmt.Sprintf("photos[%d].seq", i), fmt.Sprintf("Phản ánh không có ảnh số %d.", pc.Seq),
				fmt.Sprintf("the item has no photo %d", pc.Seq))
		}
		if next.Photos[k].Public != pc.Public {
			next.Photos[k].Public = pc.Public
			word := "ẩn"
			if pc.Public {
				word = "công khai"
			}
			changes = append(changes, fmt.Sprintf("ảnh %d: %s", pc.Seq, word))
		}
	}
	if len(changes) == 0 {
		changes = append(changes, "duyệt, không thay đổi")
	}
	next.Reviewed = true
	next.Remaining = append(findings("public_text", next.PublicText), findings("public_answer", next.PublicAnswer)...)
	return next, strings.Join(changes, "; "), nil
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// checkPublish refuses what no review may save: text that is not text,
// or too long.
func checkPublish(req *PublishRequest) *api.Error {
	for _, f := range []struct {
		name string
		v    *string
		max  int
	}{{"public_text", req.PublicText, MaxPublicText}, {"public_answer", req.PublicAnswer, MaxPublicAnswer}} {
		if f.v == nil {
			continue
		}
		if e := api.CheckText(f.name, *f.v); e != nil {
			return e
		}
		*f.v = strings.TrimSpace(corpus.NFC(*f.v))
		if n := utf8.RuneCountInString(*f.v); n > f.max {
			return bad("too_long", f.name, fmt.Sprintf("Nội dung dài %d ký tự, tối đa %d ký tự.", n, f.max),
				fmt.Sprintf("%s is %d characters long, at most %d", f.name, n, f.max))
		}
	}
	seen := map[int]bool{}
	for i, p := range req.Photos {
		if seen[p.Seq] {
			return bad("duplicate_photo", "photos["+strconv.Itoa(i)+"].seq", fmt.Sprintf("Ảnh số %d được chọn hai lần.", p.Seq),
				fmt.Sprintf("photo %d is given twice", p.Seq))
		}
		seen[p.Seq] = true
	}
	return nil
}

// leftContact refuses a public text that still holds the submitter's own
// phone, email or name (of two words or more: a one-word name is also a
// common word, and the automatic redaction already took it out).
func leftContact(field, text string, c Contact) *api.Error {
	secrets := []string{c.Phone, c.Email}
	if len(strings.Fields(c.Name)) >= 2 {
		secrets = append(secrets, c.Name)
	}
	for _, l := range redact.Leaks(text, secrets) {
		what, en := "họ tên", "name"
		switch l {
		case c.Phone:
			what, en = "số điện thoại", "phone number"
		case c.Email:
			what, en = "email", "email"
		}
		return bad("contains_contact", field,
			fmt.Sprintf("Nội dung công khai còn chứa %s của người gửi; hãy xoá hoặc thay bằng dấu ẩn.", what),
			"the public text still contains the submitter's "+en)
	}
	return nil
}

// publicSearch is what the public list is searched by: the folded words
// of the public text and answer and of the place's names, between spaces,
// without the placeholders redact left for what it took out.
func (s *Service) publicSearch(ctx context.Context, it *Item, text, answer string) (string, error) {
	parts := []string{text, answer}
	for _, code := range []string{it.Commune, it.Province} {
		t, err := s.store.territories.Territory(ctx, code)
		if err != nil {
			return "", fmt.Errorf("feedback: publication of item %d: territory %s: %w", it.ID, code, err)
		}
		parts = append(parts, t.Name)
	}
	return searchKey(strings.Join(parts, "\n")), nil
}

// redactionMarks are the placeholders redact leaves, which search should not find.
var redactionMarks = func() []string {
	var out []string
	for _, k := range []redact.Kind{redact.Name, redact.Phone, redact.Email, redact.IDNumber, redact.BankAccount, redact.HouseNumber} {
		out = append(out, k.Placeholder())
	}
	return out
}()

// searchKey folds s for the public search: " o nhiem moi truong ".
func searchKey(s string) string {
	for _, p := range redactionMarks {
		s = strings.ReplaceAll(s, p, " ")
	}
	terms := corpus.Terms(s)
	if len(terms) == 0 {
		return ""
	}
	return " " + strings.Join(terms, " ") + " "
}
