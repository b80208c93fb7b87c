package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mattranso/mattranso/corpus"
)

// A run reads its sources more than once rather than holding them: a
// library of a million passages is some 20 GB of documents in memory.
//
//  1. The first reading keeps, of each law, a skeleton — its names, number
//     and first three articles, all that tells two copies of one law
//     apart — and of each procedure its code. From them it groups the
//     copies of one law (groupLaws), resolves each law's id against the
//     store as it was before the run, and knows which line of a
//     procedure is its last (the newer crawl).
//  2. The second reading indexes the laws as they come: a law read once
//     at once, the copies of one law when its last copy is read.
//  3. The third indexes each procedure at its last line.
//
// Documents are held only in the batch being indexed and while the other
// copies of their law are still to come; what the run stores and indexes
// is what reading everything first gave.

// lawSkeleton is what the first reading keeps of a law.
type lawSkeleton struct {
	doc             *corpus.Document // without its text beyond the first three articles
	articles, runes int              // the size of the whole text (lawSize)
}

func skeletonOf(d *corpus.Document) lawSkeleton {
	arts := d.Articles()
	s := *d
	s.Nodes = make([]corpus.Node, 0, 3)
	for _, a := range arts[:min(3, len(arts))] {
		s.Nodes = append(s.Nodes, *a)
	}
	n, runes := lawSize(d)
	return lawSkeleton{&s, n, runes}
}

// lawGroup is one law of the run and the copies it is merged from.
type lawGroup struct {
	members []int // positions of the copies in reading order
	id      string
	drop    bool               // its id is another's of this run
	got     []*corpus.Document // the copies read so far, by their place in members
	left    int
}

// pipeline indexes and stores documents in batches as the readings hand
// them over.
type pipeline struct {
	ctx    context.Context
	o      Options
	sum    *Summary
	hashes map[string]string
	bar    progress
	batch  []*corpus.Document
	held   int // documents read and not yet indexed or let go
}

func (p *pipeline) hold(n int) {
	p.held += n
	if p.o.observeHeld != nil {
		p.o.observeHeld(p.held)
	}
}

// put takes a document of the run: unchanged ones are counted, the others
// indexed and stored with the next full batch.
func (p *pipeline) put(d *corpus.Document) error {
	d.Hash = d.ComputeHash()
	old, ok := p.hashes[d.ID]
	switch {
	case ok && old == d.Hash:
		p.sum.Unchanged++
		p.bar.Add(1)
		p.hold(-1)
		return nil
	case ok:
		p.sum.Updated++
	default:
		p.sum.Added++
	}
	p.batch = append(p.batch, d)
	if len(p.batch) >= p.o.BatchSize {
		return p.flush()
	}
	return nil
}

func (p *pipeline) flush() error {
	if len(p.batch) == 0 {
		return nil
	}
	if err := p.o.Index.Index(p.ctx, p.batch...); err != nil {
		return err
	}
	for _, d := range p.batch {
		d.UpdatedAt = time.Now().UTC()
		if err := p.o.Store.Put(p.ctx, d); err != nil {
			return err
		}
		p.sum.Written = append(p.sum.Written, d.ID)
	}
	p.bar.Add(len(p.batch))
	p.hold(-len(p.batch))
	clear(p.batch)
	p.batch = p.batch[:0]
	return nil
}

var errSourcesChanged = errors.New("ingest: the sources changed while they were read; run again")

