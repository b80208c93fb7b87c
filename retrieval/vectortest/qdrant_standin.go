package vectortest

import (
	"context"
	"fmt"
	"math"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// QdrantStandIn is a stand-in for Qdrant in tests; it is NOT Qdrant. It
// serves, over real gRPC on 127.0.0.1, the few RPCs of Qdrant's API that
// retrieval.Qdrant calls — health check; collection exists, get, create,
// update (metadata), delete; create field index; upsert, delete (by ids or
// filter), query (nearest dense vector), count — built on the service
// interfaces generated in github.com/qdrant/go-client/qdrant, so the
// client code runs unchanged against it. It behaves like Qdrant where the
// client could tell: cosine vectors are normalised on insert and scored
// exactly, payloads are stored and filtered (keyword match, must / should
// / must_not), dimensions and ids are validated, errors carry Qdrant's
// status codes, and an api-key is checked when set. Like Qdrant in strict
// mode, it refuses to filter on a payload field that has no index. Any
// request field it does not model is answered with Unimplemented rather
// than ignored. It keeps every request it receives for tests to inspect.
type QdrantStandIn struct {
	// URL is where the stand-in listens, as "http://127.0.0.1:port".
	URL string
	// APIKey, when set before the first call, is required of every call.
	APIKey string

	mu          sync.Mutex
	delay       time.Duration
	collections map[string]*standInCollection
	requests    []proto.Message
}

type standInCollection struct {
	dim      int
	distance qdrant.Distance
	metadata map[string]*qdrant.Value
	indexes  map[string]qdrant.FieldType
	points   map[string]*standInPoint
}

type standInPoint struct {
	id      *qdrant.PointId
	vector  []float32
	payload map[string]*qdrant.Value
}

// StandInVersion is the Qdrant version the stand-in reports.
const StandInVersion = "1.17.0"

// NewQdrantStandIn starts a stand-in on 127.0.0.1 and stops it when the
// test ends.
func NewQdrantStandIn(t testing.TB) *QdrantStandIn {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("qdrant stand-in: listen: %v", err)
	}
	s := &QdrantStandIn{URL: "http://" + lis.Addr().String(), collections: map[string]*standInCollection{}}
	srv := grpc.NewServer(grpc.UnaryInterceptor(s.intercept))
	qdrant.RegisterQdrantServer(srv, standInHealth{})
	qdrant.RegisterCollectionsServer(srv, standInCollections{s: s})
	qdrant.RegisterPointsServer(srv, standInPoints{s: s})
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	return s
}

// SetDelay makes every later call wait d before it is answered (or until
// the caller gives up), to test timeouts.
func (s *QdrantStandIn) SetDelay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

func (s *QdrantStandIn) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	s.mu.Lock()
	if m, ok := req.(proto.Message); ok {
		s.requests = append(s.requests, proto.Clone(m))
	}
	delay := s.delay
	s.mu.Unlock()
	if s.APIKey != "" {
		md, _ := metadata.FromIncomingContext(ctx)
		if keys := md.Get("api-key"); len(keys) != 1 || keys[0] != s.APIKey {
			return nil, status.Error(codes.Unauthenticated, "Invalid api-key")
		}
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return nil, status.FromContextError(ctx.Err()).Err()
		}
	}
	return handler(ctx, req)
}

// Requests returns copies of the requests of type T the stand-in has
// received, in order: Requests[*qdrant.UpsertPoints](s).
func Requests[T proto.Message](s *QdrantStandIn) []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []T
	for _, m := range s.requests {
		if r, ok := m.(T); ok {
			out = append(out, r)
		}
	}
	return out
}

// ResetRequests forgets the requests received so far.
func (s *QdrantStandIn) ResetRequests() {
	s.mu.Lock()
	s.requests = nil
	s.mu.Unlock()
}

// collection returns the named collection; s.mu is held.
func (s *QdrantStandIn) collection(name string) (*standInCollection, error) {
	c := s.collections[name]
	if c == nil {
		return nil, status.Errorf(codes.NotFound, "Not found: Collection `%s` doesn't exist!", name)
	}
	return c, nil
}

