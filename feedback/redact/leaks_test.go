package redact

import (
	"slices"
	"testing"
)

func TestLeaks(t *testing.T) {
	secrets := []string{"Nguyễn Văn Bình", "0912345678", "binh92@gmail.com", "001094012345", "Trần Thị Hoa", "0987654321"}
	for _, c := range []struct {
		page string
		want []string
	}{
		{"Ông Nguyễn Văn Bình đã phản ánh.", []string{"Nguyễn Văn Bình"}},
		{"ong NGUYEN van binh", []string{"Nguyễn Văn Bình"}},
		{"<p>Ông <b>Nguyễn</b> Văn\nBình</p>", []string{"Nguyễn Văn Bình"}},
		{`<a href="/tim?q=x">nguyen+van+binh</a>`, []string{"Nguyễn Văn Bình"}},
		{`<p>Nguy%E1%BB%85n%20V%C4%83n%20B%C3%ACnh</p>`, []string{"Nguyễn Văn Bình"}},
		{`{"name":"Nguy\u1ec5n V\u0103n B\u00ecnh \ud83d\ude00"}`, []string{"Nguyễn Văn Bình"}},
		{`{"name":"Nguy\u1ec5n\nV\u0103n\tB\u00ecnh\"", "x": "\u12"}`, []string{"Nguyễn Văn Bình"}},
		{"Nguyễn&#32;V&#259;n B&igrave;nh", []string{"Nguyễn Văn Bình"}},
		{"zalo.me/nguyenvanbinh", []string{"Nguyễn Văn Bình"}},
		{"gọi 0912.345.678", []string{"0912345678"}},
		{"gọi +84 912 345 678", []string{"0912345678"}},
		{"gọi (+84) 912-345-678", []string{"0912345678"}},
		{"<td>0912</td><td>345678</td>", []string{"0912345678"}},
		{`{"phone":"84912345678"}`, []string{"0912345678"}},
		{"BINH92@GMAIL.COM", []string{"binh92@gmail.com"}},
		{"binh92 at gmail dot com", []string{"binh92@gmail.com"}},
		{"binh92&#64;gmail.com", []string{"binh92@gmail.com"}},
		{"CCCD 001 094 012 345", []string{"001094012345"}},
		{"ông Trần Thị Hoa, bà Nguyễn Văn Bình, 0987 654 321", []string{"Nguyễn Văn Bình", "Trần Thị Hoa", "0987654321"}},
		// nothing personal: a tag's attributes echo what the visitor typed
		{`<input name="q" value="Nguyễn Văn Bình 0912345678"><a href="?q=binh92%40gmail.com">x</a>`, nil},
		{"Ông [họ tên] gọi [số điện thoại], email [email]", nil},
		{"Bình Dương, Nguyễn Văn, Văn Bình, 0912 345 67", nil},
		{"mã 9123456 và 78", nil},
	} {
		got := Leaks(c.page, secrets)
		if !slices.Equal(got, c.want) {
			t.Errorf("Leaks(%q) = %q, want %q", c.page, got, c.want)
		}
	}
}

// TestNoLeaksAfterText: what Text leaves of the table's texts, given the
// submitter's details, holds none of them.
func TestNoLeaksAfterText(t *testing.T) {
	known := []string{"Nguyễn Văn Bình", "0912345678", "lan.nguyen@gmail.com"}
	for _, c := range pairs(t) {
		out := Text(c[0], known...)
		if l := Leaks(out, known); len(l) > 0 {
			t.Errorf("Text(%q) = %q still holds %q", c[0], out, l)
		}
	}
	secrets := []string{"0912 345 678", "+84 912 345 678", "001094012345", "Trần Thị Hoa", "Nguyễn Thị Huệ",
		"Lò Văn Páo", "anhdtn@yahoo.com.vn", "0011004123456", "026085001234", "0868.222.333"}
	var page []string
	for _, c := range pairs(t) {
		page = append(page, Text(c[0]))
	}
	if l := Leaks(joinLines(page), secrets); len(l) > 0 {
		t.Errorf("the redacted table still holds %q", l)
	}
}

func joinLines(ls []string) string {
	s := ""
	for _, l := range ls {
		s += l + "\n"
	}
	return s
}
