package loadgen

import (
	"math"
	"slices"
	"time"
)

// Summary describes a set of latencies.
type Summary struct {
	Count              int
	P50, P90, P99, Max time.Duration
}

// Summarize sorts ds in place and returns its percentiles.
func Summarize(ds []time.Duration) Summary {
	if len(ds) == 0 {
		return Summary{}
	}
	slices.Sort(ds)
	return Summary{
		Count: len(ds),
		P50:   Percentile(ds, 50),
		P90:   Percentile(ds, 90),
		P99:   Percentile(ds, 99),
		Max:   ds[len(ds)-1],
	}
}

// Percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest value with at least p% of the values at
// or below it. It returns 0 for an empty slice.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	// rank = ceil(p/100 * n), computed in integers to avoid float error at
	// exact multiples (p=50, n=10 must give rank 5, not 6).
	n := len(sorted)
	hundredths := int64(math.Round(p * 100)) // p in hundredths of a percent
	rank := int((hundredths*int64(n) + 9999) / 10000)
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// Median returns the median of xs (the mean of the middle two for an even
// count), or 0 for none. It does not modify xs.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	mid := len(s) / 2
	if len(s)%2 == 1 {
		return s[mid]
	}
	return (s[mid-1] + s[mid]) / 2
}
