package report

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// timeLayout is fixed-width so that times sort as text; org uses the same.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) *time.Time {
	if s == "" {
		return nil
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return nil
	}
	return &t
}

// The bucket fields that count reports, beside the numeric fields' sums.
// "#" cannot begin a field key.
const (
	countReported = "#reported"
	countOnTime   = "#on_time"
)

// Options configure a Service. DB and Tree are required.
type Options struct {
	DB   *store.DB
	Tree *org.Store
	// Datasets are the data sets; nil means DefaultDatasets().
	Datasets []Dataset
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// MaxWriters bounds the changes of reports written at once on
	// PostgreSQL, the others queuing in turn; 0 means DefaultMaxWriters.
	MaxWriters int
}

// Service keeps reports and answers roll-ups.
type Service struct {
	db       *store.DB
	tree     *org.Store
	datasets []Dataset
	byKey    map[string]Dataset
	now      func() time.Time
	log      *slog.Logger
	// batch writes the changes of reports on SQLite, slots admits them
	// on PostgreSQL (see write.go).
	batch batcher
	slots chan struct{}
	// stmts are the statements prepared for SQLite.
	stmts stmtCache
}

// NewService checks the data sets and returns the service; call Migrate
// before using it.
func NewService(o Options) (*Service, error) {
	if o.DB == nil || o.Tree == nil {
		return nil, errors.New("report: NewService needs DB and Tree")
	}
	ds := o.Datasets
	if ds == nil {
		ds = DefaultDatasets()
	}
	if err := checkDatasets(ds); err != nil {
		return nil, err
	}
	s := &Service{db: o.DB, tree: o.Tree, datasets: ds, byKey: map[string]Dataset{}, now: o.Now, log: o.Logger}
	for _, d := range ds {
		s.byKey[d.Key] = d
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.batch.s = s
	s.stmts.db = o.DB.DB
	if o.DB.Dialect == store.Postgres {
		n := o.MaxWriters
		if n <= 0 {
			n = DefaultMaxWriters
		}
		s.slots = make(chan struct{}, n)
	}
	return s, nil
}

// Migrate creates or updates the report tables, after the unit tree's.
func (s *Service) Migrate(ctx context.Context) error {
	if err := s.tree.Migrate(ctx); err != nil {
		return err
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	return s.db.Migrate(ctx, "report", sub)
}

// Datasets returns the data sets, in configuration order.
func (s *Service) Datasets() []Dataset { return s.datasets }

// Dataset returns the data set with key.
func (s *Service) Dataset(key string) (Dataset, error) {
	d, ok := s.byKey[key]
	if !ok {
		return Dataset{}, fmt.Errorf("report: data set %q: %w", key, ErrNotFound)
	}
	return d, nil
}

// Tree is the unit tree the service reads.
func (s *Service) Tree() *org.Store { return s.tree }

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.now() }

// querier is a database or a transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// row is a report as stored.
type row struct {
	status                               Status
	vals                                 map[string]any
	texts                                bool
	submittedAt, firstSubmitted, approve string
	onTime                               bool
	returnReason                         string
	version                              int
	createdAt, updatedAt, updatedBy      string
}

const rowColumns = `status, vals, texts, submitted_at, first_submitted_at, approved_at, on_time, return_reason,
	version, created_at, updated_at, updated_by`

// scanRow scans rowColumns, then extra.
func scanRow(sc interface{ Scan(...any) error }, extra ...any) (row, error) {
	var r row
	var status, vals string
	var texts, onTime int
	if err := sc.Scan(append([]any{&status, &vals, &texts, &r.submittedAt, &r.firstSubmitted, &r.approve, &onTime, &r.returnReason,
		&r.version, &r.createdAt, &r.updatedAt, &r.updatedBy}, extra...)...); err != nil {
		return r, err
	}
	r.status, r.texts, r.onTime = Status(status), texts == 1, onTime == 1
	r.vals = map[string]any{}
	if err := json.Unmarshal([]byte(vals), &r.vals); err != nil {
		return r, fmt.Errorf("report: stored values: %w", err)
	}
	return r, nil
}

// readRow reads a report; a missing one is a zero row (version 0). With
// lock on PostgreSQL the row is locked for the transaction (SQLite's
// write lock is taken by the caller's first write).
func (s *Service) readRow(ctx context.Context, q querier, ds string, u org.Unit, period string, lock bool) (row, error) {
	query := `SELECT ` + rowColumns + ` FROM report_reports WHERE dataset = $1 AND period = $2 AND territory = $3 AND org = $4`
	if lock && s.db.Dialect == store.Postgres {
		query += ` FOR UPDATE`
	}
	r, err := scanRow(q.QueryRowContext(ctx, query, ds, period, u.Territory, string(u.Org)))
	if errors.Is(err, sql.ErrNoRows) {
		return row{vals: map[string]any{}}, nil
	}
	return r, err
}

// exceptionUntil reads the unit's lock exception for the period, if any.
func (s *Service) exceptionUntil(ctx context.Context, q querier, ds string, u org.Unit, period string) (*time.Time, error) {
	var until string
	err := q.QueryRowContext(ctx, `SELECT until_at FROM report_exceptions
		WHERE dataset = $1 AND period = $2 AND territory = $3 AND org = $4`, ds, period, u.Territory, string(u.Org)).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return parseTime(until), nil
}

// bucketPath is the path of the territory whose running totals a report
// of territory t feeds: its commune for a village, t itself otherwise.
func bucketPath(t org.Territory) string {
	if t.Level == org.Village {
		p := strings.TrimSuffix(t.Path, "/")
		return p[:strings.LastIndex(p, "/")+1]
	}
	return t.Path
}

// contribution is what a stored report adds to its bucket: its numeric
// values and the counts, or nothing when it does not count.
func contribution(d Dataset, status Status, vals map[string]any, onTime bool) map[string]float64 {
	out := map[string]float64{}
	if !status.Reported() {
		return out
	}
	out[countReported] = 1
	if onTime {
		out[countOnTime] = 1
	}
	for _, k := range d.NumericKeys() {
		if v, ok := vals[k].(float64); ok {
			out[k] = v
		}
	}
	return out
}

// hasText reports whether a report that counts has a text value, which
// puts it in the roll-up's gathered texts.
func hasText(d Dataset, status Status, vals map[string]any) bool {
	if !status.Reported() {
		return false
	}
	for _, k := range d.TextKeys() {
		if s, ok := vals[k].(string); ok && s != "" {
			return true
		}
	}
	return false
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Rebuild recomputes the running totals of a data set's period ("" for
// every period) from the reports, in one transaction. Roll-ups read the
// totals kept on every write, so it is needed only after a repair by
// hand; the tests check that it finds what the writes kept.
func (s *Service) Rebuild(ctx context.Context, dsKey, period string) error {
	d, err := s.Dataset(dsKey)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	del := `DELETE FROM report_buckets WHERE dataset = $1`
	sel := `SELECT period, bucket, org, status, vals, on_time FROM report_reports WHERE dataset = $1 AND status IN ('submitted', 'approved')`
	args := []any{dsKey}
	if period != "" {
		del += ` AND period = $2`
		sel += ` AND period = $2`
		args = append(args, period)
	}
	if _, err := tx.ExecContext(ctx, del, args...); err != nil {
		return fmt.Errorf("report: rebuild: %w", err)
	}
	type key struct{ period, bucket, org, field string }
	sums := map[key]float64{}
	rows, err := tx.QueryContext(ctx, sel, args...)
	if err != nil {
		return fmt.Errorf("report: rebuild: %w", err)
	}
	for rows.Next() {
		var p, bucket, o, status, vals string
		var onTime int
		if err := rows.Scan(&p, &bucket, &o, &status, &vals, &onTime); err != nil {
			rows.Close()
			return fmt.Errorf("report: rebuild: %w", err)
		}
		m := map[string]any{}
		if err := json.Unmarshal([]byte(vals), &m); err != nil {
			rows.Close()
			return fmt.Errorf("report: rebuild: stored values: %w", err)
		}
		for f, v := range contribution(d, Status(status), m, onTime == 1) {
			sums[key{p, bucket, o, f}] += v
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("report: rebuild: %w", err)
	}
	for k, v := range sums {
		if _, err := tx.ExecContext(ctx, `INSERT INTO report_buckets (dataset, period, path, org, field, value)
			VALUES ($1, $2, $3, $4, $5, $6)`, dsKey, k.period, k.bucket, k.org, k.field, v); err != nil {
			return fmt.Errorf("report: rebuild: %w", err)
		}
	}
	return tx.Commit()
}
