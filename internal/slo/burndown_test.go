package slo

import (
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/duration"
)

func TestBurndown(t *testing.T) {
	day := 24 * time.Hour
	// The events of TestBudgetArithmetic: 100,000 a day at 1, 4, 7 … 28
	// days ago, 100 of them bad at 1, 4, 7 and 10 days ago. The budget is
	// 0.001 × 1,000,000 = 1,000 bad events; each bad day spends a tenth.
	spread := func(s SLO) *Series {
		series := newSeries(s)
		for i := 0; i < 10; i++ {
			bad := 0.0
			if i < 4 {
				bad = 100
			}
			series.Add(Point{At: now.Add(-time.Duration(i*3+1) * day), Good: 100_000 - bad, Total: 100_000})
		}
		return series
	}
	may := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	calendar := rolling30()
	calendar.Window = Window{Duration: dur(30 * duration.Day), Months: 1, Start: may, Location: time.UTC}

	tests := []struct {
		name   string
		slo    SLO
		series func(SLO) *Series
		step   time.Duration
		// want maps days before now (or, for the calendar, days after 1
		// May) to the budget left; the last point is at now.
		first time.Time
		want  []float64
	}{
		{"ten-day steps", rolling30(), spread, 10 * day, now.Add(-30 * day),
			// At 10 days ago the bad day of that instant has passed (a
			// point counts the interval ending at its time).
			[]float64{1, 1, 0.9, 0.6}},
		{"three-day steps", rolling30(), spread, 3 * day, now.Add(-30 * day),
			[]float64{1, 1, 1, 1, 1, 1, 1, 0.9, 0.8, 0.7, 0.6}},
		{"no data", rolling30(), newSeries, 10 * day, now.Add(-30 * day),
			[]float64{1, 1, 1, 1}},
		{"overspent", rolling30(), func(s SLO) *Series {
			// 1,000 events with 3 bad: a budget of 1 bad event spent three
			// times over.
			series := newSeries(s)
			series.Add(Point{At: now.Add(-time.Hour), Good: 997, Total: 1000})
			return series
		}, 15 * day, now.Add(-30 * day), []float64{1, 1, -2}},
		{"calendar month", calendar, func(s SLO) *Series {
			// 2,000 events this month, 1 bad on 2 May: half the budget of 2.
			series := newSeries(s)
			series.Add(Point{At: may.Add(6 * time.Hour), Good: 1000, Total: 1000})
			series.Add(Point{At: may.Add(30 * time.Hour), Good: 999, Total: 1000})
			return series
		}, day, may, []float64{1, 1, 0.5, 0.5, 0.5}},
	}
	for _, tt := range tests {
		series := tt.series(tt.slo)
		got := Burndown(tt.slo, series, now, tt.step)
		if len(got) != len(tt.want) {
			t.Errorf("%s: %d points %+v, want %d", tt.name, len(got), got, len(tt.want))
			continue
		}
		for i, p := range got {
			at := tt.first.Add(time.Duration(i) * tt.step)
			if i == len(got)-1 {
				at = now
			}
			if !p.At.Equal(at) {
				t.Errorf("%s: point %d at %s, want %s", tt.name, i, p.At, at)
			}
			check(t, tt.name+" budget left", p.BudgetRemaining, tt.want[i])
			if i > 0 && p.BudgetRemaining > got[i-1].BudgetRemaining {
				t.Errorf("%s: the budget left rises at %s", tt.name, p.At)
			}
		}
		check(t, tt.name+": the last point against the status", got[len(got)-1].BudgetRemaining, Evaluate(tt.slo, series, now).BudgetRemaining)
	}
}

// BenchmarkBurndown is a page's chart: 240 points over a 30-day window of
// minutes.
func BenchmarkBurndown(b *testing.B) {
	s := rolling30()
	series := newSeries(s)
	fill(series, now.Add(-30*24*time.Hour), now, 1000, 1)
	for b.Loop() {
		Burndown(s, series, now, 3*time.Hour)
	}
}
