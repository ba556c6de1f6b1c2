package sqlbackend

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-oncall/vigil/internal/store"
)

// Backend is what a backend gives New: its connections and the few things
// it does its own way.
type Backend struct {
	Dialect Dialect
	// Read runs reads outside a transaction; Write runs single writes
	// outside one (each its own transaction).
	Read, Write Conn
	// InTx runs fn in one write transaction, committed when fn returns nil.
	InTx func(ctx context.Context, fn func(Conn) error) error
	// IsUniqueViolation reports whether an error is a unique constraint's.
	IsUniqueViolation func(error) bool
	// AuditLock, when not empty, runs in a transaction before its first
	// audit entry: a lock held until the commit, so that audit ids are
	// given out in commit order and paging by id never skips an entry that
	// committed late.
	AuditLock string
	// InboxLock, when not empty, is a query for one boolean that TakeInbox
	// runs first: true when the transaction may take events, a lock held
	// until it ends, so that one replica at a time takes them, in order.
	InboxLock string
	// InsertSLOPoints stores a batch's points and returns their ids, in
	// the order of the points.
	InsertSLOPoints func(ctx context.Context, c Conn, slo string, points []store.SLOPoint, receivedAt time.Time) ([]int64, error)
}

// DB is the part of a store.Store that both backends share: every
// statement but those a Backend runs itself. A backend embeds it.
type DB struct {
	b Backend
	d Dialect
}

// New returns the shared part of a store on b.
func New(b Backend) *DB { return &DB{b: b, d: b.Dialect} }

// ListObjects returns the objects of a kind, or of every kind for "",
// ordered by kind then id (byte order).
func (db *DB) ListObjects(ctx context.Context, kind string) ([]store.Object, error) {
	w := db.d.where().text("kind", kind)
	objects, err := queryAll(ctx, db.b.Read, scanObject, `SELECT kind, id, body, source, updated_at FROM config_objects`+w.sql()+` ORDER BY kind, id`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list objects: %w", err)
	}
	return objects, nil
}

// GetObject returns one object or store.ErrNotFound.
func (db *DB) GetObject(ctx context.Context, kind, id string) (store.Object, error) {
	o, err := scanObject(db.b.Read.QueryRow(ctx,
		`SELECT kind, id, body, source, updated_at FROM config_objects WHERE kind = $1 AND id = $2`, kind, id))
	return o, oneRow(err, "object %s %q", kind, id)
}

func scanObject(row Row) (store.Object, error) {
	var o store.Object
	// Into []byte, not json.RawMessage: pgx decodes a RawMessage through
	// encoding/json, which trims the whitespace around the document.
	var body []byte
	err := row.Scan(&o.Kind, &o.ID, &body, &o.Source, instant{&o.UpdatedAt})
	o.Body = body
	return o, err
}

