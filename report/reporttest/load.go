package reporttest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/mattranso/mattranso/store"
)

// loader writes rows in bulk on one connection, in one transaction at a
// time: COPY on PostgreSQL; on SQLite, prepared multi-row INSERTs with
// anonymous "?" parameters — SQLite keeps $N names in a list it searches
// on every bind, which made the bind of a statement quadratic in its
// parameters.
type loader struct {
	dialect store.Dialect
	conn    *sql.Conn
	// One of the two is open.
	tx    *sql.Tx
	pgTx  pgx.Tx
	stmts map[string]*sql.Stmt
}

// sqliteBulk are the pragmas of the bulk load and the values restored
// after it: a crash during a generated load loses only generated data,
// and a large cache keeps the indexes' pages in memory.
var sqliteBulk = [][2]string{
	{"synchronous = OFF", "synchronous = NORMAL"},
	{"cache_size = -524288", "cache_size = -2000"},
	{"temp_store = MEMORY", "temp_store = DEFAULT"},
}

// openLoader takes a connection of db for the bulk load; close gives it
// back with its settings restored.
func openLoader(ctx context.Context, db *store.DB) (*loader, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	l := &loader{dialect: db.Dialect, conn: conn}
	if l.dialect == store.SQLite {
		for _, p := range sqliteBulk {
			if _, err := conn.ExecContext(ctx, "PRAGMA "+p[0]); err != nil {
				l.close(ctx)
				return nil, fmt.Errorf("reporttest: PRAGMA %s: %w", p[0], err)
			}
		}
	}
	return l, nil
}

func (l *loader) close(ctx context.Context) error {
	l.rollback(ctx)
	var errs []error
	if l.dialect == store.SQLite {
		for _, p := range sqliteBulk {
			if _, err := l.conn.ExecContext(ctx, "PRAGMA "+p[1]); err != nil {
				errs = append(errs, err)
			}
		}
	}
	errs = append(errs, l.conn.Close())
	return errors.Join(errs...)
}

func (l *loader) begin(ctx context.Context) error {
	l.stmts = map[string]*sql.Stmt{}
	if l.dialect == store.Postgres {
		return l.conn.Raw(func(dc any) error {
			c, ok := dc.(*stdlib.Conn)
			if !ok {
				return fmt.Errorf("reporttest: PostgreSQL connection is %T, not pgx's", dc)
			}
			tx, err := c.Conn().Begin(ctx)
			l.pgTx = tx
			return err
		})
	}
	tx, err := l.conn.BeginTx(ctx, nil)
	l.tx = tx
	return err
}

func (l *loader) commit(ctx context.Context) error {
	var err error
	if l.pgTx != nil {
		err = l.pgTx.Commit(ctx)
	} else if l.tx != nil {
		err = l.tx.Commit()
	}
	l.tx, l.pgTx, l.stmts = nil, nil, nil
	return err
}

func (l *loader) rollback(ctx context.Context) {
	if l.pgTx != nil {
		l.pgTx.Rollback(ctx)
	} else if l.tx != nil {
		l.tx.Rollback()
	}
	l.tx, l.pgTx, l.stmts = nil, nil, nil
}

// queryInt runs a statement ($N parameters) that returns one integer.
func (l *loader) queryInt(ctx context.Context, q string, args ...any) (int, error) {
	var n int
	var err error
	if l.pgTx != nil {
		err = l.pgTx.QueryRow(ctx, q, args...).Scan(&n)
	} else {
		err = l.tx.QueryRowContext(ctx, q, args...).Scan(&n)
	}
	return n, err
}

// sqliteRows is the most rows of one INSERT: under SQLite's limit of
// 32,766 parameters.
const sqliteParams = 30000

// insert writes rows into table's columns.
func (l *loader) insert(ctx context.Context, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if l.pgTx != nil {
		_, err := l.pgTx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
		return err
	}
	batch := max(1, min(500, sqliteParams/len(cols)))
	args := make([]any, 0, batch*len(cols))
	for len(rows) > 0 {
		n := min(batch, len(rows))
		st, err := l.stmt(ctx, table, cols, n)
		if err != nil {
			return err
		}
		args = args[:0]
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// stmt prepares, once per transaction, the INSERT of n rows.
func (l *loader) stmt(ctx context.Context, table string, cols []string, n int) (*sql.Stmt, error) {
	key := fmt.Sprintf("%s/%d", table, n)
	if st, ok := l.stmts[key]; ok {
		return st, nil
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(one)
	}
	st, err := l.tx.PrepareContext(ctx, b.String())
	if err != nil {
		return nil, err
	}
	l.stmts[key] = st
	return st, nil
}
