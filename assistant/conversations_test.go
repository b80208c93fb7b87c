package assistant_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/assistant"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

func answerFor(text string, supported bool) assistant.Answer {
	a := assistant.Answer{Text: text, Mode: "extractive", Supported: supported, Citations: []assistant.Citation{}}
	if supported {
		a.Citations = []assistant.Citation{{N: 1, ID: "91-2015-qh13", Title: "Bộ luật Dân sự", Label: "Điều 20",
			Anchor: "dieu-20", Quote: "Người thành niên là người từ đủ mười tám tuổi trở lên.", URL: "/van-ban/91-2015-qh13#dieu-20"}}
	}
	return a
}

func TestConversations(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := assistant.NewConversations(db)
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrating twice: %v", err)
		}
		const thu, lan = int64(7), int64(8)

		if got, err := s.List(ctx, thu); err != nil || len(got) != 0 {
			t.Fatalf("a new user's conversations: %v, %v", got, err)
		}
		first, err := s.Append(ctx, thu, 0, "  Người thành niên là người bao nhiêu tuổi?  ", answerFor("Từ đủ mười tám tuổi [1].", true))
		if err != nil {
			t.Fatal(err)
		}
		if first.ConversationID == 0 || first.ID == 0 {
			t.Fatalf("append to a new conversation gave %+v", first)
		}
		if _, err := s.Append(ctx, thu, first.ConversationID, "Còn người dưới 18 tuổi thì sao?", answerFor("Chưa tìm thấy căn cứ…", false)); err != nil {
			t.Fatal(err)
		}
		second, err := s.Append(ctx, thu, 0, "Thủ tục đăng ký khai sinh gồm những gì?", answerFor("Tờ khai…", true))
		if err != nil {
			t.Fatal(err)
		}

		list, err := s.List(ctx, thu)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].ID != second.ConversationID || list[1].Title != "Người thành niên là người bao nhiêu tuổi?" {
			t.Fatalf("list, newest first, titled by the first question: %+v", list)
		}

		c, err := s.Get(ctx, thu, first.ConversationID)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Exchanges) != 2 {
			t.Fatalf("conversation has %d exchanges, want 2", len(c.Exchanges))
		}
		e := c.Exchanges[0]
		if e.Question != "Người thành niên là người bao nhiêu tuổi?" || e.Answer.Text != "Từ đủ mười tám tuổi [1]." ||
			!e.Answer.Supported || e.Answer.Mode != "extractive" || len(e.Answer.Citations) != 1 ||
			e.Answer.Citations[0].URL != "/van-ban/91-2015-qh13#dieu-20" || e.CreatedAt.IsZero() {
			t.Errorf("first exchange read back as %+v", e)
		}
		if c.Exchanges[1].Answer.Supported || c.Exchanges[1].Answer.Citations == nil {
			t.Errorf("unsupported answer read back as %+v", c.Exchanges[1].Answer)
		}
		h := c.History()
		if len(h) != 4 || h[0].Role != "user" || h[1].Role != "assistant" || h[2].Content != "Còn người dưới 18 tuổi thì sao?" {
			t.Errorf("history: %+v", h)
		}

		// Someone else's conversation does not exist for lan.
		if _, err := s.Get(ctx, lan, first.ConversationID); !errors.Is(err, assistant.ErrNotFound) {
			t.Errorf("get another's conversation: %v", err)
		}
		if _, err := s.Append(ctx, lan, first.ConversationID, "Câu hỏi chen ngang?", answerFor("…", false)); !errors.Is(err, assistant.ErrNotFound) {
			t.Errorf("append to another's conversation: %v", err)
		}
		if err := s.Delete(ctx, lan, first.ConversationID); !errors.Is(err, assistant.ErrNotFound) {
			t.Errorf("delete another's conversation: %v", err)
		}
		if _, err := s.SetFeedback(ctx, lan, e.ID, "up", ""); !errors.Is(err, assistant.ErrNotFound) {
			t.Errorf("rate another's answer: %v", err)
		}

		// Feedback: one per user and answer, changed in place.
		if _, err := s.SetFeedback(ctx, thu, e.ID, "up", ""); err != nil {
			t.Fatal(err)
		}
		fb, err := s.SetFeedback(ctx, thu, e.ID, "DOWN", " Trích sai khoản. ")
		if err != nil {
			t.Fatal(err)
		}
		if fb.Rating != "down" || fb.Comment != "Trích sai khoản." {
			t.Errorf("feedback stored as %+v", fb)
		}
		c, _ = s.Get(ctx, thu, first.ConversationID)
		if f := c.Exchanges[0].Feedback; f == nil || f.Rating != "down" {
			t.Errorf("feedback read back with the conversation: %+v", f)
		}
		rated, err := s.Rated(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(rated) != 1 || rated[0].Question != e.Question || rated[0].Rating != "down" || rated[0].UserID != thu {
			t.Errorf("rated answers: %+v", rated)
		}

		// Bad input names its field.
		for _, tc := range []struct {
			name, rating, comment, field string
		}{
			{"no rating", "", "", "rating"},
			{"unknown rating", "meh", "", "rating"},
			{"long comment", "up", strings.Repeat("ý", assistant.MaxCommentLen+1), "comment"},
		} {
			_, err := s.SetFeedback(ctx, thu, e.ID, tc.rating, tc.comment)
			var ie *assistant.InputError
			if !errors.As(err, &ie) || ie.Field != tc.field {
				t.Errorf("%s: got %v, want an input error on %s", tc.name, err, tc.field)
			}
		}
		for _, q := range []string{"   ", strings.Repeat("a", assistant.MaxQuestionLen+1)} {
			_, err := s.Append(ctx, thu, 0, q, answerFor("…", false))
			var ie *assistant.InputError
			if !errors.As(err, &ie) || ie.Field != "question" {
				t.Errorf("question of %d characters: got %v", len(q), err)
			}
		}

		// Deleting takes the answers and their feedback along.
		if err := s.Delete(ctx, thu, first.ConversationID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, thu, first.ConversationID); !errors.Is(err, assistant.ErrNotFound) {
			t.Errorf("deleted conversation still there: %v", err)
		}
		if rated, _ := s.Rated(ctx, 10); len(rated) != 0 {
			t.Errorf("feedback of a deleted conversation remains: %+v", rated)
		}
		if err := s.Delete(ctx, thu, first.ConversationID); !errors.Is(err, assistant.ErrNotFound) {
			t.Errorf("deleting twice: %v", err)
		}
		if list, _ := s.List(ctx, thu); len(list) != 1 {
			t.Errorf("after delete the list has %d conversations", len(list))
		}
	})
}
