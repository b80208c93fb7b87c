package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qdrant/go-client/qdrant"

	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/retrieval/openaitest"
	"github.com/mattranso/mattranso/retrieval/vectortest"
	"github.com/mattranso/mattranso/store"
)

// startServe runs `mattranso serve` on a free port over data and waits
// until it is ready; the server stops when the test ends.
func startServe(t *testing.T, data string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		var out, errb bytes.Buffer
		done <- run(ctx, []string{"serve", "--addr", addr, "--data", data}, &out, &errb)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				waitLearned(t, base, deadline)
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitLearned waits until search no longer says its vector side is still
// learning: serve is ready on keywords before it has.
func waitLearned(t testing.TB, base string, deadline time.Time) {
	t.Helper()
	for {
		if b := search(t, base, "luật"); !strings.Contains(b.Degraded, "learning") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the vector side did not finish learning")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type searchBody struct {
	Results []struct {
		ID        string `json:"id"`
		PassageID string `json:"passage_id"`
	}
	Degraded string
}

func search(t testing.TB, base, q string) searchBody {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/library/search?q=" + url.QueryEscape(q))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body searchBody
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 {
		t.Fatalf("search %q: %d %v", q, resp.StatusCode, err)
	}
	return body
}

// With QDRANT_URL and an OpenAI-compatible embedding server configured,
// serve embeds through the server and stores and searches vectors in
// Qdrant — here the test stand-ins for both — and falls back to keywords,
// flagged, when the embedding server fails.
func TestServeUsesQdrantAndEmbeddingServer(t *testing.T) {
	qd := vectortest.NewQdrantStandIn(t)
	ai := openaitest.New(t)
	ai.SetAPIKey("sk-test")
	t.Setenv("QDRANT_URL", qd.URL)
	t.Setenv("OPENAI_BASE_URL", ai.URL)
	t.Setenv("OPENAI_API_KEY", "sk-test")
	t.Setenv("EMBEDDING_MODEL", "test-embedding")
	t.Setenv("MATTRANSO_INGEST", "../../ingest/testdata/broken")
	data := t.TempDir()
	base := startServe(t, data)

	if n := ai.Calls(openaitest.EmbeddingsPath); n == 0 {
		t.Fatal("no embeddings were asked of the embedding server")
	}
	if ups := vectortest.Requests[*qdrant.UpsertPoints](qd); len(ups) == 0 {
		t.Fatal("no vectors were upserted to Qdrant")
	}
	before := ai.Calls(openaitest.EmbeddingsPath)
	body := search(t, base, "thu nghiem cap giay")
	if body.Degraded != "" || len(body.Results) == 0 || body.Results[0].ID != "9.000001" {
		t.Errorf("hybrid search: %+v", body)
	}
	if ai.Calls(openaitest.EmbeddingsPath) != before+1 {
		t.Error("the query was not embedded by the embedding server")
	}
	if len(vectortest.Requests[*qdrant.QueryPoints](qd)) == 0 {
		t.Error("Qdrant was not searched")
	}
	if _, err := os.Stat(filepath.Join(data, "index", "local", "embedder.bin")); err == nil {
		t.Error("a local embedder was trained although a server is configured")
	}

	ai.SetFault(openaitest.EmbeddingsPath, openaitest.Fault{Status: 503})
	body = search(t, base, "thu nghiem cap giay")
	if body.Degraded == "" || len(body.Results) == 0 || body.Results[0].ID != "9.000001" {
		t.Errorf("with the embedding server down: want keyword results flagged degraded, got %+v", body)
	}
}

// With QDRANT_URL and no embedding server, the local embedder's vectors
// go to a Qdrant collection of the embedder's version, which instances
// on the same database and Qdrant share: a new version fills a
// collection of its own rather than mixing with the vectors of the last.
func TestServeLocalEmbedderInQdrant(t *testing.T) {
	qd := vectortest.NewQdrantStandIn(t)
	for k, v := range map[string]string{"QDRANT_URL": qd.URL, "OPENAI_BASE_URL": "", "EMBEDDING_MODEL": "",
		"MATTRANSO_INGEST": "../../ingest/testdata/broken"} {
		t.Setenv(k, v)
	}
	base := startServe(t, t.TempDir())
	var names []string
	for _, c := range vectortest.Requests[*qdrant.CreateCollection](qd) {
		names = append(names, c.GetCollectionName())
	}
	if want := retrieval.DefaultQdrantCollection + "_local_v1"; !slices.Contains(names, want) {
		t.Errorf("collections created: %v, want %s", names, want)
	}
	if ups := vectortest.Requests[*qdrant.UpsertPoints](qd); len(ups) == 0 {
		t.Fatal("no vectors were upserted to Qdrant")
	}
	body := search(t, base, "thu nghiem cap giay")
	if body.Degraded != "" || len(body.Results) == 0 || body.Results[0].ID != "9.000001" {
		t.Errorf("search: %+v", body)
	}
	if len(vectortest.Requests[*qdrant.QueryPoints](qd)) == 0 {
		t.Error("Qdrant was not searched")
	}
}

// Without them, serve trains the local embedder and keeps vectors in the
// data directory, and the library teaches the re-ranker kept beside them.
func TestServeUsesEmbeddedDefaults(t *testing.T) {
	for _, k := range []string{"QDRANT_URL", "OPENAI_BASE_URL", "EMBEDDING_MODEL"} {
		t.Setenv(k, "")
	}
	t.Setenv("MATTRANSO_INGEST", "../../ingest/testdata/broken")
	data := t.TempDir()
	base := startServe(t, data)
	for _, f := range []string{"index/local/embedder.bin", "index/local/vectors-v1/vectors.snap"} {
		if _, err := os.Stat(filepath.Join(data, f)); err != nil {
			t.Errorf("embedded default missing: %v", err)
		}
	}
	// The models are the database's, for every instance on it.
	db, err := store.Open(t.Context(), filepath.Join(data, "mattranso.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	models := retrieval.NewModels(db)
	ri, ok, err := models.Latest(t.Context(), retrieval.ModelReranker, 1)
	if err != nil || !ok {
		t.Fatalf("no re-ranker taught over embedder v1 in the database: %v", err)
	}
	_, b, err := models.Load(t.Context(), retrieval.ModelReranker, ri.Version)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := retrieval.ParseReranker(b); err != nil || len(r.TrainedOn) != 1 || r.TrainedOn[0].Name != "library "+retrieval.TeachVersion {
		t.Errorf("the library's re-ranker: %+v, %v", r, err)
	}
	body := search(t, base, "thu nghiem cap giay")
	if body.Degraded != "" || len(body.Results) == 0 || body.Results[0].ID != "9.000001" {
		t.Errorf("search: %+v", body)
	}
}

// With OPENAI_BASE_URL and LLM_MODEL set, the assistant answers through
// the model (the scripted stand-in here), citing retrieved passages.
func TestServeUsesLanguageModel(t *testing.T) {
	ai := openaitest.New(t)
	ai.QueueChatReplies(openaitest.ChatReply{Content: "Thủ tục thử nghiệm cấp giấy được nộp trực tiếp [1]."})
	for k, v := range map[string]string{"QDRANT_URL": "", "EMBEDDING_MODEL": "", "OPENAI_BASE_URL": ai.URL,
		"OPENAI_API_KEY": "", "LLM_MODEL": "test-chat", "MATTRANSO_INGEST": "../../ingest/testdata/broken"} {
		t.Setenv(k, v)
	}
	data := t.TempDir()
	t.Setenv("MATTRANSO_DATA", data)
	if _, stderr, code := runCmd(t, nil, "admin", "grant", "--email", "canbo@example.vn", "--role", "staff", "--unit", "VN/MTTQ"); code != 0 {
		t.Fatalf("grant: exit %d %s", code, stderr)
	}
	token, _, code := runCmd(t, nil, "admin", "token", "create", "--email", "canbo@example.vn", "--role", "staff", "--unit", "VN/MTTQ")
	if code != 0 {
		t.Fatalf("token create: exit %d", code)
	}
	base := startServe(t, data)
	req, _ := http.NewRequest("POST", base+"/api/v1/assistant/ask", bytes.NewBufferString(`{"question":"Thủ tục thử nghiệm cấp giấy nộp ở đâu?"}`))
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(token))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans struct {
		Answer    string
		Mode      string
		Citations []struct{ ID string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil || resp.StatusCode != 200 {
		t.Fatalf("ask: %d %v", resp.StatusCode, err)
	}
	if ans.Mode != "generative" || len(ans.Citations) == 0 || ai.Calls(openaitest.ChatPath) == 0 {
		t.Errorf("answer = %+v; want a generative answer with citations from the model", ans)
	}
}
