package ingest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate creates the ingest's own table.
func Migrate(ctx context.Context, db *store.DB) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	return db.Migrate(ctx, "ingest", sub)
}

// sourceDigest hashes the content of every file under the sources, or
// returns "" when a source is a URL (a crawl is never skipped).
func sourceDigest(sources []string) (key, digest string, err error) {
	var abs []string
	for _, s := range sources {
		if strings.Contains(s, "://") {
			return "", "", nil
		}
		a, err := filepath.Abs(s)
		if err != nil {
			return "", "", err
		}
		abs = append(abs, a)
	}
	sort.Strings(abs)
	h := sha256.New()
	for _, root := range abs {
		// A source may be a symbolic link to a folder: walked, it would be
		// one file.
		real, err := filepath.EvalSymlinks(root)
		if err != nil {
			return "", "", fmt.Errorf("ingest: read %s: %w", root, err)
		}
		err = filepath.WalkDir(real, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			fmt.Fprintf(h, "%s\x00", path)
			_, err = io.Copy(h, f)
			return err
		})
		if err != nil {
			return "", "", fmt.Errorf("ingest: read %s: %w", root, err)
		}
	}
	// A new way of reading procedures changes what is stored from the same
	// files, so it must not be skipped as unchanged.
	fmt.Fprintf(h, "procedure-parse:%d\x00", corpus.ProcedureParseVersion)
	return strings.Join(abs, "\n"), hex.EncodeToString(h.Sum(nil)), nil
}

type lastRun struct {
	digest                      string
	laws, procedures, documents int
}

func readLastRun(ctx context.Context, db *store.DB, key string) (lastRun, error) {
	var r lastRun
	err := db.QueryRowContext(ctx, `SELECT digest, laws, procedures, documents FROM ingest_sources WHERE sources = $1`, key).
		Scan(&r.digest, &r.laws, &r.procedures, &r.documents)
	if errors.Is(err, sql.ErrNoRows) {
		return lastRun{}, nil
	}
	return r, err
}

func saveRun(ctx context.Context, db *store.DB, key string, r lastRun) error {
	_, err := db.ExecContext(ctx, `INSERT INTO ingest_sources (sources, digest, laws, procedures, documents, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (sources) DO UPDATE SET digest = excluded.digest, laws = excluded.laws,
			procedures = excluded.procedures, documents = excluded.documents, updated_at = excluded.updated_at`,
		key, r.digest, r.laws, r.procedures, r.documents, time.Now().UTC().Format(time.RFC3339))
	return err
}
