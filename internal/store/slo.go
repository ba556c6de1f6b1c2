package store

import (
	"context"
	"encoding/json"
	"time"
)

// SLOPoint is one pushed count of an SLO's events: Good of Total events in
// the interval that ends at At.
type SLOPoint struct {
	ID         int64     `json:"id"`
	SLO        string    `json:"slo"`
	At         time.Time `json:"at"`
	Good       float64   `json:"good"`
	Total      float64   `json:"total"`
	ReceivedAt time.Time `json:"received_at"`
}

// SLOPointQuery selects pushed points, in ID order. Empty fields do not
// filter.
type SLOPointQuery struct {
	SLO string
	// Since keeps the points whose At is at or after it.
	Since time.Time
	// ReceivedSince keeps the points received at or after it.
	ReceivedSince time.Time
	AfterID       int64
	Limit         int
}

// MaxSLOPointLimit bounds one page of ListSLOPoints.
const MaxSLOPointLimit = 10000

// GateOverride lets a service's releases through the release gate, despite
// what denies them, until ExpiresAt.
type GateOverride struct {
	ID        int64     `json:"id"`
	Service   string    `json:"service"`
	Reason    string    `json:"reason"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// GateDecision is one answer of the release gate, kept as a candidate for
// the change event a deploy reports afterwards.
type GateDecision struct {
	ID         int64     `json:"id"`
	Service    string    `json:"service"`
	At         time.Time `json:"at"`
	ChangeType string    `json:"change_type,omitempty"`
	Decision   string    `json:"decision"`
	// Reasons is the JSON list of reasons, as the gate answered.
	Reasons json.RawMessage `json:"reasons"`
	// OverrideID is the override that let the release through, 0 for none.
	OverrideID int64     `json:"override_id,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// SLOStore keeps pushed SLI data and the release gate's overrides and
// decisions.
type SLOStore interface {
	// AddSLOBatch stores a pushed batch of points for an SLO in one
	// transaction and sets their IDs, unless the SLO already has a batch
	// with this id: then it stores nothing and reports false.
	AddSLOBatch(ctx context.Context, slo, batchID string, points []SLOPoint, receivedAt time.Time) (bool, error)
	// ListSLOPoints returns pushed points by ID, at most q.Limit (at most
	// MaxSLOPointLimit).
	ListSLOPoints(ctx context.Context, q SLOPointQuery) ([]SLOPoint, error)
	// PruneSLOData deletes the points whose At is before before and the
	// batch ids received before it, and reports how many points went.
	PruneSLOData(ctx context.Context, before time.Time) (int64, error)

	// CreateGateOverride stores an override with its audit entry, in one
	// transaction, and sets its ID.
	CreateGateOverride(ctx context.Context, o *GateOverride, audit AuditEntry) error
	// ListGateOverrides returns a service's overrides ("": every service's),
	// newest first; with activeAt set, only those not expired then. BeforeID
	// pages (0: from the newest).
	ListGateOverrides(ctx context.Context, service string, activeAt time.Time, beforeID int64, limit int) ([]GateOverride, error)

	// InsertGateDecision stores a decision and sets its ID.
	InsertGateDecision(ctx context.Context, d *GateDecision) error
	// GetGateDecision returns one decision or ErrNotFound.
	GetGateDecision(ctx context.Context, id int64) (GateDecision, error)
	// LatestGateDecision returns the newest decision on a service made at
	// or after since, or ErrNotFound.
	LatestGateDecision(ctx context.Context, service string, since time.Time) (GateDecision, error)
}