// Statements that run once per object or entry, kept as constants so that
// a backend that caches prepared statements finds them again.
const (
	upsertObjectSQL = `
		INSERT INTO config_objects (kind, id, body, source, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (kind, id) DO UPDATE SET
			body = excluded.body, source = excluded.source, updated_at = excluded.updated_at`
	deleteObjectSQL = `DELETE FROM config_objects WHERE kind = $1 AND id = $2`
	insertAuditSQL  = `
		INSERT INTO audit_log (at, actor, action, kind, object_id, before, after, details)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
)

// ApplyChanges writes the changes and the audit entries in one transaction
// and bumps the configuration version. Deleting an object that does not
// exist is not an error. An empty batch writes nothing.
func (db *DB) ApplyChanges(ctx context.Context, changes []store.Change, audit []store.AuditEntry) error {
	if len(changes) == 0 && len(audit) == 0 {
		return nil
	}
	if err := errors.Join(CheckChanges(changes), CheckAudit(audit...)); err != nil {
		return fmt.Errorf("apply changes: %w", err)
	}
	err := db.b.InTx(ctx, func(c Conn) error { return db.applyChanges(ctx, c, changes, audit) })
	if err != nil {
		return fmt.Errorf("apply changes: %w", err)
	}
	return nil
}

// applyChanges writes checked changes and their audit entries on c, a
// write transaction, and bumps the configuration version.
func (db *DB) applyChanges(ctx context.Context, c Conn, changes []store.Change, audit []store.AuditEntry) error {
	// First, so that concurrent writers queue on this row lock before
	// touching any object.
	if _, err := c.Exec(ctx, `UPDATE config_version SET version = version + 1 WHERE id = 1`); err != nil {
		return fmt.Errorf("bump config version: %w", err)
	}
	stmts := make([]Stmt, len(changes))
	for i, ch := range changes {
		o := ch.Object
		if ch.Delete {
			stmts[i] = Stmt{deleteObjectSQL, []any{o.Kind, o.ID}}
		} else {
			stmts[i] = Stmt{upsertObjectSQL, []any{o.Kind, o.ID, string(o.Body), o.Source, UTC(o.UpdatedAt)}}
		}
	}
	if i, err := c.Batch(ctx, stmts, nil); err != nil {
		return fmt.Errorf("write %s %q: %w", changes[i].Object.Kind, changes[i].Object.ID, err)
	}
	return db.insertAudit(ctx, c, audit...)
}

func (db *DB) insertAudit(ctx context.Context, c Conn, entries ...store.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	if db.b.AuditLock != "" {
		if _, err := c.Exec(ctx, db.b.AuditLock); err != nil {
			return fmt.Errorf("lock audit log: %w", err)
		}
	}
	stmts := make([]Stmt, len(entries))
	for i, e := range entries {
		stmts[i] = Stmt{insertAuditSQL, []any{UTC(e.At), e.Actor, e.Action, e.Kind, e.ObjID, nullJSON(e.Before), nullJSON(e.After), e.Details}}
	}
	if i, err := c.Batch(ctx, stmts, nil); err != nil {
		return fmt.Errorf("write audit entry %s %s %q: %w", entries[i].Action, entries[i].Kind, entries[i].ObjID, err)
	}
	return nil
}

// ConfigVersion returns the number of configuration writes so far, shared
// by every process on the database.
func (db *DB) ConfigVersion(ctx context.Context) (int64, error) {
	var version int64
	if err := db.b.Read.QueryRow(ctx, `SELECT version FROM config_version WHERE id = 1`).Scan(&version); err != nil {
		return 0, fmt.Errorf("config version: %w", err)
	}
	return version, nil
}

// CreateToken stores a token and its audit entry; store.ErrConflict when
// the id or the hash is taken.
func (db *DB) CreateToken(ctx context.Context, t store.Token, audit store.AuditEntry) error {
	if err := errors.Join(CheckToken(t), CheckAudit(audit)); err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	err := db.b.InTx(ctx, func(c Conn) error {
		_, err := c.Exec(ctx, `
			INSERT INTO api_tokens (id, name, hash, user_id, role, created_at, revoked_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			t.ID, t.Name, t.Hash, nullString(t.UserID), t.Role, UTC(t.CreatedAt), nullTime(t.RevokedAt), nullTime(t.ExpiresAt))
		if db.b.IsUniqueViolation(err) {
			return fmt.Errorf("token %q: id or hash taken: %w", t.ID, store.ErrConflict)
		}
		if err != nil {
			return err
		}
		return db.insertAudit(ctx, c, audit)
	})
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	return nil
}

const tokenColumns = `id, name, hash, user_id, role, created_at, revoked_at, expires_at`

