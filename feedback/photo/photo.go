// Package photo owns what happens to a citizen's photo between the upload
// and the store: it decides by content whether the bytes are a JPEG, PNG or
// WebP image, refuses anything else, anything too large and anything that
// will not decode, and returns a clean copy with a thumbnail.
//
// The clean copy is decoded and encoded afresh rather than filtered:
// a phone's photo carries EXIF (with the GPS position of where it was
// taken, often the citizen's home), XMP, ICC profiles, comments and PNG
// text chunks, and bytes after the image's end can hide anything at all.
// Only the pixels survive a re-encoding, so nothing else can leak however
// a file hides it. The EXIF orientation is applied first, so that a photo
// taken with the phone upright does not turn up sideways once its EXIF is
// gone. The price: a wide-gamut photo (Display P3) loses its colour
// profile and shows a little duller.
package photo

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"

	"github.com/disintegration/imaging"
	_ "golang.org/x/image/webp" // registers the WebP decoder with image.Decode
)

const (
	// MaxBytes is the most one uploaded photo may weigh.
	MaxBytes = 5 << 20
	// MaxPhotos is how many photos one feedback item may carry.
	MaxPhotos = 5
	// MaxPixels bounds width × height, read from the header before any
	// decoding: a few kilobytes can declare a 20000×20000 image, which
	// would take gigabytes to decode. 50 megapixels covers the largest
	// photos that fit in MaxBytes (a phone's 50-megapixel mode, 8160×6120),
	// which take a few hundred megabytes to decode and encode again.
	MaxPixels = 50_000_000
	// MaxScans bounds the scans of a JPEG. A progressive JPEG is decoded
	// scan by scan, each over the whole image, and a scan can take a few
	// bytes: a small file of thousands of scans is as much work as
	// thousands of images. Cameras write one scan, progressive encoders
	// about ten.
	MaxScans = 100
	// ThumbSize is the box a thumbnail fits in, in pixels.
	ThumbSize = 320

	// Field is the name of the form and API field photos arrive in; it is
	// named in every error.
	Field = "photos"

	jpegQuality  = 85
	thumbQuality = 80
)

// The kinds of refusal; a refusal is an *Error that wraps one of them.
var (
	ErrType     = errors.New("photo: not a JPEG, PNG or WebP image")
	ErrTooLarge = errors.New("photo: too large")
	ErrCorrupt  = errors.New("photo: cannot be decoded")
)

// Error is a refusal of one photo, with a message for the person who sent
// it: Vietnamese first, English after in parentheses ("Ảnh quá lớn: …
// (the photo is too large: …)."). The caller knows which of the photos it
// was and how to answer (a refusal of ErrTooLarge is a 413, say).
type Error struct {
	Field   string // always Field
	Message string
	Err     error // ErrType, ErrTooLarge or ErrCorrupt, possibly wrapping the decoder's error
}

func (e *Error) Error() string { return e.Field + ": " + e.Message }
func (e *Error) Unwrap() error { return e.Err }

func refuse(kind error, cause error, vi, en string) *Error {
	err := kind
	if cause != nil {
		err = fmt.Errorf("%w: %w", kind, cause)
	}
	return &Error{Field: Field, Message: vi + " (" + en + ").", Err: err}
}

// Photo is a photo ready to store: Data is the clean image (image/jpeg or
// image/png, as ContentType says) of Width × Height pixels, upright; Thumb
// is a JPEG that fits within ThumbSize × ThumbSize.
type Photo struct {
	ContentType string
	Data, Thumb []byte
	Width       int
	Height      int
}

