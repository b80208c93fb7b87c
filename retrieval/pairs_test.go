package retrieval

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeSet writes a BEIR folder of the given files under root.
func writeSet(t *testing.T, root, name string, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(root, name)
	for f, body := range files {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const (
	pairsCorpus = `{"_id":"d1","title":"Điều 1","text":"Phạm vi điều chỉnh"}

{"_id":"d2","title":"Điều 2","text":"Đối tượng áp dụng"}
{"_id":"d3","title":"Điều 3","text":"Giải thích từ ngữ"}
`
	pairsQueries = `{"_id":"q1","text":"luật này điều chỉnh gì"}
{"_id":"q2","text":"ai phải áp dụng"}
{"_id":"q3","text":"câu hỏi không được chấm"}
{"_id":"q4","text":"câu hỏi chỉ có điểm 0"}
`
	// A header, CRLF line ends, a judgement given twice, a score of 0, a
	// line without a score, a passage not in the corpus and a question
	// not in the queries.
	pairsQrels = "query-id\tcorpus-id\tscore\r\n" +
		"q1\td1\t1\r\n" +
		"q1\td1\t2\r\n" +
		"q2\td2\r\n" +
		"q2\td3\t0\r\n" +
		"q2\tmissing\t1\r\n" +
		"q4\td3\t0\r\n" +
		"q9\td1\t1\r\n"
)

func TestReadTrainingPairs(t *testing.T) {
	root := t.TempDir()
	a := writeSet(t, root, "a", map[string]string{"corpus.jsonl": pairsCorpus, "queries.jsonl": pairsQueries, "qrels/train.tsv": pairsQrels,
		// A test split is never read.
		"qrels/test.tsv": "q3\td3\t1\n"})
	b := writeSet(t, root, "b", map[string]string{"corpus.jsonl": `{"_id":"x","title":"","text":"An toàn thực phẩm"}`,
		"queries.jsonl": `{"_id":"1","text":"an toàn thực phẩm là gì"}`, "qrels/train.tsv": "1\tx\t1\n"})
	got, err := ReadTrainingPairs(b, a)
	if err != nil {
		t.Fatal(err)
	}
	want := []Pair{
		{Query: "ai phải áp dụng", Text: "Điều 2\nĐối tượng áp dụng"},
		{Query: "an toàn thực phẩm là gì", Text: "\nAn toàn thực phẩm"},
		{Query: "luật này điều chỉnh gì", Text: "Điều 1\nPhạm vi điều chỉnh"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("pairs:\n%q\nwant\n%q", got, want)
	}
	if again, _ := ReadTrainingPairs(a, b); !slices.Equal(again, got) {
		t.Errorf("the order of the folders changed the pairs: %q", again)
	}
	if none, err := ReadTrainingPairs(); err != nil || len(none) != 0 {
		t.Errorf("no folder: %q, %v", none, err)
	}
}

// A folder that is not a readable training split is refused, naming the
// file and line.
func TestReadTrainingPairsErrors(t *testing.T) {
	root := t.TempDir()
	ok := map[string]string{"corpus.jsonl": pairsCorpus, "queries.jsonl": pairsQueries, "qrels/train.tsv": pairsQrels}
	with := func(name, body string) map[string]string {
		m := map[string]string{}
		for k, v := range ok {
			m[k] = v
		}
		if body == "" {
			delete(m, name)
		} else {
			m[name] = body
		}
		return m
	}
	for _, c := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"no-split", with("qrels/train.tsv", ""), "train.tsv"},
		{"no-corpus", with("corpus.jsonl", ""), "corpus.jsonl"},
		{"bad-score", with("qrels/train.tsv", "q1\td1\tyes\n"), `train.tsv line 1: score "yes"`},
		{"bad-json", with("queries.jsonl", "{\"_id\":\"q1\",\"text\":\"a\"}\n{oops\n"), "queries.jsonl line 2"},
		{"no-id", with("corpus.jsonl", `{"title":"t","text":"x"}`), "corpus.jsonl line 1: missing _id"},
		{"no-text", with("queries.jsonl", `{"_id":"q1","text":"  "}`), "queries.jsonl line 1: missing _id or text"},
	} {
		dir := writeSet(t, root, c.name, c.files)
		_, err := ReadTrainingPairs(dir)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "training pairs: ") {
			t.Errorf("%s: err %v; want one naming %q", c.name, err, c.want)
		}
	}
}

// A training set is a folder with queries, a corpus and a training split.
func TestTrainingSets(t *testing.T) {
	root := t.TempDir()
	a := writeSet(t, root, "a", map[string]string{"queries.jsonl": "", "corpus.jsonl": "", "qrels/train.tsv": ""})
	b := writeSet(t, root, "b", map[string]string{"queries.jsonl": "", "corpus.jsonl": "", "qrels/train.tsv": ""})
	writeSet(t, root, "test-only", map[string]string{"queries.jsonl": "", "corpus.jsonl": "", "qrels/test.tsv": ""})
	writeSet(t, root, "no-corpus", map[string]string{"queries.jsonl": "", "qrels/train.tsv": ""})
	if got := TrainingSets(root); !slices.Equal(got, []string{a, b}) {
		t.Errorf("training sets: %v, want [%s %s]", got, a, b)
	}
	if got := TrainingSets(filepath.Join(root, "missing")); got != nil {
		t.Errorf("under a missing folder: %v", got)
	}
}
