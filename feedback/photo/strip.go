package photo

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// errStructure: the file's segments or chunks do not fit together; the
// caller refuses it as damaged.
var errStructure = errors.New("photo: broken structure")

// stripped is a file with its metadata removed, the image data untouched.
type stripped struct {
	data []byte
	// orientation is the JPEG's EXIF orientation (1 to 8), 1 when it has
	// none; the stripped file keeps it in an EXIF block of its own.
	orientation int
	scans       int // a JPEG's scans
}

// JPEG markers.
const (
	mSOI  = 0xd8
	mEOI  = 0xd9
	mSOS  = 0xda
	mAPP0 = 0xe0
	mAPP1 = 0xe1
	mAPP2 = 0xe2
	mAP14 = 0xee
	mAP15 = 0xef
	mCOM  = 0xfe
	mTEM  = 0x01
	mRST0 = 0xd0
	mRST7 = 0xd7
)

// stripJPEG copies j segment by segment, leaving out what a phone or an
// editor adds about the picture rather than to it: APP1 (EXIF, with the
// GPS position, and XMP), APP13 (IPTC), the other application segments
// and comments, a JFIF header's embedded thumbnail, and anything after the
// end-of-image marker (another picture of a multi-picture file, a depth
// map, or bytes meant to hide). Kept: the JFIF header, the ICC profile
// (APP2 "ICC_PROFILE": how the colours are meant, a description of a
// colour space and nothing of where or by whom), the Adobe segment (APP14,
// which says how the colours are coded), and every segment that the
// decoder needs, with the scans' entropy-coded data byte for byte. The EXIF
// orientation is kept in an EXIF block holding nothing else, so that a
// photo taken with the phone upright still shows upright.
func stripJPEG(j []byte) (stripped, error) {
	s := stripped{orientation: 1}
	if len(j) < 4 || j[0] != 0xff || j[1] != mSOI {
		return s, errStructure
	}
	out := make([]byte, 0, len(j))
	out = append(out, 0xff, mSOI)
	sawExif := false
	for i := 2; ; {
		if i >= len(j) || j[i] != 0xff {
			return s, errStructure
		}
		for i < len(j) && j[i] == 0xff { // fill bytes may precede a marker
			i++
		}
		if i >= len(j) {
			return s, errStructure
		}
		m := j[i]
		i++
		switch {
		case m == mEOI:
			s.data = append(out, 0xff, mEOI)
			return s, nil
		case m == mSOI, m == 0x00, m >= mRST0 && m <= mRST7:
			// A second image start, a stuffed byte or a restart marker
			// outside a scan.
			return s, errStructure
		case m == mTEM:
			out = append(out, 0xff, m)
			continue
		}
		if i+2 > len(j) {
			return s, errStructure
		}
		n := int(binary.BigEndian.Uint16(j[i:]))
		if n < 2 || i+n > len(j) {
			return s, errStructure
		}
		seg, payload := j[i-2:i+n], j[i+2:i+n]
		i += n
		switch {
		case m == mAPP0:
			// The JFIF header is 14 bytes; what follows is a thumbnail.
			if len(payload) >= 14 && bytes.HasPrefix(payload, []byte("JFIF\x00")) {
				out = append(out, 0xff, mAPP0, 0, 16)
				out = append(out, payload[:12]...)
				out = append(out, 0, 0) // no thumbnail
			}
		case m == mAPP1:
			if !sawExif && bytes.HasPrefix(payload, []byte("Exif\x00\x00")) {
				sawExif = true
				if o := exifOrientation(payload[6:]); o > 1 {
					s.orientation = o
					out = append(out, orientationAPP1(o)...)
				}
			}
		case m == mAPP2 && bytes.HasPrefix(payload, []byte("ICC_PROFILE\x00")),
			m == mAP14 && bytes.HasPrefix(payload, []byte("Adobe")):
			out = append(out, seg...)
		case m >= mAPP0 && m <= mAP15, m == mCOM:
			// Dropped.
		case m == mSOS:
			s.scans++
			out = append(out, seg...)
			// The entropy-coded data runs to the next marker: an 0xFF
			// followed by neither a stuffed 0x00, a restart marker nor
			// another 0xFF.
			start := i
			for {
				k := bytes.IndexByte(j[i:], 0xff)
				if k < 0 {
					return s, errStructure // no end-of-image
				}
				i += k
				if i+1 >= len(j) {
					return s, errStructure
				}
				if next := j[i+1]; next == 0x00 || next >= mRST0 && next <= mRST7 {
					i += 2
					continue
				}
				break
			}
			out = append(out, j[start:i]...)
		default:
			out = append(out, seg...)
		}
	}
}

