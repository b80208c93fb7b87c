package congress

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/mattranso/mattranso/corpus"
)

// Limits of a record's fields.
const (
	MaxNameLen     = 300  // name, place
	MaxPersonLen   = 120  // chair, a vice-chair
	MaxViceChairs  = 10   //
	MaxSummaryLen  = 2000 // the result summary
	MaxReasonLen   = 500  // postponement reason, correction
	MaxNews        = 50   // news items
	MaxURLLen      = 2000 //
	MaxCount       = 100000
	maxOrdinalSize = 12
)

// prepare checks c as the next state of prev and returns it cleaned
// (names in NFC, spacing collapsed), with the reason the history keeps.
// An empty status keeps prev's.
func prepare(prev, c Congress) (Congress, string, error) {
	var err error
	clean := func(field, label, s string, max int) string {
		if err != nil || strings.TrimSpace(s) == "" {
			return ""
		}
		out, e := corpus.CleanName(label, s, max)
		if e != nil {
			err = nameError(field, e)
		}
		return out
	}
	next := Congress{
		Name:            clean("name", "tên đại hội", c.Name, MaxNameLen),
		Place:           clean("place", "địa điểm", c.Place, MaxNameLen),
		PostponedReason: clean("postponed_reason", "lý do hoãn", c.PostponedReason, MaxReasonLen),
		Chair:           clean("chair", "họ tên chủ tịch", c.Chair, MaxPersonLen),
		Summary:         clean("summary", "tóm tắt kết quả", c.Summary, MaxSummaryLen),
		Correction:      clean("correction", "lý do đính chính", c.Correction, MaxReasonLen),
	}
	if err != nil {
		return Congress{}, "", err
	}
	if next.Ordinal, err = parseOrdinal(c.Ordinal); err != nil {
		return Congress{}, "", err
	}
	if len(c.ViceChairs) > MaxViceChairs {
		return Congress{}, "", invalid("vice_chairs", fmt.Sprintf("Nhiều nhất %d phó chủ tịch, có %d", MaxViceChairs, len(c.ViceChairs)),
			fmt.Sprintf("at most %d vice-chairs", MaxViceChairs))
	}
	for i, v := range c.ViceChairs {
		n := clean(fmt.Sprintf("vice_chairs[%d]", i), fmt.Sprintf("họ tên phó chủ tịch thứ %d", i+1), v, MaxPersonLen)
		if err != nil {
			return Congress{}, "", err
		}
		if n != "" {
			next.ViceChairs = append(next.ViceChairs, n)
		}
	}

	if _, err := parseDate("planned_date", c.PlannedDate); err != nil {
		return Congress{}, "", err
	}
	if _, err := parseDate("new_date", c.NewDate); err != nil {
		return Congress{}, "", err
	}
	next.PlannedDate, next.NewDate = c.PlannedDate, c.NewDate

	counts := []struct {
		field string
		v     *int
	}{{"delegates_summoned", c.DelegatesSummoned}, {"delegates_attending", c.DelegatesAttending},
		{"committee_size", c.CommitteeSize}, {"standing_size", c.StandingSize}, {"delegation_above", c.DelegationAbove}}
	for _, n := range counts {
		if n.v != nil && (*n.v < 0 || *n.v > MaxCount) {
			return Congress{}, "", invalid(n.field, fmt.Sprintf("Số %d không hợp lệ: cần từ 0 đến %d", *n.v, MaxCount),
				fmt.Sprintf("must be from 0 to %d", MaxCount))
		}
	}
	next.DelegatesSummoned, next.DelegatesAttending = c.DelegatesSummoned, c.DelegatesAttending
	next.CommitteeSize, next.StandingSize, next.DelegationAbove = c.CommitteeSize, c.StandingSize, c.DelegationAbove
	if c.DelegatesSummoned != nil && c.DelegatesAttending != nil && *c.DelegatesAttending > *c.DelegatesSummoned {
		return Congress{}, "", invalid("delegates_attending",
			fmt.Sprintf("Số đại biểu có mặt (%d) lớn hơn số đại biểu được triệu tập (%d)", *c.DelegatesAttending, *c.DelegatesSummoned),
			"more delegates attending than summoned")
	}
	if c.CommitteeSize != nil && c.StandingSize != nil && *c.StandingSize > *c.CommitteeSize {
		return Congress{}, "", invalid("standing_size",
			fmt.Sprintf("Số ủy viên Ban Thường trực (%d) lớn hơn số ủy viên Ủy ban (%d)", *c.StandingSize, *c.CommitteeSize),
			"the standing committee is larger than the committee")
	}

	if len(c.News) > MaxNews {
		return Congress{}, "", invalid("news", fmt.Sprintf("Nhiều nhất %d tin, có %d", MaxNews, len(c.News)), fmt.Sprintf("at most %d news items", MaxNews))
	}
	for i, n := range c.News {
		item, err := checkNews(i, n)
		if err != nil {
			return Congress{}, "", err
		}
		next.News = append(next.News, item)
	}

	next.Status = c.Status
	if next.Status == "" {
		next.Status = prev.Status
	}
	if !next.Status.Valid() {
		_, err := ParseStatus(string(c.Status))
		return Congress{}, "", err
	}
	if err := transition(prev.Status, next.Status, next.Correction); err != nil {
		return Congress{}, "", err
	}
	if next.Status == Postponed {
		if next.PostponedReason == "" {
			return Congress{}, "", invalid("postponed_reason", "Cần ghi lý do hoãn đại hội", "a postponed congress needs a reason")
		}
		if next.NewDate == "" {
			return Congress{}, "", invalid("new_date", "Cần ghi ngày dự kiến tổ chức lại", "a postponed congress needs a new date")
		}
	}
	return next, next.Correction, nil
}

