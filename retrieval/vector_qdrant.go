package retrieval

import (
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Defaults of QdrantOptions.
const (
	DefaultQdrantCollection = "mattranso_passages"
	defaultQdrantPort       = 6334
	defaultQdrantTimeout    = 10 * time.Second
	defaultQdrantBatch      = 256
)

// Payload keys of every point, and the collection metadata keys that
// record which model made the vectors. Qdrant 1.16 added collection
// metadata; older servers are refused.
const (
	qdrantPassageKey = "passage_id"
	qdrantDocKey     = "doc_id"
	qdrantKindKey    = "kind"
	qdrantModelKey   = "mattranso_model"
	qdrantSchemaKey  = "mattranso_schema"
	qdrantSchema     = 1
)

// QdrantOptions configures OpenQdrant; zero values take the defaults.
type QdrantOptions struct {
	// URL is Qdrant's gRPC endpoint (port 6334, not the REST port 6333):
	// "http://host:6334", "https://host:6334" for TLS, or "host:port".
	// Empty means localhost:6334. serve reads it from QDRANT_URL.
	URL string
	// APIKey is sent with every call when set (QDRANT_API_KEY).
	APIKey string
	// Collection defaults to DefaultQdrantCollection.
	Collection string
	// Dim and Model are the embedder's Dimension and Name; both required.
	Dim   int
	Model string
	// Timeout bounds every call to Qdrant (each batch of an upsert is
	// one call); default 10s.
	Timeout time.Duration
	// BatchSize is the number of points per upsert call; default 256.
	BatchSize int
	// RecreateOnMismatch drops and recreates a collection that holds
	// vectors of another dimension or model, instead of refusing to open.
	RecreateOnMismatch bool
}

// Qdrant is the VectorStore backed by a Qdrant collection, for
// deployments past one machine. Each passage is one point whose id is
// QdrantPointID(passage id), with the passage id, document id and kind in
// its payload (the latter two indexed as keywords for filtering), and one
// unnamed dense vector under cosine distance. The collection's metadata
// records the embedding model, so vectors of two models never mix.
//
// Writes wait for Qdrant to apply them, so a search after Upsert sees the
// new vectors. An Upsert larger than one batch is not atomic: when a later
// batch fails the earlier ones stay, and the caller repeats the call.
type Qdrant struct {
	client     *qdrant.Client
	url        string
	collection string
	dim        int
	model      string
	timeout    time.Duration
	batch      int

	// Fresh is set when the collection was created by OpenQdrant (new, or
	// recreated on a mismatch), so that the caller embeds every passage.
	Fresh bool
	// Discarded says why an existing collection was dropped (wrapping
	// ErrVectorsMismatch); nil when nothing was.
	Discarded error

	mu     sync.RWMutex // calls hold it for reading, Close for writing
	closed bool
}

var _ VectorStore = (*Qdrant)(nil)

// OpenQdrant connects to Qdrant and makes sure the collection exists with
// the right dimension, cosine distance, model and payload indexes. A
// collection made for another dimension or model is an error wrapping
// ErrVectorsMismatch, unless RecreateOnMismatch is set.
func OpenQdrant(ctx context.Context, o QdrantOptions) (*Qdrant, error) {
	if o.Dim <= 0 || o.Dim > maxVectorDim {
		return nil, fmt.Errorf("retrieval: qdrant: vector dimension %d out of range 1..%d", o.Dim, maxVectorDim)
	}
	if o.Model == "" || len(o.Model) > maxModelLen {
		return nil, fmt.Errorf("retrieval: qdrant: embedding model name %q: want 1..%d bytes", o.Model, maxModelLen)
	}
	cfg, err := qdrantConfig(o.URL)
	if err != nil {
		return nil, err
	}
	cfg.APIKey = o.APIKey
	// OpenQdrant checks the version itself, within its timeout.
	cfg.SkipCompatibilityCheck = true
	q := &Qdrant{
		url:        o.URL,
		collection: o.Collection,
		dim:        o.Dim,
		model:      o.Model,
		timeout:    o.Timeout,
		batch:      o.BatchSize,
	}
	if q.url == "" {
		q.url = cfg.Host + ":" + strconv.Itoa(cfg.Port)
	}
	if q.collection == "" {
		q.collection = DefaultQdrantCollection
	}
	if q.timeout <= 0 {
		q.timeout = defaultQdrantTimeout
	}
	if q.batch <= 0 {
		q.batch = defaultQdrantBatch
	}
	q.client, err = qdrant.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("retrieval: qdrant at %s: %w", q.url, err)
	}
	if err := q.open(ctx, o.RecreateOnMismatch); err != nil {
		q.client.Close()
		return nil, err
	}
	return q, nil
}

