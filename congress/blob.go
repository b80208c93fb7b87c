package congress

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/feedback/photo"
	"github.com/mattranso/mattranso/store"
)

// Limits of attachments.
const (
	// MaxResolution is the most a resolution PDF may weigh.
	MaxResolution = 10 << 20
	// MaxAttachments is how many files one congress may carry.
	MaxAttachments = 20
	// MaxFileName bounds an attachment's name, in characters.
	MaxFileName = 200
)

// File is an attachment as sent, before it is checked.
type File struct {
	Kind AttachmentKind
	Name string
	Data []byte
}

// ParseKind reads an attachment kind.
func ParseKind(s string) (AttachmentKind, error) {
	switch k := AttachmentKind(strings.ToLower(strings.TrimSpace(s))); k {
	case Resolution, Photo:
		return k, nil
	}
	return "", invalid("kind", fmt.Sprintf("Loại tệp %q không hợp lệ: cần resolution (nghị quyết, PDF) hoặc photo (ảnh)", s),
		"kind must be resolution or photo")
}

// clean checks f and returns what is stored: a resolution must be a PDF
// of at most MaxResolution; a photo goes through feedback/photo's
// Process (checked by content, stripped of its metadata, a thumbnail).
func (f File) clean() (name, contentType string, data, thumb []byte, err error) {
	name = strings.TrimSpace(f.Name)
	if name == "" {
		name = string(f.Kind)
	}
	if name, err = corpus.CleanName("tên tệp", name, MaxFileName); err != nil {
		return "", "", nil, nil, nameError("name", err)
	}
	switch f.Kind {
	case Resolution:
		if len(f.Data) > MaxResolution {
			return "", "", nil, nil, &FieldError{Field: "file", Message: fmt.Sprintf("Tệp quá lớn: %d byte, tối đa %d MiB (the file is too large).",
				len(f.Data), MaxResolution>>20)}
		}
		if !bytes.HasPrefix(f.Data, []byte("%PDF-")) || http.DetectContentType(f.Data) != "application/pdf" {
			return "", "", nil, nil, invalid("file", "Nghị quyết phải là tệp PDF", "a resolution must be a PDF")
		}
		return name, "application/pdf", f.Data, nil, nil
	case Photo:
		p, err := photo.Process(f.Data)
		if err != nil {
			var pe *photo.Error
			if errors.As(err, &pe) {
				return "", "", nil, nil, &FieldError{Field: "file", Message: pe.Message}
			}
			return "", "", nil, nil, err
		}
		return name, p.ContentType, p.Data, p.Thumb, nil
	}
	_, err = ParseKind(string(f.Kind))
	return "", "", nil, nil, err
}

// TooLarge reports whether err refuses a file for its size.
func TooLarge(err error) bool {
	var fe *FieldError
	return errors.Is(err, photo.ErrTooLarge) || (errors.As(err, &fe) && fe.Field == "file" && strings.HasPrefix(fe.Message, "Tệp quá lớn"))
}

