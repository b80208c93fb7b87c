package mail_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/mail"
)

func TestParseURL(t *testing.T) {
	const from = "no-reply@example.vn"
	for _, tc := range []struct {
		in   string
		want mail.Config
	}{
		{"smtp://mttq:p%40ss%3Aw0rd@smtp.example.vn:587?from=no-reply@example.vn&tls=starttls",
			mail.Config{Addr: "smtp.example.vn:587", Username: "mttq", Password: "p@ss:w0rd", From: from, TLS: mail.StartTLS}},
		{"smtp://smtp.example.vn?from=no-reply@example.vn",
			mail.Config{Addr: "smtp.example.vn:587", From: from, TLS: mail.StartTLS}},
		{"smtps://u:p@smtp.example.vn?from=no-reply@example.vn",
			mail.Config{Addr: "smtp.example.vn:465", Username: "u", Password: "p", From: from, TLS: mail.ImplicitTLS}},
		{"SMTP://smtp.example.vn:465?from=no-reply@example.vn",
			mail.Config{Addr: "smtp.example.vn:465", From: from, TLS: mail.ImplicitTLS}},
		{"smtp://smtp.example.vn:2525?from=no-reply@example.vn&tls=TLS",
			mail.Config{Addr: "smtp.example.vn:2525", From: from, TLS: mail.ImplicitTLS}},
		{"smtp://localhost?from=no-reply@example.vn&tls=none",
			mail.Config{Addr: "localhost:25", From: from, TLS: mail.NoTLS}},
		{"smtp://relay:secret@127.0.0.1:2525/?tls=none&from=no-reply@example.vn",
			mail.Config{Addr: "127.0.0.1:2525", Username: "relay", Password: "secret", From: from, TLS: mail.NoTLS}},
		{"smtp://[::1]:2525?from=no-reply@example.vn&tls=none",
			mail.Config{Addr: "[::1]:2525", From: from, TLS: mail.NoTLS}},
		// Reserved characters left unencoded in the password still read
		// as the password: the user information ends at the last @.
		{"smtp://mttq:a/b@c:d@smtp.example.vn?from=no-reply@example.vn",
			mail.Config{Addr: "smtp.example.vn:587", Username: "mttq", Password: "a/b@c:d", From: from, TLS: mail.StartTLS}},
		{"smtp://smtp.example.vn?from=M%E1%BA%B7t+tr%E1%BA%ADn+s%E1%BB%91+%3Cno-reply%40example.vn%3E",
			mail.Config{Addr: "smtp.example.vn:587", From: "Mặt trận số <no-reply@example.vn>", TLS: mail.StartTLS}},
	} {
		got, err := mail.ParseURL(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

// Every refusal names the part at fault, in Vietnamese then English, and
// none repeats the password.
func TestParseURLRefuses(t *testing.T) {
	const pw = "Pw-9x7Zq"
	for _, tc := range []struct {
		in, field string
	}{
		{"http://smtp.example.vn?from=a@example.vn", "scheme"},
		{"smtp.example.vn:587", "scheme"},
		{"smtp://?from=a@example.vn", "host"},
		{"smtp://u:" + pw + "@?from=a@example.vn", "host"},
		{"smtp://smtp.example.vn:99999?from=a@example.vn", "port"},
		{"smtp://u:" + pw + "@smtp.example.vn:abc?from=a@example.vn", "port"},
		{"smtp://smtp.example.vn:?from=a@example.vn", "port"},
		{"smtp://smtp example.vn?from=a@example.vn", "host"},
		{"smtp://smtp.ví-dụ.vn?from=a@example.vn", "host"},
		{"smtp://fe80::1?from=a@example.vn", "host"},
		{"smtp://u@smtp.example.vn?from=a@example.vn", "password"},
		{"smtp://u:@smtp.example.vn?from=a@example.vn", "password"},
		{"smtp://:" + pw + "@smtp.example.vn?from=a@example.vn", "user"},
		{"smtp://u:" + pw + "%zz@smtp.example.vn?from=a@example.vn", "password"},
		{"smtp://smtp.example.vn?tls=starttls", "from"},
		{"smtp://smtp.example.vn?from=", "from"},
		{"smtp://u:" + pw + "@smtp.example.vn?from=not-an-address", "from"},
		{"smtp://smtp.example.vn?from=a@example.vn&from=b@example.vn", "from"},
		{"smtp://smtp.example.vn?from=a@example.vn&tls=ssl", "tls"},
		{"smtp://smtp.example.vn?from=a@example.vn&tls=starttls&tls=none", "tls"},
		{"smtps://smtp.example.vn?from=a@example.vn&tls=none", "tls"},
		{"smtp://u:" + pw + "@smtp.example.vn?from=a@example.vn&tls=none", "tls"},
		{"smtp://smtp.example.vn/mail?from=a@example.vn", "path"},
		{"smtp://smtp.example.vn?from=a@example.vn#x", "fragment"},
		{"smtp://smtp.example.vn?from=a@example.vn&timeout=5", "timeout"},
		{"smtp://smtp.example.vn?from=a@example.vn&x=%zz", "query"},
	} {
		_, err := mail.ParseURL(tc.in)
		var ie *mail.InvalidError
		if !errors.As(err, &ie) || ie.Field != tc.field {
			t.Errorf("ParseURL(%q): %v; want an InvalidError for %q", tc.in, err, tc.field)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, pw) {
			t.Errorf("ParseURL(%q): the message repeats the password: %s", tc.in, msg)
		}
		if !strings.HasPrefix(msg, "mail: "+tc.field+": ") || !strings.Contains(msg, " ("+tc.field+": ") || !strings.HasSuffix(msg, ")") {
			t.Errorf("ParseURL(%q): message %q is not Vietnamese then English naming %s", tc.in, msg, tc.field)
		}
	}
}

// A configuration printed for a log hides the password.
func TestConfigString(t *testing.T) {
	c, err := mail.ParseURL("smtp://mttq:Pw-9x7Zq@smtp.example.vn?from=no-reply@example.vn")
	if err != nil {
		t.Fatal(err)
	}
	s := c.String()
	if strings.Contains(s, "Pw-9x7Zq") || !strings.Contains(s, "mttq:xxxxx@smtp.example.vn:587") || !strings.Contains(s, "tls=starttls") {
		t.Errorf("String() = %q", s)
	}
	back, err := mail.ParseURL(s)
	if err != nil || back.Addr != c.Addr || back.From != c.From || back.TLS != c.TLS {
		t.Errorf("String() does not read back: %+v, %v", back, err)
	}
}
