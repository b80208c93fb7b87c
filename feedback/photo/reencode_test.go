package photo

import (
	"bytes"
	"image"
	"image/color"
	stddraw "image/draw"
	"image/jpeg"
	"image/png"

	"github.com/disintegration/imaging"
)

// reencode is how Process made a clean copy before it learnt to strip
// metadata: every photo decoded, turned upright, encoded again (JPEG at
// quality 85, PNG as PNG, WebP as JPEG), and its thumbnail scaled with
// CatmullRom. It is kept for BenchmarkProcess to weigh the two in one run;
// the checks before the decoding are the same and are left out.
func reencode(data []byte) (Photo, error) {
	img, err := imaging.Decode(bytes.NewReader(data), imaging.AutoOrientation(true))
	if err != nil {
		return Photo{}, err
	}
	var p Photo
	var buf bytes.Buffer
	if bytes.HasPrefix(data, []byte("\x89PNG")) {
		p.ContentType = "image/png"
		err = png.Encode(&buf, img)
	} else {
		p.ContentType = "image/jpeg"
		err = jpeg.Encode(&buf, reencodeForJPEG(img), &jpeg.Options{Quality: 85})
	}
	if err != nil {
		return Photo{}, err
	}
	p.Data = buf.Bytes()
	b := img.Bounds()
	p.Width, p.Height = b.Dx(), b.Dy()
	thumb := img
	if w, h := b.Dx(), b.Dy(); w > ThumbSize || h > ThumbSize {
		if w >= h {
			thumb = imaging.Resize(img, ThumbSize, max(1, (h*ThumbSize+w/2)/w), imaging.CatmullRom)
		} else {
			thumb = imaging.Resize(img, max(1, (w*ThumbSize+h/2)/h), ThumbSize, imaging.CatmullRom)
		}
	}
	var tbuf bytes.Buffer
	if err := jpeg.Encode(&tbuf, reencodeForJPEG(thumb), &jpeg.Options{Quality: thumbQuality}); err != nil {
		return Photo{}, err
	}
	p.Thumb, p.ThumbType = tbuf.Bytes(), "image/jpeg"
	return p, nil
}

func reencodeForJPEG(img image.Image) image.Image {
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
	stddraw.Draw(dst, b, image.NewUniform(color.White), image.Point{}, stddraw.Src)
	stddraw.Draw(dst, b, img, b.Min, stddraw.Over)
	return dst
}
