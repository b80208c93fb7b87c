package server

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/mattranso/mattranso/"

// deps lists the packages pkg imports, directly or not, as go list -deps
// does (test files left out).
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list imports: %v", err)
	}
	out, err := exec.Command(goBin, "list", "-deps", "-f", "{{.ImportPath}}", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// What serves does not import the evaluation: judged question sets are
// test tooling, and what teaches the shipped embedder is data that
// retrieval reads. Nor does the web shell import a domain package: every
// part of the site reaches it as a web.Module built here.
func TestImportRules(t *testing.T) {
	served := deps(t, ".")
	if !slices.Contains(served, module+"web") || !slices.Contains(served, module+"retrieval") {
		t.Fatalf("go list -deps gave %v; want the serve path's packages", served)
	}
	if slices.Contains(served, module+"eval") {
		t.Errorf("the serve path imports %seval", module)
	}
	for _, p := range deps(t, "../../../../web") {
		if strings.HasPrefix(p, module) && p != module+"web" && p != module+"api" {
			t.Errorf("web imports %s", p)
		}
	}
}

// Nothing on the serve path reads the competition sets or carries a model
// trained on them: no package names their folder in its code, and no
// embedded file is a re-ranker (the competition-trained one is read from
// its path by the evaluation; serve's is taught by the library).
func TestServeKeepsOffTheCompetitionSets(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list imports: %v", err)
	}
	out, err := exec.Command(goBin, "list", "-deps", "-f", "{{.ImportPath}}\t{{.Dir}}\t{{join .GoFiles \",\"}}\t{{join .EmbedFiles \",\"}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 4 || !strings.HasPrefix(f[0], module) {
			continue
		}
		checked++
		for _, name := range strings.Split(f[2], ",") {
			b, err := os.ReadFile(filepath.Join(f[1], name))
			if err != nil {
				t.Fatal(err)
			}
			// A quoted path is code; comments may say how models are trained.
			if bytes.Contains(b, []byte(`"../shared/eval`)) {
				t.Errorf("%s/%s names the competition sets' folder", f[0], name)
			}
		}
		for _, name := range strings.Split(f[3], ",") {
			if strings.Contains(filepath.Base(name), "reranker") {
				t.Errorf("%s embeds %s", f[0], name)
			}
		}
	}
	if checked < 10 {
		t.Fatalf("checked %d packages of the module; go list gave %q", checked, out)
	}
}
