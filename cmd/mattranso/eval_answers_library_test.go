package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// eval answers --data --dataset asks an ingested library the questions of
// a set written against it and reports answered_rate on the answerable
// ones, abstain_rate and false_support on the others; a judged id the
// library does not hold fails the run.
func TestEvalAnswersLibrarySet(t *testing.T) {
	data := t.TempDir()
	if _, stderr, code := runCmd(t, map[string]string{"MATTRANSO_SEARCH_MODE": "keyword"}, "ingest", "--data", data, "../../ingest/testdata/broken"); code > 1 {
		t.Fatalf("ingest: exit %d: %s", code, stderr)
	}
	set := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(set, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(set, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("queries.jsonl", `{"_id": "a1", "text": "Thủ tục thử nghiệm cấp giấy do cơ quan nào thực hiện?", "metadata": {"answerable": true, "half": "tune"}}
{"_id": "a2", "text": "Thử nghiệm là gì?", "metadata": {"answerable": true, "half": "check"}}
{"_id": "u1", "text": "xyzqwv blorf", "metadata": {"answerable": false, "half": "tune"}}
{"_id": "u2", "text": "Điều 1000 Luật Thử nghiệm 2020 quy định gì?", "metadata": {"answerable": false, "half": "check"}}
`)
	write("qrels/test.tsv", "query-id\tcorpus-id\tscore\na1\t9.000001\t1\na2\tluat-thu-nghiem-2020#2\t1\n")
	env := map[string]string{"MATTRANSO_SEARCH_MODE": "keyword", "MATTRANSO_INGEST": "none"}
	out, errOut, code := runCmd(t, env, "eval", "answers", "--data", data, "--dataset", set, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var m struct {
		Queries      int      `json:"queries"`
		Unanswerable int      `json:"unanswerable"`
		AnsweredRate float64  `json:"answered_rate"`
		AbstainRate  *float64 `json:"abstain_rate"`
		FalseSupport *float64 `json:"false_support"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if m.Queries != 4 || m.Unanswerable != 2 || m.AbstainRate == nil || m.FalseSupport == nil {
		t.Fatalf("figures %+v from %s", m, out)
	}
	if m.AnsweredRate != 1 || *m.AbstainRate != 1 || *m.FalseSupport != 0 {
		t.Errorf("answered %v, abstained %v, false support %v; want 1, 1, 0 (%s)", m.AnsweredRate, *m.AbstainRate, *m.FalseSupport, out)
	}
	out, _, code = runCmd(t, env, "eval", "answers", "--data", data, "--dataset", set, "--half", "check", "--json")
	if err := json.Unmarshal([]byte(out), &m); code != 0 || err != nil || m.Queries != 2 {
		t.Errorf("--half check: exit %d, %s", code, out)
	}
	write("qrels/test.tsv", "query-id\tcorpus-id\tscore\na1\t9.999999\t1\na2\tluat-thu-nghiem-2020#99\t1\n")
	if _, errOut, code := runCmd(t, env, "eval", "answers", "--data", data, "--dataset", set); code == 0 || !strings.Contains(errOut, "a1: 9.999999") || !strings.Contains(errOut, "a2: luat-thu-nghiem-2020#99") {
		t.Errorf("judged ids the library lacks: exit %d, %q", code, errOut)
	}
}
