package retrieval_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/protobuf/proto"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/retrieval/vectortest"
)

// vecQdrant says where the Qdrant tests run: the real server at
// QDRANT_URL (QDRANT_API_KEY) when set, else an in-process stand-in —
// vectortest.QdrantStandIn, which is not Qdrant — serving Qdrant's gRPC
// API from the client's own generated interfaces.
type vecQdrant struct {
	url, apiKey string
	standIn     *vectortest.QdrantStandIn // nil against a real server
}

func vecQdrantTarget(t *testing.T) vecQdrant {
	if u := os.Getenv("QDRANT_URL"); u != "" {
		t.Logf("against the Qdrant server at %s", u)
		return vecQdrant{url: u, apiKey: os.Getenv("QDRANT_API_KEY")}
	}
	s := vectortest.NewQdrantStandIn(t)
	return vecQdrant{url: s.URL, standIn: s}
}

var vecCollectionSeq atomic.Int64

// collection names a new collection and, on a real server, drops it when
// the test ends.
func (q vecQdrant) collection(t *testing.T) string {
	name := fmt.Sprintf("mattranso_test_%d_%d", time.Now().UnixNano()%1e9, vecCollectionSeq.Add(1))
	if q.standIn == nil {
		t.Cleanup(func() {
			c := q.rawClient(t)
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := c.DeleteCollection(ctx, name); err != nil {
				t.Logf("drop test collection %s: %v", name, err)
			}
		})
	}
	return name
}

