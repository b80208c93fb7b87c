// Package config owns the settings of mattranso: every environment
// variable with its default in one table (Vars), and Load, which reads
// only the parts a sub-command uses — a bad sign-on setting cannot stop
// an evaluation — and refuses each bad value with a message naming the
// variable.
package config

import (
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mattranso/mattranso/feedback"
	"github.com/mattranso/mattranso/feedback/workday"
	"github.com/mattranso/mattranso/mail"
	"github.com/mattranso/mattranso/report"
	"github.com/mattranso/mattranso/retrieval"
)

// Config is the settings a sub-command loaded; the parts it did not load
// keep their zero values. Flags override the environment by changing the
// fields after Load.
type Config struct {
	LogLevel slog.Level // LOG_LEVEL

	DataDir     string // MATTRANSO_DATA
	DatabaseURL string // DATABASE_URL; empty means an SQLite file in DataDir

	Search SearchConfig

	Addr string // MATTRANSO_ADDR
	// Ingest lists the sources that serve brings in at start
	// (MATTRANSO_INGEST, see ParseIngest).
	Ingest []string
	// Units is the file of administrative units serve imports at start
	// (MATTRANSO_UNITS, see ParseUnits); "" for none.
	Units string
	// TrustedProxies are the peers whose X-Real-IP header is believed
	// (MATTRANSO_TRUSTED_PROXIES); none by default.
	TrustedProxies []netip.Prefix

	Auth AuthConfig

	Feedback FeedbackConfig

	// SMTP is where e-mail goes (MATTRANSO_SMTP_URL); nil sends none.
	SMTP *mail.Config

	// CongressTerm is the term of the congresses followed
	// (MATTRANSO_CONGRESS_TERM), "2026-2031".
	CongressTerm string
	// ReportDatasets is MATTRANSO_REPORT_DATASETS: a JSON file of data
	// sets; empty: the built-in ones.
	ReportDatasets string
}

// FeedbackConfig is citizen feedback's settings.
type FeedbackConfig struct {
	RulesFile    string // MATTRANSO_FEEDBACK_RULES; empty: the built-in rules
	HolidaysFile string // MATTRANSO_FEEDBACK_HOLIDAYS; empty: the built-in calendar
	// Rate is MATTRANSO_FEEDBACK_RATE: submissions per client address a
	// minute; 0 does not limit.
	Rate int
	// Relaxed is MATTRANSO_FEEDBACK_DURABILITY=relaxed.
	Relaxed   bool
	Threshold float64 // MATTRANSO_FEEDBACK_THRESHOLD

	AgenciesFile  string // MATTRANSO_FEEDBACK_AGENCIES; empty: the built-in directory
	ResponsesFile string // MATTRANSO_FEEDBACK_RESPONSES; empty: the built-in texts
	Grace         int    // MATTRANSO_FEEDBACK_GRACE, working days
	// Retrain is MATTRANSO_FEEDBACK_RETRAIN: how often the classifier is
	// retrained and saved; 0 never.
	Retrain time.Duration
}

// SearchConfig chooses how the library searches and answers.
type SearchConfig struct {
	Mode string // MATTRANSO_SEARCH_MODE: hybrid, keyword or vector
	// Turns is MATTRANSO_SEARCH_CONCURRENCY: how many hybrid searches run
	// at once, the others waiting their turn; 0 means one per CPU.
	Turns    int
	Reranker string // MATTRANSO_RERANKER: library, competition, none, or a model file
	// Thesaurus is MATTRANSO_THESAURUS: shipped, none, or a file that
	// extends the shipped entries.
	Thesaurus string
	// TeachLibrary: the library's pseudo-questions teach the local
	// embedder (MATTRANSO_TRAIN_PAIRS=library, the default).
	TeachLibrary bool
	// TrainPairs are the BEIR folders whose training splits also teach the
	// local embedder (MATTRANSO_TRAIN_PAIRS as a list of folders).
	TrainPairs     []string
	OpenAIBaseURL  string // OPENAI_BASE_URL
	OpenAIKey      string // OPENAI_API_KEY
	EmbeddingModel string // EMBEDDING_MODEL
	LLMModel       string // LLM_MODEL
	QdrantURL      string // QDRANT_URL
	QdrantKey      string // QDRANT_API_KEY
}

