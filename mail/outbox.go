package mail

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mattranso/mattranso/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrate creates or updates the outbox's table.
func Migrate(ctx context.Context, db *store.DB) error {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	return db.Migrate(ctx, "mail", sub)
}

// Status is where a message stands.
type Status string

const (
	Pending Status = "pending" // waiting for its turn, or being sent
	Sent    Status = "sent"    // the SMTP server took it
	Failed  Status = "failed"  // refused for good, or out of attempts
)

// Options tune the sender. The zero value works.
type Options struct {
	// Now is the clock (time.Now when nil): due times, leases and
	// back-off all read it.
	Now func() time.Time
	// Lease is how long a claimed message is its sender's alone (5
	// minutes): another sender takes it over only after that, so a sender
	// that died mid-send delays a message by at most a lease. Each
	// instance reads its own clock: a skew between instances of less than
	// Lease − SendTimeout does no harm.
	Lease time.Duration
	// SendTimeout bounds one delivery, connection to goodbye (1 minute);
	// it must be shorter than Lease, or a slow server would let a second
	// sender start on a message the first is still sending.
	SendTimeout time.Duration
	// Poll is how often Run looks for due messages when nothing wakes it
	// (30 seconds): messages written by other instances, retries.
	Poll time.Duration
	// MaxAttempts is how many times a message is tried before it is
	// marked failed (12: with the default back-off, over about 20 hours).
	MaxAttempts int
	// RetryBase and RetryMax shape the back-off: the wait after the n-th
	// failed attempt is RetryBase·2ⁿ⁻¹, at most RetryMax (1 minute, 6
	// hours).
	RetryBase, RetryMax time.Duration
	// KeepSent is how long a sent message stays in the table (30 days):
	// it holds a citizen's address and what they were told, which is
	// kept no longer than it serves. Failed messages stay until an
	// operator deals with them.
	KeepSent time.Duration
	// Runner names this sender in claimed_by (host, process id and a
	// random suffix when empty).
	Runner string
	Logger *slog.Logger // slog.Default() when nil
}

func (o Options) withDefaults() (Options, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.Lease, 5*time.Minute)
	def(&o.SendTimeout, time.Minute)
	def(&o.Poll, 30*time.Second)
	def(&o.RetryBase, time.Minute)
	def(&o.RetryMax, 6*time.Hour)
	def(&o.KeepSent, 30*24*time.Hour)
	if o.MaxAttempts == 0 {
		o.MaxAttempts = 12
	}
	switch {
	case o.SendTimeout >= o.Lease:
		return o, fmt.Errorf("mail: SendTimeout %v must be shorter than Lease %v", o.SendTimeout, o.Lease)
	case o.RetryBase < time.Second || o.RetryMax < o.RetryBase:
		return o, fmt.Errorf("mail: RetryBase %v must be at least a second and RetryMax %v no shorter", o.RetryBase, o.RetryMax)
	case o.MaxAttempts < 1 || o.Poll <= 0 || o.KeepSent < 0 || o.Lease < 0:
		return o, fmt.Errorf("mail: MaxAttempts, Poll, Lease and KeepSent must be positive")
	}
	if o.Runner == "" {
		host, _ := os.Hostname()
		var b [4]byte
		rand.Read(b[:])
		o.Runner = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o, nil
}

// Outbox is the durable queue of outgoing e-mail and its sender. Any
// number of Outboxes, in one process or in several, may share a database.
type Outbox struct {
	db   *store.DB
	cfg  Config
	from address
	t    *transport
	opts Options
	// wake tells Run that a message was just written here, so that it
	// goes out now rather than at the next poll.
	wake chan struct{}
}

// New returns an Outbox that stores in db (after [Migrate]) and sends
// through the SMTP server cfg names. It checks cfg and opts but does not
// connect: a server that is down only delays the messages.
func New(db *store.DB, cfg Config, opts Options) (*Outbox, error) {
	host, from, err := cfg.check()
	if err != nil {
		return nil, err
	}
	opts, err = opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Outbox{
		db: db, cfg: cfg, from: from, opts: opts,
		t:    &transport{cfg: cfg, host: host, from: from, timeout: opts.SendTimeout},
		wake: make(chan struct{}, 1),
	}, nil
}

// Enqueue writes m to the outbox inside tx, the caller's transaction: the
// message exists if and only if tx commits, and goes out after that. An
// *InvalidError says which field of m was refused.
func (o *Outbox) Enqueue(ctx context.Context, tx *sql.Tx, m Message) error {
	if tx == nil {
		return errors.New("mail: Enqueue needs the caller's transaction; use EnqueueDB without one")
	}
	if err := o.insert(ctx, tx, m); err != nil {
		return err
	}
	o.poke()
	return nil
}

