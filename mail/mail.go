// Package mail owns the platform's outgoing e-mail: a durable outbox that
// any module writes to in the same transaction as the change a message
// reports, and the sender that delivers the outbox over SMTP, retrying
// with back-off and leasing each message so that several instances on one
// PostgreSQL database never send a message twice while its lease holds.
//
// # Using it from a module
//
// A module declares the one method it needs and writes the message in the
// transaction that makes the change, so that the message exists exactly
// when the change committed — a rolled-back answer tells nobody anything:
//
//	// in the module (feedback, say)
//	type Mailer interface {
//		Enqueue(ctx context.Context, tx *sql.Tx, m mail.Message) error
//	}
//
//	tx, err := db.BeginTx(ctx, nil)
//	…   // record the answer
//	if item.Email != "" && s.mailer != nil {
//		err = s.mailer.Enqueue(ctx, tx, mail.Message{
//			To:      item.Email,
//			Subject: "Phản ánh " + item.TrackingCode + " đã được trả lời",
//			Text:    body,
//			Kind:    "feedback.answered",
//			Ref:     item.TrackingCode,
//		})
//	}
//	…   // commit, or roll back on any error
//
// An address Enqueue refuses makes the caller's transaction fail, so a
// module checks an address with [CheckAddress] where it takes it in (the
// intake form), not only when it writes the message. The mailer is nil
// when no SMTP server is configured, and the module then sends nothing.
//
// cmd, at start: [ParseURL] (or a [Config] built from settings), [Migrate],
// [New], and in serve `go outbox.Run(ctx)` on every instance: the leases
// share the work out. [Outbox.Stats] feeds /metrics; [Outbox.List] shows
// an operator the failed messages, or a module what became of its own.
//
// # What is promised
//
// A committed message is sent at least once, and once unless a sender
// dies (or is stopped) after the SMTP server took the message and before
// the sender recorded it; the copy then carries the same Message-ID, fixed
// when the message was written. A sender claims a message with a lease
// (claimed_by, claimed_until): no other sender touches it until the lease
// runs out, so a dead sender's message goes out a lease later. A 5xx reply
// to the recipient or to the message fails it at once; a 4xx, a network
// failure, or a refusal that points at the configuration (login, sender)
// is retried with exponential back-off until [Options.MaxAttempts], then
// the message is marked failed and kept with the last reply. Sent
// messages, which hold a citizen's address, are deleted after
// [Options.KeepSent].
package mail

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// Limits on a message. A notification is a few lines; the bounds keep a
// caller's mistake (a whole document as the body) out of the table.
const (
	MaxSubject = 200       // characters
	MaxBody    = 256 << 10 // bytes, for Text and for HTML
	MaxKind    = 64        // bytes
	MaxRef     = 200       // characters
	maxAddress = 254       // bytes of the addr-spec (RFC 5321's path limit less <>)
	maxName    = 200       // characters of a display name
)

// Message is one e-mail to write to the outbox.
type Message struct {
	// To is one recipient: "ban@example.vn" or "Nguyễn Văn A <ban@example.vn>".
	To      string
	Subject string
	// Text is the plain-text body, required: every reader can show it.
	Text string
	// HTML, when set, is sent beside Text as an alternative.
	HTML string
	// Kind and Ref say what the message is about, for the module that
	// wrote it and for an operator: "feedback.answered" and the item's
	// tracking code. They are not sent.
	Kind, Ref string
}

// InvalidError is a message, address or setting refused: the field at
// fault and what is wrong with it, in Vietnamese and in English.
type InvalidError struct {
	// Field is the Message field ("to", "subject", "text", "html", "kind",
	// "ref"), the Config field ("addr", "from", "tls"…), or the part of an
	// SMTP URL ("scheme", "host", "port", "user", "password", "path", or a
	// query parameter).
	Field  string
	Vi, En string
}

func (e *InvalidError) Error() string {
	return fmt.Sprintf("mail: %s: %s (%s: %s)", e.Field, e.Vi, e.Field, e.En)
}

