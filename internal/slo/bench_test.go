package slo

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/duration"
)

const benchSLOs = 1000

var (
	benchOnce   sync.Once
	benchSeries []*Series
	benchNow    = time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
)

// benchData builds, once, 1,000 series of 30 days of minute data: 1,000
// events a minute with a few bad ones, and a burn in the last hours of
// every tenth series so that tiers fire.
func benchData() []*Series {
	benchOnce.Do(func() {
		rng := rand.New(rand.NewPCG(7, 11))
		span := SpanFor(rolling30())
		benchSeries = make([]*Series, benchSLOs)
		start := benchNow.Add(-30 * duration.Day)
		for i := range benchSeries {
			s := NewSeries(time.Minute, span)
			burning := i%10 == 0
			for m := 1; m <= 30*24*60; m++ {
				at := start.Add(time.Duration(m) * time.Minute)
				bad := float64(rng.IntN(2))
				if burning && benchNow.Sub(at) < 3*time.Hour {
					bad = 20
				}
				s.Add(Point{At: at, Good: 1000 - bad, Total: 1000})
			}
			benchSeries[i] = s
		}
	})
	return benchSeries
}

func benchSLOSet(budgeting Budgeting) []SLO {
	slos := make([]SLO, benchSLOs)
	for i := range slos {
		s := rolling30()
		s.Name = fmt.Sprintf("slo-%d", i)
		s.Budgeting = budgeting
		slos[i] = s
	}
	return slos
}

// BenchmarkEvaluationCycle is one evaluation cycle: 1,000 SLOs, each with
// 30 days of minute data, evaluated at one instant.
func BenchmarkEvaluationCycle(b *testing.B) {
	series := benchData()
	slos := benchSLOSet(Budgeting{Method: Occurrences})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		firing := 0
		for i, s := range slos {
			if Evaluate(s, series[i], benchNow).Firing != nil {
				firing++
			}
		}
		if firing != benchSLOs/10 {
			b.Fatalf("%d SLOs fire, want %d", firing, benchSLOs/10)
		}
	}
}

// BenchmarkEvaluationCycleTimeslices is the same cycle under Timeslices
// budgeting with 1-minute slices: each slice of the window is judged.
func BenchmarkEvaluationCycleTimeslices(b *testing.B) {
	series := benchData()
	slos := benchSLOSet(Budgeting{Method: Timeslices, SliceTarget: 0.99, SliceWindow: dur(time.Minute)})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for i, s := range slos {
			Evaluate(s, series[i], benchNow)
		}
	}
}

func BenchmarkSeriesAdd(b *testing.B) {
	s := NewSeries(time.Minute, 30*duration.Day)
	at := benchNow
	b.ReportAllocs()
	for b.Loop() {
		at = at.Add(time.Minute)
		s.Add(Point{At: at, Good: 999, Total: 1000})
	}
}