// qdrantConfig reads a QDRANT_URL.
func qdrantConfig(raw string) (*qdrant.Config, error) {
	cfg := &qdrant.Config{Host: "localhost", Port: defaultQdrantPort}
	if raw == "" {
		return cfg, nil
	}
	hostport := raw
	if strings.Contains(raw, "://") {
		u, err := url.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("retrieval: QDRANT_URL %q: %w", raw, err)
		}
		switch u.Scheme {
		case "http":
		case "https":
			cfg.UseTLS = true
		default:
			return nil, fmt.Errorf("retrieval: QDRANT_URL %q: scheme must be http or https", raw)
		}
		if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.User != nil {
			return nil, fmt.Errorf("retrieval: QDRANT_URL %q: want scheme://host:port and nothing more (put the key in QDRANT_API_KEY)", raw)
		}
		hostport = u.Host
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		// No port, or a bare IPv6 address.
		host, port = strings.Trim(hostport, "[]"), ""
	}
	if host == "" {
		return nil, fmt.Errorf("retrieval: QDRANT_URL %q has no host", raw)
	}
	cfg.Host = host
	if port != "" {
		p, err := strconv.Atoi(port)
		if err != nil || p <= 0 || p > 65535 {
			return nil, fmt.Errorf("retrieval: QDRANT_URL %q: bad port %q", raw, port)
		}
		cfg.Port = p
	}
	return cfg, nil
}

func (q *Qdrant) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, q.timeout)
}

// errorf says what failed where. A call cut short by its context also
// wraps the context's error, which gRPC reports only as a status code.
func (q *Qdrant) errorf(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	switch status.Code(err) {
	case codes.DeadlineExceeded:
		return fmt.Errorf("retrieval: qdrant %s collection %q: %s: %w (%w)", q.url, q.collection, what, context.DeadlineExceeded, err)
	case codes.Canceled:
		return fmt.Errorf("retrieval: qdrant %s collection %q: %s: %w (%w)", q.url, q.collection, what, context.Canceled, err)
	}
	return fmt.Errorf("retrieval: qdrant %s collection %q: %s: %w", q.url, q.collection, what, err)
}

