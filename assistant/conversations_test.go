package assistant_test

import (
	"errors"
	"slices"
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

		if got, _, err := s.List(ctx, thu, assistant.Page{}); err != nil || len(got) != 0 {
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

		list, _, err := s.List(ctx, thu, assistant.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].ID != second.ConversationID || list[1].Title != "Người thành niên là người bao nhiêu tuổi?" {
			t.Fatalf("list, newest first, titled by the first question: %+v", list)
		}

		c, _, err := s.Get(ctx, thu, first.ConversationID, assistant.Page{})
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
		if _, _, err := s.Get(ctx, lan, first.ConversationID, assistant.Page{}); !errors.Is(err, assistant.ErrNotFound) {
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
		c, _, _ = s.Get(ctx, thu, first.ConversationID, assistant.Page{})
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
		if _, _, err := s.Get(ctx, thu, first.ConversationID, assistant.Page{}); !errors.Is(err, assistant.ErrNotFound) {
			t.Errorf("deleted conversation still there: %v", err)
		}
		if rated, _ := s.Rated(ctx, 10); len(rated) != 0 {
			t.Errorf("feedback of a deleted conversation remains: %+v", rated)
		}
		if err := s.Delete(ctx, thu, first.ConversationID); !errors.Is(err, assistant.ErrNotFound) {
			t.Errorf("deleting twice: %v", err)
		}
		if list, _, _ := s.List(ctx, thu, assistant.Page{}); len(list) != 1 {
			t.Errorf("after delete the list has %d conversations", len(list))
		}
	})
}

// A conversation takes Limits.Exchanges questions and no more; a user
// keeps Limits.Conversations conversations, a new one past them deleting
// the least recently used with its answers and ratings.
func TestConversationLimits(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := assistant.NewConversations(db)
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		s.Limits = assistant.Limits{Conversations: 3, Exchanges: 4}
		const thu, lan = int64(7), int64(8)
		ask := func(user, conv int64, q string) (assistant.Exchange, error) {
			t.Helper()
			return s.Append(ctx, user, conv, q, answerFor("…", false))
		}

		full, err := ask(thu, 0, "Câu hỏi 1?")
		if err != nil {
			t.Fatal(err)
		}
		for i := 2; i <= 4; i++ {
			if _, err := ask(thu, full.ConversationID, "Câu hỏi "+itoa(int64(i))+"?"); err != nil {
				t.Fatalf("question %d of 4: %v", i, err)
			}
		}
		if _, err := ask(thu, full.ConversationID, "Câu hỏi 5?"); !errors.Is(err, assistant.ErrConversationFull) {
			t.Errorf("a fifth question in a conversation of four: %v, want ErrConversationFull", err)
		}
		if c, _, err := s.Get(ctx, thu, full.ConversationID, assistant.Page{}); err != nil || c.ExchangeCount != 4 || len(c.Exchanges) != 4 {
			t.Errorf("the full conversation holds %d exchanges (%d read, %v), want 4", c.ExchangeCount, len(c.Exchanges), err)
		}

		// Three conversations: full, b and c (its answer rated); asking
		// again in b makes it the most recent.
		b, _ := ask(thu, 0, "Cuộc b?")
		c, _ := ask(thu, 0, "Cuộc c?")
		if _, err := s.SetFeedback(ctx, thu, c.ID, "up", ""); err != nil {
			t.Fatal(err)
		}
		other, _ := ask(lan, 0, "Cuộc của người khác?")
		if _, err := ask(thu, b.ConversationID, "Hỏi thêm trong b?"); err != nil {
			t.Fatal(err)
		}
		// full, last used before b and c started, goes when a fourth starts.
		d, err := ask(thu, 0, "Cuộc d?")
		if err != nil {
			t.Fatal(err)
		}
		list, _, err := s.List(ctx, thu, assistant.Page{})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, cv := range list {
			ids = append(ids, cv.ID)
		}
		if want := []int64{d.ConversationID, b.ConversationID, c.ConversationID}; !slices.Equal(ids, want) {
			t.Errorf("after a fourth conversation the list is %v, want %v (the oldest, %d, deleted)", ids, want, full.ConversationID)
		}
		if _, _, err := s.Get(ctx, thu, full.ConversationID, assistant.Page{}); !errors.Is(err, assistant.ErrNotFound) {
			t.Errorf("the least recently used conversation is still there: %v", err)
		}
		if rated, _ := s.Rated(ctx, 10); len(rated) != 1 || rated[0].AnswerID != c.ID {
			t.Errorf("ratings: %+v, want c's kept", rated)
		}
		// A fifth deletes c, with its rating; another user's is untouched.
		if _, err := ask(thu, 0, "Cuộc e?"); err != nil {
			t.Fatal(err)
		}
		if rated, _ := s.Rated(ctx, 10); len(rated) != 0 {
			t.Errorf("the rating of a deleted conversation remains: %+v", rated)
		}
		if list, _, _ := s.List(ctx, thu, assistant.Page{}); len(list) != 3 {
			t.Errorf("%d conversations kept, want 3", len(list))
		}
		if _, _, err := s.Get(ctx, lan, other.ConversationID, assistant.Page{}); err != nil {
			t.Errorf("another user's conversation: %v", err)
		}
	})
}