func invalid(field, vi, en string) *InvalidError { return &InvalidError{Field: field, Vi: vi, En: en} }

// address is a checked recipient or sender.
type address struct {
	Name string // display name, NFC; may be empty
	Addr string // addr-spec, ASCII: the domain in its IDNA (xn--) form
}

// String is the address for people to read: "Name <addr>", or addr.
func (a address) String() string {
	if a.Name == "" {
		return a.Addr
	}
	return a.Name + " <" + a.Addr + ">"
}

// CheckAddress checks an e-mail address the way the outbox will and
// returns the address it would send to: the part after any display name,
// its domain lower-cased and in IDNA form ("Lan <lan@MặtTrận.vn>" gives
// lan@xn--mttrn-o31bsc.vn). Modules call it where they take an address in
// and store what it returns, so that an address accepted there is never
// refused when the message is written.
//
// The local part (before @) must be ASCII: mail servers that accept
// anything else (SMTPUTF8) are not yet the rule.
func CheckAddress(s string) (string, error) {
	a, err := parseAddress("to", s)
	if err != nil {
		return "", err
	}
	return a.Addr, nil
}

func parseAddress(field, s string) (address, error) {
	if strings.TrimSpace(s) == "" {
		return address{}, invalid(field, "thiếu địa chỉ e-mail", "the e-mail address is missing")
	}
	if !utf8.ValidString(s) {
		return address{}, invalid(field, "địa chỉ e-mail không phải văn bản UTF-8 hợp lệ", "the e-mail address is not valid UTF-8")
	}
	if strings.ContainsAny(s, "\r\n") {
		// A line break in a header value starts a new header: whoever
		// typed it could add recipients or rewrite the message.
		return address{}, invalid(field, "địa chỉ e-mail chứa ký tự xuống dòng", "the e-mail address contains a line break")
	}
	if i := strings.IndexFunc(s, unicode.IsControl); i >= 0 {
		return address{}, invalid(field, "địa chỉ e-mail chứa ký tự điều khiển", "the e-mail address contains a control character")
	}
	pa, err := mail.ParseAddress(norm.NFC.String(s))
	if err != nil {
		return address{}, invalid(field,
			fmt.Sprintf("%q không phải một địa chỉ e-mail hợp lệ, ví dụ ten@example.vn", s),
			fmt.Sprintf("%q is not a valid e-mail address, e.g. name@example.vn", s))
	}
	local, domain, ok := strings.Cut(pa.Address, "@")
	if !ok || local == "" || domain == "" {
		return address{}, invalid(field,
			fmt.Sprintf("%q không phải một địa chỉ e-mail hợp lệ, ví dụ ten@example.vn", s),
			fmt.Sprintf("%q is not a valid e-mail address, e.g. name@example.vn", s))
	}
	for _, r := range local {
		if r >= utf8.RuneSelf {
			return address{}, invalid(field,
				fmt.Sprintf("phần trước @ của %q có ký tự ngoài bảng ASCII (chữ có dấu); hãy dùng địa chỉ không dấu", pa.Address),
				fmt.Sprintf("the part before @ of %q has non-ASCII characters; use an address without them", pa.Address))
		}
	}
	ascii, err := idna.Lookup.ToASCII(strings.ToLower(domain))
	if err != nil || !strings.Contains(strings.Trim(ascii, "."), ".") || strings.HasPrefix(domain, "[") {
		return address{}, invalid(field,
			fmt.Sprintf("tên miền %q của địa chỉ e-mail không hợp lệ", domain),
			fmt.Sprintf("the domain %q of the e-mail address is not valid", domain))
	}
	addr := local + "@" + ascii
	if len(addr) > maxAddress {
		return address{}, invalid(field,
			fmt.Sprintf("địa chỉ e-mail dài %d byte, quá giới hạn %d", len(addr), maxAddress),
			fmt.Sprintf("the e-mail address is %d bytes long, over the limit of %d", len(addr), maxAddress))
	}
	if n := utf8.RuneCountInString(pa.Name); n > maxName {
		return address{}, invalid(field,
			fmt.Sprintf("tên người nhận dài %d ký tự, quá giới hạn %d", n, maxName),
			fmt.Sprintf("the display name is %d characters long, over the limit of %d", n, maxName))
	}
	return address{Name: pa.Name, Addr: addr}, nil
}

