package assistant

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/store"
)

// Limits of what staff type into a conversation.
const (
	// MaxCommentLen bounds the comment given with a rating, in characters.
	MaxCommentLen = 2000
	// MaxTitleLen is how much of the first question titles a conversation.
	MaxTitleLen = 120
	// HistoryTurns is how many earlier exchanges are passed to the
	// assistant with a follow-up question; only these are read.
	HistoryTurns = 6
)

// Limits of what one user keeps. A conversation is a working thread, not
// an archive: months of daily use fit in MaxConversations, and past
// MaxExchanges a thread is better started afresh than scrolled.
const (
	// MaxConversations is how many conversations a user keeps: starting
	// one more deletes the least recently used, with its answers and
	// their ratings, as a mailbox of fixed size drops its oldest mail.
	// Refusing instead would stop a question until the user had tidied
	// up.
	MaxConversations = 500
	// MaxExchanges is how many questions one conversation holds; past it
	// a follow-up is refused with ErrConversationFull and the user starts
	// a new conversation.
	MaxExchanges = 200
)

// Pages of conversations and of exchanges.
const (
	// PageSize is how many conversations, or exchanges of one, a page
	// holds unless asked otherwise.
	PageSize = 50
	// MaxPageSize is the most a page may hold: a whole conversation.
	MaxPageSize = MaxExchanges
)

// Ratings of an answer.
const (
	RatingUp   = "up"
	RatingDown = "down"
)

// ErrNotFound is returned (wrapped) for a conversation or answer that does
// not exist or belongs to someone else: the two are not told apart, so
// that ids reveal nothing.
var ErrNotFound = errors.New("assistant: not found")

// ErrConversationFull is returned (wrapped) for a follow-up to a
// conversation that holds its Limits.Exchanges already.
var ErrConversationFull = errors.New("assistant: conversation full")

// InputError is bad input from the person asking: a field that is empty,
// too long or not one of the allowed values.
type InputError struct {
	Field   string // the JSON field (or form field) at fault
	Code    string // "empty", "too_long", "invalid"
	Message string // for people, in Vietnamese
}

func (e *InputError) Error() string { return "assistant: " + e.Field + ": " + e.Message }

// Conversation is one user's thread of questions and answers.
type Conversation struct {
	ID        int64     `json:"id"`
	Title     string    `json:"title"` // the first question, clipped
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// ExchangeCount is how many exchanges the conversation holds; Get
	// fills it, List leaves it 0.
	ExchangeCount int `json:"exchange_count,omitempty"`
	// Exchanges are a page of them, oldest first; Get fills them, List
	// leaves them nil.
	Exchanges []Exchange `json:"exchanges,omitempty"`
	// lastAnswer orders conversations by last use and pages the list.
	lastAnswer int64
}

// Page chooses part of a list that runs from the newest back: at most
// Limit items (0: PageSize; more than MaxPageSize: MaxPageSize) older than
// the cursor Before (0: from the newest). A page's answer comes with the
// cursor of the page after it, 0 when there is none.
type Page struct {
	Before int64
	Limit  int
}

func (p Page) size() int {
	switch {
	case p.Limit <= 0:
		return PageSize
	case p.Limit > MaxPageSize:
		return MaxPageSize
	}
	return p.Limit
}

// before is the cursor as an upper bound on ids.
func (p Page) before() int64 {
	if p.Before <= 0 {
		return math.MaxInt64
	}
	return p.Before
}

// Limits bound what one user keeps; a zero field takes its default
// (MaxConversations, MaxExchanges).
type Limits struct {
	Conversations int
	Exchanges     int
}

func (l Limits) conversations() int {
	if l.Conversations > 0 {
		return l.Conversations
	}
	return MaxConversations
}

func (l Limits) exchanges() int {
	if l.Exchanges > 0 {
		return l.Exchanges
	}
	return MaxExchanges
}

