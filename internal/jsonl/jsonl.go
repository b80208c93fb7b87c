// Package jsonl reads JSON Lines: one JSON value a line, as the law and
// procedure dumps, the evaluation sets and the generated corpus come.
package jsonl

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// MaxLine is the longest line read: a whole law can sit on one line of a
// dump.
const MaxLine = 64 << 20

// LineError is an error of one line: "line 12: broken JSON".
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// Each calls fn with each line of r that is not blank, its spaces trimmed,
// and the line's number (from 1). The bytes are only valid during the
// call. An error of fn stops the reading and is returned as a *LineError;
// so is a line longer than MaxLine.
func Each(r io.Reader, fn func(line int, b []byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLine)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if err := fn(line, b); err != nil {
			return &LineError{line, err}
		}
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return &LineError{line + 1, fmt.Errorf("longer than %d MiB", MaxLine>>20)}
	} else if err != nil {
		return err
	}
	return nil
}

// EachFile is Each over the file at path; its errors name the file
// ("queries.jsonl line 12: broken JSON").
func EachFile(path string, fn func(line int, b []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	err = Each(f, fn)
	if le := (*LineError)(nil); errors.As(err, &le) {
		return fmt.Errorf("%s %w", path, err)
	} else if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
