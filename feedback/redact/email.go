package redact

// E-mail addresses are found around each "@" and each spelled-out "at"
// ("binh at gmail dot com", "binh (at) gmail.com", "binh a còng gmail
// chấm com"): the local part is read backwards and the domain forwards,
// each within the lengths an address may have, so the search stays linear.

const (
	maxLocal  = 64
	maxDomain = 255
)

func (d *doc) emails() {
	t := d.t
	for i := 0; i < len(t); i++ {
		at, next, spelled := d.atSign(i)
		if !at {
			continue
		}
		from := d.localPart(i)
		if from < 0 {
			continue
		}
		to := d.domain(next, spelled)
		if to < 0 {
			continue
		}
		d.addTokens(Email, from, to)
		i = to
	}
}

// atSign reports whether an "@" or a spelled-out one starts at toks[i],
// and the index of the token after it.
func (d *doc) atSign(i int) (ok bool, next int, spelled bool) {
	t := d.t
	switch {
	case t[i].punct('@') || t[i].punct('＠'):
		return true, i + 1, false
	case bracketed(t, i, "at"):
		return true, i + 3, true
	case t[i].kind == kWord && t[i].fold == "at" && t[i].sp && d.gap(i+1):
		return true, i + 1, true
	case t[i].kind == kWord && t[i].fold == "a" && d.gap(i+1) && t[i].sp && t[i+1].kind == kWord &&
		(t[i+1].fold == "cong" || t[i+1].fold == "moc") && d.gap(i+2):
		return true, i + 2, true
	}
	return false, 0, false
}

// bracketed reports "(w)", "[w]" or "{w}" at toks[i].
func bracketed(t []tok, i int, w string) bool {
	if i+2 >= len(t) || t[i].kind != kPunct || t[i+1].kind != kWord || t[i+1].fold != w || !t[i+2].punct(closing(t[i].r)) {
		return false
	}
	return t[i].r == '(' || t[i].r == '[' || t[i].r == '{'
}

func closing(r rune) rune {
	switch r {
	case '(':
		return ')'
	case '[':
		return ']'
	case '{':
		return '}'
	}
	return 0
}

func localRune(t *tok) bool {
	if t.kind == kWord || t.kind == kNum {
		return true
	}
	if t.kind == kPunct {
		switch t.r {
		case '.', '_', '-', '+', '%':
			return true
		}
	}
	return false
}

// localPart returns the first token of the local part before the "@" at
// toks[i], or -1.
func (d *doc) localPart(i int) int {
	t := d.t
	k := i - 1
	if k < 0 || t[i].nl {
		return -1
	}
	from := -1
	for ; k >= 0 && localRune(&t[k]) && t[i].start-t[k].start <= maxLocal+8; k-- {
		if t[k].kind == kWord || t[k].kind == kNum {
			from = k
		}
		if t[k].sp {
			break
		}
	}
	return from
}

// domain returns the last token of the domain that starts at toks[i], or
// -1. A spelled-out address must end in a known top-level domain.
func (d *doc) domain(i int, spelled bool) int {
	t := d.t
	if i >= len(t) || t[i].nl {
		return -1
	}
	last, dots := -1, 0
	k := i
	for k < len(t) && t[k].start-t[i].start <= maxDomain {
		// a label: letters, digits and inner hyphens, written together
		e := k
		if !(t[e].kind == kWord || t[e].kind == kNum) {
			break
		}
		for e+1 < len(t) && !t[e+1].sp && (t[e+1].kind == kWord || t[e+1].kind == kNum ||
			t[e+1].punct('-') && e+2 < len(t) && !t[e+2].sp && (t[e+2].kind == kWord || t[e+2].kind == kNum)) {
			e++
		}
		if dots > 0 {
			last = e
		}
		// a dot, written or spelled
		n := e + 1
		switch {
		case n+1 < len(t) && t[n].punct('.') && !t[n].sp && !t[n+1].sp && (t[n+1].kind == kWord || t[n+1].kind == kNum):
			k = n + 1
		case n+1 < len(t) && t[n].kind == kWord && (t[n].fold == "dot" || t[n].fold == "cham") && d.gap(n) && d.gap(n+1):
			k, spelled = n+1, true
		case n+3 < len(t) && bracketed(t, n, "dot"):
			k, spelled = n+3, true
		default:
			k = len(t)
		}
		if k < len(t) {
			dots++
		}
	}
	if last < 0 {
		return -1
	}
	if tail := &t[last]; spelled && !tlds.has(tail) || tail.kind != kWord || len(tail.fold) < 2 {
		return -1
	}
	return last
}
