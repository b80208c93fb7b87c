package ingest

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/retrieval"
	"github.com/mattranso/mattranso/store"
)

// The staff API that changes the library through a running instance:
//
//	POST   /api/v1/library/documents        the body is a file the ingester reads (a law dump, a procedure dump, a saved page)
//	DELETE /api/v1/library/documents/{id}   removes a document
//
// Both go through the database and its change log under the ingest lock,
// so every instance follows; ?wait=30s waits that long for another ingest
// to finish, else a running one is answered 409 at once. Both need
// ActionWrite on HTTPOptions.Unit.

// ActionWrite is the permission the API asks (auth's library.write).
const ActionWrite = "library.write"

// DocumentsPath is where document files are posted.
const DocumentsPath = "/api/v1/library/documents"

// MaxUpload bounds a document file sent to the API.
const MaxUpload = 64 << 20

// BodyLimits raise the site's body limit for DocumentsPath (web.Module).
var BodyLimits = map[string]int64{DocumentsPath: MaxUpload}

// maxLockWait bounds the wait a request may ask for.
const maxLockWait = 10 * time.Minute

// Authorizer decides whether the request may do action on unit: nil to
// allow; an error with HTTPStatus() 401 for nobody signed in, any other
// refuses with 403 (auth.Check).
type Authorizer interface {
	Authorize(r *http.Request, action, unit string) error
}

// Auditor records a change in the audit log (auth.AuditLog).
type Auditor interface {
	Audit(r *http.Request, action, unit, target string)
}

// Router is where the API registers its routes (web.Router).
type Router interface {
	Handle(method, pattern string, h http.Handler)
}

// HTTPOptions configure the API; every field but Auditor and Logger is
// required.
type HTTPOptions struct {
	DB         *store.DB
	Store      *corpus.Store
	Index      retrieval.Indexer // this instance's, e.g. Follower.Indexer
	Authorizer Authorizer
	Auditor    Auditor
	// Unit is the unit ActionWrite is asked on: the central committee,
	// the library being national.
	Unit   string
	Logger *slog.Logger
}

// HTTP is the library's write API.
type HTTP struct{ o HTTPOptions }

// NewHTTP returns the API.
func NewHTTP(o HTTPOptions) *HTTP {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &HTTP{o}
}

// Register mounts the routes.
func (h *HTTP) Register(r Router) {
	r.Handle(http.MethodPost, DocumentsPath, http.HandlerFunc(h.post))
	r.Handle(http.MethodDelete, DocumentsPath+"/{id}", http.HandlerFunc(h.delete))
}

// allowed checks ActionWrite, answering the refusal when not.
func (h *HTTP) allowed(w http.ResponseWriter, r *http.Request) bool {
	err := h.o.Authorizer.Authorize(r, ActionWrite, h.o.Unit)
	if err == nil {
		return true
	}
	var hs interface{ HTTPStatus() int }
	if errors.As(err, &hs) && hs.HTTPStatus() == http.StatusUnauthorized {
		api.WriteError(w, http.StatusUnauthorized, "unauthenticated", "", "Cần đăng nhập để thực hiện thao tác này (sign-in required).")
		return false
	}
	if !errors.As(err, &hs) || hs.HTTPStatus() != http.StatusForbidden {
		h.o.Logger.ErrorContext(r.Context(), "library: permission check failed; refusing", "err", err)
	}
	api.WriteError(w, http.StatusForbidden, "forbidden", "",
		fmt.Sprintf("Tài khoản của bạn không có quyền sửa thư viện văn bản (%s tại %s) (not allowed to change the library).", ActionWrite, h.o.Unit))
	return false
}

// lockWait reads ?wait.
func lockWait(r *http.Request) (time.Duration, *api.Error) {
	v := r.URL.Query().Get("wait")
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 || d > maxLockWait {
		return 0, api.BadRequest("invalid_wait", "wait", fmt.Sprintf("Thời gian chờ phải là một khoảng như 30s hoặc 2m, tối đa %s (wait must be a duration up to %s).", maxLockWait, maxLockWait))
	}
	return d, nil
}

func busy(w http.ResponseWriter, err error) {
	api.WriteError(w, http.StatusConflict, "ingest_busy", "",
		err.Error()+". Thử lại sau, hoặc gửi kèm ?wait=2m để chờ (try again later, or send ?wait=2m to wait).")
}

// uploadTypes are the Content-Types of a document file: the ingester
// recognises the file by its content, so these only keep forms out.
var uploadTypes = map[string]bool{
	"application/json": true, "application/x-ndjson": true, "application/jsonl": true,
	"text/html": true, "text/plain": true, "application/octet-stream": true,
}

// Written is the answer to a document file.
type Written struct {
	Added     int              `json:"added"`
	Updated   int              `json:"updated"`
	Unchanged int              `json:"unchanged"`
	Written   []string         `json:"written"` // ids of the documents added or updated
	Rejected  []RejectedRecord `json:"rejected,omitempty"`
}

