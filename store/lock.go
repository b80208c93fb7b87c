package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// LockFile is the file of a data directory whose lock says that a process
// uses the directory; it holds that process's id and command line.
const LockFile = "mattranso.lock"

// DirLock is one process's exclusive hold on a data directory. The keyword
// index and the embedded vector store under it take one process at a time,
// and bleve makes a second one wait for its lock for ever, deaf to
// signals; taking this lock first turns that wait into an error that names
// the holder.
//
// The lock belongs to the open file, so the system releases it when the
// process ends, however it ends: a killed server leaves no stale lock to
// clear by hand.
type DirLock struct {
	f   *os.File
	dir string
}

// DirInUseError is LockDir's answer when another process holds the
// directory.
type DirInUseError struct {
	Dir     string
	PID     int    // 0 when the holder has not written its id yet
	Command string // the holder's command line, shortened
}

func (e *DirInUseError) Error() string {
	vi, en := "một tiến trình khác", "another process"
	if e.PID > 0 {
		vi = fmt.Sprintf("tiến trình %d", e.PID)
		if e.Command != "" {
			vi += " (" + e.Command + ")"
		}
		en = fmt.Sprintf("process %d", e.PID)
	}
	return fmt.Sprintf("thư mục dữ liệu %s đang được %s dùng; dừng tiến trình đó hoặc chọn --data khác (data directory %s is in use by %s)",
		e.Dir, vi, e.Dir, en)
}

// maxCommandShown bounds the command line quoted in DirInUseError.
const maxCommandShown = 120

// LockDir takes dir (which must exist) for this process, or fails at once
// with a *DirInUseError when another process holds it. Close releases it.
func LockDir(dir string) (*DirLock, error) {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	path := filepath.Join(dir, LockFile)
	// Not truncated on open: until the lock is ours, what the file says
	// is the holder's.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("store: lock data directory %s: %w", dir, err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("store: lock data directory %s: %w", dir, err)
	}
	if !held {
		e := &DirInUseError{Dir: dir}
		// A holder that has just taken the lock writes its id a moment
		// later: give it that moment.
		for range 5 {
			if e.PID, e.Command = readHolder(path); e.PID > 0 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		f.Close()
		return nil, e
	}
	args := append([]string{filepath.Base(os.Args[0])}, os.Args[1:]...)
	holder := strconv.Itoa(os.Getpid()) + "\n" + strings.Join(args, " ") + "\n"
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(holder), 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("store: lock data directory %s: write %s: %w", dir, path, err)
	}
	return &DirLock{f: f, dir: dir}, nil
}

// readHolder reads the id and the command line a holder wrote.
func readHolder(path string) (pid int, command string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, ""
	}
	first, rest, _ := strings.Cut(string(b), "\n")
	pid, err = strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		return 0, ""
	}
	command = strings.TrimSpace(rest)
	if utf8.RuneCountInString(command) > maxCommandShown {
		command = string([]rune(command)[:maxCommandShown-1]) + "…"
	}
	return pid, command
}

// Dir is the locked directory, as an absolute path.
func (l *DirLock) Dir() string { return l.dir }

// Close releases the directory. The file stays, emptied: removing it would
// let a process that opened it just before lock a file that no longer has
// a name, while a third creates and locks a new one.
func (l *DirLock) Close() error {
	if l == nil || l.f == nil {
		return nil
	}
	l.f.Truncate(0)
	err := l.f.Close()
	l.f = nil
	return err
}
