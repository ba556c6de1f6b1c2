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
	"embed"
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

// timeLayout stores instants as fixed-width UTC text, which sorts in time
// order and keeps the microseconds PostgreSQL keeps.
const timeLayout = "2006-01-02T15:04:05.000000Z"

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is a store.Store on an SQLite database file.
type Store struct {
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
	migrations, err := sqlbackend.LoadMigrations(migrationFiles, "migrations")
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
		return s, nil
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
	return s, nil
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
	return s.migrateTo(ctx, len(s.migrations))
}

// migrateTo applies the migrations up to version target; tests use it to
// build a database at an older version.
func (s *Store) migrateTo(ctx context.Context, target int) error {
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
	pending, err := sqlbackend.Pending(s.migrations, applied)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, m := range pending {
		if m.Version > target {
			break
		}
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

// ListObjects returns the objects of a kind, or of every kind for "",
// ordered by kind then id (byte order).
func (s *Store) ListObjects(ctx context.Context, kind string) ([]store.Object, error) {
	var w where
	if kind != "" {
		w.add("kind = ?", kind)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT kind, id, body, source, updated_at FROM config_objects`+w.sql()+` ORDER BY kind, id`, w.args...)
	objects, err := collect(rows, err, scanObject)
	if err != nil {
		return nil, fmt.Errorf("list objects: %w", err)
	}
	return objects, nil
}

// GetObject returns one object or store.ErrNotFound.
func (s *Store) GetObject(ctx context.Context, kind, id string) (store.Object, error) {
	row := s.read.QueryRowContext(ctx,
		`SELECT kind, id, body, source, updated_at FROM config_objects WHERE kind = ? AND id = ?`, kind, id)
	o, err := scanObject(row)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Object{}, fmt.Errorf("object %s %q: %w", kind, id, store.ErrNotFound)
	}
	if err != nil {
		return store.Object{}, fmt.Errorf("get object %s %q: %w", kind, id, err)
	}
	return o, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanObject(row scanner) (store.Object, error) {
	var o store.Object
	var body, updatedAt string
	if err := row.Scan(&o.Kind, &o.ID, &body, &o.Source, &updatedAt); err != nil {
		return store.Object{}, err
	}
	o.Body = []byte(body)
	var err error
	o.UpdatedAt, err = parseTime(updatedAt)
	return o, err
}

// ApplyChanges writes the changes and the audit entries in one transaction
// and bumps the configuration version. Deleting an object that does not
// exist is not an error. An empty batch writes nothing.
func (s *Store) ApplyChanges(ctx context.Context, changes []store.Change, audit []store.AuditEntry) error {
	if len(changes) == 0 && len(audit) == 0 {
		return nil
	}
	if err := errors.Join(sqlbackend.CheckChanges(changes), sqlbackend.CheckAudit(audit...)); err != nil {
		return fmt.Errorf("apply changes: %w", err)
	}
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE config_version SET version = version + 1 WHERE id = 1`); err != nil {
			return fmt.Errorf("bump config version: %w", err)
		}
		if err := writeChanges(ctx, tx, changes); err != nil {
			return err
		}
		return insertAudit(ctx, tx, audit...)
	})
	if err != nil {
		return fmt.Errorf("apply changes: %w", err)
	}
	return nil
}

