package slo

import "time"

// BudgetPoint is the error budget left at one instant of a window.
type BudgetPoint struct {
	At              time.Time `json:"at"`
	BudgetRemaining float64   `json:"budget_remaining"`
}

// Burndown is how the error budget of the window that counts at now was
// spent: from the window's start to now, every step and at now itself,
// the share of that budget left after the window's bad events before each
// instant. It never rises, starts at 1 (under Timeslices, within a slice
// of it) and ends at the status's BudgetRemaining at now; it goes below 0
// where more than the budget was spent, and stays at 1 in a window
// without events. step must be positive.
//
// The budget is the window's as of now (its events so far times the
// error budget), so each point answers "how much of this window's budget
// was still unspent then", which, unlike the status each instant had,
// needs no data from before the window.
func Burndown(s SLO, series *Series, now time.Time, step time.Duration) []BudgetPoint {
	from, _ := s.Window.Bounds(now)
	bad, total := s.windowCounts(series, from, now)
	out := make([]BudgetPoint, 0, int(now.Sub(from)/step)+2)
	left := func(t time.Time) float64 {
		if total <= 0 {
			return 1
		}
		// Counting what came after t, rather than what came before it,
		// makes the last point the status's own figure exactly.
		after, _ := s.count(series, t, now)
		return 1 - s.burn(max(bad-after, 0), total)
	}
	for t := from; t.Before(now); t = t.Add(step) {
		out = append(out, BudgetPoint{At: t, BudgetRemaining: left(t)})
	}
	return append(out, BudgetPoint{At: now, BudgetRemaining: left(now)})
}
