package assistant

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
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
	// MaxConversations is how many conversations a list shows at most.
	MaxConversations = 200
	// HistoryTurns is how many earlier exchanges are passed to the
	// assistant with a follow-up question.
	HistoryTurns = 6
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
	// Exchanges are oldest first; Get fills them, List leaves them nil.
	Exchanges []Exchange `json:"exchanges,omitempty"`
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
	db  *store.DB
	now func() time.Time
}

// NewConversations returns the store over db; call Migrate once first.
func NewConversations(db *store.DB) *Conversations {
	return &Conversations{db: db, now: time.Now}
}

//go:embed migrations/*.sql
var assistantMigrations embed.FS

// Migrate creates or updates the assistant's tables (every migration of
// the "assistant" domain, the classifier's too).
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

// List returns the user's conversations, the most recently used first.
func (s *Conversations) List(ctx context.Context, userID int64) ([]Conversation, error) {
	// Within one second the latest answer tells which was used last.
	rows, err := s.db.QueryContext(ctx, `SELECT c.id, c.title, c.created_at, c.updated_at FROM assistant_conversations c
		WHERE c.user_id = $1
		ORDER BY c.updated_at DESC, (SELECT MAX(a.id) FROM assistant_answers a WHERE a.conversation_id = c.id) DESC, c.id DESC
		LIMIT $2`, userID, MaxConversations)
	if err != nil {
		return nil, fmt.Errorf("assistant: list conversations of user %d: %w", userID, err)
	}
	defer rows.Close()
	out := []Conversation{}
	for rows.Next() {
		var c Conversation
		var created, updated int64
		if err := rows.Scan(&c.ID, &c.Title, &created, &updated); err != nil {
			return nil, err
		}
		c.CreatedAt, c.UpdatedAt = unixTime(created), unixTime(updated)
		out = append(out, c)
	}
	return out, rows.Err()
}

// Get returns the user's conversation id with its exchanges and the
// user's feedback on them; ErrNotFound when it is not the user's.
func (s *Conversations) Get(ctx context.Context, userID, id int64) (Conversation, error) {
	var c Conversation
	var created, updated int64
	err := s.db.QueryRowContext(ctx, `SELECT id, title, created_at, updated_at FROM assistant_conversations
		WHERE id = $1 AND user_id = $2`, id, userID).Scan(&c.ID, &c.Title, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("conversation %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("assistant: read conversation %d: %w", id, err)
	}
	c.CreatedAt, c.UpdatedAt = unixTime(created), unixTime(updated)
	rows, err := s.db.QueryContext(ctx, `SELECT a.id, a.question, a.answer, a.short, a.citations, a.mode, a.supported,
			a.notice, a.flagged, a.query, a.created_at, f.rating, f.comment, f.updated_at
		FROM assistant_answers a LEFT JOIN answer_feedback f ON f.answer_id = a.id AND f.user_id = $2
		WHERE a.conversation_id = $1 ORDER BY a.id`, id, userID)
	if err != nil {
		return c, fmt.Errorf("assistant: read answers of conversation %d: %w", id, err)
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
			return c, err
		}
		e.Answer.Supported, e.Answer.Flagged = supported != 0, flagged != 0
		if err := json.Unmarshal([]byte(cites), &e.Answer.Citations); err != nil {
			return c, fmt.Errorf("assistant: citations of answer %d: %w", e.ID, err)
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
	return c, rows.Err()
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
// is 0. It returns the exchange as stored.
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
	if convID == 0 {
		err = tx.QueryRowContext(ctx, `INSERT INTO assistant_conversations (user_id, title, created_at, updated_at)
			VALUES ($1, $2, $3, $3) RETURNING id`, userID, conversationTitle(question), now.Unix()).Scan(&convID)
		if err != nil {
			return Exchange{}, fmt.Errorf("assistant: create conversation for user %d: %w", userID, err)
		}
	} else {
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
	return e, tx.Commit()
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
