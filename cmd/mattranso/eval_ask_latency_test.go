package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// eval answers reports the latency of one Ask next to the answer figures.
func TestEvalAnswersJSON(t *testing.T) {
	out, errOut, code := runCmd(t, nil, "eval", "answers", "--dataset", "../../eval/testdata/answers-tiny", "--mode", "keyword", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	for _, k := range []string{"queries", "f1", "exact_match", "citation_accuracy", "latency_ms_p50", "latency_ms_p95", "latency_ms_max"} {
		if _, ok := m[k]; !ok {
			t.Errorf("json has no %q: %s", k, out)
		}
	}
	if p50, p95, hi := m["latency_ms_p50"].(float64), m["latency_ms_p95"].(float64), m["latency_ms_max"].(float64); !(p50 <= p95 && p95 <= hi) {
		t.Errorf("latency p50 %v, p95 %v, max %v: not in order", p50, p95, hi)
	}
}

// eval answers --data asks an ingested library the questions of a file.
func TestEvalAnswersLatency(t *testing.T) {
	data := t.TempDir()
	if _, stderr, code := runCmd(t, map[string]string{"MATTRANSO_SEARCH_MODE": "keyword"}, "ingest", "--data", data, "../../ingest/testdata/broken"); code > 1 {
		t.Fatalf("ingest: exit %d: %s", code, stderr)
	}
	qs := filepath.Join(t.TempDir(), "questions.txt")
	if err := os.WriteFile(qs, []byte("# staff questions\nThủ tục thử nghiệm cấp giấy gồm những gì?\n\nthời tiết hôm nay thế nào\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"MATTRANSO_SEARCH_MODE": "keyword", "MATTRANSO_INGEST": "none"}
	out, errOut, code := runCmd(t, env, "eval", "answers", "--data", data, "--questions", qs, "--rounds", "2", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res struct {
		Questions int
		First     struct{ Asks int } `json:"first_pass"`
		Warm      struct{ Asks int } `json:"warm"`
		Search    string             `json:"search"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if res.Questions != 2 || res.First.Asks != 2 || res.Warm.Asks != 4 || !strings.HasPrefix(res.Search, "keyword") {
		t.Errorf("result %+v from %s", res, out)
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"eval", "answers", "--data", t.TempDir()}, "no keyword index"},
		{[]string{"eval", "answers", "--data", data, "--questions", "/no/such/file"}, "/no/such/file"},
		{[]string{"eval", "answers", "--data", data, "--dataset", "x"}, "no qrels"},
		{[]string{"eval", "answers", "--data", data, "--dataset", "../../eval/testdata/answers-tiny"}, "corpus of its own"},
		{[]string{"eval", "answers"}, "--dataset DIR"},
	} {
		if _, errOut, code := runCmd(t, env, c.args...); code == 0 || !strings.Contains(errOut, c.msg) {
			t.Errorf("%v: exit %d, %q; want an error mentioning %q", c.args, code, errOut, c.msg)
		}
	}
}