// rawClient is a plain client, for setting up what retrieval.Qdrant would
// never do itself.
func (q vecQdrant) rawClient(t *testing.T) *qdrant.Client {
	t.Helper()
	raw := q.url
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	port := 6334
	if u.Port() != "" {
		port, _ = strconv.Atoi(u.Port())
	}
	c, err := qdrant.NewClient(&qdrant.Config{
		Host: u.Hostname(), Port: port, APIKey: q.apiKey, UseTLS: u.Scheme == "https", SkipCompatibilityCheck: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (q vecQdrant) open(t *testing.T, o retrieval.QdrantOptions) (*retrieval.Qdrant, error) {
	t.Helper()
	o.URL, o.APIKey = q.url, q.apiKey
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return retrieval.OpenQdrant(ctx, o)
}

func (q vecQdrant) mustOpen(t *testing.T, o retrieval.QdrantOptions) *retrieval.Qdrant {
	t.Helper()
	s, err := q.open(t, o)
	if err != nil {
		t.Fatalf("OpenQdrant(%s, %+v): %v", q.url, o, err)
	}
	return s
}

func TestQdrantVectorsConformance(t *testing.T) {
	q := vecQdrantTarget(t)
	vectortest.Run(t, func(t *testing.T, dim int) retrieval.VectorStore {
		s := q.mustOpen(t, retrieval.QdrantOptions{Collection: q.collection(t), Dim: dim, Model: vecTestModel})
		if !s.Fresh {
			t.Errorf("a new collection: Fresh not set")
		}
		return s
	}, vectortest.Reopen(func(t *testing.T, dim int) func() retrieval.VectorStore {
		name, first := q.collection(t), true
		return func() retrieval.VectorStore {
			s := q.mustOpen(t, retrieval.QdrantOptions{Collection: name, Dim: dim, Model: vecTestModel})
			if s.Fresh != first {
				t.Errorf("open #%d of collection %s: Fresh %v", map[bool]int{true: 1, false: 2}[first], name, s.Fresh)
			}
			first = false
			return s
		}
	}))
}

// What the backend sends is what Qdrant needs: a cosine collection with
// the model in its metadata, keyword indexes on the filtered fields,
// batched upserts that wait, ids derived from passage ids, filters on
// the indexed fields.
func TestQdrantVectorsRequests(t *testing.T) {
	si := vectortest.NewQdrantStandIn(t)
	q := vecQdrant{url: si.URL, standIn: si}
	const dim = 8
	s := q.mustOpen(t, retrieval.QdrantOptions{Collection: "passages", Dim: dim, Model: "model-a"})
	defer s.Close()

	creates := vectortest.Requests[*qdrant.CreateCollection](si)
	if len(creates) != 1 {
		t.Fatalf("%d CreateCollection requests, want 1", len(creates))
	}
	params := creates[0].GetVectorsConfig().GetParams()
	if params.GetSize() != dim || params.GetDistance() != qdrant.Distance_Cosine {
		t.Errorf("collection created with %v, want %d dimensions under Cosine", params, dim)
	}
	if m := creates[0].GetMetadata()["mattranso_model"].GetStringValue(); m != "model-a" {
		t.Errorf("collection metadata records model %q, want model-a", m)
	}
	indexes := map[string]*qdrant.CreateFieldIndexCollection{}
	for _, r := range vectortest.Requests[*qdrant.CreateFieldIndexCollection](si) {
		indexes[r.GetFieldName()] = r
	}
	for _, field := range []string{"doc_id", "kind"} {
		r := indexes[field]
		if r == nil || r.GetFieldType() != qdrant.FieldType_FieldTypeKeyword || !r.GetWait() {
			t.Errorf("payload index on %s: %v, want a keyword index, waited for", field, r)
		}
	}

	// Opening again creates nothing.
	si.ResetRequests()
	q.mustOpen(t, retrieval.QdrantOptions{Collection: "passages", Dim: dim, Model: "model-a"}).Close()
	if n := len(vectortest.Requests[*qdrant.CreateCollection](si)) + len(vectortest.Requests[*qdrant.CreateFieldIndexCollection](si)); n != 0 {
		t.Errorf("reopening an existing collection sent %d create requests", n)
	}

	si.ResetRequests()
	var recs []retrieval.VectorRecord
	for b := range 12 {
		recs = append(recs, vecBatch(b, 50, dim)...)
	}
	vecUpsert(t, s, recs)
	upserts := vectortest.Requests[*qdrant.UpsertPoints](si)
	var sizes []int
	byID := map[string]retrieval.VectorRecord{}
	for _, r := range recs {
		byID[r.ID] = r
	}
	for _, u := range upserts {
		sizes = append(sizes, len(u.GetPoints()))
		if !u.GetWait() {
			t.Errorf("upsert does not wait: a search right after it could miss its points")
		}
		for _, p := range u.GetPoints() {
			pl := p.GetPayload()
			id := pl["passage_id"].GetStringValue()
			r, ok := byID[id]
			if !ok {
				t.Fatalf("point with unknown passage_id %q", id)
			}
			if got := p.GetId().GetUuid(); got != retrieval.QdrantPointID(id) {
				t.Errorf("point of %s has id %q, want QdrantPointID = %q", id, got, retrieval.QdrantPointID(id))
			}
			if pl["doc_id"].GetStringValue() != r.DocID || pl["kind"].GetStringValue() != string(r.Kind) {
				t.Errorf("point of %s carries %v, want doc_id %s and kind %s", id, pl, r.DocID, r.Kind)
			}
			if !slices.Equal(p.GetVectors().GetVector().GetDense().GetData(), r.Vector) {
				t.Errorf("point of %s carries another vector", id)
			}
		}
	}
	if !slices.Equal(sizes, []int{256, 256, 88}) {
		t.Errorf("600 points went in batches of %v, want 256, 256, 88", sizes)
	}

	si.ResetRequests()
	if err := s.DeleteDocs(context.Background(), "b1", "b2", "b1"); err != nil {
		t.Fatal(err)
	}
	dels := vectortest.Requests[*qdrant.DeletePoints](si)
	if len(dels) != 1 || !dels[0].GetWait() {
		t.Fatalf("DeleteDocs sent %v, want one delete that waits", dels)
	}
	want := &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchKeywords("doc_id", "b1", "b2")}}
	if got := dels[0].GetPoints().GetFilter(); !proto.Equal(got, want) {
		t.Errorf("delete filter %v, want %v", got, want)
	}
	if n := vecCount(t, s); n != 500 {
		t.Errorf("Count = %d after deleting 2 documents of 50 from 600", n)
	}

	si.ResetRequests()
	hits, err := s.Search(context.Background(), recs[200].Vector, 7, retrieval.VectorFilter{Kind: corpus.KindLaw, DocID: "b4"})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 7 || hits[0].ID != recs[200].ID || hits[0].DocID != "b4" {
		t.Errorf("filtered search: %v, want 7 hits of b4 led by %s", hits, recs[200].ID)
	}
	if _, err := s.Search(context.Background(), recs[0].Vector, 3, retrieval.VectorFilter{}); err != nil {
		t.Fatal(err)
	}
	queries := vectortest.Requests[*qdrant.QueryPoints](si)
	if len(queries) != 2 {
		t.Fatalf("%d query requests, want 2", len(queries))
	}
	wantFilter := &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchKeyword("kind", "law"), qdrant.NewMatchKeyword("doc_id", "b4")}}
	if !proto.Equal(queries[0].GetFilter(), wantFilter) || queries[0].GetLimit() != 7 {
		t.Errorf("filtered query: filter %v limit %d, want %v limit 7", queries[0].GetFilter(), queries[0].GetLimit(), wantFilter)
	}
	if queries[1].Filter != nil {
		t.Errorf("unfiltered query carries filter %v", queries[1].GetFilter())
	}
	if inc := queries[0].GetWithPayload().GetInclude().GetFields(); !slices.Contains(inc, "passage_id") || !slices.Contains(inc, "doc_id") {
		t.Errorf("query asks for payload %v, want passage_id and doc_id", inc)
	}
	if got := vectortest.Requests[*qdrant.CountPoints](si); len(got) != 0 {
		t.Errorf("search sent %d count requests", len(got))
	}
	vecCount(t, s)
	if c := vectortest.Requests[*qdrant.CountPoints](si); len(c) != 1 || !c[0].GetExact() {
		t.Errorf("Count sent %v, want one exact count", c)
	}
}

