package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/storetest"
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
// The memory variant shows the CPU cost without the file system's.
func BenchmarkTriggerTx(b *testing.B) {
	b.Run("file", func(b *testing.B) { storetest.BenchTriggerTx(b, benchStore) })
	b.Run("memory", func(b *testing.B) {
		storetest.BenchTriggerTx(b, func(b *testing.B) store.Store { return storetest.Migrated(b, openTestStore(b, MemoryPath)) })
	})
}

func TestPositional(t *testing.T) {
	cases := []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`SELECT a FROM t WHERE b = $1 AND c < $2 LIMIT $3`, `SELECT a FROM t WHERE b = ? AND c < ? LIMIT ?`},
		{`VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, `VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		// Used twice, or out of order: bound by number.
		{`UPDATE t SET a = $1 WHERE b = $2 AND a < $1`, `UPDATE t SET a = $1 WHERE b = $2 AND a < $1`},
		{`SELECT $2, $1`, `SELECT $2, $1`},
		{`SELECT $0`, `SELECT $0`},
		{`SELECT $01`, `SELECT $01`},
		{`SELECT $a`, `SELECT $a`},
		{`SELECT $`, `SELECT $`},
		// Other kinds of parameters are left alone.
		{`SELECT ?, $1`, `SELECT ?, $1`},
		{`SELECT :a, $1`, `SELECT :a, $1`},
		// Quotes and comments.
		{`SELECT '$1', $1`, `SELECT '$1', ?`},
		{`SELECT 'it''s $2', "$9", $1`, `SELECT 'it''s $2', "$9", ?`},
		{"SELECT $1 -- and $2\n, $2", "SELECT ? -- and $2\n, ?"},
		{`SELECT /* $5 */ $1`, `SELECT /* $5 */ ?`},
		{`SELECT $1 -- to the end`, `SELECT ? -- to the end`},
		{`SELECT 'open $1`, `SELECT 'open $1`},
		{`SELECT $1 /* open`, `SELECT $1 /* open`},
	}
	for _, c := range cases {
		if got := positional(c.in); got != c.want {
			t.Errorf("positional(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestNumberedParameters runs statements whose parameters bind by
// position and by number on the statement cache.
func TestNumberedParameters(t *testing.T) {
	db := cacheDB(t)
	for range 2 { // prepared, then from the cache
		if _, err := db.Exec(`INSERT INTO kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = excluded.v`, "a", 1); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO kv (v, k) VALUES ($2, $1) ON CONFLICT (k) DO UPDATE SET v = v + $2`, "b", 5); err != nil {
			t.Fatal(err)
		}
	}
	var a, b int
	if err := db.QueryRow(`SELECT (SELECT v FROM kv WHERE k = $1), (SELECT v FROM kv WHERE k = $2)`, "a", "b").Scan(&a, &b); err != nil || a != 1 || b != 10 {
		t.Errorf("a, b = %d, %d, %v; want 1, 10", a, b, err)
	}
}

// FuzzPositional: the rewrite never fails, only removes parameter numbers
// and is done once and for all.
func FuzzPositional(f *testing.F) {
	for _, q := range []string{`SELECT $1, $2`, `SELECT '$1', $1 -- $2`, `UPDATE t SET a = $1 WHERE a < $1`, `/* $1`, `$`, `'`} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		out := positional(q)
		if out == q {
			return
		}
		if len(out) >= len(q) || strings.Count(out, "?") <= strings.Count(q, "?") {
			t.Fatalf("positional(%q) = %q: not a rewrite of $n as ?", q, out)
		}
		if again := positional(out); again != out {
			t.Fatalf("positional(%q) = %q, then %q", q, out, again)
		}
	})
}
