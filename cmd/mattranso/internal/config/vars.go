package config

// Part is a group of settings that one concern of the binary reads; a
// sub-command loads the parts it uses and no other.
type Part int

const (
	// Log is the log level.
	Log Part = iota
	// Data is where the records and indexes are: the data directory and
	// the database.
	Data
	// Search is how the library searches and answers: the search mode, the
	// re-ranker, the local embedder's training pairs, an embedding or
	// language model server, Qdrant.
	Search
	// Serve is what only serve uses: the address, the sources to ingest at
	// start.
	Serve
	// Auth is sign-on and sessions.
	Auth
	// Feedback is citizen feedback: routing and deadline rules, holidays,
	// the public rate limit, durability, the topic flag threshold, the
	// officers' agencies and model texts, escalation, retraining.
	Feedback
	// Mail is outgoing e-mail: the SMTP server.
	Mail
	// Congress is congress monitoring: the term followed.
	Congress
	// Report is the units' periodic reports: their data sets.
	Report
)

// Var is one environment variable of the binary.
type Var struct {
	Name string
	Part Part
	// Default is the value taken when the variable is unset or blank; ""
	// when there is none, or when it is worked out (Shown says how).
	Default string
	// Shown is the default as README shows it when it is not one value.
	Shown string
	// Secret variables are also read from the file that NAME_FILE names,
	// so that the secret need not stand in the environment.
	Secret bool
	// Doc is README's description.
	Doc string
}

