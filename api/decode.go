package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Decode reads r's JSON body, of at most MaxBody bytes, into v; see
// DecodeLimit.
func Decode(w http.ResponseWriter, r *http.Request, v any) *Error {
	return DecodeLimit(w, r, v, MaxBody)
}

// DecodeLimit reads r's JSON body into v, strictly: the content type, when
// given, must be application/json (in UTF-8); the body must hold exactly
// one JSON value of at most limit bytes, in valid UTF-8, whose strings
// carry no NUL or other control characters but tab and line breaks, and
// whose objects have only the fields v knows. A refusal says what was
// wrong, in the product's words, and names where: the field
// ("messages[1].content"), "Content-Type", or "body" for the body as a
// whole; nothing is decoded into v then that the caller should use.
func DecodeLimit(w http.ResponseWriter, r *http.Request, v any, limit int64) *Error {
	if e := checkContentType(r.Header.Get("Content-Type")); e != nil {
		return e
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &Error{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large", Field: "body",
				Message: fmt.Sprintf("Nội dung gửi lên quá lớn: tối đa %s.", size(limit))}
		}
		return BadRequest("invalid_body", "body", "Không đọc được nội dung gửi lên.")
	}
	return Unmarshal(body, v)
}

// Unmarshal is DecodeLimit's reading of a body already in hand.
func Unmarshal(body []byte, v any) *Error {
	if len(bytes.TrimSpace(body)) == 0 {
		return BadRequest("invalid_json", "body", "Nội dung gửi lên đang trống: cần một đối tượng JSON.")
	}
	if e := checkStrings(body); e != nil {
		return e
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeProblem(err, v)
	}
	if _, err := dec.Token(); err != io.EOF {
		return BadRequest("invalid_json", "body", "Nội dung gửi lên chỉ được có một đối tượng JSON; sau nó còn dữ liệu thừa.")
	}
	return nil
}

func checkContentType(ct string) *Error {
	if ct == "" {
		return nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err == nil && mt == "application/json" {
		if cs, ok := params["charset"]; !ok || strings.EqualFold(cs, "utf-8") {
			return nil
		}
	}
	return &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Field: "Content-Type",
		Message: fmt.Sprintf("Nội dung gửi lên phải là JSON (Content-Type: application/json), nhận được %q.", ct)}
}

func size(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	return strconv.FormatInt(n>>10, 10) + " KiB"
}

// decodeProblem says in the product's words what encoding/json refused.
func decodeProblem(err error, v any) *Error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return BadRequest("invalid_json", "body", fmt.Sprintf("Nội dung gửi lên không phải JSON hợp lệ (lỗi ở byte thứ %d).", syn.Offset))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return BadRequest("invalid_json", "body", "Nội dung JSON bị cắt ngang: thiếu phần kết thúc.")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return BadRequest("invalid_json", "body", fmt.Sprintf("Nội dung gửi lên phải là %s, nhận được %s.", kindName(typ.Type), valueName(typ.Value)))
		}
		return BadRequest("invalid_type", typ.Field, fmt.Sprintf("Trường %q phải là %s, nhận được %s.", typ.Field, kindName(typ.Type), valueName(typ.Value)))
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name, _ = strconv.Unquote(name)
		msg := fmt.Sprintf("Trường %q không có trong yêu cầu này.", name)
		if known := fieldNames(v); len(known) > 0 {
			msg += " Các trường nhận: " + strings.Join(known, ", ") + "."
		}
		return BadRequest("unknown_field", name, msg)
	}
	return BadRequest("invalid_json", "body", "Nội dung gửi lên không phải JSON hợp lệ.")
}

func kindName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "một chuỗi"
	case reflect.Bool:
		return "true hoặc false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "một số nguyên"
	case reflect.Float32, reflect.Float64:
		return "một số"
	case reflect.Slice, reflect.Array:
		return "một mảng"
	case reflect.Struct, reflect.Map:
		return "một đối tượng JSON"
	}
	return "giá trị khác"
}

func valueName(v string) string {
	switch v {
	case "string":
		return "một chuỗi"
	case "number":
		return "một số"
	case "bool":
		return "true/false"
	case "array":
		return "một mảng"
	case "object":
		return "một đối tượng"
	}
	if strings.HasPrefix(v, "number") {
		return "số " + strings.TrimPrefix(v, "number ")
	}
	return v
}

