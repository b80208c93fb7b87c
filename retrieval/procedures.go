package retrieval

import (
	"slices"
	"strings"

	"github.com/mattranso/mattranso/corpus"
)

// Procedures in a ranked list. A question that asks how to get something
// done ("cần giấy tờ gì", "làm ở đâu", "thủ tục", "lệ phí") is answered by
// the procedure it names before the articles of the law behind it: the
// re-ranker learned from questions written from laws' articles, and ranks
// a procedure's long text below them. And a procedure's variants ("Thủ tục
// đăng ký khai sinh lưu động", "… có yếu tố nước ngoài") follow the
// procedure they vary, before unrelated procedures.

// procedureWindow is how many hits after the looked-up ones the variants
// of a procedure are gathered in: about a page and a half.
const procedureWindow = 30

// procedureCues are runs of folded words by which a question asks for a
// procedure.
var procedureCues = [][]string{
	{"thu", "tuc"}, {"giay", "to"}, {"ho", "so"}, {"o", "dau"}, {"le", "phi"}, {"mat", "bao", "lau"},
}

// procedureFiller are folded words that say nothing of which procedure a
// question is about: question words, the cues' words, "cần", "làm".
var procedureFiller = setOf("thu", "tuc", "giay", "to", "ho", "so", "o", "dau", "le", "phi", "mat", "bao", "lau",
	"can", "lam", "gi", "nhung", "nao", "the", "nhu", "thi", "la", "co", "duoc", "bi", "muon", "cho", "cua", "va",
	"khi", "de", "toi", "theo", "mang", "xin", "phai", "ra", "sao", "cac", "mot", "nay", "ai", "khong")

func setOf(ss ...string) map[string]bool {
	m := make(map[string]bool, len(ss))
	for _, s := range ss {
		m[s] = true
	}
	return m
}

// AsksProcedure reports whether a question asks for a procedure: what
// papers, where, which fee, the procedure itself.
func AsksProcedure(question string) bool {
	return asksProcedure(words(question))
}

func asksProcedure(qw []string) bool {
	for i := range qw {
		for _, c := range procedureCues {
			if i+len(c) <= len(qw) && slices.Equal(qw[i:i+len(c)], c) {
				return true
			}
		}
	}
	return false
}

