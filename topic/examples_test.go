package topic

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestReadExamplesMalformed(t *testing.T) {
	_, err := ReadExamplesFile(filepath.Join("testdata", "malformed.jsonl"))
	if err == nil {
		t.Fatal("malformed file accepted")
	}
	for _, want := range []string{"line 2: not a JSON object", `line 3: missing or empty "text"`, `line 5: missing or empty "label"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "line 1:") || strings.Contains(err.Error(), "line 4:") {
		t.Errorf("error %q blames a good or blank line", err)
	}
}
