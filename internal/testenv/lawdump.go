package testenv

import (
	"encoding/json"
	"fmt"
	"slices"
)

// LawDump is a law dump as `ingest` reads it (the form of
// ../shared/corpus's laws file): each law of laws, named by its key, with
// its articles' texts as "Điều 1", "Điều 2"…, in the order of order, or
// by name when order is nil.
func LawDump(laws map[string][]string, order []string) []byte {
	type article struct {
		ID   string `json:"id"`
		Text string `json:"text"`
	}
	type law struct {
		ID       string    `json:"id"`
		Articles []article `json:"articles"`
	}
	if order == nil {
		for name := range laws {
			order = append(order, name)
		}
		slices.Sort(order)
	}
	out := make([]law, 0, len(order))
	for _, name := range order {
		l := law{ID: name, Articles: []article{}}
		for i, text := range laws[name] {
			l.Articles = append(l.Articles, article{ID: fmt.Sprintf("Điều %d", i+1), Text: text})
		}
		out = append(out, l)
	}
	b, err := json.Marshal(out)
	if err != nil {
		panic(err) // strings and slices always marshal
	}
	return b
}
