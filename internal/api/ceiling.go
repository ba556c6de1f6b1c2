package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/ceiling"
	"github.com/vigil-oncall/vigil/internal/org"
)

// ceilingView is a service's availability ceiling at one instant.
type ceilingView struct {
	ceiling.Ceiling
	At time.Time `json:"at"`
}

// serviceCeiling serves GET /api/v1/services/{id}/ceiling: the service's
// availability ceiling from its hard dependencies' SLO targets, with what
// they measured over their windows, and the extra-nine rule.
func (s *Server) serviceCeiling(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	snap, id, err := s.pathService(r)
	if err != nil {
		return err
	}
	now := s.now()
	m, err := s.ceilings(r, snap, now)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ceilingView{Ceiling: m.Of(id), At: now.UTC()})
	return nil
}

// ceilings models the snapshot's SLOs with what each measured over its
// window at now.
func (s *Server) ceilings(r *http.Request, snap *org.Snapshot, now time.Time) (*ceiling.Model, error) {
	measured := map[string]float64{}
	if s.slo != nil {
		views, err := s.slo.Statuses(r.Context(), now)
		if err != nil {
			return nil, fmt.Errorf("SLO statuses: %w", err)
		}
		for _, v := range views {
			if !v.Status.NoData {
				measured[v.SLO.Name] = v.Status.SLI
			}
		}
	}
	return ceiling.New(snap.Graph, ceiling.ObjectivesOf(snap.SLOs(), measured)), nil
}