var kindPattern = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*$`)

// checked is a Message that passed check, normalised to NFC.
type checked struct {
	to                  address
	subject, text, html string
	kind, ref           string
}

func check(m Message) (checked, error) {
	to, err := parseAddress("to", m.To)
	if err != nil {
		return checked{}, err
	}
	c := checked{to: to, kind: m.Kind}

	if !utf8.ValidString(m.Subject) {
		return c, invalid("subject", "tiêu đề không phải văn bản UTF-8 hợp lệ", "the subject is not valid UTF-8")
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return c, invalid("subject", "tiêu đề chứa ký tự xuống dòng", "the subject contains a line break")
	}
	if strings.IndexFunc(m.Subject, unicode.IsControl) >= 0 {
		return c, invalid("subject", "tiêu đề chứa ký tự điều khiển", "the subject contains a control character")
	}
	c.subject = norm.NFC.String(strings.TrimSpace(m.Subject))
	if c.subject == "" {
		return c, invalid("subject", "thiếu tiêu đề", "the subject is missing")
	}
	if n := utf8.RuneCountInString(c.subject); n > MaxSubject {
		return c, invalid("subject",
			fmt.Sprintf("tiêu đề dài %d ký tự, quá giới hạn %d", n, MaxSubject),
			fmt.Sprintf("the subject is %d characters long, over the limit of %d", n, MaxSubject))
	}

	for _, b := range []struct {
		field, vi, en string
		in            string
		out           *string
		required      bool
	}{
		{"text", "nội dung", "the text body", m.Text, &c.text, true},
		{"html", "nội dung HTML", "the HTML body", m.HTML, &c.html, false},
	} {
		if !utf8.ValidString(b.in) {
			return c, invalid(b.field, b.vi+" không phải văn bản UTF-8 hợp lệ", b.en+" is not valid UTF-8")
		}
		if strings.ContainsRune(b.in, 0) {
			return c, invalid(b.field, b.vi+" chứa ký tự NUL", b.en+" contains a NUL character")
		}
		if b.required && strings.TrimSpace(b.in) == "" {
			return c, invalid(b.field, "thiếu "+b.vi, b.en+" is missing")
		}
		if len(b.in) > MaxBody {
			return c, invalid(b.field,
				fmt.Sprintf("%s dài %d byte, quá giới hạn %d", b.vi, len(b.in), MaxBody),
				fmt.Sprintf("%s is %d bytes long, over the limit of %d", b.en, len(b.in), MaxBody))
		}
		*b.out = norm.NFC.String(b.in)
	}

	if m.Kind != "" && (len(m.Kind) > MaxKind || !kindPattern.MatchString(m.Kind)) {
		return c, invalid("kind",
			fmt.Sprintf("loại thư %q không hợp lệ: dùng chữ thường, số và dấu chấm, tối đa %d byte, ví dụ feedback.answered", m.Kind, MaxKind),
			fmt.Sprintf("kind %q is not valid: use lower-case letters, digits and dots, at most %d bytes, e.g. feedback.answered", m.Kind, MaxKind))
	}
	if !utf8.ValidString(m.Ref) || strings.IndexFunc(m.Ref, unicode.IsControl) >= 0 {
		return c, invalid("ref", "mã tham chiếu chứa ký tự điều khiển hoặc không phải UTF-8", "the reference contains a control character or is not UTF-8")
	}
	if n := utf8.RuneCountInString(m.Ref); n > MaxRef {
		return c, invalid("ref",
			fmt.Sprintf("mã tham chiếu dài %d ký tự, quá giới hạn %d", n, MaxRef),
			fmt.Sprintf("the reference is %d characters long, over the limit of %d", n, MaxRef))
	}
	c.ref = norm.NFC.String(m.Ref)
	return c, nil
}
