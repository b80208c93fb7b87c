package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Config is every setting of the binary, read from the environment with
// defaults in one place; flags override the environment.
type Config struct {
	Addr        string // MATTRANSO_ADDR, default :8080
	DataDir     string // MATTRANSO_DATA, default ./data
	DatabaseURL string // DATABASE_URL (or DATABASE_URL_FILE); default an SQLite file in DataDir
	// Ingest lists the sources that serve brings in at start (comma
	// separated in MATTRANSO_INGEST); default ../shared/corpus when it
	// exists; "none" turns it off.
	Ingest   []string
	LogLevel string // LOG_LEVEL: debug, info, warn, error
	Vectors  vectorConfig
	Auth     authConfig
}

const defaultCorpus = "../shared/corpus"

// LoadConfig reads the environment.
func LoadConfig() (Config, error) {
	c := Config{
		Addr:     env("MATTRANSO_ADDR", ":8080"),
		DataDir:  env("MATTRANSO_DATA", "data"),
		LogLevel: env("LOG_LEVEL", "info"),
	}
	url, err := secret("DATABASE_URL")
	if err != nil {
		return c, err
	}
	c.DatabaseURL = url
	if c.Vectors, err = loadVectorConfig(); err != nil {
		return c, err
	}
	if c.Auth, err = loadAuthConfig(); err != nil {
		return c, err
	}
	switch v := strings.TrimSpace(os.Getenv("MATTRANSO_INGEST")); v {
	case "":
		if st, err := os.Stat(defaultCorpus); err == nil && st.IsDir() {
			c.Ingest = []string{defaultCorpus}
		}
	case "none", "off":
	default:
		c.Ingest = splitList(v)
	}
	return c, nil
}

// Database returns the database to open: DATABASE_URL, or the SQLite file
// in the data directory.
func (c Config) Database() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL
	}
	return filepath.Join(c.DataDir, "mattranso.db")
}

// KeywordDir is where the keyword index lives.
func (c Config) KeywordDir() string { return filepath.Join(c.DataDir, "index", "keyword") }

func env(key, def string) string {
	if v := strings.TrimSpace(os.Getenv(key)); v != "" {
		return v
	}
	return def
}

// secret reads KEY, or the file named by KEY_FILE.
func secret(key string) (string, error) {
	if path := os.Getenv(key + "_FILE"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("config: %s_FILE: %w", key, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return strings.TrimSpace(os.Getenv(key)), nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// authConfig is sign-on and sessions. Without OIDC_ISSUER nobody can sign
// in and the staff pages say how to configure it.
type authConfig struct {
	OIDCIssuer       string // OIDC_ISSUER, e.g. https://id.example.vn/realms/mattranso
	OIDCClientID     string // OIDC_CLIENT_ID
	OIDCClientSecret string // OIDC_CLIENT_SECRET (or OIDC_CLIENT_SECRET_FILE); empty for a public client
	// OIDCRedirectURL is OIDC_REDIRECT_URL; default PublicURL + /auth/callback.
	OIDCRedirectURL string
	// PublicURL is MATTRANSO_PUBLIC_URL, the site's address for its users;
	// https makes cookies Secure. Default http://localhost and the port of
	// MATTRANSO_ADDR.
	PublicURL   string
	SessionIdle time.Duration // MATTRANSO_SESSION_IDLE, default 1h
	SessionMax  time.Duration // MATTRANSO_SESSION_MAX, default 12h
}

func loadAuthConfig() (authConfig, error) {
	c := authConfig{
		OIDCIssuer:      env("OIDC_ISSUER", ""),
		OIDCClientID:    env("OIDC_CLIENT_ID", ""),
		OIDCRedirectURL: env("OIDC_REDIRECT_URL", ""),
		PublicURL:       strings.TrimRight(env("MATTRANSO_PUBLIC_URL", ""), "/"),
	}
	var err error
	if c.OIDCClientSecret, err = secret("OIDC_CLIENT_SECRET"); err != nil {
		return c, err
	}
	if c.OIDCIssuer != "" && c.OIDCClientID == "" {
		return c, fmt.Errorf("config: OIDC_ISSUER is set but OIDC_CLIENT_ID is not")
	}
	for _, d := range []struct {
		key string
		def time.Duration
		v   *time.Duration
	}{{"MATTRANSO_SESSION_IDLE", time.Hour, &c.SessionIdle}, {"MATTRANSO_SESSION_MAX", 12 * time.Hour, &c.SessionMax}} {
		*d.v = d.def
		if s := env(d.key, ""); s != "" {
			if *d.v, err = time.ParseDuration(s); err != nil || *d.v <= 0 {
				return c, fmt.Errorf("config: %s=%q: want a positive duration such as 30m or 8h", d.key, s)
			}
		}
	}
	return c, nil
}

// publicURL is the site's address: MATTRANSO_PUBLIC_URL, else
// http://localhost with the port of addr.
func (c Config) publicURL() string {
	if c.Auth.PublicURL != "" {
		return c.Auth.PublicURL
	}
	port := "8080"
	if i := strings.LastIndex(c.Addr, ":"); i >= 0 && i < len(c.Addr)-1 {
		port = c.Addr[i+1:]
	}
	return "http://localhost:" + port
}
