// Package postgres is the store backend for several Vigil replicas sharing
// one PostgreSQL database, through pgx.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/internal/sqlbackend"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is a store.Store on a PostgreSQL database.
type Store struct {
	pool       *pgxpool.Pool
	migrations []sqlbackend.Migration

	// Advisory lock keys, derived from the schema so that Vigil
	// installations in different schemas of one database do not wait on
	// each other.
	//
	// migrationLock is held while migrating, so that replicas starting
	// together apply each migration once.
	migrationLock int64
	// auditLock is held from a transaction's first audit insert to its
	// commit, so that audit ids are given out in commit order and paging by
	// id never skips an entry that committed late.
	auditLock int64
	// inboxLock is held by the transaction taking events from the inbox,
	// so that one replica at a time processes them, in order.
	inboxLock int64
}

var _ store.Store = (*Store)(nil)

// Open connects to the database a postgres:// URL (or key=value string)
// names. It does not migrate: call Migrate.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The parse error can quote the DSN, password included.
		return nil, errors.New("open postgres: cannot parse the connection string")
	}
	return OpenConfig(ctx, cfg)
}

// OpenConfig connects with a prepared pool configuration, for callers that
// set connection parameters (such as search_path) in code.
func OpenConfig(ctx context.Context, cfg *pgxpool.Config) (*Store, error) {
	migrations, err := sqlbackend.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	var schema *string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if schema == nil {
		pool.Close()
		return nil, errors.New("open postgres: no schema to work in: check search_path")
	}
	return &Store{
		pool:          pool,
		migrations:    migrations,
		migrationLock: lockKey("migrate", *schema),
		auditLock:     lockKey("audit", *schema),
		inboxLock:     lockKey("inbox", *schema),
	}, nil
}

func lockKey(purpose, schema string) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "vigil\x00%s\x00%s", purpose, schema)
	return int64(h.Sum64())
}

// Close closes the connection pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres: %w", err)
	}
	return nil
}

// Migrate applies every pending migration, each in its own transaction,
// holding an advisory lock so that replicas starting at once take turns.
func (s *Store) Migrate(ctx context.Context) error {
	return s.migrateTo(ctx, len(s.migrations))
}

// migrateTo applies the migrations up to version target; tests use it to
// build a database at an older version.
func (s *Store) migrateTo(ctx context.Context, target int) (err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	// The lock belongs to the session, so it is taken and released on this
	// one connection.
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, s.migrationLock); err != nil {
		return fmt.Errorf("migrate: take lock: %w", err)
	}
	defer func() {
		_, unlockErr := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, s.migrationLock)
		if unlockErr != nil {
			// A pooled connection must not keep holding the lock.
			conn.Conn().Close(context.WithoutCancel(ctx))
			err = errors.Join(err, fmt.Errorf("migrate: release lock: %w", unlockErr))
		}
	}()

	const createTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`
	if _, err := conn.Exec(ctx, createTable); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var applied int
	if err := conn.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&applied); err != nil {
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
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, m.Version)
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate %s: %w", m.Name, err)
		}
	}
	return nil
}

// SchemaVersion reports the newest applied migration, 0 for a new database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var version int
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return version, nil
}

// ListObjects returns the objects of a kind, or of every kind for "",
// ordered by kind then id (byte order).
func (s *Store) ListObjects(ctx context.Context, kind string) ([]store.Object, error) {
	var w where
	if kind != "" {
		w.add("kind = " + w.arg(kind))
	}
	rows, err := s.pool.Query(ctx, `SELECT kind, id, body, source, updated_at FROM config_objects`+w.sql()+` ORDER BY kind, id`, w.args...)
	objects, err := collect(rows, err, func(row pgx.CollectableRow) (store.Object, error) { return scanObject(row) })
	if err != nil {
		return nil, fmt.Errorf("list objects: %w", err)
	}
	return objects, nil
}

// GetObject returns one object or store.ErrNotFound.
func (s *Store) GetObject(ctx context.Context, kind, id string) (store.Object, error) {
	row := s.pool.QueryRow(ctx,
		`SELECT kind, id, body, source, updated_at FROM config_objects WHERE kind = $1 AND id = $2`, kind, id)
	o, err := scanObject(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Object{}, fmt.Errorf("object %s %q: %w", kind, id, store.ErrNotFound)
	}
	if err != nil {
		return store.Object{}, fmt.Errorf("get object %s %q: %w", kind, id, err)
	}
	return o, nil
}

func scanObject(row pgx.Row) (store.Object, error) {
	var o store.Object
	// Into []byte, not json.RawMessage: pgx decodes a RawMessage through
	// encoding/json, which trims the whitespace around the document.
	var body []byte
	if err := row.Scan(&o.Kind, &o.ID, &body, &o.Source, &o.UpdatedAt); err != nil {
		return store.Object{}, err
	}
	o.Body = body
	o.UpdatedAt = o.UpdatedAt.UTC()
	return o, nil
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
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// First, so that concurrent writers queue on this row lock before
		// touching any object.
		if _, err := tx.Exec(ctx, `UPDATE config_version SET version = version + 1 WHERE id = 1`); err != nil {
			return fmt.Errorf("bump config version: %w", err)
		}
		var batch pgx.Batch
		for _, c := range changes {
			o := c.Object
			if c.Delete {
				batch.Queue(`DELETE FROM config_objects WHERE kind = $1 AND id = $2`, o.Kind, o.ID)
				continue
			}
			batch.Queue(`
				INSERT INTO config_objects (kind, id, body, source, updated_at) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (kind, id) DO UPDATE SET
					body = excluded.body, source = excluded.source, updated_at = excluded.updated_at`,
				o.Kind, o.ID, string(o.Body), o.Source, sqlbackend.UTC(o.UpdatedAt))
		}
		if err := runBatch(ctx, tx, &batch, func(i int) string {
			return fmt.Sprintf("write %s %q", changes[i].Object.Kind, changes[i].Object.ID)
		}); err != nil {
			return err
		}
		return s.insertAudit(ctx, tx, audit...)
	})
	if err != nil {
		return fmt.Errorf("apply changes: %w", err)
	}
	return nil
}

// runBatch sends the queued statements in one round trip and reports the
// first failure, described by describe(index).
func runBatch(ctx context.Context, tx pgx.Tx, batch *pgx.Batch, describe func(int) string) error {
	if batch.Len() == 0 {
		return nil
	}
	results := tx.SendBatch(ctx, batch)
	for i := range batch.Len() {
		if _, err := results.Exec(); err != nil {
			return errors.Join(fmt.Errorf("%s: %w", describe(i), err), results.Close())
		}
	}
	return results.Close()
}

func (s *Store) insertAudit(ctx context.Context, tx pgx.Tx, entries ...store.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, s.auditLock); err != nil {
		return fmt.Errorf("lock audit log: %w", err)
	}
	var batch pgx.Batch
	for _, e := range entries {
		batch.Queue(`
			INSERT INTO audit_log (at, actor, action, kind, object_id, before, after, details)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			sqlbackend.UTC(e.At), e.Actor, e.Action, e.Kind, e.ObjID, nullJSON(e.Before), nullJSON(e.After), e.Details)
	}
	return runBatch(ctx, tx, &batch, func(i int) string {
		return fmt.Sprintf("write audit entry %s %s %q", entries[i].Action, entries[i].Kind, entries[i].ObjID)
	})
}

