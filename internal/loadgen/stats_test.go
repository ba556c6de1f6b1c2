package loadgen

import (
	"slices"
	"testing"
	"time"
)

func msList(ms ...int) []time.Duration {
	out := make([]time.Duration, len(ms))
	for i, m := range ms {
		out[i] = time.Duration(m) * time.Millisecond
	}
	return out
}

func TestPercentile(t *testing.T) {
	oneToTen := msList(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	var oneTo200 []time.Duration
	for i := 1; i <= 200; i++ {
		oneTo200 = append(oneTo200, time.Duration(i)*time.Millisecond)
	}
	ms := time.Millisecond
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value", msList(7), 99, 7 * ms},
		{"median of ten is the fifth", oneToTen, 50, 5 * ms},
		{"p90 of ten is the ninth", oneToTen, 90, 9 * ms},
		{"p99 of ten is the largest", oneToTen, 99, 10 * ms},
		{"p100 is the largest", oneToTen, 100, 10 * ms},
		{"p10 of ten is the first", oneToTen, 10, 1 * ms},
		{"tiny p is the smallest", oneToTen, 0.01, 1 * ms},
		{"p99 of 200 is the 198th", oneTo200, 99, 198 * ms},
		{"p99.9 of 200 is the largest", oneTo200, 99.9, 200 * ms},
		{"p50 of 200 is the 100th", oneTo200, 50, 100 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(p%g) = %s, want %s", tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	ds := msList(30, 10, 20, 50, 40)
	got := Summarize(ds)
	want := Summary{Count: 5, P50: 30 * time.Millisecond, P90: 50 * time.Millisecond, P99: 50 * time.Millisecond, Max: 50 * time.Millisecond}
	if got != want {
		t.Errorf("Summarize = %+v, want %+v", got, want)
	}
	if !slices.IsSorted(ds) {
		t.Errorf("Summarize left %v unsorted", ds)
	}
	if got := Summarize(nil); got != (Summary{}) {
		t.Errorf("Summarize(nil) = %+v", got)
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		xs   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{4}, 4},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{100, 100, 1, 100, 100}, 100},
	}
	for _, tt := range tests {
		in := slices.Clone(tt.xs)
		if got := Median(tt.xs); got != tt.want {
			t.Errorf("Median(%v) = %g, want %g", tt.xs, got, tt.want)
		}
		if !slices.Equal(in, tt.xs) {
			t.Errorf("Median changed its input to %v", tt.xs)
		}
	}
}
