package mail_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"golang.org/x/text/unicode/norm"

	"github.com/mattranso/mattranso/mail"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

const sender = "Mặt trận số <no-reply@mattranso.example.vn>"

// clock is a fake clock the tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 2, 16, 8, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func migrate(t testing.TB, db *store.DB) {
	t.Helper()
	for range 2 { // a second run must change nothing
		if err := mail.Migrate(t.Context(), db); err != nil {
			t.Fatal(err)
		}
	}
}

// outbox makes an Outbox on db that sends to srv in plain text.
func outbox(t testing.TB, db *store.DB, srv *testSMTP, opts mail.Options) *mail.Outbox {
	t.Helper()
	migrate(t, db)
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	o, err := mail.New(db, mail.Config{Addr: srv.Addr, From: sender, TLS: mail.NoTLS}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// testLogger writes the sender's log to the test's output, shown when a
// test fails or with -v.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}

func sendDue(t testing.TB, o *mail.Outbox) int {
	t.Helper()
	n, err := o.SendDue(t.Context())
	if err != nil {
		t.Fatalf("SendDue: %v", err)
	}
	return n
}

func stats(t testing.TB, o *mail.Outbox) mail.Stats {
	t.Helper()
	s, err := o.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func only(t testing.TB, o *mail.Outbox) mail.Record {
	t.Helper()
	rs, err := o.List(t.Context(), mail.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("outbox holds %d records, want 1: %+v", len(rs), rs)
	}
	return rs[0]
}

// parsed is a received message read back the way a mail reader would.
type parsed struct {
	header  netmail.Header
	subject string
	text    string
	html    string
}

func parse(t *testing.T, data []byte) parsed {
	t.Helper()
	// Headers folded and the body quoted-printable: every line fits in
	// 78 characters, 7-bit.
	for i, line := range strings.Split(string(data), "\r\n") {
		if len(line) > 78 {
			t.Errorf("line %d is %d characters long, want ≤ 78: %q", i+1, len(line), line)
		}
		if strings.ContainsFunc(line, func(r rune) bool { return r >= 0x80 || r == '\r' || r == '\n' }) {
			t.Errorf("line %d is not 7-bit or has a bare CR or LF: %q", i+1, line)
		}
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not an RFC 5322 message: %v\n%s", err, data)
	}
	p := parsed{header: msg.Header}
	if p.subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatalf("subject %q: %v", msg.Header.Get("Subject"), err)
	}
	media, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	switch media {
	case "text/plain":
		if params["charset"] != "utf-8" || msg.Header.Get("Content-Transfer-Encoding") != "quoted-printable" {
			t.Errorf("text part %q, %q; want utf-8, quoted-printable", msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"))
		}
		b, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
		if err != nil {
			t.Fatalf("body: %v", err)
		}
		p.text = string(b)
	case "multipart/alternative":
		mr := multipart.NewReader(msg.Body, params["boundary"])
		for i := 0; ; i++ {
			part, err := mr.NextPart() // decodes quoted-printable itself
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("part %d: %v", i, err)
			}
			b, err := io.ReadAll(part)
			if err != nil {
				t.Fatalf("part %d: %v", i, err)
			}
			switch ct := part.Header.Get("Content-Type"); ct {
			case "text/plain; charset=utf-8":
				p.text = string(b)
			case "text/html; charset=utf-8":
				p.html = string(b)
			default:
				t.Errorf("part %d has Content-Type %q", i, ct)
			}
		}
	default:
		t.Fatalf("Content-Type %q", media)
	}
	p.text = strings.ReplaceAll(p.text, "\r\n", "\n")
	p.html = strings.ReplaceAll(p.html, "\r\n", "\n")
	return p
}

// A message written through the outbox reaches the SMTP server once, with
// its Vietnamese subject and body intact, whether it was written alone
// or in the caller's transaction; Run sends it without being polled.
func TestDeliverOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		srv, _ := startSMTP(t, plainServer, nil)
		// An hour's poll: only the wake from Enqueue can make these go
		// out within the test.
		o := outbox(t, db, srv, mail.Options{Poll: time.Hour})
		ctx, cancel := context.WithCancel(t.Context())
		stopped := make(chan struct{})
		go func() {
			defer close(stopped)
			o.Run(ctx)
		}()
		defer func() { cancel(); <-stopped }()

		// The subject typed with decomposed tone marks, as some phones
		// send them: it must arrive composed (NFC).
		subject := norm.NFD.String("Phản ánh KX7P-2Q9M của bạn đã được Ủy ban MTTQ xã Ba Chẽ trả lời — cảm ơn bạn đã góp ý về đường liên thôn")
		text := "Kính gửi ông Nguyễn Văn Bảy,\n\nỦy ban Mặt trận Tổ quốc Việt Nam xã Ba Chẽ đã trả lời phản ánh của ông:\n" +
			"\"Đoạn đường liên thôn Đồng Dằm sẽ được sửa trước ngày 30/4.\"\n\n" +
			strings.Repeat("Dòng dài để kiểm tra việc ngắt dòng quoted-printable. ", 4) + "\n= dấu bằng ở đầu dòng.\n.\nDấu chấm đứng một mình ở trên.\n"
		err := o.EnqueueDB(t.Context(), mail.Message{
			To: "Nguyễn Văn Bảy <bay.nguyen@example.vn>", Subject: subject, Text: text,
			Kind: "feedback.answered", Ref: "KX7P-2Q9M",
		})
		if err != nil {
			t.Fatal(err)
		}
		got := srv.wait(t)
		if got.From != "no-reply@mattranso.example.vn" || len(got.To) != 1 || got.To[0] != "bay.nguyen@example.vn" {
			t.Errorf("envelope from %q to %q", got.From, got.To)
		}
		p := parse(t, got.Data)
		if want := norm.NFC.String(subject); p.subject != want {
			t.Errorf("subject %q, want %q", p.subject, want)
		}
		if p.text != text {
			t.Errorf("body\n%q\nwant\n%q", p.text, text)
		}
		if p.html != "" {
			t.Errorf("an HTML part without HTML: %q", p.html)
		}
		from, err := p.header.AddressList("From")
		if err != nil || len(from) != 1 || from[0].Name != "Mặt trận số" || from[0].Address != "no-reply@mattranso.example.vn" {
			t.Errorf("From %v, %v", from, err)
		}
		to, err := p.header.AddressList("To")
		if err != nil || len(to) != 1 || to[0].Name != "Nguyễn Văn Bảy" {
			t.Errorf("To %v, %v", to, err)
		}
		if d, err := p.header.Date(); err != nil || time.Since(d) > time.Hour || time.Since(d) < -time.Minute {
			t.Errorf("Date %q: %v", p.header.Get("Date"), err)
		}
		if id := p.header.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@mattranso.example.vn>") {
			t.Errorf("Message-ID %q", id)
		}
		if p.header.Get("MIME-Version") != "1.0" || p.header.Get("Auto-Submitted") != "auto-generated" {
			t.Errorf("MIME-Version %q, Auto-Submitted %q", p.header.Get("MIME-Version"), p.header.Get("Auto-Submitted"))
		}

		// In a transaction, with an HTML alternative.
		tx, err := db.BeginTx(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		html := "<p>Phản ánh <b>KX7P-2Q9N</b> đã được trả lời.</p>"
		if err := o.Enqueue(t.Context(), tx, mail.Message{
			To: "lan@example.vn", Subject: "Trả lời phản ánh", Text: "Phản ánh KX7P-2Q9N đã được trả lời.", HTML: html,
			Kind: "feedback.answered", Ref: "KX7P-2Q9N",
		}); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		p = parse(t, srv.wait(t).Data)
		if p.subject != "Trả lời phản ánh" || p.text != "Phản ánh KX7P-2Q9N đã được trả lời." || p.html != html {
			t.Errorf("got subject %q, text %q, html %q", p.subject, p.text, p.html)
		}

		// The server has the message a moment before the sender has its
		// answer: stopping now would leave it to be sent again.
		waitFor(t, "both messages recorded as sent", func() bool { return stats(t, o) == mail.Stats{Sent: 2} })
		cancel()
		<-stopped
		if n := len(srv.Messages()); n != 2 {
			t.Errorf("the server accepted %d messages, want 2", n)
		}
		rs, err := o.List(t.Context(), mail.Query{Kind: "feedback.answered", Ref: "KX7P-2Q9M"})
		if err != nil || len(rs) != 1 || rs[0].Status != mail.Sent || rs[0].Attempts != 1 || rs[0].DoneAt.IsZero() ||
			rs[0].To != "Nguyễn Văn Bảy <bay.nguyen@example.vn>" {
			t.Errorf("record %+v, %v", rs, err)
		}
	})
}

