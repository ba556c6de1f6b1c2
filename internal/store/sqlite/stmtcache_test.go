package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/store"
)

// cacheDB is one in-memory connection with a statement cache.
func cacheDB(t *testing.T) *sql.DB {
	t.Helper()
	connector, err := newCachingConnector("file::memory:")
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	return db
}

// cached counts the statements the connection keeps.
func cached(t *testing.T, db *sql.DB) int {
	t.Helper()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	n := -1
	if err := conn.Raw(func(dc any) error {
		n = len(dc.(*cachingConn).stmts)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestStmtCacheReusesStatements(t *testing.T) {
	db := cacheDB(t)
	for i := range 5 {
		if _, err := db.Exec(`INSERT INTO kv (k, v) VALUES (?, ?)`, fmt.Sprint("k", i), i*10); err != nil {
			t.Fatal(err)
		}
	}
	var sum, n int
	for i := range 5 {
		var v int
		if err := db.QueryRow(`SELECT v FROM kv WHERE k = ?`, fmt.Sprint("k", i)).Scan(&v); err != nil {
			t.Fatal(err)
		}
		sum += v
		n++
	}
	if sum != 0+10+20+30+40 || n != 5 {
		t.Errorf("sum %d of %d rows, want 100 of 5", sum, n)
	}
	// CREATE TABLE, the INSERT and the SELECT.
	if got := cached(t, db); got != 3 {
		t.Errorf("%d statements cached, want 3", got)
	}
}

// A query run again while its own rows are still open must not reset
// them: the second run gets a statement of its own.
func TestStmtCacheNestedQuery(t *testing.T) {
	db := cacheDB(t)
	for _, k := range []string{"a", "b", "c"} {
		if _, err := db.Exec(`INSERT INTO kv (k, v) VALUES (?, 1)`, k); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	const q = `SELECT k FROM kv WHERE v = ? ORDER BY k`
	outer, err := tx.Query(q, 1)
	if err != nil {
		t.Fatal(err)
	}
	var pairs []string
	for outer.Next() {
		var k string
		if err := outer.Scan(&k); err != nil {
			t.Fatal(err)
		}
		inner, err := tx.Query(q, 1)
		if err != nil {
			t.Fatal(err)
		}
		for inner.Next() {
			var k2 string
			if err := inner.Scan(&k2); err != nil {
				t.Fatal(err)
			}
			pairs = append(pairs, k+k2)
		}
		if err := inner.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	outer.Close()
	if got := strings.Join(pairs, " "); got != "aa ab ac ba bb bc ca cb cc" {
		t.Errorf("pairs = %s, want every pair of a, b, c", got)
	}
}

func TestStmtCacheAfterErrors(t *testing.T) {
	db := cacheDB(t)
	const insert = `INSERT INTO kv (k, v) VALUES (?, ?)`
	if _, err := db.Exec(insert, "x", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(insert, "x", 2); err == nil || !strings.Contains(err.Error(), "UNIQUE") {
		t.Fatalf("duplicate key: err = %v, want a UNIQUE constraint error", err)
	}
	if _, err := db.Exec(insert, "y", 3); err != nil {
		t.Fatalf("the cached statement after an error: %v", err)
	}
	if _, err := db.Exec(`INSERT INTO nowhere VALUES (1)`); err == nil || !strings.Contains(err.Error(), "no such table") {
		t.Fatalf("bad SQL: err = %v, want no such table", err)
	}
	if _, err := db.Exec(`SELEC 1`); err == nil || !strings.Contains(err.Error(), "syntax error") {
		t.Fatalf("bad SQL: err = %v, want a syntax error", err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM kv`).Scan(&n); err != nil || n != 2 {
		t.Errorf("count = %d, %v; want 2", n, err)
	}
	// A query with no rows leaves the statement ready for the next call.
	for range 2 {
		err := db.QueryRow(`SELECT v FROM kv WHERE k = ?`, "missing").Scan(&n)
		if err != sql.ErrNoRows {
			t.Errorf("missing key: err = %v, want sql.ErrNoRows", err)
		}
	}
}

func TestStmtCacheScripts(t *testing.T) {
	db := cacheDB(t)
	const script = `INSERT INTO kv (k, v) VALUES ('s1', 1); INSERT INTO kv (k, v) VALUES ('s2', 2)`
	if _, err := db.Exec(script); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(strings.ReplaceAll(script, "'s", "'t")); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM kv`).Scan(&n); err != nil || n != 4 {
		t.Errorf("count = %d, %v; want 4 (both statements of both scripts)", n, err)
	}
}

func TestStmtCacheIsBounded(t *testing.T) {
	db := cacheDB(t)
	for i := range maxCachedStmts + 10 {
		var got int
		if err := db.QueryRow(fmt.Sprintf(`SELECT %d + ?`, i), 1).Scan(&got); err != nil || got != i+1 {
			t.Fatalf("query %d = %d, %v", i, got, err)
		}
	}
	if got := cached(t, db); got != maxCachedStmts {
		t.Errorf("%d statements cached, want the bound %d", got, maxCachedStmts)
	}
}

// go test -run '^$' -bench TriggerTx ./internal/store/sqlite/
//
// BenchmarkTriggerTx runs the statements the pipeline runs for a new
// alert that pages someone, one alert per transaction.
// The memory variant shows the CPU cost without the file system's.
func BenchmarkTriggerTx(b *testing.B) {
	b.Run("file", func(b *testing.B) { benchTriggerTx(b, filepath.Join(b.TempDir(), "vigil.db")) })
	b.Run("memory", func(b *testing.B) { benchTriggerTx(b, MemoryPath) })
}

func benchTriggerTx(b *testing.B, path string) {
	s, err := Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	ctx := context.Background()
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	i := 0
	for b.Loop() {
		i++
		err := s.Update(ctx, func(tx store.Tx) error {
			key := fmt.Sprintf("bench-%d", i)
			if _, err := tx.OpenAlert("pd-key", key); err == nil {
				return fmt.Errorf("alert %s exists", key)
			}
			inc := &incident.Incident{Title: key, Status: alert.StatusTriggered, Severity: incident.SEV2, Urgency: alert.UrgencyHigh,
				Service: "checkout", Services: []string{"checkout"}, AlertCount: 1, CreatedAt: now, UpdatedAt: now}
			if err := tx.InsertIncident(inc); err != nil {
				return err
			}
			a := &alert.Alert{Service: "checkout", IntegrationKey: "pd-key", DedupKey: key, Summary: key, Severity: alert.SeverityCritical,
				Status: alert.StatusTriggered, Count: 1, IncidentID: inc.ID, CreatedAt: now, UpdatedAt: now, LastEventAt: now}
			if err := tx.InsertAlert(a); err != nil {
				return err
			}
			for _, kind := range []string{incident.EntryTriggered, incident.EntryAlert, incident.EntryEscalated} {
				if err := tx.AppendTimeline(&incident.TimelineEntry{IncidentID: inc.ID, At: now, Kind: kind, Actor: "system", Message: key}); err != nil {
					return err
				}
			}
			n := &notify.Notification{IncidentID: inc.ID, Kind: notify.KindPage, UserID: "alice", ContactMethod: "alice-hook",
				MethodType: "webhook", IdempotencyKey: "vigil-" + key, Status: notify.StatusPending, DueAt: now, CreatedAt: now}
			if err := tx.InsertNotifications(n); err != nil {
				return err
			}
			inc.Responders = append(inc.Responders, incident.Responder{User: "alice", AddedAt: now})
			if err := tx.UpdateIncident(inc); err != nil {
				return err
			}
			return tx.PutEscalation(escalation.State{IncidentID: inc.ID, Policy: escalation.Policy{ID: "p"}, Step: 1, NextAt: now.Add(time.Hour), StartedAt: now})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "alerts/s")
}
