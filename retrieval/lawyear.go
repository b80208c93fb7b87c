package retrieval

import "slices"

// A question that names a law with its year ("Theo Bộ luật Dân sự 2015,
// …") tells which law, and which version of it, it asks about
// (corpus.LawYearsIn). The re-ranker reads this as two features: the
// question gives a law a year that one of the law's names holds, or it
// gives years and the law's names hold others.

// lawYears returns the years of a law's names (title, aliases, number);
// nil for a document that is not a law or names no year.
func (k *Keyword) lawYears(docID string) []int {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.titles[docID].Years
}

// yearFeatures compares the years a question names with a law's: same is
// 1 when they share one, other is 1 when both name years and share none.
func yearFeatures(asked, law []int) (same, other float64) {
	if len(asked) == 0 || len(law) == 0 {
		return 0, 0
	}
	for _, y := range law {
		if slices.Contains(asked, y) {
			return 1, 0
		}
	}
	return 0, 1
}