// waitFor waits until cond holds, failing the test if it does not within a
// minute (a guard against hanging, not a measure of speed).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A server that answers 451 (greylisting) twice gets the message on the
// third attempt, each retry only once its back-off has passed.
func TestRetryAfterTemporaryRefusal(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		srv, _ := startSMTP(t, plainServer, func(s *testSMTP) {
			s.OnRcpt = func(n int, _ string) error {
				if n <= 2 {
					return smtpErr(451, smtp.EnhancedCode{4, 7, 1}, "Greylisted, try again later")
				}
				return nil
			}
		})
		clk := newClock()
		start := clk.Now()
		o := outbox(t, db, srv, mail.Options{Now: clk.Now, RetryBase: time.Minute, RetryMax: time.Hour})
		if err := o.EnqueueDB(t.Context(), mail.Message{To: "a@example.vn", Subject: "Chào", Text: "Nội dung"}); err != nil {
			t.Fatal(err)
		}

		step := func(advance time.Duration, wantSent, wantTxns int) mail.Record {
			t.Helper()
			clk.Advance(advance)
			if n := sendDue(t, o); n != wantSent {
				t.Errorf("at +%v: sent %d, want %d", clk.Now().Sub(start), n, wantSent)
			}
			if n := srv.Transactions(); n != wantTxns {
				t.Errorf("at +%v: the server saw %d transactions, want %d", clk.Now().Sub(start), n, wantTxns)
			}
			return only(t, o)
		}
		r := step(0, 0, 1)
		if r.Status != mail.Pending || r.Attempts != 1 || !strings.Contains(r.LastError, "451") ||
			!r.NextAttempt.Equal(start.Add(time.Minute)) {
			t.Errorf("after the first refusal: %+v", r)
		}
		step(59*time.Second, 0, 1) // not due yet
		r = step(time.Second, 0, 2)
		if r.Attempts != 2 || !r.NextAttempt.Equal(start.Add(3*time.Minute)) {
			t.Errorf("after the second refusal: %+v, want the next attempt 2 minutes later", r)
		}
		step(119*time.Second, 0, 2)
		r = step(time.Second, 1, 3)
		if r.Status != mail.Sent || r.Attempts != 3 {
			t.Errorf("after the third attempt: %+v", r)
		}
		step(24*time.Hour, 0, 3) // sent is sent
		if n := len(srv.Messages()); n != 1 {
			t.Errorf("the server accepted %d messages, want 1", n)
		}
		if s := stats(t, o); s != (mail.Stats{Sent: 1}) {
			t.Errorf("stats %+v", s)
		}
	})
}

