package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/assistant"
	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/congress"
	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/feedback"
	"github.com/mattranso/mattranso/ingest"
	"github.com/mattranso/mattranso/mail"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/report"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/web"
)

// Migrate applies every domain's migrations to db: what serve does before
// anything else and `mattranso migrate` does alone. Each runs under the
// database's migration lock (store.DB.Migrate), so instances starting at
// once on one database migrate it once. A new domain adds its line here.
func Migrate(ctx context.Context, db *store.DB) error {
	steps := []struct {
		domain string
		run    func(context.Context) error
	}{
		{"corpus", corpus.NewStore(db).Migrate},
		{"ingest", func(ctx context.Context) error { return ingest.Migrate(ctx, db) }},
		{"auth", func(ctx context.Context) error { return auth.Migrate(ctx, db) }},
		{"org", org.NewStore(db).Migrate},
		{"assistant", assistant.NewConversations(db).Migrate},
		{"feedback", feedback.NewStore(db, feedback.StoreOptions{}).Migrate},
		{"mail", func(ctx context.Context) error { return mail.Migrate(ctx, db) }},
		{"congress", congress.NewStore(db, congress.Options{Tree: org.NewStore(db)}).Migrate},
		{"report", func(ctx context.Context) error {
			svc, err := report.NewService(report.Options{DB: db, Tree: org.NewStore(db)})
			if err != nil {
				return err
			}
			return svc.Migrate(ctx)
		}},
	}
	for _, s := range steps {
		if err := s.run(ctx); err != nil {
			return fmt.Errorf("migrate %s: %w", s.domain, err)
		}
	}
	return nil
}

// startIngestWait is how long serve's ingest at start (MATTRANSO_INGEST)
// waits for another instance's: instances started together take turns.
const startIngestWait = time.Hour

// LagLine is /readyz's line on the library: how far the instance's index
// is behind the database.
func LagLine(l ingest.Lag) string {
	listen := "hỏi định kỳ (polling)"
	if l.Listens {
		listen = "nhận thông báo (notified)"
	}
	return fmt.Sprintf("thư viện: chậm %d thay đổi, %.0f giây; đã áp dụng đến #%d, %s (library: %d changes, %.0f s behind; applied up to #%d)",
		l.Changes, l.Behind.Seconds(), l.Applied, listen, l.Changes, l.Behind.Seconds(), l.Applied)
}

// LagCollectors are the follower's gauges for /metrics.
func LagCollectors(f *ingest.Follower) []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "mattranso_library_changes_behind",
			Help: "Changes of the library in the database not yet applied to this instance's index.",
		}, func() float64 { return float64(f.Lag().Changes) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "mattranso_library_seconds_behind",
			Help: "Age of the oldest change of the library not yet applied to this instance's index (0 when none).",
		}, func() float64 { return f.Lag().Behind.Seconds() }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "mattranso_library_applied_seq",
			Help: "The last change of the library applied to this instance's index.",
		}, func() float64 { return float64(f.Lag().Applied) }),
	}
}

// uploadTypes are the Content-Types of a document file: the ingester
// recognises the file by its content, so these only keep forms out.
var uploadTypes = map[string]bool{
	"application/json": true, "application/x-ndjson": true, "application/jsonl": true,
	"text/html": true, "text/plain": true, "application/octet-stream": true,
}

// MaxLibraryUpload bounds a document file sent to the library API.
const MaxLibraryUpload = 64 << 20

// maxLockWait bounds the wait a library write may ask for.
const maxLockWait = 10 * time.Minute

// LibraryWriteModule is the staff API that changes the library through a
// running instance, for those allowed library.write on the central
// committee (RootUnit):
//
//	POST   /api/v1/library/documents        the body is a file the ingester reads (a law dump, a procedure dump, a saved page)
//	DELETE /api/v1/library/documents/{id}   removes a document
//
// Both go through the database and its change log, under the ingest lock,
// so every instance follows; ?wait=30s waits that long for another ingest
// (else 409 at once).
func LibraryWriteModule(lib *Data, log *slog.Logger) web.Module {
	h := &libraryWrite{lib: lib, log: web.RequestLogger(log)}
	return web.Module{
		Name:       "library-write",
		BodyLimits: map[string]int64{"/api/v1/library/documents": MaxLibraryUpload},
		Mount: func(r web.Router, _ *web.Renderer) error {
			r.Handle(http.MethodPost, "/api/v1/library/documents", http.HandlerFunc(h.post))
			r.Handle(http.MethodDelete, "/api/v1/library/documents/{id}", http.HandlerFunc(h.delete))
			return nil
		},
	}
}

type libraryWrite struct {
	lib *Data
	log *slog.Logger
}

