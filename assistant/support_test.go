package assistant

import (
	"context"
	"strings"
	"testing"
)

// The support decision declines what the library cannot answer, however
// many words a passage shares with the question, and answers the rest.
func TestSupportDecision(t *testing.T) {
	idx, docs := testIndex(t)
	s := New(Options{Searcher: idx, Documents: docs})
	for _, tt := range []struct {
		name, q   string
		supported bool
		label     string // the first citation's label, when supported
		why       func(Evidence) bool
	}{
		{"article that exists, with the question's words after the law", "Điều 12 Bộ luật Thử nghiệm quy định gì?", true, "Điều 12", nil},
		{"article that does not exist", "Điều 1000 Bộ luật Thử nghiệm quy định gì?", false, "", func(e Evidence) bool { return e.NoArticle }},
		{"a year no law has", "Bộ luật Thử nghiệm năm 2099 quy định đồng phạm là gì?", false, "", func(e Evidence) bool { return e.BadYear }},
		{"a year before the state", "Bộ luật Thử nghiệm 1850 quy định đồng phạm là gì?", false, "", func(e Evidence) bool { return e.BadYear }},
		{"an amount the passage does not give", "Mức lương cơ sở hiện nay là bao nhiêu?", false, "", nil},
		{"everyday words through the thesaurus", "người chưa thành niên từ đủ bao nhiêu tuổi phải chịu trách nhiệm hình sự về mọi tội phạm?", true, "Điều 12", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, err := s.Ask(context.Background(), Request{Question: tt.q})
			if err != nil {
				t.Fatal(err)
			}
			if a.Supported != tt.supported {
				t.Fatalf("supported = %v, want %v: %q (evidence %+v)", a.Supported, tt.supported, a.Text, a.Evidence)
			}
			if tt.why != nil && (a.Evidence == nil || !tt.why(*a.Evidence)) {
				t.Errorf("declined for another reason: %+v", a.Evidence)
			}
			if !tt.supported {
				if !strings.HasPrefix(a.Text, "Thư viện chưa có căn cứ") || a.Short != "" {
					t.Errorf("declined answer %q, short %q", a.Text, a.Short)
				}
				return
			}
			if len(a.Citations) == 0 || !strings.HasPrefix(a.Citations[0].Label, tt.label) {
				t.Errorf("citations %+v, want %s first", a.Citations, tt.label)
			}
		})
	}
}

// An open question is answered by its best clauses, each quoted once; the
// short "Trả lời:" line is kept for the kinds the reader is reliable on.
func TestOpenQuestionClauses(t *testing.T) {
	idx, docs := testIndex(t)
	s := New(Options{Searcher: idx, Documents: docs})
	for _, q := range []string{
		"Các tình tiết giảm nhẹ trách nhiệm hình sự gồm những gì?",
		"Người đồng phạm bao gồm những ai?",
		"Đồng phạm là gì?",
	} {
		a, err := s.Ask(context.Background(), Request{Question: q})
		if err != nil {
			t.Fatal(err)
		}
		if !a.Supported {
			t.Fatalf("%q declined: %q", q, a.Text)
		}
		if strings.Contains(a.Text, "Trả lời:") {
			t.Errorf("%q: an open question has a short line: %q", q, a.Text)
		}
		if len(a.Citations) == 0 || len(a.Citations) > maxClauses {
			t.Errorf("%q: %d clauses", q, len(a.Citations))
		}
		for i, c := range a.Citations {
			if n := strings.Count(a.Text, c.Quote); n != 1 {
				t.Errorf("%q: clause [%d] quoted %d times in %q", q, c.N, n, a.Text)
			}
			for j, d := range a.Citations {
				if i != j && strings.Contains(d.Quote, c.Quote) {
					t.Errorf("%q: clause [%d] holds clause [%d]", q, d.N, c.N)
				}
			}
		}
		checkCitationsRetrieved(t, idx, a)
	}
	a, err := s.Ask(context.Background(), Request{Question: "Người từ đủ bao nhiêu tuổi phải chịu trách nhiệm hình sự về mọi tội phạm?"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(a.Text, "Trả lời: ") || strings.Count(a.Text, a.Citations[0].Quote) != 1 {
		t.Errorf("a number question: %q", a.Text)
	}
}

// A language model reads every passage: it may answer where no single
// sentence does, but never about an article or a year the library lacks.
func TestGroundedForTheModel(t *testing.T) {
	for _, tt := range []struct {
		name string
		ev   Evidence
		want bool
	}{
		{"every word found, weak sentence", Evidence{Cover: 0.1, Words: 8, Missing: 1}, true},
		{"an amount the reader did not find", Evidence{Cover: 0.5, Words: 6, NoAmount: true}, true},
		{"an article the law lacks", Evidence{Cover: 0.9, Words: 4, NoArticle: true}, false},
		{"a law of a year to come", Evidence{Cover: 0.9, Words: 4, BadYear: true}, false},
		{"most words nowhere", Evidence{Cover: 0.4, Words: 6, Missing: 3}, false},
		{"only question words", Evidence{Words: 0}, true},
	} {
		if got := tt.ev.grounded(); got != tt.want {
			t.Errorf("%s: grounded = %v, want %v", tt.name, got, tt.want)
		}
	}
}
