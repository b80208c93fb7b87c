// Package redact owns the removal of personal data from the free text of
// citizens' feedback and officers' answers before it is published: names,
// phone numbers, e-mail addresses, national ID (CCCD/CMND) numbers, bank
// account numbers and house numbers, written with or without diacritics,
// are found and replaced by Vietnamese placeholders. Places, the law's
// article numbers, dates and amounts are left as written.
//
// It errs on the side of redacting — an officer reviews every text before
// it is published and can restore what was taken — but keeps the text
// readable: a word of address stays ("ông [họ tên]"), and a street named
// after a person stays a street ("đường Nguyễn Huệ").
//
// Numbers it deliberately leaves: the 1900/1800 hotlines (public service
// lines, not a person's), numbers followed by a unit or currency ("5.000.000
// đồng", "120 m2"), dates, and numbered lanes ("ngõ 12"), which are public
// places; the house number before them is redacted.
package redact

import (
	"slices"
	"strings"
)

// Kind is what a span of personal data is.
type Kind uint8

const (
	Name Kind = iota + 1
	Phone
	Email
	IDNumber
	BankAccount
	HouseNumber
)

var kinds = [...]Kind{Name, Phone, Email, IDNumber, BankAccount, HouseNumber}

// Placeholder is the text Text writes in place of a span of this kind.
func (k Kind) Placeholder() string {
	switch k {
	case Name:
		return "[họ tên]"
	case Phone:
		return "[số điện thoại]"
	case Email:
		return "[email]"
	case IDNumber:
		return "[số CCCD/CMND]"
	case BankAccount:
		return "[số tài khoản]"
	case HouseNumber:
		return "[số nhà]"
	}
	return "[đã ẩn]"
}

func (k Kind) String() string {
	switch k {
	case Name:
		return "name"
	case Phone:
		return "phone"
	case Email:
		return "email"
	case IDNumber:
		return "id_number"
	case BankAccount:
		return "bank_account"
	case HouseNumber:
		return "house_number"
	}
	return "unknown"
}

// rank orders kinds when two findings overlap: the more specific wins.
func (k Kind) rank() int {
	switch k {
	case Email:
		return 6
	case IDNumber, BankAccount:
		return 5
	case Phone:
		return 4
	case HouseNumber:
		return 3
	case Name:
		return 2
	}
	return 0
}

// Span is one finding: s[Start:End] is personal data of the kind.
type Span struct {
	Kind       Kind
	Start, End int
}

// Find returns the personal data in s, as byte offsets into s, sorted and
// not overlapping. Offsets fall on character boundaries even when s is not
// valid UTF-8.
func Find(s string) []Span {
	d := newDoc(s)
	d.emails()
	d.numbers()
	d.houses()
	d.names()
	return merge(d.found)
}

// Text returns s with its personal data — found by Find, and every
// occurrence of the known strings — replaced by placeholders. Known
// strings are what the system holds about the submitter (name, phone,
// e-mail): they are matched ignoring case and diacritics, and a phone
// number ignoring how its digits are grouped. The result is valid UTF-8,
// and redacting it again changes nothing.
func Text(s string, known ...string) string {
	d := newDoc(s)
	d.emails()
	d.numbers()
	d.houses()
	d.names()
	for _, k := range known {
		d.known(k)
	}
	spans := merge(d.found)
	var b strings.Builder
	b.Grow(len(s))
	at := 0
	for _, sp := range spans {
		b.WriteString(strings.ToValidUTF8(s[at:sp.Start], "\uFFFD"))
		b.WriteString(sp.Kind.Placeholder())
		at = sp.End
	}
	b.WriteString(strings.ToValidUTF8(s[at:], "\uFFFD"))
	return b.String()
}

// merge sorts the findings and joins those that overlap, keeping the
// higher-ranked kind: a span found by two rules is redacted once, whole.
func merge(found []Span) []Span {
	if len(found) == 0 {
		return nil
	}
	slices.SortFunc(found, func(a, b Span) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		return b.End - a.End
	})
	out := []Span{found[0]}
	for _, sp := range found[1:] {
		last := &out[len(out)-1]
		if sp.Start < last.End {
			if sp.End > last.End {
				last.End = sp.End
			}
			if sp.Kind.rank() > last.Kind.rank() {
				last.Kind = sp.Kind
			}
			continue
		}
		out = append(out, sp)
	}
	return out
}

// doc is one text being searched: its tokens and what the phrase lists
// say about each position.
type doc struct {
	s     string
	t     []tok
	found []Span

	placeEnd  []bool // a place word ends at this token: "đường", "thành phố"
	public    []bool // this token belongs to a public name: "Hà Nội", "Lê Lợi"
	trigger   []ctx  // a phone, ID or bank word ends at this token
	trigStart []bool // a phone, ID or bank word starts at this token
}

type ctx uint8

const (
	ctxNone ctx = iota
	ctxPhone
	ctxID
	ctxBank
)

func newDoc(s string) *doc {
	d := &doc{s: s, t: scan(s)}
	n := len(d.t)
	d.placeEnd = make([]bool, n)
	d.public = make([]bool, n)
	d.trigger = make([]ctx, n)
	d.trigStart = make([]bool, n)
	for i := 0; i < n; i++ {
		if e := places.match(d.t, i); e > i {
			d.placeEnd[e-1] = true
		}
		for _, set := range [...]struct {
			p phraseSet
			c ctx
		}{{phoneWords, ctxPhone}, {idWords, ctxID}, {bankWords, ctxBank}} {
			if e := set.p.match(d.t, i); e > i {
				d.trigger[e-1] = set.c
				d.trigStart[i] = true
			}
		}
	}
	for i := 0; i < n; {
		// A public name followed by another given name is a person's:
		// "Trần Phú" is a street, "Trần Phú Cường" a man.
		if e := public.match(d.t, i); e > i && !(e < n && d.gap(e) && d.t[e].shape == titleCase &&
			!hardStops.has(&d.t[e]) && public.match(d.t, e) == e) {
			for k := i; k < e; k++ {
				d.public[k] = true
			}
			i = e
			continue
		}
		i++
	}
	return d
}

func (d *doc) add(k Kind, from, to int) {
	if to > from {
		d.found = append(d.found, Span{Kind: k, Start: from, End: to})
	}
}

// addTokens records the tokens from..to (inclusive) as one span.
func (d *doc) addTokens(k Kind, from, to int) {
	d.add(k, d.t[from].start, d.t[to].end)
}

// gap reports whether toks[i] follows the token before it on the same
// line with only spaces between: the joint inside a name.
func (d *doc) gap(i int) bool {
	return i < len(d.t) && d.t[i].sp && !d.t[i].nl
}

// sentenceStop reports whether toks[i] ends a sentence or a clause: a
// full stop, question or exclamation mark or semicolon followed by space,
// or a line break after it.
func (d *doc) sentenceStop(i int) bool {
	t := &d.t[i]
	if t.kind != kPunct {
		return false
	}
	switch t.r {
	case '!', '?', ';':
		return true
	case '.':
		return i+1 == len(d.t) || d.t[i+1].sp
	}
	return false
}