// transition checks a status change: forward along planned → preparing
// → held, to or from postponed, or back with a correction's reason.
func transition(from, to Status, correction string) error {
	switch {
	case from == to, to == Postponed, from == Postponed, to.rank() > from.rank():
		return nil
	case correction != "":
		return nil
	}
	return invalid("status", fmt.Sprintf("Không thể chuyển trạng thái từ %q (%s) về %q (%s) mà không ghi lý do đính chính (correction)",
		from, from.Label(), to, to.Label()),
		fmt.Sprintf("going back from %s to %s is a correction and needs a reason in correction", from, to))
}

func checkNews(i int, n NewsItem) (NewsItem, error) {
	field := fmt.Sprintf("news[%d]", i)
	title, err := corpus.CleanName(fmt.Sprintf("tiêu đề tin thứ %d", i+1), n.Title, MaxNameLen)
	if err != nil {
		return NewsItem{}, nameError(field+".title", err)
	}
	link := strings.TrimSpace(n.URL)
	if link != "" {
		u, err := url.Parse(link)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(link) > MaxURLLen {
			return NewsItem{}, invalid(field+".url", fmt.Sprintf("Đường dẫn tin thứ %d không hợp lệ: cần một địa chỉ http:// hoặc https://, tối đa %d ký tự", i+1, MaxURLLen),
				"want an http or https address")
		}
	}
	if _, err := parseDate(field+".date", n.Date); err != nil {
		return NewsItem{}, err
	}
	return NewsItem{Title: title, URL: link, Date: n.Date}, nil
}

// nameError turns CleanName's refusal into a FieldError.
func nameError(field string, err error) error {
	var ne *corpus.NameError
	if errors.As(err, &ne) {
		return &FieldError{Field: field, Message: ne.Error()}
	}
	return &FieldError{Field: field, Message: err.Error()}
}

// parseOrdinal checks a Roman numeral from I to L ("lần thứ XII"), in
// any letter case; "" is none.
func parseOrdinal(s string) (string, error) {
	o := strings.ToUpper(strings.TrimSpace(s))
	if o == "" {
		return "", nil
	}
	if len(o) <= maxOrdinalSize {
		for n := 1; n <= 50; n++ {
			if roman(n) == o {
				return o, nil
			}
		}
	}
	return "", invalid("ordinal", fmt.Sprintf("Lần thứ %q không hợp lệ: cần số La Mã từ I đến L, ví dụ XII", s),
		"want a Roman numeral from I to L, e.g. XII")
}

func roman(n int) string {
	var b strings.Builder
	for _, p := range []struct {
		v int
		s string
	}{{50, "L"}, {40, "XL"}, {10, "X"}, {9, "IX"}, {5, "V"}, {4, "IV"}, {1, "I"}} {
		for n >= p.v {
			b.WriteString(p.s)
			n -= p.v
		}
	}
	return b.String()
}