// exifOrientation reads the orientation tag (0x0112) from IFD0 of the TIFF
// block t; 1 when it is missing, out of range or unreadable.
func exifOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return 1
	}
	at := int64(bo.Uint32(t[4:]))
	if at+2 > int64(len(t)) {
		return 1
	}
	n := int64(bo.Uint16(t[at:]))
	for e := at + 2; e+12 <= int64(len(t)) && e < at+2+12*n; e += 12 {
		if bo.Uint16(t[e:]) == 0x0112 && bo.Uint16(t[e+2:]) == 3 && bo.Uint32(t[e+4:]) == 1 {
			if o := int(bo.Uint16(t[e+8:])); o >= 1 && o <= 8 {
				return o
			}
			return 1
		}
	}
	return 1
}

// orientationAPP1 is an APP1 segment whose EXIF block holds the
// orientation o and nothing else.
func orientationAPP1(o int) []byte {
	b := []byte{0xff, mAPP1, 0, 34}
	b = append(b, "Exif\x00\x00MM\x00*\x00\x00\x00\x08"...)
	b = append(b, 0, 1)             // one entry
	b = append(b, 0x01, 0x12, 0, 3) // orientation, SHORT
	b = append(b, 0, 0, 0, 1)       // count 1
	b = append(b, 0, byte(o), 0, 0) // the value, left-justified
	return append(b, 0, 0, 0, 0)    // no next IFD
}

// pngKept are the chunks a PNG keeps: the critical ones, and those that
// say how its pixels' colours and transparency are meant. Dropped with all
// the rest: eXIf, tEXt, zTXt, iTXt (where XMP goes), tIME, pHYs, and the
// chunks of an animation, which leave its first frame.
var pngKept = map[string]bool{
	"IHDR": true, "PLTE": true, "IDAT": true, "IEND": true,
	"tRNS": true, "gAMA": true, "cHRM": true, "sRGB": true, "iCCP": true, "sBIT": true, "cICP": true,
}

// stripPNG copies p chunk by chunk, keeping those of pngKept, up to IEND
// and no further.
func stripPNG(p []byte) (stripped, error) {
	s := stripped{orientation: 1}
	const sig = "\x89PNG\r\n\x1a\n"
	if !bytes.HasPrefix(p, []byte(sig)) {
		return s, errStructure
	}
	out := make([]byte, 0, len(p))
	out = append(out, sig...)
	for i := len(sig); ; {
		if i+12 > len(p) {
			return s, errStructure
		}
		n := int64(binary.BigEndian.Uint32(p[i:]))
		if n > int64(len(p)-i-12) {
			return s, errStructure
		}
		end := i + 12 + int(n)
		typ := string(p[i+4 : i+8])
		if pngKept[typ] {
			out = append(out, p[i:end]...)
		}
		i = end
		if typ == "IEND" {
			s.data = out
			return s, nil
		}
	}
}

// VP8X flags.
const (
	vp8xXMP  = 0x04
	vp8xEXIF = 0x08
	vp8xAnim = 0x02
)

// stripWebP copies the WebP w chunk by chunk, leaving out its EXIF and XMP
// chunks (and clearing the flags that announce them), chunks it does not
// know, and anything after the RIFF container's declared end.
func stripWebP(w []byte) (stripped, error) {
	s := stripped{orientation: 1}
	if len(w) < 12 || string(w[:4]) != "RIFF" || string(w[8:12]) != "WEBP" {
		return s, errStructure
	}
	size := int64(binary.LittleEndian.Uint32(w[4:]))
	if size < 4 || size+8 > int64(len(w)) {
		return s, errStructure
	}
	w = w[:size+8]
	out := make([]byte, 12, len(w))
	copy(out, w[:12])
	images := 0
	for i := 12; i < len(w); {
		if i+8 > len(w) {
			return s, errStructure
		}
		n := int64(binary.LittleEndian.Uint32(w[i+4:]))
		padded := n + n&1
		if padded > int64(len(w)-i-8) {
			// The last chunk's padding byte is sometimes left out.
			if n != int64(len(w)-i-8) {
				return s, errStructure
			}
			padded = n
		}
		chunk := w[i : i+8+int(padded)]
		i += len(chunk)
		switch string(chunk[:4]) {
		case "VP8X":
			if n < 10 || len(out) != 12 {
				return s, errStructure
			}
			if chunk[8]&vp8xAnim != 0 {
				return s, errStructure
			}
			start := len(out)
			out = append(out, chunk...)
			out[start+8] &^= vp8xEXIF | vp8xXMP
		case "VP8 ", "VP8L":
			images++
			out = append(out, chunk...)
		case "ICCP", "ALPH":
			out = append(out, chunk...)
		}
	}
	if images != 1 {
		return s, errStructure
	}
	if len(out)%2 == 1 {
		out = append(out, 0)
	}
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	s.data = out
	return s, nil
}
