package postmortem

import (
	"fmt"
	"time"
)

// Owners of an overdue action item are reminded once, in their business
// hours: a notice, never a page.

// ShouldRemind reports whether the owners of it are to be reminded now:
// it is overdue, nobody was reminded since it fell due, and now is within
// the owner team's business hours on one of its working days.
func ShouldRemind(it ActionItem, now time.Time, cal Calendar) bool {
	return it.IsOverdue(now) && it.RemindedAt == nil && cal.NextBusiness(now).Equal(now)
}

// Reminder is what an overdue action item's owners are told.
type Reminder struct {
	Title   string `json:"title"`
	Summary string `json:"summary"`
	// URL is the post-mortem's page; set by the caller, which knows where
	// the server is.
	URL string `json:"url,omitempty"`
}

// ReminderOf words the reminder for an overdue item, its due time read in
// the owner team's zone.
func ReminderOf(it ActionItem, loc *time.Location) Reminder {
	if loc == nil {
		loc = time.UTC
	}
	return Reminder{
		Title: "Overdue action item: " + it.Title,
		Summary: fmt.Sprintf("Action item %d of the post-mortem of incident #%d, owned by team %s, was due %s. Mark it done, or set a new due date.",
			it.ID, it.IncidentID, it.OwnerTeam, it.Due.In(loc).Format("Mon 2006-01-02 15:04 MST")),
	}
}
