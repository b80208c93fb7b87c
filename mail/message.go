package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
	"unicode/utf8"
)

// stored is a message as the outbox holds it: checked, with the headers
// fixed when it was written.
type stored struct {
	id        int64
	messageID string
	to        address
	subject   string
	text      string
	html      string
	created   time.Time
	attempts  int
}

// newMessageID makes a Message-ID in the sender's domain: random, so that
// it says nothing about the message or how many the platform sends.
func newMessageID(from address) string {
	var b [16]byte
	rand.Read(b[:])
	_, domain, _ := strings.Cut(from.Addr, "@")
	return "<" + hex.EncodeToString(b[:]) + "@" + domain + ">"
}

// maxLine is the line length RFC 5322 asks headers to keep to (it
// forbids more than 998).
const maxLine = 78

// fold writes a header whose value is tokens separated by single spaces,
// starting a continuation line at a space wherever the line would pass
// maxLine. Unfolding (removing the CRLFs) gives the value back exactly.
func fold(name string, tokens []string) string {
	var b strings.Builder
	b.WriteString(name + ":")
	line := b.Len()
	for _, tok := range tokens {
		if line+1+len(tok) > maxLine && line > len(name)+1 {
			b.WriteString("\r\n")
			line = 0
		}
		b.WriteString(" " + tok)
		line += 1 + len(tok)
	}
	b.WriteString("\r\n")
	return b.String()
}

// needsEncoding reports whether s must go as encoded-words: it is not
// ASCII, or it holds what a reader would take for an encoded-word.
func needsEncoding(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return true
		}
	}
	return strings.Contains(s, "=?")
}

// qWords encodes s as RFC 2047 Q encoded-words short enough for fold to
// keep every line within maxLine (Q-encoded Vietnamese takes up to nine
// characters a letter). Decoders drop the space between two
// encoded-words, so s comes back exactly. Only the characters RFC 2047
// allows in a phrase are written as they are, so the words are valid in
// a display name as well as in a subject.
func qWords(s string) []string {
	const open, close = "=?utf-8?q?", "?="
	const room = maxLine - len("Subject: ") - len(open) - len(close)
	var words []string
	var w strings.Builder
	for _, r := range s {
		var enc string
		switch {
		case r == ' ':
			enc = "_"
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!*+-/", r)):
			enc = string(r)
		default:
			var buf [utf8.UTFMax]byte
			for _, c := range buf[:utf8.EncodeRune(buf[:], r)] {
				enc += fmt.Sprintf("=%02X", c)
			}
		}
		if w.Len()+len(enc) > room {
			words = append(words, open+w.String()+close)
			w.Reset()
		}
		w.WriteString(enc)
	}
	return append(words, open+w.String()+close)
}

// subjectHeader is the Subject header, encoded when it is not ASCII.
func subjectHeader(s string) string {
	if needsEncoding(s) {
		return fold("Subject", qWords(s))
	}
	return fold("Subject", strings.Split(s, " "))
}

// addressHeader is a From or To header for a.
func addressHeader(name string, a address) string {
	var tokens []string
	switch {
	case a.Name == "":
	case needsEncoding(a.Name):
		tokens = qWords(a.Name)
	default:
		// net/mail quotes an ASCII name when it must; its form is
		// one token, never split inside the quotes.
		full := (&mail.Address{Name: a.Name, Address: a.Addr}).String()
		tokens = []string{strings.TrimSuffix(full, " <"+a.Addr+">")}
	}
	return fold(name, append(tokens, "<"+a.Addr+">"))
}

// render writes m as an RFC 5322 message with MIME parts: a UTF-8 text
// body in quoted-printable, and the HTML beside it (multipart/alternative)
// when there is one.
func render(m stored, from address) ([]byte, error) {
	var b bytes.Buffer
	h := func(name, value string) { b.WriteString(fold(name, []string{value})) }
	// The Date is when the message was written, not when a retry finally
	// got it through: it is the time of what it reports.
	h("Date", m.created.Format(time.RFC1123Z))
	b.WriteString(addressHeader("From", from))
	b.WriteString(addressHeader("To", m.to))
	b.WriteString(subjectHeader(m.subject))
	h("Message-ID", m.messageID)
	h("MIME-Version", "1.0")
	// RFC 3834: a machine wrote this; auto-responders should not answer.
	h("Auto-Submitted", "auto-generated")

	if m.html == "" {
		h("Content-Type", "text/plain; charset=utf-8")
		h("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		if err := writeQP(&b, m.text); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	b.WriteString(fold("Content-Type", []string{"multipart/alternative;", "boundary=" + mw.Boundary()}))
	b.WriteString("\r\n")
	// Simplest first: a reader shows the last alternative it can.
	for _, part := range []struct{ ctype, body string }{
		{"text/plain; charset=utf-8", m.text},
		{"text/html; charset=utf-8", m.html},
	} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.ctype},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		if err := writeQP(w, part.body); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	b.Write(body.Bytes())
	return b.Bytes(), nil
}

// writeQP writes s quoted-printable, its line breaks (LF or CRLF) as CRLF:
// every line short and 7-bit whatever the text, so that no relay on the
// way can break it. The output always ends a line, as SMTP needs; when s
// does not, a soft line break does it, which decoders remove, so that the
// reader gets s and not s plus a line break.
func writeQP(w interface{ Write([]byte) (int, error) }, s string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write([]byte(s)); err != nil {
		return fmt.Errorf("mail: encode body: %w", err)
	}
	if err := qp.Close(); err != nil {
		return fmt.Errorf("mail: encode body: %w", err)
	}
	if !strings.HasSuffix(s, "\n") && !strings.HasSuffix(s, "\r") {
		if _, err := w.Write([]byte("=\r\n")); err != nil {
			return fmt.Errorf("mail: encode body: %w", err)
		}
	}
	return nil
}
