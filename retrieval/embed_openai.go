package retrieval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/mattranso/mattranso/internal/httpretry"
	openai "github.com/sashabaranov/go-openai"
)

// Defaults of OpenAIEmbedderOptions.
const (
	DefaultEmbedBatchSize    = 64
	DefaultEmbedTimeout      = 30 * time.Second
	DefaultEmbedRetries      = 3
	DefaultEmbedRetryBase    = 500 * time.Millisecond
	DefaultEmbedMaxRetryWait = 30 * time.Second
)

// ErrDimensionMismatch is wrapped by the error Embed returns when the
// server's vectors do not have the expected length (a different model
// behind the same name, or a misconfigured EMBEDDING_MODEL). Callers fall
// back to keyword search rather than mix vectors of different spaces.
var ErrDimensionMismatch = errors.New("embedding dimension mismatch")

// OpenAIEmbedderOptions configures an OpenAIEmbedder. Zero values take the
// defaults above.
type OpenAIEmbedderOptions struct {
	// BaseURL is the API root, e.g. "http://host:8000/v1" (OPENAI_BASE_URL).
	BaseURL string
	// APIKey is sent as a bearer token (OPENAI_API_KEY); empty sends none,
	// as local vLLM, TEI and Ollama servers usually expect.
	APIKey string
	// Model is the embedding model (EMBEDDING_MODEL).
	Model string
	// Dimension is the expected vector length; 0 learns it from the first
	// response and enforces it from then on.
	Dimension int
	// BatchSize is the most texts sent in one request.
	BatchSize int
	// Timeout bounds each request (each attempt, not the whole Embed call).
	Timeout time.Duration
	// Retries is how many times a failed request is repeated after network
	// errors, timeouts, 5xx and 429 answers; negative means never.
	Retries int
	// RetryBase is the first back-off; each further retry doubles it.
	RetryBase time.Duration
	// MaxRetryWait caps both the back-off and a server's Retry-After.
	MaxRetryWait time.Duration
	// HTTPClient, when set, sends the requests; its own Timeout, if any,
	// also applies.
	HTTPClient *http.Client
}

// OpenAIEmbedder is an Embedder backed by any server speaking the OpenAI
// embeddings API (vLLM, TEI, Ollama, OpenAI). It is safe for concurrent use.
type OpenAIEmbedder struct {
	client  *openai.Client
	url     string // redacted, for errors
	model   string
	apiKey  string // only to scrub it from errors
	batch   int
	timeout time.Duration
	retries int
	base    time.Duration
	maxWait time.Duration

	mu  sync.Mutex
	dim int
}

// NewOpenAIEmbedder checks the options and returns an embedder. It makes no
// request: a server that is down shows up on the first Embed.
func NewOpenAIEmbedder(o OpenAIEmbedderOptions) (*OpenAIEmbedder, error) {
	u, err := url.Parse(o.BaseURL)
	if o.BaseURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("openai embedder: BaseURL %q: want an http(s) URL such as http://host:8000/v1", redactedURL(o.BaseURL))
	}
	if strings.TrimSpace(o.Model) == "" {
		return nil, fmt.Errorf("openai embedder at %s: Model (EMBEDDING_MODEL) is required", u.Redacted())
	}
	if o.Dimension < 0 {
		return nil, fmt.Errorf("openai embedder at %s: Dimension %d is negative", u.Redacted(), o.Dimension)
	}
	if o.BatchSize < 0 || o.Timeout < 0 || o.RetryBase < 0 || o.MaxRetryWait < 0 {
		return nil, fmt.Errorf("openai embedder at %s: BatchSize, Timeout, RetryBase and MaxRetryWait must not be negative", u.Redacted())
	}
	e := &OpenAIEmbedder{
		url:     u.Redacted(),
		model:   o.Model,
		apiKey:  o.APIKey,
		dim:     o.Dimension,
		batch:   orDefault(o.BatchSize, DefaultEmbedBatchSize),
		timeout: orDefault(o.Timeout, DefaultEmbedTimeout),
		retries: o.Retries,
		base:    orDefault(o.RetryBase, DefaultEmbedRetryBase),
		maxWait: orDefault(o.MaxRetryWait, DefaultEmbedMaxRetryWait),
	}
	switch {
	case o.Retries == 0:
		e.retries = DefaultEmbedRetries
	case o.Retries < 0:
		e.retries = 0
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	cfg := openai.DefaultConfig(o.APIKey)
	cfg.BaseURL = strings.TrimRight(o.BaseURL, "/")
	cfg.HTTPClient = openaiRetryAfterDoer{hc}
	e.client = openai.NewClientWithConfig(cfg)
	return e, nil
}