func (q *Qdrant) open(ctx context.Context, recreate bool) error {
	c, cancel := q.call(ctx)
	health, err := q.client.HealthCheck(c)
	cancel()
	if err != nil {
		return q.errorf(err, "health check")
	}
	if v, err := qdrant.ParseVersion(health.GetVersion()); err == nil && (v.Major < 1 || v.Major == 1 && v.Minor < 16) {
		return q.errorf(errors.New("collection metadata needs Qdrant 1.16 or later"), "server version %s", health.GetVersion())
	}

	info, err := q.info(ctx)
	if err != nil {
		return err
	}
	if info == nil {
		if err := q.create(ctx); err != nil {
			return err
		}
		q.Fresh = true
	} else if err := q.check(ctx, info); err != nil {
		if !recreate || !errors.Is(err, ErrVectorsMismatch) {
			return err
		}
		c, cancel := q.call(ctx)
		err2 := q.client.DeleteCollection(c, q.collection)
		cancel()
		if err2 != nil {
			return q.errorf(err2, "drop collection of another model")
		}
		if err := q.create(ctx); err != nil {
			return err
		}
		q.Fresh, q.Discarded = true, err
	}
	if info, err = q.info(ctx); err != nil {
		return err
	}
	if info == nil {
		return q.errorf(errors.New("collection vanished"), "get collection")
	}
	for _, field := range []string{qdrantDocKey, qdrantKindKey} {
		if s, ok := info.GetPayloadSchema()[field]; ok {
			if s.GetDataType() != qdrant.PayloadSchemaType_Keyword {
				return q.errorf(fmt.Errorf("%w: payload field %q is indexed as %s, not keyword", ErrVectorsMismatch, field, s.GetDataType()), "check payload index")
			}
			continue
		}
		c, cancel := q.call(ctx)
		_, err := q.client.CreateFieldIndex(c, &qdrant.CreateFieldIndexCollection{
			CollectionName: q.collection,
			FieldName:      field,
			FieldType:      qdrant.FieldType_FieldTypeKeyword.Enum(),
			Wait:           qdrant.PtrOf(true),
		})
		cancel()
		if err != nil {
			return q.errorf(err, "create payload index on %s", field)
		}
	}
	return nil
}

// info returns the collection's description, or nil when it does not exist.
func (q *Qdrant) info(ctx context.Context) (*qdrant.CollectionInfo, error) {
	c, cancel := q.call(ctx)
	defer cancel()
	exists, err := q.client.CollectionExists(c, q.collection)
	if err != nil {
		return nil, q.errorf(err, "check collection exists")
	}
	if !exists {
		return nil, nil
	}
	info, err := q.client.GetCollectionInfo(c, q.collection)
	if err != nil {
		return nil, q.errorf(err, "get collection")
	}
	return info, nil
}

func (q *Qdrant) create(ctx context.Context) error {
	c, cancel := q.call(ctx)
	defer cancel()
	err := q.client.CreateCollection(c, &qdrant.CreateCollection{
		CollectionName: q.collection,
		VectorsConfig: qdrant.NewVectorsConfig(&qdrant.VectorParams{
			Size:     uint64(q.dim),
			Distance: qdrant.Distance_Cosine,
		}),
		Metadata: q.metadata(),
	})
	if err == nil {
		return nil
	}
	// Another process may have created it first; then it must agree.
	info, ierr := q.info(ctx)
	if ierr != nil || info == nil {
		return q.errorf(err, "create collection (%d dimensions, cosine)", q.dim)
	}
	return q.check(ctx, info)
}

func (q *Qdrant) metadata() map[string]*qdrant.Value {
	return map[string]*qdrant.Value{
		qdrantModelKey:  qdrant.NewValueString(q.model),
		qdrantSchemaKey: qdrant.NewValueInt(qdrantSchema),
	}
}

// check compares an existing collection with what this store needs. A
// collection without a recorded model is adopted only while it is empty.
func (q *Qdrant) check(ctx context.Context, info *qdrant.CollectionInfo) error {
	params := info.GetConfig().GetParams().GetVectorsConfig().GetParams()
	if params == nil {
		return q.errorf(fmt.Errorf("%w: the collection has named vectors, not one unnamed vector", ErrVectorsMismatch), "check collection")
	}
	if int(params.GetSize()) != q.dim || params.GetDistance() != qdrant.Distance_Cosine {
		return q.errorf(fmt.Errorf("%w: the collection holds %d-dimensional vectors under %s distance, asked for %d-dimensional under Cosine",
			ErrVectorsMismatch, params.GetSize(), params.GetDistance(), q.dim), "check collection")
	}
	meta := info.GetConfig().GetMetadata()
	if s := meta[qdrantSchemaKey]; s != nil && s.GetIntegerValue() != qdrantSchema {
		return q.errorf(fmt.Errorf("%w: payload schema %d, this build writes %d", ErrVectorsMismatch, s.GetIntegerValue(), qdrantSchema), "check collection")
	}
	if m := meta[qdrantModelKey]; m != nil {
		if got := m.GetStringValue(); got != q.model {
			return q.errorf(fmt.Errorf("%w: the collection holds vectors of model %q, asked for %q", ErrVectorsMismatch, got, q.model), "check collection")
		}
		return nil
	}
	n, err := q.Count(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return q.errorf(fmt.Errorf("%w: the collection holds %d points but records no embedding model", ErrVectorsMismatch, n), "check collection")
	}
	c, cancel := q.call(ctx)
	defer cancel()
	if err := q.client.UpdateCollection(c, &qdrant.UpdateCollection{CollectionName: q.collection, Metadata: q.metadata()}); err != nil {
		return q.errorf(err, "record embedding model")
	}
	return nil
}