type standInHealth struct {
	qdrant.UnimplementedQdrantServer
}

func (standInHealth) HealthCheck(context.Context, *qdrant.HealthCheckRequest) (*qdrant.HealthCheckReply, error) {
	return &qdrant.HealthCheckReply{Title: "qdrant stand-in for tests (not Qdrant)", Version: StandInVersion}, nil
}

type standInCollections struct {
	qdrant.UnimplementedCollectionsServer
	s *QdrantStandIn
}

var collectionName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,255}$`)

func (c standInCollections) CollectionExists(_ context.Context, r *qdrant.CollectionExistsRequest) (*qdrant.CollectionExistsResponse, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	_, ok := c.s.collections[r.GetCollectionName()]
	return &qdrant.CollectionExistsResponse{Result: &qdrant.CollectionExists{Exists: ok}}, nil
}

func (c standInCollections) Get(_ context.Context, r *qdrant.GetCollectionInfoRequest) (*qdrant.GetCollectionInfoResponse, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	col, err := c.s.collection(r.GetCollectionName())
	if err != nil {
		return nil, err
	}
	schema := map[string]*qdrant.PayloadSchemaInfo{}
	for field, ft := range col.indexes {
		var n uint64
		for _, p := range col.points {
			if p.payload[field] != nil {
				n++
			}
		}
		schema[field] = &qdrant.PayloadSchemaInfo{DataType: schemaType(ft), Points: &n}
	}
	n := uint64(len(col.points))
	return &qdrant.GetCollectionInfoResponse{Result: &qdrant.CollectionInfo{
		Status: qdrant.CollectionStatus_Green,
		Config: &qdrant.CollectionConfig{
			Params: &qdrant.CollectionParams{
				ShardNumber: 1,
				VectorsConfig: qdrant.NewVectorsConfig(&qdrant.VectorParams{
					Size:     uint64(col.dim),
					Distance: col.distance,
				}),
			},
			Metadata: cloneValues(col.metadata),
		},
		PayloadSchema: schema,
		PointsCount:   &n,
	}}, nil
}

func schemaType(ft qdrant.FieldType) qdrant.PayloadSchemaType {
	switch ft {
	case qdrant.FieldType_FieldTypeKeyword:
		return qdrant.PayloadSchemaType_Keyword
	case qdrant.FieldType_FieldTypeInteger:
		return qdrant.PayloadSchemaType_Integer
	case qdrant.FieldType_FieldTypeFloat:
		return qdrant.PayloadSchemaType_Float
	case qdrant.FieldType_FieldTypeBool:
		return qdrant.PayloadSchemaType_Bool
	case qdrant.FieldType_FieldTypeText:
		return qdrant.PayloadSchemaType_Text
	}
	return qdrant.PayloadSchemaType_UnknownType
}

func (c standInCollections) Create(_ context.Context, r *qdrant.CreateCollection) (*qdrant.CollectionOperationResponse, error) {
	name := r.GetCollectionName()
	if !collectionName.MatchString(name) {
		return nil, status.Errorf(codes.InvalidArgument, "Validation error in body: collection name %q is not valid", name)
	}
	if r.SparseVectorsConfig != nil || r.ShardingMethod != nil || r.QuantizationConfig != nil {
		return nil, status.Error(codes.Unimplemented, "qdrant stand-in: only dense vector collections are modelled")
	}
	params := r.GetVectorsConfig().GetParams()
	if params == nil {
		return nil, status.Error(codes.Unimplemented, "qdrant stand-in: only one unnamed vector per point is modelled")
	}
	if params.GetSize() == 0 || params.GetSize() > 65536 {
		return nil, status.Errorf(codes.InvalidArgument, "Validation error in body: vector size %d out of range", params.GetSize())
	}
	if params.GetDistance() != qdrant.Distance_Cosine && params.GetDistance() != qdrant.Distance_Dot {
		return nil, status.Errorf(codes.Unimplemented, "qdrant stand-in: %s distance is not modelled", params.GetDistance())
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if _, ok := c.s.collections[name]; ok {
		return nil, status.Errorf(codes.AlreadyExists, "Wrong input: Collection `%s` already exists!", name)
	}
	c.s.collections[name] = &standInCollection{
		dim:      int(params.GetSize()),
		distance: params.GetDistance(),
		metadata: cloneValues(r.GetMetadata()),
		indexes:  map[string]qdrant.FieldType{},
		points:   map[string]*standInPoint{},
	}
	return &qdrant.CollectionOperationResponse{Result: true}, nil
}

func (c standInCollections) Update(_ context.Context, r *qdrant.UpdateCollection) (*qdrant.CollectionOperationResponse, error) {
	// Only metadata is modelled: the request must carry nothing else.
	rest := proto.Clone(r).(*qdrant.UpdateCollection)
	rest.CollectionName, rest.Metadata = "", nil
	if proto.Size(rest) != 0 {
		return nil, status.Error(codes.Unimplemented, "qdrant stand-in: only metadata updates are modelled")
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	col, err := c.s.collection(r.GetCollectionName())
	if err != nil {
		return nil, err
	}
	if col.metadata == nil {
		col.metadata = map[string]*qdrant.Value{}
	}
	for k, v := range r.GetMetadata() {
		col.metadata[k] = proto.Clone(v).(*qdrant.Value)
	}
	return &qdrant.CollectionOperationResponse{Result: true}, nil
}

func (c standInCollections) List(context.Context, *qdrant.ListCollectionsRequest) (*qdrant.ListCollectionsResponse, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	var out []*qdrant.CollectionDescription
	for name := range c.s.collections {
		out = append(out, &qdrant.CollectionDescription{Name: name})
	}
	return &qdrant.ListCollectionsResponse{Collections: out}, nil
}

func (c standInCollections) Delete(_ context.Context, r *qdrant.DeleteCollection) (*qdrant.CollectionOperationResponse, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	_, ok := c.s.collections[r.GetCollectionName()]
	delete(c.s.collections, r.GetCollectionName())
	return &qdrant.CollectionOperationResponse{Result: ok}, nil
}

type standInPoints struct {
	qdrant.UnimplementedPointsServer
	s *QdrantStandIn
}

func updated() *qdrant.PointsOperationResponse {
	return &qdrant.PointsOperationResponse{Result: &qdrant.UpdateResult{Status: qdrant.UpdateStatus_Completed}}
}

func (p standInPoints) CreateFieldIndex(_ context.Context, r *qdrant.CreateFieldIndexCollection) (*qdrant.PointsOperationResponse, error) {
	if r.FieldType == nil {
		return nil, status.Error(codes.InvalidArgument, "Wrong input: field type is required")
	}
	if r.FieldName == "" {
		return nil, status.Error(codes.InvalidArgument, "Wrong input: field name is required")
	}
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	col, err := p.s.collection(r.GetCollectionName())
	if err != nil {
		return nil, err
	}
	col.indexes[r.GetFieldName()] = r.GetFieldType()
	return updated(), nil
}

// pointKey is the canonical form of a point id, as Qdrant compares them.
func pointKey(id *qdrant.PointId) (string, error) {
	switch o := id.GetPointIdOptions().(type) {
	case *qdrant.PointId_Num:
		return fmt.Sprintf("n:%d", o.Num), nil
	case *qdrant.PointId_Uuid:
		u := strings.ToLower(strings.ReplaceAll(o.Uuid, "-", ""))
		if len(u) != 32 || strings.Trim(u, "0123456789abcdef") != "" {
			return "", status.Errorf(codes.InvalidArgument, "Unable to parse UUID: %s", o.Uuid)
		}
		return "u:" + u, nil
	}
	return "", status.Error(codes.InvalidArgument, "Wrong input: point id is missing")
}

func denseOf(v *qdrant.Vectors) ([]float32, error) {
	vec := v.GetVector()
	if vec == nil {
		return nil, status.Error(codes.InvalidArgument, "Wrong input: Not existing vector name error: the collection has one unnamed vector")
	}
	if d := vec.GetDense(); d != nil {
		return d.GetData(), nil
	}
	if vec.GetVector() == nil && len(vec.GetData()) > 0 && vec.Indices == nil && vec.VectorsCount == nil {
		return vec.GetData(), nil // the deprecated form
	}
	return nil, status.Error(codes.Unimplemented, "qdrant stand-in: only dense vectors are modelled")
}

func prepare(col *standInCollection, v []float32) ([]float32, error) {
	if len(v) != col.dim {
		return nil, status.Errorf(codes.InvalidArgument, "Wrong input: Vector dimension error: expected dim: %d, got %d", col.dim, len(v))
	}
	v = slices.Clone(v)
	if col.distance == qdrant.Distance_Cosine {
		var s float64
		for _, x := range v {
			s += float64(x) * float64(x)
		}
		if s > 0 {
			inv := 1 / math.Sqrt(s)
			for i := range v {
				v[i] = float32(float64(v[i]) * inv)
			}
		}
	}
	return v, nil
}

func (p standInPoints) Upsert(_ context.Context, r *qdrant.UpsertPoints) (*qdrant.PointsOperationResponse, error) {
	if r.UpdateFilter != nil || r.ShardKeySelector != nil || r.UpdateMode != nil {
		return nil, status.Error(codes.Unimplemented, "qdrant stand-in: conditional and sharded upserts are not modelled")
	}
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	col, err := p.s.collection(r.GetCollectionName())
	if err != nil {
		return nil, err
	}
	// Validate all, then apply all, as Qdrant does for one request.
	type prepared struct {
		key string
		pt  *standInPoint
	}
	batch := make([]prepared, 0, len(r.GetPoints()))
	for _, pt := range r.GetPoints() {
		key, err := pointKey(pt.GetId())
		if err != nil {
			return nil, err
		}
		raw, err := denseOf(pt.GetVectors())
		if err != nil {
			return nil, err
		}
		vec, err := prepare(col, raw)
		if err != nil {
			return nil, err
		}
		batch = append(batch, prepared{key, &standInPoint{id: proto.Clone(pt.GetId()).(*qdrant.PointId), vector: vec, payload: cloneValues(pt.GetPayload())}})
	}
	for _, b := range batch {
		col.points[b.key] = b.pt
	}
	return updated(), nil
}

func (p standInPoints) Delete(_ context.Context, r *qdrant.DeletePoints) (*qdrant.PointsOperationResponse, error) {
	if r.ShardKeySelector != nil {
		return nil, status.Error(codes.Unimplemented, "qdrant stand-in: sharding is not modelled")
	}
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	col, err := p.s.collection(r.GetCollectionName())
	if err != nil {
		return nil, err
	}
	switch sel := r.GetPoints().GetPointsSelectorOneOf().(type) {
	case *qdrant.PointsSelector_Points:
		for _, id := range sel.Points.GetIds() {
			key, err := pointKey(id)
			if err != nil {
				return nil, err
			}
			delete(col.points, key)
		}
	case *qdrant.PointsSelector_Filter:
		if err := col.checkFilter(sel.Filter); err != nil {
			return nil, err
		}
		for key, pt := range col.points {
			if ok, err := col.matches(pt, sel.Filter); err != nil {
				return nil, err
			} else if ok {
				delete(col.points, key)
			}
		}
	default:
		return nil, status.Error(codes.InvalidArgument, "Wrong input: no points selector")
	}
	return updated(), nil
}

func (p standInPoints) Count(_ context.Context, r *qdrant.CountPoints) (*qdrant.CountResponse, error) {
	if r.ShardKeySelector != nil {
		return nil, status.Error(codes.Unimplemented, "qdrant stand-in: sharding is not modelled")
	}
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	col, err := p.s.collection(r.GetCollectionName())
	if err != nil {
		return nil, err
	}
	if err := col.checkFilter(r.GetFilter()); err != nil {
		return nil, err
	}
	var n uint64
	for _, pt := range col.points {
		ok, err := col.matches(pt, r.GetFilter())
		if err != nil {
			return nil, err
		}
		if ok {
			n++
		}
	}
	return &qdrant.CountResponse{Result: &qdrant.CountResult{Count: n}}, nil
}

func (p standInPoints) Query(_ context.Context, r *qdrant.QueryPoints) (*qdrant.QueryResponse, error) {
	if len(r.Prefetch) > 0 || r.LookupFrom != nil || r.ShardKeySelector != nil || r.Params != nil {
		return nil, status.Error(codes.Unimplemented, "qdrant stand-in: prefetch, lookup, sharding and search params are not modelled")
	}
	if r.GetUsing() != "" {
		return nil, status.Errorf(codes.InvalidArgument, "Wrong input: Not existing vector name error: %s", r.GetUsing())
	}
	if r.GetWithVectors().GetEnable() || r.GetWithVectors().GetInclude() != nil {
		return nil, status.Error(codes.Unimplemented, "qdrant stand-in: returning vectors is not modelled")
	}
	nearest := r.GetQuery().GetNearest()
	if nearest == nil {
		return nil, status.Error(codes.Unimplemented, "qdrant stand-in: only nearest-vector queries are modelled")
	}
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	col, err := p.s.collection(r.GetCollectionName())
	if err != nil {
		return nil, err
	}
	var raw []float32
	switch {
	case nearest.GetDense() != nil:
		raw = nearest.GetDense().GetData()
	case nearest.GetId() != nil:
		key, err := pointKey(nearest.GetId())
		if err != nil {
			return nil, err
		}
		pt := col.points[key]
		if pt == nil {
			return nil, status.Errorf(codes.NotFound, "Not found: No point with id %s found", key)
		}
		raw = pt.vector
	default:
		return nil, status.Error(codes.Unimplemented, "qdrant stand-in: only dense query vectors are modelled")
	}
	q, err := prepare(col, raw)
	if err != nil {
		return nil, err
	}
	if err := col.checkFilter(r.GetFilter()); err != nil {
		return nil, err
	}
	type scored struct {
		key   string
		pt    *standInPoint
		score float32
	}
	var found []scored
	for key, pt := range col.points {
		ok, err := col.matches(pt, r.GetFilter())
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		var s float32
		for i := range q {
			s += q[i] * pt.vector[i]
		}
		if r.ScoreThreshold != nil && s < r.GetScoreThreshold() {
			continue
		}
		found = append(found, scored{key, pt, s})
	}
	slices.SortFunc(found, func(a, b scored) int {
		if a.score != b.score {
			if a.score > b.score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.key, b.key)
	})
	limit, offset := uint64(10), r.GetOffset() // Qdrant's default limit
	if r.Limit != nil {
		limit = r.GetLimit()
	}
	found = found[min(offset, uint64(len(found))):]
	found = found[:min(limit, uint64(len(found)))]
	res := make([]*qdrant.ScoredPoint, len(found))
	for i, f := range found {
		res[i] = &qdrant.ScoredPoint{
			Id:      proto.Clone(f.pt.id).(*qdrant.PointId),
			Score:   f.score,
			Payload: selectPayload(f.pt.payload, r.GetWithPayload()),
		}
	}
	return &qdrant.QueryResponse{Result: res}, nil
}

// selectPayload applies with_payload; the Query API returns no payload
// unless asked.
func selectPayload(p map[string]*qdrant.Value, sel *qdrant.WithPayloadSelector) map[string]*qdrant.Value {
	out := map[string]*qdrant.Value{}
	switch o := sel.GetSelectorOptions().(type) {
	case *qdrant.WithPayloadSelector_Enable:
		if o.Enable {
			return cloneValues(p)
		}
	case *qdrant.WithPayloadSelector_Include:
		for _, k := range o.Include.GetFields() {
			if v, ok := p[k]; ok {
				out[k] = proto.Clone(v).(*qdrant.Value)
			}
		}
	case *qdrant.WithPayloadSelector_Exclude:
		out = cloneValues(p)
		for _, k := range o.Exclude.GetFields() {
			delete(out, k)
		}
	}
	return out
}

// checkFilter refuses conditions on fields without a payload index, as
// Qdrant's strict mode does, so that a missing index shows in tests.
func (col *standInCollection) checkFilter(f *qdrant.Filter) error {
	if f == nil {
		return nil
	}
	if f.MinShould != nil {
		return status.Error(codes.Unimplemented, "qdrant stand-in: min_should is not modelled")
	}
	for _, conds := range [][]*qdrant.Condition{f.GetMust(), f.GetShould(), f.GetMustNot()} {
		for _, c := range conds {
			switch o := c.GetConditionOneOf().(type) {
			case *qdrant.Condition_Field:
				key := o.Field.GetKey()
				if t, ok := col.indexes[key]; !ok || t != qdrant.FieldType_FieldTypeKeyword {
					return status.Errorf(codes.InvalidArgument,
						"Bad request: Index required but not found for %q of one of the following types: [keyword]. Help: Create an index for this key or use a different filter.", key)
				}
			case *qdrant.Condition_Filter:
				if err := col.checkFilter(o.Filter); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (col *standInCollection) matches(pt *standInPoint, f *qdrant.Filter) (bool, error) {
	if f == nil {
		return true, nil
	}
	for _, c := range f.GetMust() {
		ok, err := col.condition(pt, c)
		if err != nil || !ok {
			return false, err
		}
	}
	for _, c := range f.GetMustNot() {
		ok, err := col.condition(pt, c)
		if err != nil || ok {
			return false, err
		}
	}
	if len(f.GetShould()) == 0 {
		return true, nil
	}
	for _, c := range f.GetShould() {
		ok, err := col.condition(pt, c)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

func (col *standInCollection) condition(pt *standInPoint, c *qdrant.Condition) (bool, error) {
	switch o := c.GetConditionOneOf().(type) {
	case *qdrant.Condition_Filter:
		return col.matches(pt, o.Filter)
	case *qdrant.Condition_HasId:
		for _, id := range o.HasId.GetHasId() {
			if proto.Equal(id, pt.id) {
				return true, nil
			}
		}
		return false, nil
	case *qdrant.Condition_Field:
		fc := o.Field
		if fc.Range != nil || fc.GeoBoundingBox != nil || fc.GeoRadius != nil || fc.ValuesCount != nil ||
			fc.GeoPolygon != nil || fc.DatetimeRange != nil || fc.IsEmpty != nil || fc.IsNull != nil {
			return false, status.Error(codes.Unimplemented, "qdrant stand-in: only match conditions are modelled")
		}
		values := payloadStrings(pt.payload[fc.GetKey()])
		switch m := fc.GetMatch().GetMatchValue().(type) {
		case *qdrant.Match_Keyword:
			return slices.Contains(values, m.Keyword), nil
		case *qdrant.Match_Keywords:
			for _, v := range values {
				if slices.Contains(m.Keywords.GetStrings(), v) {
					return true, nil
				}
			}
			return false, nil
		case *qdrant.Match_ExceptKeywords:
			for _, v := range values {
				if !slices.Contains(m.ExceptKeywords.GetStrings(), v) {
					return true, nil
				}
			}
			return false, nil
		}
		return false, status.Error(codes.Unimplemented, "qdrant stand-in: only keyword matches are modelled")
	}
	return false, status.Error(codes.Unimplemented, "qdrant stand-in: condition not modelled")
}

// payloadStrings is what a keyword condition compares: a string value, or
// the strings of a list (any one matches).
func payloadStrings(v *qdrant.Value) []string {
	if v == nil {
		return nil
	}
	if s, ok := v.GetKind().(*qdrant.Value_StringValue); ok {
		return []string{s.StringValue}
	}
	var out []string
	for _, e := range v.GetListValue().GetValues() {
		if s, ok := e.GetKind().(*qdrant.Value_StringValue); ok {
			out = append(out, s.StringValue)
		}
	}
	return out
}

func cloneValues(m map[string]*qdrant.Value) map[string]*qdrant.Value {
	out := make(map[string]*qdrant.Value, len(m))
	for k, v := range m {
		out[k] = proto.Clone(v).(*qdrant.Value)
	}
	return out
}
