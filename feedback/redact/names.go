package redact

// Names are found three ways:
//
//   - after a word of address or a phrase that introduces a name ("ông",
//     "chị", "đồng chí", "tôi tên là", "họ tên:"): the capitalised syllables
//     that follow, or, after the phrases that can only introduce a name,
//     the lower-case ones ("tôi tên là bình");
//   - a run of capitalised syllables that starts with a common surname
//     ("Nguyễn Văn Bình", "Nguyen Van Binh", "NGUYỄN VĂN BÌNH");
//   - a surname, "văn" or "thị", and a given name, typed in lower case.
//
// A run after a place word ("đường", "phường", "trường", "bệnh viện"…) is
// a place's name, and a run after a house number a street's; the public
// list in words.go shields provinces, historical figures and
// institutions. A name runs until punctuation, a line break or a word that
// cannot be part of one; it is never cut at a fixed length in mixed case,
// so that what is left after it can never start a name of its own.

func (d *doc) names() {
	t := d.t
	for i := 0; i < len(t); i++ {
		if t[i].kind != kWord || d.public[i] {
			continue
		}
		if e := d.nameByTrigger(i); e >= 0 {
			i = e
			continue
		}
		if e := d.nameBySurname(i); e >= 0 {
			i = e
		}
	}
}

// nameByTrigger handles a word of address or a naming phrase at toks[i];
// it returns the last token of the name it redacted, or -1.
func (d *doc) nameByTrigger(i int) int {
	t := d.t
	strong, honor := false, false
	e := strongTriggers.match(t, i)
	switch {
	case e > i:
		strong = true
	case weakTriggers.match(t, i) > i:
		e = weakTriggers.match(t, i)
	case honorificPhrases.match(t, i) > i:
		e, honor = honorificPhrases.match(t, i), true
	case honorifics.has(&t[i]):
		e, honor = i+1, true
	default:
		return -1
	}
	if d.placeEnd[e-1] || !strong && i > 0 && d.placeEnd[i-1] && d.gap(i) {
		return -1 // "mang tên", "đặt tên"; "chợ Bà Chiểu", "cầu Ông Lãnh"
	}
	j := e
	switch {
	case j < len(t) && t[j].punct(':'):
		j++
	case strong:
		// "họ tên người phản ánh: …"
		for k := j; k < len(t) && k < j+5 && t[k].kind == kWord; k++ {
			if k+1 < len(t) && t[k+1].punct(':') {
				j = k + 2
				break
			}
		}
		if j == e && !d.gap(j) {
			return -1
		}
	case !d.gap(j):
		return -1
	}
	if honor {
		for n := 0; n < 3 && j < len(t); n++ {
			m := titles.match(t, j)
			if m == j || m >= len(t) || !d.gap(m) {
				break
			}
			j = m
		}
	}
	if j >= len(t) || t[j].kind != kWord || t[j].nl || d.public[j] {
		return -1
	}
	if t[j].capital() {
		return d.capitalRun(j, t[j].shape == upperCase, false)
	}
	if t[j].shape != lowerCase {
		return -1
	}
	if strong {
		return d.lowerRun(j, j)
	}
	if honor && strongSurnames.has(&t[j]) && d.gap(j+1) && middleNames.has(&t[j+1]) && t[j+1].shape == lowerCase &&
		middleCompounds.match(t, j+1) == j+1 {
		return d.lowerRun(j, j+2)
	}
	return -1
}

// capitalRun redacts the capitalised syllables from toks[j] on. In text
// typed in capitals the shape says little, so there the run also ends at
// ordinary words and after four syllables; fromSurname asks for two.
func (d *doc) capitalRun(j int, upper, fromSurname bool) int {
	t := d.t
	last := -1
	for k := j; k < len(t); k++ {
		if k > j && !d.gap(k) || !t[k].capital() || d.nameStop(k, upper) {
			break
		}
		if upper != (t[k].shape == upperCase) && len(t[k].fold) > 1 {
			break // capitals in a mixed-case name are an acronym: "SN", "CA"
		}
		last = k
		if upper && k-j == 3 {
			break
		}
	}
	if last < 0 || fromSurname && last == j {
		return -1
	}
	d.addTokens(Name, j, last)
	return last
}

// lowerRun redacts a name typed in lower case, from toks[j]; the words
// up to toks[need] must all be part of it. It takes at most four words.
func (d *doc) lowerRun(j, need int) int {
	t := d.t
	last := -1
	for k := j; k < len(t) && k < j+4; k++ {
		if k > j && !d.gap(k) || t[k].shape != lowerCase || d.nameStop(k, true) ||
			k > j && middleCompounds.match(t, k-1) > k {
			break
		}
		last = k
	}
	if last < need {
		return -1
	}
	d.addTokens(Name, j, last)
	return last
}

