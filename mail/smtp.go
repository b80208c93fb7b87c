package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"time"
)

// sendError is a failed delivery: at which step of the SMTP conversation,
// and what the server (or the network) said.
type sendError struct {
	step string // connect, hello, starttls, auth, mail, rcpt, data
	err  error
}

func (e *sendError) Error() string { return "smtp " + e.step + ": " + e.err.Error() }
func (e *sendError) Unwrap() error { return e.err }

// permanent reports whether sending the message again cannot help: a 5xx
// reply to the recipient or to the message itself (no such mailbox, the
// content refused). A 5xx anywhere earlier — a refused login, a refused
// sender — says the configuration is wrong, not the message, so those
// wait for someone to fix it, like the 4xx replies and network failures.
func (e *sendError) permanent() bool {
	var tp *textproto.Error
	return errors.As(e.err, &tp) && tp.Code >= 500 && tp.Code < 600 && (e.step == "rcpt" || e.step == "data")
}

// transport delivers rendered messages to one SMTP server.
type transport struct {
	cfg     Config
	host    string
	from    address
	timeout time.Duration
}

func (t *transport) tlsConfig() *tls.Config {
	return &tls.Config{ServerName: t.host, RootCAs: t.cfg.RootCAs, MinVersion: tls.VersionTLS12}
}

// send delivers data to one recipient, in one connection. Every step is
// bounded by the transport's timeout and by ctx.
func (t *transport) send(ctx context.Context, to string, data []byte) (err error) {
	deadline := time.Now().Add(t.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	dialCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	dialer := &net.Dialer{}
	var conn net.Conn
	if t.cfg.mode() == ImplicitTLS {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: t.tlsConfig()}).DialContext(dialCtx, "tcp", t.cfg.Addr)
	} else {
		conn, err = dialer.DialContext(dialCtx, "tcp", t.cfg.Addr)
	}
	if err != nil {
		return &sendError{"connect", err}
	}
	conn.SetDeadline(deadline)
	// net/smtp takes no context: closing the connection is how a
	// cancelled send stops.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	c, err := smtp.NewClient(conn, t.host)
	if err != nil {
		conn.Close()
		return &sendError{"connect", err}
	}
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		return &sendError{"hello", err}
	}
	if t.cfg.mode() == StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return &sendError{"starttls", errors.New("máy chủ không hỗ trợ STARTTLS; không gửi khi chưa mã hoá (the server does not offer STARTTLS; nothing is sent unencrypted)")}
		}
		if err := c.StartTLS(t.tlsConfig()); err != nil {
			return &sendError{"starttls", err}
		}
	}
	if t.cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return &sendError{"auth", errors.New("máy chủ không nhận đăng nhập (AUTH) (the server does not offer AUTH)")}
		}
		if err := c.Auth(smtp.PlainAuth("", t.cfg.Username, t.cfg.Password, t.host)); err != nil {
			return &sendError{"auth", err}
		}
	}
	if err := c.Mail(t.from.Addr); err != nil {
		return &sendError{"mail", err}
	}
	if err := c.Rcpt(to); err != nil {
		return &sendError{"rcpt", err}
	}
	w, err := c.Data()
	if err != nil {
		return &sendError{"data", err}
	}
	if _, err := w.Write(data); err != nil {
		return &sendError{"data", err}
	}
	// The reply to the end of the data is the server's word that it has
	// taken the message: from here on it is delivered.
	if err := w.Close(); err != nil {
		return &sendError{"data", err}
	}
	c.Quit() // accepted already: a failed goodbye changes nothing
	return nil
}

// checkCredentials refuses a configuration that would send a password in
// the clear; net/smtp would refuse at the first message, later and less
// clearly.
func (c Config) checkCredentials(host string) error {
	if c.Username == "" || c.mode() != NoTLS {
		return nil
	}
	switch host {
	case "localhost", "127.0.0.1", "::1":
		return nil
	}
	return invalid("tls", fmt.Sprintf("tls=none gửi mật khẩu không mã hoá tới %s; dùng starttls hoặc tls", host),
		fmt.Sprintf("tls=none would send the password unencrypted to %s; use starttls or tls", host))
}