// Exchange is one question and the answer given. ID is the answer's id,
// which feedback refers to.
type Exchange struct {
	ID             int64     `json:"id"`
	ConversationID int64     `json:"conversation_id"`
	Question       string    `json:"question"`
	Answer         Answer    `json:"answer"`
	CreatedAt      time.Time `json:"created_at"`
	// Feedback is the owner's own rating, when given.
	Feedback *Feedback `json:"feedback,omitempty"`
}

// Feedback is a rating of one answer by one user, kept for evaluation.
type Feedback struct {
	AnswerID  int64     `json:"answer_id"`
	Rating    string    `json:"rating"` // RatingUp or RatingDown
	Comment   string    `json:"comment,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// History is the conversation as the assistant reads it: the last
// HistoryTurns exchanges, oldest first.
func (c Conversation) History() []Message {
	ex := c.Exchanges
	if len(ex) > HistoryTurns {
		ex = ex[len(ex)-HistoryTurns:]
	}
	h := make([]Message, 0, 2*len(ex))
	for _, e := range ex {
		h = append(h, Message{Role: "user", Content: e.Question}, Message{Role: "assistant", Content: e.Answer.Text})
	}
	return h
}

// Conversations stores conversations and the feedback on answers, per
// user (auth's user id), in the assistant's own tables.
type Conversations struct {
	// Limits may be lowered (or raised) before the store is used.
	Limits Limits

	db  *store.DB
	now func() time.Time
}

// NewConversations returns the store over db; call Migrate once first.
func NewConversations(db *store.DB) *Conversations {
	return &Conversations{db: db, now: time.Now}
}

//go:embed migrations/*.sql
var assistantMigrations embed.FS

// Migrate creates or updates the assistant's tables (the "assistant"
// domain's migrations).
func (s *Conversations) Migrate(ctx context.Context) error {
	sub, err := fs.Sub(assistantMigrations, "migrations")
	if err != nil {
		return err
	}
	return s.db.Migrate(ctx, "assistant", sub)
}

// CheckQuestion returns the question as stored — trimmed, NFC — or an
// *InputError naming field.
func CheckQuestion(field, q string) (string, error) {
	q = corpus.NFC(strings.TrimSpace(q))
	switch n := utf8.RuneCountInString(q); {
	case q == "":
		return "", &InputError{field, "empty", "Hãy nhập câu hỏi (trường " + field + " đang trống)."}
	case n > MaxQuestionLen:
		return "", &InputError{field, "too_long", fmt.Sprintf(
			"Câu hỏi quá dài: tối đa %d ký tự (trường %s có %d).", MaxQuestionLen, field, n)}
	}
	return q, nil
}

// checkFeedback validates a rating and its comment.
func checkFeedback(rating, comment string) (string, string, error) {
	rating = strings.ToLower(strings.TrimSpace(rating))
	if rating != RatingUp && rating != RatingDown {
		return "", "", &InputError{"rating", "invalid", fmt.Sprintf(
			"Đánh giá không hợp lệ: trường rating nhận %q hoặc %q, nhận được %q.", RatingUp, RatingDown, rating)}
	}
	comment = corpus.NFC(strings.TrimSpace(comment))
	if n := utf8.RuneCountInString(comment); n > MaxCommentLen {
		return "", "", &InputError{"comment", "too_long", fmt.Sprintf(
			"Góp ý quá dài: tối đa %d ký tự (trường comment có %d).", MaxCommentLen, n)}
	}
	return rating, comment, nil
}

func unixTime(t int64) time.Time { return time.Unix(t, 0).UTC() }

// List returns a page of the user's conversations, the most recently
// used first, and the cursor of the next page.
func (s *Conversations) List(ctx context.Context, userID int64, p Page) ([]Conversation, int64, error) {
	n := p.size()
	rows, err := s.db.QueryContext(ctx, `SELECT id, title, created_at, updated_at, last_answer_id FROM assistant_conversations
		WHERE user_id = $1 AND last_answer_id < $2
		ORDER BY last_answer_id DESC, id DESC
		LIMIT $3`, userID, p.before(), n+1)
	if err != nil {
		return nil, 0, fmt.Errorf("assistant: list conversations of user %d: %w", userID, err)
	}
	defer rows.Close()
	out := []Conversation{}
	for rows.Next() {
		var c Conversation
		var created, updated int64
		if err := rows.Scan(&c.ID, &c.Title, &created, &updated, &c.lastAnswer); err != nil {
			return nil, 0, err
		}
		c.CreatedAt, c.UpdatedAt = unixTime(created), unixTime(updated)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	var next int64
	if len(out) > n {
		out = out[:n]
		next = out[n-1].lastAnswer
	}
	return out, next, nil
}

// Get returns the user's conversation id with a page of its exchanges
// (the cursor is an answer id) and the user's feedback on them, and the
// cursor of the page of earlier exchanges; ErrNotFound when the
// conversation is not the user's.
func (s *Conversations) Get(ctx context.Context, userID, id int64, p Page) (Conversation, int64, error) {
	var c Conversation
	var created, updated int64
	err := s.db.QueryRowContext(ctx, `SELECT id, title, created_at, updated_at, last_answer_id,
			(SELECT COUNT(*) FROM assistant_answers a WHERE a.conversation_id = c.id)
		FROM assistant_conversations c
		WHERE id = $1 AND user_id = $2`, id, userID).Scan(&c.ID, &c.Title, &created, &updated, &c.lastAnswer, &c.ExchangeCount)
	if errors.Is(err, sql.ErrNoRows) {
		return c, 0, fmt.Errorf("conversation %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return c, 0, fmt.Errorf("assistant: read conversation %d: %w", id, err)
	}
	c.CreatedAt, c.UpdatedAt = unixTime(created), unixTime(updated)
	n := p.size()
	rows, err := s.db.QueryContext(ctx, `SELECT a.id, a.question, a.answer, a.short, a.citations, a.mode, a.supported,
			a.notice, a.flagged, a.query, a.created_at, f.rating, f.comment, f.updated_at
		FROM assistant_answers a LEFT JOIN answer_feedback f ON f.answer_id = a.id AND f.user_id = $2
		WHERE a.conversation_id = $1 AND a.id < $3 ORDER BY a.id DESC LIMIT $4`, id, userID, p.before(), n+1)
	if err != nil {
		return c, 0, fmt.Errorf("assistant: read answers of conversation %d: %w", id, err)
	}
	defer rows.Close()
	c.Exchanges = []Exchange{}
	for rows.Next() {
		e := Exchange{ConversationID: id}
		var cites string
		var supported, flagged int
		var at int64
		var rating, comment sql.NullString
		var rated sql.NullInt64
		if err := rows.Scan(&e.ID, &e.Question, &e.Answer.Text, &e.Answer.Short, &cites, &e.Answer.Mode, &supported,
			&e.Answer.Notice, &flagged, &e.Answer.Query, &at, &rating, &comment, &rated); err != nil {
			return c, 0, err
		}
		e.Answer.Supported, e.Answer.Flagged = supported != 0, flagged != 0
		if err := json.Unmarshal([]byte(cites), &e.Answer.Citations); err != nil {
			return c, 0, fmt.Errorf("assistant: citations of answer %d: %w", e.ID, err)
		}
		if e.Answer.Citations == nil {
			e.Answer.Citations = []Citation{}
		}
		e.CreatedAt = unixTime(at)
		if rating.Valid {
			e.Feedback = &Feedback{AnswerID: e.ID, Rating: rating.String, Comment: comment.String, UpdatedAt: unixTime(rated.Int64)}
		}
		c.Exchanges = append(c.Exchanges, e)
	}
	if err := rows.Err(); err != nil {
		return c, 0, err
	}
	var next int64
	if len(c.Exchanges) > n {
		c.Exchanges = c.Exchanges[:n]
		next = c.Exchanges[n-1].ID
	}
	slices.Reverse(c.Exchanges)
	return c, next, nil
}

// newerThan counts the exchanges of conversation id after answerID: the
// page an answer is on.
func (s *Conversations) newerThan(ctx context.Context, id, answerID int64) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM assistant_answers WHERE conversation_id = $1 AND id > $2`,
		id, answerID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("assistant: count answers of conversation %d: %w", id, err)
	}
	return n, nil
}

