package assistant

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tmc/langchaingo/llms"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/library"
	"github.com/mattranso/mattranso/retrieval"
)

// MaxQuestionLen is the longest question, in characters, Ask accepts.
const MaxQuestionLen = retrieval.MaxQueryLen

// DefaultLLMTimeout bounds one language-model answer before Ask falls back
// to the extractive answer.
const DefaultLLMTimeout = 20 * time.Second

// passagesAsked is how many retrieved passages an answer is chosen from.
const passagesAsked = 8

// ErrBadQuestion wraps every error caused by the question itself, so that
// the HTTP layer can answer 400.
var ErrBadQuestion = errors.New("bad question")

// Texts the assistant says in Vietnamese.
const (
	NoSupportText = "Thư viện chưa có căn cứ cho câu hỏi này. " +
		"Anh/chị vui lòng nêu rõ hơn (tên luật, điều khoản, thủ tục) hoặc hỏi cán bộ phụ trách."
	NoticeModelDown = "Mô hình ngôn ngữ không phản hồi; câu trả lời trích từ văn bản."
	NoticeNoCite    = "Câu trả lời của mô hình không dẫn được căn cứ; câu trả lời trích từ văn bản."
	// NoticeKeywordsOnly: the search behind the answer found its passages
	// by keywords alone (the vector side was unavailable).
	NoticeKeywordsOnly = "Tìm theo ý nghĩa đang tạm gián đoạn; căn cứ được tìm theo từ khóa nên có thể chưa sát câu hỏi."
)

// Documents fetches a document by id; the corpus store satisfies it.
type Documents interface {
	Get(ctx context.Context, id string) (*corpus.Document, error)
}

// Options configure a Service. Searcher is required.
type Options struct {
	Searcher retrieval.Searcher
	// Documents, when set, is used to check the clause and point anchors
	// read from a passage's numbered lines against the document's tree.
	Documents Documents
	// LLM, when set, answers in generative mode; nil means extractive only.
	LLM llms.Model
	// LLMTimeout bounds one model answer; zero means DefaultLLMTimeout.
	LLMTimeout time.Duration
	Logger     *slog.Logger
	// Reader weighs the extractive reader's evidence; nil means
	// DefaultReaderWeights.
	Reader *ReaderWeights
}

// Service answers questions from the library's passages. It implements
// Asker and is safe for concurrent use.
type Service struct {
	search  retrieval.Searcher
	docs    Documents
	llm     llms.Model
	timeout time.Duration
	log     *slog.Logger
	reader  ReaderWeights
}

var _ Asker = (*Service)(nil)

