package feedback

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"
	"time"

	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Querier is a database, a connection or a transaction: what the Store's
// writes and Blobs.Put run on.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Blobs keeps bytes (photos and thumbnails) by key. Put writes within the
// caller's transaction, so that an item and its photos are stored
// together or not at all.
type Blobs interface {
	Put(ctx context.Context, tx Querier, data []byte) (key string, err error)
	Get(ctx context.Context, key string) ([]byte, error)
}

// Territories is the unit tree as feedback reads it; *org.Store satisfies
// it.
type Territories interface {
	Territory(ctx context.Context, code string) (org.Territory, error)
}

// StoreOptions tune a Store; the zero value is the durable default.
type StoreOptions struct {
	// RelaxedDurability commits submissions without waiting for the disk
	// (SQLite synchronous=NORMAL, PostgreSQL synchronous_commit=off): a
	// power cut may lose the last acknowledged items. It exists to measure
	// what durability costs, not for production.
	RelaxedDurability bool
	// MaxBatch bounds the submissions one group commit holds (SQLite's
	// committer, PostgreSQL's batcher); 0 means DefaultMaxBatch.
	MaxBatch int
	// BatchWait is how long the SQLite committer waits for more
	// submissions once one is there, when fewer than MaxBatch wait; 0
	// means DefaultBatchWait, a negative value not at all.
	BatchWait time.Duration
	// Blobs keeps the photos; nil means the feedback_blobs table.
	Blobs Blobs
	// Territories is the unit tree; nil means org's tables in the same
	// database.
	Territories Territories
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock of updates and history events; nil means time.Now.
	Now func() time.Time
}

// The group commit's defaults: a commit with synchronous=FULL costs one or
// two flushes of the disk whatever it holds, so it should hold as many
// submissions as are waiting, without making the first wait long.
const (
	DefaultMaxBatch  = 256
	DefaultBatchWait = 2 * time.Millisecond
)

// Store keeps the items and everything that belongs to them. Reads and
// officers' updates use the database's pool; submissions go through
// Create, which hands them to a group commit: SQLite's committer, or on
// PostgreSQL the batcher (for those without photos).
type Store struct {
	db          *store.DB
	blobs       Blobs
	territories Territories
	opts        StoreOptions
	log         *slog.Logger
	now         func() time.Time

	startOnce sync.Once
	startErr  error
	committer *committer
	batcher   *batcher
}

// NewStore returns a Store on db. Call Migrate before using it, and Close
// when done (it stops the group commit).
func NewStore(db *store.DB, o StoreOptions) *Store {
	if o.MaxBatch <= 0 {
		o.MaxBatch = DefaultMaxBatch
	}
	if o.BatchWait == 0 {
		o.BatchWait = DefaultBatchWait
	}
	s := &Store{db: db, blobs: o.Blobs, territories: o.Territories, opts: o, log: o.Logger, now: o.Now}
	if s.now == nil {
		s.now = time.Now
	}
	if s.blobs == nil {
		s.blobs = DBBlobs{DB: db}
	}
	if s.territories == nil {
		s.territories = org.NewStore(db)
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

// DB is the database the Store is on.
func (s *Store) DB() *store.DB { return s.db }

// Blobs is where the Store keeps photos.
func (s *Store) Blobs() Blobs { return s.blobs }

// Migrate creates or updates feedback's tables.
func (s *Store) Migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	return s.db.Migrate(ctx, "feedback", sub)
}

// Close stops the group commit, after it committed and acknowledged what it
// holds. It does not close the database.
func (s *Store) Close() error {
	if s.committer != nil {
		s.committer.stop()
	}
	if s.batcher != nil {
		s.batcher.stop()
	}
	return nil
}

// DBBlobs keeps blobs in the feedback_blobs table of DB.
type DBBlobs struct{ DB *store.DB }

// Put stores data under a new random key within tx.
func (b DBBlobs) Put(ctx context.Context, tx Querier, data []byte) (string, error) {
	var k [16]byte
	if _, err := rand.Read(k[:]); err != nil {
		return "", err
	}
	key := hex.EncodeToString(k[:])
	if data == nil {
		data = []byte{}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO feedback_blobs (key, data, created_at) VALUES ($1, $2, $3)`,
		key, data, time.Now().Unix()); err != nil {
		return "", fmt.Errorf("feedback: store blob: %w", err)
	}
	return key, nil
}

// Get reads the blob with key; ErrNotFound when there is none.
func (b DBBlobs) Get(ctx context.Context, key string) ([]byte, error) {
	var data []byte
	err := b.DB.QueryRowContext(ctx, `SELECT data FROM feedback_blobs WHERE key = $1`, key).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("feedback: blob %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("feedback: blob %s: %w", key, err)
	}
	return data, nil
}