const (
	upsertObjectSQL = `
		INSERT INTO config_objects (kind, id, body, source, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (kind, id) DO UPDATE SET
			body = excluded.body, source = excluded.source, updated_at = excluded.updated_at`
	deleteObjectSQL = `DELETE FROM config_objects WHERE kind = ? AND id = ?`
	insertAuditSQL  = `
		INSERT INTO audit_log (at, actor, action, kind, object_id, before, after, details)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
)

// writeChanges and insertAudit run their statements as they are: each
// connection keeps them prepared (stmtcache.go), across transactions too.
func writeChanges(ctx context.Context, tx *sql.Tx, changes []store.Change) error {
	for _, c := range changes {
		o := c.Object
		if c.Delete {
			if _, err := tx.ExecContext(ctx, deleteObjectSQL, o.Kind, o.ID); err != nil {
				return fmt.Errorf("delete %s %q: %w", o.Kind, o.ID, err)
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, upsertObjectSQL, o.Kind, o.ID, string(o.Body), o.Source, timeText(o.UpdatedAt)); err != nil {
			return fmt.Errorf("write %s %q: %w", o.Kind, o.ID, err)
		}
	}
	return nil
}

func insertAudit(ctx context.Context, tx *sql.Tx, entries ...store.AuditEntry) error {
	for _, e := range entries {
		_, err := tx.ExecContext(ctx, insertAuditSQL,
			timeText(e.At), e.Actor, e.Action, e.Kind, e.ObjID, nullJSON(e.Before), nullJSON(e.After), e.Details)
		if err != nil {
			return fmt.Errorf("write audit entry %s %s %q: %w", e.Action, e.Kind, e.ObjID, err)
		}
	}
	return nil
}

// ConfigVersion returns the number of configuration writes so far.
func (s *Store) ConfigVersion(ctx context.Context) (int64, error) {
	var version int64
	if err := s.read.QueryRowContext(ctx, `SELECT version FROM config_version WHERE id = 1`).Scan(&version); err != nil {
		return 0, fmt.Errorf("config version: %w", err)
	}
	return version, nil
}

// CreateToken stores a token and its audit entry; store.ErrConflict when
// the id or the hash is taken.
func (s *Store) CreateToken(ctx context.Context, t store.Token, audit store.AuditEntry) error {
	if err := errors.Join(sqlbackend.CheckToken(t), sqlbackend.CheckAudit(audit)); err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO api_tokens (id, name, hash, user_id, role, created_at, revoked_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			t.ID, t.Name, t.Hash, nullString(t.UserID), t.Role, timeText(t.CreatedAt), nullTime(t.RevokedAt), nullTime(t.ExpiresAt))
		if isUniqueViolation(err) {
			return fmt.Errorf("token %q: id or hash taken: %w", t.ID, store.ErrConflict)
		}
		if err != nil {
			return err
		}
		return insertAudit(ctx, tx, audit)
	})
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	return nil
}

const tokenColumns = `id, name, hash, user_id, role, created_at, revoked_at, expires_at`

// TokenByHash returns the token with this hash, revoked or not, or
// store.ErrNotFound.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (store.Token, error) {
	row := s.read.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE hash = ?`, hash)
	t, err := scanToken(row)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Token{}, fmt.Errorf("token by hash: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.Token{}, fmt.Errorf("token by hash: %w", err)
	}
	return t, nil
}

// ListTokens returns every token, oldest first.
func (s *Store) ListTokens(ctx context.Context) ([]store.Token, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY created_at, id`)
	tokens, err := collect(rows, err, scanToken)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return tokens, nil
}

func scanToken(row scanner) (store.Token, error) {
	var t store.Token
	var userID, revokedAt, expiresAt sql.NullString
	var createdAt string
	if err := row.Scan(&t.ID, &t.Name, &t.Hash, &userID, &t.Role, &createdAt, &revokedAt, &expiresAt); err != nil {
		return store.Token{}, err
	}
	t.UserID = userID.String
	var err error
	if t.CreatedAt, err = parseTime(createdAt); err != nil {
		return store.Token{}, err
	}
	if revokedAt.Valid {
		at, err := parseTime(revokedAt.String)
		if err != nil {
			return store.Token{}, err
		}
		t.RevokedAt = &at
	}
	if expiresAt.Valid {
		at, err := parseTime(expiresAt.String)
		if err != nil {
			return store.Token{}, err
		}
		t.ExpiresAt = &at
	}
	return t, nil
}

// RevokeToken marks a token revoked at the given time and writes the audit
// entry; store.ErrNotFound when there is no such token. Revoking a revoked
// token keeps the first revocation time.
func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time, audit store.AuditEntry) error {
	if err := sqlbackend.CheckAudit(audit); err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?`, timeText(at), id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("token %q: %w", id, store.ErrNotFound)
		}
		return insertAudit(ctx, tx, audit)
	})
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	return nil
}

// ListAudit pages through the audit log, newest first.
func (s *Store) ListAudit(ctx context.Context, q store.AuditQuery) ([]store.AuditEntry, error) {
	if err := sqlbackend.CheckAuditQuery(q); err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	var w where
	if q.Kind != "" {
		w.add("kind = ?", q.Kind)
	}
	if q.ObjID != "" {
		w.add("object_id = ?", q.ObjID)
	}
	if q.Actor != "" {
		w.add("actor = ?", q.Actor)
	}
	if q.BeforeID > 0 {
		w.add("id < ?", q.BeforeID)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT id, at, actor, action, kind, object_id, before, after, details FROM audit_log`+
		w.sql()+` ORDER BY id DESC LIMIT ?`, append(w.args, sqlbackend.AuditLimit(q.Limit))...)
	entries, err := collect(rows, err, func(row scanner) (store.AuditEntry, error) {
		var e store.AuditEntry
		var at string
		var before, after sql.NullString
		if err := row.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Kind, &e.ObjID, &before, &after, &e.Details); err != nil {
			return e, err
		}
		if before.Valid {
			e.Before = []byte(before.String)
		}
		if after.Valid {
			e.After = []byte(after.String)
		}
		var err error
		e.At, err = parseTime(at)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	return entries, nil
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

func timeText(t time.Time) string {
	return sqlbackend.UTC(t).Format(timeLayout)
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t, nil
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return timeText(*t)
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullJSON(doc []byte) any {
	if len(doc) == 0 {
		return nil
	}
	return string(doc)
}
