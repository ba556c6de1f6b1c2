// Package sqlite is the embedded store backend, Vigil's default. It uses the
// pure-Go modernc.org/sqlite driver so that Vigil builds without a C
// compiler (drivercompare_test.go holds the measurements behind that choice).
//
// The database runs in WAL mode with synchronous=FULL, so a write that
// returned survives a power loss. SQLite allows one writer at a time: all
// writes go through a pool of exactly one connection, which queues writers
// in Go instead of letting them collide on the file lock, while reads use a
// separate pool of read-only connections.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/internal/sqlbackend"
)

// MemoryPath opens a private in-memory database, for tests. It lives as
// long as the Store and is served by a single connection.
const MemoryPath = ":memory:"

// busyTimeout is how long a connection waits for another process holding
// the database lock (say, a second vigil on the same file) before failing.
const busyTimeout = 5 * time.Second

// Store is a store.Store on an SQLite database file.
type Store struct {
	*sqlbackend.DB
	write      *sql.DB
	read       *sql.DB
	migrations []sqlbackend.Migration
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path, or a private
// in-memory database for MemoryPath. It does not migrate: call Migrate.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("open sqlite: empty path")
	}
	migrations, err := sqlbackend.Migrations(sqlbackend.SQLite)
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	s := &Store{migrations: migrations}
	if path == MemoryPath {
		// Every connection to ":memory:" is a database of its own, so the
		// reads have to share the one write connection.
		s.write, err = openPool(ctx, "file::memory:?"+commonParams()+"&_txlock=immediate", 1)
		if err != nil {
			return nil, err
		}
		s.read = s.write
		return s.withDB(), nil
	}

	uri := fileURI(path)
	s.write, err = openPool(ctx, uri+"?"+commonParams()+"&_journal_mode=WAL&_txlock=immediate", 1)
	if err != nil {
		return nil, err
	}
	if err := checkDurability(ctx, s.write); err != nil {
		s.write.Close()
		return nil, err
	}
	s.read, err = openPool(ctx, uri+"?"+commonParams()+"&_query_only=on", max(4, runtime.GOMAXPROCS(0)))
	if err != nil {
		s.write.Close()
		return nil, err
	}
	return s.withDB(), nil
}

// withDB sets up the statements shared with PostgreSQL on the pools.
func (s *Store) withDB() *Store {
	s.DB = sqlbackend.New(sqlbackend.Backend{
		Dialect: sqlbackend.SQLite,
		Read:    conn{s.read},
		Write:   conn{s.write},
		InTx: func(ctx context.Context, fn func(sqlbackend.Conn) error) error {
			return s.inWriteTx(ctx, func(tx *sql.Tx) error { return fn(conn{tx}) })
		},
		IsUniqueViolation: isUniqueViolation,
		InsertSLOPoints:   insertSLOPoints,
	})
	return s
}

func commonParams() string {
	return fmt.Sprintf("_synchronous=FULL&_foreign_keys=on&_busy_timeout=%d", busyTimeout.Milliseconds())
}

// fileURI turns a path into an SQLite URI, escaping what the URI syntax
// would otherwise read as a query, fragment or escape.
func fileURI(path string) string {
	escaped := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	if strings.HasPrefix(path, "/") {
		// "file:" followed by "//" would make the start of the path an authority.
		return "file://" + escaped
	}
	return "file:" + escaped
}

func openPool(ctx context.Context, dsn string, conns int) (*sql.DB, error) {
	connector, err := newCachingConnector(dsn)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	// An idle connection is never closed: for an in-memory database, closing
	// the last one would drop the data.
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	return db, nil
}

// checkDurability fails instead of silently running without WAL, which
// SQLite does on file systems that cannot share memory between processes.
func checkDurability(ctx context.Context, db *sql.DB) error {
	var mode string
	var sync int
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("open sqlite: read journal_mode: %w", err)
	}
	if err := db.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		return fmt.Errorf("open sqlite: read synchronous: %w", err)
	}
	if mode != "wal" || sync != 2 {
		return fmt.Errorf("open sqlite: journal_mode=%s synchronous=%d, want wal and 2 (FULL)", mode, sync)
	}
	return nil
}

