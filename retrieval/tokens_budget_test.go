package retrieval

import (
	"testing"
)

// Beyond its budget a snapshot keeps no more passages' tokens, and gives
// the same tokens, read again at each use.
func TestTokenCacheWithinBudget(t *testing.T) {
	k := openTest(t)
	m := waitMem(t, k)
	defer func(b int64) { memTokenBudget = b }(memTokenBudget)
	// Room for the first passage's tokens and not the next ones'.
	first := m.words.tokenize(m.docs[0].title, headingName(m.docs[0].heading), m.docs[0].text())
	memTokenBudget = int64(len(first.toks))*8 + 64
	if len(m.docs) < 3 {
		t.Fatalf("the test library has %d passages", len(m.docs))
	}
	for round := 0; round < 2; round++ {
		for row := range m.docs {
			d := &m.docs[row]
			if err := sameTokens(m.tokensOf(uint32(row)), m.words.list(), d.title, headingName(d.heading), d.text()); err != nil {
				t.Errorf("passage %s: %v", d.id, err)
			}
		}
	}
	kept := 0
	for row := range m.docs {
		if m.tokens[row].Load() != nil {
			kept++
		}
	}
	if kept != 1 || m.tokenBytes.Load() > memTokenBudget {
		t.Errorf("%d of %d passages' tokens kept in %d bytes, want the first alone within %d", kept, len(m.docs), m.tokenBytes.Load(), memTokenBudget)
	}
}
