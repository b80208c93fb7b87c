package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/mattranso/mattranso/cmd/mattranso/internal/config"
	"github.com/mattranso/mattranso/store"
)

// backupModels are the files of a data directory that a backup copies
// beside the database: what was trained and would be trained again
// differently (the local embedder; the topic classifier, at
// server.ClassifierFile). The indexes are
// not copied: a data directory without them rebuilds them from the
// database at start, which makes them agree with the database copied.
var backupModels = []string{
	filepath.Join("index", "local", "embedder.bin"),
	filepath.Join("index", "local", "embedder.json"),
	filepath.Join("topic", "classifier.model"),
}

// adminBackup runs "admin backup [--data DIR] OUT": an online copy of the
// SQLite database of DIR — a server may be running on it — into OUT, a new
// data directory, with the trained models. Serving OUT (or a copy of it)
// rebuilds the keyword index and the vectors from the database. On
// PostgreSQL the database is backed up with pg_dump (README).
func adminBackup(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("admin backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "the data directory to back up (a server may be running on it)")
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return exitError{2, errors.New("admin backup: hãy nêu thư mục ghi bản sao lưu (name the directory to write the backup to): admin backup [--data DIR] OUT")}
	}
	out := rest[0]
	if cfg.DatabaseURL != "" && !strings.HasPrefix(cfg.DatabaseURL, "sqlite://") {
		return exitError{2, errors.New("admin backup: DATABASE_URL là PostgreSQL: sao lưu bằng pg_dump (README, \"Sao lưu và khôi phục\") " +
			"(the database is PostgreSQL: back it up with pg_dump, see README)")}
	}
	src := strings.TrimPrefix(cfg.Database(), "sqlite://")
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("admin backup: không có cơ sở dữ liệu %s (no database there): %w", src, err)
	}
	if entries, err := os.ReadDir(out); err == nil && len(entries) > 0 {
		return exitError{2, fmt.Errorf("admin backup: thư mục %s không trống, bản sao lưu cần một thư mục mới (%s is not empty: a backup goes to a new directory)", out, out)}
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("admin backup: %w", err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("admin backup: %w", err)
	}
	dst := filepath.Join(out, filepath.Base(config.Config{DataDir: out}.Database()))

	db, err := store.Open(ctx, src)
	if err != nil {
		return err
	}
	defer db.Close()
	// VACUUM INTO reads one snapshot of the database inside a read
	// transaction: a WAL database keeps taking writes meanwhile, and the
	// copy holds every transaction committed before it began, none after.
	if _, err := db.ExecContext(ctx, `VACUUM INTO $1`, dst); err != nil {
		os.Remove(dst)
		return fmt.Errorf("admin backup: copy %s: %w", src, err)
	}
	copied := []string{dst}
	for _, rel := range backupModels {
		ok, err := copyFile(filepath.Join(cfg.DataDir, rel), filepath.Join(out, rel))
		if err != nil {
			return fmt.Errorf("admin backup: %w", err)
		}
		if ok {
			copied = append(copied, filepath.Join(out, rel))
		}
	}
	st, err := os.Stat(dst)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup: %s (%d bytes) and %d model files in %s; serve --data %s (or a copy of it) rebuilds the indexes from the database\n",
		dst, st.Size(), len(copied)-1, out, out)
	return nil
}

// copyFile copies src to dst when src exists, through a temporary file
// renamed at the end; ok is false when there is no src. The server writes
// its models the same way, so a copy never sees half of one.
func copyFile(src, dst string) (ok bool, err error) {
	in, err := os.Open(src)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return false, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".backup-*")
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		return false, fmt.Errorf("copy %s: %w", src, err)
	}
	if err := tmp.Close(); err != nil {
		return false, err
	}
	return true, os.Rename(tmp.Name(), dst)
}