// Close closes both pools.
func (s *Store) Close() error {
	if s.read == s.write {
		return s.write.Close()
	}
	return errors.Join(s.read.Close(), s.write.Close())
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.read.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite: %w", err)
	}
	return nil
}

// Migrate applies every pending migration, each in its own transaction.
func (s *Store) Migrate(ctx context.Context) error {
	return s.migrate(ctx, s.migrations)
}

// migrate applies the pending migrations of a list; tests give it other
// lists (older ones, or fewer) to build a database as older versions did.
func (s *Store) migrate(ctx context.Context, migrations []sqlbackend.Migration) error {
	const createTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
	)`
	if _, err := s.write.ExecContext(ctx, createTable); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	applied, err := s.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	pending, err := sqlbackend.Pending(migrations, applied)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, m := range pending {
		if err := s.applyMigration(ctx, m); err != nil {
			return fmt.Errorf("migrate %s: %w", m.Name, err)
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, m sqlbackend.Migration) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// Another process may have migrated since the version was read; the
	// write lock taken by the transaction makes this read the final word.
	var applied int
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&applied); err != nil {
		return err
	}
	if applied >= m.Version {
		return nil
	}
	if applied != m.Version-1 {
		return fmt.Errorf("database is at version %d, cannot apply version %d", applied, m.Version)
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES (?)`, m.Version); err != nil {
		return err
	}
	return tx.Commit()
}

// SchemaVersion reports the newest applied migration, 0 for a new database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var tables int
	err := s.read.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&tables)
	if err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	if tables == 0 {
		return 0, nil
	}
	var version int
	if err := s.read.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return version, nil
}

// inWriteTx runs fn in a transaction on the write connection, which
// begins IMMEDIATE so that the write lock is held from the start.
func (s *Store) inWriteTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return errors.Join(err, rollback(tx))
	}
	return tx.Commit()
}

func rollback(tx *sql.Tx) error {
	if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("rollback: %w", err)
	}
	return nil
}

func isUniqueViolation(err error) bool {
	var sqliteErr *sqlite.Error
	if !errors.As(err, &sqliteErr) {
		return false
	}
	code := sqliteErr.Code()
	return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// AppendInbox stores the events in one transaction and sets their IDs, in
// the order given.
func (s *Store) AppendInbox(ctx context.Context, events []store.InboxEvent) error {
	if len(events) == 0 {
		return nil
	}
	if err := sqlbackend.CheckInbox(events); err != nil {
		return fmt.Errorf("append inbox: %w", err)
	}
	var ids []int64
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		var err error
		ids, err = conn{tx}.insertRows(ctx, `INSERT INTO inbox (received_at, kind, integration_key, service, payload, lane, alert_key)`, 7, len(events),
			func(args []any, i int) []any {
				e := events[i]
				return append(args, timeText(e.ReceivedAt), e.Kind, e.IntegrationKey, e.Service, string(e.Payload), e.Lane, sqlbackend.AlertKey(e))
			})
		return err
	})
	if err != nil {
		return fmt.Errorf("append inbox: %w", err)
	}
	for i := range events {
		events[i].ID = ids[i]
	}
	return nil
}

// insertSLOPoints stores a batch of points with multi-row inserts: a
// statement per point costs five times as much.
func insertSLOPoints(ctx context.Context, c sqlbackend.Conn, slo string, points []store.SLOPoint, receivedAt time.Time) ([]int64, error) {
	received := timeText(receivedAt)
	return c.(conn).insertRows(ctx, `INSERT INTO slo_points (slo, at, good, total, received_at)`, 5, len(points),
		func(args []any, i int) []any {
			return append(args, slo, timeText(points[i].At), points[i].Good, points[i].Total, received)
		})
}

// Update runs fn in a transaction on the write connection (BEGIN
// IMMEDIATE), committed when fn returns nil. An error from fn is returned
// as it is, after the rollback. fn must not read through the Store's own
// methods: on an in-memory database they wait for the connection fn holds.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin update: %w", err)
	}
	finished := false
	defer func() {
		if !finished {
			// fn panicked: free the write connection for the next writer.
			_ = tx.Rollback()
		}
	}()
	err = s.Run(ctx, conn{tx}, fn)
	finished = true
	if err != nil {
		if rbErr := rollback(tx); rbErr != nil {
			return errors.Join(err, rbErr)
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit update: %w", err)
	}
	return nil
}
