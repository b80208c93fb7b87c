package jsonl

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestEachSkipsBlankLinesAndNumbersThem(t *testing.T) {
	in := "{\"a\":1}\n\n   \n  {\"b\":2}  \r\n{\"c\":3}"
	var got []string
	var lines []int
	if err := Each(strings.NewReader(in), func(line int, b []byte) error {
		got, lines = append(got, string(b)), append(lines, line)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{`{"a":1}`, `{"b":2}`, `{"c":3}`}; !reflect.DeepEqual(got, want) {
		t.Errorf("lines %q, want %q", got, want)
	}
	if want := []int{1, 4, 5}; !reflect.DeepEqual(lines, want) {
		t.Errorf("numbers %v, want %v", lines, want)
	}
}

func TestEachStopsAtAnError(t *testing.T) {
	bad := errors.New("broken")
	calls := 0
	err := Each(strings.NewReader("1\n2\n3\n"), func(line int, b []byte) error {
		calls++
		if line == 2 {
			return bad
		}
		return nil
	})
	var le *LineError
	if !errors.Is(err, bad) || !errors.As(err, &le) || le.Line != 2 || calls != 2 {
		t.Errorf("err %v after %d calls, want line 2's error after 2", err, calls)
	}
}

func TestEachNamesALineTooLong(t *testing.T) {
	long := "1\n" + strings.Repeat("x", MaxLine+1) + "\n3\n"
	err := Each(strings.NewReader(long), func(int, []byte) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "64 MiB") {
		t.Errorf("err %v, want line 2 named as longer than 64 MiB", err)
	}
}

func TestEachFileNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "queries.jsonl")
	if err := os.WriteFile(path, []byte("{}\n{\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := EachFile(path, func(line int, b []byte) error {
		if string(b) != "{}" {
			return errors.New("broken JSON")
		}
		return nil
	})
	if err == nil || err.Error() != path+" line 2: broken JSON" {
		t.Errorf("err %v", err)
	}
	if err := EachFile(filepath.Join(t.TempDir(), "none.jsonl"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
