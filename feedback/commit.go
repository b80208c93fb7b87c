package feedback

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mattranso/mattranso/store"
)

// NewItem is a submission checked and ready to store: the item (without
// id and code, which Create gives), the submitter's contact, the photos,
// and the idempotency record.
type NewItem struct {
	Item    Item
	Contact Contact
	Photos  []NewPhoto
	// IdempotencyKey, when not "", is recorded with RequestHash in the same
	// transaction, so that a retry finds the first answer.
	IdempotencyKey string
	RequestHash    string
	IP             string // the sender's address, for the history
}

// NewPhoto is a processed photo to store.
type NewPhoto struct {
	ContentType   string
	Data          []byte
	Thumb         []byte
	ThumbType     string
	Width, Height int
}

// Receipt is the answer to a submission, which a retry with the same
// Idempotency-Key gets again byte for byte.
type Receipt struct {
	TrackingCode string    `json:"tracking_code"` // XXXXX-XXXXX
	Status       State     `json:"status"`
	Topic        string    `json:"topic"`
	Unit         string    `json:"unit"`
	ExpectedAt   time.Time `json:"expected_at"`
}

// Created is what Create did: the receipt as stored (Body, the JSON the
// first answer carried), the item's id, and whether it is the answer to
// an earlier request with the same Idempotency-Key (Replayed: nothing was
// stored this time).
type Created struct {
	Receipt  Receipt
	Body     []byte
	ItemID   int64
	Replayed bool
}

// errKeyTaken: the idempotency key was recorded meanwhile (by another
// request, perhaps in the same batch); the submission's writes are undone
// and the recorded answer is read instead.
var errKeyTaken = errors.New("idempotency key taken")

// errClosed: the Store was closed.
var errClosed = errors.New("feedback: store closed")

// Create stores a new item with everything that belongs to it in one
// transaction and returns once that transaction is durably committed. With
// an IdempotencyKey already recorded, it stores nothing and returns the
// recorded answer (Replayed) when the request hash is the same, or an
// error wrapping ErrConflict when it is not.
func (s *Store) Create(ctx context.Context, n *NewItem) (Created, error) {
	if s.db.Dialect == store.Postgres {
		return s.createPostgres(ctx, n)
	}
	s.startOnce.Do(func() { s.committer, s.startErr = s.startCommitter() })
	if s.startErr != nil {
		return Created{}, s.startErr
	}
	return s.committer.submit(ctx, n)
}

// Replay returns the answer recorded for an Idempotency-Key: ok false when
// the key is not recorded; an error wrapping ErrConflict when it was
// recorded for another request.
func (s *Store) Replay(ctx context.Context, key, hash string) (Created, bool, error) {
	c, err := s.replay(ctx, s.db, key, hash)
	if errors.Is(err, ErrNotFound) {
		return Created{}, false, nil
	}
	return c, err == nil, err
}

func (s *Store) replay(ctx context.Context, q Querier, key, hash string) (Created, error) {
	var stored string
	var c Created
	err := q.QueryRowContext(ctx, `SELECT request_hash, item_id, response FROM feedback_idempotency WHERE key = $1`, key).
		Scan(&stored, &c.ItemID, &c.Body)
	if errors.Is(err, sql.ErrNoRows) {
		return Created{}, ErrNotFound
	}
	if err != nil {
		return Created{}, fmt.Errorf("feedback: idempotency key: %w", err)
	}
	if stored != hash {
		return Created{}, ErrConflict
	}
	if err := json.Unmarshal(c.Body, &c.Receipt); err != nil {
		return Created{}, fmt.Errorf("feedback: idempotency key: recorded answer: %w", err)
	}
	c.Replayed = true
	return c, nil
}

// maxCodeTries bounds the new codes tried when one is taken: with 2^50
// codes a second try is already rare beyond measure.
const maxCodeTries = 5