// New returns a Service. It panics without a Searcher: a wiring mistake.
func New(o Options) *Service {
	if o.Searcher == nil {
		panic("assistant: New needs a Searcher")
	}
	if o.LLMTimeout <= 0 {
		o.LLMTimeout = DefaultLLMTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	reader := DefaultReaderWeights
	if o.Reader != nil {
		reader = *o.Reader
	}
	return &Service{search: o.Searcher, docs: o.Documents, llm: o.LLM, timeout: o.LLMTimeout, log: o.Logger, reader: reader}
}

// Ask answers r.
func (s *Service) Ask(ctx context.Context, r Request) (Answer, error) {
	return s.AskStream(ctx, r, nil)
}

// AskStream answers r, calling emit with pieces of the answer text: the
// model's tokens in generative mode, a few pieces of the finished answer in
// extractive mode. A nil emit is allowed.
func (s *Service) AskStream(ctx context.Context, r Request, emit func(delta string) error) (Answer, error) {
	q := strings.TrimSpace(corpus.NFC(r.Question))
	if q == "" {
		return Answer{}, fmt.Errorf("%w: the question is empty", ErrBadQuestion)
	}
	if utf8.RuneCountInString(q) > MaxQuestionLen {
		return Answer{}, fmt.Errorf("%w: the question is longer than %d characters", ErrBadQuestion, MaxQuestionLen)
	}
	choices, err := checkChoices(r.Choices)
	if err != nil {
		return Answer{}, err
	}
	query := SearchText(Standalone(q, r.History), choices)
	res, err := s.search.Search(ctx, retrieval.Query{Text: clip(query, retrieval.MaxQueryLen), Kind: r.Kind, Limit: passagesAsked})
	if err != nil {
		if errors.Is(err, retrieval.ErrBadQuery) {
			return Answer{}, fmt.Errorf("%w: %v", ErrBadQuestion, err)
		}
		return Answer{}, fmt.Errorf("assistant: search %q: %w", query, err)
	}
	hits := res.Hits
	if len(choices) > 0 {
		// A multiple-choice answer is a letter: it is read from the
		// passages, never left to the model.
		ex := s.extractChoice(ctx, q, query, choices, hits)
		ex.Notice = addNotice(ex.Notice, res.Degraded)
		return ex, emitPieces(ex.Text, emit)
	}
	// The question proper (not the history) decides the span; the history
	// only widened the search.
	// The reader weighs the question in the law's words where the
	// thesaurus knows them ("sổ đỏ": giấy chứng nhận quyền sử dụng đất).
	_, plain := retrieval.DefaultThesaurus().Rewrite(q)
	ex := s.extract(ctx, plain, query, hits, res.NoArticle)

	// The model answers when the reader found support, or when the
	// passages hold the question's words although no single sentence
	// answers it: the model reads them all.
	if s.llm != nil && (ex.Supported || ex.Evidence != nil && ex.Evidence.grounded()) {
		a, err := s.generate(ctx, q, query, hits, emit)
		if err == nil {
			a.Notice = addNotice(a.Notice, res.Degraded)
			return a, nil
		}
		notice := NoticeModelDown
		if errors.Is(err, errNoCitation) {
			notice = NoticeNoCite
		}
		if ctx.Err() != nil {
			return Answer{}, ctx.Err()
		}
		s.log.WarnContext(ctx, "assistant: generative answer failed, answering extractively", "err", err)
		ex.Notice = notice
	}
	ex.Notice = addNotice(ex.Notice, res.Degraded)
	if err := emitPieces(ex.Text, emit); err != nil {
		return ex, err
	}
	return ex, nil
}

// addNotice adds NoticeKeywordsOnly to notice when the search was degraded
// (its reason, an internal error, is logged by retrieval, not shown).
func addNotice(notice, degraded string) string {
	switch {
	case degraded == "":
		return notice
	case notice == "":
		return NoticeKeywordsOnly
	}
	return notice + " " + NoticeKeywordsOnly
}

// Limits of a multiple-choice question.
const (
	MaxChoices   = 10
	MaxChoiceLen = 500 // characters of one option
)

// checkChoices validates the options of a multiple-choice question and
// returns them in NFC, trimmed.
func checkChoices(cs []Choice) ([]Choice, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	if len(cs) > MaxChoices {
		return nil, fmt.Errorf("%w: %d choices, at most %d", ErrBadQuestion, len(cs), MaxChoices)
	}
	out := make([]Choice, len(cs))
	seen := map[string]bool{}
	for i, c := range cs {
		k, t := strings.TrimSpace(c.Key), strings.TrimSpace(corpus.NFC(c.Text))
		switch {
		case k == "" || utf8.RuneCountInString(k) > 3:
			return nil, fmt.Errorf("%w: choice %d: the key %q is not a letter like \"A\"", ErrBadQuestion, i+1, c.Key)
		case seen[strings.ToUpper(k)]:
			return nil, fmt.Errorf("%w: choice %q given twice", ErrBadQuestion, k)
		case t == "":
			return nil, fmt.Errorf("%w: choice %q is empty", ErrBadQuestion, k)
		case utf8.RuneCountInString(t) > MaxChoiceLen:
			return nil, fmt.Errorf("%w: choice %q is longer than %d characters", ErrBadQuestion, k, MaxChoiceLen)
		}
		seen[strings.ToUpper(k)] = true
		out[i] = Choice{Key: k, Text: t}
	}
	return out, nil
}

// emitPieces sends text in a few pieces, cut after spaces, so that a
// streaming client sees the extractive answer arrive like the model's.
func emitPieces(text string, emit func(string) error) error {
	if emit == nil || text == "" {
		return nil
	}
	const pieces = 4
	size := len(text)/pieces + 1
	for len(text) > 0 {
		n := min(size, len(text))
		if i := strings.IndexByte(text[n:], ' '); i >= 0 && n < len(text) {
			n += i + 1
		} else if n < len(text) {
			n = len(text)
		}
		if err := emit(text[:n]); err != nil {
			return err
		}
		text = text[n:]
	}
	return nil
}

// SearchText is what the assistant searches for a question with options:
// the question, then each option on a line of its own. The options name
// what the passages must speak of as much as the question does ("Dịch vụ
// thể thao", "06 tháng"). `eval retrieval` searches the same text.
func SearchText(question string, choices []Choice) string {
	for _, c := range choices {
		question += "\n" + c.Text
	}
	return question
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

// Standalone returns the question to search: the question itself, or, when
// it reads as a follow-up ("còn người dưới 18 tuổi thì sao?", "thế còn…",
// "vậy…", "trường hợp đó…"), the previous user question followed by this
// one. The rewrite is deliberately simple and deterministic: the search
// ranks by shared words, so joining the two questions keeps the subject of
// the first and adds what the follow-up changes.
func Standalone(q string, history []Message) string {
	prev := ""
	for i := len(history) - 1; i >= 0; i-- {
		if history[i].Role == "user" && strings.TrimSpace(history[i].Content) != "" {
			prev = strings.TrimSpace(history[i].Content)
			break
		}
	}
	if prev == "" || !IsFollowUp(q) {
		return q
	}
	return prev + " " + q
}

// followStarts are folded openings of elliptical follow-ups.
var followStarts = []string{"con ", "the con", "vay ", "vay thi", "the thi", "neu vay", "truong hop do", "truong hop nay", "nhu vay", "con neu", "the neu", "va neu", "and ", "what about"}

// followMarks are folded words that point back at the previous question.
var followMarks = []string{"thi sao", "the nao", "ra sao", "nhu tren", "nhu vay", "do thi", "viec do", "viec nay", "truong hop do", "truong hop nay", "ho ", "nguoi do", "nguoi nay", "cai do", "dieu do", "luc do"}

// IsFollowUp reports whether q reads as an elliptical follow-up question
// that needs the previous one to be understood.
func IsFollowUp(q string) bool {
	f := strings.TrimSpace(corpus.Fold(q))
	terms := corpus.Terms(q)
	for _, p := range followStarts {
		if strings.HasPrefix(f, p) {
			return true
		}
	}
	if len(terms) > 12 {
		return false
	}
	for _, m := range followMarks {
		if strings.Contains(f+" ", m) && len(terms) <= 8 {
			return true
		}
	}
	return len(terms) <= 3
}

// citationFor builds the citation of a span of a hit.
func citationFor(n int, h retrieval.Hit, anchor, quote string) Citation {
	if anchor == "" {
		anchor = h.Anchor
	}
	return Citation{
		N: n, ID: h.DocID, PassageID: h.PassageID, Kind: h.Kind, Title: h.Title,
		Label: AnchorLabel(anchor, h.Heading), Anchor: anchor, Quote: quote,
		URL: library.URL(h.Kind, h.DocID, anchor),
	}
}

// AnchorLabel renders an anchor the way a lawyer cites it: "Điều 418,
// khoản 2, điểm a". An anchor that is not a law's (a procedure section)
// is labelled with the fallback.
func AnchorLabel(anchor, fallback string) string {
	var parts []string
	for _, seg := range strings.Split(anchor, "/") {
		kind, label, ok := strings.Cut(seg, "-")
		if !ok {
			continue
		}
		switch kind {
		case "dieu":
			parts = append(parts, "Điều "+label)
		case "khoan":
			parts = append(parts, "khoản "+label)
		case "diem":
			if label == "dd" {
				label = "đ"
			}
			parts = append(parts, "điểm "+label)
		}
	}
	if len(parts) == 0 {
		return fallback
	}
	return strings.Join(parts, ", ")
}