// procedureName returns the folded words of a procedure's name, without
// its "Thủ tục" and its parenthesised level ("(thực hiện tại cấp tỉnh)").
func procedureName(title string) []string {
	var b strings.Builder
	depth := 0
	for _, r := range title {
		switch {
		case r == '(':
			depth++
		case r == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	w := words(b.String())
	if len(w) >= 2 && w[0] == "thu" && w[1] == "tuc" {
		w = w[2:]
	}
	return w
}

// nameMatch is how well a procedure's name words nw fit a question's
// words: the share of the name's words the question holds, and how many.
func nameMatch(qset map[string]bool, nw []string) (share float64, held int) {
	if len(nw) == 0 {
		return 0, 0
	}
	for _, w := range nw {
		if qset[w] {
			held++
		}
	}
	return float64(held) / float64(len(nw)), held
}

// procedureActs are folded words of what a procedure does ("đăng ký",
// "cấp lại", "thay đổi"), which many names share: they say which
// procedure only with the words of what it is done to.
var procedureActs = setOf("dang", "ky", "cap", "lai", "doi", "thay", "xin", "lam")

// namesProcedure reports whether a question names a procedure: it holds
// half of the procedure's name, two words at least besides what the
// procedure does ("đăng ký thường trú" is not named by "đăng ký xe").
// fit ranks the procedures it names: the harmonic mean of that share and
// the share of the question's own words the name holds.
func namesProcedure(qw []string, qset map[string]bool, title string) (fit float64, ok bool) {
	name := procedureName(title)
	share, held := nameMatch(qset, name)
	object := 0
	for _, w := range name {
		if qset[w] && !procedureActs[w] {
			object++
		}
	}
	if object < 2 || share < 0.5 {
		return 0, false
	}
	content := 0
	seen := map[string]bool{}
	for _, w := range qw {
		if !seen[w] && !procedureFiller[w] {
			seen[w] = true
			content++
		}
	}
	cover := 1.0
	if content > 0 {
		cover = min(1, float64(held)/float64(content))
	}
	return 2 * share * cover / (share + cover), true
}

// NamesProcedure reports whether question names the procedure titled
// title (see namesProcedure): the assistant answers from such a procedure.
func NamesProcedure(question, title string) bool {
	qw := words(question)
	_, ok := namesProcedure(qw, setOf(qw...), title)
	return ok
}

// arrangeProcedures orders the procedures of a ranked list whose first
// fixed hits were looked up (they stay). When the question asks for a
// procedure, the one it names best, wherever it is in the list, comes
// first. Then, among the first procedureWindow hits after the fixed ones,
// each procedure's variants — procedures whose name holds its name's
// words in order — follow it in the places procedures held, best named
// first; the articles keep their places. Scores stay with the places, so
// that they still decrease down the list. It reports whether it changed
// anything.
func arrangeProcedures(qw []string, hits []Hit, fixed int) bool {
	if fixed >= len(hits) {
		return false
	}
	qset := setOf(qw...)
	changed := false
	if asksProcedure(qw) {
		best, bestFit := -1, 0.0
		for i := fixed; i < len(hits); i++ {
			if hits[i].Kind != corpus.KindProcedure {
				continue
			}
			if fit, ok := namesProcedure(qw, qset, hits[i].Title); ok && fit > bestFit {
				best, bestFit = i, fit
			}
		}
		if best > fixed {
			scores := make([]float64, best-fixed+1)
			for i := range scores {
				scores[i] = hits[fixed+i].Score
			}
			moved := hits[best]
			copy(hits[fixed+1:best+1], hits[fixed:best])
			hits[fixed] = moved
			for i, s := range scores {
				hits[fixed+i].Score = s
			}
			changed = true
		}
	}
	end := min(len(hits), fixed+procedureWindow)
	var slots []int
	for i := fixed; i < end; i++ {
		if hits[i].Kind == corpus.KindProcedure {
			slots = append(slots, i)
		}
	}
	if len(slots) < 2 {
		return changed
	}
	type proc struct {
		hit   Hit
		name  []string
		share float64
		place int
	}
	procs := make([]proc, len(slots))
	for k, i := range slots {
		nw := procedureName(hits[i].Title)
		share, _ := nameMatch(qset, nw)
		procs[k] = proc{hit: hits[i], name: nw, share: share, place: k}
	}
	// Each procedure's family is the shortest-named procedure of the
	// window whose name its own holds in order (itself, if none).
	root := make([]int, len(procs))
	for k := range procs {
		root[k] = k
		for j := range procs {
			if j != k && subsequence(procs[j].name, procs[k].name) &&
				(len(procs[j].name) < len(procs[root[k]].name) || len(procs[j].name) == len(procs[root[k]].name) && j < root[k]) {
				root[k] = j
			}
		}
	}
	// Families in the order of their first member; within one, the best
	// named first, then by place.
	var order []int
	done := make([]bool, len(procs))
	for k := range procs {
		if done[k] {
			continue
		}
		var fam []int
		for j := range procs {
			if !done[j] && root[j] == root[k] {
				fam = append(fam, j)
				done[j] = true
			}
		}
		if k == 0 && changed {
			// The procedure the question asked for stays first.
			order = append(order, fam...)
			continue
		}
		slices.SortStableFunc(fam, func(a, b int) int {
			switch {
			case procs[a].share > procs[b].share:
				return -1
			case procs[a].share < procs[b].share:
				return 1
			}
			return procs[a].place - procs[b].place
		})
		order = append(order, fam...)
	}
	for k, i := range slots {
		p := procs[order[k]]
		if order[k] != k {
			changed = true
		}
		score := hits[i].Score
		hits[i] = p.hit
		hits[i].Score = score
	}
	return changed
}

// subsequence reports whether a's words occur in b in order.
func subsequence(a, b []string) bool {
	if len(a) == 0 || len(a) > len(b) {
		return false
	}
	j := 0
	for _, w := range b {
		if w == a[j] {
			j++
			if j == len(a) {
				return true
			}
		}
	}
	return false
}
