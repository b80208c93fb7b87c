// Package dextest starts a real Dex, the OpenID Connect provider, for
// tests: memory storage, one static client and static password users, on
// 127.0.0.1, stopped when the test ends.
//
// The Dex binary is named by MATTRANSO_TEST_DEX, which `bash
// scripts/test.sh` builds (from the scripts/dex module) and sets. Without
// it the test ends as testenv.Missing says: skipped on a developer's
// machine, failed in CI.
package dextest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/mattranso/mattranso/internal/testenv"
)

// User is a person Dex knows, who signs in with Email and Password.
type User struct {
	Email    string
	Password string
	Name     string
	// Subject is Dex's user id for the person; Dex puts it, with its
	// connector's id, into the ID token's "sub".
	Subject string
}

// Options configure a Dex.
type Options struct {
	// RedirectURLs are the client's allowed redirect URLs (the site's
	// /auth/callback). At least one is needed.
	RedirectURLs []string
	// ClientID and ClientSecret of the static client; default "mattranso"
	// and a fixed test secret.
	ClientID, ClientSecret string
	// Users who may sign in; default DefaultUser.
	Users []User
}

// DefaultUser signs in when Options.Users is empty.
var DefaultUser = User{
	Email:    "can-bo@mattranso.test",
	Password: "mat-khau-thu-nghiem",
	Name:     "Nguyễn Thị Thu",
	Subject:  "3f1c2a9e-5b7d-4e0a-9c61-1d2f3a4b5c6d",
}

// Dex is a running Dex.
type Dex struct {
	Issuer       string // http://127.0.0.1:PORT/dex
	ClientID     string
	ClientSecret string
	Users        []User
}

// startTimeout bounds Dex's start; it usually takes well under a second.
const startTimeout = 20 * time.Second

// hashes caches bcrypt hashes by password: Dex insists on cost 10 or more,
// about 50 ms each.
var hashes sync.Map

// Start starts Dex for the test and stops it at the test's end. Dex's
// output goes to the test log when the test fails.
func Start(t testing.TB, o Options) *Dex {
	t.Helper()
	bin := testenv.Dex(t)
	if len(o.RedirectURLs) == 0 {
		t.Fatal("dextest: Options.RedirectURLs is empty")
	}
	d := &Dex{ClientID: o.ClientID, ClientSecret: o.ClientSecret, Users: o.Users}
	if d.ClientID == "" {
		d.ClientID = "mattranso"
	}
	if d.ClientSecret == "" {
		d.ClientSecret = "bi-mat-cua-ung-dung-thu-nghiem"
	}
	if len(d.Users) == 0 {
		d.Users = []User{DefaultUser}
	}

	dir := t.TempDir()
	var lastErr error
	// The port is chosen free, but another process may take it before Dex
	// listens: try again on a new one.
	for range 3 {
		port, err := freePort()
		if err != nil {
			t.Fatalf("dextest: %v", err)
		}
		d.Issuer = fmt.Sprintf("http://127.0.0.1:%d/dex", port)
		cfg, err := d.config(port, o.RedirectURLs)
		if err != nil {
			t.Fatalf("dextest: %v", err)
		}
		path := filepath.Join(dir, "config.json")
		if err := os.WriteFile(path, cfg, 0o600); err != nil {
			t.Fatal(err)
		}
		if lastErr = d.run(t, bin, path); lastErr == nil {
			return d
		}
	}
	t.Fatalf("dextest: %v", lastErr)
	return nil
}

func (d *Dex) run(t testing.TB, bin, config string) error {
	out := &logBuffer{}
	cmd := exec.Command(bin, "serve", config)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}

	deadline := time.Now().Add(startTimeout)
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case err := <-exited:
			exited <- err
			return fmt.Errorf("dex exited at start (%v):\n%s", err, out.String())
		default:
		}
		resp, err := client.Get(d.Issuer + "/.well-known/openid-configuration")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			stop()
			return fmt.Errorf("dex did not serve its discovery document within %s:\n%s", startTimeout, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("dex output:\n%s", out.String())
		}
	})
	return nil
}

// config is Dex's configuration (JSON is YAML).
func (d *Dex) config(port int, redirects []string) ([]byte, error) {
	type password struct {
		Email    string `json:"email"`
		Hash     string `json:"hash"`
		Username string `json:"username"`
		Name     string `json:"name"`
		UserID   string `json:"userID"`
	}
	var passwords []password
	for i, u := range d.Users {
		if u.Email == "" || u.Password == "" {
			return nil, fmt.Errorf("user %d needs an email and a password", i)
		}
		hash, err := bcryptHash(u.Password)
		if err != nil {
			return nil, err
		}
		sub := u.Subject
		if sub == "" {
			sub = fmt.Sprintf("user-%d", i+1)
			d.Users[i].Subject = sub
		}
		name := u.Name
		if name == "" {
			name = strings.Split(u.Email, "@")[0]
		}
		passwords = append(passwords, password{Email: u.Email, Hash: hash, Username: name, Name: name, UserID: sub})
	}
	return json.MarshalIndent(map[string]any{
		"issuer":  d.Issuer,
		"storage": map[string]any{"type": "memory"},
		"web":     map[string]any{"http": fmt.Sprintf("127.0.0.1:%d", port)},
		"logger":  map[string]any{"level": "debug", "format": "text"},
		"oauth2": map[string]any{
			"skipApprovalScreen": true,
			"responseTypes":      []string{"code"},
		},
		"expiry": map[string]any{"idTokens": "10m", "authRequests": "10m"},
		"staticClients": []map[string]any{{
			"id":           d.ClientID,
			"secret":       d.ClientSecret,
			"name":         "Mặt trận số",
			"redirectURIs": redirects,
		}},
		"enablePasswordDB": true,
		"staticPasswords":  passwords,
	}, "", "  ")
}

func bcryptHash(pw string) (string, error) {
	if h, ok := hashes.Load(pw); ok {
		return h.(string), nil
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return "", err
	}
	hashes.Store(pw, string(h))
	return string(h), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// logBuffer collects Dex's output for the test log.
type logBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() < 1<<20 {
		b.buf.Write(p)
	}
	return len(p), nil
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Discovery fetches the provider's discovery document.
func (d *Dex) Discovery(ctx context.Context) (map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.Issuer+"/.well-known/openid-configuration", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var doc map[string]any
	return doc, json.NewDecoder(resp.Body).Decode(&doc)
}
