package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEvalClassify(t *testing.T) {
	train, test := "../../eval/testdata/classify-tiny/train.jsonl", "../../eval/testdata/classify-tiny/test.jsonl"
	out, errOut, code := runCmd(t, nil, "eval", "classify", "--train", train, "--test", test, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var m map[string]float64
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if len(m) != 3 || m["examples"] != 6 || m["accuracy"] < 0.5 || m["macro_f1"] <= 0 {
		t.Errorf("json = %v, want examples, accuracy, macro_f1", m)
	}
	out, errOut, code = runCmd(t, nil, "eval", "classify", "--train", train, "--test", test)
	if code != 0 || !strings.Contains(out, "accuracy") || !strings.Contains(out, "macro_f1") || !strings.Contains(out, "facility") {
		t.Errorf("text mode: exit %d, %q %q", code, out, errOut)
	}
	for _, args := range [][]string{{"eval", "classify"}, {"eval", "classify", "--train", train}} {
		if _, errOut, code := runCmd(t, nil, args...); code != 2 || !strings.Contains(errOut, "--train FILE and --test FILE") {
			t.Errorf("%v: exit %d, %q", args, code, errOut)
		}
	}
	if _, errOut, code := runCmd(t, nil, "eval", "classify", "--train", "/no/such.jsonl", "--test", test); code != 1 || !strings.Contains(errOut, "/no/such.jsonl") {
		t.Errorf("missing file: exit %d, %q", code, errOut)
	}
}

func TestEvalClassifyCrossValidation(t *testing.T) {
	train, test := "../../eval/testdata/classify-tiny/train.jsonl", "../../eval/testdata/classify-tiny/test.jsonl"
	out, errOut, code := runCmd(t, nil, "eval", "classify", "--train", train, "--cv", "3", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var cv struct {
		Folds  []map[string]float64 `json:"folds"`
		Mean   map[string]float64   `json:"mean"`
		Pooled map[string]float64   `json:"pooled"`
	}
	if err := json.Unmarshal([]byte(out), &cv); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if len(cv.Folds) != 3 || cv.Folds[0]["examples"] != 5 || cv.Pooled["examples"] != 15 || cv.Mean["accuracy"] <= 0 || cv.Mean["macro_f1"] <= 0 {
		t.Errorf("json = %s, want 3 folds of 5, their mean and the pooled scores", out)
	}
	out, errOut, code = runCmd(t, nil, "eval", "classify", "--train", train, "--cv", "3", "--single-model", "--l2", "3e-4")
	for _, want := range []string{"folds      3", "\n1 ", "\n3 ", "mean", "pooled         15", "facility"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("text mode: exit %d, output %q lacks %q (%s)", code, out, want, errOut)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--cv", "3"}, "--cv K needs --train FILE"},
		{[]string{"--train", train, "--test", test, "--cv", "3"}, "leave out --test"},
		{[]string{"--train", train, "--cv", "1"}, "--cv: 1 folds, at least 2"},
	} {
		if _, errOut, code := runCmd(t, nil, append([]string{"eval", "classify"}, c.args...)...); code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, %q, want %q", c.args, code, errOut, c.want)
		}
	}
}

func TestEvalClassifyTaxonomy(t *testing.T) {
	dev := "../../feedback/testdata/devset.jsonl"
	out, errOut, code := runCmd(t, nil, "eval", "classify", "--taxonomy", "default", "--test", dev, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	type scores struct {
		Examples int     `json:"examples"`
		Accuracy float64 `json:"accuracy"`
		MacroF1  float64 `json:"macro_f1"`
		PerLabel []struct {
			Label string  `json:"label"`
			F1    float64 `json:"f1"`
		} `json:"per_label"`
	}
	var plain struct {
		Topics, Examples, Replayed int
		Before                     scores
		Learnt, Retrained          *scores
	}
	if err := json.Unmarshal([]byte(out), &plain); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if plain.Topics != 13 || plain.Examples < 330 || plain.Before.Examples != plain.Examples || plain.Before.MacroF1 <= 0 ||
		len(plain.Before.PerLabel) != 13 || plain.Replayed != 0 || plain.Learnt != nil || plain.Retrained != nil {
		t.Errorf("json = %s, want the whole dev set scored over the 13 topics, nothing replayed", out)
	}

	out, errOut, code = runCmd(t, nil, "eval", "classify", "--taxonomy", "default", "--test", dev, "--half", "odd", "--corrections", "0.5", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var corr struct {
		Examples, Replayed, Corrected int
		Before                        scores
		Learnt, Retrained             *scores
	}
	if err := json.Unmarshal([]byte(out), &corr); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	half := (plain.Examples + 1) / 2
	if corr.Examples != half || corr.Replayed != (half+1)/2 || corr.Before.Examples != half-corr.Replayed ||
		corr.Learnt == nil || corr.Retrained == nil || corr.Retrained.Examples != corr.Before.Examples || corr.Corrected == 0 {
		t.Errorf("json = %s, want half of %d examples replayed and the rest scored before and after", out, half)
	}

	out, errOut, code = runCmd(t, nil, "eval", "classify", "--taxonomy", "default", "--test", dev, "--corrections", "0.3", "--confirmed")
	for _, want := range []string{"taxonomy   default (13 topics)", "replayed   107 (0.30), ", " confirmed (Learn)", "before ", "after learning ", "after retraining ", "after retraining, per label:", "tham_nhung_tieu_cuc"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("text mode: exit %d, output %q lacks %q (%s)", code, out, want, errOut)
		}
	}

	// --routing routes each predicted topic by the default rules of
	// package feedback; the set's units are those rules' for its topics.
	out, errOut, code = runCmd(t, nil, "eval", "classify", "--taxonomy", "default", "--test", dev, "--routing", "--json")
	var routed struct {
		Before struct {
			Accuracy float64  `json:"accuracy"`
			Routing  *float64 `json:"routing_accuracy"`
		} `json:"before"`
		Gold *float64 `json:"routing_accuracy_gold_topics"`
	}
	if err := json.Unmarshal([]byte(out), &routed); err != nil || code != 0 {
		t.Fatalf("--routing: exit %d, %q, %v (%s)", code, out, err, errOut)
	}
	if routed.Gold == nil || *routed.Gold != 1 || routed.Before.Routing == nil || *routed.Before.Routing < routed.Before.Accuracy {
		t.Errorf("--routing: %s, want every unit right with the right topics, and routing no worse than the topics", out)
	}
	out, errOut, code = runCmd(t, nil, "eval", "classify", "--taxonomy", "default", "--test", dev, "--routing", "--corrections", "0.5")
	for _, want := range []string{"  routing\n", "routing with the right topics: 1.0000"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("--routing --corrections: exit %d, output %q lacks %q (%s)", code, out, want, errOut)
		}
	}

	// -v lists each miss with its gold and predicted topics.
	out, errOut, code = runCmd(t, nil, "eval", "classify", "--taxonomy", "default", "--test", dev, "--half", "even", "-v")
	if misses := strings.Count(out, " → "); code != 0 || misses == 0 || !strings.Contains(out, "(even examples)") {
		t.Errorf("-v: exit %d, %d misses listed in %q (%s)", code, misses, out, errOut)
	}

	// A taxonomy file: two topics, so every dev-set label but two is
	// outside it and refused.
	tax := filepath.Join(t.TempDir(), "tax.yaml")
	if err := os.WriteFile(tax, []byte("topics:\n- {id: giao_thong, name: Giao thông, definition: đường sá, examples: [ổ gà]}\n- {id: khac, name: Khác, definition: còn lại, examples: [cảm ơn]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	small := filepath.Join(t.TempDir(), "small.jsonl")
	if err := os.WriteFile(small, []byte(`{"text":"duong nhieu o ga qua","label":"giao_thong","unit":"x"}`+"\n"+`{"text":"cam on mat tran","label":"khac"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = runCmd(t, nil, "eval", "classify", "--taxonomy", tax, "--test", small, "--json")
	if code != 0 || !strings.Contains(out, `"topics":2,"examples":2`) {
		t.Errorf("taxonomy file: exit %d, %q %q", code, out, errOut)
	}
	if _, errOut, code := runCmd(t, nil, "eval", "classify", "--taxonomy", tax, "--test", dev); code != 1 || !strings.Contains(errOut, "is not a topic of the taxonomy") {
		t.Errorf("labels outside the taxonomy: exit %d, %q", code, errOut)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--taxonomy", "default", "--train", dev, "--test", dev}, "leave out --train"},
		{[]string{"--taxonomy", "default", "--test", dev, "--l2", "1e-3"}, "leave out --l2"},
		{[]string{"--taxonomy", "default"}, "--taxonomy needs --test FILE"},
		{[]string{"--taxonomy", "default", "--test", dev, "--half", "A"}, `--half "A": odd or even`},
		{[]string{"--taxonomy", "default", "--test", dev, "--corrections", "1"}, "--corrections 1: a share"},
		{[]string{"--train", dev, "--test", dev, "--corrections", "0.3"}, "go with --taxonomy"},
		{[]string{"--train", dev, "--test", dev, "--half", "odd"}, "go with --taxonomy"},
		{[]string{"--train", dev, "--test", dev, "-v"}, "go with --taxonomy"},
		{[]string{"--train", dev, "--test", dev, "--confirmed"}, "go with --taxonomy"},
		{[]string{"--train", dev, "--test", dev, "--routing"}, "go with --taxonomy"},
		{[]string{"--taxonomy", "default", "--test", dev, "--confirmed"}, "--confirmed goes with --corrections F"},
	} {
		if _, errOut, code := runCmd(t, nil, append([]string{"eval", "classify"}, c.args...)...); code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, %q, want %q", c.args, code, errOut, c.want)
		}
	}
	if _, errOut, code := runCmd(t, nil, "eval", "classify", "--taxonomy", "/no/such.yaml", "--test", dev); code != 1 || !strings.Contains(errOut, "/no/such.yaml") {
		t.Errorf("missing taxonomy: exit %d, %q", code, errOut)
	}
}