// A message the server refuses for good (5xx to the recipient or to the
// message) fails at once; what says the configuration or the network is
// wrong — a refused login or sender, a 4xx, a closed port, a server
// without the STARTTLS it was configured for — waits for a retry.
func TestPermanentAndTemporaryFailures(t *testing.T) {
	cases := []struct {
		name     string
		mode     serverTLS
		setup    func(*testSMTP)
		cfg      func(*mail.Config)
		failed   bool
		errHas   string
		wantTxns int
	}{
		{name: "550 no such mailbox", setup: func(s *testSMTP) {
			s.OnRcpt = func(int, string) error { return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "No such user") }
		}, failed: true, errHas: "550", wantTxns: 1},
		{name: "554 content refused", setup: func(s *testSMTP) {
			s.OnData = func(int) error { return smtpErr(554, smtp.EnhancedCode{5, 6, 0}, "Message refused") }
		}, failed: true, errHas: "554", wantTxns: 1},
		{name: "452 mailbox full", setup: func(s *testSMTP) {
			s.OnRcpt = func(int, string) error { return smtpErr(452, smtp.EnhancedCode{4, 2, 2}, "Mailbox full") }
		}, errHas: "452", wantTxns: 1},
		{name: "550 sender refused", setup: func(s *testSMTP) {
			s.OnMail = func(int) error { return smtpErr(550, smtp.EnhancedCode{5, 7, 1}, "Sender not allowed") }
		}, errHas: "smtp mail: 550", wantTxns: 1},
		{name: "wrong password", setup: func(s *testSMTP) { s.User, s.Pass = "mttq", "right" },
			cfg: func(c *mail.Config) { c.Username, c.Password = "mttq", "wrong" }, errHas: "smtp auth: 535", wantTxns: 0},
		{name: "port closed", cfg: func(c *mail.Config) { c.Addr = closedPort(t) }, errHas: "smtp connect", wantTxns: 0},
		{name: "no STARTTLS offered", setup: func(s *testSMTP) { s.User, s.Pass = "mttq", "secret" },
			cfg:    func(c *mail.Config) { c.TLS, c.Username, c.Password = mail.StartTLS, "mttq", "secret" },
			errHas: "STARTTLS", wantTxns: 0},
	}
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		migrate(t, db)
		for _, tc := range cases {
			t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
				srv, _ := startSMTP(t, tc.mode, tc.setup)
				cfg := mail.Config{Addr: srv.Addr, From: sender, TLS: mail.NoTLS}
				if tc.cfg != nil {
					tc.cfg(&cfg)
				}
				clk := newClock()
				o, err := mail.New(db, cfg, mail.Options{Now: clk.Now, Logger: testLogger(t)})
				if err != nil {
					t.Fatal(err)
				}
				ref := "case-" + strings.ReplaceAll(tc.name, " ", "-")
				if err := o.EnqueueDB(t.Context(), mail.Message{To: "a@example.vn", Subject: "S", Text: "T", Kind: "test", Ref: ref}); err != nil {
					t.Fatal(err)
				}
				if n := sendDue(t, o); n != 0 {
					t.Fatalf("sent %d", n)
				}
				rs, err := o.List(t.Context(), mail.Query{Kind: "test", Ref: ref})
				if err != nil || len(rs) != 1 {
					t.Fatalf("records %+v, %v", rs, err)
				}
				r := rs[0]
				want := mail.Pending
				if tc.failed {
					want = mail.Failed
				}
				if r.Status != want || r.Attempts != 1 || !strings.Contains(r.LastError, tc.errHas) {
					t.Errorf("record %+v; want %s after 1 attempt with an error containing %q", r, want, tc.errHas)
				}
				if tc.failed && r.DoneAt.IsZero() {
					t.Errorf("a failed message without its time: %+v", r)
				}
				// A day later: a failed message is not tried again, a
				// pending one is.
				clk.Advance(24 * time.Hour)
				sendDue(t, o)
				rs, _ = o.List(t.Context(), mail.Query{Kind: "test", Ref: ref})
				wantAttempts := 2
				if tc.failed {
					wantAttempts = 1
				}
				if rs[0].Attempts != wantAttempts {
					t.Errorf("a day later: %d attempts, want %d", rs[0].Attempts, wantAttempts)
				}
				if got := srv.Transactions(); got != tc.wantTxns*wantAttempts {
					t.Errorf("the server saw %d transactions, want %d", got, tc.wantTxns*wantAttempts)
				}
				if len(srv.Messages()) != 0 {
					t.Errorf("the server accepted %d messages", len(srv.Messages()))
				}
				if tc.name == "no STARTTLS offered" && srv.Auths() != 0 {
					t.Errorf("the password was offered over a connection without TLS")
				}
				// Leave nothing pending for the next case's sender.
				if _, err := db.ExecContext(t.Context(), `DELETE FROM mail_outbox`); err != nil {
					t.Fatal(err)
				}
			})
		}
	})
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// A server that never stops saying 4xx: after MaxAttempts the message is
// marked failed and kept, with the last reply.
func TestOutOfAttempts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		srv, _ := startSMTP(t, plainServer, func(s *testSMTP) {
			s.OnRcpt = func(int, string) error { return smtpErr(421, smtp.EnhancedCode{4, 3, 0}, "Try later") }
		})
		clk := newClock()
		o := outbox(t, db, srv, mail.Options{Now: clk.Now, MaxAttempts: 3, RetryBase: time.Minute, RetryMax: 2 * time.Minute})
		if err := o.EnqueueDB(t.Context(), mail.Message{To: "a@example.vn", Subject: "S", Text: "T"}); err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			sendDue(t, o)
			clk.Advance(2 * time.Minute)
			if r := only(t, o); r.Attempts != min(i+1, 3) {
				t.Errorf("after pass %d: %d attempts", i+1, r.Attempts)
			}
		}
		r := only(t, o)
		if r.Status != mail.Failed || r.Attempts != 3 || !strings.Contains(r.LastError, "421") {
			t.Errorf("record %+v, want failed after 3 attempts with the 421", r)
		}
		if srv.Transactions() != 3 {
			t.Errorf("the server saw %d transactions, want 3", srv.Transactions())
		}
		if s := stats(t, o); s != (mail.Stats{Failed: 1}) {
			t.Errorf("stats %+v", s)
		}
		fs, err := o.List(t.Context(), mail.Query{Status: mail.Failed})
		if err != nil || len(fs) != 1 || fs[0].ID != r.ID {
			t.Errorf("failed list %+v, %v", fs, err)
		}
	})
}

