package feedback

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// batchSenders is how many batches of submissions may be on their way to
// PostgreSQL at once, each on a connection of the pool: while one waits
// for its commit to reach the disk, the next gathers what arrives
// meanwhile.
const batchSenders = 4

// batcher is PostgreSQL's group commit. Every item without photos is one
// createSQL statement; the batcher sends those waiting to PostgreSQL
// together, as one pipeline of statements ending in a single Sync, which
// PostgreSQL runs as one implicit transaction: one round trip, one commit
// and one flush of the write-ahead log for the batch, where a statement
// each costs all three each (and with them most of the CPU time a
// submission takes on a machine that the server, PostgreSQL and their
// clients share). Everyone is answered once the commit is acknowledged,
// which with synchronous_commit on is once it is on disk.
//
// A batch is all or nothing: when PostgreSQL refuses one of its statements
// (a tracking code drawn twice, a deadlock between two batches waiting for
// each other's idempotency keys) nothing of it is stored, and each of its
// submissions is stored again alone, which settles each on its own.
type batcher struct {
	s    *Store
	jobs chan *job
	quit chan struct{}
	done chan struct{}
}

func (s *Store) startBatcher() *batcher {
	b := &batcher{s: s, jobs: make(chan *job), quit: make(chan struct{}), done: make(chan struct{})}
	finished := make(chan struct{}, batchSenders)
	for range batchSenders {
		go func() {
			defer func() { finished <- struct{}{} }()
			b.run()
		}()
	}
	go func() {
		for range batchSenders {
			<-finished
		}
		close(b.done)
	}()
	return b
}

func (b *batcher) submit(ctx context.Context, n *NewItem) (Created, error) {
	j := &job{ctx: ctx, n: n, res: make(chan result, 1)}
	select {
	case b.jobs <- j:
	case <-b.quit:
		return Created{}, errClosed
	case <-ctx.Done():
		return Created{}, ctx.Err()
	}
	// Handed over, the job is committed or not whatever happens to ctx:
	// its answer is awaited, as the SQLite committer's is.
	r := <-j.res
	return r.c, r.err
}

// stop ends the senders once the batches they hold are committed.
func (b *batcher) stop() {
	select {
	case <-b.quit:
	default:
		close(b.quit)
	}
	<-b.done
}

func (b *batcher) run() {
	max := b.s.opts.MaxBatch
	for {
		var batch []*job
		select {
		case j := <-b.jobs:
			batch = append(batch, j)
		case <-b.quit:
			return
		}
		// No waiting for more: under load they pile up while the other
		// senders' commits are on their way, alone a submission goes at
		// once.
	gather:
		for len(batch) < max {
			select {
			case j := <-b.jobs:
				batch = append(batch, j)
			default:
				break gather
			}
		}
		b.commit(batch)
	}
}

// commit stores a batch and answers each of its jobs.
func (b *batcher) commit(batch []*job) {
	live := batch[:0:0]
	for _, j := range batch {
		if err := j.ctx.Err(); err != nil {
			j.res <- result{err: err}
			continue
		}
		live = append(live, j)
	}
	if len(live) == 0 {
		return
	}
	ctx := context.Background()
	results, err := b.send(ctx, live)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// PostgreSQL refused a statement and undid the batch: each is
		// stored again alone.
		for _, j := range live {
			c, err := b.s.createPostgresTx(j.ctx, j.n)
			j.res <- result{c: c, err: err}
		}
		return
	}
	if err != nil {
		// The connection failed: what became of the batch is unknown, and
		// a retry with its Idempotency-Key will tell.
		for _, j := range live {
			j.res <- result{err: err}
		}
		return
	}
	for i, j := range live {
		j.res <- results[i]
	}
}

// send runs the batch's statements as one pipeline on a connection of the
// pool and returns each one's answer once the batch is committed.
func (b *batcher) send(ctx context.Context, batch []*job) ([]result, error) {
	results := make([]result, len(batch))
	var pb pgx.Batch
	if b.s.opts.RelaxedDurability {
		// For this transaction only: the pipeline is one.
		pb.Queue(`SELECT set_config('synchronous_commit', 'off', true)`)
	}
	for i, j := range batch {
		c, args, err := statement(j.n)
		if err != nil {
			return nil, err
		}
		results[i].c = c
		pb.Queue(createSQL, args...)
	}
	conn, err := b.s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("feedback: store items: %w", err)
	}
	defer conn.Close()
	ids := make([]*int64, len(batch))
	err = conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("feedback: store items: connection is a %T, not pgx's", dc)
		}
		br := sc.Conn().SendBatch(ctx, &pb)
		if b.s.opts.RelaxedDurability {
			if _, err := br.Exec(); err != nil {
				br.Close()
				return err
			}
		}
		for i := range batch {
			if err := br.QueryRow().Scan(&ids[i]); err != nil {
				br.Close()
				return err
			}
		}
		// Close reads up to the Sync's answer, which PostgreSQL sends
		// once the transaction is committed.
		return br.Close()
	})
	if err != nil {
		return nil, fmt.Errorf("feedback: store items: %w", err)
	}
	for i, j := range batch {
		if ids[i] == nil {
			// The key was recorded earlier, or earlier in this batch:
			// either way committed now.
			results[i].c, results[i].err = b.s.replay(ctx, b.s.db, j.n.IdempotencyKey, j.n.RequestHash)
			continue
		}
		results[i].c.ItemID = *ids[i]
	}
	return results, nil
}
