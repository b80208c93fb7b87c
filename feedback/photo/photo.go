// Package photo owns what happens to a citizen's photo between the upload
// and the store: it decides by content whether the bytes are a JPEG, PNG or
// WebP image, refuses anything else, anything too large and anything whose
// structure does not hold together, and returns a clean copy with a
// thumbnail.
//
// A phone's photo carries EXIF (with the GPS position of where it was
// taken, often the citizen's home), XMP, IPTC, comments, PNG text chunks,
// and bytes after the image's end can hide anything at all. The clean copy
// is the file taken apart into its segments or chunks and put together
// again with only those that make the picture: the image data is the
// sender's byte for byte, so nothing is lost to a second lossy encoding and
// no pixel has to be decoded or encoded, which was most of the cost of a
// submission with a photo. Everything else is left out, on a list of what
// is kept rather than of what is dropped, so that a kind of metadata not
// thought of is dropped too. Colour profiles stay (a wide-gamut photo
// would show duller without), and so does the EXIF orientation, alone in
// an EXIF block of its own, so that a photo taken with the phone upright
// shows upright in a browser; the thumbnail is turned here.
package photo

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	_ "image/png" // registers the PNG decoder with image.Decode
	"strings"

	"github.com/disintegration/imaging"
	"golang.org/x/image/draw"
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

// Photo is a photo ready to store: Data is the clean image (image/jpeg,
// image/png or image/webp, as ContentType says) of Width × Height pixels
// as it shows upright; Thumb (of ThumbType) fits within ThumbSize ×
// ThumbSize: a JPEG made from the photo, or the photo itself (the same
// slice) when it fits already.
type Photo struct {
	ContentType string
	Data, Thumb []byte
	ThumbType   string
	Width       int
	Height      int
}

// Process checks data and returns its clean copy and thumbnail, or an
// *Error wrapping ErrType, ErrTooLarge or ErrCorrupt. The clean copy is of
// the same format, its image data byte for byte the sender's. A photo that
// fits the thumbnail's box is its own thumbnail and is not decoded: its
// header and its structure have been read, which is what tells an image
// from something else dressed as one; a larger photo is decoded to make
// the thumbnail, and refused when that fails.
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
	var st stripped
	switch format {
	case "JPEG":
		st, err = stripJPEG(data)
	case "PNG":
		st, err = stripPNG(data)
	default:
		st, err = stripWebP(data)
	}
	if err != nil {
		return Photo{}, corrupt(format, err)
	}
	if st.scans > MaxScans {
		return Photo{}, refuse(ErrTooLarge, nil,
			fmt.Sprintf("Ảnh JPEG có quá nhiều lượt quét: %d, tối đa %d", st.scans, MaxScans),
			fmt.Sprintf("the JPEG image has too many scans: %d, at most %d", st.scans, MaxScans))
	}

	p := Photo{ContentType: "image/" + strings.ToLower(format), Data: st.data, Width: cfg.Width, Height: cfg.Height}
	if st.orientation >= 5 {
		p.Width, p.Height = cfg.Height, cfg.Width
	}
	if cfg.Width <= ThumbSize && cfg.Height <= ThumbSize {
		// The photo is its own thumbnail, turned by its EXIF as a browser
		// shows it.
		p.Thumb, p.ThumbType = p.Data, p.ContentType
		return p, nil
	}
	img, _, err := image.Decode(bytes.NewReader(st.data))
	if err != nil {
		return Photo{}, corrupt(format, err)
	}
	var tbuf bytes.Buffer
	if err := jpeg.Encode(&tbuf, thumbnail(img, st.orientation), &jpeg.Options{Quality: thumbQuality}); err != nil {
		return Photo{}, fmt.Errorf("photo: encode thumbnail: %w", err)
	}
	p.Thumb, p.ThumbType = tbuf.Bytes(), "image/jpeg"
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

// thumbnail scales img down to fit a ThumbSize square, a side never
// below a pixel however long and thin the photo, turns it upright by the
// EXIF orientation o, and lays what is transparent on white, JPEG having
// no transparency (the encoder would show it in whatever colour it holds,
// usually black). Bilinear sampling of four source pixels per pixel of the
// thumbnail costs little whatever the photo's size, where a filter over
// every source pixel costs as much as decoding it again; a thumbnail is
// small enough that the difference hardly shows.
func thumbnail(img image.Image, o int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	tw, th := w, h
	switch {
	case w <= ThumbSize && h <= ThumbSize:
	case w >= h:
		tw, th = ThumbSize, max(1, (h*ThumbSize+w/2)/w)
	default:
		tw, th = max(1, (w*ThumbSize+h/2)/h), ThumbSize
	}
	dst := image.NewRGBA(image.Rect(0, 0, tw, th))
	op := draw.Src
	switch img.(type) {
	case *image.YCbCr, *image.Gray, *image.CMYK:
	default:
		draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
		op = draw.Over
	}
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, op, nil)
	return upright(dst, o)
}

// upright turns and flips img as the EXIF orientation o says.
func upright(img *image.RGBA, o int) image.Image {
	var out *image.NRGBA
	switch o {
	case 2:
		out = imaging.FlipH(img)
	case 3:
		out = imaging.Rotate180(img)
	case 4:
		out = imaging.FlipV(img)
	case 5:
		out = imaging.Transpose(img)
	case 6:
		out = imaging.Rotate270(img)
	case 7:
		out = imaging.Transverse(img)
	case 8:
		out = imaging.Rotate90(img)
	default:
		return img
	}
	// Opaque, so the same bytes as an *image.RGBA, which the JPEG encoder
	// reads without an allocation a pixel.
	return &image.RGBA{Pix: out.Pix, Stride: out.Stride, Rect: out.Rect}
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