func TestQdrantVectorsPointID(t *testing.T) {
	uuidV5 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]string{}
	for _, id := range []string{"p1", "p2", "luat-dat-dai-2024/dieu-5/khoan-2", "Điều 5", ""} {
		u := retrieval.QdrantPointID(id)
		if !uuidV5.MatchString(u) {
			t.Errorf("QdrantPointID(%q) = %q, not a UUID v5", id, u)
		}
		if u != retrieval.QdrantPointID(id) {
			t.Errorf("QdrantPointID(%q) changes between calls", id)
		}
		if other, dup := seen[u]; dup {
			t.Errorf("%q and %q share point id %s", id, other, u)
		}
		seen[u] = id
	}
	// Changing the namespace would orphan every stored point.
	if got, want := retrieval.QdrantPointID("p1"), vecGoldenPointID; got != want {
		t.Errorf("QdrantPointID(p1) = %s, was %s: stored collections would be orphaned", got, want)
	}
}

const vecGoldenPointID = "0e5d969a-5929-5d1f-bf04-d942a5820537" // uuid.uuid5(UUID("3b8e5c51-0f6a-4d2e-9c17-6e52a103d47f"), "p1") in Python

// Vectors of two models never mix: a collection made for another model
// or dimension is refused, or recreated when asked.
func TestQdrantVectorsModelMismatch(t *testing.T) {
	q := vecQdrantTarget(t)
	name := q.collection(t)
	s := q.mustOpen(t, retrieval.QdrantOptions{Collection: name, Dim: 8, Model: "model-a"})
	vecUpsert(t, s, vecBatch(0, 5, 8))
	s.Close()

	for _, o := range []retrieval.QdrantOptions{
		{Collection: name, Dim: 8, Model: "model-b"},
		{Collection: name, Dim: 16, Model: "model-a"},
	} {
		s, err := q.open(t, o)
		if !errors.Is(err, retrieval.ErrVectorsMismatch) {
			if s != nil {
				s.Close()
			}
			t.Fatalf("open %+v over a model-a, 8-dimensional collection: %v, want ErrVectorsMismatch", o, err)
		}
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the error should name the collection: %v", err)
		}
	}
	s = q.mustOpen(t, retrieval.QdrantOptions{Collection: name, Dim: 8, Model: "model-a"})
	if s.Fresh || vecCount(t, s) != 5 {
		t.Errorf("reopening with the same model: Fresh %v, %d points; want the 5 kept", s.Fresh, vecCount(t, s))
	}
	s.Close()

	s = q.mustOpen(t, retrieval.QdrantOptions{Collection: name, Dim: 16, Model: "model-b", RecreateOnMismatch: true})
	defer s.Close()
	if !s.Fresh || !errors.Is(s.Discarded, retrieval.ErrVectorsMismatch) {
		t.Errorf("recreated on mismatch: Fresh %v, Discarded %v", s.Fresh, s.Discarded)
	}
	if n := vecCount(t, s); n != 0 {
		t.Errorf("recreated collection holds %d points", n)
	}
	vecUpsert(t, s, vecBatch(1, 3, 16))
}