// AuthConfig is sign-on and sessions. Without OIDCIssuer nobody can sign
// in and the staff pages say how to configure it.
type AuthConfig struct {
	OIDCIssuer       string // OIDC_ISSUER
	OIDCClientID     string // OIDC_CLIENT_ID
	OIDCClientSecret string // OIDC_CLIENT_SECRET; empty for a public client
	OIDCRedirectURL  string // OIDC_REDIRECT_URL; empty: PublicURL + /auth/callback
	PublicURL        string // MATTRANSO_PUBLIC_URL, without a final slash; see Config.PublicURL
	SessionIdle      time.Duration
	SessionMax       time.Duration
}

// Error is a setting refused: the variable, and why in Vietnamese and in
// English.
type Error struct {
	Var string
	// Value is the value refused, quoted in the message; a secret's is not.
	Value  string
	Secret bool
	Vi, En string // what is wanted, e.g. "dùng debug, info, warn hoặc error"
}

func (e *Error) Error() string {
	v := e.Var
	if !e.Secret {
		v += "=" + strconv.Quote(e.Value)
	}
	return fmt.Sprintf("cấu hình: %s không hợp lệ; %s (config: %s is not valid; %s)", v, e.Vi, v, e.En)
}

// Load reads the parts of the configuration that a sub-command uses from
// the environment.
func Load(parts ...Part) (Config, error) {
	return (&env{lookup: os.Getenv}).load(parts)
}

// env reads variables of the table, remembering which were asked for.
type env struct {
	lookup func(string) string
	parts  []Part
	asked  []string
}

func (e *env) load(parts []Part) (Config, error) {
	e.parts = parts
	var c Config
	var err error
	for _, p := range parts {
		switch p {
		case Log:
			err = e.loadLog(&c)
		case Data:
			err = e.loadData(&c)
		case Search:
			err = e.loadSearch(&c.Search)
		case Serve:
			err = e.loadServe(&c)
		case Auth:
			err = e.loadAuth(&c.Auth)
		case Feedback:
			err = e.loadFeedback(&c.Feedback)
		case Mail:
			err = e.loadMail(&c)
		case Congress:
			err = e.loadCongress(&c)
		case Report:
			err = e.loadReport(&c)
		default:
			panic(fmt.Sprintf("config: unknown part %d", p))
		}
		if err != nil {
			return c, err
		}
	}
	return c, nil
}

// get returns the variable's value, or its default when it is unset or
// blank. Reading a variable that is not in Vars, or not in a loaded part,
// is a mistake of this package.
func (e *env) get(name string) string {
	v := lookupVar(name)
	if !slices.Contains(e.parts, v.Part) {
		panic("config: " + name + " read outside its part")
	}
	e.asked = append(e.asked, name)
	if s := strings.TrimSpace(e.lookup(name)); s != "" {
		return s
	}
	return v.Default
}