// fieldNames lists the JSON fields of v's struct, for the message that
// refuses an unknown one.
func fieldNames(v any) []string {
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// checkStrings walks body's tokens and refuses invalid UTF-8 and control
// characters in any key or string, naming where it is. encoding/json would
// silently turn invalid bytes into U+FFFD and pass NUL on, which the
// databases then store (SQLite) or refuse with a 500 (PostgreSQL).
func checkStrings(body []byte) *Error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var p path
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			// Left to the decoder, which says what is wrong.
			return nil
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				p.push(true)
			case '[':
				p.push(false)
			default:
				p.pop()
				p.next()
			}
			continue
		case string:
			raw := body[start:dec.InputOffset()]
			key := p.atKey()
			field := p.String()
			if key {
				field = p.with(t)
			}
			if e := checkRaw(field, raw, t); e != nil {
				return e
			}
			if key {
				p.setKey(t)
				continue
			}
		}
		p.next()
	}
}

// checkRaw checks one JSON string: its bytes as sent (raw) and its value.
func checkRaw(field string, raw []byte, s string) *Error {
	// A lone surrogate escape ("\ud800") decodes to U+FFFD as invalid
	// bytes do; a U+FFFD the client wrote itself is kept.
	lone := strings.ContainsRune(s, utf8.RuneError) && !bytes.ContainsRune(raw, utf8.RuneError) &&
		!bytes.Contains(bytes.ToLower(raw), []byte(`\ufffd`))
	if !utf8.Valid(raw) || lone {
		return BadRequest("invalid_text", field, fmt.Sprintf("%s chứa byte không phải UTF-8 hợp lệ.", capital(fieldName(field))))
	}
	return CheckText(field, s)
}

// CheckQuery refuses a query parameter that no database can take as it
// is: invalid UTF-8 or NUL. Other control characters pass, as the stray
// backspace that text copied from a document sometimes starts with: a
// parameter is read, not kept, and search reads past them.
func CheckQuery(field, s string) *Error {
	if !utf8.ValidString(s) {
		return BadRequest("invalid_text", field, fmt.Sprintf("%s chứa byte không phải UTF-8 hợp lệ.", capital(fieldName(field))))
	}
	if strings.IndexByte(s, 0) >= 0 {
		return BadRequest("invalid_text", field, fmt.Sprintf("%s chứa ký tự NUL (U+0000), không được phép.", capital(fieldName(field))))
	}
	return nil
}

// CheckText refuses text a person could not have typed on purpose and the
// databases cannot keep alike: invalid UTF-8, NUL and the other control
// characters (escape sequences among them) but tab and line breaks. It is
// the rule for what is kept: bodies, form fields, paths.
func CheckText(field, s string) *Error {
	if !utf8.ValidString(s) {
		return BadRequest("invalid_text", field, fmt.Sprintf("%s chứa byte không phải UTF-8 hợp lệ.", capital(fieldName(field))))
	}
	for _, r := range s {
		if r == '\t' || r == '\n' || r == '\r' {
			continue
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return BadRequest("invalid_text", field, fmt.Sprintf("%s chứa ký tự điều khiển không được phép (U+%04X).", capital(fieldName(field)), r))
		}
	}
	return nil
}

func fieldName(field string) string {
	if field == "" {
		return "nội dung gửi lên"
	}
	return "trường " + strconv.Quote(field)
}

func capital(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return strings.ToUpper(string(r)) + s[n:]
}

// path tracks where in a JSON value the token walk is: object keys and
// array indexes, written as "a.b[2].c".
type path struct{ frames []frame }

type frame struct {
	object bool
	key    string
	index  int
	inKey  bool // an object waiting for its next key
}

func (p *path) push(object bool) {
	p.frames = append(p.frames, frame{object: object, inKey: object})
}

func (p *path) pop() {
	if len(p.frames) > 0 {
		p.frames = p.frames[:len(p.frames)-1]
	}
}

// next moves past a value: an object waits for its next key, an array
// counts one more element.
func (p *path) next() {
	if len(p.frames) == 0 {
		return
	}
	f := &p.frames[len(p.frames)-1]
	if f.object {
		f.inKey = true
	} else {
		f.index++
	}
}

func (p *path) atKey() bool {
	return len(p.frames) > 0 && p.frames[len(p.frames)-1].object && p.frames[len(p.frames)-1].inKey
}

func (p *path) setKey(k string) {
	f := &p.frames[len(p.frames)-1]
	f.key, f.inKey = k, false
}

func (p *path) with(key string) string {
	f := &p.frames[len(p.frames)-1]
	f.key, f.inKey = key, false
	s := p.String()
	f.inKey = true
	return s
}

func (p *path) String() string {
	var b strings.Builder
	for _, f := range p.frames {
		if f.object {
			if f.inKey {
				break
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.key)
		} else {
			fmt.Fprintf(&b, "[%d]", f.index)
		}
	}
	return b.String()
}