// The list and a conversation come in pages, newest first, each with the
// cursor of the next; the pages together are the whole, in order.
func TestConversationPaging(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := assistant.NewConversations(db)
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		const thu = int64(7)
		var convs []int64
		for i := range 5 {
			e, err := s.Append(ctx, thu, 0, "Cuộc "+itoa(int64(i))+"?", answerFor("…", false))
			if err != nil {
				t.Fatal(err)
			}
			convs = append(convs, e.ConversationID)
		}
		var answers []int64
		for i := range 7 {
			e, err := s.Append(ctx, thu, convs[0], "Câu "+itoa(int64(i))+"?", answerFor("…", false))
			if err != nil {
				t.Fatal(err)
			}
			answers = append(answers, e.ID)
		}
		// convs[0] is now the most recently used.
		wantList := []int64{convs[0], convs[4], convs[3], convs[2], convs[1]}
		var got []int64
		p := assistant.Page{Limit: 2}
		for pages := 0; ; pages++ {
			if pages > 3 {
				t.Fatal("the list does not end")
			}
			list, next, err := s.List(ctx, thu, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) > 2 {
				t.Fatalf("a page of %d, want at most 2", len(list))
			}
			for _, c := range list {
				got = append(got, c.ID)
			}
			if next == 0 {
				break
			}
			p.Before = next
		}
		if !slices.Equal(got, wantList) {
			t.Errorf("the list in pages: %v, want %v", got, wantList)
		}

		c, _, err := s.Get(ctx, thu, convs[0], assistant.Page{})
		if err != nil {
			t.Fatal(err)
		}
		whole := exchangeIDs(c.Exchanges)
		if len(whole) != 8 || c.ExchangeCount != 8 || whole[1] != answers[0] || whole[7] != answers[6] {
			t.Fatalf("the conversation: %v (count %d)", whole, c.ExchangeCount)
		}
		var pages [][]int64
		p = assistant.Page{Limit: 3}
		for {
			c, next, err := s.Get(ctx, thu, convs[0], p)
			if err != nil {
				t.Fatal(err)
			}
			if c.ExchangeCount != 8 {
				t.Errorf("a page says the conversation holds %d exchanges", c.ExchangeCount)
			}
			pages = append(pages, exchangeIDs(c.Exchanges))
			if next == 0 || len(pages) > 4 {
				break
			}
			p.Before = next
		}
		// Latest first: [5 6 7], [2 3 4], [0 1], each oldest first.
		want := [][]int64{whole[5:], whole[2:5], whole[:2]}
		if len(pages) != len(want) {
			t.Fatalf("pages %v, want %v", pages, want)
		}
		for i := range want {
			if !slices.Equal(pages[i], want[i]) {
				t.Errorf("page %d: %v, want %v", i, pages[i], want[i])
			}
		}
		// A follow-up needs only the latest exchanges.
		c, _, _ = s.Get(ctx, thu, convs[0], assistant.Page{Limit: assistant.HistoryTurns})
		if h := c.History(); len(h) != 2*assistant.HistoryTurns || h[len(h)-2].Content != "Câu 6?" {
			t.Errorf("history of the latest %d: %+v", assistant.HistoryTurns, h)
		}
	})
}

func exchangeIDs(ex []assistant.Exchange) []int64 {
	var ids []int64
	for _, e := range ex {
		ids = append(ids, e.ID)
	}
	return ids
}
