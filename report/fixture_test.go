package report_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/report"
	"github.com/mattranso/mattranso/store"
)

// territories is a small tree: two provinces, three communes.
const territories = "level,code,name,short_name,type,type_full,parent_code,parent_name\n" +
	"province,79,Thành phố Hồ Chí Minh,Hồ Chí Minh,Thành phố,Thành phố trực thuộc trung ương,,\n" +
	"commune,26734,Phường Sài Gòn,Sài Gòn,Phường,Phường,79,Thành phố Hồ Chí Minh\n" +
	"commune,26737,Phường Tân Định,Tân Định,Phường,Phường,79,Thành phố Hồ Chí Minh\n" +
	"province,22,Tỉnh Quảng Ninh,Quảng Ninh,Tỉnh,Tỉnh,,\n" +
	"commune,07030,Xã Ba Chẽ,Ba Chẽ,Xã,Xã,22,Tỉnh Quảng Ninh\n"

// clock is a settable time for the service.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// vn is a time in Vietnam.
func vn(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, report.Vietnam)
}

// newService opens the service over db with the small tree, its clock on
// Monday 23 November 2026 at 10:00, before 2026-W47's deadline.
func newService(t testing.TB, db *store.DB, ds []report.Dataset) (*report.Service, *clock) {
	t.Helper()
	ctx := context.Background()
	tree := org.NewStore(db)
	if err := tree.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := tree.ImportTerritories(ctx, strings.NewReader(territories)); err != nil {
		t.Fatal(err)
	}
	c := &clock{t: vn(2026, 11, 23, 10, 0)}
	svc, err := report.NewService(report.Options{DB: db, Tree: tree, Datasets: ds, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return svc, c
}

func period(t testing.TB, key string) report.Period {
	t.Helper()
	p, err := report.ParsePeriod(report.Weekly, key)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func unit(t testing.TB, id string) org.Unit {
	t.Helper()
	u, err := org.ParseUnit(id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// goodValues are a complete weekly report.
func goodValues(members int) map[string]any {
	return map[string]any{"members": float64(members), "staff": 5.0, "full_time": 2.0, "activities": 3.0,
		"citizens_reached": 120.0, "feedback_received": 4.0, "feedback_answered": 3.0,
		"typical_activities": "Ra quân vệ sinh môi trường."}
}
