package redact

// House numbers are redacted, the street, lane and ward kept: "số 12/3
// đường Lê Lợi" → "[số nhà] đường Lê Lợi", "nhà 45A ngõ 12" → "[số nhà]
// ngõ 12". A number is a house's when a house word precedes it ("số
// nhà", "nhà số", "SN", "nhà", "căn hộ"), when "số" precedes it and a
// street follows, or when it stands before a lane or street ("12 ngõ
// 34", "ở 12 Lê Lợi"). Numbers of documents, parcels, articles and lanes
// themselves are not.

// addrNum reads a house number starting at toks[i] — "12", "45A",
// "12/3", "123/45/6B", "12-14" — and returns its last token, or -1.
func (d *doc) addrNum(i int) (last int, complex bool) {
	t := d.t
	if i >= len(t) || t[i].kind != kNum || len(t[i].key) > 4 {
		return -1, false
	}
	j := i
	suffix := func() {
		if k := j + 1; k < len(t) && !t[k].sp && t[k].kind == kWord && len(t[k].fold) <= 2 &&
			(k+1 >= len(t) || t[k+1].sp || t[k+1].kind == kPunct && !t[k+1].punct('/')) {
			j = k
			complex = true
		}
	}
	suffix()
	for parts := 0; parts < 4; parts++ {
		k := j + 1
		if k+1 >= len(t) || t[k].sp || t[k+1].sp || t[k+1].kind != kNum || len(t[k+1].key) > 4 {
			break
		}
		if t[k].punct('/') {
			if len(t[k+1].key) == 4 && (t[k+1].key[:2] == "19" || t[k+1].key[:2] == "20") {
				return -1, false // a document number or a date: "12/2024", "5/3/2024"
			}
		} else if !t[k].punct('-') {
			break
		}
		j = k + 1
		complex = true
		suffix()
	}
	// "12/QĐ-UBND", "05-CT/TW": the number of a document
	if k := j + 1; k+1 < len(t) && !t[k].sp && (t[k].punct('/') || t[k].punct('-')) && !t[k+1].sp && t[k+1].kind == kWord {
		return -1, false
	}
	return j, complex
}

func (d *doc) houses() {
	t := d.t
	for i := 0; i < len(t); i++ {
		if t[i].kind == kWord {
			if e := d.houseAfterWord(i); e >= 0 {
				i = e
			}
			continue
		}
		if t[i].kind == kNum && (i == 0 || t[i-1].kind != kNum) {
			if e := d.bareHouse(i); e >= 0 {
				i = e
			}
		}
	}
}

// houseAfterWord handles a house word or "số" at toks[i]; it returns the
// last token it redacted, or -1.
func (d *doc) houseAfterWord(i int) int {
	t := d.t
	if e := houseTriggers.match(t, i); e > i {
		j := e
		if j < len(t) && t[j].punct(':') {
			j++
		}
		if j < len(t) && t[j].kind == kWord && t[j].fold == "so" && d.gap(j) {
			j++ // "nhà: số 12"
		}
		last, _ := d.addrNum(j)
		if last < 0 || d.unitAfter(last) {
			return -1
		}
		if t[i].fold == "sn" && last == j && year(t[j].key) {
			return -1 // "SN 1965": sinh năm, the year of birth
		}
		if e == i+1 && t[i].fold == "nha" && !d.streetAfter(last) && !d.endOfAddress(last) {
			return -1 // "nhà" alone: only when an address follows
		}
		d.addTokens(HouseNumber, i, last)
		return last
	}
	if t[i].fold != "so" || (!t[i].plain && t[i].key != "sô2") {
		return -1
	}
	if i > 0 && documentWords.has(&t[i-1]) {
		return -1
	}
	j := i + 1
	if j < len(t) && t[j].punct(':') {
		j++
	}
	if j >= len(t) || t[j].kind != kNum {
		return -1
	}
	last, complex := d.addrNum(j)
	if last < 0 || d.unitAfter(last) {
		return -1
	}
	if !complex && !d.streetAfter(last) && !d.streetNameAfter(last) {
		return -1
	}
	d.addTokens(HouseNumber, i, last)
	return last
}

// bareHouse handles a number with no house word before it.
func (d *doc) bareHouse(i int) int {
	t := d.t
	last, complex := d.addrNum(i)
	if last < 0 || d.unitAfter(last) {
		return -1
	}
	p := i - 1
	if p >= 0 && t[p].punct(':') {
		p--
	}
	if p >= 0 && !t[i].sp && t[p].kind != kPunct {
		return -1 // glued to what precedes it: "H29", "P12"
	}
	if p >= 0 && t[p].kind == kWord {
		w := &t[p]
		if d.placeEnd[p] || documentWords.has(w) || dateWords.has(w) || quantityWords.has(w) ||
			streetWords.match(t, p) > p || units.has(w) || w.fold == "so" {
			if !(addressWords.match(t, p) > p) {
				return -1
			}
		}
	}
	address := p >= 0 && d.addressBefore(p)
	switch {
	case d.streetAfter(last):
	case address && d.streetNameAfter(last):
	case complex && (p < 0 || !t[p].punct('/')) && d.streetNameAfter(last):
	default:
		return -1
	}
	d.addTokens(HouseNumber, i, last)
	return last
}

// addressBefore reports whether an address word ends at toks[p]: "địa
// chỉ", "ở", "tại".
func (d *doc) addressBefore(p int) bool {
	for k := p; k >= 0 && k >= p-3; k-- {
		if e := addressWords.match(d.t, k); e == p+1 {
			return true
		}
	}
	return false
}

// streetAfter reports whether a lane or street word follows toks[last],
// itself followed by a name or a number: "12 ngõ 34", "số 5 đường Lê Lợi",
// not "2 đường ống".
func (d *doc) streetAfter(last int) bool {
	t := d.t
	k := last + 1
	if k < len(t) && t[k].punct(',') {
		k++
	}
	if k >= len(t) || t[k].nl {
		return false
	}
	e := streetWords.match(t, k)
	if e == k || e >= len(t) || t[e].nl {
		return false
	}
	n := &t[e]
	return n.kind == kNum || n.capital() || n.kind == kHole
}

// streetNameAfter reports whether a capitalised street name follows
// toks[last]: "12 Lê Lợi", "45 Trần Hưng Đạo".
func (d *doc) streetNameAfter(last int) bool {
	t := d.t
	k := last + 1
	if k < len(t) && t[k].punct(',') {
		k++
	}
	if k >= len(t) || t[k].nl || t[k].shape != titleCase || !t[k].word() || hardStops.has(&t[k]) || honorifics.has(&t[k]) {
		return false
	}
	return !documentWords.has(&t[k]) || d.public[k]
}

// endOfAddress reports a house number that ends a clause: "nhà 45A, phường ...".
func (d *doc) endOfAddress(last int) bool {
	k := last + 1
	return k >= len(d.t) || d.t[k].punct(',') || d.sentenceStop(k) || d.t[k].nl || d.streetNameAfter(last)
}

func year(digits string) bool {
	return len(digits) == 4 && (digits[:2] == "19" || digits[:2] == "20")
}

func (d *doc) unitAfter(last int) bool {
	k := last + 1
	return k < len(d.t) && (units.has(&d.t[k]) || d.t[k].punct('%'))
}
