package config

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var allParts = []Part{Log, Data, Search, Serve, Auth, Feedback, Mail, Congress, Report}

// loadWith loads parts from the variables of m alone.
func loadWith(m map[string]string, parts ...Part) (Config, *env, error) {
	e := &env{lookup: func(k string) string { return m[k] }}
	c, err := e.load(parts)
	return c, e, err
}

// README's configuration table is the table of Vars: the same variables,
// each with the same default and description, one a row.
func TestReadmeMatchesVars(t *testing.T) {
	b, err := os.ReadFile("../../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Configuration\n")
	if !ok {
		t.Fatal("README.md has no ## Configuration section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	readme := map[string][2]string{}
	var order []string
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), " | ")
		if len(cells) != 3 {
			t.Errorf("README row %q: want 3 cells", line)
			continue
		}
		name := strings.Trim(strings.TrimSpace(cells[0]), "`")
		if strings.ContainsAny(name, "`, ") {
			t.Errorf("README row %q: one variable a row", line)
		}
		readme[name] = [2]string{strings.TrimSpace(cells[1]), strings.TrimSpace(cells[2])}
		order = append(order, name)
	}
	var want strings.Builder
	var names []string
	for _, v := range Vars {
		names = append(names, v.Name)
		def := v.Shown
		switch {
		case def != "":
		case v.Default != "":
			def = "`" + v.Default + "`"
		default:
			def = "—"
		}
		want.WriteString("| `" + v.Name + "` | " + def + " | " + v.Doc + " |\n")
		got, ok := readme[v.Name]
		switch {
		case !ok:
			t.Errorf("%s is read by the code but not in README's table", v.Name)
		case got != [2]string{def, v.Doc}:
			t.Errorf("%s: README has default %q, %q; the code %q, %q", v.Name, got[0], got[1], def, v.Doc)
		}
		if v.Secret && !strings.Contains(v.Doc, "`"+v.Name+"_FILE`") {
			t.Errorf("%s is also read from %s_FILE, which its description does not say", v.Name, v.Name)
		}
	}
	for _, name := range order {
		if !slices.Contains(names, name) {
			t.Errorf("README's table has %s, which the code does not read", name)
		}
	}
	if !slices.Equal(order, names) && !t.Failed() {
		t.Errorf("README's rows are in the order %v; Vars in %v", order, names)
	}
	if t.Failed() {
		t.Logf("README's table as the code has it:\n%s", want.String())
	}
}