// qdrantNamespace is the UUID v5 namespace of point ids. Changing it
// orphans every point already stored.
var qdrantNamespace = [16]byte{0x3b, 0x8e, 0x5c, 0x51, 0x0f, 0x6a, 0x4d, 0x2e, 0x9c, 0x17, 0x6e, 0x52, 0xa1, 0x03, 0xd4, 0x7f}

// QdrantPointID is the point id of a passage: the UUID v5 (SHA-1) of its
// id, so that upserting a passage again replaces its point.
func QdrantPointID(passageID string) string {
	h := sha1.New()
	h.Write(qdrantNamespace[:])
	h.Write([]byte(passageID))
	s := h.Sum(nil)
	s[6] = s[6]&0x0f | 0x50
	s[8] = s[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}

// Upsert adds or replaces vectors by passage id, BatchSize points a call.
func (q *Qdrant) Upsert(ctx context.Context, recs []VectorRecord) error {
	if err := checkVectorRecords(recs, q.dim, q.model); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		return ErrVectorsClosed
	}
	recs = lastByID(recs)
	for from := 0; from < len(recs); from += q.batch {
		to := min(from+q.batch, len(recs))
		points := make([]*qdrant.PointStruct, 0, to-from)
		for _, r := range recs[from:to] {
			points = append(points, &qdrant.PointStruct{
				Id:      qdrant.NewIDUUID(QdrantPointID(r.ID)),
				Vectors: qdrant.NewVectorsDense(r.Vector),
				Payload: map[string]*qdrant.Value{
					qdrantPassageKey: qdrant.NewValueString(r.ID),
					qdrantDocKey:     qdrant.NewValueString(r.DocID),
					qdrantKindKey:    qdrant.NewValueString(string(r.Kind)),
				},
			})
		}
		c, cancel := q.call(ctx)
		_, err := q.client.Upsert(c, &qdrant.UpsertPoints{
			CollectionName: q.collection,
			Points:         points,
			Wait:           qdrant.PtrOf(true),
		})
		cancel()
		if err != nil {
			return q.errorf(err, "upsert points %d–%d of %d", from+1, to, len(recs))
		}
	}
	return nil
}