// orDefault returns v, or def when v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Name returns "openai:" followed by the model.
func (e *OpenAIEmbedder) Name() string { return "openai:" + e.model }

// Dimension returns the vector length: the configured one, else the one
// learned from the first response, else 0.
func (e *OpenAIEmbedder) Dimension() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.dim
}

// Embed returns one vector per text, in the order of texts. It sends the
// texts in batches, one after the other, retrying each batch as configured;
// any failure fails the whole call.
func (e *OpenAIEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); start += e.batch {
		end := min(start+e.batch, len(texts))
		vecs, err := e.embedBatch(ctx, texts[start:end], start)
		if err != nil {
			return nil, err
		}
		out = append(out, vecs...)
	}
	return out, nil
}

func (e *OpenAIEmbedder) embedBatch(ctx context.Context, texts []string, offset int) ([][]float32, error) {
	where := fmt.Sprintf("texts %d-%d", offset, offset+len(texts)-1)
	var lastErr error
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			if lastErr != nil {
				return nil, e.errorf(err, "%s: %v (after: %v)", where, err, lastErr)
			}
			return nil, e.errorf(err, "%s: %v", where, err)
		}
		resp, hint, err := e.call(ctx, texts)
		if err == nil {
			return e.vectors(resp, len(texts), where)
		}
		if ctx.Err() != nil { // the caller gave up, not the server
			return nil, e.errorf(ctx.Err(), "%s: %v", where, ctx.Err())
		}
		lastErr = err
		if !openaiRetryable(err) {
			if openaiBadJSON(err) {
				return nil, e.errorf(err, "%s: answer is not the expected JSON: %v", where, err)
			}
			return nil, e.errorf(err, "%s: %v", where, err)
		}
		if attempt >= e.retries {
			if attempt == 0 {
				return nil, e.errorf(err, "%s: %v (retries disabled)", where, err)
			}
			return nil, e.errorf(err, "%s: gave up after %d attempts: %v", where, attempt+1, err)
		}
		wait := httpretry.Backoff(e.base, attempt, e.maxWait)
		if hint > 0 {
			wait = min(hint, e.maxWait)
		}
		if err := httpretry.Sleep(ctx, wait); err != nil {
			return nil, e.errorf(err, "%s: %v (after: %v)", where, err, lastErr)
		}
	}
}

// call makes one request under the per-request timeout and returns the
// server's Retry-After, if it sent one.
func (e *OpenAIEmbedder) call(ctx context.Context, texts []string) (openai.EmbeddingResponse, time.Duration, error) {
	hint := new(openaiRetryHint)
	actx, cancel := context.WithTimeout(context.WithValue(ctx, openaiRetryHintKey{}, hint), e.timeout)
	defer cancel()
	resp, err := e.client.CreateEmbeddings(actx, openai.EmbeddingRequestStrings{
		Input: texts,
		Model: openai.EmbeddingModel(e.model),
	})
	if err != nil && ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		err = &openaiTimeoutError{after: e.timeout, err: err}
	}
	return resp, hint.after, err
}