// stream reads o.Sources three times (see above) and brings the store and
// the index up to date.
func stream(ctx context.Context, o Options, sum *Summary) error {
	// 1. Skeletons of the laws, the procedures' lines.
	var skeletons []lawSkeleton
	lines := map[string]int{} // a procedure's lines
	var procOrder []string    // procedures by their first line
	r := &reader{logger: o.Logger, crawl: o.Crawl,
		onLaw: func(d *corpus.Document) { skeletons = append(skeletons, skeletonOf(d)) },
		onProcedure: func(d *corpus.Document) {
			if lines[d.ID] == 0 {
				procOrder = append(procOrder, d.ID)
			}
			lines[d.ID]++
		},
	}
	for _, src := range o.Sources {
		if err := r.read(ctx, src); err != nil {
			return err
		}
	}
	sum.Rejected, sum.CrawlFailures, sum.Skipped = r.rejected, r.crawlFailures, r.skipped

	skel := make([]*corpus.Document, len(skeletons))
	sizes := map[*corpus.Document][2]int{}
	for i, s := range skeletons {
		skel[i] = s.doc
		sizes[s.doc] = [2]int{s.articles, s.runes}
	}
	skelSize := func(d *corpus.Document) (int, int) { s := sizes[d]; return s[0], s[1] }
	var groups []*lawGroup
	groupOf := make([]*lawGroup, len(skel))
	seen := map[string]bool{}
	for _, members := range groupLaws(skel) {
		docs := make([]*corpus.Document, len(members))
		for i, j := range members {
			docs[i] = skel[j]
		}
		merged := mergeGroup(docs, skelSize)
		id, err := resolveID(ctx, o.Store, merged)
		if err != nil {
			return err
		}
		g := &lawGroup{members: members, id: id, left: len(members)}
		if seen[id] {
			// Two different laws resolved to one id (e.g. two versions
			// of a law that share a name): keep the first.
			o.Logger.Warn("ingest: duplicate document id, keeping the first", "id", id, "title", merged.Title)
			g.drop = true
		}
		seen[id] = true
		groups = append(groups, g)
		for _, j := range members {
			groupOf[j] = g
		}
	}
	skeletons, skel, sizes = nil, nil, nil
	kept := 0
	for _, g := range groups {
		if !g.drop {
			kept++
		}
	}
	dropProc := map[string]bool{}
	for _, id := range procOrder {
		if seen[id] {
			o.Logger.Warn("ingest: duplicate document id, keeping the first", "id", id)
			dropProc[id] = true
			continue
		}
		seen[id] = true
		kept++
	}
	sum.Laws, sum.Procedures = len(groups), len(procOrder)
	procOrder, seen = nil, nil
	// The first reading of a large library takes minutes with nothing
	// indexed yet: a line in the log says it has ended.
	o.Logger.Info("ingest: sources read; indexing the documents that changed", "laws", sum.Laws, "procedures", sum.Procedures)

	hashes, err := o.Store.Hashes(ctx, "")
	if err != nil {
		return err
	}
	p := &pipeline{ctx: ctx, o: o, sum: sum, hashes: hashes, bar: newProgress(o.Progress, kept)}
	defer p.bar.Finish()

	// 2. The laws.
	n := 0
	r2 := &reader{logger: o.Logger, crawl: o.Crawl, kinds: map[corpus.Kind]bool{corpus.KindLaw: true}, quiet: true, crawled: r.crawled}
	r2.onLaw = func(d *corpus.Document) {
		p.hold(1)
		if n >= len(groupOf) {
			r2.err = errSourcesChanged
			return
		}
		g := groupOf[n]
		place := 0
		for place < len(g.members) && g.members[place] != n {
			place++
		}
		n++
		if g.drop {
			p.hold(-1)
			return
		}
		if g.got == nil {
			g.got = make([]*corpus.Document, len(g.members))
		}
		g.got[place] = d
		if g.left--; g.left > 0 {
			return
		}
		merged := mergeGroup(g.got, lawSize)
		g.got = nil
		p.hold(1 - len(g.members))
		merged.ID = g.id
		r2.err = p.put(merged)
	}
	for _, src := range o.Sources {
		if err := r2.read(ctx, src); err != nil {
			return err
		}
	}
	if r2.err != nil {
		return r2.err
	}
	if n != len(groupOf) {
		return errSourcesChanged
	}

	// 3. The procedures, each at its last line.
	r3 := &reader{logger: o.Logger, crawl: o.Crawl, kinds: map[corpus.Kind]bool{corpus.KindProcedure: true}, quiet: true, crawled: r.crawled}
	r3.onProcedure = func(d *corpus.Document) {
		p.hold(1)
		left, ok := lines[d.ID]
		if !ok {
			r3.err = errSourcesChanged
			return
		}
		lines[d.ID] = left - 1
		if left > 1 {
			p.hold(-1)
			return
		}
		delete(lines, d.ID)
		if dropProc[d.ID] {
			p.hold(-1)
			return
		}
		r3.err = p.put(d)
	}
	for _, src := range o.Sources {
		if err := r3.read(ctx, src); err != nil {
			return err
		}
	}
	if r3.err != nil {
		return r3.err
	}
	if len(lines) != 0 {
		return fmt.Errorf("%w (%d procedures not read again)", errSourcesChanged, len(lines))
	}
	return p.flush()
}
