//go:build !photo

package feedback

import (
	"net/http"

	"github.com/mattranso/mattranso/api"
)

// processPhotos refuses photos until feedback/photo is built in.
func processPhotos(raw [][]byte) ([]NewPhoto, *api.Error) {
	if len(raw) == 0 {
		return nil, nil
	}
	return nil, &api.Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_photo", Field: "photos",
		Message: "Chưa nhận ảnh (photos are not accepted yet)."}
}