// A message written in a transaction that rolls back does not exist: it
// is never sent. One in a committed transaction is.
func TestRolledBackTransactionSendsNothing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		srv, _ := startSMTP(t, plainServer, nil)
		o := outbox(t, db, srv, mail.Options{})
		for _, commit := range []bool{false, true} {
			tx, err := db.BeginTx(t.Context(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := o.Enqueue(t.Context(), tx, mail.Message{To: "a@example.vn", Subject: fmt.Sprint("commit ", commit), Text: "T"}); err != nil {
				t.Fatal(err)
			}
			if commit {
				err = tx.Commit()
			} else {
				err = tx.Rollback()
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := sendDue(t, o); n != 1 {
			t.Errorf("sent %d, want 1", n)
		}
		msgs := srv.Messages()
		if len(msgs) != 1 || parse(t, msgs[0].Data).subject != "commit true" {
			t.Errorf("the server accepted %d messages, want only the committed one", len(msgs))
		}
		if s := stats(t, o); s != (mail.Stats{Sent: 1}) {
			t.Errorf("stats %+v", s)
		}
		if err := o.Enqueue(t.Context(), nil, mail.Message{To: "a@example.vn", Subject: "S", Text: "T"}); err == nil {
			t.Error("Enqueue without a transaction was accepted")
		}
	})
}

// Two senders on one database, each with its own connections, take
// different messages at the same time, and every message goes out exactly
// once.
func TestTwoSendersSendEachOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		const total = 30
		// The first two messages are held at the server until both are
		// there: proof that the two senders were sending at once, each
		// holding a lease on a different message.
		both := make(chan struct{})
		var arrivedFirst sync.Once
		var inFlight sync.WaitGroup
		inFlight.Add(2)
		srv, _ := startSMTP(t, plainServer, func(s *testSMTP) {
			s.OnData = func(n int) error {
				if n > 2 {
					return nil
				}
				inFlight.Done()
				arrivedFirst.Do(func() {
					go func() { inFlight.Wait(); close(both) }()
				})
				select {
				case <-both:
					return nil
				case <-time.After(time.Minute):
					return smtpErr(421, smtp.EnhancedCode{4, 3, 0}, "the other sender never came")
				}
			}
		})
		migrate(t, db)
		other := reopen(t, db)
		cfg := mail.Config{Addr: srv.Addr, From: sender, TLS: mail.NoTLS}
		a, err := mail.New(db, cfg, mail.Options{Runner: "a", Logger: testLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		b, err := mail.New(other, cfg, mail.Options{Runner: "b", Logger: testLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		for i := range total {
			if err := a.EnqueueDB(t.Context(), mail.Message{To: fmt.Sprintf("c%02d@example.vn", i), Subject: fmt.Sprint("số ", i), Text: "T"}); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		sent := make([]int, 2)
		errs := make([]error, 2)
		for i, o := range []*mail.Outbox{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sent[i], errs[i] = o.SendDue(t.Context())
			}()
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("SendDue: %v, %v", errs[0], errs[1])
		}
		if sent[0]+sent[1] != total || sent[0] == 0 || sent[1] == 0 {
			t.Errorf("a sent %d and b %d; want %d together, each some", sent[0], sent[1], total)
		}
		seen := map[string]int{}
		for _, m := range srv.Messages() {
			seen[m.To[0]]++
		}
		for i := range total {
			if to := fmt.Sprintf("c%02d@example.vn", i); seen[to] != 1 {
				t.Errorf("%s received %d times", to, seen[to])
			}
		}
		if n := len(srv.Messages()); n != total {
			t.Errorf("the server accepted %d messages, want %d", n, total)
		}
		if s := stats(t, a); s != (mail.Stats{Sent: total}) {
			t.Errorf("stats %+v", s)
		}
	})
}

// reopen opens a second connection pool on the database db is open on,
// as a second instance of the server would.
func reopen(t *testing.T, db *store.DB) *store.DB {
	t.Helper()
	other, err := store.Open(t.Context(), dsn(t, db))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return other
}

// Sent messages are deleted once KeepSent has passed; pending and failed
// ones stay.
func TestPurgeSent(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		srv, _ := startSMTP(t, plainServer, func(s *testSMTP) {
			s.OnRcpt = func(_ int, to string) error {
				if strings.HasPrefix(to, "gone") {
					return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "No such user")
				}
				return nil
			}
		})
		clk := newClock()
		o := outbox(t, db, srv, mail.Options{Now: clk.Now, KeepSent: 7 * 24 * time.Hour})
		for _, to := range []string{"ok@example.vn", "gone@example.vn"} {
			if err := o.EnqueueDB(t.Context(), mail.Message{To: to, Subject: "S", Text: "T"}); err != nil {
				t.Fatal(err)
			}
		}
		sendDue(t, o)
		clk.Advance(7 * 24 * time.Hour)
		if err := o.EnqueueDB(t.Context(), mail.Message{To: "later@example.vn", Subject: "S", Text: "T"}); err != nil {
			t.Fatal(err)
		}
		if n, err := mail.Purge(o, t.Context(), clk.Now()); err != nil || n != 0 {
			t.Errorf("purged %d (%v) at exactly KeepSent, want 0", n, err)
		}
		clk.Advance(time.Millisecond)
		if n, err := mail.Purge(o, t.Context(), clk.Now()); err != nil || n != 1 {
			t.Errorf("purged %d (%v), want 1", n, err)
		}
		if s := stats(t, o); s != (mail.Stats{Pending: 1, Failed: 1}) {
			t.Errorf("stats %+v", s)
		}
	})
}