// create writes n on q, which is a transaction or a connection inside
// one (a savepoint of the group commit).
func (s *Store) create(ctx context.Context, q Querier, n *NewItem) (Created, error) {
	it := n.Item
	it.CreatedAt = it.CreatedAt.UTC().Truncate(time.Second)
	it.UpdatedAt = it.CreatedAt
	if it.State == "" {
		it.State = Received
	}
	for try := 0; ; try++ {
		code, err := newCode()
		if err != nil {
			return Created{}, err
		}
		err = q.QueryRowContext(ctx, `INSERT INTO feedback_items (code, content, public_text, province, commune, village,
				address, lat, lon, level, unit, unit_path, topic, topic_confidence, topic_flagged, topic_source, state,
				created_at, updated_at, due_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18, $19)
			ON CONFLICT (code) DO NOTHING RETURNING id`,
			code, it.Content, nullString(it.PublicText), it.Province, it.Commune, it.Village, it.Address,
			nullFloat(it.Lat), nullFloat(it.Lon), string(it.Level), it.Unit, it.UnitPath, it.Topic, it.TopicConfidence,
			it.TopicFlagged, it.TopicSource, string(it.State), it.CreatedAt.Unix(), it.DueAt.Unix()).Scan(&it.ID)
		if errors.Is(err, sql.ErrNoRows) && try < maxCodeTries {
			continue
		}
		if err != nil {
			return Created{}, fmt.Errorf("feedback: store item: %w", err)
		}
		it.Code = code
		break
	}
	if !n.Contact.Empty() {
		if _, err := q.ExecContext(ctx, `INSERT INTO feedback_contacts (item_id, name, phone, email) VALUES ($1, $2, $3, $4)`,
			it.ID, n.Contact.Name, n.Contact.Phone, n.Contact.Email); err != nil {
			return Created{}, fmt.Errorf("feedback: store contact: %w", err)
		}
	}
	for i, p := range n.Photos {
		key, err := s.blobs.Put(ctx, q, p.Data)
		if err != nil {
			return Created{}, err
		}
		// A small photo is its own thumbnail: stored once, named twice.
		thumb := key
		if !bytes.Equal(p.Thumb, p.Data) {
			if thumb, err = s.blobs.Put(ctx, q, p.Thumb); err != nil {
				return Created{}, err
			}
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO feedback_photos (item_id, seq, content_type, width, height, size,
				blob_key, thumb_key, thumb_type) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			it.ID, i+1, p.ContentType, p.Width, p.Height, len(p.Data), key, thumb, p.ThumbType); err != nil {
			return Created{}, fmt.Errorf("feedback: store photo %d: %w", i+1, err)
		}
	}
	if err := s.AddEvent(ctx, q, Event{ItemID: it.ID, At: it.CreatedAt, Actor: "citizen", Action: "submit",
		To: it.State, IP: n.IP}); err != nil {
		return Created{}, err
	}
	c := Created{ItemID: it.ID, Receipt: Receipt{TrackingCode: FormatCode(it.Code), Status: it.State, Topic: it.Topic,
		Unit: it.Unit, ExpectedAt: it.DueAt.In(Vietnam)}}
	var err error
	if c.Body, err = json.Marshal(c.Receipt); err != nil {
		return Created{}, err
	}
	if n.IdempotencyKey != "" {
		res, err := q.ExecContext(ctx, `INSERT INTO feedback_idempotency (key, request_hash, item_id, response, created_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING`,
			n.IdempotencyKey, n.RequestHash, it.ID, string(c.Body), it.CreatedAt.Unix())
		if err != nil {
			return Created{}, fmt.Errorf("feedback: store idempotency key: %w", err)
		}
		if k, err := res.RowsAffected(); err != nil {
			return Created{}, err
		} else if k == 0 {
			return Created{}, errKeyTaken
		}
	}
	return c, nil
}

// createPostgres stores n: an item without photos goes to the batcher,
// which commits it with others; one with photos in a transaction of its
// own.
func (s *Store) createPostgres(ctx context.Context, n *NewItem) (Created, error) {
	if len(n.Photos) == 0 {
		s.startOnce.Do(func() { s.batcher = s.startBatcher() })
		return s.batcher.submit(ctx, n)
	}
	return s.createPostgresTx(ctx, n)
}

// createPostgresTx stores n in a transaction of its own, or for an item
// without photos in a statement of its own.
func (s *Store) createPostgresTx(ctx context.Context, n *NewItem) (Created, error) {
	if len(n.Photos) == 0 && !s.opts.RelaxedDurability {
		return s.createStatement(ctx, s.db, n)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Created{}, fmt.Errorf("feedback: store item: %w", err)
	}
	defer tx.Rollback()
	if s.opts.RelaxedDurability {
		if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			return Created{}, err
		}
		if len(n.Photos) == 0 {
			c, err := s.createStatement(ctx, tx, n)
			if err != nil || c.Replayed {
				return c, err
			}
			return c, tx.Commit()
		}
	}
	c, err := s.create(ctx, tx, n)
	if errors.Is(err, errKeyTaken) {
		// ON CONFLICT waited for the other transaction, which committed:
		// its answer is there to read once this one is undone.
		tx.Rollback()
		return s.replay(ctx, s.db, n.IdempotencyKey, n.RequestHash)
	}
	if err != nil {
		return Created{}, err
	}
	if err := tx.Commit(); err != nil {
		return Created{}, fmt.Errorf("feedback: commit item: %w", err)
	}
	return c, nil
}

