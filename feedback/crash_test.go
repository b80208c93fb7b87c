package feedback_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattranso/mattranso/feedback"
	"github.com/mattranso/mattranso/internal/testenv"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
)

// crashDSNEnv names the database TestCrashHelper writes to.
const crashDSNEnv = "MATTRANSO_FEEDBACK_CRASH_DSN"

// TestCrashHelper is the child of TestSurviveKill: it stores items with
// contacts, two photos each and idempotency keys from many goroutines at
// once, and prints "acked CODE KEY" for each once Create returned, until
// it is killed. Run directly it does nothing.
func TestCrashHelper(t *testing.T) {
	dsn := os.Getenv(crashDSNEnv)
	if dsn == "" {
		return
	}
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		fmt.Printf("open failed: %v\n", err)
		os.Exit(3)
	}
	st := feedback.NewStore(db, feedback.StoreOptions{})
	round := os.Getenv(crashDSNEnv + "_ROUND")
	var out sync.Mutex
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := 0; ; i++ {
				key := fmt.Sprintf("crash-%s-%d-%d", round, g, i)
				photo := []byte(strings.Repeat(key, 20))
				now := time.Now()
				n := &feedback.NewItem{
					Item: feedback.Item{Content: "Phản ánh " + key, Province: "79", Commune: "26734", Level: feedback.LevelCommune,
						Unit: "26734/MTTQ", UnitPath: "VN/79/26734/", Topic: "giao_thong", TopicSource: feedback.TopicClassifier,
						CreatedAt: now, DueAt: now.AddDate(0, 0, 10)},
					Contact: feedback.Contact{Name: "Người gửi " + key, Phone: "0912345678"},
					Photos: []feedback.NewPhoto{{ContentType: "image/jpeg", Data: photo, Thumb: photo[:100], ThumbType: "image/jpeg"},
						{ContentType: "image/png", Data: photo[1:], Thumb: photo[:50], ThumbType: "image/png"}},
					IdempotencyKey: key, RequestHash: "h-" + key, IP: "192.0.2.7",
				}
				c, err := st.Create(ctx, n)
				if err != nil {
					fmt.Printf("create failed: %v\n", err)
					os.Exit(3)
				}
				out.Lock()
				fmt.Printf("acked %s %s\n", c.Receipt.TrackingCode, key)
				out.Unlock()
			}
		})
	}
	wg.Wait()
}

// A child storing items at full speed is killed three times with SIGKILL:
// every item it acknowledged is there afterwards with everything that
// belongs to it, no item is there in part, a retry of an acknowledged key
// finds its item, and nothing is stored twice.
func TestSurviveKill(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, envOptions{noClassifier: true})
		dsn := dsnOf(t, db)
		rng := rand.New(rand.NewPCG(14, 14))
		acked := map[string]string{} // key → code
		for round := range 3 {
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$")
			cmd.Env = append(os.Environ(), crashDSNEnv+"="+dsn, fmt.Sprintf("%s_ROUND=%d", crashDSNEnv, round))
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			killAfter := 40 + rng.IntN(120)
			n := 0
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				line := sc.Text()
				if rest, ok := strings.CutPrefix(line, "acked "); ok {
					code, key, _ := strings.Cut(rest, " ")
					if prev, dup := acked[key]; dup && prev != code {
						t.Fatalf("key %s acknowledged with %s and %s", key, prev, code)
					}
					acked[key] = code
					if n++; n >= killAfter {
						break
					}
				} else if strings.Contains(line, "failed") {
					t.Fatalf("round %d: child: %s", round, line)
				}
			}
			cmd.Process.Kill()
			cmd.Wait()
			if n < killAfter {
				t.Fatalf("round %d: the child stopped after %d items, before it was killed", round, n)
			}
			checkWhole(t, e, acked)
		}
		// A retry of an acknowledged submission finds its item.
		for key, code := range acked {
			c, ok, err := e.store.Replay(ctx, key, "h-"+key)
			if err != nil || !ok || c.Receipt.TrackingCode != code {
				t.Errorf("retry of %s: %+v, %v, %v; want %s", key, c, ok, err, code)
			}
			break
		}
	})
}

