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
