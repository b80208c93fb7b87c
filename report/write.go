package report

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
)

// How a report's change is written.
//
// On SQLite one connection writes at a time. The changes waiting are
// written by one of their callers, in turn, in one transaction (group
// commit): each change in a savepoint of its own, so that a refused or
// failed change is undone alone and answered with its own error, and
// every caller answered only once the transaction is committed. The
// statements are prepared once per connection (statements cached on the
// database): SQLite parsing each statement anew was half of a write's
// CPU. A batch costs one commit whatever it holds, and the index pages it
// changes are written to the log once.
//
// On PostgreSQL each change is its own transaction, which the server
// commits together with those waiting at the same moment; what a write
// costs there is round trips, so its transaction is four: begin; the row
// created if new, locked and read with its exception; the row's update,
// its history event and the running totals together; commit. The changes
// are admitted through a first-come, first-served queue of MaxWriters:
// database/sql hands a freed connection to a random waiter, which, with
// more writers than connections, left a few waiting far longer than the
// rest.

// DefaultMaxWriters is how many changes run at once on PostgreSQL when
// Options.MaxWriters is 0; it stays below store's 16 connections so that
// reads are not starved.
const DefaultMaxWriters = 12

// maxBatch bounds the changes of one SQLite transaction, so that the
// first of a long queue is not kept waiting by the last.
const maxBatch = 64

