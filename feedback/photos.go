package feedback

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/feedback/photo"
)

// processPhotos checks each photo by its content, strips its metadata (a
// phone's EXIF carries where it was taken) and makes its thumbnail; the
// refusal names photos and which one.
func processPhotos(raw [][]byte) ([]NewPhoto, *api.Error) {
	out := make([]NewPhoto, 0, len(raw))
	for i, data := range raw {
		p, err := photo.Process(data)
		if err != nil {
			return nil, photoError(i+1, err)
		}
		out = append(out, NewPhoto{ContentType: p.ContentType, Data: p.Data, Thumb: p.Thumb,
			ThumbType: p.ThumbType, Width: p.Width, Height: p.Height})
	}
	return out, nil
}

// photoError answers a refused photo: 413 when it is too large, 415 when
// it is no image of the kinds taken, 400 when it does not decode.
func photoError(n int, err error) *api.Error {
	msg := err.Error()
	var pe *photo.Error
	if errors.As(err, &pe) {
		msg = pe.Message
	}
	msg = fmt.Sprintf("Ảnh thứ %d: %s", n, msg)
	switch {
	case errors.Is(err, photo.ErrTooLarge):
		return &api.Error{Status: http.StatusRequestEntityTooLarge, Code: "photo_too_large", Field: "photos", Message: msg}
	case errors.Is(err, photo.ErrType):
		return &api.Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_photo", Field: "photos", Message: msg}
	}
	return api.BadRequest("invalid_photo", "photos", msg)
}