// secret returns the variable's value, or the content of the file that
// NAME_FILE names.
func (e *env) secret(name string) (string, error) {
	if !lookupVar(name).Secret {
		panic("config: " + name + " is not a secret")
	}
	if path := strings.TrimSpace(e.lookup(name + "_FILE")); path != "" {
		e.asked = append(e.asked, name+"_FILE")
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("cấu hình: không đọc được tệp %s_FILE (config: %s_FILE: %w)", name, name, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return e.get(name), nil
}

func (e *env) loadLog(c *Config) error {
	s := e.get("LOG_LEVEL")
	if err := c.LogLevel.UnmarshalText([]byte(s)); err != nil {
		return &Error{Var: "LOG_LEVEL", Value: s, Vi: "dùng debug, info, warn hoặc error", En: "use debug, info, warn or error"}
	}
	return nil
}

func (e *env) loadData(c *Config) error {
	c.DataDir = e.get("MATTRANSO_DATA")
	dsn, err := e.secret("DATABASE_URL")
	if err != nil {
		return err
	}
	if scheme, _, ok := strings.Cut(dsn, "://"); ok {
		u, err := url.Parse(dsn)
		if err != nil || !slices.Contains([]string{"postgres", "postgresql", "sqlite"}, scheme) {
			return &Error{Var: "DATABASE_URL", Secret: true,
				Vi: "dùng postgres://người-dùng:mật-khẩu@máy/cơ-sở-dữ-liệu hoặc đường dẫn một tệp SQLite",
				En: "use postgres://user:password@host/database or the path of an SQLite file"}
		} else if scheme != "sqlite" && u.Host == "" {
			return &Error{Var: "DATABASE_URL", Secret: true, Vi: "địa chỉ PostgreSQL thiếu máy chủ", En: "the PostgreSQL address has no host"}
		}
	}
	c.DatabaseURL = dsn
	return nil
}

func (e *env) loadSearch(c *SearchConfig) error {
	c.Mode = e.get("MATTRANSO_SEARCH_MODE")
	if _, err := retrieval.ParseMode(c.Mode); err != nil {
		return &Error{Var: "MATTRANSO_SEARCH_MODE", Value: c.Mode, Vi: "dùng hybrid, keyword hoặc vector", En: "use hybrid, keyword or vector"}
	}
	if s := e.get("MATTRANSO_SEARCH_CONCURRENCY"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1024 {
			return &Error{Var: "MATTRANSO_SEARCH_CONCURRENCY", Value: s, Vi: "cần một số lượt tìm từ 1 đến 1024", En: "want a number of searches from 1 to 1024"}
		}
		c.Turns = n
	}
	c.Reranker = e.get("MATTRANSO_RERANKER")
	if _, err := LoadReranker(c.Reranker); err != nil {
		return &Error{Var: "MATTRANSO_RERANKER", Value: c.Reranker,
			Vi: "dùng library, competition, none hoặc một tệp mô hình đọc được: " + err.Error(),
			En: "use library, competition, none or a readable model file: " + err.Error()}
	}
	c.Thesaurus = e.get("MATTRANSO_THESAURUS")
	if _, err := retrieval.LoadThesaurus(c.Thesaurus); err != nil {
		return &Error{Var: "MATTRANSO_THESAURUS", Value: c.Thesaurus,
			Vi: "dùng shipped, none hoặc một tệp đọc được (cụm từ thường ngày, tab, cụm từ pháp lý): " + err.Error(),
			En: "use shipped, none or a readable file (everyday phrase, tab, legal phrase): " + err.Error()}
	}
	var err error
	if c.TeachLibrary, c.TrainPairs, err = trainingSets(e.get("MATTRANSO_TRAIN_PAIRS")); err != nil {
		return err
	}
	c.OpenAIBaseURL = e.get("OPENAI_BASE_URL")
	if err := checkURL("OPENAI_BASE_URL", c.OpenAIBaseURL, "http://máy:8000/v1", "http://host:8000/v1"); err != nil {
		return err
	}
	if c.OpenAIKey, err = e.secret("OPENAI_API_KEY"); err != nil {
		return err
	}
	c.EmbeddingModel = e.get("EMBEDDING_MODEL")
	c.LLMModel = e.get("LLM_MODEL")
	c.QdrantURL = e.get("QDRANT_URL")
	if err := checkURL("QDRANT_URL", c.QdrantURL, "http://máy:6334", "http://host:6334"); err != nil {
		return err
	}
	c.QdrantKey, err = e.secret("QDRANT_API_KEY")
	return err
}

// trainingSets resolves MATTRANSO_TRAIN_PAIRS: "library" (the library's
// pseudo-questions), "none", else a list of folders, each of which must
// hold a training split. "competition" is refused: the competition sets
// are published for research and evaluation, so serve never looks for
// them by itself; the evaluation reads them (mattranso eval retrieval
// --competition), and research may name their folders.
func trainingSets(spec string) (library bool, dirs []string, err error) {
	switch spec {
	case "library", "":
		return true, nil, nil
	case "none":
		return false, nil, nil
	case "competition", "auto":
		return false, nil, &Error{Var: "MATTRANSO_TRAIN_PAIRS", Value: spec,
			Vi: "các bộ dữ liệu thi chỉ dùng cho nghiên cứu và đánh giá: dùng mattranso eval retrieval --competition, hoặc ghi rõ các thư mục BEIR (library, none hoặc danh sách thư mục)",
			En: "the competition sets are for research and evaluation only: use mattranso eval retrieval --competition, or name the BEIR folders (library, none or a list of folders)"}
	}
	dirs = SplitList(spec)
	for _, d := range dirs {
		if !retrieval.IsTrainingSet(d) {
			return false, nil, &Error{Var: "MATTRANSO_TRAIN_PAIRS", Value: spec,
				Vi: fmt.Sprintf("%s không có queries.jsonl, corpus.jsonl và qrels/%s; dùng library, none hoặc danh sách thư mục BEIR, cách nhau bởi dấu phẩy", d, retrieval.TrainSplit),
				En: fmt.Sprintf("%s lacks queries.jsonl, corpus.jsonl or qrels/%s; use library, none or a comma-separated list of BEIR folders", d, retrieval.TrainSplit)}
		}
	}
	return false, dirs, nil
}

func (e *env) loadServe(c *Config) error {
	c.Addr = e.get("MATTRANSO_ADDR")
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		return &Error{Var: "MATTRANSO_ADDR", Value: c.Addr, Vi: "cần máy:cổng, ví dụ :8080 hoặc 127.0.0.1:8080", En: "want host:port, such as :8080 or 127.0.0.1:8080"}
	}
	c.Ingest = ParseIngest(e.get("MATTRANSO_INGEST"))
	c.Units = ParseUnits(e.get("MATTRANSO_UNITS"))
	s := e.get("MATTRANSO_TRUSTED_PROXIES")
	var err error
	if c.TrustedProxies, err = ParsePrefixes(s); err != nil {
		return &Error{Var: "MATTRANSO_TRUSTED_PROXIES", Value: s, Vi: "cần địa chỉ hoặc mạng, cách nhau bởi dấu phẩy, ví dụ 127.0.0.1,10.0.0.0/8",
			En: "want addresses or networks, comma separated, such as 127.0.0.1,10.0.0.0/8"}
	}
	return nil
}

// ParsePrefixes reads a comma-separated list of addresses (one host
// each) and networks in CIDR notation.
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, err
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, err
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// ParseUnits reads MATTRANSO_UNITS: empty means DefaultUnits when it
// exists, "none" (or "off") none, else the file named.
func ParseUnits(spec string) string {
	switch spec = strings.TrimSpace(spec); spec {
	case "":
		if st, err := os.Stat(DefaultUnits); err == nil && st.Mode().IsRegular() {
			return DefaultUnits
		}
		return ""
	case "none", "off":
		return ""
	}
	return spec
}

// ParseIngest reads a list of sources to ingest at start, as
// MATTRANSO_INGEST and serve --ingest give it: empty means DefaultCorpus
// when it exists, "none" (or "off") none, else a comma-separated list.
func ParseIngest(spec string) []string {
	switch spec = strings.TrimSpace(spec); spec {
	case "":
		if st, err := os.Stat(DefaultCorpus); err == nil && st.IsDir() {
			return []string{DefaultCorpus}
		}
		return nil
	case "none", "off":
		return nil
	}
	return SplitList(spec)
}

func (e *env) loadAuth(c *AuthConfig) error {
	c.OIDCIssuer = e.get("OIDC_ISSUER")
	if err := checkURL("OIDC_ISSUER", c.OIDCIssuer, "https://id.example.vn/realms/mattranso", "https://id.example.vn/realms/mattranso"); err != nil {
		return err
	}
	c.OIDCClientID = e.get("OIDC_CLIENT_ID")
	if c.OIDCIssuer != "" && c.OIDCClientID == "" {
		return &Error{Var: "OIDC_CLIENT_ID", Vi: "cần đặt khi có OIDC_ISSUER", En: "must be set when OIDC_ISSUER is"}
	}
	var err error
	if c.OIDCClientSecret, err = e.secret("OIDC_CLIENT_SECRET"); err != nil {
		return err
	}
	c.OIDCRedirectURL = e.get("OIDC_REDIRECT_URL")
	if err := checkURL("OIDC_REDIRECT_URL", c.OIDCRedirectURL, "https://mattranso.example.vn/auth/callback", "https://mattranso.example.vn/auth/callback"); err != nil {
		return err
	}
	c.PublicURL = strings.TrimRight(e.get("MATTRANSO_PUBLIC_URL"), "/")
	if err := checkURL("MATTRANSO_PUBLIC_URL", c.PublicURL, "https://mattranso.example.vn", "https://mattranso.example.vn"); err != nil {
		return err
	}
	for _, d := range []struct {
		name string
		v    *time.Duration
	}{{"MATTRANSO_SESSION_IDLE", &c.SessionIdle}, {"MATTRANSO_SESSION_MAX", &c.SessionMax}} {
		s := e.get(d.name)
		if *d.v, err = time.ParseDuration(s); err != nil || *d.v <= 0 {
			return &Error{Var: d.name, Value: s, Vi: "cần một thời lượng dương như 30m hoặc 8h", En: "want a positive duration such as 30m or 8h"}
		}
	}
	return nil
}

func (e *env) loadReport(c *Config) error {
	c.ReportDatasets = e.get("MATTRANSO_REPORT_DATASETS")
	if c.ReportDatasets != "" {
		if _, err := report.LoadDatasets(c.ReportDatasets); err != nil {
			return &Error{Var: "MATTRANSO_REPORT_DATASETS", Value: c.ReportDatasets,
				Vi: "cần một tệp biểu mẫu báo cáo JSON đọc được và đúng: " + err.Error(), En: "want a readable, valid JSON file of data sets: " + err.Error()}
		}
	}
	return nil
}

func (e *env) loadFeedback(c *FeedbackConfig) error {
	c.RulesFile = e.get("MATTRANSO_FEEDBACK_RULES")
	if c.RulesFile != "" {
		if _, err := feedback.LoadRules(c.RulesFile); err != nil {
			return &Error{Var: "MATTRANSO_FEEDBACK_RULES", Value: c.RulesFile,
				Vi: "cần một tệp quy tắc JSON đọc được và đúng: " + err.Error(), En: "want a readable, valid JSON rules file: " + err.Error()}
		}
	}
	c.HolidaysFile = e.get("MATTRANSO_FEEDBACK_HOLIDAYS")
	if c.HolidaysFile != "" {
		if _, err := workday.LoadFile(c.HolidaysFile); err != nil {
			return &Error{Var: "MATTRANSO_FEEDBACK_HOLIDAYS", Value: c.HolidaysFile,
				Vi: "cần một tệp danh sách ngày nghỉ đọc được và đúng: " + err.Error(), En: "want a readable, valid holiday list: " + err.Error()}
		}
	}
	s := e.get("MATTRANSO_FEEDBACK_RATE")
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 100000 {
		return &Error{Var: "MATTRANSO_FEEDBACK_RATE", Value: s, Vi: "cần một số lần gửi mỗi phút từ 0 đến 100000", En: "want submissions a minute from 0 to 100000"}
	}
	c.Rate = n
	switch s := e.get("MATTRANSO_FEEDBACK_DURABILITY"); s {
	case "full":
	case "relaxed":
		c.Relaxed = true
	default:
		return &Error{Var: "MATTRANSO_FEEDBACK_DURABILITY", Value: s, Vi: "dùng full hoặc relaxed", En: "use full or relaxed"}
	}
	s = e.get("MATTRANSO_FEEDBACK_THRESHOLD")
	if c.Threshold, err = strconv.ParseFloat(s, 64); err != nil || c.Threshold < 0 || c.Threshold > 1 || math.IsNaN(c.Threshold) {
		return &Error{Var: "MATTRANSO_FEEDBACK_THRESHOLD", Value: s, Vi: "cần một số từ 0 đến 1, ví dụ 0.5", En: "want a number from 0 to 1, such as 0.5"}
	}
	c.AgenciesFile = e.get("MATTRANSO_FEEDBACK_AGENCIES")
	if c.AgenciesFile != "" {
		if _, err := feedback.LoadAgencies(c.AgenciesFile); err != nil {
			return &Error{Var: "MATTRANSO_FEEDBACK_AGENCIES", Value: c.AgenciesFile,
				Vi: "cần một tệp danh mục cơ quan JSON đọc được và đúng: " + err.Error(), En: "want a readable, valid JSON directory of agencies: " + err.Error()}
		}
	}
	c.ResponsesFile = e.get("MATTRANSO_FEEDBACK_RESPONSES")
	if c.ResponsesFile != "" {
		if _, err := feedback.LoadResponses(c.ResponsesFile); err != nil {
			return &Error{Var: "MATTRANSO_FEEDBACK_RESPONSES", Value: c.ResponsesFile,
				Vi: "cần một tệp mẫu trả lời JSON đọc được và đúng: " + err.Error(), En: "want a readable, valid JSON file of model texts: " + err.Error()}
		}
	}
	s = e.get("MATTRANSO_FEEDBACK_GRACE")
	if c.Grace, err = strconv.Atoi(s); err != nil || c.Grace < 0 || c.Grace > 60 {
		return &Error{Var: "MATTRANSO_FEEDBACK_GRACE", Value: s, Vi: "cần một số ngày làm việc từ 0 đến 60", En: "want working days from 0 to 60"}
	}
	s = e.get("MATTRANSO_FEEDBACK_RETRAIN")
	if s == "0" {
		c.Retrain = 0
	} else if c.Retrain, err = time.ParseDuration(s); err != nil || c.Retrain < time.Minute {
		return &Error{Var: "MATTRANSO_FEEDBACK_RETRAIN", Value: s, Vi: "cần một thời lượng từ 1m trở lên như 30m hoặc 6h, hoặc 0 để không huấn luyện lại",
			En: "want a duration of 1m or more such as 30m or 6h, or 0 for never"}
	}
	return nil
}

func (e *env) loadMail(c *Config) error {
	s, err := e.secret("MATTRANSO_SMTP_URL")
	if err != nil || s == "" {
		return err
	}
	cfg, err := mail.ParseURL(s)
	if err != nil {
		// mail's errors name the part of the URL and never repeat the
		// password.
		return &Error{Var: "MATTRANSO_SMTP_URL", Secret: true, Vi: "cần một URL SMTP như smtp://user:mật-khẩu@host:587?from=no-reply@example.vn: " + err.Error(),
			En: "want an SMTP URL such as smtp://user:password@host:587?from=no-reply@example.vn: " + err.Error()}
	}
	c.SMTP = &cfg
	return nil
}

// checkURL refuses a value that is set but not an http(s) URL with a host.
func checkURL(name, s, exampleVi, exampleEn string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &Error{Var: name, Value: s, Vi: "cần một địa chỉ http(s) như " + exampleVi, En: "want an http(s) address such as " + exampleEn}
	}
	return nil
}

