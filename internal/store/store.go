// Package store defines the persistence interface Vigil's domain needs. The
// backends (sqlite, postgres) live in their own packages and pass the same
// conformance suite (storetest).
package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a write would violate uniqueness or an
// optimistic-concurrency check.
var ErrConflict = errors.New("conflict")

// Object kinds of the configuration.
const (
	KindOrg              = "org"
	KindUser             = "user"
	KindTeam             = "team"
	KindSchedule         = "schedule"
	KindEscalationPolicy = "escalation_policy"
	KindService          = "service"
)

// Sources of a configuration object: written by `vigil apply` / `serve
// --config`, or through the REST API. Apply owns (and may delete) only the
// objects whose source is SourceConfig.
const (
	SourceConfig = "config"
	SourceAPI    = "api"
)

// Object is one configuration object kept as a JSON document. The
// configuration is small (thousands of objects) and read as a whole into an
// in-memory snapshot, so documents keep the schema simple and the shapes
// identical to the API's.
type Object struct {
	Kind      string          `json:"kind"`
	ID        string          `json:"id"`
	Body      json.RawMessage `json:"body"`
	Source    string          `json:"source"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// Change is one write in an atomic batch: Delete removes Kind/ID, otherwise
// the object is created or replaced.
type Change struct {
	Object Object
	Delete bool
}

// Token is an API bearer token. Only its SHA-256 hash is stored.
type Token struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Hash      []byte     `json:"-"`
	UserID    string     `json:"user_id,omitempty"` // empty for tokens not bound to a user
	Role      string     `json:"role"`              // "admin", "user" (rights from the user's teams), "viewer"
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	// ExpiresAt ends a token's life without revoking it (login sessions);
	// nil for tokens that live until revoked.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// AuditEntry records one write: who did what, with the state before and after.
type AuditEntry struct {
	ID      int64           `json:"id"`
	At      time.Time       `json:"at"`
	Actor   string          `json:"actor"`  // token id or "config" / "system"
	Action  string          `json:"action"` // e.g. "service.update"
	Kind    string          `json:"kind"`
	ObjID   string          `json:"object_id"`
	Before  json.RawMessage `json:"before,omitempty"`
	After   json.RawMessage `json:"after,omitempty"`
	Details string          `json:"details,omitempty"`
}

// AuditQuery pages through the audit log, newest first. BeforeID is the
// cursor: only entries with a smaller ID are returned (0: from the newest).
type AuditQuery struct {
	Kind  string
	ObjID string
	Actor string // e.g. "user:alice"; "" for every actor
	// From and To bound when the entries were written, [From, To); zero
	// bounds do not filter.
	From, To time.Time
	BeforeID int64
	Limit    int
}

// Store is what the rest of Vigil needs from a database.
type Store interface {
	// Migrate applies every pending schema migration, forward only.
	Migrate(ctx context.Context) error
	// SchemaVersion reports the newest applied migration.
	SchemaVersion(ctx context.Context) (int, error)
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	Close() error

	// ListObjects returns every configuration object of a kind, or of every
	// kind when kind is "", ordered by kind then id.
	ListObjects(ctx context.Context, kind string) ([]Object, error)
	// GetObject returns one object or ErrNotFound.
	GetObject(ctx context.Context, kind, id string) (Object, error)
	// ApplyChanges writes the changes and the audit entries in one
	// transaction and bumps the configuration version; all or nothing.
	ApplyChanges(ctx context.Context, changes []Change, audit []AuditEntry) error
	// ConfigVersion increases with every ApplyChanges, so that replicas
	// sharing a database notice each other's writes.
	ConfigVersion(ctx context.Context) (int64, error)

	CreateToken(ctx context.Context, t Token, audit AuditEntry) error
	// TokenByHash returns the token with this hash, revoked or not, or ErrNotFound.
	TokenByHash(ctx context.Context, hash []byte) (Token, error)
	ListTokens(ctx context.Context) ([]Token, error)
	// RevokeToken marks a token revoked; ErrNotFound when it does not exist.
	RevokeToken(ctx context.Context, id string, at time.Time, audit AuditEntry) error

	ListAudit(ctx context.Context, q AuditQuery) ([]AuditEntry, error)

	// PasswordHash returns a user's encoded password hash, or ErrNotFound
	// when the user has none. Passwords are kept here, never in the
	// configuration, which is exported and versioned as code.
	PasswordHash(ctx context.Context, userID string) (string, error)
	// SetPasswordHash creates or replaces a user's password hash and
	// writes the audit entry, in one transaction.
	SetPasswordHash(ctx context.Context, userID, hash string, at time.Time, audit AuditEntry) error

	Pipeline
	SLOStore
	Reports
	Postmortems
	CoverRequests
}
