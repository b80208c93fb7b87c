package mail_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// testSMTP is a test SMTP server: github.com/emersion/go-smtp's server,
// started by the test on a loopback port, that keeps every message it
// accepts. Hooks script its replies (greylisting, refusals, a server that
// hangs), and it counts what it was asked so that a test can tell "not
// tried" from "tried and refused".
type testSMTP struct {
	Addr string

	// Set before the first connection:
	User, Pass string // when set, AUTH PLAIN is required before MAIL
	// OnMail, OnRcpt and OnData, when set, answer for the n-th
	// transaction (MAIL command, from 1, over all connections): a
	// non-nil error is the reply.
	OnMail func(n int) error
	OnRcpt func(n int, to string) error
	OnData func(n int) error

	mu       sync.Mutex
	txns     int
	auths    int
	messages []received
	arrived  chan received
	server   *smtp.Server
}

type received struct {
	From string
	To   []string
	Data []byte
}

type serverTLS int

const (
	plainServer    serverTLS = iota
	startTLSServer           // offers STARTTLS
	implicitServer           // TLS from the first byte
)

// startSMTP starts a test SMTP server, stopped at the end of the test.
// With TLS it presents a certificate for 127.0.0.1 that the returned pool
// trusts.
func startSMTP(t *testing.T, mode serverTLS, setup func(*testSMTP)) (*testSMTP, *x509.CertPool) {
	t.Helper()
	s := &testSMTP{arrived: make(chan received, 1000)}
	if setup != nil {
		setup(s)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &testSession{s: s}, nil
	}))
	srv.Domain = "test-smtp.localhost"
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.AllowInsecureAuth = mode == plainServer
	srv.ErrorLog = log.New(io.Discard, "", 0)
	var pool *x509.CertPool
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if mode != plainServer {
		cert, p := selfSigned(t)
		pool = p
		cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
		if mode == startTLSServer {
			srv.TLSConfig = cfg
		} else {
			ln = tls.NewListener(ln, cfg)
		}
	}
	s.Addr = ln.Addr().String()
	s.server = srv
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return s, pool
}

// Messages returns what the server accepted so far.
func (s *testSMTP) Messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.messages...)
}

// Transactions is how many MAIL commands the server was sent.
func (s *testSMTP) Transactions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.txns
}

// Auths is how many AUTH exchanges reached the server.
func (s *testSMTP) Auths() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.auths
}

// wait returns the next message accepted, failing the test if none comes
// in a minute (a guard against hanging, not a measure of speed).
func (s *testSMTP) wait(t *testing.T) received {
	t.Helper()
	select {
	case m := <-s.arrived:
		return m
	case <-time.After(time.Minute):
		t.Fatalf("no message reached the test SMTP server (%d transactions)", s.Transactions())
		return received{}
	}
}

type testSession struct {
	s      *testSMTP
	authed bool
	n      int
	from   string
	to     []string
}

func (se *testSession) AuthMechanisms() []string {
	if se.s.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (se *testSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		se.s.mu.Lock()
		se.s.auths++
		se.s.mu.Unlock()
		if user != se.s.User || pass != se.s.Pass {
			return smtp.ErrAuthFailed
		}
		se.authed = true
		return nil
	}), nil
}

func (se *testSession) Mail(from string, _ *smtp.MailOptions) error {
	if se.s.User != "" && !se.authed {
		return smtp.ErrAuthRequired
	}
	se.s.mu.Lock()
	se.s.txns++
	se.n = se.s.txns
	se.s.mu.Unlock()
	if se.s.OnMail != nil {
		if err := se.s.OnMail(se.n); err != nil {
			return err
		}
	}
	se.from = from
	return nil
}

func (se *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if se.s.OnRcpt != nil {
		if err := se.s.OnRcpt(se.n, to); err != nil {
			return err
		}
	}
	se.to = append(se.to, to)
	return nil
}

func (se *testSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if se.s.OnData != nil {
		if err := se.s.OnData(se.n); err != nil {
			return err
		}
	}
	m := received{From: se.from, To: se.to, Data: b}
	se.s.mu.Lock()
	se.s.messages = append(se.s.messages, m)
	se.s.mu.Unlock()
	se.s.arrived <- m
	return nil
}

func (se *testSession) Reset() { se.from, se.to = "", nil }

func (se *testSession) Logout() error { return nil }

// smtpErr is a reply of the test server.
func smtpErr(code int, enh smtp.EnhancedCode, msg string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: enh, Message: msg}
}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test SMTP server"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}
