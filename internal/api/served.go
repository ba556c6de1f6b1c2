package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/store"
)

// listServedShifts serves GET /api/v1/schedules/{id}/served-shifts?from=&to=:
// the shifts recorded as they were served, oldest first (by start), those
// overlapping [from, to) when either is given. A deleted schedule's history
// stays readable; only a schedule neither configured nor ever recorded is
// not found.
func (s *Server) listServedShifts(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	p, after, err := parseIDList(r)
	if err != nil {
		return err
	}
	from, to, err := parseSpan(r, time.Time{}, 0)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if s.org.Snapshot().Schedule(id) == nil {
		// Not configured: found only when a history was recorded.
		if _, err := s.store.ServedUntil(r.Context(), id); err != nil {
			return fmt.Errorf("schedule %.64q: %w", id, err)
		}
	}
	shifts, err := s.store.ListServedShifts(r.Context(), store.ServedShiftQuery{Schedule: id, From: from, To: to, AfterID: after, Limit: p.limit + 1})
	if err != nil {
		return fmt.Errorf("list served shifts: %w", err)
	}
	writeIDPage(w, "served_shifts", shifts, p.limit, func(sh store.ServedShift) int64 { return sh.ID })
	return nil
}
