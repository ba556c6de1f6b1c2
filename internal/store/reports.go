package store

import (
	"context"
	"time"

	"github.com/vigil-oncall/vigil/internal/report"
)

// Reports are the queries behind the reports. Each reads a period's
// history records in one pass over an index or a rollup the pipeline keeps
// as it writes, whatever the number of people: never a table per person.
type Reports interface {
	// ReportPages returns the interruptions whose first page falls in
	// [from, to): one per incident and person.
	ReportPages(ctx context.Context, from, to time.Time) ([]report.Page, error)
	// ReportIncidents returns the incidents of a period with their
	// history (services, first acknowledgement, resolution, escalation,
	// notes, customer impact), and their role history when asked.
	ReportIncidents(ctx context.Context, q ReportIncidentQuery) ([]report.Incident, error)
	// ReportShifts returns the served shifts that overlap [from, to).
	ReportShifts(ctx context.Context, from, to time.Time) ([]report.Shift, error)
	// ReportRepeats returns, per service and dedup key, the alerts opened
	// in [from, to) and their triggers, for the keys that triggered more
	// than once.
	ReportRepeats(ctx context.Context, from, to time.Time) ([]report.RepeatKey, error)
	// ReportSLOAlerts returns when SLO burn-rate alerts were open in
	// [from, to).
	ReportSLOAlerts(ctx context.Context, from, to time.Time) ([]report.AlertSpan, error)
}

// ReportIncidentQuery selects incidents: those opened in [From, To), or
// with Active also those opened before that were still open at From.
type ReportIncidentQuery struct {
	From, To time.Time
	Active   bool
	// Engagements asks for each incident's role history: acknowledgements
	// and roles taken.
	Engagements bool
}

// The reports read more evidence where the store has it: a store that
// records operations, or post-mortems, implements these too, and the
// reports pick them up.

// ReportOperations are the operations people ran by hand, for the toil
// report.
type ReportOperations interface {
	ReportOperations(ctx context.Context, from, to time.Time) ([]report.ManualOperation, error)
}

// ReportActionItems are the open post-mortem action items, for the risks
// report (those past their due date rank as risks).
type ReportActionItems interface {
	ReportActionItems(ctx context.Context) ([]report.ActionItem, error)
}
