// Package eval owns the evaluation of the library: BEIR-format datasets,
// the runners that index a set's corpus with the default pipeline and ask
// its queries, and the metrics they report.
package eval

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/mattranso/mattranso/internal/jsonl"
)

// Dataset is a BEIR-format evaluation set: corpus, queries and judgements.
type Dataset struct {
	Dir     string
	Corpus  []CorpusDoc
	Queries []QueryRec
	// Qrels maps a query id to its relevant corpus ids and their grades.
	Qrels map[string]map[string]int
	Split string
}

// CorpusDoc is one line of corpus.jsonl.
type CorpusDoc struct {
	ID       string `json:"_id"`
	Title    string `json:"title"`
	Text     string `json:"text"`
	Metadata struct {
		LawID     string `json:"law_id"`
		ArticleID string `json:"article_id"`
	} `json:"metadata"`
}

// QueryRec is one line of queries.jsonl.
type QueryRec struct {
	ID       string         `json:"_id"`
	Text     string         `json:"text"`
	Metadata map[string]any `json:"metadata"`
}

// Answer returns the query's gold short answer, if it has one.
func (q QueryRec) Answer() string {
	s, _ := q.Metadata["answer"].(string)
	return s
}

// LoadDataset reads a BEIR set from dir. split names qrels/<split>.tsv;
// empty means "test" when present, else the only split there is.
func LoadDataset(dir, split string) (*Dataset, error) {
	ds := &Dataset{Dir: dir, Qrels: map[string]map[string]int{}}
	if split == "" {
		var err error
		if split, err = defaultSplit(dir); err != nil {
			return nil, err
		}
	}
	ds.Split = split
	if err := readJSONL(filepath.Join(dir, "corpus.jsonl"), func(line int, b []byte) error {
		var d CorpusDoc
		if err := json.Unmarshal(b, &d); err != nil {
			return err
		}
		if d.ID == "" {
			return fmt.Errorf("missing _id")
		}
		if d.Metadata.LawID == "" || d.Metadata.ArticleID == "" {
			// Plain BEIR: the id is LAW#ARTICLE or just an id.
			law, art, ok := strings.Cut(d.ID, "#")
			if !ok {
				law, art = d.Title, d.ID
			}
			d.Metadata.LawID, d.Metadata.ArticleID = law, art
		}
		ds.Corpus = append(ds.Corpus, d)
		return nil
	}); err != nil {
		return nil, err
	}
	if err := ds.readQuestions(); err != nil {
		return nil, err
	}
	return ds, nil
}

// LoadQuestions reads the queries and judgements of a set written against
// the library rather than a corpus of its own (eval/testdata/realq): its
// judged ids are the library's (LibraryID).
func LoadQuestions(dir, split string) (*Dataset, error) {
	ds := &Dataset{Dir: dir, Qrels: map[string]map[string]int{}}
	if split == "" {
		var err error
		if split, err = defaultSplit(dir); err != nil {
			return nil, err
		}
	}
	ds.Split = split
	if err := ds.readQuestions(); err != nil {
		return nil, err
	}
	return ds, nil
}

// HasCorpus reports whether dir holds a corpus of its own (corpus.jsonl).
func HasCorpus(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "corpus.jsonl"))
	return err == nil
}

func (ds *Dataset) readQuestions() error {
	dir := ds.Dir
	if err := readJSONL(filepath.Join(dir, "queries.jsonl"), func(line int, b []byte) error {
		var q QueryRec
		if err := json.Unmarshal(b, &q); err != nil {
			return err
		}
		if q.ID == "" || strings.TrimSpace(q.Text) == "" {
			return fmt.Errorf("missing _id or text")
		}
		ds.Queries = append(ds.Queries, q)
		return nil
	}); err != nil {
		return err
	}
	return ds.readQrels(filepath.Join(dir, "qrels", ds.Split+".tsv"))
}

func defaultSplit(dir string) (string, error) {
	files, _ := filepath.Glob(filepath.Join(dir, "qrels", "*.tsv"))
	if len(files) == 0 {
		return "", fmt.Errorf("eval: %s has no qrels/*.tsv: is it a BEIR dataset?", dir)
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = strings.TrimSuffix(filepath.Base(f), ".tsv")
		if names[i] == "test" {
			return "test", nil
		}
	}
	sort.Strings(names)
	if len(names) > 1 {
		return "", fmt.Errorf("eval: %s has splits %s: choose one with --split", dir, strings.Join(names, ", "))
	}
	return names[0], nil
}

func (ds *Dataset) readQrels(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("eval: open qrels: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		cols := strings.Split(strings.TrimRight(sc.Text(), "\r"), "\t")
		if len(cols) < 2 || (line == 1 && cols[0] == "query-id") {
			continue
		}
		grade := 1
		if len(cols) >= 3 {
			g, err := strconv.Atoi(strings.TrimSpace(cols[2]))
			if err != nil {
				return fmt.Errorf("eval: %s line %d: score %q is not a number", path, line, cols[2])
			}
			grade = g
		}
		if grade <= 0 {
			continue
		}
		if ds.Qrels[cols[0]] == nil {
			ds.Qrels[cols[0]] = map[string]int{}
		}
		ds.Qrels[cols[0]][cols[1]] = grade
	}
	return sc.Err()
}

func readJSONL(path string, fn func(line int, b []byte) error) error {
	if err := jsonl.EachFile(path, fn); err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	return nil
}
