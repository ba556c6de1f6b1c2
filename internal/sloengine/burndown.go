package sloengine

import (
	"context"
	"time"

	"github.com/vigil-oncall/vigil/internal/slo"
)

// Burndown is how an SLO's error budget of the window that counts at now
// was spent, a point every step (see slo.Burndown); ok is false for an
// unknown SLO.
func (e *Engine) Burndown(ctx context.Context, name string, now time.Time, step time.Duration) ([]slo.BudgetPoint, bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.syncLocked(ctx, now); err != nil {
		return nil, false, err
	}
	st := e.states[name]
	if st == nil {
		return nil, false, nil
	}
	return slo.Burndown(st.def, st.series, now, step), true, nil
}
