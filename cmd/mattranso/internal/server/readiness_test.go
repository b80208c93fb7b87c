package server

import (
	"strings"
	"testing"

	"github.com/mattranso/mattranso/store/storetest"
)

// /readyz says not ready while loading, and whenever the database does
// not answer; ready otherwise.
func TestReadinessAsksTheDatabase(t *testing.T) {
	db := storetest.SQLite(t)
	r := &readiness{reason: "đang nạp thư viện (loading the library)", db: db}
	if err := r.ready(); err == nil || !strings.Contains(err.Error(), "đang nạp") {
		t.Errorf("while loading: %v", err)
	}
	r.set("")
	if err := r.ready(); err != nil {
		t.Errorf("loaded, database open: %v", err)
	}
	db.Close()
	if err := r.ready(); err == nil || !strings.Contains(err.Error(), "cơ sở dữ liệu không trả lời") {
		t.Errorf("database closed: %v", err)
	}
}
