package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mattranso/mattranso/congress"
	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/store"
)

// Two `mattranso serve` processes on one PostgreSQL database, as two
// instances behind a load balancer: a congress written through the first
// reaches a client of the second's event stream — woken by the
// notification the write sends (the second logs that it listens).

// throwawayDatabase creates a database on the test PostgreSQL server and
// returns its URL; it is dropped when the test ends.
func throwawayDatabase(t *testing.T) string {
	t.Helper()
	admin := testenv.PostgresURL(t)
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 8)
	rand.Read(b)
	name := "mattranso_test_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adb, err := store.Open(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer adb.Close()
	// The name is generated here, never input: safe to splice in.
	if _, err := adb.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		adb, err := store.Open(ctx, admin)
		if err != nil {
			t.Error(err)
			return
		}
		defer adb.Close()
		if _, err := adb.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Error(err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// buildBinary builds mattranso into a temporary directory.
func buildBinary(t testing.TB) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build mattranso: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "mattranso")
	out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// syncBuffer is a log that the test reads while the process writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// instance is one serve process.
type instance struct {
	base string
	log  *syncBuffer
}

// startInstance starts `bin serve` with env on a free port and its own
// data directory, and waits until it is ready; at the end of the test it
// is stopped with SIGTERM and must exit cleanly, its streams included.
func startInstance(t *testing.T, bin string, env []string) instance {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve", "--addr", addr, "--data", t.TempDir())
	cmd.Env = env
	log := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("serve on %s: %v\n%s", addr, err, log)
			}
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("serve on %s did not stop within 30 s of SIGTERM\n%s", addr, log)
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case err := <-exited:
			t.Fatalf("serve on %s exited: %v\n%s", addr, err, log)
		default:
		}
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return instance{base: base, log: log}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve on %s not ready in 2 minutes\n%s", addr, log)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestCongressEventsAcrossServeProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts two servers: not under -short")
	}
	dsn := throwawayDatabase(t)
	bin := buildBinary(t)
	env := append(os.Environ(), "DATABASE_URL="+dsn, "MATTRANSO_INGEST=none", "MATTRANSO_CONGRESS_TERM="+congress.DefaultTerm,
		"LOG_LEVEL=info")
	admin := func(args ...string) string {
		t.Helper()
		return strings.TrimSpace(runBin(t, bin, append(env, "MATTRANSO_DATA="+t.TempDir()), append([]string{"admin"}, args...)...))
	}
	admin("import-units", filepath.Join("..", "..", "congress", "testdata", "tree.csv"))
	const reporter = "bao-cao.tphcm@mattranso.test"
	admin("grant", "--email", reporter, "--role", "reporter", "--unit", "79/MTTQ")
	token := admin("token", "create", "--email", reporter, "--role", "reporter", "--unit", "79/MTTQ")

	first := startInstance(t, bin, env)
	second := startInstance(t, bin, env)

	// A client of the second instance's stream.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, second.base+"/api/v1/congress/"+congress.DefaultTerm+"/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("events: %s %s", resp.Status, b)
	}
	events := make(chan congress.EventData, 4)
	ids := make(chan string, 4)
	go func() {
		r := bufio.NewReader(resp.Body)
		var id, name string
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				close(events)
				return
			}
			line = strings.TrimSuffix(line, "\n")
			switch {
			case strings.HasPrefix(line, "id: "):
				id = line[4:]
			case strings.HasPrefix(line, "event: "):
				name = line[7:]
			case strings.HasPrefix(line, "data: ") && name == "congress":
				var d congress.EventData
				if json.Unmarshal([]byte(line[6:]), &d) == nil {
					ids <- id
					events <- d
				}
			}
		}
	}()

	// The write, through the first instance.
	body := `{"status":"held","planned_date":"2026-05-20","chair":"Nguyễn Văn An","delegates_summoned":120,"delegates_attending":118}`
	putCongress(t, first.base, token, body)

	select {
	case d, ok := <-events:
		if !ok {
			t.Fatalf("the second instance's stream ended\n%s", second.log)
		}
		if d.Congress.Territory != "26740" || d.Congress.Status != congress.Held || d.Congress.Chair != "Nguyễn Văn An" ||
			d.Summary.Held != 1 || d.National.Held != 1 {
			t.Fatalf("the second instance sent %+v", d)
		}
		if id := <-ids; id == "" {
			t.Error("the event has no id")
		}
	case <-time.After(time.Minute):
		t.Fatalf("no event on the second instance within a minute\nsecond's log:\n%s", second.log)
	}
	if !strings.Contains(second.log.String(), "listening for other instances' changes") {
		t.Errorf("the second instance does not say it listens on PostgreSQL:\n%s", second.log)
	}
}

// putCongress records a congress of the test tree (26740) through base
// with the bearer token, and fails the test unless it is accepted.
func putCongress(t *testing.T, base, token, body string) {
	t.Helper()
	put, _ := http.NewRequest(http.MethodPut, base+"/api/v1/congress/"+congress.DefaultTerm+"/congresses/26740", strings.NewReader(body))
	put.Header.Set("Content-Type", "application/json")
	put.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(put)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT through %s: %s %s", base, resp.Status, b)
	}
}
