package redact

import "strings"

// Phone, ID and account numbers are found as chains of digit groups joined
// by the separators people type between them ("0912 345 678",
// "0912.345.678", "(024) 3825 1234", "+84 912 345 678"). A chain is split
// into the longest numbers that make sense, so "số 5. 0912345678" still
// yields the phone, and the words before a chain (within the clause) say
// what it is: "STK", "CCCD", "SĐT".

func isChainSep(r rune) bool {
	switch r {
	case '.', '-', '–', '(', ')':
		return true
	}
	return false
}

func (d *doc) numbers() {
	t := d.t
	for i := 0; i < len(t); i++ {
		if t[i].kind != kNum {
			continue
		}
		groups := []int{i}
		j := i
		for {
			k, seps := j+1, 0
			for k < len(t) && !t[k].nl && t[k].kind == kPunct && isChainSep(t[k].r) && seps < 2 {
				k++
				seps++
			}
			if k >= len(t) || t[k].kind != kNum || t[k].nl || k == j+1 && !t[k].sp {
				break
			}
			groups = append(groups, k)
			j = k
		}
		d.chain(groups)
		i = j
	}
}

// chain classifies one chain of digit groups, splitting it greedily.
func (d *doc) chain(g []int) {
	t := d.t
	before := d.contextBefore(g[0])
	for i := 0; i < len(g); {
		c := before
		if i > 0 {
			c = d.contextBefore(g[i])
		}
		glued := g[i] > 0 && !t[g[i]].sp && t[g[i]-1].kind == kWord
		if glued && c == ctxNone && d.trigger[g[i]-1] != ctxNone {
			c = d.trigger[g[i]-1] // "sdt0912345678", "CCCD001094012345"
		}
		best, kind := -1, Kind(0)
		var digits strings.Builder
		for j := i; j < len(g) && j < i+8; j++ {
			digits.WriteString(t[g[j]].key)
			if digits.Len() > 19 {
				break
			}
			cj := c
			if cj == ctxNone {
				cj = d.contextAfter(g[j])
			}
			if k := classify(digits.String(), cj, j-i+1); k != 0 {
				if glued && cj == ctxNone && (k != Phone || t[g[i]].key[0] != '0') {
					continue // part of a code such as "H29-240312-0001"
				}
				best, kind = j, k
			}
		}
		if best < 0 || d.amount(g[i:best+1]) || d.date(g[i:best+1]) {
			i++
			continue
		}
		from := g[i]
		if i == 0 && from > 0 && !t[from].sp && t[from-1].punct('+') {
			from--
		}
		if i == 0 && from > 0 && !t[from].sp && t[from-1].punct('(') && best > i && t[g[i]+1].punct(')') {
			from-- // "(024) 3825 1234", not "(0905.123.456)"
		}
		if glued && kind == IDNumber && len(t[g[i]-1].fold) <= 3 && t[g[i]-1].capital() {
			from = g[i] - 1 // a passport or insurance card number: "C1234567"
		}
		d.addTokens(kind, from, g[best])
		i = best + 1
	}
}

// classify says what a run of digits is, given the words around it.
func classify(digits string, c ctx, groups int) Kind {
	n := len(digits)
	if hotline(digits) {
		return 0
	}
	switch c {
	case ctxBank:
		if n >= 6 && n <= 19 {
			return BankAccount
		}
	case ctxID:
		if n >= 7 && n <= 15 {
			return IDNumber
		}
	case ctxPhone:
		if n >= 8 && n <= 12 {
			return Phone
		}
	}
	if phone(digits) {
		return Phone
	}
	if n == 12 || n == 9 && groups == 1 {
		return IDNumber
	}
	return 0
}

// hotline reports the 1900/1800 numbers: public service lines, which a
// published answer may well give and which identify no one.
func hotline(d string) bool {
	return (strings.HasPrefix(d, "1900") || strings.HasPrefix(d, "1800")) && (len(d) == 8 || len(d) == 10)
}