// admit waits for a writer's turn on PostgreSQL and returns what ends
// it; on SQLite the batch queue does the ordering.
func (s *Service) admit(ctx context.Context) (func(), error) {
	if s.slots == nil {
		return func() {}, nil
	}
	select {
	case s.slots <- struct{}{}:
		return func() { <-s.slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// apply runs one change of a report in a transaction: it takes the
// report's lock, reads it and its exception, lets the change compute the
// new row, and writes the row, its history event and the running totals'
// delta together.
func (s *Service) apply(ctx context.Context, d Dataset, t org.Territory, u org.Unit, p Period, actor string, c change) (Report, error) {
	run := func(ctx context.Context, q querier) (Report, error) {
		return s.write(ctx, q, d, t, u, p, actor, c)
	}
	if s.db.Dialect == store.SQLite {
		return s.batch.do(ctx, run)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Report{}, fmt.Errorf("report: %s %s %s: %w", c.action, u, p.Key, err)
	}
	defer tx.Rollback()
	r, err := run(ctx, tx)
	if err != nil {
		return Report{}, err
	}
	if err := tx.Commit(); err != nil {
		return Report{}, fmt.Errorf("report: %s %s %s: %w", c.action, u, p.Key, err)
	}
	return r, nil
}

// write is apply's work inside the transaction q.
func (s *Service) write(ctx context.Context, q querier, d Dataset, t org.Territory, u org.Unit, p Period, actor string, c change) (Report, error) {
	fail := func(err error) (Report, error) {
		return Report{}, fmt.Errorf("report: %s %s %s: %w", c.action, u, p.Key, err)
	}
	now := s.now()
	bucket := bucketPath(t)
	var cur row
	var exc *time.Time
	var err error
	if s.db.Dialect == store.Postgres {
		// One round trip creates the row if new and returns it locked
		// for the transaction, with the unit's exception; the no-op update
		// of an existing row is what locks it.
		var until string
		cur, err = scanRow(q.QueryRowContext(ctx, `INSERT INTO report_reports (dataset, period, territory, org, level, bucket, path,
				status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, '', $8, $8)
			ON CONFLICT (dataset, period, territory, org) DO UPDATE SET version = report_reports.version
			RETURNING `+rowColumns+`, COALESCE((SELECT x.until_at FROM report_exceptions x
				WHERE x.dataset = $1 AND x.period = $2 AND x.territory = $3 AND x.org = $4), '')`,
			d.Key, p.Key, u.Territory, string(u.Org), string(t.Level), bucket, t.Path, formatTime(now)), &until)
		if err != nil {
			return fail(err)
		}
		exc = parseTime(until)
	} else {
		// Writing first takes SQLite's write lock before anything is read;
		// a new row keeps status '' until the change fills it, and is
		// rolled back with it.
		if _, err := q.ExecContext(ctx, `INSERT INTO report_reports (dataset, period, territory, org, level, bucket, path, status,
				created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, '', $8, $8)
			ON CONFLICT (dataset, period, territory, org) DO NOTHING`,
			d.Key, p.Key, u.Territory, string(u.Org), string(t.Level), bucket, t.Path, formatTime(now)); err != nil {
			return fail(err)
		}
		if cur, exc, err = s.readLocked(ctx, q, d.Key, u, p.Key); err != nil {
			return fail(err)
		}
	}
	locked, why := lockState(d, p, cur.status, exc, now)
	next, err := c.step(cur, locked, why)
	if err != nil {
		return Report{}, err
	}
	next.version = cur.version + 1
	next.updatedAt = formatTime(now)
	next.updatedBy = actor
	next.texts = hasText(d, next.status, next.vals)
	vals, err := json.Marshal(next.vals)
	if err != nil {
		return fail(err)
	}
	if c.exception != nil {
		if _, err := q.ExecContext(ctx, `INSERT INTO report_exceptions (dataset, period, territory, org, until_at, reason, granted_by, granted_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (dataset, period, territory, org) DO UPDATE SET until_at = excluded.until_at, reason = excluded.reason,
				granted_by = excluded.granted_by, granted_at = excluded.granted_at`,
			d.Key, p.Key, u.Territory, string(u.Org), formatTime(c.exception.until), c.exception.reason, actor, formatTime(now)); err != nil {
			return fail(err)
		}
		until := c.exception.until.UTC()
		exc = &until
	}
	reason := c.reason
	if c.exception != nil {
		reason = "until " + formatTime(c.exception.until) + ": " + reason
	}
	// A report's bucket never changes: a territory's path is fixed.
	fields, deltas := delta(contribution(d, cur.status, cur.vals, cur.onTime), contribution(d, next.status, next.vals, next.onTime))
	args := []any{d.Key, p.Key, u.Territory, string(u.Org), string(next.status), string(vals), boolInt(next.texts), next.submittedAt,
		next.firstSubmitted, next.approve, boolInt(next.onTime), next.returnReason, next.version,
		next.updatedAt, next.updatedBy, string(t.Level), bucket, t.Path, c.action, reason}
	if s.db.Dialect == store.Postgres {
		if _, err := q.ExecContext(ctx, pgWrite, append(args, fields, deltas)...); err != nil {
			return fail(err)
		}
		return s.view(d, u, p, next, exc), nil
	}
	if _, err := q.ExecContext(ctx, `UPDATE report_reports SET status = $5, vals = $6, texts = $7, submitted_at = $8,
			first_submitted_at = $9, approved_at = $10, on_time = $11, return_reason = $12, version = $13,
			updated_at = $14, updated_by = $15, level = $16, bucket = $17, path = $18
		WHERE dataset = $1 AND period = $2 AND territory = $3 AND org = $4`, args[:18]...); err != nil {
		return fail(err)
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO report_events (dataset, period, territory, org, version, action, status, vals, reason, actor, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		d.Key, p.Key, u.Territory, string(u.Org), next.version, c.action, string(next.status), string(vals), reason, actor, next.updatedAt); err != nil {
		return fail(err)
	}
	if len(fields) > 0 {
		bargs := []any{d.Key, p.Key, bucket, string(u.Org)}
		for i := range fields {
			bargs = append(bargs, fields[i], deltas[i])
		}
		if _, err := q.ExecContext(ctx, bucketUpsert(len(fields)), bargs...); err != nil {
			return fail(fmt.Errorf("running totals: %w", err))
		}
	}
	return s.view(d, u, p, next, exc), nil
}

// pgWrite is a change's writes on PostgreSQL in one round trip: the
// report's row, its history event, and the running totals' deltas ($21
// the fields, $22 the amounts) in the fields' order, so that concurrent
// writers to one bucket take its rows' locks in the same order.
const pgWrite = `WITH r AS (
		UPDATE report_reports SET status = $5, vals = $6, texts = $7, submitted_at = $8,
			first_submitted_at = $9, approved_at = $10, on_time = $11, return_reason = $12, version = $13,
			updated_at = $14, updated_by = $15, level = $16, bucket = $17, path = $18
		WHERE dataset = $1 AND period = $2 AND territory = $3 AND org = $4),
	e AS (
		INSERT INTO report_events (dataset, period, territory, org, version, action, status, vals, reason, actor, at)
		VALUES ($1, $2, $3, $4, $13, $19, $5, $6, $20, $15, $14))
	INSERT INTO report_buckets (dataset, period, path, org, field, value)
	SELECT $1, $2, $17, $4, d.field, d.value FROM unnest($21::text[], $22::float8[]) WITH ORDINALITY AS d(field, value, n)
	ORDER BY d.n
	ON CONFLICT (dataset, period, path, org, field) DO UPDATE SET value = report_buckets.value + excluded.value`

// bucketUpsert is the statement adding n fields' deltas to one bucket:
// $1–$4 name the bucket, then a field and its delta for each.
func bucketUpsert(n int) string {
	if n < len(bucketUpserts) {
		return bucketUpserts[n]
	}
	return makeBucketUpsert(n)
}

// bucketUpserts are the statements for the usual numbers of fields, made
// once so that the statement cache finds the same text.
var bucketUpserts = func() []string {
	out := make([]string, 32)
	for n := 1; n < len(out); n++ {
		out[n] = makeBucketUpsert(n)
	}
	return out
}()

func makeBucketUpsert(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO report_buckets (dataset, period, path, org, field, value) VALUES `)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("($1, $2, $3, $4, $" + strconv.Itoa(5+2*i) + ", $" + strconv.Itoa(6+2*i) + ")")
	}
	b.WriteString(` ON CONFLICT (dataset, period, path, org, field) DO UPDATE SET value = report_buckets.value + excluded.value`)
	return b.String()
}

// delta is new − old for every field where they differ, in key order.
func delta(old, new map[string]float64) ([]string, []float64) {
	fields := make([]string, 0, len(new)+len(old))
	for k := range new {
		if new[k] != old[k] {
			fields = append(fields, k)
		}
	}
	for k := range old {
		if _, ok := new[k]; !ok && old[k] != 0 {
			fields = append(fields, k)
		}
	}
	sort.Strings(fields)
	deltas := make([]float64, len(fields))
	for i, k := range fields {
		deltas[i] = new[k] - old[k]
	}
	return fields, deltas
}

// readLocked reads a report that exists and its lock exception in one
// statement, on SQLite, whose write lock the caller's first write holds.
func (s *Service) readLocked(ctx context.Context, q querier, ds string, u org.Unit, period string) (row, *time.Time, error) {
	query := `SELECT ` + rowColumns + `, COALESCE((SELECT x.until_at FROM report_exceptions x
			WHERE x.dataset = $1 AND x.period = $2 AND x.territory = $3 AND x.org = $4), '')
		FROM report_reports WHERE dataset = $1 AND period = $2 AND territory = $3 AND org = $4`
	var until string
	r, err := scanRow(q.QueryRowContext(ctx, query, ds, period, u.Territory, string(u.Org)), &until)
	if err != nil {
		return r, nil, err
	}
	return r, parseTime(until), nil
}

// stmtCache holds statements prepared on the database, one per query
// text; database/sql prepares each on a connection the first time it is
// run there and keeps it for that connection's life.
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = st
	return st, nil
}

// preparedTx runs a transaction's statements through the cache.
type preparedTx struct {
	tx    *sql.Tx
	cache *stmtCache
}

func (p preparedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := p.cache.get(ctx, query)
	if err != nil {
		return nil, err
	}
	return p.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

func (p preparedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := p.cache.get(ctx, query)
	if err != nil {
		return nil, err
	}
	return p.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
}

// QueryRowContext reports a failed preparation through the row, as
// database/sql does.
func (p preparedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := p.cache.get(ctx, query)
	if err != nil {
		// A statement that cannot be prepared fails the same way when run.
		return p.tx.QueryRowContext(ctx, query, args...)
	}
	return p.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
}

// batcher is SQLite's group commit: the changes waiting form a queue;
// the caller that finds no batch running writes the queue's first
// maxBatch changes in one transaction, answers them, and hands the turn
// to the first change still waiting, whose caller writes the next batch.
// No goroutine of its own, so a Service needs no closing.
type batcher struct {
	s     *Service
	mu    sync.Mutex
	queue []*writeJob
	busy  bool
}

type writeJob struct {
	ctx context.Context
	run func(context.Context, querier) (Report, error)
	res chan writeResult // buffered: one answer or the turn
}

type writeResult struct {
	r    Report
	err  error
	turn bool // the caller is to write the next batch
}

func (b *batcher) do(ctx context.Context, run func(context.Context, querier) (Report, error)) (Report, error) {
	j := &writeJob{ctx: ctx, run: run, res: make(chan writeResult, 1)}
	b.mu.Lock()
	b.queue = append(b.queue, j)
	lead := !b.busy
	b.busy = true
	b.mu.Unlock()
	if lead {
		b.lead()
	}
	// Once queued the change is written or not whatever happens to ctx
	// meanwhile (a cancelled one is skipped when its batch is written):
	// its answer, or the turn, is awaited.
	for {
		r := <-j.res
		if !r.turn {
			return r.r, r.err
		}
		b.lead()
	}
}

// lead writes one batch and passes the turn on.
func (b *batcher) lead() {
	b.mu.Lock()
	n := min(len(b.queue), maxBatch)
	batch := b.queue[:n:n]
	b.queue = b.queue[n:]
	b.mu.Unlock()
	b.commit(batch)
	b.mu.Lock()
	if len(b.queue) == 0 {
		b.busy = false
		b.queue = nil
		b.mu.Unlock()
		return
	}
	next := b.queue[0]
	b.mu.Unlock()
	next.res <- writeResult{turn: true}
}

// commit writes a batch in one transaction, each change in a savepoint,
// and answers each once the transaction is committed.
func (b *batcher) commit(batch []*writeJob) {
	// The statements run to their end whatever the callers' contexts: a
	// cancelled statement would end the whole batch's transaction.
	ctx := context.Background()
	results := make([]writeResult, len(batch))
	fail := func(err error) {
		for _, j := range batch {
			j.res <- writeResult{err: fmt.Errorf("report: write: %w", err)}
		}
	}
	tx, err := b.s.db.BeginTx(ctx, nil)
	if err != nil {
		fail(err)
		return
	}
	q := preparedTx{tx: tx, cache: &b.s.stmts}
	for i, j := range batch {
		if err := j.ctx.Err(); err != nil {
			results[i].err = err
			continue
		}
		if _, err := q.ExecContext(ctx, `SAVEPOINT report`); err != nil {
			tx.Rollback()
			fail(err)
			return
		}
		r, err := j.run(ctx, q)
		if err != nil {
			_, rerr := q.ExecContext(ctx, `ROLLBACK TO report`)
			if rerr == nil {
				_, rerr = q.ExecContext(ctx, `RELEASE report`)
			}
			if rerr != nil {
				tx.Rollback()
				fail(errors.Join(err, rerr))
				return
			}
			results[i].err = err
			continue
		}
		if _, err := q.ExecContext(ctx, `RELEASE report`); err != nil {
			tx.Rollback()
			fail(err)
			return
		}
		results[i].r = r
	}
	if err := tx.Commit(); err != nil {
		tx.Rollback()
		fail(err)
		return
	}
	for i, j := range batch {
		j.res <- results[i]
	}
}

// reader is where a change's reads outside its transaction run: on
// SQLite through the statement cache.
func (s *Service) reader() querier {
	if s.db.Dialect == store.SQLite {
		return preparedDB{&s.stmts}
	}
	return s.db
}

// preparedDB runs statements on the database through the cache.
type preparedDB struct{ cache *stmtCache }

func (p preparedDB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := p.cache.get(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (p preparedDB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := p.cache.get(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (p preparedDB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := p.cache.get(ctx, query)
	if err != nil {
		return p.cache.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}
