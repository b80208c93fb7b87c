package retrieval

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/mattranso/mattranso/store"
)

// The kinds of model the library teaches and Models keeps.
const (
	ModelEmbedder = "embedder" // the local embedder (LocalEmbedder.MarshalBinary)
	ModelReranker = "reranker" // the library's re-ranker (Reranker.Marshal)
)

// ErrModelChecksum is returned (wrapped, naming the model and its
// version) when a model read from the database does not match the
// checksum written with it: it is never used.
var ErrModelChecksum = errors.New("retrieval: model fails its checksum")

// modelsKept is how many versions of each kind stay in the database: the
// newest, which instances load, and the ones before, which an instance
// still on them may read while it moves on.
const modelsKept = 3

//go:embed migrations/*.sql
var modelMigrations embed.FS

// MigrateModels creates the table of the library's models.
func MigrateModels(ctx context.Context, db *store.DB) error {
	sub, err := fs.Sub(modelMigrations, "migrations")
	if err != nil {
		return err
	}
	return db.Migrate(ctx, "retrieval", sub)
}

// ModelInfo describes a stored model: what it is and what it learned
// from, without its bytes.
type ModelInfo struct {
	Kind    string
	Version int64 // per kind, only grows
	Name    string
	// Recipe names how it was taught (the training pairs' digest and the
	// teaching version): a model of another recipe is not reused.
	Recipe string
	// CorpusSeq and Passages are the library it learned from: the last
	// change of the change log and the number of passages.
	CorpusSeq int64
	Passages  int
	// Embedder is, for a re-ranker, the embedder version whose vectors it
	// was taught over; 0 for an embedder.
	Embedder int64
	SHA256   string // of the body, hex
	Size     int64
	Created  time.Time
}

func (m ModelInfo) String() string { return fmt.Sprintf("%s v%d (%s)", m.Kind, m.Version, m.Name) }

// Models is the database's store of the models the library teaches, the
// shared state of every instance on it: the instance that trains writes
// a new version (Put), every instance loads the newest (Latest, Load).
type Models struct {
	db *store.DB
}

// NewModels returns the models of db; MigrateModels creates its table.
func NewModels(db *store.DB) *Models { return &Models{db: db} }

// Put stores a new version of a model of info's kind, with the next
// version number and body's checksum and size, and drops the versions
// older than the few kept. It returns the info as stored.
func (m *Models) Put(ctx context.Context, info ModelInfo, body []byte) (ModelInfo, error) {
	if info.Kind != ModelEmbedder && info.Kind != ModelReranker {
		return ModelInfo{}, fmt.Errorf("retrieval: store a model of kind %q: want %s or %s", info.Kind, ModelEmbedder, ModelReranker)
	}
	if len(body) == 0 {
		return ModelInfo{}, fmt.Errorf("retrieval: store %s %s: an empty model", info.Kind, info.Name)
	}
	sum := sha256.Sum256(body)
	info.SHA256 = hex.EncodeToString(sum[:])
	info.Size = int64(len(body))
	info.Created = time.Now().UTC()
	tx, err := m.db.BeginTx(ctx, nil)
	if err != nil {
		return ModelInfo{}, fmt.Errorf("retrieval: store %s: %w", info.Kind, err)
	}
	defer tx.Rollback()
	// One trainer at a time (a lease) writes; the primary key still
	// refuses a second version of the same number should two ever race.
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM library_models WHERE kind = $1`, info.Kind).Scan(&info.Version); err != nil {
		return ModelInfo{}, fmt.Errorf("retrieval: store %s: %w", info.Kind, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO library_models
		(kind, version, name, recipe, corpus_seq, passages, embedder, sha256, size, body, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		info.Kind, info.Version, info.Name, info.Recipe, info.CorpusSeq, info.Passages, info.Embedder,
		info.SHA256, info.Size, body, info.Created.Format(time.RFC3339Nano)); err != nil {
		return ModelInfo{}, fmt.Errorf("retrieval: store %s v%d: %w", info.Kind, info.Version, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM library_models WHERE kind = $1 AND version <= $2`, info.Kind, info.Version-modelsKept); err != nil {
		return ModelInfo{}, fmt.Errorf("retrieval: store %s: %w", info.Kind, err)
	}
	if err := tx.Commit(); err != nil {
		return ModelInfo{}, fmt.Errorf("retrieval: store %s v%d: %w", info.Kind, info.Version, err)
	}
	return info, nil
}

