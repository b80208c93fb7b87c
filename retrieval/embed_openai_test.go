package retrieval_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/retrieval/openaitest"
)

// The server in these tests is openaitest.Server, a scripted stand-in for
// an OpenAI-compatible embedding server: no embedding model can run here.

const testModel = "stand-in-embedding"

func texts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("Điều %d. Quyền và nghĩa vụ của công dân số %d", i+1, i)
	}
	return out
}

// fastOptions retries quickly so that tests stay fast.
func fastOptions(srv *openaitest.Server) retrieval.OpenAIEmbedderOptions {
	return retrieval.OpenAIEmbedderOptions{
		BaseURL:      srv.URL,
		Model:        testModel,
		Timeout:      2 * time.Second,
		RetryBase:    time.Millisecond,
		MaxRetryWait: 2 * time.Second,
	}
}

func TestOpenAIEmbedder(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*openaitest.Server, *retrieval.OpenAIEmbedderOptions)
		texts []string
		// wantErr lists substrings of the error; empty means success.
		wantErr   []string
		wantIs    error
		wantSizes []int // texts per request, in order
		minTime   time.Duration
		maxTime   time.Duration
	}{
		{
			name:      "batches of 64 keep input order",
			setup:     func(*openaitest.Server, *retrieval.OpenAIEmbedderOptions) {},
			texts:     texts(150),
			wantSizes: []int{64, 64, 22},
		},
		{
			name: "order comes from the index field, not the list order",
			setup: func(s *openaitest.Server, o *retrieval.OpenAIEmbedderOptions) {
				s.SetFault(openaitest.EmbeddingsPath, openaitest.Fault{ReverseOrder: true})
				o.BatchSize = 10
			},
			texts:     texts(25),
			wantSizes: []int{10, 10, 5},
		},
		{
			name: "bearer key is sent",
			setup: func(s *openaitest.Server, o *retrieval.OpenAIEmbedderOptions) {
				s.SetAPIKey("sk-test-secret")
				o.APIKey = "sk-test-secret"
			},
			texts:     texts(3),
			wantSizes: []int{3},
		},
		{
			name: "wrong key is not retried and not shown",
			setup: func(s *openaitest.Server, o *retrieval.OpenAIEmbedderOptions) {
				s.SetAPIKey("sk-right")
				o.APIKey = "sk-wrong-secret"
			},
			texts:     texts(3),
			wantErr:   []string{"401", testModel, "127.0.0.1"},
			wantSizes: []int{3},
		},
		{
			name: "retries 500 then succeeds",
			setup: func(s *openaitest.Server, o *retrieval.OpenAIEmbedderOptions) {
				s.QueueFaults(openaitest.EmbeddingsPath, openaitest.Repeat(2, openaitest.Fault{Status: 500})...)
			},
			texts:     texts(5),
			wantSizes: []int{5, 5, 5},
		},
		{
			name: "retries a dropped connection",
			setup: func(s *openaitest.Server, o *retrieval.OpenAIEmbedderOptions) {
				s.QueueFaults(openaitest.EmbeddingsPath, openaitest.Fault{Drop: true})
			},
			texts:     texts(5),
			wantSizes: []int{5, 5},
		},
		{
			name: "429 Retry-After in seconds is honoured",
			setup: func(s *openaitest.Server, o *retrieval.OpenAIEmbedderOptions) {
				s.QueueFaults(openaitest.EmbeddingsPath, openaitest.Fault{Status: 429, RetryAfter: "1"})
			},
			texts:     texts(2),
			wantSizes: []int{2, 2},
			minTime:   time.Second,
		},
		{
			name: "429 Retry-After-Ms is honoured",
			setup: func(s *openaitest.Server, o *retrieval.OpenAIEmbedderOptions) {
				s.QueueFaults(openaitest.EmbeddingsPath, openaitest.Fault{
					Status: 429, Header: http.Header{"Retry-After-Ms": {"150"}},
				})
			},
			texts:     texts(2),
			wantSizes: []int{2, 2},
			minTime:   150 * time.Millisecond,
		},
		{
			name: "429 Retry-After is capped",
			setup: func(s *openaitest.Server, o *retrieval.OpenAIEmbedderOptions) {
				s.QueueFaults(openaitest.EmbeddingsPath, openaitest.Fault{Status: 429, RetryAfter: "3600"})
				o.MaxRetryWait = 100 * time.Millisecond
			},
			texts:     texts(2),
			wantSizes: []int{2, 2},
			minTime:   100 * time.Millisecond,
			maxTime:   time.Second,
		},
		{
			name: "gives up after Retries",
			setup: func(s *openaitest.Server, o *retrieval.OpenAIEmbedderOptions) {
				s.SetFault(openaitest.EmbeddingsPath, openaitest.Fault{Status: 503})
				o.Retries = 2
			},
			texts:     texts(2),
			wantErr:   []string{"gave up after 3 attempts", "503", testModel, "127.0.0.1"},
			wantSizes: []int{2, 2, 2},
		},
		{
			name: "negative Retries never retries",
			setup: func(s *openaitest.Server, o *retrieval.OpenAIEmbedderOptions) {
				s.SetFault(openaitest.EmbeddingsPath, openaitest.Fault{Status: 503})
				o.Retries = -1
			},
			texts:     texts(2),
			wantErr:   []string{"retries disabled", "503"},
			wantSizes: []int{2},
		},
		{
			name: "slow server times out",
			setup: func(s *openaitest.Server, o *retrieval.OpenAIEmbedderOptions) {
				s.SetFault(openaitest.EmbeddingsPath, openaitest.Fault{Delay: 5 * time.Second})
				o.Timeout = 50 * time.Millisecond
				o.Retries = 1
			},
			texts:     texts(2),
			wantErr:   []string{"gave up after 2 attempts", "timed out after 50ms"},
			wantIs:    context.DeadlineExceeded,
			wantSizes: []int{2, 2},
			maxTime:   2 * time.Second,
		},
		{
			name: "wrong dimension is rejected",
			setup: func(s *openaitest.Server, o *retrieval.OpenAIEmbedderOptions) {
				s.SetDimension(8)
				o.Dimension = 16
			},
			texts:     texts(3),
			wantErr:   []string{"expected 16, got 8", testModel},
			wantIs:    retrieval.ErrDimensionMismatch,
			wantSizes: []int{3},
		},
		{
			name: "mixed dimensions in one answer are rejected",
			setup: func(s *openaitest.Server, o *retrieval.OpenAIEmbedderOptions) {
				s.QueueFaults(openaitest.EmbeddingsPath, openaitest.Fault{Body: `{"object":"list","data":[` +
					`{"object":"embedding","index":0,"embedding":[1,0]},` +
					`{"object":"embedding","index":1,"embedding":[1,0,0]}]}`})
			},
			texts:     texts(2),
			wantErr:   []string{"vector 0 has 2 values, vector 1 has 3"},
			wantIs:    retrieval.ErrDimensionMismatch,
			wantSizes: []int{2},
		},
		{
			name: "malformed JSON is not retried",
			setup: func(s *openaitest.Server, o *retrieval.OpenAIEmbedderOptions) {
				s.QueueFaults(openaitest.EmbeddingsPath, openaitest.Fault{Body: `<html>502 Bad Gateway</html>`})
			},
			texts:     texts(2),
			wantErr:   []string{testModel, "invalid character"},
			wantSizes: []int{2},
		},
		{
			name: "truncated answer is retried",
			setup: func(s *openaitest.Server, o *retrieval.OpenAIEmbedderOptions) {
				s.QueueFaults(openaitest.EmbeddingsPath, openaitest.Fault{Body: `{"object":"list","data":[{`})
			},
			texts:     texts(2),
			wantSizes: []int{2, 2},
		},
		{
			name: "too few vectors are rejected",
			setup: func(s *openaitest.Server, o *retrieval.OpenAIEmbedderOptions) {
				s.QueueFaults(openaitest.EmbeddingsPath, openaitest.Fault{Body: `{"object":"list","data":[` +
					`{"object":"embedding","index":0,"embedding":[1,0]}]}`})
			},
			texts:     texts(2),
			wantErr:   []string{"sent 2 texts, got 1 vectors"},
			wantSizes: []int{2},
		},
		{
			name:      "empty input makes no request",
			setup:     func(*openaitest.Server, *retrieval.OpenAIEmbedderOptions) {},
			texts:     []string{},
			wantSizes: nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := openaitest.New(t)
			opts := fastOptions(srv)
			tc.setup(srv, &opts)
			e, err := retrieval.NewOpenAIEmbedder(opts)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			vecs, err := e.Embed(context.Background(), tc.texts)
			took := time.Since(start)

			var sizes []int
			for _, r := range srv.RequestsTo(openaitest.EmbeddingsPath) {
				sizes = append(sizes, len(r.Inputs()))
				if got := r.JSON["model"]; got != testModel {
					t.Errorf("request model = %v, want %q", got, testModel)
				}
				if opts.APIKey != "" {
					if got, want := r.Header.Get("Authorization"), "Bearer "+opts.APIKey; got != want {
						t.Errorf("Authorization = %q, want %q", got, want)
					}
				}
			}
			if !reflect.DeepEqual(sizes, tc.wantSizes) {
				t.Errorf("texts per request = %v, want %v", sizes, tc.wantSizes)
			}
			if tc.minTime > 0 && took < tc.minTime {
				t.Errorf("took %v, want at least %v", took, tc.minTime)
			}
			if tc.maxTime > 0 && took > tc.maxTime {
				t.Errorf("took %v, want at most %v", took, tc.maxTime)
			}

			if len(tc.wantErr) > 0 || tc.wantIs != nil {
				if err == nil {
					t.Fatalf("Embed succeeded, want an error containing %q", tc.wantErr)
				}
				t.Logf("error: %v", err)
				for _, s := range tc.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not contain %q", err, s)
					}
				}
				if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
					t.Errorf("error %q is not %v", err, tc.wantIs)
				}
				if opts.APIKey != "" && strings.Contains(err.Error(), opts.APIKey) {
					t.Errorf("error %q shows the API key", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Embed: %v", err)
			}
			if vecs == nil || len(vecs) != len(tc.texts) {
				t.Fatalf("got %d vectors (nil: %v), want %d", len(vecs), vecs == nil, len(tc.texts))
			}
			for i, text := range tc.texts {
				if want := openaitest.Vector(text, openaitest.DefaultDimension); !reflect.DeepEqual(vecs[i], want) {
					t.Fatalf("vector %d is not the vector of %q", i, text)
				}
			}
		})
	}
}