// checkWhole checks that every acknowledged item is stored and that every
// stored item is whole.
func checkWhole(t *testing.T, e *env, acked map[string]string) {
	t.Helper()
	ctx := context.Background()
	waitChildGone(t, e.db)
	stored := map[string]string{} // code → content
	rows, err := e.db.QueryContext(ctx, `SELECT code, content FROM feedback_items`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var code, content string
		if err := rows.Scan(&code, &content); err != nil {
			t.Fatal(err)
		}
		stored[feedback.FormatCode(code)] = content
	}
	rows.Close()
	for key, code := range acked {
		content, ok := stored[code]
		if !ok {
			t.Fatalf("acknowledged %s (%s) is not stored", code, key)
		}
		if content != "Phản ánh "+key {
			t.Fatalf("%s holds %q", code, content)
		}
	}
	q := func(query string) int {
		t.Helper()
		var n int
		if err := e.db.QueryRowContext(ctx, query).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	items := q(`SELECT COUNT(*) FROM feedback_items`)
	if items < len(acked) {
		t.Fatalf("%d items stored, %d acknowledged", items, len(acked))
	}
	for what, n := range map[string]int{
		"items without their contact":         q(`SELECT COUNT(*) FROM feedback_items i WHERE NOT EXISTS (SELECT 1 FROM feedback_contacts c WHERE c.item_id = i.id)`),
		"items without two photos":            q(`SELECT COUNT(*) FROM feedback_items i WHERE (SELECT COUNT(*) FROM feedback_photos p WHERE p.item_id = i.id) <> 2`),
		"items without their first event":     q(`SELECT COUNT(*) FROM feedback_items i WHERE NOT EXISTS (SELECT 1 FROM feedback_events e WHERE e.item_id = i.id AND e.action = 'submit')`),
		"items without their idempotency key": q(`SELECT COUNT(*) FROM feedback_items i WHERE NOT EXISTS (SELECT 1 FROM feedback_idempotency k WHERE k.item_id = i.id)`),
		"photos whose bytes are missing":      q(`SELECT COUNT(*) FROM feedback_photos p WHERE NOT EXISTS (SELECT 1 FROM feedback_blobs b WHERE b.key = p.blob_key) OR NOT EXISTS (SELECT 1 FROM feedback_blobs b WHERE b.key = p.thumb_key)`),
		// With every photo's bytes there, as many blobs as keys named means
		// no blob of no photo.
		"bytes of no photo": q(`SELECT COUNT(*) FROM feedback_blobs`) -
			q(`SELECT COUNT(*) FROM (SELECT blob_key FROM feedback_photos UNION SELECT thumb_key FROM feedback_photos) x`),
		"keys recorded twice for one item":      q(`SELECT COUNT(*) FROM (SELECT item_id FROM feedback_idempotency GROUP BY item_id HAVING COUNT(*) > 1) x`),
		"submissions stored twice":              q(`SELECT COUNT(*) FROM (SELECT content FROM feedback_items GROUP BY content HAVING COUNT(*) > 1) x`),
		"idempotency keys of no item's content": q(`SELECT COUNT(*) FROM feedback_idempotency k JOIN feedback_items i ON i.id = k.item_id WHERE i.content <> 'Phản ánh ' || k.key`),
	} {
		if n != 0 {
			t.Errorf("%d %s", n, what)
		}
	}
}

// dsnOf is how a child process opens db: its SQLite file, or its
// PostgreSQL database on the test server.
func dsnOf(t *testing.T, db *store.DB) string {
	t.Helper()
	ctx := context.Background()
	if db.Dialect == store.SQLite {
		var seq int
		var name, file string
		if err := db.QueryRowContext(ctx, `PRAGMA database_list`).Scan(&seq, &name, &file); err != nil {
			t.Fatal(err)
		}
		return file
	}
	var name string
	if err := db.QueryRowContext(ctx, `SELECT current_database()`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(testenv.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// waitChildGone waits, on PostgreSQL, until no other session works in the
// test's database: a killed client's backend may still be committing what
// it had sent, and the checks below must read one settled state.
func waitChildGone(t *testing.T, db *store.DB) {
	t.Helper()
	if db.Dialect != store.Postgres {
		return
	}
	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var n int
		err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND state IS DISTINCT FROM 'idle'`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions of the killed child still working after 60 s", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