// TLS: STARTTLS with a login, and TLS from the first byte, against a
// server whose certificate the configuration trusts; a certificate it does
// not trust sends nothing.
func TestTLS(t *testing.T) {
	db := storetest.SQLite(t)
	migrate(t, db)
	cases := []struct {
		name    string
		mode    serverTLS
		tls     mail.TLSMode
		trusted bool
	}{
		{"starttls", startTLSServer, mail.StartTLS, true},
		{"implicit", implicitServer, mail.ImplicitTLS, true},
		{"untrusted", startTLSServer, mail.StartTLS, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := db.ExecContext(t.Context(), `DELETE FROM mail_outbox`); err != nil {
				t.Fatal(err)
			}
			srv, pool := startSMTP(t, tc.mode, func(s *testSMTP) { s.User, s.Pass = "mttq", "mật khẩu" })
			if !tc.trusted {
				pool = x509.NewCertPool()
			}
			o, err := mail.New(db, mail.Config{Addr: srv.Addr, From: sender, TLS: tc.tls,
				Username: "mttq", Password: "mật khẩu", RootCAs: pool}, mail.Options{Logger: testLogger(t)})
			if err != nil {
				t.Fatal(err)
			}
			if err := o.EnqueueDB(t.Context(), mail.Message{To: "a@example.vn", Subject: "Bảo mật", Text: "Qua TLS"}); err != nil {
				t.Fatal(err)
			}
			n := sendDue(t, o)
			r := only(t, o)
			if !tc.trusted {
				if n != 0 || r.Status != mail.Pending || !strings.Contains(r.LastError, "certificate") || srv.Auths() != 0 {
					t.Errorf("untrusted server: sent %d, record %+v, %d logins", n, r, srv.Auths())
				}
				return
			}
			if n != 1 || r.Status != mail.Sent || srv.Auths() != 1 {
				t.Fatalf("sent %d, record %+v, %d logins", n, r, srv.Auths())
			}
			if p := parse(t, srv.Messages()[0].Data); p.subject != "Bảo mật" || p.text != "Qua TLS" {
				t.Errorf("got %q, %q", p.subject, p.text)
			}
		})
	}
}

