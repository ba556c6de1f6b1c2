package store

import (
	"context"
	"time"

	"github.com/vigil-oncall/vigil/internal/ops"
)

// OperationRunQuery selects runs of operations, newest first. Empty
// fields do not filter.
type OperationRunQuery struct {
	Service    string
	IncidentID int64
	Operation  string
	Statuses   []string
	// From and To keep the runs requested in [From, To).
	From, To time.Time
	BeforeID int64
	Limit    int
}

// Operations reads the runs of operations.
type Operations interface {
	// GetOperationRun returns one run or ErrNotFound.
	GetOperationRun(ctx context.Context, id int64) (ops.Run, error)
	// ListOperationRuns returns the runs q selects, newest first.
	ListOperationRuns(ctx context.Context, q OperationRunQuery) ([]ops.Run, error)
}

// OperationTx writes runs of operations in a transaction. A run is
// requested (pending), claimed by one runner (running), then finished;
// one run at a time per service and operation may be pending or running.
type OperationTx interface {
	// InsertOperationRun stores a new run and sets its ID; ErrConflict
	// when the service has a pending or running run of the operation.
	InsertOperationRun(r *ops.Run) error
	// GetOperationRun returns one run, locked on PostgreSQL, or
	// ErrNotFound.
	GetOperationRun(id int64) (ops.Run, error)
	// PendingOperationRuns returns up to limit pending runs, oldest
	// first; on PostgreSQL it locks them, skipping those another
	// transaction holds, so that each is claimed by one replica.
	PendingOperationRuns(limit int) ([]ops.Run, error)
	// AbandonedOperationRuns returns up to limit running runs whose claim
	// ended before now (their runner is gone), oldest first, locked and
	// skipping as PendingOperationRuns.
	AbandonedOperationRuns(now time.Time, limit int) ([]ops.Run, error)
	// UpdateOperationRun writes a run back; ErrConflict when it would make
	// a second active run of its service and operation.
	UpdateOperationRun(r *ops.Run) error
}
