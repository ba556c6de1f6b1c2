package slo

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

var epochDay = time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)

func TestSeriesSums(t *testing.T) {
	s := NewSeries(time.Minute, time.Hour)
	// Capacity: 61 buckets rounded up to a block of 64.
	pts := []Point{
		{At: epochDay.Add(1 * time.Minute), Good: 9, Total: 10},               // minute 0:00–0:01
		{At: epochDay.Add(2*time.Minute - 30*time.Second), Good: 5, Total: 5}, // inside 0:01–0:02
		{At: epochDay.Add(2 * time.Minute), Good: 3, Total: 5},                // also 0:01–0:02
		{At: epochDay.Add(10 * time.Minute), Good: 20, Total: 10},             // good clamped to total
		{At: epochDay.Add(11 * time.Minute), Good: -4, Total: 6},              // good clamped to 0
	}
	for _, p := range pts {
		if !s.Add(p) {
			t.Fatalf("Add(%+v) refused", p)
		}
	}
	tests := []struct {
		from, to   time.Duration // after epochDay
		bad, total float64
	}{
		{0, time.Minute, 1, 10},
		{time.Minute, 2 * time.Minute, 2, 10},
		{0, 2 * time.Minute, 3, 20},
		// [0:00, 0:01:59) holds only the first whole minute.
		{0, 2*time.Minute - time.Second, 1, 10},
		{0, time.Hour, 9, 36},
		{9 * time.Minute, 11 * time.Minute, 6, 16},
		{2 * time.Minute, 9 * time.Minute, 0, 0},
		{5 * time.Minute, 5 * time.Minute, 0, 0},
		{5 * time.Minute, 3 * time.Minute, 0, 0},
	}
	for _, tc := range tests {
		bad, total := s.Sum(epochDay.Add(tc.from), epochDay.Add(tc.to))
		if bad != tc.bad || total != tc.total {
			t.Errorf("Sum(+%v, +%v) = %v bad of %v, want %v of %v", tc.from, tc.to, bad, total, tc.bad, tc.total)
		}
	}
}

func TestSeriesRefusesBadPoints(t *testing.T) {
	s := NewSeries(time.Minute, time.Hour)
	s.Add(Point{At: epochDay.Add(3 * time.Hour), Good: 1, Total: 1})
	bad := []Point{
		{At: epochDay.Add(time.Hour), Good: 1, Total: 1}, // older than the span held
		{At: epochDay, Good: 1, Total: -1},
		{At: epochDay.Add(3 * time.Hour), Good: 1, Total: math.NaN()},
		{At: epochDay.Add(3 * time.Hour), Good: math.NaN(), Total: 1},
		{At: epochDay.Add(3 * time.Hour), Good: 1, Total: math.Inf(1)},
		{At: epochDay.Add(3 * time.Hour), Good: 1, Total: 1e16},
		{At: time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), Good: 1, Total: 1},
		{At: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), Good: 1, Total: 1},
	}
	for _, p := range bad {
		if s.Add(p) {
			t.Errorf("Add(%+v) accepted", p)
		}
	}
	if b, n := s.Sum(epochDay, epochDay.Add(4*time.Hour)); b != 0 || n != 1 {
		t.Errorf("after refused points: %v bad of %v, want 0 of 1", b, n)
	}
}

func TestSeriesRingDropsOldBuckets(t *testing.T) {
	s := NewSeries(time.Minute, 63*time.Minute) // exactly one block of 64
	for i := 1; i <= 200; i++ {
		s.Add(Point{At: epochDay.Add(time.Duration(i) * time.Minute), Good: 0, Total: 1})
	}
	// Held: the 64 minutes ending at +200m.
	if _, n := s.Sum(epochDay, epochDay.Add(200*time.Minute)); n != 64 {
		t.Errorf("held %v buckets, want 64", n)
	}
	// A jump far ahead clears everything.
	s.Add(Point{At: epochDay.Add(1000 * time.Minute), Good: 1, Total: 1})
	if b, n := s.Sum(epochDay, epochDay.Add(1000*time.Minute)); b != 0 || n != 1 {
		t.Errorf("after a jump: %v bad of %v, want 0 of 1", b, n)
	}
}

// TestSeriesMatchesNaiveSums checks the block sums against adding every
// point that falls in a window, over random points, late and out of order,
// across many wraps of the ring.
func TestSeriesMatchesNaiveSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const span = 300 * time.Minute
	s := NewSeries(time.Minute, span)
	type rec struct {
		minute     int64 // the bucket: minute ending
		bad, total float64
	}
	var kept []rec
	latest := int64(0)
	base := epochDay.Unix() / 60
	for step := 0; step < 20000; step++ {
		m := latest + int64(rng.IntN(5)) - 1
		if rng.IntN(50) == 0 {
			m = latest - int64(rng.IntN(400)) // late, sometimes too late
		}
		if rng.IntN(500) == 0 {
			m = latest + int64(rng.IntN(700)) // a gap
		}
		total := float64(rng.IntN(1000))
		good := total - float64(rng.IntN(int(total)+1))
		if s.Add(Point{At: time.Unix((base+m)*60, 0), Good: good, Total: total}) {
			kept = append(kept, rec{m, total - good, total})
		}
		latest = max(latest, m)
		if step%97 != 0 {
			continue
		}
		for q := 0; q < 5; q++ {
			a := latest - int64(rng.IntN(400))
			b := a + int64(rng.IntN(450))
			var wantBad, wantTotal float64
			held := s.capacity
			for _, r := range kept {
				if r.minute > a && r.minute <= b && r.minute > latest-held {
					wantBad += r.bad
					wantTotal += r.total
				}
			}
			bad, total := s.Sum(time.Unix((base+a)*60, 0), time.Unix((base+b)*60, 0))
			if bad != wantBad || total != wantTotal {
				t.Fatalf("step %d: Sum(%d, %d] = %v/%v, want %v/%v", step, a, b, bad, total, wantBad, wantTotal)
			}
		}
	}
}
