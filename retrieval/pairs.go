package retrieval

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/mattranso/mattranso/internal/jsonl"
)

// Training pairs: judged questions that teach the local embedder which
// passages answer them, beside what it learns from the library itself.
// They are data, read from folders in the BEIR layout:
//
//	corpus.jsonl      {"_id": "…", "title": "…", "text": "…"} a line
//	queries.jsonl     {"_id": "…", "text": "…"} a line
//	qrels/train.tsv   query-id <TAB> corpus-id <TAB> score (a header line
//	                  "query-id …" may come first; a score above 0 judges
//	                  the passage relevant; without a score, it is)
//
// Only the training split is read, never a test split: a set's test
// questions must stay unseen by what is evaluated on them.

// TrainSplit is the qrels file, under qrels/, that training pairs come from.
const TrainSplit = "train.tsv"

// ReadTrainingPairs reads the training split of each BEIR folder in dirs
// and pairs every judged question with the title and text of each passage
// judged relevant to it, sorted (SortPairs) so that training does not
// depend on the order the folders and files were read in.
func ReadTrainingPairs(dirs ...string) ([]Pair, error) {
	var pairs []Pair
	for _, dir := range dirs {
		p, err := readPairs(dir)
		if err != nil {
			return nil, fmt.Errorf("training pairs: %w", err)
		}
		pairs = append(pairs, p...)
	}
	SortPairs(pairs)
	return pairs, nil
}

// SortPairs orders pairs by question and text, taken together.
func SortPairs(pairs []Pair) {
	sort.Slice(pairs, func(i, j int) bool { return concatLess(pairs[i].Query, pairs[i].Text, pairs[j].Query, pairs[j].Text) })
}

// concatLess reports whether a+b < c+d without joining them: joined at
// every comparison, a library's pairs (a passage's text each) made
// gigabytes of garbage to sort.
func concatLess(a, b, c, d string) bool {
	for {
		if a == "" {
			a, b = b, ""
		}
		if c == "" {
			c, d = d, ""
		}
		if a == "" || c == "" {
			return len(a) < len(c)
		}
		n := min(len(a), len(c))
		if a[:n] != c[:n] {
			return a[:n] < c[:n]
		}
		a, c = a[n:], c[n:]
	}
}

// TrainingSets lists the folders directly under dir that hold a training
// split (queries.jsonl, corpus.jsonl and qrels/train.tsv), in name order;
// none when dir cannot be read.
func TrainingSets(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if d := filepath.Join(dir, e.Name()); e.IsDir() && IsTrainingSet(d) {
			out = append(out, d)
		}
	}
	return out
}

// IsTrainingSet reports whether dir holds the three files of a training
// split.
func IsTrainingSet(dir string) bool {
	for _, f := range []string{"queries.jsonl", "corpus.jsonl", filepath.Join("qrels", TrainSplit)} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return false
		}
	}
	return true
}

func readPairs(dir string) ([]Pair, error) {
	judged, err := readJudgements(filepath.Join(dir, "qrels", TrainSplit))
	if err != nil {
		return nil, err
	}
	text := map[string]string{}
	if err := jsonl.EachFile(filepath.Join(dir, "corpus.jsonl"), func(_ int, b []byte) error {
		var d struct {
			ID    string `json:"_id"`
			Title string `json:"title"`
			Text  string `json:"text"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			return err
		}
		if d.ID == "" {
			return errors.New("missing _id")
		}
		text[d.ID] = d.Title + "\n" + d.Text
		return nil
	}); err != nil {
		return nil, err
	}
	var pairs []Pair
	err = jsonl.EachFile(filepath.Join(dir, "queries.jsonl"), func(_ int, b []byte) error {
		var q struct {
			ID   string `json:"_id"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(b, &q); err != nil {
			return err
		}
		if q.ID == "" || strings.TrimSpace(q.Text) == "" {
			return errors.New("missing _id or text")
		}
		for _, id := range judged[q.ID] {
			if t, ok := text[id]; ok {
				pairs = append(pairs, Pair{Query: q.Text, Text: t})
			}
		}
		return nil
	})
	return pairs, err
}

// readJudgements reads a qrels file: for each question, the passages
// judged relevant, each once.
func readJudgements(path string) (map[string][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string][]string{}
	seen := map[[2]string]bool{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		cols := strings.Split(strings.TrimRight(sc.Text(), "\r"), "\t")
		if len(cols) < 2 || (line == 1 && cols[0] == "query-id") {
			continue
		}
		if len(cols) >= 3 {
			score, err := strconv.Atoi(strings.TrimSpace(cols[2]))
			if err != nil {
				return nil, fmt.Errorf("%s line %d: score %q is not a number", path, line, cols[2])
			}
			if score <= 0 {
				continue
			}
		}
		if k := [2]string{cols[0], cols[1]}; !seen[k] {
			seen[k] = true
			out[cols[0]] = append(out[cols[0]], cols[1])
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}
