package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5/stdlib"
)

// ListenPostgres returns a function that holds a connection of db's pool
// (a PostgreSQL one) for itself, LISTENs on channel, calls ready once
// listening and wake at every notification, until ctx ends or the
// connection fails. It is how an instance hears another's writes: the
// library's change log and the congress records both announce theirs with
// pg_notify in the writing transaction.
func ListenPostgres(db *sql.DB, channel string) func(ctx context.Context, ready, wake func()) error {
	return func(ctx context.Context, ready, wake func()) error {
		conn, err := db.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		return conn.Raw(func(dc any) error {
			sc, ok := dc.(*stdlib.Conn)
			if !ok {
				return fmt.Errorf("store: listen on %s: not a pgx connection (%T)", channel, dc)
			}
			pc := sc.Conn()
			if _, err := pc.Exec(ctx, "LISTEN "+channel); err != nil {
				return fmt.Errorf("store: listen on %s: %w", channel, err)
			}
			ready()
			for {
				if _, err := pc.WaitForNotification(ctx); err != nil {
					// The connection may be in the middle of something:
					// it goes back to the pool closed, never reused.
					_ = pc.Close(context.Background())
					return err
				}
				wake()
			}
		})
	}
}
