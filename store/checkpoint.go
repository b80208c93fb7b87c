package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// SQLite's write-ahead log is copied into the database file by a
// checkpoint. Left to SQLite, the connection whose commit takes the log
// past 1,000 pages runs it before its caller is answered: a copy of
// those pages and two flushes of the disk in the path of one write, which
// was the slowest hundredth of the report writes under load. A goroutine
// of the DB checkpoints in the background instead, every checkpointEvery,
// PASSIVE: beside the writers, never making them wait.
//
// A passive checkpoint that runs beside writers may never find the log
// wholly copied, which is when the next writer starts it over from the
// beginning, so the log could grow for as long as writes keep coming.
// Connections keep SQLite's own checkpoint for that case only, once the
// log is walAutoFrames long: the committing writer then copies what the
// background has not (little) and the log starts over at the next write.
const (
	checkpointEvery = time.Second
	walAutoFrames   = 16384 // 64 MiB of 4 KiB pages
)

// checkpointer is the background checkpoint of an SQLite DB.
type checkpointer struct {
	stop, done chan struct{}
}

func startCheckpointer(db *sql.DB) *checkpointer {
	c := &checkpointer{stop: make(chan struct{}), done: make(chan struct{})}
	go c.run(db)
	return c
}

func (c *checkpointer) run(db *sql.DB) {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	ctx := context.Background()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		if err := checkpoint(ctx, db); closed(err) {
			return
		}
		// Another error (the database busy with a writer of another
		// process past busy_timeout) is tried again at the next tick.
	}
}

// checkpoint copies the log into the database beside the writers.
func checkpoint(ctx context.Context, db *sql.DB) error {
	var busy, frames, copied int
	return db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
}

// closed reports whether err says the database was closed, which ends
// the checkpointer of a DB closed through its *sql.DB.
func closed(err error) bool {
	return err != nil && (errors.Is(err, sql.ErrConnDone) || strings.Contains(err.Error(), "database is closed"))
}

func (c *checkpointer) close() {
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	<-c.done
}

// Close stops the background checkpoint, if any, and closes the database.
func (db *DB) Close() error {
	if db.ckpt != nil {
		db.ckpt.close()
	}
	return db.DB.Close()
}