// RejectedRecord is a record of the file the ingester refused.
type RejectedRecord struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// admit checks that the caller may write the library and reads how long
// to wait for an ingest under way; on false the answer is written.
func (h *HTTP) admit(w http.ResponseWriter, r *http.Request) (time.Duration, bool) {
	if !h.allowed(w, r) {
		return 0, false
	}
	wait, err := lockWait(r)
	if err != nil {
		api.Fail(w, r, h.o.Logger, err)
		return 0, false
	}
	return wait, true
}

func (h *HTTP) post(w http.ResponseWriter, r *http.Request) {
	wait, ok := h.admit(w, r)
	if !ok {
		return
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); !uploadTypes[ct] {
		api.WriteError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type",
			"Gửi tệp văn bản nguyên dạng với Content-Type application/json, application/x-ndjson, text/html hoặc application/octet-stream (send the file as is).")
		return
	}
	// The ingester reads files: the body becomes one, in a directory of
	// its own so that nothing else is read with it.
	dir, err := os.MkdirTemp("", "mattranso-library-")
	if err != nil {
		api.Fail(w, r, h.o.Logger, err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "upload")
	f, err := os.Create(path)
	if err != nil {
		api.Fail(w, r, h.o.Logger, err)
		return
	}
	n, err := io.Copy(f, http.MaxBytesReader(w, r.Body, MaxUpload))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		api.WriteError(w, http.StatusRequestEntityTooLarge, "too_large", "body",
			fmt.Sprintf("Tệp quá lớn: tối đa %d MiB (the file is larger than %d MiB).", MaxUpload>>20, MaxUpload>>20))
		return
	case err != nil:
		api.Fail(w, r, h.o.Logger, err)
		return
	case n == 0:
		api.Fail(w, r, h.o.Logger, api.BadRequest("empty_body", "body", "Chưa gửi tệp văn bản nào (send a law dump, procedure dump or saved page as the body)."))
		return
	}
	sum, err := Run(r.Context(), Options{DB: h.o.DB, Store: h.o.Store, Index: h.o.Index, Sources: []string{path}, Logger: h.o.Logger, LockWait: wait, Once: true})
	switch {
	case errors.Is(err, ErrBusy):
		busy(w, err)
		return
	case err != nil && !errors.Is(err, ErrRejected):
		api.Fail(w, r, h.o.Logger, err)
		return
	}
	out := Written{Added: sum.Added, Updated: sum.Updated, Unchanged: sum.Unchanged, Written: sum.Written}
	if out.Written == nil {
		out.Written = []string{}
	}
	for _, rj := range sum.Rejected {
		out.Rejected = append(out.Rejected, RejectedRecord{Line: rj.Line, Reason: rj.Reason})
	}
	if sum.Added+sum.Updated+sum.Unchanged == 0 {
		msg := "Không đọc được văn bản nào trong tệp: cần một bản tổng hợp luật (JSON), thủ tục (JSONL) hoặc trang vbpl.vn / thuvienphapluat.vn đã lưu (no document found in the file)."
		if len(sum.Rejected) > 0 {
			msg = fmt.Sprintf("Tệp có %d bản ghi bị từ chối, không văn bản nào được nạp; dòng %d: %s (every record was rejected).",
				len(sum.Rejected), sum.Rejected[0].Line, sum.Rejected[0].Reason)
		}
		api.WriteError(w, http.StatusUnprocessableEntity, "no_documents", "body", msg)
		return
	}
	if h.o.Auditor != nil && sum.Added+sum.Updated > 0 {
		h.o.Auditor.Audit(r, ActionWrite, h.o.Unit, fmt.Sprintf("%d added, %d updated", sum.Added, sum.Updated))
	}
	api.WriteJSON(w, http.StatusOK, out)
}

func (h *HTTP) delete(w http.ResponseWriter, r *http.Request) {
	wait, ok := h.admit(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	err := Delete(r.Context(), DeleteOptions{DB: h.o.DB, Store: h.o.Store, Index: h.o.Index, LockWait: wait, Logger: h.o.Logger}, id)
	switch {
	case errors.Is(err, ErrBusy):
		busy(w, err)
		return
	case errors.Is(err, corpus.ErrNotFound):
		api.WriteError(w, http.StatusNotFound, "not_found", "id", fmt.Sprintf("Không có văn bản mã %q trong thư viện (no document %q).", id, id))
		return
	case err != nil:
		api.Fail(w, r, h.o.Logger, err)
		return
	}
	if h.o.Auditor != nil {
		h.o.Auditor.Audit(r, ActionWrite, h.o.Unit, "delete "+id)
	}
	api.WriteJSON(w, http.StatusOK, map[string]string{"deleted": id})
}
