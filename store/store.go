// Package store opens the database — an SQLite file by default, PostgreSQL
// when given a postgres:// URL — and applies each domain's numbered,
// embedded migrations. Domains own their tables and SQL; store owns only
// the connection, the migration ledger, and the lock that gives a data
// directory (database file and indexes) to one process at a time.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"
)

// Dialect names the SQL flavour of an open database.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open database. Queries use $1, $2… placeholders, which both
// drivers accept.
type DB struct {
	*sql.DB
	Dialect Dialect
	ckpt    *checkpointer // SQLite's background checkpoint (checkpoint.go)
}

// Open opens dsn: a postgres:// or postgresql:// URL opens PostgreSQL;
// anything else is an SQLite file path (created, with its directory, if
// missing).
func Open(ctx context.Context, dsn string) (*DB, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("store: open postgres: %w", err)
		}
		db.SetMaxOpenConns(16)
		// Idle connections are kept, up to all of them: database/sql keeps
		// two by default and closes the others as they come back, so that
		// under concurrent requests most got a new server process.
		db.SetMaxIdleConns(16)
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("store: connect to postgres: %w", err)
		}
		return &DB{DB: db, Dialect: Postgres}, nil
	}
	path := strings.TrimPrefix(dsn, "sqlite://")
	if path == "" {
		return nil, fmt.Errorf("store: empty database path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("store: create directory for %s: %w", path, err)
		}
	}
	// WAL lets readers run while the ingest writes; busy_timeout makes
	// concurrent writers wait instead of failing; the log is checkpointed
	// in the background (checkpoint.go).
	q := "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)" +
		"&_pragma=wal_autocheckpoint(" + strconv.Itoa(walAutoFrames) + ")"
	db, err := sql.Open("sqlite", "file:"+path+q)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	// Idle connections are kept: database/sql keeps two by default and
	// closes the others as they come back, so that concurrent readers
	// each opened a new connection, which reads the schema and the
	// planner's statistics anew (a fifth of the CPU under 50 writers).
	db.SetMaxIdleConns(sqliteIdleConns)
	return &DB{DB: db, Dialect: SQLite, ckpt: startCheckpointer(db)}, nil
}

// sqliteIdleConns is how many idle SQLite connections are kept open.
const sqliteIdleConns = 32

var migrationName = regexp.MustCompile(`^(\d+)_[a-z0-9_]+(\.(sqlite|postgres))?\.sql$`)

// Migrate applies the migrations of one domain that have not run yet. fsys
// holds files named NNN_description.sql, run in number order, each in its
// own transaction; a file NNN_description.postgres.sql or .sqlite.sql
// replaces the plain one for that dialect.
func (db *DB) Migrate(ctx context.Context, domain string, fsys fs.FS) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		domain TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (domain, version))`); err != nil {
		return fmt.Errorf("store: create migration ledger: %w", err)
	}
	files, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return err
	}
	chosen := map[int]string{}
	// Two files of one version for the same dialect would make the
	// schema depend on directory order: refuse them.
	seen := map[string]string{}
	for _, f := range files {
		m := migrationName.FindStringSubmatch(filepath.Base(f))
		if m == nil {
			return fmt.Errorf("store: migration %s of %s: name must be NNN_description[.sqlite|.postgres].sql", f, domain)
		}
		v, err := strconv.Atoi(m[1])
		if err != nil {
			return fmt.Errorf("store: migration %s of %s: version %s: %w", f, domain, m[1], err)
		}
		slot := strconv.Itoa(v) + m[2]
		if other, ok := seen[slot]; ok {
			return fmt.Errorf("store: migrations %s and %s of %s have the same version %d", other, f, domain, v)
		}
		seen[slot] = f
		switch m[3] {
		case "":
			if _, ok := chosen[v]; !ok {
				chosen[v] = f
			}
		case string(db.Dialect):
			chosen[v] = f
		}
	}
	versions := make([]int, 0, len(chosen))
	for v := range chosen {
		versions = append(versions, v)
	}
	sort.Ints(versions)
	for _, v := range versions {
		if err := db.apply(ctx, domain, v, fsys, chosen[v]); err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) apply(ctx context.Context, domain string, version int, fsys fs.FS, name string) error {
	body, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var done int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE domain = $1 AND version = $2`, domain, version).Scan(&done); err != nil {
		return fmt.Errorf("store: read migration ledger: %w", err)
	}
	if done > 0 {
		return nil
	}
	for _, stmt := range splitStatements(string(body)) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("store: migration %s/%s: %w", domain, name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (domain, version) VALUES ($1, $2)`, domain, version); err != nil {
		return fmt.Errorf("store: record migration %s/%s: %w", domain, name, err)
	}
	return tx.Commit()
}

var statementEnd = regexp.MustCompile(`;\s*\n`)

// splitStatements splits a migration on semicolons that end a line; the
// migrations hold no procedural code, so this is enough.
func splitStatements(s string) []string {
	var out []string
	for _, part := range statementEnd.Split(s+"\n", -1) {
		if p := strings.TrimSpace(part); p != "" && !isComment(p) {
			out = append(out, p)
		}
	}
	return out
}

func isComment(p string) bool {
	for _, ln := range strings.Split(p, "\n") {
		if ln = strings.TrimSpace(ln); ln != "" && !strings.HasPrefix(ln, "--") {
			return false
		}
	}
	return true
}
