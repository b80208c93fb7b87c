package store_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mattranso/mattranso/store"
)

// TestHelperProcess is not a test: the tests below run the test binary
// again as a second process that takes a data directory. With
// HELPER_MODE=hold it takes it, says "locked" and waits to be killed; with
// HELPER_MODE=try it tries once and prints what happened and how long the
// try took.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("GO_WANT_HELPER_PROCESS") != "1" {
		return
	}
	dir := os.Getenv("HELPER_LOCK_DIR")
	start := time.Now()
	l, err := store.LockDir(dir)
	took := time.Since(start)
	switch os.Getenv("HELPER_MODE") {
	case "hold":
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(3)
		}
		fmt.Println("locked")
		select {}
	case "try":
		if err != nil {
			fmt.Printf("refused after %s: %v\n", took, err)
			os.Exit(3)
		}
		l.Close()
		fmt.Println("locked")
		os.Exit(0)
	}
	os.Exit(2)
}

func helper(t *testing.T, mode, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "GO_WANT_HELPER_PROCESS=1", "HELPER_MODE="+mode, "HELPER_LOCK_DIR="+dir)
	return cmd
}

// A second process that opens a data directory in use fails at once with
// a message naming the directory and the holder; the holder's lock goes
// with it when it is killed.
func TestLockDirAcrossProcesses(t *testing.T) {
	dir := t.TempDir()

	hold := helper(t, "hold", dir)
	out, err := hold.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := hold.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	kill := func() {
		if !killed {
			killed = true
			hold.Process.Signal(syscall.SIGKILL)
			hold.Wait()
		}
	}
	defer kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("holder said %q, %v", line, err)
	}

	start := time.Now()
	l, err := store.LockDir(dir)
	took := time.Since(start)
	if err == nil {
		l.Close()
		t.Fatal("a directory held by another process was locked again")
	}
	if took > time.Second {
		t.Errorf("refused after %v, want under a second", took)
	}
	var busy *store.DirInUseError
	if !errors.As(err, &busy) {
		t.Fatalf("error %v (%T), want *store.DirInUseError", err, err)
	}
	if busy.PID != hold.Process.Pid || busy.Dir != dir || !strings.Contains(busy.Command, "store.test") {
		t.Errorf("holder %+v, want pid %d running store.test in %s", busy, hold.Process.Pid, dir)
	}
	for _, want := range []string{
		"thư mục dữ liệu " + dir,
		fmt.Sprintf("đang được tiến trình %d (", hold.Process.Pid),
		"chọn --data khác",
		fmt.Sprintf("(data directory %s is in use by process %d)", dir, hold.Process.Pid),
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}

	// Killed, the holder cannot release anything itself: the system does.
	kill()
	l, err = store.LockDir(dir)
	if err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}

	// And the other way round: this process holds, another is refused.
	b, err := helper(t, "try", dir).Output()
	msg := string(b)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 || !strings.Contains(msg, fmt.Sprintf("đang được tiến trình %d (", os.Getpid())) {
		t.Errorf("second process: %v, said %q; want refused naming process %d", err, msg, os.Getpid())
	}
	var tookThere time.Duration
	if rest, ok := strings.CutPrefix(msg, "refused after "); ok {
		d, _, _ := strings.Cut(rest, ": ")
		tookThere, _ = time.ParseDuration(d)
	}
	if tookThere <= 0 || tookThere > time.Second {
		t.Errorf("second process refused after %v (%q), want under a second", tookThere, msg)
	}

	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if b, err := helper(t, "try", dir).Output(); err != nil || string(b) != "locked\n" {
		t.Errorf("after Close another process got %v, said %q", err, b)
	}
}

// Within one process too, a second LockDir of a held directory fails:
// two servers in one test binary must not share an index either.
func TestLockDirInProcess(t *testing.T) {
	dir := t.TempDir()
	a, err := store.LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	held, err := os.ReadFile(filepath.Join(dir, store.LockFile))
	if err != nil || !strings.HasPrefix(string(held), fmt.Sprintf("%d\n", os.Getpid())) {
		t.Errorf("lock file says %q (%v), want this process's id first", held, err)
	}
	var busy *store.DirInUseError
	if b, err := store.LockDir(dir); !errors.As(err, &busy) || busy.PID != os.Getpid() {
		b.Close()
		t.Errorf("second lock: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	b, err := store.LockDir(dir)
	if err != nil {
		t.Fatalf("lock after Close: %v", err)
	}
	b.Close()
	if _, err := store.LockDir(filepath.Join(dir, "missing")); err == nil || errors.As(err, &busy) {
		t.Errorf("a missing directory: %v, want an error that is not DirInUseError", err)
	}
}
