package library

import (
	"context"
	"sync"
	"time"

	"github.com/mattranso/mattranso/corpus"
)

// A law's number, year and validity are read from its text as well as its
// fields (corpus.ReadLawFacts), and a law's validity depends on the other
// laws of the library (one that replaces it). Reading every law's text on
// each page would cost a list page a decode of the whole library, so the
// facts are kept per law and read again only for a law whose stored
// version changed.

// lawFactsCache holds the facts of every law of the library.
type lawFactsCache struct {
	mu    sync.Mutex
	byID  map[string]cachedFacts
	order []corpus.LawFacts // completed, by id
	stamp string            // the versions order was completed from
}

type cachedFacts struct {
	updated time.Time
	facts   corpus.LawFacts
}

// lawFacts returns the completed facts of every law of the library, by id
// order, when the documents can be listed; otherwise nil.
func (h *Handler) lawFacts(ctx context.Context) ([]corpus.LawFacts, error) {
	c, ok := h.docs.(Catalogue)
	if !ok {
		return nil, nil
	}
	list, err := c.List(ctx, corpus.ListOptions{Kind: corpus.KindLaw, Limit: MaxCatalogue + 1})
	if err != nil {
		return nil, err
	}
	if len(list) > MaxCatalogue {
		return nil, nil // a crawled library: facts are shown per page from the law alone
	}
	h.facts.mu.Lock()
	defer h.facts.mu.Unlock()
	if h.facts.byID == nil {
		h.facts.byID = map[string]cachedFacts{}
	}
	stamp := ""
	seen := make(map[string]bool, len(list))
	for _, s := range list {
		seen[s.ID] = true
		stamp += s.ID + "@" + s.UpdatedAt.Format(time.RFC3339Nano) + ";"
		if old, ok := h.facts.byID[s.ID]; ok && old.updated.Equal(s.UpdatedAt) {
			continue
		}
		d, err := h.docs.Get(ctx, s.ID)
		if err != nil {
			return nil, err
		}
		h.facts.byID[s.ID] = cachedFacts{updated: s.UpdatedAt, facts: corpus.ReadLawFacts(d)}
	}
	if stamp == h.facts.stamp && h.facts.order != nil {
		return h.facts.order, nil
	}
	for id := range h.facts.byID {
		if !seen[id] {
			delete(h.facts.byID, id)
		}
	}
	order := make([]corpus.LawFacts, 0, len(h.facts.byID))
	for _, cf := range h.facts.byID {
		order = append(order, cf.facts)
	}
	corpus.SortLawFacts(order)
	corpus.CompleteLawFacts(order)
	h.facts.order, h.facts.stamp = order, stamp
	return order, nil
}

// factsOf returns the facts of doc completed by the rest of the library,
// and the library's facts to judge its validity by. When the library
// cannot be read the law's own facts stand alone, and the error is
// logged.
func (h *Handler) factsOf(ctx context.Context, doc *corpus.Document) (corpus.LawFacts, []corpus.LawFacts) {
	all, err := h.lawFacts(ctx)
	if err != nil {
		h.log.ErrorContext(ctx, "library: facts of the library's laws", "err", err)
	}
	for _, f := range all {
		if f.ID == doc.ID {
			return f, all
		}
	}
	own := []corpus.LawFacts{corpus.ReadLawFacts(doc)}
	corpus.CompleteLawFacts(own)
	return own[0], own
}