// change applies edit to the congress of territory in term and writes
// the result with a history row, as Put does.
func (s *Store) change(ctx context.Context, term, territory, actor string, edit func(tx querier, prev Congress) (Congress, string, error)) (Congress, error) {
	if err := s.CheckTerm(term); err != nil {
		return Congress{}, err
	}
	t, err := s.place(ctx, territory)
	if err != nil {
		return Congress{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Congress{}, err
	}
	defer tx.Rollback()
	if s.db.Dialect == store.Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7316001)`); err != nil {
			return Congress{}, fmt.Errorf("congress: lock: %w", err)
		}
	}
	prev, _, err := s.read(ctx, tx, term, t)
	if err != nil {
		return Congress{}, err
	}
	next, reason, err := edit(tx, prev)
	if err != nil {
		return Congress{}, err
	}
	next.Term, next.Territory, next.Province, next.Level = term, t.Code, provinceOf(t), t.Level
	next.Version = prev.Version + 1
	next.UpdatedAt, next.UpdatedBy = s.now().UTC(), actor
	ch, err := s.write(ctx, tx, next, prev.Version, actor, reason)
	if err != nil {
		return Congress{}, err
	}
	if err := tx.Commit(); err != nil {
		return Congress{}, fmt.Errorf("congress: commit: %w", err)
	}
	s.announce([]Change{ch})
	finish(&next, t)
	return next, nil
}

// AddAttachment checks f, stores its bytes in the blob table and adds it
// to the congress's attachments, as one write.
func (s *Store) AddAttachment(ctx context.Context, term, territory string, f File, actor string) (Congress, Attachment, error) {
	name, ct, data, thumb, err := f.clean()
	if err != nil {
		return Congress{}, Attachment{}, err
	}
	var a Attachment
	c, err := s.change(ctx, term, territory, actor, func(tx querier, prev Congress) (Congress, string, error) {
		if len(prev.Attachments) >= MaxAttachments {
			return Congress{}, "", invalid("file", fmt.Sprintf("Mỗi đại hội có nhiều nhất %d tệp đính kèm", MaxAttachments),
				fmt.Sprintf("at most %d attachments", MaxAttachments))
		}
		now := s.now().UTC()
		err := tx.QueryRowContext(ctx, `INSERT INTO congress_blobs (term, territory, content_type, data, thumb, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, term, territory, ct, data, thumb, now.Format(timeLayout)).Scan(&a.ID)
		if err != nil {
			return Congress{}, "", fmt.Errorf("congress: store attachment: %w", err)
		}
		a.Kind, a.Name, a.ContentType, a.Size, a.AddedAt = f.Kind, name, ct, len(data), now
		prev.Attachments = append(slices.Clone(prev.Attachments), a)
		return prev, "attach " + string(f.Kind) + " " + name, nil
	})
	if err != nil {
		return Congress{}, Attachment{}, err
	}
	return c, a, nil
}

// RemoveAttachment takes attachment id off the congress and deletes its
// bytes, as one write.
func (s *Store) RemoveAttachment(ctx context.Context, term, territory string, id int64, actor string) (Congress, error) {
	return s.change(ctx, term, territory, actor, func(tx querier, prev Congress) (Congress, string, error) {
		i := slices.IndexFunc(prev.Attachments, func(a Attachment) bool { return a.ID == id })
		if i < 0 {
			return Congress{}, "", fmt.Errorf("%w: attachment %d of %s", ErrNotFound, id, territory)
		}
		gone := prev.Attachments[i]
		if _, err := tx.ExecContext(ctx, `DELETE FROM congress_blobs WHERE id = $1 AND term = $2 AND territory = $3`, id, term, territory); err != nil {
			return Congress{}, "", fmt.Errorf("congress: delete attachment: %w", err)
		}
		prev.Attachments = slices.Delete(slices.Clone(prev.Attachments), i, i+1)
		return prev, "detach " + string(gone.Kind) + " " + gone.Name, nil
	})
}

// Blob returns an attachment's bytes (its thumbnail with thumb, for a
// photo) and content type.
func (s *Store) Blob(ctx context.Context, term, territory string, id int64, thumb bool) (string, []byte, error) {
	var ct string
	var data, small []byte
	err := s.db.QueryRowContext(ctx, `SELECT content_type, data, thumb FROM congress_blobs WHERE id = $1 AND term = $2 AND territory = $3`,
		id, term, territory).Scan(&ct, &data, &small)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, fmt.Errorf("%w: attachment %d of %s", ErrNotFound, id, territory)
	}
	if err != nil {
		return "", nil, fmt.Errorf("congress: read attachment %d: %w", id, err)
	}
	if thumb {
		if small == nil {
			return "", nil, fmt.Errorf("%w: no thumbnail of attachment %d", ErrNotFound, id)
		}
		// A JPEG, or for a photo that fits the thumbnail's box the photo
		// itself, whichever of the three formats it is.
		return http.DetectContentType(small), small, nil
	}
	return ct, data, nil
}