// LoadReranker reads the hybrid re-ranker that MATTRANSO_RERANKER names:
// "library" (nil: the library teaches one once the vector side has
// learned, see server.SetupVectors), "none" (nil), "competition" (the
// model trained on the competition sets, CompetitionReranker, for
// research and evaluation), or a model file written by `mattranso eval
// train-reranker`.
func LoadReranker(spec string) (*retrieval.Reranker, error) {
	switch spec {
	case "", "library", "none":
		return nil, nil
	case "competition":
		spec = CompetitionReranker
	}
	b, err := os.ReadFile(spec)
	if err != nil {
		return nil, err
	}
	return retrieval.ParseReranker(b)
}

// Database returns the database to open: DATABASE_URL, or the SQLite file
// in the data directory.
func (c Config) Database() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL
	}
	return filepath.Join(c.DataDir, "mattranso.db")
}

// DatabaseShown is the database for logs and messages, without its
// password.
func (c Config) DatabaseShown() string {
	dsn := c.Database()
	if !strings.Contains(dsn, "://") {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "(địa chỉ cơ sở dữ liệu không đọc được)"
	}
	return u.Redacted()
}

// KeywordDir is where the keyword index lives.
func (c Config) KeywordDir() string { return filepath.Join(c.DataDir, "index", "keyword") }

