package api

import (
	"errors"
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
func (s *Server) listServedShifts(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	p, after, ok := parseIDList(w, r)
	if !ok {
		return
	}
	from, to, err := parseWindow(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "%v", err)
		return
	}
	id := r.PathValue("id")
	if s.org.Snapshot().Schedule(id) == nil {
		_, err := s.store.ServedUntil(r.Context(), id)
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, http.StatusNotFound, "not_found", "schedule %q not found", id)
			return
		}
		if err != nil {
			s.internalError(w, "served shifts", err)
			return
		}
	}
	shifts, err := s.store.ListServedShifts(r.Context(), store.ServedShiftQuery{Schedule: id, From: from, To: to, AfterID: after, Limit: p.limit + 1})
	if err != nil {
		s.internalError(w, "list served shifts", err)
		return
	}
	shifts, next := idPage(shifts, p.limit, func(sh store.ServedShift) int64 { return sh.ID })
	writeJSON(w, http.StatusOK, map[string]any{"served_shifts": nonNil(shifts), "next_cursor": next})
}

// parseWindow reads the optional from and to of a window; a zero time
// leaves that side open.
func parseWindow(r *http.Request) (from, to time.Time, err error) {
	if from, err = parseInstant(r, "from", time.Time{}); err != nil {
		return from, to, err
	}
	if to, err = parseInstant(r, "to", time.Time{}); err != nil {
		return from, to, err
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return from, to, fmt.Errorf("to (%s) is before from (%s)", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	return from, to, nil
}
