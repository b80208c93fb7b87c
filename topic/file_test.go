package topic

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestClassifierSaveLoad(t *testing.T) {
	c, err := Train(t.Context(), readExamples(t, "train.jsonl"), Options{Names: map[string]string{"facility": "Cơ sở vật chất"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Learn(t.Context(), "bãi giữ xe chật chội", "facility"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "classifier.model")
	if err := c.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	d, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range append(readExamples(t, "test.jsonl"), Example{Text: "bãi giữ xe"}) {
		if a, b := classify(t, c, e.Text), classify(t, d, e.Text); !reflect.DeepEqual(a, b) {
			t.Errorf("Classify(%q) after load: %+v, before: %+v", e.Text, b, a)
		}
	}
	if got := classify(t, d, "máy lạnh hư").Label; got != "Cơ sở vật chất" {
		t.Errorf("label after load = %q, want the display name", got)
	}
	if got := d.Corrections(); len(got) != 1 || got[0].Label != "facility" {
		t.Errorf("corrections after load = %+v", got)
	}
}

func TestClassifierCorruptedFile(t *testing.T) {
	c, err := Train(t.Context(), readExamples(t, "train.jsonl"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := c.Save(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	flip := bytes.Clone(good)
	flip[len(flip)-20] ^= 0x01
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"flipped byte", flip, "checksum mismatch"},
		{"truncated", good[:len(good)/2], "checksum mismatch"},
		{"other version", bytes.Replace(good, []byte(fmt.Sprintf("mattranso-classifier %d", modelVersion)), []byte("mattranso-classifier 9"), 1), "version 9"},
		{"not a model", []byte("hello\nworld\n"), "not a classifier model"},
		{"empty", nil, "missing header"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "m")
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadFile(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestClassifierRoundTrip(t *testing.T) {
	c, err := Train(t.Context(), readExamples(t, "small.jsonl"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var first bytes.Buffer
	if err := c.Save(&first); err != nil {
		t.Fatal(err)
	}
	d, err := Load(bytes.NewReader(first.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var second bytes.Buffer
	if err := d.Save(&second); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Error("a loaded model writes a different file")
	}
	texts := []string{"thầy giảng nhiệt tình", "wifi truong hay mat mang", "một từ chưa gặp: xylophone"}
	for _, text := range texts {
		if a, b := classify(t, c, text), classify(t, d, text); !reflect.DeepEqual(a, b) {
			t.Errorf("Classify(%q) after load: %+v, before: %+v", text, b, a)
		}
	}
	// The loaded model learns as the original does, new words included.
	for _, m := range []*Classifier{c, d} {
		if err := m.Learn(t.Context(), "điều hòa giảng đường kêu ồn", "facility"); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := classify(t, c, "điều hòa kêu ồn"), classify(t, d, "điều hòa kêu ồn"); !reflect.DeepEqual(a, b) || a.Topic != "facility" {
		t.Errorf("after Learn: loaded %+v, original %+v, want facility for both", b, a)
	}
}

// A model file of the first format (no idf, no character n-grams) is
// refused with a message saying to retrain, not misread.
func TestClassifierOldFormat(t *testing.T) {
	payload := []byte(`{"labels":["a","b"],"options":{"Epochs":12},"features":["w:x"],"weights":[[1,-1]],"bias":[0,0]}`)
	sum := sha256.Sum256(payload)
	file := fmt.Sprintf("mattranso-classifier 1\nsha256 %s\n%s", hex.EncodeToString(sum[:]), payload)
	_, err := Load(strings.NewReader(file))
	if err == nil || !strings.Contains(err.Error(), "model version 1") || !strings.Contains(err.Error(), "retrain") {
		t.Errorf("err = %v, want a version 1 error asking to retrain", err)
	}
}

// A version 2 model file (before NB-LR) is still read, as a model of the
// logistic regression alone.
func TestClassifierVersion2(t *testing.T) {
	c, err := Train(t.Context(), readExamples(t, "small.jsonl"), Options{SingleModel: true})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := c.Save(&buf); err != nil {
		t.Fatal(err)
	}
	old := bytes.Replace(buf.Bytes(), []byte(fmt.Sprintf("mattranso-classifier %d\n", modelVersion)), []byte("mattranso-classifier 2\n"), 1)
	d, err := Load(bytes.NewReader(old))
	if err != nil {
		t.Fatal(err)
	}
	if d.m.nb != nil {
		t.Error("a version 2 model read with an NB-LR model")
	}
	for _, text := range []string{"thầy giảng nhiệt tình", "wifi truong hay mat mang"} {
		if a, b := classify(t, c, text), classify(t, d, text); !reflect.DeepEqual(a, b) {
			t.Errorf("Classify(%q) after load: %+v, before: %+v", text, b, a)
		}
	}
}

// A model file whose checksum holds but whose parts disagree (a
// hand-edited or badly written file) is refused with the reason, not
// half-loaded.
func TestClassifierInconsistentFile(t *testing.T) {
	c, err := Train(t.Context(), readExamples(t, "small.jsonl"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := c.Save(&buf); err != nil {
		t.Fatal(err)
	}
	head, rest, _ := bytes.Cut(buf.Bytes(), []byte("\n"))
	_, payload, _ := bytes.Cut(rest, []byte("\n"))
	nb := func(m map[string]any) map[string]any { return m["nb"].(map[string]any) }
	cases := []struct {
		name string
		edit func(m map[string]any)
		want string
	}{
		{"one label", func(m map[string]any) { m["labels"] = m["labels"].([]any)[:1] }, "inconsistent model"},
		{"bias", func(m map[string]any) { m["bias"] = m["bias"].([]any)[:2] }, "inconsistent model"},
		{"weights", func(m map[string]any) { m["weights"] = m["weights"].([]any)[1:] }, "inconsistent model"},
		{"idf", func(m map[string]any) { m["idf"] = m["idf"].([]any)[1:] }, "inconsistent model"},
		{"feature weights", func(m map[string]any) { m["weights"].([]any)[4] = []any{1.0} }, "feature 4 has 1 weights, want 3"},
		{"not JSON", nil, "topic: load: invalid character"},
		{"NB-LR bias", func(m map[string]any) { nb(m)["bias"] = nb(m)["bias"].([]any)[:1] }, "NB-LR"},
		{"NB-LR ratios", func(m map[string]any) { nb(m)["ratios"] = append(nb(m)["ratios"].([]any), []any{1.0}) }, "NB-LR"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := []byte("{not json")
			if tc.edit != nil {
				var m map[string]any
				if err := json.Unmarshal(payload, &m); err != nil {
					t.Fatal(err)
				}
				tc.edit(m)
				p, _ = json.Marshal(m)
			}
			sum := sha256.Sum256(p)
			file := append(append(append(bytes.Clone(head), '\n'), "sha256 "+hex.EncodeToString(sum[:])+"\n"...), p...)
			if _, err := Load(bytes.NewReader(file)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// A model trained for other topics than the taxonomy's is refused by
// CheckTaxonomy, each topic that differs named.
func TestCheckTaxonomy(t *testing.T) {
	tax := DefaultTaxonomy()
	if err := defaultClassifier(t).CheckTaxonomy(tax); err != nil {
		t.Errorf("the default model against its taxonomy: %v", err)
	}
	other, err := Train(t.Context(), readExamples(t, "small.jsonl"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = other.CheckTaxonomy(tax)
	for _, want := range []string{`no class for topic "giao_thong"`, `label "facility" is not a topic`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("a model of other topics: err = %v, want it to say %s", err, want)
		}
	}
}

// A model saved from an earlier version of the taxonomy — the same ids,
// other phrases — is refused too, also after a save and a load, so that
// serve trains it again instead of serving what the taxonomy no longer
// says.
func TestCheckTaxonomyVersion(t *testing.T) {
	c := defaultClassifier(t)
	var buf bytes.Buffer
	if err := c.Save(&buf); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(&buf)
	if err != nil {
		t.Fatal(err)
	}
	tax := DefaultTaxonomy()
	if err := loaded.CheckTaxonomy(tax); err != nil {
		t.Fatalf("the default model, saved and loaded, against its taxonomy: %v", err)
	}
	tax.Topics[0].Examples = append(tax.Topics[0].Examples, "một câu mới của phân loại")
	if err := loaded.CheckTaxonomy(tax); err == nil || !strings.Contains(err.Error(), "not from this one") {
		t.Errorf("a taxonomy with a new phrase: err = %v, want the model refused", err)
	}
	if err := c.Retrain(t.Context(), nil); err == nil {
		// Retrain with no examples fails; the model it would keep is
		// the same one, fingerprint included.
		t.Log("retrained from corrections alone")
	}
	if err := c.CheckTaxonomy(DefaultTaxonomy()); err != nil {
		t.Errorf("after Retrain: %v", err)
	}
}
