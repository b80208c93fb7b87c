package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// walFrames reads the log's length and how much of it is in the
// database, through a passive checkpoint.
func walFrames(t *testing.T, db *DB) (frames, copied int) {
	t.Helper()
	var busy int
	if err := db.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied); err != nil {
		t.Fatal(err)
	}
	return frames, copied
}

func TestCheckpointInBackground(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ckpt.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.ckpt == nil {
		t.Fatal("no background checkpoint on SQLite")
	}
	// The background loop is stopped so that what follows depends on no
	// timing; its step, checkpoint, is driven by hand.
	db.ckpt.close()
	// Commits checkpoint by themselves only past walAutoFrames.
	for i := 0; i < 3; i++ {
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var n int
		if err := conn.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != walAutoFrames {
			t.Fatalf("connection %d: wal_autocheckpoint = %d, want %d", i, n, walAutoFrames)
		}
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)`); err != nil {
		t.Fatal(err)
	}
	write := func(n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			if _, err := db.ExecContext(ctx, `INSERT INTO t (v) VALUES ($1)`, string(make([]byte, 2000))); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(200)
	// Until a checkpoint the database file holds only what the first
	// checkpoint-free commits left there: the rows are in the log.
	size := func() int64 {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	if n := size(); n > 100_000 {
		t.Fatalf("database file of %d bytes before any checkpoint: something checkpointed", n)
	}
	if err := checkpoint(ctx, db.DB); err != nil {
		t.Fatal(err)
	}
	if n := size(); n < 400_000 {
		t.Fatalf("database file of %d bytes after the checkpoint, want the 200 rows of 2,000 bytes", n)
	}
	frames, copied := walFrames(t, db)
	if frames < 200 || copied != frames {
		t.Fatalf("log: %d frames, %d copied; want all of at least 200 copied", frames, copied)
	}
	// Wholly copied, the log starts over at the next write.
	write(1)
	if n, _ := walFrames(t, db); n >= frames {
		t.Fatalf("after a checkpoint and one commit: %d frames, want fewer than %d", n, frames)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestCloseStopsCheckpoint(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "ckpt.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-db.ckpt.done:
	default:
		t.Fatal("the background checkpoint still runs after Close")
	}
}
