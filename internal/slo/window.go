package slo

import "time"

// Bounds returns the window that counts at now: [now − Duration, now) for a
// rolling window; for a calendar window, [start of the period holding now,
// now), so that the budget starts afresh at each period's start.
func (w Window) Bounds(now time.Time) (from, to time.Time) {
	if w.Rolling {
		return now.Add(-w.Duration.Std()), now
	}
	start, _ := w.Period(now)
	return start, now
}

// Period returns the calendar period holding t: [start, end). For a rolling
// window it is the window ending at t.
func (w Window) Period(t time.Time) (start, end time.Time) {
	if w.Rolling {
		return t.Add(-w.Duration.Std()), t
	}
	if w.Months <= 0 && w.Days <= 0 {
		return t.Add(-w.Duration.Std()), t // not a valid calendar window
	}
	loc := w.Location
	if loc == nil {
		loc = time.UTC
	}
	origin := w.Start.In(loc)
	k := w.periodsBefore(origin, t)
	// The estimate can be one off either way around DST changes and months
	// of different lengths; step until origin+k ≤ t < origin+k+1.
	for w.step(origin, k).After(t) {
		k--
	}
	for !w.step(origin, k+1).After(t) {
		k++
	}
	return w.step(origin, k), w.step(origin, k+1)
}

// step returns the start of the k-th period after origin, in local
// calendar arithmetic.
func (w Window) step(origin time.Time, k int) time.Time {
	return origin.AddDate(0, k*w.Months, k*w.Days)
}

// periodsBefore estimates how many whole periods lie between origin and t.
func (w Window) periodsBefore(origin, t time.Time) int {
	if w.Months > 0 {
		t = t.In(origin.Location())
		months := (t.Year()-origin.Year())*12 + int(t.Month()-origin.Month())
		return floorDiv(months, w.Months)
	}
	if w.Days <= 0 {
		return 0
	}
	days := int(t.Sub(origin) / (24 * time.Hour))
	if t.Before(origin) {
		days--
	}
	return floorDiv(days, w.Days)
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
