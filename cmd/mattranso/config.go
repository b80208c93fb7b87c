package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