// allowed checks library.write, answering the refusal when not.
func (h *libraryWrite) allowed(w http.ResponseWriter, r *http.Request) bool {
	err := auth.Authorize(r, auth.LibraryWrite, auth.RootUnit)
	if err == nil {
		return true
	}
	if errors.Is(err, auth.ErrUnauthenticated) {
		api.WriteError(w, http.StatusUnauthorized, "unauthenticated", "", "Cần đăng nhập để thực hiện thao tác này (sign-in required).")
		return false
	}
	if !errors.Is(err, auth.ErrForbidden) {
		h.log.ErrorContext(r.Context(), "library: permission check failed; refusing", "err", err)
	}
	api.WriteError(w, http.StatusForbidden, "forbidden", "", "Tài khoản của bạn không có quyền sửa thư viện văn bản (library.write tại "+auth.RootUnit+") (not allowed to change the library).")
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

func (h *libraryWrite) busy(w http.ResponseWriter, err error) {
	api.WriteError(w, http.StatusConflict, "ingest_busy", "", err.Error()+". Thử lại sau, hoặc gửi kèm ?wait=2m để chờ (try again later, or send ?wait=2m to wait).")
}

// LibraryWritten is the answer to a document file.
type LibraryWritten struct {
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

func (h *libraryWrite) post(w http.ResponseWriter, r *http.Request) {
	if !h.allowed(w, r) {
		return
	}
	wait, aerr := lockWait(r)
	if aerr != nil {
		api.Fail(w, r, h.log, aerr)
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
		api.Fail(w, r, h.log, err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "upload")
	f, err := os.Create(path)
	if err != nil {
		api.Fail(w, r, h.log, err)
		return
	}
	n, err := io.Copy(f, http.MaxBytesReader(w, r.Body, MaxLibraryUpload))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		api.WriteError(w, http.StatusRequestEntityTooLarge, "too_large", "body", fmt.Sprintf("Tệp quá lớn: tối đa %d MiB (the file is larger than %d MiB).", MaxLibraryUpload>>20, MaxLibraryUpload>>20))
		return
	case err != nil:
		api.Fail(w, r, h.log, err)
		return
	case n == 0:
		api.Fail(w, r, h.log, api.BadRequest("empty_body", "body", "Chưa gửi tệp văn bản nào (send a law dump, procedure dump or saved page as the body)."))
		return
	}
	sum, err := ingest.Run(r.Context(), ingest.Options{DB: h.lib.DB, Store: h.lib.Docs, Index: h.lib.Follower.Indexer(),
		Sources: []string{path}, Logger: h.log, LockWait: wait})
	switch {
	case errors.Is(err, ingest.ErrBusy):
		h.busy(w, err)
		return
	case err != nil && !errors.Is(err, ingest.ErrRejected):
		api.Fail(w, r, h.log, err)
		return
	}
	out := LibraryWritten{Added: sum.Added, Updated: sum.Updated, Unchanged: sum.Unchanged, Written: sum.Written}
	if out.Written == nil {
		out.Written = []string{}
	}
	for _, rj := range sum.Rejected {
		out.Rejected = append(out.Rejected, RejectedRecord{Line: rj.Line, Reason: rj.Reason})
	}
	if sum.Added+sum.Updated+sum.Unchanged == 0 {
		msg := "Không đọc được văn bản nào trong tệp: cần một bản tổng hợp luật (JSON), thủ tục (JSONL) hoặc trang vbpl.vn / thuvienphapluat.vn đã lưu (no document found in the file)."
		if len(sum.Rejected) > 0 {
			msg = fmt.Sprintf("Tệp có %d bản ghi bị từ chối, không văn bản nào được nạp: %s (every record was rejected).", len(sum.Rejected), sum.Rejected[0].Reason)
		}
		api.WriteError(w, http.StatusUnprocessableEntity, "no_documents", "body", msg)
		return
	}
	auth.Audit(r, auth.Event{Action: string(auth.LibraryWrite), Unit: auth.RootUnit, Target: fmt.Sprintf("%d added, %d updated", sum.Added, sum.Updated), Outcome: auth.OutcomeOK})
	api.WriteJSON(w, http.StatusOK, out)
}

func (h *libraryWrite) delete(w http.ResponseWriter, r *http.Request) {
	if !h.allowed(w, r) {
		return
	}
	wait, aerr := lockWait(r)
	if aerr != nil {
		api.Fail(w, r, h.log, aerr)
		return
	}
	id := r.PathValue("id")
	err := ingest.Delete(r.Context(), ingest.DeleteOptions{DB: h.lib.DB, Store: h.lib.Docs, Index: h.lib.Follower.Indexer(), LockWait: wait, Logger: h.log}, id)
	switch {
	case errors.Is(err, ingest.ErrBusy):
		h.busy(w, err)
		return
	case errors.Is(err, corpus.ErrNotFound):
		api.WriteError(w, http.StatusNotFound, "not_found", "id", fmt.Sprintf("Không có văn bản mã %q trong thư viện (no document %q).", id, id))
		return
	case err != nil:
		api.Fail(w, r, h.log, err)
		return
	}
	auth.Audit(r, auth.Event{Action: string(auth.LibraryWrite), Unit: auth.RootUnit, Target: "delete " + id, Outcome: auth.OutcomeOK})
	api.WriteJSON(w, http.StatusOK, map[string]string{"deleted": id})
}
