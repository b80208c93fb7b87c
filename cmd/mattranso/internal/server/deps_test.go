package server

import (
	"os/exec"
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