// vectors checks a response and puts its vectors in input order.
func (e *OpenAIEmbedder) vectors(resp openai.EmbeddingResponse, n int, where string) ([][]float32, error) {
	if len(resp.Data) != n {
		return nil, e.errorf(nil, "%s: sent %d texts, got %d vectors", where, n, len(resp.Data))
	}
	// A server that leaves out "index" decodes as all zeros; its list order
	// is then the only order there is.
	positional := n > 1
	for _, d := range resp.Data {
		if d.Index != 0 {
			positional = false
			break
		}
	}
	out := make([][]float32, n)
	for i, d := range resp.Data {
		at := d.Index
		if positional {
			at = i
		}
		if at < 0 || at >= n {
			return nil, e.errorf(nil, "%s: vector index %d out of range [0,%d)", where, at, n)
		}
		if out[at] != nil {
			return nil, e.errorf(nil, "%s: vector index %d appears twice", where, at)
		}
		if len(d.Embedding) == 0 {
			return nil, e.errorf(nil, "%s: vector %d is empty", where, at)
		}
		for _, x := range d.Embedding {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return nil, e.errorf(nil, "%s: vector %d holds a non-finite value", where, at)
			}
		}
		out[at] = d.Embedding
	}
	got := len(out[0])
	for i, v := range out {
		if len(v) != got {
			return nil, e.errorf(ErrDimensionMismatch, "%s: %v: vector 0 has %d values, vector %d has %d", where, ErrDimensionMismatch, got, i, len(v))
		}
	}
	e.mu.Lock()
	if e.dim == 0 {
		e.dim = got
	}
	want := e.dim
	e.mu.Unlock()
	if got != want {
		return nil, e.errorf(ErrDimensionMismatch, "%s: %v: expected %d, got %d", where, ErrDimensionMismatch, want, got)
	}
	return out, nil
}

// openaiRetryable reports whether err may pass on its own: network errors,
// timeouts, 408, 429 and 5xx answers. Other HTTP errors (400, 401, 404) and
// an answer that is not the expected JSON will not.
func openaiRetryable(err error) bool {
	if status := openaiHTTPStatus(err); status != 0 {
		return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
	}
	return !openaiBadJSON(err)
}

func openaiBadJSON(err error) bool {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	return errors.As(err, &syntax) || errors.As(err, &typ)
}

func openaiHTTPStatus(err error) int {
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) && apiErr.HTTPStatusCode != 0 {
		return apiErr.HTTPStatusCode
	}
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) {
		return reqErr.HTTPStatusCode
	}
	return 0
}

type openaiTimeoutError struct {
	after time.Duration
	err   error
}

func (t *openaiTimeoutError) Error() string {
	return fmt.Sprintf("request timed out after %v", t.after)
}
func (t *openaiTimeoutError) Unwrap() error { return t.err }

// openaiEmbedError names the server and model; its message never holds the API
// key, even if a server echoed it back.
type openaiEmbedError struct {
	msg string
	err error
}

func (e *openaiEmbedError) Error() string { return e.msg }
func (e *openaiEmbedError) Unwrap() error { return e.err }

func (e *OpenAIEmbedder) errorf(wrapped error, format string, args ...any) error {
	msg := fmt.Sprintf("openai embedder (model %q at %s): ", e.model, e.url) + fmt.Sprintf(format, args...)
	if e.apiKey != "" {
		msg = strings.ReplaceAll(msg, e.apiKey, "[redacted]")
	}
	return &openaiEmbedError{msg: msg, err: wrapped}
}

func redactedURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return "(unparseable)"
}

// openaiRetryHint carries a response's Retry-After from the HTTP layer, which
// go-openai does not expose on errors, back to the retry loop. It travels
// in the request's context so that concurrent calls never share one.
type openaiRetryHint struct{ after time.Duration }

type openaiRetryHintKey struct{}

type openaiRetryAfterDoer struct{ next openai.HTTPDoer }

func (d openaiRetryAfterDoer) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.next.Do(req)
	if err == nil {
		if h, ok := req.Context().Value(openaiRetryHintKey{}).(*openaiRetryHint); ok {
			h.after = httpretry.After(resp.Header, time.Now())
		}
	}
	return resp, err
}