// What Enqueue refuses, it refuses naming the field, in Vietnamese then
// English, and writes nothing.
func TestEnqueueRefuses(t *testing.T) {
	ok := mail.Message{To: "a@example.vn", Subject: "Chủ đề", Text: "Nội dung", Kind: "feedback.answered", Ref: "KX7P-2Q9M"}
	with := func(f func(*mail.Message)) mail.Message { m := ok; f(&m); return m }
	cases := []struct {
		name  string
		m     mail.Message
		field string
	}{
		{"header injection in to", with(func(m *mail.Message) { m.To = "a@example.vn\r\nBcc: all@example.vn" }), "to"},
		{"line feed in to", with(func(m *mail.Message) { m.To = "a@example.vn\nBcc: all@example.vn" }), "to"},
		{"header injection in subject", with(func(m *mail.Message) { m.Subject = "Chào\r\nBcc: all@example.vn" }), "subject"},
		{"carriage return in subject", with(func(m *mail.Message) { m.Subject = "Chào\rBcc: all@example.vn" }), "subject"},
		{"tab in subject", with(func(m *mail.Message) { m.Subject = "Chào\tbạn" }), "subject"},
		{"no recipient", with(func(m *mail.Message) { m.To = " " }), "to"},
		{"not an address", with(func(m *mail.Message) { m.To = "không phải địa chỉ" }), "to"},
		{"two recipients", with(func(m *mail.Message) { m.To = "a@example.vn, b@example.vn" }), "to"},
		{"accented local part", with(func(m *mail.Message) { m.To = "thư@example.vn" }), "to"},
		{"no dot in the domain", with(func(m *mail.Message) { m.To = "a@localhost" }), "to"},
		{"domain literal", with(func(m *mail.Message) { m.To = "a@[127.0.0.1]" }), "to"},
		{"invalid UTF-8 in to", with(func(m *mail.Message) { m.To = "a\xff@example.vn" }), "to"},
		{"no subject", with(func(m *mail.Message) { m.Subject = "  " }), "subject"},
		{"subject too long", with(func(m *mail.Message) { m.Subject = strings.Repeat("ệ", mail.MaxSubject+1) }), "subject"},
		{"no text", with(func(m *mail.Message) { m.Text = "\n" }), "text"},
		{"NUL in text", with(func(m *mail.Message) { m.Text = "a\x00b" }), "text"},
		{"text too long", with(func(m *mail.Message) { m.Text = strings.Repeat("a", mail.MaxBody+1) }), "text"},
		{"invalid UTF-8 in html", with(func(m *mail.Message) { m.HTML = "<p>\xff</p>" }), "html"},
		{"kind with spaces", with(func(m *mail.Message) { m.Kind = "Feedback Answered" }), "kind"},
		{"line break in ref", with(func(m *mail.Message) { m.Ref = "KX7P\nBcc" }), "ref"},
	}
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		srv, _ := startSMTP(t, plainServer, nil)
		o := outbox(t, db, srv, mail.Options{})
		for _, tc := range cases {
			err := o.EnqueueDB(t.Context(), tc.m)
			var ie *mail.InvalidError
			if !errors.As(err, &ie) || ie.Field != tc.field {
				t.Errorf("%s: %v, want an InvalidError for %q", tc.name, err, tc.field)
				continue
			}
			if msg := err.Error(); !strings.Contains(msg, " ("+tc.field+": ") || ie.Vi == "" || ie.En == "" {
				t.Errorf("%s: message %q is not Vietnamese then English naming %s", tc.name, msg, tc.field)
			}
		}
		if s := stats(t, o); s != (mail.Stats{}) {
			t.Errorf("refused messages were written: %+v", s)
		}
		if err := o.EnqueueDB(t.Context(), ok); err != nil {
			t.Errorf("a good message: %v", err)
		}
	})
}