// phone reports Vietnamese numbers: mobiles (0 + 9 digits, the old 11-digit
// 01x), landlines (02x + 8 digits, and the 10-digit numbers before 2017),
// with the country code 84 in place of the leading 0.
func phone(d string) bool {
	switch {
	case strings.HasPrefix(d, "840"):
		d = d[2:]
	case strings.HasPrefix(d, "84") && len(d) >= 11:
		d = "0" + d[2:]
	}
	if len(d) < 10 || d[0] != '0' || d[1] == '0' {
		return false
	}
	switch len(d) {
	case 10:
		return true
	case 11:
		return d[1] == '2' || d[1] == '1' && strings.ContainsRune("2689", rune(d[2]))
	}
	return false
}

// amount reports a chain that is money or a measure: followed by a unit
// ("150000000 đồng", "100 000 000 000 đ"), or grouped in thousands without
// a leading zero ("1.500.000", "100 000 000").
func (d *doc) amount(g []int) bool {
	t := d.t
	last := g[len(g)-1]
	if last+1 < len(t) {
		n := &t[last+1]
		if units.has(n) || n.punct('%') || n.punct('$') || n.punct('₫') {
			return true
		}
		// "1.500.000đ", "5tr"
		if n.kind == kWord && !n.sp && (n.fold == "d" || n.fold == "tr" || n.fold == "k") {
			return true
		}
	}
	if g[0] > 0 && (t[g[0]-1].punct('$') || t[g[0]-1].punct('₫')) {
		return true
	}
	if len(g) < 2 || t[g[0]].key[0] == '0' || len(t[g[0]].key) > 3 {
		return false
	}
	if g[0] > 0 && t[g[0]-1].punct('+') || d.contextBefore(g[0]) == ctxPhone {
		return false // "+84 912 345 678" is grouped like an amount
	}
	for _, k := range g[1:] {
		if len(t[k].key) != 3 {
			return false
		}
	}
	return d.contextBefore(g[0]) != ctxBank && d.contextBefore(g[0]) != ctxID
}

// date reports a chain shaped as a date: "12.03.2010", "2010-03-12".
func (d *doc) date(g []int) bool {
	if len(g) != 3 {
		if len(g) >= 1 && g[0] > 0 && dateWords.has(&d.t[g[0]-1]) && len(d.t[g[0]].key) <= 2 {
			return true
		}
		return false
	}
	a, b, c := len(d.t[g[0]].key), len(d.t[g[1]].key), len(d.t[g[2]].key)
	return a <= 2 && b <= 2 && c == 4 || a == 4 && b <= 2 && c <= 2
}

// contextBefore looks back from toks[i] over up to six words of the same
// clause for the nearest phone, ID or bank word. Numbers, placeholders and
// punctuation inside the clause are passed over but not counted, so that
// the answer is the same once earlier numbers have been redacted.
func (d *doc) contextBefore(i int) ctx {
	words := 0
	for k := i - 1; k >= 0 && words < 6; k-- {
		if d.trigger[k] != ctxNone {
			return d.trigger[k]
		}
		t := &d.t[k]
		if d.sentenceStop(k) {
			return ctxNone
		}
		if t.kind == kWord {
			words++
		}
		if t.nl {
			return ctxNone
		}
	}
	return ctxNone
}

// contextAfter looks ahead from toks[i] over up to three words for a bank's
// name: "0011004123456 Vietcombank", "0011004123456 (ngân hàng Agribank)".
func (d *doc) contextAfter(i int) ctx {
	words := 0
	for k := i + 1; k < len(d.t) && words < 3; k++ {
		if d.t[k].nl || d.sentenceStop(k) || d.t[k].kind == kNum {
			return ctxNone
		}
		if d.trigStart[k] {
			for e := k; e < len(d.t) && e < k+4; e++ {
				if d.trigger[e] == ctxBank {
					return ctxBank
				}
			}
			return ctxNone
		}
		if d.t[k].kind == kWord {
			words++
		}
	}
	return ctxNone
}
