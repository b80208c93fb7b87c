package feedback

import (
	"bytes"
	"database/sql"
	"errors"
	"testing"

	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

// The migrations make every table the package and its users rely on, on
// both databases; running them again changes nothing; and the tables take
// what the code writes: bytes, floats, booleans and NULL times.
func TestMigrate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := NewStore(db, StoreOptions{})
		for range 2 {
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
		}
		var versions int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE domain = 'feedback'`).Scan(&versions); err != nil || versions < 1 {
			t.Fatalf("feedback migrations recorded: %d, %v", versions, err)
		}
		for _, table := range []string{"feedback_items", "feedback_contacts", "feedback_photos", "feedback_blobs",
			"feedback_idempotency", "feedback_events", "feedback_notes", "feedback_corrections"} {
			var n int
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
				t.Errorf("table %s: %v", table, err)
			}
		}

		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := db.ExecContext(ctx, q, args...); err != nil {
				t.Fatal(err)
			}
		}
		exec(`INSERT INTO feedback_items (code, content, province, commune, lat, lon, level, unit, unit_path,
				topic_confidence, topic_flagged, state, published, created_at, updated_at, due_at)
			VALUES ('ABCDE23456', 'nội dung', '79', '26734', 10.775, 106.7, 'commune', '26734/MTTQ', 'VN/79/26734/',
				0.25, $1, 'received', $2, 100, 100, 200)`, true, false)
		var (
			id         int64
			lat        float64
			conf       float64
			flagged    bool
			published  bool
			answered   sql.NullInt64
			publicText sql.NullString
		)
		if err := db.QueryRowContext(ctx, `SELECT id, lat, topic_confidence, topic_flagged, published, answered_at, public_text
			FROM feedback_items WHERE code = 'ABCDE23456'`).Scan(&id, &lat, &conf, &flagged, &published, &answered, &publicText); err != nil {
			t.Fatal(err)
		}
		if lat != 10.775 || conf != 0.25 || !flagged || published || answered.Valid || publicText.Valid {
			t.Errorf("read back lat %v, confidence %v, flagged %v, published %v, answered_at %v, public_text %v",
				lat, conf, flagged, published, answered, publicText)
		}
		// The tracking code is unique.
		if _, err := db.ExecContext(ctx, `INSERT INTO feedback_items (code, content, province, commune, level, unit, unit_path,
				state, created_at, updated_at, due_at)
			VALUES ('ABCDE23456', 'x', '79', '26734', 'commune', '26734/MTTQ', 'VN/79/26734/', 'received', 1, 1, 1)`); err == nil {
			t.Error("a second item with the same tracking code was stored")
		}
		// Contacts and photos belong to an item that exists.
		if _, err := db.ExecContext(ctx, `INSERT INTO feedback_contacts (item_id, name) VALUES (99999, 'x')`); err == nil {
			t.Error("a contact of no item was stored")
		}

		// Bytes come back as they went in, every byte value included.
		data := make([]byte, 512)
		for i := range data {
			data[i] = byte(i)
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		key, err := s.Blobs().Put(ctx, tx, data)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		got, err := s.Blobs().Get(ctx, key)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("blob read back: %d bytes, %v", len(got), err)
		}
		if _, err := s.Blobs().Get(ctx, "no-such-key"); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing blob: %v, want ErrNotFound", err)
		}
		// A blob put in a transaction rolled back is not there.
		tx, err = db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		gone, err := s.Blobs().Put(ctx, tx, []byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		tx.Rollback()
		if _, err := s.Blobs().Get(ctx, gone); !errors.Is(err, ErrNotFound) {
			t.Errorf("blob of a rolled-back transaction: %v, want ErrNotFound", err)
		}
	})
}
