package store

import (
	"context"

	"github.com/vigil-oncall/vigil/internal/cover"
)

// CoverRequestQuery selects cover requests, newest first. Empty fields do
// not filter; BeforeID pages.
type CoverRequestQuery struct {
	Schedule string
	// User keeps the requests a user made or accepted.
	User string
	// Statuses are stored statuses (open, accepted, cancelled): an open
	// request whose span ended is still stored as open.
	Statuses []string
	BeforeID int64
	Limit    int
}

// CoverRequests reads cover requests; writes go through a Tx.
type CoverRequests interface {
	// GetCoverRequest returns one request, or ErrNotFound.
	GetCoverRequest(ctx context.Context, id int64) (cover.Request, error)
	ListCoverRequests(ctx context.Context, q CoverRequestQuery) ([]cover.Request, error)
}

// CoverTx is what a write transaction does to cover requests.
type CoverTx interface {
	// InsertCoverRequest stores a new request and sets its ID.
	InsertCoverRequest(r *cover.Request) error
	// UpdateCoverRequest writes r, read while its stored status was from:
	// ErrConflict when the stored status is no longer from, so that of two
	// people accepting one request at once exactly one wins.
	UpdateCoverRequest(r *cover.Request, from cover.Status) error
	// ApplyChanges writes configuration changes with their audit entries
	// and bumps the configuration version, as Store.ApplyChanges does, in
	// this transaction: an override made for a cover request is stored
	// with the acceptance or not at all.
	ApplyChanges(changes []Change, audit []AuditEntry) error
	// CancelNoticesByKey cancels the pending notifications about no
	// incident of the given kind whose idempotency key starts with prefix,
	// and reports how many.
	CancelNoticesByKey(kind, prefix string) (int, error)
}