// createSQL stores an item without photos in one statement — the item,
// its contact, its first history event and its idempotency record — and
// returns its id, or NULL when the idempotency key was recorded already
// (then nothing is written). The item's id is taken first so that the
// idempotency record can be written before the item: when the key is
// taken, ON CONFLICT waits for the transaction that took it, and then
// nothing of this one is written. The foreign key is checked at the
// statement's end, when both rows are there.
const createSQL = `WITH
	nid AS (SELECT nextval(pg_get_serial_sequence('feedback_items', 'id')) AS id),
	k AS (INSERT INTO feedback_idempotency (key, request_hash, item_id, response, created_at)
		SELECT $20, $21, nid.id, $22, $17 FROM nid WHERE $20 <> ''
		ON CONFLICT (key) DO NOTHING RETURNING item_id),
	i AS (INSERT INTO feedback_items (id, code, content, public_text, province, commune, village, address,
			lat, lon, level, unit, unit_path, topic, topic_confidence, topic_flagged, topic_source, state,
			created_at, updated_at, due_at)
		SELECT nid.id, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $18, $17, $17, $19
		FROM nid WHERE $20 = '' OR EXISTS (SELECT 1 FROM k)
		RETURNING id),
	c AS (INSERT INTO feedback_contacts (item_id, name, phone, email)
		SELECT id, $23, $24, $25 FROM i WHERE $23 <> '' OR $24 <> '' OR $25 <> ''),
	e AS (INSERT INTO feedback_events (item_id, at, actor, action, from_state, to_state, detail, ip)
		SELECT id, $17, 'citizen', 'submit', '', $18, '', $26 FROM i)
	SELECT (SELECT id FROM i)`

// statement gives n a new tracking code and returns createSQL's arguments
// for it, with the answer it will get once stored.
func statement(n *NewItem) (Created, []any, error) {
	it := n.Item
	it.CreatedAt = it.CreatedAt.UTC().Truncate(time.Second)
	if it.State == "" {
		it.State = Received
	}
	code, err := newCode()
	if err != nil {
		return Created{}, nil, err
	}
	c := Created{Receipt: Receipt{TrackingCode: FormatCode(code), Status: it.State, Topic: it.Topic, Unit: it.Unit,
		ExpectedAt: it.DueAt.In(Vietnam)}}
	if c.Body, err = json.Marshal(c.Receipt); err != nil {
		return Created{}, nil, err
	}
	return c, []any{code, it.Content, nullString(it.PublicText), it.Province, it.Commune, it.Village, it.Address,
		nullFloat(it.Lat), nullFloat(it.Lon), string(it.Level), it.Unit, it.UnitPath, it.Topic, it.TopicConfidence,
		it.TopicFlagged, it.TopicSource, it.CreatedAt.Unix(), string(it.State), it.DueAt.Unix(),
		n.IdempotencyKey, n.RequestHash, string(c.Body), n.Contact.Name, n.Contact.Phone, n.Contact.Email, n.IP}, nil
}

// createStatement stores an item without photos with createSQL, which
// PostgreSQL runs as one transaction in one round trip (q is the pool), or
// within q's transaction.
func (s *Store) createStatement(ctx context.Context, q Querier, n *NewItem) (Created, error) {
	for try := 0; ; try++ {
		c, args, err := statement(n)
		if err != nil {
			return Created{}, err
		}
		var id sql.NullInt64
		err = q.QueryRowContext(ctx, createSQL, args...).Scan(&id)
		// The code was taken: nothing was written, and the statement can be
		// tried again unless it was in a transaction, which it ended.
		if err != nil && strings.Contains(err.Error(), "feedback_items_code_key") && try < maxCodeTries && q == Querier(s.db) {
			continue
		}
		if err != nil {
			return Created{}, fmt.Errorf("feedback: store item: %w", err)
		}
		if !id.Valid {
			return s.replay(ctx, s.db, n.IdempotencyKey, n.RequestHash)
		}
		c.ItemID = id.Int64
		return c, nil
	}
}

// committer gathers the submissions waiting and commits them in one
// transaction on a connection of its own with synchronous=FULL (SQLite's
// group commit): each is in a savepoint, so that one that fails is undone
// alone, and all are answered once the commit is on disk. A commit costs a
// flush of the disk whatever it holds, so a batch of a hundred costs about
// what one item alone would.
type committer struct {
	s    *Store
	conn *sql.Conn
	q    *preparedConn // conn, for the statements run for each submission
	jobs chan *job
	quit chan struct{}
	done chan struct{}
	last int // the size of the previous batch
}

type job struct {
	ctx context.Context
	n   *NewItem
	res chan result
}

type result struct {
	c   Created
	err error
}

