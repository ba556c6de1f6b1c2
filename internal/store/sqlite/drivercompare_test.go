//go:build drivercompare

// The driver comparison that chose modernc.org/sqlite. It needs cgo for
// github.com/mattn/go-sqlite3, so it only builds with the drivercompare tag:
//
//	go test -tags drivercompare -run '^$' -bench 'Driver' -count 5 ./internal/store/sqlite/
package sqlite

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3" // registers "sqlite3"
)

// Both drivers understand the same DSN keys; modernc.org/sqlite is
// registered as "sqlite" by the production code of this package.
var comparedDrivers = []string{"sqlite", "sqlite3"}

const compareDSNParams = "?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=5000&_foreign_keys=on&_txlock=immediate"

func openCompareDB(b *testing.B, driver string) *sql.DB {
	b.Helper()
	path := filepath.Join(b.TempDir(), "compare.db")
	db, err := sql.Open(driver, "file:"+path+compareDSNParams)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	var mode, sync string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		b.Fatal(err)
	}
	if err := db.QueryRow("PRAGMA synchronous").Scan(&sync); err != nil {
		b.Fatal(err)
	}
	if mode != "wal" || sync != "2" {
		b.Fatalf("%s: journal_mode=%s synchronous=%s, want wal and 2 (FULL)", driver, mode, sync)
	}
	if _, err := db.Exec(`CREATE TABLE events (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	return db
}

// compareBody is about the size of a normalised alert event.
var compareBody = `{"summary":"` + strings.Repeat("x", 200) + `"}`

func insertRows(db *sql.DB, rows int) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.Prepare(`INSERT INTO events (body) VALUES (?)`)
	if err != nil {
		return err
	}
	for range rows {
		if _, err := stmt.Exec(compareBody); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func benchmarkDriverInserts(b *testing.B, rowsPerTx int) {
	for _, driver := range comparedDrivers {
		b.Run(driver, func(b *testing.B) {
			db := openCompareDB(b, driver)
			for b.Loop() {
				if err := insertRows(db, rowsPerTx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*rowsPerTx)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkDriverInsertSingle: one durable transaction per row.
func BenchmarkDriverInsertSingle(b *testing.B) { benchmarkDriverInserts(b, 1) }

// BenchmarkDriverInsertBatch100: 100 rows per durable transaction.
func BenchmarkDriverInsertBatch100(b *testing.B) { benchmarkDriverInserts(b, 100) }