// nameStop reports a token that cannot be part of a name. soft adds the
// ordinary words, for text whose letters' shape says nothing.
func (d *doc) nameStop(k int, soft bool) bool {
	w := &d.t[k]
	if w.kind != kWord || d.public[k] || d.trigStart[k] || hardStops.has(w) {
		return true
	}
	return soft && (softStops.has(w) || places.match(d.t, k) > k)
}

// nameBySurname handles a run that starts with a surname at toks[i], or
// with any capitalised syllable followed by "Văn" or "Thị" and a given
// name ("Lường Văn Khiêm"): these middle names mark a person even when the
// surname is not in the list, and even after an administrative unit
// ("Bí thư Đảng ủy xã Lò Văn Páo"), whose names seldom take them.
func (d *doc) nameBySurname(i int) int {
	t := d.t
	w := &t[i]
	middle := w.shape == titleCase && d.middleAfter(i)
	if !middle && !surnames.has(w) || d.lexicalBefore(i) || d.streetBefore(i) {
		return -1
	}
	if p := d.placeBefore(i); p >= 0 && !(middle && d.adminBefore(p)) {
		return -1
	}
	switch w.shape {
	case titleCase:
		return d.capitalRun(i, false, true)
	case upperCase:
		if !strongSurnames.has(w) {
			return -1
		}
		return d.capitalRun(i, true, true)
	case lowerCase:
		if !strongSurnames.has(w) || w.plain && w.fold != "nguyen" {
			return -1 // bare "le", "do", "ho" are too often other words
		}
		if !d.gap(i+1) || !middleNames.has(&t[i+1]) || t[i+1].plain != w.plain || middleCompounds.match(t, i+1) > i+1 {
			return -1
		}
		return d.lowerRun(i, i+2)
	}
	return -1
}

// middleAfter reports "X Văn Y" or "X Thị Y", all capitalised, that is
// not an ordinary phrase ("Văn Hóa", "Đô Thị", "Công Văn").
func (d *doc) middleAfter(i int) bool {
	t := d.t
	if i+2 >= len(t) || d.nameStop(i, false) || !d.gap(i+1) || !d.gap(i+2) {
		return false
	}
	m, g := &t[i+1], &t[i+2]
	return m.shape == titleCase && middleNames.has(m) && g.shape == titleCase && !d.nameStop(i+2, false) &&
		middleCompounds.match(t, i+1) == i+1 && middleBefore.match(t, i) != i+2
}

// adminBefore reports an administrative unit's word ending at toks[p].
func (d *doc) adminBefore(p int) bool {
	for k := p; k >= 0 && k >= p-2; k-- {
		if adminPlaces.match(d.t, k) == p+1 {
			return true
		}
	}
	return false
}

// lexicalBefore reports a word before toks[i] that makes an ordinary word
// of it: "vi phạm", "xử lý", "đồng hồ".
func (d *doc) lexicalBefore(i int) bool {
	// Mid-sentence, a capitalised word is not the second half of a
	// lower-case compound; only words written alike can form one.
	return i > 0 && d.gap(i) && lexicalBefore.has(&d.t[i-1]) && d.t[i-1].shape == d.t[i].shape
}

// placeBefore returns the end of a place word before toks[i], perhaps
// with words that qualify the place between ("đường Nguyễn Huệ", "Trường
// THCS Lê Quý Đôn", "TP. Hồ Chí Minh"), or -1.
func (d *doc) placeBefore(i int) int {
	t := d.t
	k := i - 1
	for steps := 0; k >= 0 && steps < 5; steps++ {
		if d.placeEnd[k] {
			return k
		}
		if !d.gap(k+1) || t[k].kind != kWord || !placeModifiers.has(&t[k]) {
			return -1
		}
		k--
	}
	return -1
}

// streetBefore reports a house number before toks[i]: "12 Lê Lợi",
// "[số nhà] Lê Lợi".
func (d *doc) streetBefore(i int) bool {
	if i == 0 || !d.gap(i) {
		return false
	}
	p := &d.t[i-1]
	switch p.kind {
	case kHole:
		return p.hole == HouseNumber
	case kNum:
		return len(p.key) <= 4
	case kWord:
		// "45A Lê Lợi"
		return len(p.fold) <= 2 && i >= 2 && d.t[i-2].kind == kNum && !p.sp
	}
	return false
}