func (s *Store) startCommitter() (*committer, error) {
	ctx := context.Background()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("feedback: committer connection: %w", err)
	}
	mode := "FULL"
	if s.opts.RelaxedDurability {
		mode = "NORMAL"
	}
	// Each submission's savepoint keeps the pages it changes in a
	// sub-journal, which SQLite writes to a file, one write a page, once
	// it passes 64 KiB: in memory, a batch's is a few megabytes at most.
	for _, pragma := range []string{`PRAGMA synchronous = ` + mode, `PRAGMA temp_store = MEMORY`} {
		if _, err := conn.ExecContext(ctx, pragma); err != nil {
			conn.Close()
			return nil, fmt.Errorf("feedback: committer connection: %w", err)
		}
	}
	c := &committer{s: s, conn: conn, q: &preparedConn{conn: conn, stmts: map[string]*sql.Stmt{}},
		jobs: make(chan *job), quit: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c, nil
}

func (c *committer) submit(ctx context.Context, n *NewItem) (Created, error) {
	j := &job{ctx: ctx, n: n, res: make(chan result, 1)}
	select {
	case c.jobs <- j:
	case <-c.done:
		return Created{}, errClosed
	case <-ctx.Done():
		return Created{}, ctx.Err()
	}
	// Once handed over the job is committed or not whatever happens to
	// ctx: its answer is awaited so that a client that gave up meanwhile
	// finds its item with a retry rather than a second item.
	r := <-j.res
	return r.c, r.err
}

// stop ends the committer once what it holds is committed.
func (c *committer) stop() {
	select {
	case <-c.quit:
	default:
		close(c.quit)
	}
	<-c.done
}

func (c *committer) run() {
	defer close(c.done)
	defer c.conn.Close()
	defer c.q.close()
	max, wait := c.s.opts.MaxBatch, c.s.opts.BatchWait
	var timer *time.Timer
	for {
		var batch []*job
		select {
		case j := <-c.jobs:
			batch = append(batch, j)
		case <-c.quit:
			return
		}
	gather:
		for len(batch) < max {
			select {
			case j := <-c.jobs:
				batch = append(batch, j)
			default:
				break gather
			}
		}
		// Under load more are on their way: a short wait fills the batch.
		// Alone, a submission does not wait.
		if len(batch) < max && wait > 0 && c.last > 1 {
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
		fill:
			for len(batch) < max {
				select {
				case j := <-c.jobs:
					batch = append(batch, j)
				case <-timer.C:
					break fill
				}
			}
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
		}
		c.last = len(batch)
		c.commit(batch)
	}
}

// commit stores a batch in one transaction and answers each job.
func (c *committer) commit(batch []*job) {
	ctx := context.Background()
	results := make([]result, len(batch))
	fail := func(err error) {
		for _, j := range batch {
			j.res <- result{err: err}
		}
	}
	if _, err := c.conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		fail(fmt.Errorf("feedback: begin batch: %w", err))
		return
	}
	for i, j := range batch {
		if err := j.ctx.Err(); err != nil {
			results[i].err = err
			continue
		}
		results[i] = c.one(ctx, j.n)
	}
	if _, err := c.conn.ExecContext(ctx, `COMMIT`); err != nil {
		c.conn.ExecContext(ctx, `ROLLBACK`)
		fail(fmt.Errorf("feedback: commit batch: %w", err))
		return
	}
	for i, j := range batch {
		j.res <- results[i]
	}
}

// one stores a submission in a savepoint of the batch.
func (c *committer) one(ctx context.Context, n *NewItem) result {
	if _, err := c.q.ExecContext(ctx, `SAVEPOINT item`); err != nil {
		return result{err: err}
	}
	cr, err := c.s.create(ctx, c.q, n)
	if err != nil {
		if _, rerr := c.q.ExecContext(ctx, `ROLLBACK TO item`); rerr != nil {
			return result{err: errors.Join(err, rerr)}
		}
		if _, rerr := c.q.ExecContext(ctx, `RELEASE item`); rerr != nil {
			return result{err: errors.Join(err, rerr)}
		}
		if errors.Is(err, errKeyTaken) {
			// Recorded earlier or earlier in this batch: either way it is
			// visible here, and committed before anyone is answered.
			cr, err = c.s.replay(ctx, c.q, n.IdempotencyKey, n.RequestHash)
		}
		return result{c: cr, err: err}
	}
	if _, err := c.q.ExecContext(ctx, `RELEASE item`); err != nil {
		return result{err: err}
	}
	return result{c: cr}
}

// preparedConn runs statements on a connection, each prepared the first
// time and kept: SQLite parses a statement every time it is run
// otherwise, which was half of the committer's time. Only the committer's
// goroutine uses it.
type preparedConn struct {
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
}

func (p *preparedConn) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := p.stmts[query]; ok {
		return st, nil
	}
	st, err := p.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	p.stmts[query] = st
	return st, nil
}

func (p *preparedConn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (p *preparedConn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (p *preparedConn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := p.stmt(ctx, query)
	if err != nil {
		// A Row carries its error only from a query: this one fails the
		// same way unprepared.
		return p.conn.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (p *preparedConn) close() {
	for _, st := range p.stmts {
		st.Close()
	}
}
