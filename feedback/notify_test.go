package feedback_test

import (
	"context"
	"database/sql"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/mattranso/mattranso/feedback"
	"github.com/mattranso/mattranso/mail"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

// smtpSink is github.com/emersion/go-smtp's server, started by the test
// on a loopback port, keeping every message it is given.
type smtpSink struct {
	addr string
	mu   sync.Mutex
	msgs []sunk
}

type sunk struct {
	to   []string
	data []byte
}

func startSMTP(t *testing.T) *smtpSink {
	t.Helper()
	s := &smtpSink{}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *smtpSink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{sink: s}, nil }

func (s *smtpSink) messages() []sunk {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sunk(nil), s.msgs...)
}

type sinkSession struct {
	sink *smtpSink
	to   []string
}

func (s *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.sink.mu.Lock()
	s.sink.msgs = append(s.sink.msgs, sunk{to: s.to, data: b})
	s.sink.mu.Unlock()
	return nil
}
func (s *sinkSession) Reset()        { s.to = nil }
func (s *sinkSession) Logout() error { return nil }

// read decodes a message's subject and plain-text body.
func read(t *testing.T, data []byte) (subject, body string) {
	t.Helper()
	m, err := netmail.ReadMessage(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		t.Fatal(err)
	}
	return subject, strings.ReplaceAll(string(b), "\r\n", "\n")
}

// A citizen who left an e-mail address is told when their item is
// answered: the message is written to the outbox in the answer's
// transaction, and the sender delivers it (to go-smtp's server here) with
// the tracking code, the status page's address and the public answer —
// never the officers' notes. No address, or another move, writes nothing.
func TestAnsweredMail(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := mail.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		sink := startSMTP(t)
		outbox, err := mail.New(db, mail.Config{Addr: sink.addr, From: "Mặt trận số <no-reply@mattranso.test>", TLS: mail.NoTLS}, mail.Options{})
		if err != nil {
			t.Fatal(err)
		}
		f := newOffice(t, db, officeOptions{handling: feedback.HandlingOptions{Mailer: outbox, PublicURL: "https://pakn.example.vn/"}})
		tok := f.officers()[saiGonOfficer]
		withMail := f.submit(t, feedback.Submission{Content: "Nước sinh hoạt bị đục và có mùi lạ mấy ngày nay.", Name: "Lê Thị Hoa", Email: "hoa.le@example.vn"})
		without := f.submit(t, feedback.Submission{Content: "Nước sinh hoạt bị mất từ sáng tới chiều.", Phone: "0987654321"})
		const secret = "Số điện thoại riêng của giám đốc công ty cấp nước: 0909000111"
		f.call(t, "POST", itemPath(withMail.ID, "/notes"), tok, map[string]string{"text": secret})

		count := func() int {
			var n int
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM mail_outbox`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		f.bring(t, withMail.ID, tok, feedback.Accepted, feedback.Forwarded)
		f.bring(t, without.ID, tok, feedback.Accepted, feedback.InProgress, feedback.Answered)
		if n := count(); n != 0 {
			t.Fatalf("%d messages before any answer to someone with an address", n)
		}
		const answer = "Công ty cấp nước đã súc xả đường ống khu phố Hòa Bình; nước đã trong trở lại từ ngày 04/3."
		a := f.call(t, "POST", itemPath(withMail.ID, "/transition"), tok, map[string]string{"to": "answered", "answer": answer})
		if a.status != 200 {
			t.Fatalf("answer: %d %s", a.status, a.body)
		}
		recs, err := outbox.List(ctx, mail.Query{Kind: feedback.MailKindAnswered})
		if err != nil || len(recs) != 1 || recs[0].Ref != feedback.FormatCode(withMail.Code) || recs[0].To != "hoa.le@example.vn" {
			t.Fatalf("outbox %+v, %v", recs, err)
		}
		if sent, err := outbox.SendDue(ctx); err != nil || sent != 1 {
			t.Fatalf("sent %d, %v", sent, err)
		}
		msgs := sink.messages()
		if len(msgs) != 1 || len(msgs[0].to) != 1 || msgs[0].to[0] != "hoa.le@example.vn" {
			t.Fatalf("delivered %+v", msgs)
		}
		subject, body := read(t, msgs[0].data)
		code := feedback.FormatCode(withMail.Code)
		if !strings.Contains(subject, code) {
			t.Errorf("subject %q", subject)
		}
		for _, want := range []string{code, answer, "https://pakn.example.vn/phan-anh/" + code, "Lê Thị Hoa", "Mặt trận Tổ quốc Phường Sài Gòn"} {
			if !strings.Contains(body, want) {
				t.Errorf("the message lacks %q:\n%s", want, body)
			}
		}
		for _, never := range []string{secret, "0909000111", withMail.Content} {
			if strings.Contains(body, never) {
				t.Errorf("the message holds %q", never)
			}
		}
		// Reopened and answered again: told again.
		f.bring(t, withMail.ID, tok, feedback.InProgress, feedback.Answered)
		if n := count(); n != 2 {
			t.Errorf("%d messages after a second answer, want 2", n)
		}
	})
}

// An answer that fails leaves no message behind: the outbox is written
// in the answer's transaction.
func TestAnsweredMailInTheTransaction(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	if err := mail.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	outbox, err := mail.New(db, mail.Config{Addr: "127.0.0.1:25", From: "no-reply@mattranso.test", TLS: mail.NoTLS}, mail.Options{})
	if err != nil {
		t.Fatal(err)
	}
	failing := &failAfter{Mailer: outbox}
	f := newOffice(t, db, officeOptions{handling: feedback.HandlingOptions{Mailer: failing}})
	tok := f.officers()[saiGonOfficer]
	it := f.submit(t, feedback.Submission{Content: "Cây xanh trên vỉa hè bị nghiêng, có nguy cơ đổ.", Email: "ba.tran@example.vn"})
	f.bring(t, it.ID, tok, feedback.Accepted, feedback.InProgress)
	a := f.call(t, "POST", itemPath(it.ID, "/transition"), tok, map[string]string{"to": "answered", "answer": "Đã chặt tỉa cây."})
	if a.status != 500 {
		t.Fatalf("answer whose commit fails: %d %s", a.status, a.body)
	}
	var n int
	db.QueryRowContext(ctx, `SELECT COUNT(*) FROM mail_outbox`).Scan(&n)
	if got, _ := f.store.Item(ctx, it.ID); got.State != feedback.InProgress || n != 0 {
		t.Errorf("after a failed answer: %s, %d messages", got.State, n)
	}
}

// failAfter writes the message, then fails, as a later step of the same
// transaction would.
type failAfter struct{ feedback.Mailer }

func (m *failAfter) Enqueue(ctx context.Context, tx *sql.Tx, msg mail.Message) error {
	if err := m.Mailer.Enqueue(ctx, tx, msg); err != nil {
		return err
	}
	return io.ErrUnexpectedEOF
}