// PublicURL is the site's address: MATTRANSO_PUBLIC_URL, else
// http://localhost with the port of Addr.
func (c Config) PublicURL() string {
	if c.Auth.PublicURL != "" {
		return c.Auth.PublicURL
	}
	port := "8080"
	if i := strings.LastIndex(c.Addr, ":"); i >= 0 && i < len(c.Addr)-1 {
		port = c.Addr[i+1:]
	}
	return "http://localhost:" + port
}

// SplitList reads a comma-separated list, blanks left out.
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// loadCongress reads the term: two years, the second after the first.
func (e *env) loadCongress(c *Config) error {
	s := e.get("MATTRANSO_CONGRESS_TERM")
	from, to, ok := strings.Cut(s, "-")
	a, err1 := strconv.Atoi(from)
	b, err2 := strconv.Atoi(to)
	if !ok || len(from) != 4 || len(to) != 4 || err1 != nil || err2 != nil || b <= a || a < 2000 {
		return &Error{Var: "MATTRANSO_CONGRESS_TERM", Value: s, Vi: "cần hai năm dạng YYYY-YYYY, năm sau lớn hơn năm trước, ví dụ 2026-2031",
			En: "want two years YYYY-YYYY, the second after the first, such as 2026-2031"}
	}
	c.CongressTerm = s
	return nil
}