// EnqueueDB writes m to the outbox on its own, for a message that goes
// with no other change.
func (o *Outbox) EnqueueDB(ctx context.Context, m Message) error {
	if err := o.insert(ctx, o.db, m); err != nil {
		return err
	}
	o.poke()
	return nil
}

func (o *Outbox) poke() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (o *Outbox) insert(ctx context.Context, q execer, m Message) error {
	c, err := check(m)
	if err != nil {
		return err
	}
	now := o.opts.Now().UnixMilli()
	_, err = q.ExecContext(ctx, `INSERT INTO mail_outbox
		(message_id, kind, ref, to_name, to_addr, subject, text_body, html_body, next_attempt_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		newMessageID(o.from), c.kind, c.ref, c.to.Name, c.to.Addr, c.subject, c.text, c.html, now, now)
	if err != nil {
		return fmt.Errorf("mail: enqueue: %w", err)
	}
	return nil
}

// Run sends the outbox until ctx ends: what is due at once, then whenever
// a message is written through this Outbox, when a retry falls due, and
// every Poll for what other instances wrote. Failures are logged and
// retried; Run returns only when ctx is done. Every instance may run it.
func (o *Outbox) Run(ctx context.Context) {
	log := o.opts.Logger.With("runner", o.opts.Runner)
	log.Info("mail: sender started", "smtp", o.cfg.String())
	var lastPurge time.Time
	// A message written in a transaction appears when the transaction
	// commits, a moment after it woke Run: after a wake, look again
	// soon, a few times, before falling back to the poll.
	recheck := 0
	for {
		if _, err := o.SendDue(ctx); err != nil && ctx.Err() == nil {
			log.Error("mail: sending", "err", err)
		}
		if now := o.opts.Now(); now.Sub(lastPurge) >= time.Hour {
			if n, err := o.purge(ctx, now); err != nil && ctx.Err() == nil {
				log.Error("mail: purging sent messages", "err", err)
			} else if n > 0 {
				log.Info("mail: purged sent messages", "count", n, "older_than", o.opts.KeepSent)
			}
			lastPurge = now
		}
		wait := o.opts.Poll
		if next, ok, err := o.nextDue(ctx); err == nil && ok {
			wait = min(wait, max(next.Sub(o.opts.Now()), 100*time.Millisecond))
		}
		if recheck > 0 {
			wait = min(wait, time.Second>>recheck)
			recheck--
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			log.Info("mail: sender stopped")
			return
		case <-o.wake:
			recheck = 3
		case <-timer.C:
		}
		timer.Stop()
	}
}

// SendDue sends, one after another, every message that is due now and
// not leased to another sender, and returns how many went out. Run calls
// it; so may a test or a command that wants the outbox emptied once.
func (o *Outbox) SendDue(ctx context.Context) (int, error) {
	sent := 0
	for ctx.Err() == nil {
		m, ok, err := o.claim(ctx)
		if err != nil || !ok {
			return sent, err
		}
		ok, err = o.deliver(ctx, m)
		if ok {
			sent++
		}
		if err != nil {
			return sent, err
		}
	}
	return sent, ctx.Err()
}

// claimSQL takes the oldest due message that no lease holds and leases it
// to the runner. The conditions are repeated on the row itself so that
// the UPDATE is conditional however the subquery was planned: on SQLite,
// whose writers take turns, that alone makes the claim exclusive; on
// PostgreSQL the subquery locks the row (%s: FOR UPDATE SKIP LOCKED), so
// that concurrent senders each take a different message instead of
// queueing for the same one.
const claimSQL = `UPDATE mail_outbox
	SET claimed_by = $1, claimed_until = $2, attempts = attempts + 1
	WHERE id = (SELECT id FROM mail_outbox
			WHERE status = 'pending' AND next_attempt_at <= $3 AND claimed_until <= $3
			ORDER BY next_attempt_at, id LIMIT 1 %s)
		AND status = 'pending' AND claimed_until <= $3
	RETURNING id, message_id, to_name, to_addr, subject, text_body, html_body, created_at, attempts`

func (o *Outbox) claim(ctx context.Context) (stored, bool, error) {
	lock := ""
	if o.db.Dialect == store.Postgres {
		lock = "FOR UPDATE SKIP LOCKED"
	}
	now := o.opts.Now()
	var m stored
	var created int64
	err := o.db.QueryRowContext(ctx, fmt.Sprintf(claimSQL, lock),
		o.opts.Runner, now.Add(o.opts.Lease).UnixMilli(), now.UnixMilli()).
		Scan(&m.id, &m.messageID, &m.to.Name, &m.to.Addr, &m.subject, &m.text, &m.html, &created, &m.attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("mail: claim: %w", err)
	}
	m.created = time.UnixMilli(created)
	return m, true, nil
}

// deliver sends one claimed message and records the outcome; sent says
// whether the server took it, err whether the outcome could not be
// recorded.
func (o *Outbox) deliver(ctx context.Context, m stored) (sent bool, err error) {
	log := o.opts.Logger.With("runner", o.opts.Runner, "mail_id", m.id, "attempt", m.attempts)
	// A claim beyond the last attempt means senders died holding it: the
	// message may have gone out or not, and trying for ever is worse.
	if m.attempts > o.opts.MaxAttempts {
		log.Warn("mail: failed: out of attempts (its senders stopped mid-send)")
		return false, o.finish(ctx, m, Failed, "hết số lần thử: bên gửi dừng giữa chừng (out of attempts: senders stopped mid-send)")
	}
	data, err := render(m, o.from)
	if err != nil {
		return false, o.finish(ctx, m, Failed, err.Error())
	}
	err = o.t.send(ctx, m.to.Addr, data)
	if err == nil {
		return true, o.finish(ctx, m, Sent, "")
	}
	if ctx.Err() != nil {
		// Stopped, not failed: hand the message back at once, this
		// attempt uncounted, for whichever sender runs next.
		return false, o.release(m)
	}
	var se *sendError
	if errors.As(err, &se) && se.permanent() {
		log.Warn("mail: failed: refused by the server", "err", err)
		return false, o.finish(ctx, m, Failed, err.Error())
	}
	if m.attempts >= o.opts.MaxAttempts {
		log.Warn("mail: failed: out of attempts", "err", err)
		return false, o.finish(ctx, m, Failed, err.Error())
	}
	next := o.opts.Now().Add(o.backoff(m.attempts))
	log.Info("mail: will retry", "err", err, "next_attempt_at", next)
	_, dbErr := o.db.ExecContext(ctx, `UPDATE mail_outbox
		SET next_attempt_at = $1, last_error = $2, claimed_by = '', claimed_until = 0
		WHERE id = $3 AND claimed_by = $4 AND status = 'pending'`,
		next.UnixMilli(), clip(err.Error()), m.id, o.opts.Runner)
	if dbErr != nil {
		return false, fmt.Errorf("mail: schedule retry of %d: %w", m.id, dbErr)
	}
	return false, nil
}

// backoff is the wait after the attempt-th failed attempt.
func (o *Outbox) backoff(attempt int) time.Duration {
	d := o.opts.RetryBase
	for i := 1; i < attempt && d < o.opts.RetryMax; i++ {
		d *= 2
	}
	return min(d, o.opts.RetryMax)
}

// finish records that m was sent or has failed for good. A sent message
// is recorded whoever holds its lease now (it is sent, whatever another
// sender does next); a failure only by the lease's holder, since another
// sender may since have taken the message over.
func (o *Outbox) finish(ctx context.Context, m stored, s Status, lastErr string) error {
	// Recorded even when ctx ends now: the server has spoken, and
	// forgetting it would send the message again.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	q := `UPDATE mail_outbox SET status = $1, done_at = $2, last_error = $3, claimed_by = '', claimed_until = 0
		WHERE id = $4 AND status = 'pending'`
	args := []any{string(s), o.opts.Now().UnixMilli(), clip(lastErr), m.id}
	if s != Sent {
		q += ` AND claimed_by = $5`
		args = append(args, o.opts.Runner)
	}
	if _, err := o.db.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("mail: record %s for %d: %w", s, m.id, err)
	}
	return nil
}

// release hands a claimed message back untried.
func (o *Outbox) release(m stored) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := o.db.ExecContext(ctx, `UPDATE mail_outbox
		SET claimed_by = '', claimed_until = 0, attempts = attempts - 1
		WHERE id = $1 AND claimed_by = $2 AND status = 'pending'`, m.id, o.opts.Runner)
	if err != nil {
		return fmt.Errorf("mail: release %d: %w", m.id, err)
	}
	return nil
}

// maxLastError bounds the error kept with a message: a server's reply,
// not a transcript.
const maxLastError = 1000

func clip(s string) string {
	if len(s) <= maxLastError {
		return s
	}
	s = s[:maxLastError]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}

// nextDue is when the earliest pending message can next be claimed.
func (o *Outbox) nextDue(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullInt64
	err := o.db.QueryRowContext(ctx, `SELECT MIN(CASE WHEN claimed_until > next_attempt_at
		THEN claimed_until ELSE next_attempt_at END) FROM mail_outbox WHERE status = 'pending'`).Scan(&next)
	if err != nil || !next.Valid {
		return time.Time{}, false, err
	}
	return time.UnixMilli(next.Int64), true, nil
}

// purge deletes the sent messages older than KeepSent.
func (o *Outbox) purge(ctx context.Context, now time.Time) (int64, error) {
	res, err := o.db.ExecContext(ctx, `DELETE FROM mail_outbox WHERE status = 'sent' AND done_at < $1`,
		now.Add(-o.opts.KeepSent).UnixMilli())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Stats counts the outbox's messages by status; Sent counts those still
// kept (Options.KeepSent).
type Stats struct {
	Pending int `json:"pending"`
	Sent    int `json:"sent"`
	Failed  int `json:"failed"`
}

// Stats counts the messages by status, for /metrics and for an operator.
func (o *Outbox) Stats(ctx context.Context) (Stats, error) {
	rows, err := o.db.QueryContext(ctx, `SELECT status, COUNT(*) FROM mail_outbox GROUP BY status`)
	if err != nil {
		return Stats{}, fmt.Errorf("mail: stats: %w", err)
	}
	defer rows.Close()
	var s Stats
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return Stats{}, fmt.Errorf("mail: stats: %w", err)
		}
		switch Status(status) {
		case Pending:
			s.Pending = n
		case Sent:
			s.Sent = n
		case Failed:
			s.Failed = n
		}
	}
	return s, rows.Err()
}

// Record is a message as the outbox holds it, for an operator or for the
// module that wrote it.
type Record struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	Ref         string    `json:"ref"`
	To          string    `json:"to"` // "Name <addr>" or addr
	Subject     string    `json:"subject"`
	Status      Status    `json:"status"`
	Attempts    int       `json:"attempts"`
	LastError   string    `json:"last_error,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	NextAttempt time.Time `json:"next_attempt_at"`
	DoneAt      time.Time `json:"done_at,omitzero"` // when sent or failed
	// ClaimedBy is the sender that holds the message until ClaimedUntil,
	// while it is being sent (or its sender died sending it).
	ClaimedBy    string    `json:"claimed_by,omitempty"`
	ClaimedUntil time.Time `json:"claimed_until,omitzero"`
}

// Query chooses records: by kind and reference, by status, or all; the
// newest first, at most Limit (100 when 0 or over 1,000).
type Query struct {
	Kind, Ref string
	Status    Status
	Limit     int
}

// List returns the records q chooses: what became of the message about an
// item, or the failed messages an operator should look at.
func (o *Outbox) List(ctx context.Context, q Query) ([]Record, error) {
	var where []string
	var args []any
	for _, c := range []struct{ col, v string }{{"kind", q.Kind}, {"ref", q.Ref}, {"status", string(q.Status)}} {
		if c.v != "" {
			args = append(args, c.v)
			where = append(where, fmt.Sprintf("%s = $%d", c.col, len(args)))
		}
	}
	sqlWhere := ""
	if len(where) > 0 {
		sqlWhere = "WHERE " + strings.Join(where, " AND ")
	}
	limit := q.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	args = append(args, limit)
	rows, err := o.db.QueryContext(ctx, fmt.Sprintf(`SELECT id, kind, ref, to_name, to_addr, subject, status, attempts,
		last_error, created_at, next_attempt_at, done_at, claimed_by, claimed_until FROM mail_outbox %s ORDER BY id DESC LIMIT $%d`, sqlWhere, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("mail: list: %w", err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		var to address
		var status string
		var created, next, done, until int64
		if err := rows.Scan(&r.ID, &r.Kind, &r.Ref, &to.Name, &to.Addr, &r.Subject, &status, &r.Attempts,
			&r.LastError, &created, &next, &done, &r.ClaimedBy, &until); err != nil {
			return nil, fmt.Errorf("mail: list: %w", err)
		}
		r.To, r.Status = to.String(), Status(status)
		r.CreatedAt, r.NextAttempt = time.UnixMilli(created).UTC(), time.UnixMilli(next).UTC()
		if done != 0 {
			r.DoneAt = time.UnixMilli(done).UTC()
		}
		if until != 0 {
			r.ClaimedUntil = time.UnixMilli(until).UTC()
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
