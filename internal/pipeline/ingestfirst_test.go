package pipeline

import (
	"testing"
	"time"
)

func TestRestAfter(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name         string
		taken, batch int
		rate         float64
		elapsed      time.Duration
		want         time.Duration
	}{
		{"storm: full batch, many arrivals", 64, 64, 9000, 20 * ms, 180 * ms},
		{"arrivals at exactly stormRate", 64, 64, 2000, 5 * ms, 45 * ms},
		{"steady load, processing behind", 64, 64, 1999, 20 * ms, 0},
		{"caught up: a partial batch", 63, 64, 9000, 20 * ms, 0},
		{"nothing taken", 0, 64, 9000, 20 * ms, 0},
		{"a clock that went nowhere", 64, 64, 9000, 0, 0},
		{"a clock that went back", 64, 64, 9000, -5 * ms, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := restAfter(tt.taken, tt.batch, tt.rate, tt.elapsed); got != tt.want {
				t.Errorf("restAfter(%d, %d, %g, %s) = %s, want %s", tt.taken, tt.batch, tt.rate, tt.elapsed, got, tt.want)
			}
		})
	}
}

func TestRateMeter(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ms := time.Millisecond
	var m rateMeter
	steps := []struct {
		at    time.Duration
		count int64
		want  float64
	}{
		{0, 100, 0},                  // the first observation has nothing to compare with
		{200 * ms, 400, 0},           // too soon: no rate yet
		{500 * ms, 1100, 2000},       // (1100-100) events in 0.5s
		{700 * ms, 1200, 2000},       // too soon: the last rate stands
		{1500 * ms, 1600, 500},       // (1600-1100) in 1s
		{1400 * ms, 9999, 500},       // a clock that went back starts over
		{1900 * ms, 10999, 2000},     // (10999-9999) in 0.5s
		{3900 * ms, 10999, 0},        // nothing arrived for 2s
		{4400 * ms, 10999 + 50, 100}, // 50 in 0.5s
	}
	for _, s := range steps {
		if got := m.observe(t0.Add(s.at), s.count); got != s.want {
			t.Errorf("observe(+%s, %d) = %g, want %g", s.at, s.count, got, s.want)
		}
	}
}

func TestCommitSignal(t *testing.T) {
	s := newCommitSignal()
	first := s.next()
	select {
	case <-first:
		t.Fatal("signalled before any commit")
	default:
	}
	s.committed()
	select {
	case <-first:
	default:
		t.Fatal("a commit did not signal its waiters")
	}
	second := s.next()
	select {
	case <-second:
		t.Fatal("a waiter after the commit was signalled by it")
	default:
	}
	s.committed()
	<-second
}