// DeleteDocs removes every point whose doc_id is one of docIDs.
func (q *Qdrant) DeleteDocs(ctx context.Context, docIDs ...string) error {
	seen := make(map[string]bool, len(docIDs))
	ids := make([]string, 0, len(docIDs))
	for _, d := range docIDs {
		if d == "" || len(d) > maxVectorIDLen {
			return fmt.Errorf("retrieval: delete vectors: bad document id %q", d)
		}
		if !seen[d] {
			seen[d] = true
			ids = append(ids, d)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		return ErrVectorsClosed
	}
	for from := 0; from < len(ids); from += q.batch {
		to := min(from+q.batch, len(ids))
		c, cancel := q.call(ctx)
		_, err := q.client.Delete(c, &qdrant.DeletePoints{
			CollectionName: q.collection,
			Points: qdrant.NewPointsSelectorFilter(&qdrant.Filter{
				Must: []*qdrant.Condition{qdrant.NewMatchKeywords(qdrantDocKey, ids[from:to]...)},
			}),
			Wait: qdrant.PtrOf(true),
		})
		cancel()
		if err != nil {
			return q.errorf(err, "delete points of %d documents", to-from)
		}
	}
	return nil
}

// Search returns the k points nearest to vec that pass the filter.
func (q *Qdrant) Search(ctx context.Context, vec []float32, k int, f VectorFilter) ([]VectorHit, error) {
	if err := checkVectorQuery(vec, k, f, q.dim, q.model); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		return nil, ErrVectorsClosed
	}
	req := &qdrant.QueryPoints{
		CollectionName: q.collection,
		Query:          qdrant.NewQueryDense(vec),
		Limit:          qdrant.PtrOf(uint64(k)),
		WithPayload:    qdrant.NewWithPayloadInclude(qdrantPassageKey, qdrantDocKey),
	}
	var must []*qdrant.Condition
	if f.Kind != "" {
		must = append(must, qdrant.NewMatchKeyword(qdrantKindKey, string(f.Kind)))
	}
	if f.DocID != "" {
		must = append(must, qdrant.NewMatchKeyword(qdrantDocKey, f.DocID))
	}
	if must != nil {
		req.Filter = &qdrant.Filter{Must: must}
	}
	c, cancel := q.call(ctx)
	defer cancel()
	points, err := q.client.Query(c, req)
	if err != nil {
		return nil, q.errorf(err, "search %d nearest", k)
	}
	hits := make([]VectorHit, 0, len(points))
	for _, p := range points {
		id := p.GetPayload()[qdrantPassageKey].GetStringValue()
		if id == "" {
			return nil, q.errorf(errors.New("point has no passage_id in its payload"), "search: point %s", p.GetId())
		}
		hits = append(hits, VectorHit{ID: id, DocID: p.GetPayload()[qdrantDocKey].GetStringValue(), Score: p.GetScore()})
	}
	return hits, nil
}

// Count returns the exact number of points in the collection.
func (q *Qdrant) Count(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		return 0, ErrVectorsClosed
	}
	c, cancel := q.call(ctx)
	defer cancel()
	n, err := q.client.Count(c, &qdrant.CountPoints{CollectionName: q.collection, Exact: qdrant.PtrOf(true)})
	if err != nil {
		return 0, q.errorf(err, "count points")
	}
	return int(n), nil
}

// Dim returns the dimension of the collection's vectors.
// DropOthers drops the other collections of the same Qdrant whose names
// drop says (those of older models, say), and returns their names.
func (q *Qdrant) DropOthers(ctx context.Context, drop func(name string) bool) ([]string, error) {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		return nil, ErrVectorsClosed
	}
	c, cancel := q.call(ctx)
	names, err := q.client.ListCollections(c)
	cancel()
	if err != nil {
		return nil, q.errorf(err, "list collections")
	}
	var dropped []string
	for _, name := range names {
		if name == q.collection || !drop(name) {
			continue
		}
		c, cancel := q.call(ctx)
		err := q.client.DeleteCollection(c, name)
		cancel()
		if err != nil {
			return dropped, q.errorf(err, "drop collection %q", name)
		}
		dropped = append(dropped, name)
	}
	return dropped, nil
}

func (q *Qdrant) Dim() int { return q.dim }

// Model returns the name of the embedding model the vectors came from.
func (q *Qdrant) Model() string { return q.model }

// Close closes the connections; the collection stays.
func (q *Qdrant) Close() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return nil
	}
	q.closed = true
	err := q.client.Close()
	if err != nil && status.Code(err) != codes.Canceled {
		return fmt.Errorf("retrieval: close qdrant connection: %w", err)
	}
	return nil
}
