package mail_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/mail"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

// TestHelperProcess is not a test: TestCrashBetweenClaimAndSend runs the
// test binary again as a sender on the same database, which claims the
// message and is killed while the server holds its delivery.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("GO_WANT_HELPER_PROCESS") != "1" {
		return
	}
	ctx := context.Background()
	db, err := store.Open(ctx, os.Getenv("HELPER_DSN"))
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(3)
	}
	o, err := mail.New(db, mail.Config{Addr: os.Getenv("HELPER_SMTP"), From: sender, TLS: mail.NoTLS},
		mail.Options{Runner: "doomed", Lease: 5 * time.Minute})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(3)
	}
	n, err := o.SendDue(ctx)
	fmt.Println("SendDue returned:", n, err) // it should have been killed first
	os.Exit(4)
}

// A sender killed after claiming a message and before the server took it
// loses nothing: the message stays leased to it until the lease runs out,
// untouched by another sender, and then the other sends it, once.
func TestCrashBetweenClaimAndSend(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		holding := make(chan struct{}, 1)
		release := make(chan struct{})
		srv, _ := startSMTP(t, plainServer, func(s *testSMTP) {
			s.OnData = func(n int) error {
				if n > 1 {
					return nil
				}
				holding <- struct{}{}
				<-release
				return smtpErr(421, smtp.EnhancedCode{4, 4, 2}, "Connection dropped")
			}
		})
		t.Cleanup(func() { close(release) }) // before the server stops
		clk := &clock{t: time.Now()}
		o := outbox(t, db, srv, mail.Options{Now: clk.Now, Runner: "survivor", Lease: 5 * time.Minute})
		if err := o.EnqueueDB(t.Context(), mail.Message{To: "a@example.vn", Subject: "Sống sót", Text: "Gửi lại sau khi bên gửi chết"}); err != nil {
			t.Fatal(err)
		}

		var out bytes.Buffer
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
		cmd.Env = append(os.Environ(), "GO_WANT_HELPER_PROCESS=1", "HELPER_DSN="+dsn(t, db), "HELPER_SMTP="+srv.Addr)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case <-holding:
		case err := <-exited:
			t.Fatalf("the sender process ended (%v) before sending: %s", err, out.String())
		case <-time.After(time.Minute):
			cmd.Process.Kill()
			t.Fatalf("the sender process never reached the server: %s", out.String())
		}
		cmd.Process.Kill()
		<-exited
		killedAt := time.Now()

		r := only(t, o)
		if r.Status != mail.Pending || r.Attempts != 1 || r.ClaimedBy != "doomed" || !r.ClaimedUntil.After(killedAt) {
			t.Fatalf("after the crash: %+v; want pending, claimed by the dead sender", r)
		}
		clk.t = killedAt.Add(time.Minute)
		if n := sendDue(t, o); n != 0 || len(srv.Messages()) != 0 || srv.Transactions() != 1 {
			t.Errorf("while the lease holds: sent %d, the server accepted %d", n, len(srv.Messages()))
		}
		clk.t = r.ClaimedUntil.Add(time.Millisecond)
		if n := sendDue(t, o); n != 1 {
			t.Errorf("after the lease: sent %d, want 1", n)
		}
		msgs := srv.Messages()
		if len(msgs) != 1 || parse(t, msgs[0].Data).subject != "Sống sót" {
			t.Errorf("the server accepted %d messages, want the one", len(msgs))
		}
		if r := only(t, o); r.Status != mail.Sent || r.Attempts != 2 || r.ClaimedBy != "" {
			t.Errorf("at the end: %+v", r)
		}
	})
}

// dsn is what store.Open needs to open db again, from another process.
func dsn(t *testing.T, db *store.DB) string {
	t.Helper()
	if db.Dialect == store.SQLite {
		var file string
		if err := db.QueryRowContext(t.Context(), `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&file); err != nil {
			t.Fatal(err)
		}
		return file
	}
	var name string
	if err := db.QueryRowContext(t.Context(), `SELECT current_database()`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(testenv.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