// Vars is every variable the binary reads, in README's order: the one
// place where defaults are written. README's configuration table is held
// to it by a test.
var Vars = []Var{
	{Name: "MATTRANSO_ADDR", Part: Serve, Default: ":8080",
		Doc: "listen address (`serve --addr`)"},
	{Name: "MATTRANSO_DATA", Part: Data, Default: "./data",
		Doc: "data directory: SQLite database, search indexes (`--data`)"},
	{Name: "DATABASE_URL", Part: Data, Shown: "SQLite file `MATTRANSO_DATA/mattranso.db`", Secret: true,
		Doc: "`postgres://…` uses PostgreSQL for every record, anything else names an SQLite file; `DATABASE_URL_FILE` reads it from a file"},
	{Name: "MATTRANSO_INGEST", Part: Serve, Shown: "`" + DefaultCorpus + "` when present",
		Doc: "sources `serve` ingests at start, comma separated; `none` for none (`serve --ingest`)"},
	{Name: "MATTRANSO_UNITS", Part: Serve, Shown: "`" + DefaultUnits + "` when present",
		Doc: "the administrative units (`vn_admin_units_flat.csv`) `serve` imports at start, as `admin import-units` does; `none` for none"},
	{Name: "MATTRANSO_TRUSTED_PROXIES", Part: Serve, Shown: "none",
		Doc: "addresses or networks (`127.0.0.1`, `10.0.0.0/8`), comma separated, of the proxies whose `X-Real-IP` header names the client: its address for rate limits, sessions and the audit (deploy/ sets `127.0.0.1` for nginx)"},
	{Name: "LOG_LEVEL", Part: Log, Default: "info",
		Doc: "`debug`, `info`, `warn` or `error`"},
	{Name: "MATTRANSO_SEARCH_MODE", Part: Search, Default: "hybrid",
		Doc: "`hybrid`, `keyword` (vector search off) or `vector`"},
	{Name: "MATTRANSO_SEARCH_CONCURRENCY", Part: Search, Shown: "one per CPU",
		Doc: "how many searches run at once, 1 to 1024; the others wait their turn, first come first served (see BENCHMARKS.md)"},
	{Name: "MATTRANSO_TRAIN_PAIRS", Part: Search, Default: "library",
		Doc: "what teaches the local embedder beside the library's text (see below): `library` (pseudo-questions made from the library: headings, clause openings, definitions, what procedures answer), `none`, or a comma-separated list of BEIR folders whose judged questions also teach it (research only; the competition sets are for research and evaluation)"},
	{Name: "MATTRANSO_RERANKER", Part: Search, Default: "library",
		Doc: "the hybrid re-ranker: `library` (taught by the library's pseudo-questions once the vector side has learned, kept in the database for every instance), `competition` (`" + CompetitionReranker + "`, trained on the competition sets: research and evaluation only), `none`, or a model file from `mattranso eval train-reranker`"},
	{Name: "MATTRANSO_THESAURUS", Part: Search, Default: "shipped",
		Doc: "everyday words for the words of the law, added to queries: `shipped` (`retrieval/thesaurus.tsv`), `none`, or a file of the same form (everyday phrase, tab, legal phrase) whose entries extend the shipped ones; the library's lesson is worded with it, so that another thesaurus retrains the library's models"},
	{Name: "OPENAI_BASE_URL", Part: Search,
		Doc: "an OpenAI-compatible server (vLLM, TEI, Ollama, OpenAI), `http(s)://host:port/v1`"},
	{Name: "OPENAI_API_KEY", Part: Search, Secret: true,
		Doc: "its key; `OPENAI_API_KEY_FILE` reads it from a file"},
	{Name: "EMBEDDING_MODEL", Part: Search,
		Doc: "with `OPENAI_BASE_URL`: embed with this model instead of the local embedder"},
	{Name: "LLM_MODEL", Part: Search,
		Doc: "with `OPENAI_BASE_URL`: generative answers (the assistant is extractive without it)"},
	{Name: "QDRANT_URL", Part: Search,
		Doc: "Qdrant's gRPC endpoint (`http://host:6334`) for vectors"},
	{Name: "QDRANT_API_KEY", Part: Search, Secret: true,
		Doc: "its key; `QDRANT_API_KEY_FILE` reads it from a file"},
	{Name: "OIDC_ISSUER", Part: Auth,
		Doc: "the OpenID Connect provider, `https://…`"},
	{Name: "OIDC_CLIENT_ID", Part: Auth,
		Doc: "the site's client at the provider (needed with `OIDC_ISSUER`)"},
	{Name: "OIDC_CLIENT_SECRET", Part: Auth, Secret: true,
		Doc: "its secret, none for a public client; `OIDC_CLIENT_SECRET_FILE` reads it from a file"},
	{Name: "OIDC_REDIRECT_URL", Part: Auth, Shown: "`MATTRANSO_PUBLIC_URL/auth/callback`",
		Doc: "the sign-on callback registered with the provider"},
	{Name: "MATTRANSO_PUBLIC_URL", Part: Auth, Shown: "`http://localhost:PORT`",
		Doc: "the site's public address, PORT that of `MATTRANSO_ADDR` (https makes cookies Secure)"},
	{Name: "MATTRANSO_SESSION_IDLE", Part: Auth, Default: "1h",
		Doc: "a session unused this long ends"},
	{Name: "MATTRANSO_SESSION_MAX", Part: Auth, Default: "12h",
		Doc: "a session ends this long after sign-on, used or not"},
	{Name: "MATTRANSO_FEEDBACK_RULES", Part: Feedback, Shown: "built in",
		Doc: "citizen feedback's routing and deadline rules, a JSON file (see below); built in: corruption (`tham_nhung_tieu_cuc`) received at least by the province, 10, 15 and 20 working days at the commune, province and centre"},
	{Name: "MATTRANSO_FEEDBACK_HOLIDAYS", Part: Feedback, Shown: "built in",
		Doc: "a list of holidays and make-up working days extending the built-in calendar of Vietnam's holidays (Tết included) by which deadlines are counted (see `feedback/workday`)"},
	{Name: "MATTRANSO_FEEDBACK_RATE", Part: Feedback, Default: "10",
		Doc: "feedback submissions each client address may send a minute, 0 to 100000; `0` turns the limit off (behind a proxy, limit there instead)"},
	{Name: "MATTRANSO_FEEDBACK_DURABILITY", Part: Feedback, Default: "full",
		Doc: "`full` acknowledges a submission once it is on disk; `relaxed`, for measuring what that costs, may lose the last acknowledged ones on a power cut"},
	{Name: "MATTRANSO_FEEDBACK_THRESHOLD", Part: Feedback, Default: "0.5",
		Doc: "the classifier's confidence, 0 to 1, below which an item's topic is flagged for an officer to check"},
	{Name: "MATTRANSO_FEEDBACK_AGENCIES", Part: Feedback, Shown: "built in",
		Doc: "the directory of competent agencies officers forward feedback to, a JSON file (see below); built in: the people's committee, police, health station and others of each commune, the province's departments, the ministries"},
	{Name: "MATTRANSO_FEEDBACK_RESPONSES", Part: Feedback, Shown: "built in",
		Doc: "officers' model texts per topic and step (accepted, rejected, forwarded, answered), a JSON file added to the built-in ones (see below)"},
	{Name: "MATTRANSO_FEEDBACK_GRACE", Part: Feedback, Default: "2",
		Doc: "working days, 0 to 60, an overdue item waits before it is escalated to the Front committee of the territory above"},
	{Name: "MATTRANSO_FEEDBACK_RETRAIN", Part: Feedback, Default: "1h",
		Doc: "how often the topic classifier is retrained from the taxonomy and every officers' correction, when there are new ones, and saved; `0` never (corrections are still learnt one by one)"},
	{Name: "MATTRANSO_SMTP_URL", Part: Mail, Secret: true,
		Doc: "the SMTP server e-mail goes out through, `smtp://user:password@host:587?from=no-reply@example.vn` (`smtps://` for TLS from the first byte, `tls=none` for a local relay); unset, no e-mail is sent; `MATTRANSO_SMTP_URL_FILE` reads it from a file"},
	{Name: "MATTRANSO_CONGRESS_TERM", Part: Congress, Default: "2026-2031",
		Doc: "the term of the Front congresses followed (`/dai-hoi/…`, `/api/v1/congress/{term}/…`), two years `YYYY-YYYY`"},
	{Name: "MATTRANSO_REPORT_DATASETS", Part: Report, Shown: "built in",
		Doc: "the units' report forms, a JSON file of data sets replacing the built-in ones (see `report/dataset.go`); built in: `weekly`, filed by commune-level units of the six organisations, due Monday 17:00 after the week, locked 7 days later"},
}

// Where serve and the local embedder look when nothing is configured: the
// shared data beside the repository.
const (
	DefaultCorpus = "../shared/corpus"
	DefaultUnits  = "../shared/data/admin-units/vn_admin_units_flat.csv"
)

// CompetitionReranker is the re-ranker trained on the competition sets,
// read from the repository (MATTRANSO_RERANKER=competition), never built
// into the binary.
const CompetitionReranker = "retrieval/reranker-competition.json"

func lookupVar(name string) Var {
	for _, v := range Vars {
		if v.Name == name {
			return v
		}
	}
	panic("config: " + name + " is not in Vars")
}
