package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/congress"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store/storetest"
	"github.com/mattranso/mattranso/web"
)

// The congress load generator against the congress module as serve
// builds it (web's shell, the real auth and token, the live part
// running), at a small scale: every client connects and receives every
// write, and the figures come out.
func TestEvalCongressLoad(t *testing.T) {
	ctx := t.Context()
	db := storetest.SQLite(t)
	if err := auth.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	tree := org.NewStore(db)
	if err := tree.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := tree.ImportTerritories(ctx, strings.NewReader(loadTerritories)); err != nil {
		t.Fatal(err)
	}
	st := congress.NewStore(db, congress.Options{Tree: tree})
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	as, err := auth.New(auth.Options{DB: db, Units: org.IDs{Store: tree}, LoginLimiter: auth.NewLimiter(rate.Inf, 1), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	const reporter = "tai.thu@mattranso.test"
	if _, err := as.Store().Grant(ctx, reporter, auth.Reporter, "79/MTTQ", "test"); err != nil {
		t.Fatal(err)
	}
	token, _, err := as.Store().CreateToken(ctx, auth.TokenSpec{Email: reporter, Role: auth.Reporter, Unit: "79/MTTQ", CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	svc := congress.NewService(congress.ServiceOptions{Store: st, Authorizer: auth.Check, Auditor: auth.AuditLog, Logger: log})
	h := web.New(web.Options{Logger: log, Modules: []web.Module{
		{Name: "auth", Templates: auth.Templates, Funcs: auth.TemplateFuncs, Mount: func(r web.Router, p *web.Renderer) error {
			as.Register(r, p)
			return nil
		}},
		{Name: "congress", Templates: congress.Templates, Funcs: congress.TemplateFuncs, Mount: func(r web.Router, p *web.Renderer) error {
			svc.Register(r, p)
			return nil
		}},
	}, Middleware: []func(http.Handler) http.Handler{as.Middleware}, CSRFField: auth.CSRFField})
	live, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); svc.RunLive(live) }()
	defer func() { stop(); <-done }()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			// The generator waits for a collection, which a server
			// this idle would run only after two minutes.
			runtime.GC()
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()

	var out, errb bytes.Buffer
	err = evalCongressLoad(ctx, []string{"--url", srv.URL, "--token", token, "--clients", "20", "--puts", "4",
		"--interval", "300ms", "--settle", "0s", "--json"}, &out, &errb)
	if err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	var res struct {
		Clients, Connected, Puts, Missing int
		Delays                            struct {
			Last struct{ P50, P99, Max float64 } `json:"last_client_ms"`
			All  struct{ P50, P99, Max float64 } `json:"all_clients_ms"`
		} `json:"delays"`
		Stack float64 `json:"stack_per_conn_kib"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if res.Connected != 20 || res.Puts != 4 || res.Missing != 0 {
		t.Fatalf("result %s", out.String())
	}
	for _, v := range []float64{res.Delays.Last.P50, res.Delays.Last.P99, res.Delays.All.P50, res.Delays.All.P99} {
		if math.IsNaN(v) || v < 0 || v > float64(time.Minute/time.Millisecond) {
			t.Fatalf("delays %s", out.String())
		}
	}
	if res.Delays.All.P50 < res.Delays.Last.P50 && res.Delays.All.Max < res.Delays.Last.Max {
		t.Errorf("every client had the writes before the last one did: %s", out.String())
	}
	c, err := st.Get(ctx, congress.DefaultTerm, "79")
	if err != nil || c.Place != "do-tai-4" {
		t.Errorf("the congress written: %q %v", c.Place, err)
	}

	for _, bad := range [][]string{
		{"--token", token},
		{"--url", srv.URL, "--token", ""},
		{"--url", srv.URL, "--token", token, "--clients", "0"},
		{"--url", srv.URL, "--token", token, "--puts", "0"},
	} {
		err := evalCongressLoad(ctx, bad, io.Discard, io.Discard)
		var ee exitError
		if err == nil || !errors.As(err, &ee) || ee.code != 2 {
			t.Errorf("%v: %v, want a usage error", bad, err)
		}
	}
}
