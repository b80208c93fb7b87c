package store_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

func TestOpen(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		want := store.Dialect(strings.SplitN(t.Name(), "/", 2)[1])
		if db.Dialect != want {
			t.Errorf("Dialect = %q, want %q", db.Dialect, want)
		}
		var n int
		if err := db.QueryRowContext(t.Context(), `SELECT $1 + 1`, 41).Scan(&n); err != nil || n != 42 {
			t.Errorf("SELECT $1 + 1 = %d, %v; want 42", n, err)
		}
	})
}

func TestOpenSQLitePath(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, dsn, file string
	}{
		{"plain path", filepath.Join(dir, "a.db"), filepath.Join(dir, "a.db")},
		{"missing directories are created", filepath.Join(dir, "x", "y", "b.db"), filepath.Join(dir, "x", "y", "b.db")},
		{"sqlite:// prefix", "sqlite://" + filepath.Join(dir, "c.db"), filepath.Join(dir, "c.db")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, err := store.Open(t.Context(), tc.dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if db.Dialect != store.SQLite {
				t.Errorf("Dialect = %q, want sqlite", db.Dialect)
			}
			if _, err := os.Stat(tc.file); err != nil {
				t.Errorf("database file: %v", err)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name, dsn, want string
	}{
		{"empty path", "", "empty database path"},
		{"empty sqlite URL", "sqlite://", "empty database path"},
		// Port 1 is reserved and closed: the connection is refused at once.
		{"unreachable postgres", "postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=5", "connect to postgres"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, err := store.Open(t.Context(), tc.dsn)
			if err == nil {
				db.Close()
				t.Fatalf("Open(%q) succeeded, want an error containing %q", tc.dsn, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open(%q) = %v, want an error containing %q", tc.dsn, err, tc.want)
			}
		})
	}
}

// migrateStep is one call of Migrate in a test case.
type migrateStep struct {
	files fstest.MapFS
	// wantErr lists strings the error must contain; empty means success.
	wantErr []string
	// want is the expected value of the case's probe query after the step
	// and wantVersions the domain's ledger, per dialect ("" for any).
	want         map[store.Dialect]string
	wantVersions map[store.Dialect][]int
}

// anyDialect is the key of an expectation that holds on every dialect.
const anyDialect store.Dialect = ""

func forDialect[T any](m map[store.Dialect]T, d store.Dialect) (T, bool) {
	if v, ok := m[d]; ok {
		return v, true
	}
	v, ok := m[anyDialect]
	return v, ok
}

func all[T any](v T) map[store.Dialect]T { return map[store.Dialect]T{anyDialect: v} }

func sqlFile(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func TestMigrate(t *testing.T) {
	inOrder := fstest.MapFS{
		"001_log.sql":  sqlFile("CREATE TABLE ord_log (s TEXT NOT NULL);\nINSERT INTO ord_log (s) VALUES ('a');\n"),
		"2_b.sql":      sqlFile("UPDATE ord_log SET s = s || 'b';"),
		"10_c.sql":     sqlFile("-- Sorts before 2_b.sql by name, after it by number.\nUPDATE ord_log SET s = s || 'c';\n"),
		"README.md":    sqlFile("not a migration: ignored"),
		"003_x.sql.gz": sqlFile("not a migration either"),
	}
	inOrderPlus := fstest.MapFS{"011_d.sql": sqlFile("UPDATE ord_log SET s = s || 'd';")}
	for k, v := range inOrder {
		inOrderPlus[k] = v
	}

	good := "CREATE TABLE fail_a (v TEXT);\n"
	broken := fstest.MapFS{
		"001_a.sql": sqlFile(good),
		"002_b.sql": sqlFile("CREATE TABLE fail_b (v TEXT);\nINSERT INTO fail_a (v) VALUES ('half');\nINSERT INTO no_such_table VALUES (1);\n"),
	}
	fixed := fstest.MapFS{
		"001_a.sql": sqlFile(good),
		"002_b.sql": sqlFile("CREATE TABLE fail_b (v TEXT);\nINSERT INTO fail_a (v) VALUES ('whole');\n"),
	}

	tests := []struct {
		name   string
		domain string
		probe  string // a query returning one text value
		steps  []migrateStep
	}{
		{
			name:   "applied once in number order",
			domain: "ord",
			probe:  `SELECT s FROM ord_log`,
			steps: []migrateStep{
				{files: inOrder, want: all("abc"), wantVersions: all([]int{1, 2, 10})},
				{files: inOrder, want: all("abc"), wantVersions: all([]int{1, 2, 10})},
				{files: inOrderPlus, want: all("abcd"), wantVersions: all([]int{1, 2, 10, 11})},
			},
		},
		{
			name:   "dialect override files",
			domain: "dia",
			probe:  `SELECT v FROM dia_t`,
			steps: []migrateStep{{
				files: fstest.MapFS{
					"001_t.sql":          sqlFile("CREATE TABLE dia_t (v TEXT);\nINSERT INTO dia_t (v) VALUES ('plain');\n"),
					"001_t.postgres.sql": sqlFile("CREATE TABLE dia_t (v TEXT);\nINSERT INTO dia_t (v) VALUES ('postgres');\n"),
					"002_u.sqlite.sql":   sqlFile("UPDATE dia_t SET v = v || '+sqlite';"),
				},
				want: map[store.Dialect]string{
					store.SQLite:   "plain+sqlite",
					store.Postgres: "postgres",
				},
				wantVersions: map[store.Dialect][]int{
					store.SQLite:   {1, 2},
					store.Postgres: {1},
				},
			}},
		},
		{
			name:   "failing migration rolls back",
			domain: "fail",
			probe:  `SELECT COALESCE(MAX(v), 'none') FROM fail_a`,
			steps: []migrateStep{
				{files: broken, wantErr: []string{"fail/002_b.sql", "no_such_table"}, want: all("none"), wantVersions: all([]int{1})},
				// fail_b is created again: the failed attempt left none.
				{files: fixed, want: all("whole"), wantVersions: all([]int{1, 2})},
			},
		},
		{
			name:   "bad file names",
			domain: "bad",
			steps: []migrateStep{
				{files: fstest.MapFS{"001_ok.sql": sqlFile(good), "create_things.sql": sqlFile(good)}, wantErr: []string{"create_things.sql", "NNN_description"}},
				{files: fstest.MapFS{"001-things.sql": sqlFile(good)}, wantErr: []string{"001-things.sql", "NNN_description"}},
				{files: fstest.MapFS{"001_Things.sql": sqlFile(good)}, wantErr: []string{"001_Things.sql"}},
				{files: fstest.MapFS{"001_t.mysql.sql": sqlFile(good)}, wantErr: []string{"001_t.mysql.sql"}},
				{files: fstest.MapFS{"001_a.sql": sqlFile(good), "1_b.sql": sqlFile(good)}, wantErr: []string{"001_a.sql", "1_b.sql", "same version 1"}},
			},
		},
	}

	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				for i, step := range tc.steps {
					err := db.Migrate(ctx, tc.domain, step.files)
					switch {
					case len(step.wantErr) == 0 && err != nil:
						t.Fatalf("step %d: Migrate: %v", i, err)
					case len(step.wantErr) > 0 && err == nil:
						t.Fatalf("step %d: Migrate succeeded, want an error containing %q", i, step.wantErr)
					}
					for _, w := range step.wantErr {
						if !strings.Contains(err.Error(), w) {
							t.Errorf("step %d: Migrate error %q does not contain %q", i, err, w)
						}
					}
					if want, ok := forDialect(step.want, db.Dialect); ok {
						var got string
						if err := db.QueryRowContext(ctx, tc.probe).Scan(&got); err != nil {
							t.Fatalf("step %d: %s: %v", i, tc.probe, err)
						}
						if got != want {
							t.Errorf("step %d: %s = %q, want %q", i, tc.probe, got, want)
						}
					}
					wantVersions, _ := forDialect(step.wantVersions, db.Dialect)
					if got := versions(t, db, tc.domain); !reflect.DeepEqual(got, wantVersions) {
						t.Errorf("step %d: applied versions of %s = %v, want %v", i, tc.domain, got, wantVersions)
					}
				}
			})
		}

		t.Run("failed migration leaves no row", func(t *testing.T) {
			var n int
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM fail_a WHERE v = 'half'`).Scan(&n); err != nil || n != 0 {
				t.Errorf("rows left by the failed migration: %d, %v", n, err)
			}
		})
	})
}

// TestMigrateTestdata runs the migrations of a testdata folder, as a
// domain embeds them, against both databases.
func TestMigrateTestdata(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		fsys := os.DirFS("testdata/migrations")
		for range 2 {
			if err := db.Migrate(ctx, "notes", fsys); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO notes (id, body) VALUES ($1, $2)`, "n1", "Luật Cư trú"); err != nil {
			t.Fatal(err)
		}
		var body, folded string
		if err := db.QueryRowContext(ctx, `SELECT body, folded FROM notes WHERE id = $1`, "n1").Scan(&body, &folded); err != nil {
			t.Fatal(err)
		}
		if body != "Luật Cư trú" || folded != "" {
			t.Errorf("note = %q, %q; want the text kept as given and the later column's default", body, folded)
		}
		if got, want := versions(t, db, "notes"), []int{1, 2}; !reflect.DeepEqual(got, want) {
			t.Errorf("applied versions = %v, want %v", got, want)
		}
	})
}

func versions(t *testing.T, db *store.DB, domain string) []int {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT version FROM schema_migrations WHERE domain = $1 ORDER BY version`, domain)
	if err != nil {
		t.Fatalf("read ledger: %v", err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
