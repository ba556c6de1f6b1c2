package sloengine

import (
	"context"
	"math"
	"testing"
	"time"
)

// TestBurndownFromStoredPoints: an engine that has never ticked reads the
// stored points and spends the budget over them. 20 minutes of 1,000
// events from t0, 10 with 1 bad and 10 with 2: a budget of 0.001 × 20,000
// = 20 bad events, 30 spent, half a budget too much by the end; before t0
// nothing was spent.
func TestBurndownFromStoredPoints(t *testing.T) {
	f := newFixture(t, orgYAML)
	f.push(t, "a", minutes(0, 10, 1))
	f.push(t, "b", minutes(10, 20, 2))
	now := t0.Add(20 * time.Minute)
	fresh := New(Options{Store: f.store, SLOs: f.engine.slos, Now: func() time.Time { return now }})
	day := 24 * time.Hour
	points, ok, err := fresh.Burndown(context.Background(), "checkout-availability", now, 10*day)
	if err != nil || !ok {
		t.Fatalf("Burndown = %v, %v", ok, err)
	}
	want := []float64{1, 1, 1, -0.5}
	if len(points) != len(want) {
		t.Fatalf("%d points %+v, want %d", len(points), points, len(want))
	}
	for i, p := range points {
		at := now.Add(-30*day + time.Duration(i)*10*day)
		if i == len(points)-1 {
			at = now
		}
		if !p.At.Equal(at) || math.Abs(p.BudgetRemaining-want[i]) > 1e-9 {
			t.Errorf("point %d = %v at %s, want %v at %s", i, p.BudgetRemaining, p.At, want[i], at)
		}
	}
	if _, ok, err := fresh.Burndown(context.Background(), "no-such-slo", now, day); ok || err != nil {
		t.Errorf("an unknown SLO = %v, %v, want not ok", ok, err)
	}
}