const modelColumns = `kind, version, name, recipe, corpus_seq, passages, embedder, sha256, size, created_at`

func scanModel(row interface{ Scan(...any) error }, extra ...any) (ModelInfo, error) {
	var m ModelInfo
	var created string
	if err := row.Scan(append([]any{&m.Kind, &m.Version, &m.Name, &m.Recipe, &m.CorpusSeq, &m.Passages, &m.Embedder,
		&m.SHA256, &m.Size, &created}, extra...)...); err != nil {
		return ModelInfo{}, err
	}
	m.Created, _ = time.Parse(time.RFC3339Nano, created)
	return m, nil
}

// Latest is the newest model of a kind; ok is false when there is none.
// For the re-ranker, embedder > 0 asks for the newest taught over that
// embedder version.
func (m *Models) Latest(ctx context.Context, kind string, embedder int64) (info ModelInfo, ok bool, err error) {
	q := `SELECT ` + modelColumns + ` FROM library_models WHERE kind = $1 ORDER BY version DESC LIMIT 1`
	args := []any{kind}
	if embedder > 0 {
		q = `SELECT ` + modelColumns + ` FROM library_models WHERE kind = $1 AND embedder = $2 ORDER BY version DESC LIMIT 1`
		args = append(args, embedder)
	}
	info, err = scanModel(m.db.QueryRowContext(ctx, q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return ModelInfo{}, false, nil
	}
	if err != nil {
		return ModelInfo{}, false, fmt.Errorf("retrieval: newest %s: %w", kind, err)
	}
	return info, true, nil
}

// LatestRecipe is the newest model of a kind taught by recipe; ok is
// false when there is none.
func (m *Models) LatestRecipe(ctx context.Context, kind, recipe string) (info ModelInfo, ok bool, err error) {
	info, err = scanModel(m.db.QueryRowContext(ctx, `SELECT `+modelColumns+` FROM library_models
		WHERE kind = $1 AND recipe = $2 ORDER BY version DESC LIMIT 1`, kind, recipe))
	if errors.Is(err, sql.ErrNoRows) {
		return ModelInfo{}, false, nil
	}
	if err != nil {
		return ModelInfo{}, false, fmt.Errorf("retrieval: newest %s of %s: %w", kind, recipe, err)
	}
	return info, true, nil
}

// Load reads a version of a model with its bytes, checked against the
// checksum stored with it: a mismatch is an error wrapping
// ErrModelChecksum that names the model and version.
func (m *Models) Load(ctx context.Context, kind string, version int64) (ModelInfo, []byte, error) {
	var body []byte
	info, err := scanModel(m.db.QueryRowContext(ctx, `SELECT `+modelColumns+`, body FROM library_models WHERE kind = $1 AND version = $2`,
		kind, version), &body)
	if errors.Is(err, sql.ErrNoRows) {
		return ModelInfo{}, nil, fmt.Errorf("retrieval: %s v%d is not in the database (a newer one replaced it)", kind, version)
	}
	if err != nil {
		return ModelInfo{}, nil, fmt.Errorf("retrieval: load %s v%d: %w", kind, version, err)
	}
	if err := info.Check(body); err != nil {
		return ModelInfo{}, nil, err
	}
	return info, body, nil
}

// Check tells whether body is the model info describes: its size and
// SHA-256.
func (m ModelInfo) Check(body []byte) error {
	sum := sha256.Sum256(body)
	if got := hex.EncodeToString(sum[:]); int64(len(body)) != m.Size || got != m.SHA256 {
		return fmt.Errorf("%w: %s: %d bytes of sha256 %s, stored as %d bytes of %s", ErrModelChecksum, m, len(body), got, m.Size, m.SHA256)
	}
	return nil
}

// EmbedderFits tells whether a stored embedder may serve a library of
// count passages taught by recipe: the same recipe, and a library that
// has not changed by more than Retrain since.
func EmbedderFits(m ModelInfo, recipe string, count int) bool {
	return ModelFits(m, ModelEmbedder, recipe, count)
}

// ModelFits tells whether a stored model of a kind may serve a library of
// count passages taught by recipe: the same kind and recipe, and a
// library that has not grown or shrunk by more than Retrain since.
func ModelFits(m ModelInfo, kind, recipe string, count int) bool {
	return m.Kind == kind && m.Recipe == recipe &&
		math.Abs(float64(count-m.Passages)) <= Retrain*float64(max(m.Passages, 1))
}

// VectorModel is the model name a vector store of an embedder version
// carries: two versions never share vectors, even when their vocabulary
// (and so their Name) is the same.
func VectorModel(emb Embedder, version int64) string {
	return fmt.Sprintf("%s v%d", emb.Name(), version)
}

// The local copy of the embedder in an instance's data directory is a
// cache of a version in the database, kept so that a restart does not
// read tens of megabytes again: embedder.bin with embedder.json saying
// which version it is.
const (
	embedderFile     = "embedder.bin"
	embedderMetaFile = "embedder.json"
)

// LoadEmbedder returns the embedder of info: from the copy in dir when
// it is that version and its bytes match the checksum, else from the
// database, checked (ErrModelChecksum), and copied into dir.
func (m *Models) LoadEmbedder(ctx context.Context, info ModelInfo, dir string) (*LocalEmbedder, error) {
	var meta localMeta
	if b, err := os.ReadFile(filepath.Join(dir, embedderMetaFile)); err == nil {
		json.Unmarshal(b, &meta)
	}
	if meta.Version == info.Version && meta.SHA256 == info.SHA256 {
		if b, err := os.ReadFile(filepath.Join(dir, embedderFile)); err == nil && info.Check(b) == nil {
			if e, err := UnmarshalLocalEmbedder(b); err == nil {
				return e, nil
			}
		}
		// A damaged copy is only a cache: the database's is read.
	}
	info, body, err := m.Load(ctx, ModelEmbedder, info.Version)
	if err != nil {
		return nil, err
	}
	e, err := UnmarshalLocalEmbedder(body)
	if err != nil {
		return nil, fmt.Errorf("retrieval: %s: %w", info, err)
	}
	if err := cacheEmbedder(dir, e, info); err != nil {
		return nil, err
	}
	return e, nil
}

// PutEmbedder stores emb as the next version of the embedder, learned
// by recipe from a library at change seq of count passages, and keeps it
// in dir.
func (m *Models) PutEmbedder(ctx context.Context, emb *LocalEmbedder, recipe string, seq int64, count int, dir string) (ModelInfo, error) {
	body, err := emb.MarshalBinary()
	if err != nil {
		return ModelInfo{}, err
	}
	info, err := m.Put(ctx, ModelInfo{Kind: ModelEmbedder, Name: emb.Name(), Recipe: recipe, CorpusSeq: seq, Passages: count}, body)
	if err != nil {
		return ModelInfo{}, err
	}
	return info, cacheEmbedder(dir, emb, info)
}

func cacheEmbedder(dir string, e *LocalEmbedder, info ModelInfo) error {
	if err := e.Save(filepath.Join(dir, embedderFile)); err != nil {
		return fmt.Errorf("retrieval: keep %s in %s: %w", info, dir, err)
	}
	b, _ := json.Marshal(localMeta{Passages: info.Passages, Model: info.Name, Pairs: info.Recipe, Version: info.Version, SHA256: info.SHA256})
	if err := os.WriteFile(filepath.Join(dir, embedderMetaFile), b, 0o644); err != nil {
		return fmt.Errorf("retrieval: keep %s in %s: %w", info, dir, err)
	}
	return nil
}