// A collection made by hand without our metadata is adopted while empty,
// and refused once it holds points of an unknown model.
func TestQdrantVectorsCollectionWithoutModel(t *testing.T) {
	q := vecQdrantTarget(t)
	raw := q.rawClient(t)
	defer raw.Close()
	ctx := context.Background()
	create := func(name string) {
		err := raw.CreateCollection(ctx, &qdrant.CreateCollection{
			CollectionName: name,
			VectorsConfig:  qdrant.NewVectorsConfig(&qdrant.VectorParams{Size: 4, Distance: qdrant.Distance_Cosine}),
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	empty := q.collection(t)
	create(empty)
	s := q.mustOpen(t, retrieval.QdrantOptions{Collection: empty, Dim: 4, Model: "model-a"})
	s.Close()
	info, err := raw.GetCollectionInfo(ctx, empty)
	if err != nil {
		t.Fatal(err)
	}
	if m := info.GetConfig().GetMetadata()["mattranso_model"].GetStringValue(); m != "model-a" {
		t.Errorf("adopted collection records model %q, want model-a", m)
	}

	full := q.collection(t)
	create(full)
	_, err = raw.Upsert(ctx, &qdrant.UpsertPoints{
		CollectionName: full,
		Wait:           qdrant.PtrOf(true),
		Points:         []*qdrant.PointStruct{{Id: qdrant.NewIDNum(1), Vectors: qdrant.NewVectorsDense([]float32{1, 0, 0, 0})}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if s, err := q.open(t, retrieval.QdrantOptions{Collection: full, Dim: 4, Model: "model-a"}); !errors.Is(err, retrieval.ErrVectorsMismatch) {
		if s != nil {
			s.Close()
		}
		t.Errorf("open a collection with points of an unknown model: %v, want ErrVectorsMismatch", err)
	}
}

func TestQdrantVectorsTimeouts(t *testing.T) {
	si := vectortest.NewQdrantStandIn(t)
	q := vecQdrant{url: si.URL, standIn: si}
	s := q.mustOpen(t, retrieval.QdrantOptions{Collection: "slow", Dim: 4, Model: "m", Timeout: 100 * time.Millisecond})
	defer s.Close()
	si.SetDelay(2 * time.Second)
	start := time.Now()
	_, err := s.Search(context.Background(), []float32{1, 0, 0, 0}, 3, retrieval.VectorFilter{})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "search") || !strings.Contains(err.Error(), "slow") {
		t.Errorf("search against a server that does not answer: %v; want DeadlineExceeded naming the operation and collection", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("search gave up after %v, want about the 100ms timeout", d)
	}
	err = s.Upsert(context.Background(), vecBatch(0, 3, 4))
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "upsert") {
		t.Errorf("upsert against a server that does not answer: %v", err)
	}
	_, err = q.open(t, retrieval.QdrantOptions{Collection: "slow", Dim: 4, Model: "m", Timeout: 100 * time.Millisecond})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "health check") {
		t.Errorf("open against a server that does not answer: %v", err)
	}
}

func TestQdrantVectorsAPIKey(t *testing.T) {
	si := vectortest.NewQdrantStandIn(t)
	si.APIKey = "secret-key"
	q := vecQdrant{url: si.URL, standIn: si}
	if s, err := q.open(t, retrieval.QdrantOptions{Dim: 4, Model: "m"}); err == nil || !strings.Contains(err.Error(), "Unauthenticated") {
		if s != nil {
			s.Close()
		}
		t.Errorf("open without the API key: %v, want Unauthenticated", err)
	}
	q.apiKey = "secret-key"
	s := q.mustOpen(t, retrieval.QdrantOptions{Dim: 4, Model: "m"})
	defer s.Close()
	vecUpsert(t, s, vecBatch(0, 2, 4))
	if vecCount(t, s) != 2 {
		t.Error("writes with the API key were not kept")
	}
	if got := vectortest.Requests[*qdrant.CreateCollection](si); len(got) != 1 || got[0].GetCollectionName() != retrieval.DefaultQdrantCollection {
		t.Errorf("default collection: created %v, want %s", got, retrieval.DefaultQdrantCollection)
	}
}

func TestQdrantVectorsURL(t *testing.T) {
	si := vectortest.NewQdrantStandIn(t)
	hostport := strings.TrimPrefix(si.URL, "http://")
	for _, u := range []string{si.URL, si.URL + "/", hostport} {
		q := vecQdrant{url: u, standIn: si}
		q.mustOpen(t, retrieval.QdrantOptions{Collection: "c", Dim: 4, Model: "m"}).Close()
	}
	for _, u := range []string{"ftp://" + hostport, "http://127.0.0.1:99999", "http://" + hostport + "/qdrant", "http://user:pw@" + hostport, "127.0.0.1:port", "http://"} {
		q := vecQdrant{url: u}
		if s, err := q.open(t, retrieval.QdrantOptions{Collection: "c", Dim: 4, Model: "m"}); err == nil {
			s.Close()
			t.Errorf("QDRANT_URL %q accepted", u)
		}
	}

	// Nothing listening: a clear error naming the address, quickly.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + lis.Addr().String()
	lis.Close()
	start := time.Now()
	_, err = vecQdrant{url: dead}.open(t, retrieval.QdrantOptions{Dim: 4, Model: "m", Timeout: 2 * time.Second})
	if err == nil || !strings.Contains(err.Error(), lis.Addr().String()) || !strings.Contains(err.Error(), "health check") {
		t.Errorf("open with nothing listening: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("open with nothing listening took %v", d)
	}
}

// DropOthers drops the collections it is told to, never its own, and says
// which.
func TestQdrantVectorsDropOthers(t *testing.T) {
	q := vecQdrantTarget(t)
	var names []string
	for i := range 4 {
		name := q.collection(t)
		s := q.mustOpen(t, retrieval.QdrantOptions{Collection: name, Dim: 8, Model: "model-a"})
		vecUpsert(t, s, vecBatch(i, 2, 8))
		s.Close()
		names = append(names, name)
	}
	cur := q.mustOpen(t, retrieval.QdrantOptions{Collection: names[3], Dim: 8, Model: "model-a"})
	defer cur.Close()
	// The two oldest and the open one asked for; the open one is kept.
	dropped, err := cur.DropOthers(t.Context(), func(name string) bool {
		return name == names[0] || name == names[1] || name == names[3]
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(dropped)
	if want := names[:2]; !slices.Equal(dropped, want) {
		t.Errorf("dropped %v, want %v", dropped, want)
	}
	c := q.rawClient(t)
	defer c.Close()
	left, err := c.ListCollections(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range names {
		if kept := slices.Contains(left, name); kept != (i >= 2) {
			t.Errorf("collection %s kept: %v", name, kept)
		}
	}
	if vecCount(t, cur) != 2 {
		t.Errorf("the open collection holds %d points, want 2", vecCount(t, cur))
	}
}
