package store

import (
	"context"
	"slices"
	"time"

	"github.com/vigil-oncall/vigil/internal/postmortem"
)

// PostmortemQuery selects post-mortems, newest incident first. Empty
// fields do not filter; BeforeID pages.
type PostmortemQuery struct {
	Statuses []string
	// Team is the owner team.
	Team     string
	BeforeID int64
	Limit    int
}

// ActionItemQuery selects action items, newest first. Empty fields do not
// filter; BeforeID pages.
type ActionItemQuery struct {
	ID         int64
	Statuses   []string
	Team       string
	IncidentID int64
	// DueBefore keeps the items due before it; DueFrom those due at or
	// after it.
	DueBefore time.Time
	DueFrom   time.Time
	BeforeID  int64
	Limit     int
}

// Postmortems reads post-mortems and their action items; writes go
// through a Tx.
type Postmortems interface {
	// GetPostmortem returns an incident's post-mortem with its action
	// items, or ErrNotFound.
	GetPostmortem(ctx context.Context, incidentID int64) (postmortem.Postmortem, error)
	// ListPostmortems returns post-mortems with their action items.
	ListPostmortems(ctx context.Context, q PostmortemQuery) ([]postmortem.Postmortem, error)
	ListActionItems(ctx context.Context, q ActionItemQuery) ([]postmortem.ActionItem, error)
	// The risks report reads the open action items.
	ReportActionItems
}

// OverdueActionItems returns every action item that is open past its due
// time at at (of one owner team, or of all for ""), most overdue first:
// what the risks report lists.
func OverdueActionItems(ctx context.Context, s Postmortems, at time.Time, team string) ([]postmortem.ActionItem, error) {
	var out []postmortem.ActionItem
	q := ActionItemQuery{Statuses: []string{string(postmortem.ItemOpen)}, Team: team, DueBefore: at, Limit: 1000}
	for range 100 { // at most 100,000 items
		page, err := s.ListActionItems(ctx, q)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < q.Limit {
			break
		}
		q.BeforeID = page[len(page)-1].ID
	}
	for i := range out {
		out[i].Overdue = true
	}
	slices.SortStableFunc(out, func(a, b postmortem.ActionItem) int { return a.Due.Compare(b.Due) })
	return out, nil
}

// PostmortemTx is what a write transaction does to post-mortems.
type PostmortemTx interface {
	// InsertPostmortem stores a new post-mortem with its action items and
	// sets the items' IDs; ErrConflict when the incident has one.
	InsertPostmortem(p *postmortem.Postmortem) error
	// GetPostmortem returns a post-mortem with its action items; on
	// PostgreSQL it stays locked until the transaction ends.
	GetPostmortem(incidentID int64) (postmortem.Postmortem, error)
	// UpdatePostmortem writes p, read at version, as its new version
	// p.Version: ErrConflict when the stored one is no longer version.
	// Its action items become p.ActionItems: new ones (ID 0) are added
	// and get their IDs, and stored ones left out are removed.
	UpdatePostmortem(p *postmortem.Postmortem, version int64) error
	// RemindableActionItems returns up to limit open items due before now
	// whose owners were not reminded, with IDs above afterID, by ID. On
	// PostgreSQL they stay locked, and items another transaction holds
	// are skipped.
	RemindableActionItems(now time.Time, afterID int64, limit int) ([]postmortem.ActionItem, error)
	// MarkReminded records that an item's owners were reminded at at.
	MarkReminded(itemID int64, at time.Time) error
}