// Process checks data and returns its clean copy and thumbnail, or an
// *Error wrapping ErrType, ErrTooLarge or ErrCorrupt. A JPEG stays a JPEG
// and a PNG a PNG (so screenshots stay sharp); a WebP becomes a JPEG, as
// there is no WebP encoder to hand.
func Process(data []byte) (Photo, error) {
	if len(data) > MaxBytes {
		return Photo{}, refuse(ErrTooLarge, nil,
			fmt.Sprintf("Ảnh quá lớn: %s, tối đa %s", megabytes(len(data), ","), megabytes(MaxBytes, ",")),
			fmt.Sprintf("the photo is too large: %s, at most %s", megabytes(len(data), "."), megabytes(MaxBytes, ".")))
	}
	format, err := sniff(data)
	if err != nil {
		return Photo{}, err
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return Photo{}, corrupt(format, err)
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return Photo{}, refuse(ErrTooLarge, nil,
			fmt.Sprintf("Ảnh có quá nhiều điểm ảnh: %d×%d, tối đa %d triệu điểm ảnh", cfg.Width, cfg.Height, MaxPixels/1_000_000),
			fmt.Sprintf("the photo has too many pixels: %d×%d, at most %d megapixels", cfg.Width, cfg.Height, MaxPixels/1_000_000))
	}
	if format == "JPEG" {
		// Entropy-coded data stuffs every 0xFF, so 0xFF 0xDA is a scan's
		// start wherever it appears (or a byte in a metadata segment,
		// which only counts against the sender).
		if n := bytes.Count(data, []byte{0xff, 0xda}); n > MaxScans {
			return Photo{}, refuse(ErrTooLarge, nil,
				fmt.Sprintf("Ảnh JPEG có quá nhiều lượt quét: %d, tối đa %d", n, MaxScans),
				fmt.Sprintf("the JPEG image has too many scans: %d, at most %d", n, MaxScans))
		}
	}
	img, err := imaging.Decode(bytes.NewReader(data), imaging.AutoOrientation(true))
	if err != nil {
		return Photo{}, corrupt(format, err)
	}

	var p Photo
	var buf bytes.Buffer
	if format == "PNG" {
		p.ContentType = "image/png"
		err = png.Encode(&buf, img)
	} else {
		p.ContentType = "image/jpeg"
		err = jpeg.Encode(&buf, forJPEG(img), &jpeg.Options{Quality: jpegQuality})
	}
	if err != nil {
		// The encoders fail only on images the decoders do not make.
		return Photo{}, fmt.Errorf("photo: encode %s: %w", p.ContentType, err)
	}
	p.Data = buf.Bytes()
	b := img.Bounds()
	p.Width, p.Height = b.Dx(), b.Dy()

	var tbuf bytes.Buffer
	if err := jpeg.Encode(&tbuf, forJPEG(thumbnail(img)), &jpeg.Options{Quality: thumbQuality}); err != nil {
		return Photo{}, fmt.Errorf("photo: encode thumbnail: %w", err)
	}
	p.Thumb = tbuf.Bytes()
	return p, nil
}

// sniff names the image format from data's first bytes; the file's name
// and declared type say nothing trustworthy.
func sniff(data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return "JPEG", nil
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "PNG", nil
	case len(data) >= 16 && string(data[:4]) == "RIFF" && string(data[8:15]) == "WEBPVP8":
		// The VP8X header's flags say whether the file is animated, which
		// the decoder does not handle: better said plainly than as damage.
		if data[15] == 'X' && len(data) > 20 && data[20]&0x02 != 0 {
			return "", refuse(ErrType, nil,
				"Ảnh WebP động không được nhận: hãy gửi ảnh tĩnh JPEG, PNG hoặc WebP",
				"animated WebP is not accepted: send a still JPEG, PNG or WebP image")
		}
		return "WebP", nil
	case len(data) == 0:
		return "", refuse(ErrType, nil, "Tệp ảnh trống", "the photo file is empty")
	}
	return "", refuse(ErrType, nil,
		"Tệp gửi lên không phải ảnh JPEG, PNG hoặc WebP",
		"the file is not a JPEG, PNG or WebP image")
}

func corrupt(format string, cause error) *Error {
	return refuse(ErrCorrupt, cause,
		fmt.Sprintf("Ảnh %s bị hỏng hoặc không đầy đủ, không đọc được", format),
		fmt.Sprintf("the %s image is damaged or incomplete and cannot be read", format))
}

// thumbnail scales img down, never up, to fit a ThumbSize square; a side
// never shrinks below a pixel, however long and thin the photo.
func thumbnail(img image.Image) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= ThumbSize && h <= ThumbSize {
		return img
	}
	if w >= h {
		return imaging.Resize(img, ThumbSize, max(1, (h*ThumbSize+w/2)/w), imaging.CatmullRom)
	}
	return imaging.Resize(img, max(1, (w*ThumbSize+h/2)/h), ThumbSize, imaging.CatmullRom)
}

// forJPEG returns img in a form the JPEG encoder takes well. JPEG has no
// alpha, so transparent parts are laid on white; the encoder would show
// them in whatever colour they hold, usually black. And the encoder reads
// all but *image.YCbCr, *image.Gray and *image.RGBA pixel by pixel through
// an interface, an allocation each; an opaque *image.NRGBA, which imaging
// makes when it turns or scales, has the same bytes as an *image.RGBA.
func forJPEG(img image.Image) image.Image {
	switch m := img.(type) {
	case *image.YCbCr, *image.Gray:
		return m
	case *image.NRGBA:
		if m.Opaque() {
			return &image.RGBA{Pix: m.Pix, Stride: m.Stride, Rect: m.Rect}
		}
	}
	b := img.Bounds()
	dst := image.NewRGBA(b)
	draw.Draw(dst, b, image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(dst, b, img, b.Min, draw.Over)
	return dst
}

// megabytes writes n bytes in MB (2^20) with one decimal unless whole,
// rounded up so that a size over a limit never reads as the limit, and
// with the decimal mark of the language: "5,1 MB" or "5.1 MB".
func megabytes(n int, mark string) string {
	tenths := (n*10 + 1<<20 - 1) >> 20
	if tenths%10 == 0 {
		return fmt.Sprintf("%d MB", tenths/10)
	}
	return fmt.Sprintf("%d%s%d MB", tenths/10, mark, tenths%10)
}
