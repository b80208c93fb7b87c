package library

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
)

// DefaultLimit is how many results a search returns when not told.
const DefaultLimit = 10

// MaxOffset bounds paging: past it a query should be narrowed, not paged.
const MaxOffset = 1000

// SearchResponse is the body of GET /api/v1/library/search.
type SearchResponse struct {
	Results []SearchResult `json:"results"`
	Total   uint64         `json:"total"`
	// Degraded is set when vector search was unavailable and the results
	// come from the keyword index alone; it says why.
	Degraded string `json:"degraded,omitempty"`
}

// SearchResult is one passage found. ID is its document's id and URL the
// library page at the passage's anchor.
type SearchResult struct {
	ID        string      `json:"id"`
	Kind      corpus.Kind `json:"kind"`
	Title     string      `json:"title"`
	Heading   string      `json:"heading"`
	Snippet   string      `json:"snippet"` // HTML: escaped text with <mark>
	Score     float64     `json:"score"`
	URL       string      `json:"url"`
	Anchor    string      `json:"anchor"`
	PassageID string      `json:"passage_id"`
}

// badRequest is a validation failure at the edge.
type badRequest struct {
	code, field, message string
}

func (e *badRequest) Error() string { return e.message }

// queryText checks a query as typed: trimmed, not empty, not too long.
func queryText(q string) (string, *badRequest) {
	// Composed first, so that text typed with combining marks counts the
	// letters a reader sees.
	q = corpus.NFC(strings.TrimSpace(q))
	switch {
	case q == "":
		return "", &badRequest{"empty_query", "q", "Hãy nhập nội dung cần tìm (tham số q đang trống)."}
	case utf8.RuneCountInString(q) > retrieval.MaxQueryLen:
		return "", &badRequest{"query_too_long", "q", fmt.Sprintf(
			"Nội dung tìm kiếm quá dài: tối đa %d ký tự (tham số q có %d).", retrieval.MaxQueryLen, utf8.RuneCountInString(q))}
	}
	return q, nil
}

// intParam reads an optional integer parameter within [lo, hi].
func intParam(r *http.Request, name string, def, lo, hi int) (int, *badRequest) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, &badRequest{"invalid_parameter", name, fmt.Sprintf(
			"Tham số %s không hợp lệ: cần một số nguyên từ %d đến %d, nhận được %q.", name, lo, hi, s)}
	}
	return n, nil
}

// APISearch answers GET /api/v1/library/search?q=&kind=law|procedure&limit=&offset=.
func (h *Handler) APISearch(w http.ResponseWriter, r *http.Request) {
	q, bad := h.searchQuery(r)
	if bad != nil {
		api.WriteError(w, http.StatusBadRequest, bad.code, bad.field, bad.message)
		return
	}
	res, err := h.search.Search(r.Context(), q)
	if err != nil {
		h.apiSearchError(w, r, q, err)
		return
	}
	out := SearchResponse{Results: make([]SearchResult, 0, len(res.Hits)), Total: res.Total, Degraded: res.Degraded}
	for _, hit := range res.Hits {
		out.Results = append(out.Results, SearchResult{
			ID: hit.DocID, Kind: hit.Kind, Title: hit.Title, Heading: hit.Heading,
			Snippet: hit.Snippet, Score: hit.Score, URL: URL(hit.Kind, hit.DocID, hit.Anchor),
			Anchor: hit.Anchor, PassageID: hit.PassageID,
		})
	}
	api.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) searchQuery(r *http.Request) (retrieval.Query, *badRequest) {
	var q retrieval.Query
	text, bad := queryText(r.URL.Query().Get("q"))
	if bad != nil {
		return q, bad
	}
	q.Text = text
	switch k := r.URL.Query().Get("kind"); k {
	case "":
	case string(corpus.KindLaw), string(corpus.KindProcedure):
		q.Kind = corpus.Kind(k)
	default:
		return q, &badRequest{"invalid_parameter", "kind", fmt.Sprintf(
			"Tham số kind không hợp lệ: chỉ nhận %q hoặc %q, nhận được %q.", corpus.KindLaw, corpus.KindProcedure, k)}
	}
	if q.Limit, bad = intParam(r, "limit", DefaultLimit, 1, retrieval.MaxLimit); bad != nil {
		return q, bad
	}
	if q.Offset, bad = intParam(r, "offset", 0, 0, MaxOffset); bad != nil {
		return q, bad
	}
	return q, nil
}

func (h *Handler) apiSearchError(w http.ResponseWriter, r *http.Request, q retrieval.Query, err error) {
	switch {
	case errors.Is(err, retrieval.ErrBadQuery):
		api.WriteError(w, http.StatusBadRequest, "bad_query", "q", "Không tìm được với nội dung này: "+err.Error())
	case clientGone(r, err):
		// Nobody is left to answer.
	default:
		h.log.ErrorContext(r.Context(), "library: search failed", "query", q.Text, "kind", q.Kind, "err", err)
		api.WriteError(w, http.StatusInternalServerError, "internal", "", "Tìm kiếm đang gặp sự cố, vui lòng thử lại sau.")
	}
}

// APIDocument answers GET /api/v1/library/documents/{id} with the document.
func (h *Handler) APIDocument(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	doc, err := h.docs.Get(r.Context(), id)
	switch {
	case err == nil:
		api.WriteJSON(w, http.StatusOK, doc)
	case errors.Is(err, corpus.ErrNotFound):
		api.WriteError(w, http.StatusNotFound, "not_found", "", fmt.Sprintf("Không có văn bản nào mang mã %q.", id))
	case clientGone(r, err):
	default:
		h.log.ErrorContext(r.Context(), "library: get document failed", "id", id, "err", err)
		api.WriteError(w, http.StatusInternalServerError, "internal", "", "Không đọc được văn bản, vui lòng thử lại sau.")
	}
}

func clientGone(r *http.Request, err error) bool {
	return errors.Is(err, context.Canceled) && r.Context().Err() != nil
}
