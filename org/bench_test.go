package org

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

// benchVillages is how many villages the benchmark tree has: about the
// country's count.
const benchVillages = 90_000

// BenchmarkTree loads the real provinces and communes, adds 90,000
// villages (about 27 a commune) in one transaction, then measures the
// queries that auth and the reports run on every request:
//
//	go test ./org -run '^$' -bench Tree -benchtime 2s
//
// PostgreSQL runs too when MATTRANSO_TEST_DATABASE_URL is set.
func BenchmarkTree(b *testing.B) {
	csv := testenv.SharedPath(b, "data", "admin-units", "vn_admin_units_flat.csv")
	for _, dialect := range []string{"sqlite", "postgres"} {
		b.Run(dialect, func(b *testing.B) {
			var db *store.DB
			if dialect == "sqlite" {
				db = storetest.SQLite(b)
			} else {
				db = storetest.Postgres(b)
			}
			s, villages := benchTree(b, db, csv)
			benchQueries(b, s, villages)
		})
	}
}

func benchTree(b *testing.B, db *store.DB, csv string) (*Store, []Territory) {
	b.Helper()
	ctx := context.Background()
	s := NewStore(db)
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(csv)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if _, err := s.ImportTerritories(ctx, f); err != nil {
		b.Fatal(err)
	}
	communes, err := s.Descendants(ctx, CentralCode, Commune)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	villages := make([]Territory, 0, benchVillages)
	for i := range benchVillages {
		c := communes[i%len(communes)]
		v, err := s.createVillage(ctx, tx, c.Code, fmt.Sprintf("%d", i/len(communes)+1), "Thôn")
		if err != nil {
			b.Fatal(err)
		}
		villages = append(villages, v)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	// As autovacuum would on PostgreSQL after such a load.
	if _, err := db.ExecContext(ctx, `ANALYZE org_territories`); err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: %d villages created in %v (%.0f/s) under %d communes",
		db.Dialect, benchVillages, took.Round(time.Millisecond), benchVillages/took.Seconds(), len(communes))
	return s, villages
}

func benchQueries(b *testing.B, s *Store, villages []Territory) {
	ctx := context.Background()
	n := len(villages)
	// A stride that is prime to the number of villages visits them all in
	// a scattered order, so that no one row stays hot.
	const stride = 7919
	// The peer: the cheapest query there is, to read the others against.
	b.Run("Peer/SELECT-1", func(b *testing.B) {
		for b.Loop() {
			var one int
			if err := s.db.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Contains/province-MTTQ-village-HND", func(b *testing.B) {
		i := 0
		for b.Loop() {
			v := villages[i%n]
			i += stride
			in, err := s.Contains(ctx, UnitOf(v.Path[3:5], MTTQ), v.Unit(HND))
			if err != nil || !in {
				b.Fatalf("Contains(%s, %s) = %v, %v", v.Path[3:5], v.Code, in, err)
			}
		}
	})
	b.Run("Contains/other-province", func(b *testing.B) {
		i := 0
		for b.Loop() {
			v := villages[i%n]
			i += stride
			other := "01"
			if v.Path[3:5] == "01" {
				other = "79"
			}
			if in, err := s.Contains(ctx, UnitOf(other, MTTQ), v.Unit(MTTQ)); err != nil || in {
				b.Fatalf("Contains(%s, %s) = %v, %v", other, v.Code, in, err)
			}
		}
	})
	b.Run("Ancestors/village", func(b *testing.B) {
		i := 0
		for b.Loop() {
			v := villages[i%n]
			i += stride
			if a, err := s.Ancestors(ctx, v.Code); err != nil || len(a) != 3 {
				b.Fatalf("Ancestors(%s) = %d, %v", v.Code, len(a), err)
			}
		}
	})
	b.Run("Descendants/commune", func(b *testing.B) {
		i := 0
		for b.Loop() {
			v := villages[i%n]
			i += stride
			if d, err := s.Descendants(ctx, v.ParentCode, ""); err != nil || len(d) < 27 {
				b.Fatalf("Descendants(%s) = %d, %v", v.ParentCode, len(d), err)
			}
		}
	})
	b.Run("Descendants/province-villages", func(b *testing.B) {
		for b.Loop() {
			if d, err := s.Descendants(ctx, "79", Village); err != nil || len(d) < 1000 {
				b.Fatalf("Descendants(79) = %d, %v", len(d), err)
			}
		}
	})
	b.Run("CountDescendants/province", func(b *testing.B) {
		for b.Loop() {
			if c, err := s.CountDescendants(ctx, "79"); err != nil || c.Villages < 1000 {
				b.Fatalf("CountDescendants(79) = %+v, %v", c, err)
			}
		}
	})
	b.Run("CountDescendants/VN", func(b *testing.B) {
		for b.Loop() {
			if c, err := s.CountDescendants(ctx, CentralCode); err != nil || c.Villages != n {
				b.Fatalf("CountDescendants(VN) = %+v, %v", c, err)
			}
		}
	})
	b.Run("CreateVillage", func(b *testing.B) {
		i := 0
		for b.Loop() {
			v := villages[i%n]
			i += stride
			if _, err := s.CreateVillage(ctx, v.ParentCode, fmt.Sprintf("Mới %d", i), "Tổ dân phố"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