// TokenByHash returns the token with this hash, revoked or not, or
// store.ErrNotFound.
func (db *DB) TokenByHash(ctx context.Context, hash []byte) (store.Token, error) {
	t, err := scanToken(db.b.Read.QueryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE hash = $1`, hash))
	return t, oneRow(err, "token by hash")
}

// ListTokens returns every token, oldest first.
func (db *DB) ListTokens(ctx context.Context) ([]store.Token, error) {
	tokens, err := queryAll(ctx, db.b.Read, scanToken, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return tokens, nil
}

func scanToken(row Row) (store.Token, error) {
	var t store.Token
	var userID *string
	err := row.Scan(&t.ID, &t.Name, &t.Hash, &userID, &t.Role, instant{&t.CreatedAt}, nullInstant{&t.RevokedAt}, nullInstant{&t.ExpiresAt})
	if userID != nil {
		t.UserID = *userID
	}
	return t, err
}

// RevokeToken marks a token revoked at the given time and writes the audit
// entry; store.ErrNotFound when there is no such token. Revoking a revoked
// token keeps the first revocation time.
func (db *DB) RevokeToken(ctx context.Context, id string, at time.Time, audit store.AuditEntry) error {
	if err := CheckAudit(audit); err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	err := db.b.InTx(ctx, func(c Conn) error {
		n, err := c.Exec(ctx, `UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2`, UTC(at), id)
		if err := affectedOne(n, err, fmt.Sprintf("token %q", id)); err != nil {
			return err
		}
		return db.insertAudit(ctx, c, audit)
	})
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	return nil
}

// ListAudit pages through the audit log, newest first.
func (db *DB) ListAudit(ctx context.Context, q store.AuditQuery) ([]store.AuditEntry, error) {
	if err := CheckAuditQuery(q); err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	w := db.d.where().text("kind", q.Kind).text("object_id", q.ObjID).text("actor", q.Actor).time("at >=", q.From).time("at <", q.To).before(q.BeforeID)
	query := `SELECT id, at, actor, action, kind, object_id, before, after, details FROM audit_log` + w.page("id DESC", AuditLimit(q.Limit))
	entries, err := queryAll(ctx, db.b.Read, func(row Row) (store.AuditEntry, error) {
		var e store.AuditEntry
		var before, after []byte // not json.RawMessage: see scanObject
		err := row.Scan(&e.ID, instant{&e.At}, &e.Actor, &e.Action, &e.Kind, &e.ObjID, &before, &after, &e.Details)
		e.Before, e.After = before, after
		return e, err
	}, query, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	return entries, nil
}

// PasswordHash returns a user's encoded password hash, or
// store.ErrNotFound when the user has none.
func (db *DB) PasswordHash(ctx context.Context, userID string) (string, error) {
	if err := CheckText("user id", userID); err != nil {
		return "", fmt.Errorf("password hash: %w", err)
	}
	var hash string
	err := db.b.Read.QueryRow(ctx, `SELECT hash FROM user_passwords WHERE user_id = $1`, userID).Scan(&hash)
	return hash, oneRow(err, "password hash of %q", userID)
}

// SetPasswordHash creates or replaces a user's password hash and writes the
// audit entry in the same transaction.
func (db *DB) SetPasswordHash(ctx context.Context, userID, hash string, at time.Time, audit store.AuditEntry) error {
	if err := errors.Join(CheckPasswordHash(userID, hash), CheckAudit(audit)); err != nil {
		return fmt.Errorf("set password hash: %w", err)
	}
	err := db.b.InTx(ctx, func(c Conn) error {
		_, err := c.Exec(ctx, `INSERT INTO user_passwords (user_id, hash, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at`,
			userID, hash, UTC(at))
		if err != nil {
			return err
		}
		return db.insertAudit(ctx, c, audit)
	})
	if err != nil {
		return fmt.Errorf("set password hash of %q: %w", userID, err)
	}
	return nil
}

// Secret returns the named secret, storing generate's value first when
// there is none. When processes race, all return the value stored first.
func (db *DB) Secret(ctx context.Context, name string, generate func() ([]byte, error)) ([]byte, error) {
	if err := Required("secret name", name); err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	const read = `SELECT value FROM secrets WHERE name = $1`
	var value []byte
	err := db.b.Read.QueryRow(ctx, read, name).Scan(&value)
	if err == nil {
		return value, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("secret %q: %w", name, err)
	}
	fresh, err := generate()
	if err != nil {
		return nil, fmt.Errorf("secret %q: generate: %w", name, err)
	}
	if len(fresh) == 0 {
		return nil, fmt.Errorf("secret %q: generated an empty value", name)
	}
	// Two statements: the INSERT waits for a racing process's insert to
	// commit, and only a statement started after that sees its row.
	if _, err := db.b.Write.Exec(ctx, `INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, fresh); err != nil {
		return nil, fmt.Errorf("secret %q: %w", name, err)
	}
	if err := db.b.Read.QueryRow(ctx, read, name).Scan(&value); err != nil {
		return nil, fmt.Errorf("secret %q: %w", name, err)
	}
	return value, nil
}
