package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/slo"
)

// A burn-down has at most maxBurndownPoints points; without a step it has
// about defaultBurndownPoints.
const (
	maxBurndownPoints     = 2000
	defaultBurndownPoints = 240
)

// burndownView is how an SLO's error budget of the current window was
// spent (slo.Burndown).
type burndownView struct {
	SLO         string            `json:"slo"`
	WindowStart time.Time         `json:"window_start"`
	At          time.Time         `json:"at"`
	Step        duration.Duration `json:"step"`
	Points      []slo.BudgetPoint `json:"points"`
}

func (s *Server) sloBurndown(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	name := r.PathValue("id")
	def := s.org.Snapshot().SLO(name)
	if s.slo == nil || def == nil {
		return notFound("SLO %.64q not found", name)
	}
	now := s.now()
	from, _ := def.Window.Bounds(now)
	step, err := burndownStep(r.URL.Query().Get("step"), now.Sub(from))
	if err != nil {
		return badRequest("%v", err)
	}
	points, ok, err := s.slo.Burndown(r.Context(), name, now, step)
	if err := sloFound(name, "burn-down", ok, err); err != nil {
		return err
	}
	for i := range points {
		points[i].At = points[i].At.UTC()
	}
	writeJSON(w, http.StatusOK, burndownView{SLO: name, WindowStart: from.UTC(), At: now.UTC(), Step: duration.Duration(step), Points: points})
	return nil
}

// burndownStep reads a burn-down's step over a window of length span: a
// duration of at least a minute giving at most maxBurndownPoints points;
// none means whole minutes giving about defaultBurndownPoints.
func burndownStep(text string, span time.Duration) (time.Duration, error) {
	if text == "" {
		step := (span / defaultBurndownPoints).Truncate(time.Minute)
		return max(step, time.Minute), nil
	}
	step, err := duration.Parse(text)
	switch {
	case err != nil:
		return 0, fmt.Errorf("step: %v", err)
	case step < time.Minute:
		return 0, fmt.Errorf("step: %s is shorter than a minute, the finest the SLI data holds", duration.Format(step))
	case span/step >= maxBurndownPoints:
		return 0, fmt.Errorf("step: %s gives more than %d points over the window of %s: take a longer one", duration.Format(step), maxBurndownPoints, duration.Format(span))
	}
	return step, nil
}
