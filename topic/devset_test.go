package topic

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/corpus"
	"github.com/mattranso/mattranso/internal/testenv"
)

// devSetPath is the development set of citizen submissions the default
// taxonomy's classifier is measured on (EVAL.md).
var devSetPath = filepath.Join("..", "feedback", "testdata", "devset.jsonl")

type devItem struct {
	Text     string `json:"text"`
	Label    string `json:"label"`
	Commune  string `json:"commune"`
	Province string `json:"province"`
	Level    string `json:"level"`
	Unit     string `json:"unit"`
}

// TestDevSet checks that the development set is what EVAL.md says it is:
// enough lines, a third typed without diacritics, every topic of the
// default taxonomy and some that fit none, real communes, receiving units
// that follow the default routing rules, and no line copied or reworded
// from a taxonomy phrase (the classifier is trained on those).
func TestDevSet(t *testing.T) {
	f, err := os.Open(devSetPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var items []devItem
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		var it devItem
		if err := dec.Decode(&it); err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		if strings.TrimSpace(it.Text) == "" || it.Text != corpus.NFC(it.Text) {
			t.Errorf("line %d: text empty or not in NFC: %q", n, it.Text)
		}
		items = append(items, it)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(items) < 330 {
		t.Errorf("%d lines, want at least 330", len(items))
	}

	plain := 0
	seen := map[string]int{}
	for i, it := range items {
		if !hasVietnameseLetter(it.Text) {
			plain++
		}
		if j, dup := seen[it.Text]; dup {
			t.Errorf("line %d repeats line %d", i+1, j+1)
		}
		seen[it.Text] = i
	}
	if 3*plain < len(items) {
		t.Errorf("%d of %d lines without diacritics, want at least a third", plain, len(items))
	}

	tax := DefaultTaxonomy()
	count := map[string]int{}
	for i, it := range items {
		if _, ok := tax.Topic(it.Label); !ok {
			t.Errorf("line %d: label %q is not a topic of the default taxonomy", i+1, it.Label)
		}
		count[it.Label]++
	}
	for _, id := range tax.IDs() {
		want := 20
		if id == tax.Fallback {
			want = 25
		}
		if count[id] < want {
			t.Errorf("topic %s: %d lines, want at least %d", id, count[id], want)
		}
	}

	province := adminCommunes(t)
	for i, it := range items {
		p, ok := province[it.Commune]
		if !ok {
			t.Errorf("line %d: commune %q is not a commune code of the administrative units", i+1, it.Commune)
			continue
		}
		if it.Province != p {
			t.Errorf("line %d: province %q, but commune %s is in province %s", i+1, it.Province, it.Commune, p)
		}
		var want string
		switch {
		case it.Level == "central":
			want = "VN/MTTQ"
		case it.Level == "province" || (it.Level == "commune" && it.Label == "tham_nhung_tieu_cuc"):
			want = p + "/MTTQ"
		case it.Level == "commune":
			want = it.Commune + "/MTTQ"
		default:
			t.Errorf("line %d: level %q, want commune, province or central", i+1, it.Level)
			continue
		}
		if it.Unit != want {
			t.Errorf("line %d (%s, %s, %s): unit %q, want %q", i+1, it.Label, it.Level, it.Commune, it.Unit, want)
		}
	}

	// A line whose syllable pairs are a third or more those of a taxonomy
	// phrase would measure the classifier on what it was taught.
	var phrases [][2]string
	for _, tp := range tax.Topics {
		phrases = append(phrases, [2]string{tp.ID, tp.Name}, [2]string{tp.ID, tp.Definition})
		for _, ex := range tp.Examples {
			phrases = append(phrases, [2]string{tp.ID, ex})
		}
	}
	pairs := make([]map[string]bool, len(phrases))
	for j, ph := range phrases {
		pairs[j] = syllablePairs(ph[1])
	}
	for i, it := range items {
		a := syllablePairs(it.Text)
		for j, b := range pairs {
			if s := jaccard(a, b); s >= 1.0/3 {
				t.Errorf("line %d %q is too close (%.2f) to the taxonomy phrase %q of %s", i+1, it.Text, s, phrases[j][1], phrases[j][0])
			}
		}
	}
}

// hasVietnameseLetter reports whether s holds a letter that folding
// changes: a vowel with a diacritic or đ.
func hasVietnameseLetter(s string) bool {
	return corpus.Fold(s) != strings.ToLower(s)
}

func syllablePairs(s string) map[string]bool {
	toks := corpus.Tokenize(s)
	out := map[string]bool{}
	for i := 0; i+1 < len(toks); i++ {
		out[toks[i].Term+" "+toks[i+1].Term] = true
	}
	return out
}

func jaccard(a, b map[string]bool) float64 {
	inter := 0
	for k := range a {
		if b[k] {
			inter++
		}
	}
	union := len(a) + len(b) - inter
	if union == 0 {
		return 0
	}
	return float64(inter) / float64(union)
}

// adminCommunes maps each commune code of the shared administrative units
// to its province code.
func adminCommunes(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(testenv.SharedPath(t, "data", "admin-units", "vn_admin_units_flat.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	for _, c := range []string{"level", "code", "parent_code"} {
		if _, ok := col[c]; !ok {
			t.Fatalf("administrative units: no column %q in %q", c, head)
		}
	}
	out := map[string]string{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec[col["level"]] == "commune" {
			out[rec[col["code"]]] = rec[col["parent_code"]]
		}
	}
	if len(out) < 3000 {
		t.Fatalf("administrative units: %d communes, want the 3,321 of the file", len(out))
	}
	return out
}
