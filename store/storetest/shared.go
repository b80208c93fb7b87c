package storetest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// EnvShared is the path of the shared data folder (corpus, eval sets,
// fixtures) that tests read; it defaults to ../shared beside the repository.
const EnvShared = "MATTRANSO_SHARED"

// Shared returns the shared data folder, failing the test in CI and
// skipping it elsewhere when the folder is missing.
func Shared(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(EnvShared)
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		// store/storetest/shared.go → repository root → ../shared
		dir = filepath.Join(filepath.Dir(file), "..", "..", "..", "shared")
	}
	if st, err := os.Stat(filepath.Join(dir, "corpus")); err != nil || !st.IsDir() {
		msg := "shared data not found at " + dir + " (set " + EnvShared + "); " + howToRun
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dir
}
