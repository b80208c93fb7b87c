package photo

// Builders of the images the tests feed to Process, every byte made here:
// photos from the standard encoders, then the metadata a phone adds
// (EXIF with GPS, XMP, comments, PNG text chunks) spliced in by hand, and
// a lossless WebP written bit by bit, there being no WebP encoder to hand.

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"testing"
)

// photoLike is a w×h image with gradients and grain, so that it
// compresses about as a photo does.
func photoLike(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	for y := range h {
		for x := range w {
			grain := rng.IntN(24)
			img.SetNRGBA(x, y, color.NRGBA{
				R: uint8((x*200/w + grain) % 256),
				G: uint8((y*200/h + grain) % 256),
				B: uint8(((x+y)*100/(w+h) + 80 + grain) % 256),
				A: 255,
			})
		}
	}
	return img
}

// halves is a w×h image whose left half is left and right half right.
func halves(w, h int, left, right color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := left
			if x >= w/2 {
				c = right
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withSegments returns the JPEG j with segments inserted right after its
// start-of-image marker, where cameras put theirs.
func withSegments(j []byte, segs ...[]byte) []byte {
	out := append([]byte{}, j[:2]...)
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, j[2:]...)
}

// segment is a JPEG marker segment: 0xFF, marker, length, payload.
func segment(marker byte, payload []byte) []byte {
	s := []byte{0xff, marker}
	s = binary.BigEndian.AppendUint16(s, uint16(len(payload)+2))
	return append(s, payload...)
}

// HCMC's People's Committee, as an EXIF GPS position would give it:
// 10°46'30.12"N 106°42'3.24"E.
var (
	latitude  = [3][2]uint32{{10, 1}, {46, 1}, {3012, 100}}
	longitude = [3][2]uint32{{106, 1}, {42, 1}, {324, 100}}
)

// rationalBytes is how latitude or longitude lies in a big-endian EXIF
// block: what must not survive Process.
func rationalBytes(r [3][2]uint32) []byte {
	var b []byte
	for _, v := range r {
		b = binary.BigEndian.AppendUint32(b, v[0])
		b = binary.BigEndian.AppendUint32(b, v[1])
	}
	return b
}

// exifAPP1 is an APP1 segment with a big-endian EXIF block: IFD0 holds the
// orientation (when not 0) and points to a GPS IFD with the version,
// latitude, longitude and processing method ("GPS"), as a phone writes it.
func exifAPP1(orientation uint16) []byte {
	type entry struct {
		tag, typ uint16
		count    uint32
		value    []byte // inline when 4 bytes or fewer, else stored after the IFDs
	}
	const (
		typByte, typASCII, typShort, typLong, typRational, typUndefined = 1, 2, 3, 4, 5, 7
		ifd0At                                                          = 8
	)
	be := binary.BigEndian
	var ifd0 []entry
	if orientation != 0 {
		ifd0 = append(ifd0, entry{0x0112, typShort, 1, be.AppendUint16(nil, orientation)})
	}
	ifd0 = append(ifd0, entry{0x8825, typLong, 1, nil}) // GPS IFD offset, set below
	gps := []entry{
		{0x0000, typByte, 4, []byte{2, 3, 0, 0}},
		{0x0001, typASCII, 2, []byte("N\x00")},
		{0x0002, typRational, 3, rationalBytes(latitude)},
		{0x0003, typASCII, 2, []byte("E\x00")},
		{0x0004, typRational, 3, rationalBytes(longitude)},
		{0x001b, typUndefined, 11, []byte("ASCII\x00\x00\x00GPS")},
	}
	ifdSize := func(es []entry) int { return 2 + 12*len(es) + 4 }
	gpsAt := ifd0At + ifdSize(ifd0)
	dataAt := gpsAt + ifdSize(gps)
	ifd0[len(ifd0)-1].value = be.AppendUint32(nil, uint32(gpsAt))

	var data []byte
	writeIFD := func(b []byte, es []entry) []byte {
		b = be.AppendUint16(b, uint16(len(es)))
		for _, e := range es {
			b = be.AppendUint16(b, e.tag)
			b = be.AppendUint16(b, e.typ)
			b = be.AppendUint32(b, e.count)
			if len(e.value) <= 4 {
				b = append(b, e.value...)
				b = append(b, make([]byte, 4-len(e.value))...)
			} else {
				b = be.AppendUint32(b, uint32(dataAt+len(data)))
				data = append(data, e.value...)
			}
		}
		return be.AppendUint32(b, 0) // no next IFD
	}
	tiff := []byte("MM\x00\x2a")
	tiff = be.AppendUint32(tiff, ifd0At)
	tiff = writeIFD(tiff, ifd0)
	tiff = writeIFD(tiff, gps)
	tiff = append(tiff, data...)
	return segment(0xe1, append([]byte("Exif\x00\x00"), tiff...))
}

// xmpAPP1 is an APP1 segment with an XMP packet giving the position again.
func xmpAPP1() []byte {
	return segment(0xe1, []byte("http://ns.adobe.com/xap/1.0/\x00"+
		`<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">`+
		`<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="10,46.502N" exif:GPSLongitude="106,42.054E"/>`+
		`</rdf:RDF></x:xmpmeta>`))
}

// jfifAPP0 is a JFIF header, with a 2×2 thumbnail or without.
func jfifAPP0(thumb bool) []byte {
	p := []byte("JFIF\x00\x01\x02\x01\x00\x48\x00\x48")
	if !thumb {
		return segment(0xe0, append(p, 0, 0))
	}
	p = append(p, 2, 2)
	return segment(0xe0, append(p, bytes.Repeat([]byte{200, 10, 10}, 4)...))
}

// A comment naming a person, as an editing app might leave it.
const commentText = "Nguyen Van An 0903 123 456, 12 Ly Tu Trong"

// jpegMarkers lists the markers of j's segments before its first scan.
func jpegMarkers(t *testing.T, j []byte) []byte {
	t.Helper()
	if !bytes.HasPrefix(j, []byte{0xff, 0xd8}) {
		t.Fatalf("no JPEG start-of-image marker: % x", j[:min(len(j), 4)])
	}
	var markers []byte
	for i := 2; ; {
		if i+4 > len(j) || j[i] != 0xff {
			t.Fatalf("JPEG segments broken at byte %d", i)
		}
		m := j[i+1]
		markers = append(markers, m)
		if m == 0xda {
			return markers
		}
		i += 2 + int(binary.BigEndian.Uint16(j[i+2:]))
	}
}

// pngChunk is a PNG chunk: length, type, data, CRC.
func pngChunk(typ string, data []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(c, typ...)
	c = append(c, data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

// withChunks returns the PNG p with chunks inserted after its IHDR.
func withChunks(p []byte, chunks ...[]byte) []byte {
	const afterIHDR = 8 + 4 + 4 + 13 + 4
	out := append([]byte{}, p[:afterIHDR]...)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return append(out, p[afterIHDR:]...)
}

// pngChunkTypes lists p's chunk types in order.
func pngChunkTypes(t *testing.T, p []byte) []string {
	t.Helper()
	var types []string
	for i := 8; i < len(p); {
		if i+12 > len(p) {
			t.Fatalf("PNG chunks broken at byte %d", i)
		}
		n := int(binary.BigEndian.Uint32(p[i:]))
		types = append(types, string(p[i+4:i+8]))
		i += 12 + n
	}
	return types
}

// pngHeader is a PNG that declares a w×h 8-bit grey image and carries the
// first rows of it, enough that a decoder would set about it.
func pngHeader(t *testing.T, w, h uint32) []byte {
	t.Helper()
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 0, 0, 0, 0) // depth 8, grey, deflate, no filter, no interlace
	rows := encodePNG(t, image.NewGray(image.Rect(0, 0, max(int(w), 1), 4)))
	// The small image's IDAT chunk, whose rows are as wide as the big one's.
	idat := rows[bytes.Index(rows, []byte("IDAT"))-4 : bytes.Index(rows, []byte("IEND"))-4]
	p := []byte("\x89PNG\r\n\x1a\n")
	p = append(p, pngChunk("IHDR", ihdr)...)
	p = append(p, idat...)
	return append(p, pngChunk("IEND", nil)...)
}

// bitWriter writes a bit stream least significant bit first, as VP8L
// reads it.
type bitWriter struct {
	out   []byte
	acc   uint64
	nbits uint
}

func (w *bitWriter) write(v uint64, n uint) {
	w.acc |= v << w.nbits
	w.nbits += n
	for w.nbits >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.nbits -= 8
	}
}

func (w *bitWriter) bytes() []byte {
	if w.nbits > 0 {
		w.out = append(w.out, byte(w.acc))
		w.acc, w.nbits = 0, 0
	}
	return w.out
}

// losslessWebP is a w×h lossless WebP whose left half is opaque green and
// right half fully transparent. It spends one bit on green and one on
// alpha per pixel: no transforms, no colour cache, one prefix-code group
// whose green and alpha codes are "simple" codes of two symbols, 0 and
// 255 (bit 0 picks 0), and whose red, blue and distance codes have the
// single symbol 0, which takes no bits.
func losslessWebP(w, h int) []byte {
	var bw bitWriter
	bw.write(0x2f, 8) // VP8L signature
	bw.write(uint64(w-1), 14)
	bw.write(uint64(h-1), 14)
	bw.write(1, 1) // alpha is used
	bw.write(0, 3) // version 0
	bw.write(0, 1) // no transform
	bw.write(0, 1) // no colour cache
	bw.write(0, 1) // no meta prefix codes: one group for the whole image
	twoSymbols := func() {
		bw.write(1, 1)   // simple code
		bw.write(1, 1)   // of two symbols
		bw.write(1, 1)   // the first written in 8 bits
		bw.write(0, 8)   // symbol 0 (bit 0)
		bw.write(255, 8) // symbol 255 (bit 1)
	}
	oneSymbol := func() {
		bw.write(1, 1) // simple code
		bw.write(0, 1) // of one symbol
		bw.write(0, 1) // written in 1 bit
		bw.write(0, 1) // symbol 0
	}
	twoSymbols() // green (and lengths, cache indices)
	oneSymbol()  // red
	oneSymbol()  // blue
	twoSymbols() // alpha
	oneSymbol()  // distance
	for range h {
		for x := range w {
			if x < w/2 {
				bw.write(1, 1) // green 255
				bw.write(1, 1) // alpha 255
			} else {
				bw.write(0, 1)
				bw.write(0, 1)
			}
		}
	}
	return riff("VP8L", bw.bytes())
}

// riff wraps a chunk in the WebP container.
func riff(fourCC string, payload []byte) []byte {
	chunk := append([]byte(fourCC), binary.LittleEndian.AppendUint32(nil, uint32(len(payload)))...)
	chunk = append(chunk, payload...)
	if len(payload)%2 == 1 {
		chunk = append(chunk, 0)
	}
	out := append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(4+len(chunk)))...)
	out = append(out, "WEBP"...)
	return append(out, chunk...)
}

// animatedWebPHeader is the start of an animated WebP: a VP8X chunk with
// the animation flag and an ANIM chunk.
func animatedWebPHeader() []byte {
	vp8x := []byte{0x02, 0, 0, 0, 99, 0, 0, 99, 0, 0} // animation; canvas 100×100
	anim := append([]byte("ANIM"), binary.LittleEndian.AppendUint32(nil, 6)...)
	anim = append(anim, 255, 255, 255, 255, 0, 0)
	out := riff("VP8X", vp8x)
	out = append(out, anim...)
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out
}
