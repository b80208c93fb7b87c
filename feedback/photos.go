//go:build photo

package feedback

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/feedback/photo"
)

// processPhotos checks each photo by its content, re-encodes it without
// its metadata (a phone's EXIF carries where it was taken) and makes its
// thumbnail; the refusal names photos and which one.
func processPhotos(raw [][]byte) ([]NewPhoto, *api.Error) {
	out := make([]NewPhoto, 0, len(raw))
	for i, data := range raw {
		p, err := photo.Process(data)
		if err != nil {
			return nil, photoError(i+1, err)
		}
		out = append(out, NewPhoto{ContentType: p.ContentType, Data: p.Data, Thumb: p.Thumb,
			ThumbType: http.DetectContentType(p.Thumb), Width: p.Width, Height: p.Height})
	}
	return out, nil
}

func photoError(n int, err error) *api.Error {
	switch {
	case errors.Is(err, photo.ErrTooLarge):
		return &api.Error{Status: http.StatusRequestEntityTooLarge, Code: "photo_too_large", Field: "photos",
			Message: fmt.Sprintf("Ảnh thứ %d lớn quá %d MB (photo %d is larger than %d MB).", n, MaxPhotoBytes>>20, n, MaxPhotoBytes>>20)}
	case errors.Is(err, photo.ErrType):
		return &api.Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_photo", Field: "photos",
			Message: fmt.Sprintf("Ảnh thứ %d không phải ảnh JPEG, PNG hay WebP (photo %d is not a JPEG, PNG or WebP image).", n, n)}
	}
	return bad("invalid_photo", "photos", fmt.Sprintf("Ảnh thứ %d bị hỏng, không đọc được.", n), fmt.Sprintf("photo %d is damaged", n))
}