// Every variable of the table is read when every part is loaded, and
// each by the loader of its own part (get panics otherwise).
func TestEveryVarIsRead(t *testing.T) {
	_, e, err := loadWith(map[string]string{"MATTRANSO_SEARCH_CONCURRENCY": "2"}, allParts...)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range Vars {
		if !slices.Contains(e.asked, v.Name) {
			t.Errorf("%s is in Vars but no loader reads it", v.Name)
		}
	}
	for _, p := range allParts {
		_, e, err := loadWith(nil, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range e.asked {
			if lookupVar(name).Part != p {
				t.Errorf("part %d read %s", p, name)
			}
		}
	}
}

func TestDefaults(t *testing.T) {
	c, _, err := loadWith(nil, allParts...)
	if err != nil {
		t.Fatal(err)
	}
	if c.LogLevel != slog.LevelInfo || c.DataDir != "./data" || c.Database() != filepath.Join("data", "mattranso.db") ||
		c.Addr != ":8080" || c.Search.Mode != "hybrid" || c.Search.Reranker != "library" || !c.Search.TeachLibrary || c.Search.TrainPairs != nil || c.Search.Turns != 0 ||
		c.Auth.SessionIdle != time.Hour || c.Auth.SessionMax != 12*time.Hour || c.PublicURL() != "http://localhost:8080" ||
		c.Feedback != (FeedbackConfig{Rate: 10, Threshold: 0.5, Grace: 2, Retrain: time.Hour}) || c.SMTP != nil ||
		c.CongressTerm != "2026-2031" {
		t.Errorf("defaults: %+v", c)
	}
}

func TestValuesAccepted(t *testing.T) {
	rules := filepath.Join(t.TempDir(), "rules.json")
	if err := os.WriteFile(rules, []byte(`{"days": {"commune": 7}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	holidays := filepath.Join(t.TempDir(), "holidays.txt")
	if err := os.WriteFile(holidays, []byte("2027-02-05..2027-02-11 Tết Nguyên đán\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	agencies := filepath.Join(t.TempDir(), "agencies.json")
	if err := os.WriteFile(agencies, []byte(`{"territories": {"79": ["Sở Giao thông công chính"]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	responses := filepath.Join(t.TempDir(), "responses.json")
	if err := os.WriteFile(responses, []byte(`{"responses": [{"id": "a", "move": "answered", "title": "T", "text": "{ma_theo_doi}"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	smtpFile := filepath.Join(t.TempDir(), "smtp")
	if err := os.WriteFile(smtpFile, []byte("smtp://mts:hunter2@smtp.example.vn:587?from=no-reply@example.vn\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("postgres://u:p@db.example.vn/mts\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _, err := loadWith(map[string]string{
		"LOG_LEVEL": "WARN", "MATTRANSO_SEARCH_CONCURRENCY": " 3 ", "MATTRANSO_SEARCH_MODE": "keyword",
		"MATTRANSO_TRAIN_PAIRS": "none", "MATTRANSO_RERANKER": "none", "DATABASE_URL": "ignored",
		"DATABASE_URL_FILE": secret, "MATTRANSO_ADDR": "127.0.0.1:9000", "MATTRANSO_INGEST": "a.json, ,b",
		"OIDC_ISSUER": "https://id.example.vn/realms/m", "OIDC_CLIENT_ID": "mts", "MATTRANSO_PUBLIC_URL": "https://mts.example.vn/",
		"MATTRANSO_SESSION_IDLE": "30m", "OPENAI_BASE_URL": "http://127.0.0.1:8000/v1", "QDRANT_URL": "http://q:6334",
		"MATTRANSO_FEEDBACK_RULES": rules, "MATTRANSO_FEEDBACK_HOLIDAYS": holidays, "MATTRANSO_FEEDBACK_RATE": "0",
		"MATTRANSO_FEEDBACK_DURABILITY": "relaxed", "MATTRANSO_FEEDBACK_THRESHOLD": "0.35",
		"MATTRANSO_FEEDBACK_AGENCIES": agencies, "MATTRANSO_FEEDBACK_RESPONSES": responses, "MATTRANSO_FEEDBACK_GRACE": "0",
		"MATTRANSO_FEEDBACK_RETRAIN": "0", "MATTRANSO_SMTP_URL_FILE": smtpFile, "MATTRANSO_CONGRESS_TERM": " 2031-2036 ",
	}, allParts...)
	if err != nil {
		t.Fatal(err)
	}
	if c.LogLevel != slog.LevelWarn || c.Search.Turns != 3 || c.Search.Mode != "keyword" || c.Search.TrainPairs != nil || c.Search.TeachLibrary ||
		c.Database() != "postgres://u:p@db.example.vn/mts" || c.DatabaseShown() != "postgres://u:xxxxx@db.example.vn/mts" ||
		!slices.Equal(c.Ingest, []string{"a.json", "b"}) || c.PublicURL() != "https://mts.example.vn" || c.Auth.SessionIdle != 30*time.Minute ||
		c.Feedback != (FeedbackConfig{RulesFile: rules, HolidaysFile: holidays, Rate: 0, Relaxed: true, Threshold: 0.35,
			AgenciesFile: agencies, ResponsesFile: responses, Grace: 0, Retrain: 0}) ||
		c.SMTP == nil || c.SMTP.Addr != "smtp.example.vn:587" || c.SMTP.Username != "mts" || c.SMTP.Password != "hunter2" || c.SMTP.From != "no-reply@example.vn" ||
		c.CongressTerm != "2031-2036" {
		t.Errorf("config: %+v", c)
	}
	for spec, want := range map[string][]string{"none": nil, "off": nil, " x , y ": {"x", "y"}} {
		if got := ParseIngest(spec); !slices.Equal(got, want) {
			t.Errorf("ParseIngest(%q) = %q, want %q", spec, got, want)
		}
	}
}

// Each setting refuses garbage with a message that names it, in
// Vietnamese first; a secret's value is never repeated.
func TestBadValuesRefused(t *testing.T) {
	model := filepath.Join(t.TempDir(), "reranker.json")
	if err := os.WriteFile(model, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, value string
		also        map[string]string
	}{
		{"LOG_LEVEL", "verbose", nil},
		{"MATTRANSO_ADDR", "8080", nil},
		{"MATTRANSO_ADDR", "localhost", nil},
		{"DATABASE_URL", "mysql://root:hunter2@db/mts", nil},
		{"DATABASE_URL", "postgres://root:hunter2@/mts", nil},
		{"DATABASE_URL_FILE", "/no/such/secret", nil},
		{"MATTRANSO_SEARCH_MODE", "semantic", nil},
		{"MATTRANSO_SEARCH_CONCURRENCY", "0", nil},
		{"MATTRANSO_SEARCH_CONCURRENCY", "-2", nil},
		{"MATTRANSO_SEARCH_CONCURRENCY", "many", nil},
		{"MATTRANSO_SEARCH_CONCURRENCY", "5000", nil},
		{"MATTRANSO_TRAIN_PAIRS", "/no/such/set", nil},
		{"MATTRANSO_TRAIN_PAIRS", "competition", nil},
		{"MATTRANSO_TRAIN_PAIRS", "auto", nil},
		{"MATTRANSO_RERANKER", "/no/such/model.json", nil},
		{"MATTRANSO_RERANKER", model, nil},
		{"OPENAI_BASE_URL", "localhost:8000", nil},
		{"OPENAI_API_KEY_FILE", "/no/such/key", nil},
		{"QDRANT_URL", "ftp://q:6334", nil},
		{"QDRANT_API_KEY_FILE", "/no/such/key", nil},
		{"OIDC_ISSUER", "id.example.vn", map[string]string{"OIDC_CLIENT_ID": "mts"}},
		{"OIDC_CLIENT_ID", "", map[string]string{"OIDC_ISSUER": "https://id.example.vn"}},
		{"OIDC_CLIENT_SECRET_FILE", "/no/such/secret", nil},
		{"OIDC_REDIRECT_URL", "/auth/callback", nil},
		{"MATTRANSO_PUBLIC_URL", "mts.example.vn", nil},
		{"MATTRANSO_SESSION_IDLE", "soon", nil},
		{"MATTRANSO_SESSION_IDLE", "-1h", nil},
		{"MATTRANSO_SESSION_MAX", "0", nil},
		{"MATTRANSO_SESSION_MAX", "12", nil},
		{"MATTRANSO_FEEDBACK_RULES", "/no/such/rules.json", nil},
		{"MATTRANSO_FEEDBACK_RULES", model, nil},
		{"MATTRANSO_FEEDBACK_HOLIDAYS", "/no/such/holidays.txt", nil},
		{"MATTRANSO_FEEDBACK_HOLIDAYS", model, nil},
		{"MATTRANSO_FEEDBACK_RATE", "-1", nil},
		{"MATTRANSO_FEEDBACK_RATE", "nhiều", nil},
		{"MATTRANSO_FEEDBACK_RATE", "1000000", nil},
		{"MATTRANSO_FEEDBACK_DURABILITY", "none", nil},
		{"MATTRANSO_FEEDBACK_THRESHOLD", "1.5", nil},
		{"MATTRANSO_FEEDBACK_THRESHOLD", "NaN", nil},
		{"MATTRANSO_FEEDBACK_AGENCIES", "/no/such/agencies.json", nil},
		{"MATTRANSO_FEEDBACK_AGENCIES", model, nil},
		{"MATTRANSO_FEEDBACK_RESPONSES", "/no/such/responses.json", nil},
		{"MATTRANSO_FEEDBACK_RESPONSES", model, nil},
		{"MATTRANSO_FEEDBACK_GRACE", "-1", nil},
		{"MATTRANSO_FEEDBACK_GRACE", "61", nil},
		{"MATTRANSO_FEEDBACK_GRACE", "hai", nil},
		{"MATTRANSO_FEEDBACK_RETRAIN", "10s", nil},
		{"MATTRANSO_FEEDBACK_RETRAIN", "hourly", nil},
		{"MATTRANSO_SMTP_URL", "http://root:hunter2@smtp.example.vn", nil},
		{"MATTRANSO_SMTP_URL", "smtp://root:hunter2@smtp.example.vn:99999?from=a@example.vn", nil},
		{"MATTRANSO_SMTP_URL_FILE", "/no/such/smtp", nil},
		{"MATTRANSO_CONGRESS_TERM", "2026", nil},
		{"MATTRANSO_CONGRESS_TERM", "2031-2026", nil},
		{"MATTRANSO_CONGRESS_TERM", "nhiệm kỳ XI", nil},
		{"MATTRANSO_CONGRESS_TERM", "26-31", nil},
	} {
		m := map[string]string{c.name: c.value}
		for k, v := range c.also {
			m[k] = v
		}
		_, _, err := loadWith(m, allParts...)
		var ce *Error
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		named := errors.As(err, &ce) && ce.Var == strings.TrimSuffix(c.name, "_FILE") || strings.Contains(msg, c.name+":")
		if !named || !strings.HasPrefix(msg, "cấu hình: ") || !strings.Contains(msg, "(config: "+c.name) {
			t.Errorf("%s=%q: err %v; want a refusal naming %s, Vietnamese first", c.name, c.value, err, c.name)
		}
		if strings.Contains(msg, "hunter2") {
			t.Errorf("%s: the message repeats the password: %s", c.name, msg)
		}
	}
	_, _, err := loadWith(map[string]string{"LOG_LEVEL": "verbose"}, Log)
	if want := `cấu hình: LOG_LEVEL="verbose" không hợp lệ; dùng debug, info, warn hoặc error (config: LOG_LEVEL="verbose" is not valid; use debug, info, warn or error)`; err == nil || err.Error() != want {
		t.Errorf("LOG_LEVEL: %v\nwant %s", err, want)
	}
}

// A part that is not loaded is not read: a bad sign-on setting does not
// stop what does not sign anyone on.
func TestPartsAreIndependent(t *testing.T) {
	bad := map[string]string{"OIDC_ISSUER": "::", "MATTRANSO_SESSION_IDLE": "soon", "LOG_LEVEL": "loud", "MATTRANSO_SEARCH_MODE": "x", "MATTRANSO_ADDR": "x"}
	if _, _, err := loadWith(bad, Data); err != nil {
		t.Errorf("Data: %v", err)
	}
	bad["MATTRANSO_FEEDBACK_RATE"] = "x"
	bad["MATTRANSO_SMTP_URL"] = "x"
	bad["MATTRANSO_CONGRESS_TERM"] = "x"
	for _, p := range []Part{Log, Search, Serve, Auth, Feedback, Mail, Congress} {
		if _, _, err := loadWith(bad, p); err == nil {
			t.Errorf("part %d took a bad value", p)
		}
	}
	if _, _, err := loadWith(bad); err != nil {
		t.Errorf("no part: %v", err)
	}
}

// The library's re-ranker is taught while serving (nil at start); the
// competition-trained one is read from the repository, not built in.
func TestLoadReranker(t *testing.T) {
	for _, spec := range []string{"", "library", "none"} {
		if r, err := LoadReranker(spec); r != nil || err != nil {
			t.Errorf("LoadReranker(%q) = %v, %v; want nil, nil", spec, r, err)
		}
	}
	t.Chdir("../../../..")
	r, err := LoadReranker("competition")
	if err != nil || len(r.TrainedOn) == 0 {
		t.Fatalf("competition: %v, %v", r, err)
	}
	t.Chdir(t.TempDir())
	if _, err := LoadReranker("competition"); err == nil {
		t.Error("competition read from outside the repository")
	}
}
