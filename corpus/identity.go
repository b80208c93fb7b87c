package corpus

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

var (
	reTrailingYear = regexp.MustCompile(`\s*(nam\s+)?(19|20)\d\d\s*$`)
	reNumberLike   = regexp.MustCompile(`^\d+[a-zA-Z]?/(\d{4}/)?[\p{L}\d\-]+(/[\p{L}\d\-]+)?$`)
)

// LooksLikeNumber reports whether s is a document number (số hiệu) such
// as "91/2015/QH13" or "01/VBHN-VPQH", not a name.
func LooksLikeNumber(s string) bool {
	return reNumberLike.MatchString(strings.TrimSpace(s))
}

// TitleKey is the identity form of a title: folded, year removed, spaces
// collapsed — "Bộ Luật Dân sự 2015" and "Bộ luật dân sự" share one key.
func TitleKey(title string) string {
	t := strings.Join(Terms(title), " ")
	return strings.TrimSpace(reTrailingYear.ReplaceAllString(t, ""))
}

// IdentityKeys returns the keys under which d is recognised when it
// arrives again from another source: its number and each of its names.
func IdentityKeys(d *Document) []string {
	seen := map[string]bool{}
	var keys []string
	add := func(k string) {
		if k != "" && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	if d.Kind == KindProcedure {
		if d.Procedure != nil {
			add("tthc:" + d.Procedure.Code)
		}
		return keys
	}
	if d.Number != "" {
		add("no:" + NormalizeNumber(d.Number))
	}
	for _, name := range append([]string{d.Title}, d.Aliases...) {
		if LooksLikeNumber(name) {
			add("no:" + NormalizeNumber(name))
		} else if k := TitleKey(name); k != "" {
			add("t:" + k)
		}
	}
	if fp := Fingerprint(d); fp != "" {
		add("fp:" + fp)
	}
	return keys
}

// Fingerprint identifies a law by the folded text of its first articles,
// so that the same law recognised under a number in one dump and a name in
// another is stored once. It is empty for a law with fewer than three
// articles.
func Fingerprint(d *Document) string {
	arts := d.Articles()
	if len(arts) < 3 {
		return ""
	}
	h := sha256.New()
	for _, a := range arts[:3] {
		h.Write([]byte(a.Label))
		h.Write([]byte(strings.Join(Terms(NodeText(a)), " ")))
	}
	return hex.EncodeToString(h.Sum(nil))[:24]
}

// LawID returns the stable id of a law: the slug of its number when known
// ("91-2015-qh13"), else of its title ("luat-cu-tru-2020").
func LawID(number, title string) string {
	if number != "" {
		return Slug(number)
	}
	return Slug(title)
}
