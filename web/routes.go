package web

import (
	"net/http"
	"sort"

	"github.com/gin-gonic/gin"
)

// Route is a registered route, in the net/http pattern syntax modules use.
type Route struct {
	Method  string
	Pattern string
}

// Routes lists the routes of a handler made by New, sorted, so that tests
// can hold every route of the site to the same rules (the bad-input table
// runs against each). Any other handler has none.
func Routes(h http.Handler) []Route {
	e, ok := h.(*gin.Engine)
	if !ok {
		return nil
	}
	var out []Route
	for _, r := range e.Routes() {
		out = append(out, Route{Method: r.Method, Pattern: netPattern(r.Path)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Pattern != out[j].Pattern {
			return out[i].Pattern < out[j].Pattern
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// netPattern turns gin's "/van-ban/:id" and "/f/*path" back into
// "/van-ban/{id}" and "/f/{path...}".
func netPattern(p string) string {
	b := []byte{}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if (c == ':' || c == '*') && (i == 0 || p[i-1] == '/') {
			j := i + 1
			for j < len(p) && p[j] != '/' {
				j++
			}
			b = append(b, '{')
			b = append(b, p[i+1:j]...)
			if c == '*' {
				b = append(b, "..."...)
			}
			b = append(b, '}')
			i = j - 1
			continue
		}
		b = append(b, c)
	}
	return string(b)
}