func TestCheckAddress(t *testing.T) {
	for in, want := range map[string]string{
		"a@example.vn":                    "a@example.vn",
		"  Bay.Nguyen@Example.VN ":        "Bay.Nguyen@example.vn",
		"Lan <lan@example.vn>":            "lan@example.vn",
		"Nguyễn Văn Bảy <bay@example.vn>": "bay@example.vn",
		"Lan <lan@MặtTrận.vn>":            "lan@xn--mttrn-o31bsc.vn",
		norm.NFD.String("lan@mặttrận.vn"): "lan@xn--mttrn-o31bsc.vn",
	} {
		got, err := mail.CheckAddress(in)
		if err != nil || got != want {
			t.Errorf("CheckAddress(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// New refuses a configuration or options that cannot work, naming them.
func TestNewRefuses(t *testing.T) {
	db := storetest.SQLite(t)
	good := mail.Config{Addr: "smtp.example.vn:587", From: sender}
	for _, tc := range []struct {
		name string
		cfg  mail.Config
		opts mail.Options
		has  string
	}{
		{"no port", mail.Config{Addr: "smtp.example.vn", From: sender}, mail.Options{}, "addr:"},
		{"port out of range", mail.Config{Addr: "smtp.example.vn:70000", From: sender}, mail.Options{}, "addr:"},
		{"no sender", mail.Config{Addr: "smtp.example.vn:587"}, mail.Options{}, "from:"},
		{"bad mode", mail.Config{Addr: "smtp.example.vn:587", From: sender, TLS: "ssl"}, mail.Options{}, "tls:"},
		{"password in clear", mail.Config{Addr: "smtp.example.vn:25", From: sender, TLS: mail.NoTLS, Username: "u", Password: "p"}, mail.Options{}, "tls:"},
		{"password without user", mail.Config{Addr: "smtp.example.vn:587", From: sender, Password: "p"}, mail.Options{}, "username:"},
		{"send timeout past the lease", good, mail.Options{Lease: time.Minute, SendTimeout: 2 * time.Minute}, "SendTimeout"},
		{"no back-off", good, mail.Options{RetryBase: time.Millisecond}, "RetryBase"},
	} {
		if _, err := mail.New(db, tc.cfg, tc.opts); err == nil || !strings.Contains(err.Error(), tc.has) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.has)
		}
	}
	if _, err := mail.New(db, good, mail.Options{}); err != nil {
		t.Errorf("a good configuration: %v", err)
	}
}

// Subjects, names and bodies of every shape come out as they went in.
func TestMessageForms(t *testing.T) {
	db := storetest.SQLite(t)
	srv, _ := startSMTP(t, plainServer, nil)
	o := outbox(t, db, srv, mail.Options{})
	longVi := strings.Repeat("Ủy ban Mặt trận Tổ quốc Việt Nam phường Bến Thành, ", 10)
	for _, tc := range []struct {
		name string
		m    mail.Message
		text string // what the reader gets, when not m.Text
	}{
		{"long ASCII subject", mail.Message{Subject: strings.Repeat("Your feedback  has been answered; ", 5) + "end", Text: "x"}, ""},
		{"ASCII that looks encoded", mail.Message{Subject: "=?utf-8?q?Gi=E1=BA=A3?= is not encoded", Text: "x"}, ""},
		{"emoji and tone marks", mail.Message{Subject: "Cảm ơn 🙏 bạn — “trích dẫn”", Text: "Cảm ơn 🙏"}, ""},
		{"longest subject", mail.Message{Subject: strings.Repeat("ệ", mail.MaxSubject), Text: "x"}, ""},
		{"no final line break", mail.Message{Subject: "S", Text: "Một dòng"}, ""},
		{"CRLF lines", mail.Message{Subject: "S", Text: "dòng 1\r\ndòng 2\r\n"}, "dòng 1\ndòng 2\n"},
		{"long line", mail.Message{Subject: "S", Text: longVi + "\n" + longVi}, ""},
		{"trailing spaces", mail.Message{Subject: "S", Text: "cuối dòng có dấu cách   \nvà tab\t\n"}, ""},
		{"long display name", mail.Message{To: strings.TrimSpace(string([]rune(strings.ReplaceAll(longVi, ",", ""))[:150])) + " <a@example.vn>", Subject: "S", Text: "x"}, ""},
		{"HTML without final line break", mail.Message{Subject: "S", Text: "x", HTML: "<p>" + longVi + "</p>"}, ""},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			if tc.m.To == "" {
				tc.m.To = "a@example.vn"
			}
			if err := o.EnqueueDB(t.Context(), tc.m); err != nil {
				t.Fatal(err)
			}
			if n := sendDue(t, o); n != 1 {
				t.Fatalf("sent %d", n)
			}
			p := parse(t, srv.wait(t).Data)
			want := tc.text
			if want == "" {
				want = tc.m.Text
			}
			if p.subject != tc.m.Subject || p.text != want || p.html != tc.m.HTML {
				t.Errorf("got subject %q, text %q, html %q", p.subject, p.text, p.html)
			}
			to, err := p.header.AddressList("To")
			if name, _, _ := strings.Cut(tc.m.To, " <"); err != nil || len(to) != 1 || (strings.Contains(tc.m.To, "<") && to[0].Name != name) {
				t.Errorf("To %v, %v", to, err)
			}
		})
	}
}
