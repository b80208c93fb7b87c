// Package assistant owns the staff assistant: answering questions about
// the law and procedures with citations to passages that were actually
// retrieved (extractive by default, generative when a language model is
// configured), and the conversations that hold them.
package assistant

import (
	"context"

	"github.com/mattranso/mattranso/corpus"
)

// Message is one turn of a conversation.
type Message struct {
	Role    string `json:"role"` // "user" or "assistant"
	Content string `json:"content"`
}

// Request is a question, with the conversation so far.
type Request struct {
	Question string
	History  []Message // oldest first; used to resolve follow-up questions
	Kind     corpus.Kind
	// Choices are the options of a multiple-choice question, in order;
	// the answer's Short is then the key of the option chosen.
	Choices []Choice
}

// Choice is one option of a multiple-choice question: "A", "Dịch vụ
// thể thao", or one that names others ("Cả A và B đều đúng").
type Choice struct {
	Key  string `json:"key"`
	Text string `json:"text"`
}

// Citation points at a retrieved passage that supports the answer.
type Citation struct {
	N         int         `json:"n"`          // the [n] the answer text uses
	ID        string      `json:"id"`         // document id
	PassageID string      `json:"passage_id"` // the retrieved passage
	Kind      corpus.Kind `json:"kind"`
	Title     string      `json:"title"`  // law or procedure title
	Label     string      `json:"label"`  // "Điều 418, khoản 2, điểm a"
	Anchor    string      `json:"anchor"` // "dieu-418/khoan-2/diem-a"
	Quote     string      `json:"quote"`  // the quoted text, verbatim from the passage
	URL       string      `json:"url"`    // the library page at the anchor
}

// Answer is what the assistant says.
type Answer struct {
	Text      string     `json:"answer"`          // the full answer, citing [n]
	Short     string     `json:"short,omitempty"` // the direct answer: a number, a list, có/không…
	Citations []Citation `json:"citations"`
	Mode      string     `json:"mode"` // "extractive" or "generative"
	// Supported is false when the library holds no answer: the text says
	// so, and the citations are then the closest passages ("có thể liên
	// quan"), not grounds.
	Supported bool   `json:"supported"`
	Notice    string `json:"notice,omitempty"` // e.g. the model was unavailable, extractive answer given
	// Flagged is set when the model cited passages that were not retrieved
	// and those citations were removed.
	Flagged bool `json:"flagged,omitempty"`
	// Query is the standalone question that was searched (after resolving
	// a follow-up against the history).
	Query string `json:"query,omitempty"`
	// Evidence is what the extractive support decision weighed; not part
	// of the API.
	Evidence *Evidence `json:"-"`
}

// Asker answers questions; the HTTP layer and the evaluation call this.
type Asker interface {
	Ask(ctx context.Context, r Request) (Answer, error)
	// AskStream answers like Ask and calls emit with pieces of the answer
	// text as they are produced; the returned Answer is complete.
	AskStream(ctx context.Context, r Request, emit func(delta string) error) (Answer, error)
}
