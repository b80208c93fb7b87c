package main

import (
	"encoding/json"
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