func TestOpenAIEmbedderLearnsThenEnforcesDimension(t *testing.T) {
	srv := openaitest.New(t)
	e, err := retrieval.NewOpenAIEmbedder(fastOptions(srv))
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Dimension(); got != 0 {
		t.Fatalf("Dimension before any call = %d, want 0", got)
	}
	if _, err := e.Embed(context.Background(), texts(2)); err != nil {
		t.Fatal(err)
	}
	if got := e.Dimension(); got != openaitest.DefaultDimension {
		t.Fatalf("learned Dimension = %d, want %d", got, openaitest.DefaultDimension)
	}
	srv.SetDimension(32) // the server now runs another model under the same name
	_, err = e.Embed(context.Background(), texts(2))
	if !errors.Is(err, retrieval.ErrDimensionMismatch) || !strings.Contains(err.Error(), "expected 16, got 32") {
		t.Fatalf("after the server changed dimension: err = %v, want a mismatch naming 16 and 32", err)
	}
	if got := e.Dimension(); got != openaitest.DefaultDimension {
		t.Fatalf("Dimension after mismatch = %d, want it kept at %d", got, openaitest.DefaultDimension)
	}
}

func TestOpenAIEmbedderContext(t *testing.T) {
	t.Run("cancel stops retries", func(t *testing.T) {
		srv := openaitest.New(t)
		srv.SetFault(openaitest.EmbeddingsPath, openaitest.Fault{Status: 500})
		opts := fastOptions(srv)
		opts.RetryBase = 10 * time.Second // only cancellation can end the wait
		opts.MaxRetryWait = 10 * time.Second
		e, err := retrieval.NewOpenAIEmbedder(opts)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			for srv.Calls(openaitest.EmbeddingsPath) == 0 {
				time.Sleep(time.Millisecond)
			}
			cancel()
		}()
		start := time.Now()
		_, err = e.Embed(ctx, texts(3))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Fatalf("Embed returned %v after cancel, want promptly", took)
		}
		if n := srv.Calls(openaitest.EmbeddingsPath); n != 1 {
			t.Fatalf("%d requests, want 1", n)
		}
	})
	t.Run("cancel during a slow request", func(t *testing.T) {
		srv := openaitest.New(t)
		srv.SetFault(openaitest.EmbeddingsPath, openaitest.Fault{Delay: 10 * time.Second})
		e, err := retrieval.NewOpenAIEmbedder(fastOptions(srv))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err = e.Embed(ctx, texts(3))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want context.DeadlineExceeded", err)
		}
		if n := srv.Calls(openaitest.EmbeddingsPath); n != 1 {
			t.Fatalf("%d requests, want 1 (no retry once the caller gave up)", n)
		}
	})
	t.Run("cancelled before the call", func(t *testing.T) {
		srv := openaitest.New(t)
		e, err := retrieval.NewOpenAIEmbedder(fastOptions(srv))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := e.Embed(ctx, texts(3)); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if n := srv.Calls(openaitest.EmbeddingsPath); n != 0 {
			t.Fatalf("%d requests, want 0", n)
		}
	})
}