// ConfigVersion returns the number of configuration writes so far, shared
// by every replica on the database.
func (s *Store) ConfigVersion(ctx context.Context) (int64, error) {
	var version int64
	if err := s.pool.QueryRow(ctx, `SELECT version FROM config_version WHERE id = 1`).Scan(&version); err != nil {
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
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `
			INSERT INTO api_tokens (id, name, hash, user_id, role, created_at, revoked_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			t.ID, t.Name, t.Hash, nullString(t.UserID), t.Role, sqlbackend.UTC(t.CreatedAt), nullTime(t.RevokedAt), nullTime(t.ExpiresAt))
		if isUniqueViolation(err) {
			return fmt.Errorf("token %q: id or hash taken: %w", t.ID, store.ErrConflict)
		}
		if err != nil {
			return err
		}
		return s.insertAudit(ctx, tx, audit)
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
	row := s.pool.QueryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE hash = $1`, hash)
	t, err := scanToken(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Token{}, fmt.Errorf("token by hash: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.Token{}, fmt.Errorf("token by hash: %w", err)
	}
	return t, nil
}

// ListTokens returns every token, oldest first.
func (s *Store) ListTokens(ctx context.Context) ([]store.Token, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	tokens, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Token, error) { return scanToken(row) })
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return tokens, nil
}

func scanToken(row pgx.Row) (store.Token, error) {
	var t store.Token
	var userID *string
	if err := row.Scan(&t.ID, &t.Name, &t.Hash, &userID, &t.Role, &t.CreatedAt, &t.RevokedAt, &t.ExpiresAt); err != nil {
		return store.Token{}, err
	}
	if userID != nil {
		t.UserID = *userID
	}
	t.CreatedAt = t.CreatedAt.UTC()
	if t.RevokedAt != nil {
		revokedAt := t.RevokedAt.UTC()
		t.RevokedAt = &revokedAt
	}
	if t.ExpiresAt != nil {
		expiresAt := t.ExpiresAt.UTC()
		t.ExpiresAt = &expiresAt
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
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx,
			`UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2`, sqlbackend.UTC(at), id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("token %q: %w", id, store.ErrNotFound)
		}
		return s.insertAudit(ctx, tx, audit)
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
		w.add("kind = " + w.arg(q.Kind))
	}
	if q.ObjID != "" {
		w.add("object_id = " + w.arg(q.ObjID))
	}
	if q.Actor != "" {
		w.add("actor = " + w.arg(q.Actor))
	}
	if q.BeforeID > 0 {
		w.add("id < " + w.arg(q.BeforeID))
	}
	query := `SELECT id, at, actor, action, kind, object_id, before, after, details FROM audit_log` + w.sql() +
		` ORDER BY id DESC LIMIT ` + w.arg(sqlbackend.AuditLimit(q.Limit))
	rows, err := s.pool.Query(ctx, query, w.args...)
	entries, err := collect(rows, err, func(row pgx.CollectableRow) (store.AuditEntry, error) {
		var e store.AuditEntry
		var before, after []byte // not json.RawMessage: see scanObject
		err := row.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Kind, &e.ObjID, &before, &after, &e.Details)
		e.At, e.Before, e.After = e.At.UTC(), before, after
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	return entries, nil
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return sqlbackend.UTC(*t)
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