// Delete removes the user's conversation id, its answers and their
// feedback; ErrNotFound when it is not the user's.
func (s *Conversations) Delete(ctx context.Context, userID, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM assistant_conversations WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return fmt.Errorf("assistant: delete conversation %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("conversation %d: %w", id, ErrNotFound)
	}
	return nil
}

// Append records question and its answer in the user's conversation
// convID, or in a new conversation titled with the question when convID
// is 0. It returns the exchange as stored. A conversation that holds
// Limits.Exchanges takes no more (ErrConversationFull); a new one past
// Limits.Conversations deletes the user's least recently used.
func (s *Conversations) Append(ctx context.Context, userID, convID int64, question string, a Answer) (Exchange, error) {
	question, err := CheckQuestion("question", question)
	if err != nil {
		return Exchange{}, err
	}
	if a.Citations == nil {
		a.Citations = []Citation{}
	}
	cites, err := json.Marshal(a.Citations)
	if err != nil {
		return Exchange{}, err
	}
	now := s.now()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Exchange{}, err
	}
	defer tx.Rollback()
	created := false
	if convID == 0 {
		err = tx.QueryRowContext(ctx, `INSERT INTO assistant_conversations (user_id, title, created_at, updated_at)
			VALUES ($1, $2, $3, $3) RETURNING id`, userID, conversationTitle(question), now.Unix()).Scan(&convID)
		if err != nil {
			return Exchange{}, fmt.Errorf("assistant: create conversation for user %d: %w", userID, err)
		}
		created = true
	} else {
		// The update comes first: it locks the conversation's row, so that
		// two follow-ups at once are counted one after the other.
		res, err := tx.ExecContext(ctx, `UPDATE assistant_conversations SET updated_at = $1 WHERE id = $2 AND user_id = $3`,
			now.Unix(), convID, userID)
		if err != nil {
			return Exchange{}, fmt.Errorf("assistant: update conversation %d: %w", convID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return Exchange{}, err
		} else if n == 0 {
			return Exchange{}, fmt.Errorf("conversation %d: %w", convID, ErrNotFound)
		}
		var held int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM assistant_answers WHERE conversation_id = $1`, convID).Scan(&held); err != nil {
			return Exchange{}, fmt.Errorf("assistant: count answers of conversation %d: %w", convID, err)
		}
		if held >= s.Limits.exchanges() {
			return Exchange{}, fmt.Errorf("conversation %d holds %d exchanges, the most one may: %w", convID, held, ErrConversationFull)
		}
	}
	e := Exchange{ConversationID: convID, Question: question, Answer: a, CreatedAt: unixTime(now.Unix())}
	err = tx.QueryRowContext(ctx, `INSERT INTO assistant_answers (conversation_id, question, answer, short, citations, mode,
			supported, notice, flagged, query, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		convID, question, a.Text, a.Short, string(cites), a.Mode, boolInt(a.Supported), a.Notice, boolInt(a.Flagged),
		a.Query, now.Unix()).Scan(&e.ID)
	if err != nil {
		return Exchange{}, fmt.Errorf("assistant: store answer in conversation %d: %w", convID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE assistant_conversations SET last_answer_id = $1 WHERE id = $2`, e.ID, convID); err != nil {
		return Exchange{}, fmt.Errorf("assistant: update conversation %d: %w", convID, err)
	}
	if created {
		if err := s.trim(ctx, tx, userID); err != nil {
			return Exchange{}, err
		}
	}
	return e, tx.Commit()
}

// trim deletes the user's least recently used conversations past
// Limits.Conversations, with their answers and ratings. Two conversations
// started at the same moment may leave one too many until the next.
func (s *Conversations) trim(ctx context.Context, tx *sql.Tx, userID int64) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM assistant_conversations WHERE user_id = $1`, userID).Scan(&n); err != nil {
		return fmt.Errorf("assistant: count conversations of user %d: %w", userID, err)
	}
	over := n - s.Limits.conversations()
	if over <= 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM assistant_conversations WHERE id IN (
		SELECT id FROM assistant_conversations WHERE user_id = $1
		ORDER BY last_answer_id, id LIMIT $2)`, userID, over)
	if err != nil {
		return fmt.Errorf("assistant: delete the oldest conversations of user %d: %w", userID, err)
	}
	return nil
}

// SetFeedback records the user's rating of answerID, replacing an earlier
// one; the answer must be in one of the user's conversations.
func (s *Conversations) SetFeedback(ctx context.Context, userID, answerID int64, rating, comment string) (Feedback, error) {
	rating, comment, err := checkFeedback(rating, comment)
	if err != nil {
		return Feedback{}, err
	}
	var owner int64
	err = s.db.QueryRowContext(ctx, `SELECT c.user_id FROM assistant_answers a
		JOIN assistant_conversations c ON c.id = a.conversation_id WHERE a.id = $1`, answerID).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && owner != userID) {
		return Feedback{}, fmt.Errorf("answer %d: %w", answerID, ErrNotFound)
	}
	if err != nil {
		return Feedback{}, fmt.Errorf("assistant: find answer %d: %w", answerID, err)
	}
	now := s.now().Unix()
	if _, err := s.db.ExecContext(ctx, `INSERT INTO answer_feedback (answer_id, user_id, rating, comment, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $5)
		ON CONFLICT (answer_id, user_id) DO UPDATE SET rating = excluded.rating, comment = excluded.comment, updated_at = excluded.updated_at`,
		answerID, userID, rating, comment, now); err != nil {
		return Feedback{}, fmt.Errorf("assistant: store feedback on answer %d: %w", answerID, err)
	}
	return Feedback{AnswerID: answerID, Rating: rating, Comment: comment, UpdatedAt: unixTime(now)}, nil
}

// RatedAnswer is one rated answer, for evaluation.
type RatedAnswer struct {
	Feedback
	UserID   int64  `json:"user_id"`
	Question string `json:"question"`
	Answer   Answer `json:"answer"`
}

// Rated lists every rated answer, the most recently rated first, at most
// limit of them: the material for judging the assistant.
func (s *Conversations) Rated(ctx context.Context, limit int) ([]RatedAnswer, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT f.answer_id, f.user_id, f.rating, f.comment, f.updated_at,
			a.question, a.answer, a.citations, a.mode, a.supported
		FROM answer_feedback f JOIN assistant_answers a ON a.id = f.answer_id
		ORDER BY f.updated_at DESC, f.answer_id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("assistant: list rated answers: %w", err)
	}
	defer rows.Close()
	var out []RatedAnswer
	for rows.Next() {
		var r RatedAnswer
		var at int64
		var cites string
		var supported int
		if err := rows.Scan(&r.AnswerID, &r.UserID, &r.Rating, &r.Comment, &at, &r.Question, &r.Answer.Text, &cites,
			&r.Answer.Mode, &supported); err != nil {
			return nil, err
		}
		r.UpdatedAt, r.Answer.Supported = unixTime(at), supported != 0
		if err := json.Unmarshal([]byte(cites), &r.Answer.Citations); err != nil {
			return nil, fmt.Errorf("assistant: citations of answer %d: %w", r.AnswerID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// conversationTitle is the first question, on one line, clipped at a word.
func conversationTitle(q string) string {
	q = strings.Join(strings.Fields(q), " ")
	if utf8.RuneCountInString(q) <= MaxTitleLen {
		return q
	}
	r := []rune(q)[:MaxTitleLen]
	t := string(r)
	if i := strings.LastIndexByte(t, ' '); i > MaxTitleLen/2 {
		t = t[:i]
	}
	return t + "…"
}