func TestOpenAIEmbedderEmptyInput(t *testing.T) {
	srv := openaitest.New(t)
	e, err := retrieval.NewOpenAIEmbedder(fastOptions(srv))
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range [][]string{nil, {}} {
		out, err := e.Embed(context.Background(), in)
		if err != nil || out == nil || len(out) != 0 {
			t.Fatalf("Embed(%#v) = %#v, %v; want an empty slice", in, out, err)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("%d requests, want none", n)
	}
}

func TestOpenAIEmbedderConcurrent(t *testing.T) {
	srv := openaitest.New(t)
	opts := fastOptions(srv)
	opts.BatchSize = 7
	e, err := retrieval.NewOpenAIEmbedder(opts)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			in := texts(20 + g)
			out, err := e.Embed(context.Background(), in)
			if err != nil {
				t.Error(err)
				return
			}
			for i := range in {
				if !reflect.DeepEqual(out[i], openaitest.Vector(in[i], openaitest.DefaultDimension)) {
					t.Errorf("goroutine %d: vector %d out of place", g, i)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestNewOpenAIEmbedder(t *testing.T) {
	tests := []struct {
		name    string
		opts    retrieval.OpenAIEmbedderOptions
		wantErr string
	}{
		{"ok", retrieval.OpenAIEmbedderOptions{BaseURL: "http://host:8000/v1", Model: "bge-m3"}, ""},
		{"no URL", retrieval.OpenAIEmbedderOptions{Model: "bge-m3"}, "BaseURL"},
		{"not http", retrieval.OpenAIEmbedderOptions{BaseURL: "host:8000/v1", Model: "bge-m3"}, "BaseURL"},
		{"no model", retrieval.OpenAIEmbedderOptions{BaseURL: "http://host:8000/v1"}, "EMBEDDING_MODEL"},
		{"negative dimension", retrieval.OpenAIEmbedderOptions{BaseURL: "http://host:8000/v1", Model: "m", Dimension: -1}, "Dimension"},
		{"negative batch", retrieval.OpenAIEmbedderOptions{BaseURL: "http://host:8000/v1", Model: "m", BatchSize: -1}, "BatchSize"},
		{"password in URL is not shown", retrieval.OpenAIEmbedderOptions{BaseURL: "http://u:hunter2@host/v1"}, "xxxxx"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := retrieval.NewOpenAIEmbedder(tc.opts)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got, want := e.Name(), "openai:"+tc.opts.Model; got != want {
					t.Errorf("Name = %q, want %q", got, want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("err = %v shows the URL's password", err)
			}
		})
	}
}

// The embedder satisfies the interface the pipeline depends on.
var _ retrieval.Embedder = (*retrieval.OpenAIEmbedder)(nil)
