package slo

import (
	"math"
	"time"
)

// Point is the events of the interval that ends at At (a minute, or a
// Series step): Good of Total were good.
type Point struct {
	At    time.Time `json:"at"`
	Good  float64   `json:"good"`
	Total float64   `json:"total"`
}

// blockSize is the number of buckets summed into one block. Window sums add
// whole blocks and at most two partial ones, so a 30-day window of minutes
// is about 700 additions rather than 43,200.
const blockSize = 64

// Series holds one SLO's event counts in fixed buckets (a minute by
// default) over a bounded span, in a ring: adding a newer point drops the
// buckets that fall out of the span.
//
// Bucket k holds the events of the interval (k−1)·step to k·step after the
// Unix epoch, so a point counted for the interval ending at At lands in the
// bucket ending at or just after At. Counts are kept as bad and total, not
// good and total, so that a handful of bad events among millions keep
// their exact value in the float32 buckets (exact to 2^24 events a bucket;
// block sums are float64).
//
// A Series is not safe for concurrent use; its owner serialises adds and
// evaluations.
type Series struct {
	step     time.Duration
	capacity int64 // buckets, a multiple of blockSize
	bad      []float32
	total    []float32
	// blockBad and blockTotal sum the buckets of block j at j mod blocks.
	blockBad   []float64
	blockTotal []float64
	latest     int64 // newest bucket; buckets (latest−capacity, latest] are held
	started    bool
}

// NewSeries returns an empty series of buckets of length step holding at
// least span. A step below a second is taken as a minute.
func NewSeries(step, span time.Duration) *Series {
	if step < time.Second {
		step = time.Minute
	}
	n := int64(span/step) + 1
	n = (n + blockSize - 1) / blockSize * blockSize
	return &Series{
		step:       step,
		capacity:   n,
		bad:        make([]float32, n),
		total:      make([]float32, n),
		blockBad:   make([]float64, n/blockSize),
		blockTotal: make([]float64, n/blockSize),
	}
}

// SpanFor is the span a series needs to evaluate an SLO: its window (a
// calendar period may be a little longer than its nominal length) and its
// longest tier window, whichever is longer.
func SpanFor(s SLO) time.Duration {
	span := s.Window.Duration.Std()
	if !s.Window.Rolling {
		// The longest calendar month is 31 days against the nominal 30, and
		// a DST change adds an hour.
		span += span/30 + time.Hour
		if s.Window.Months >= 12 {
			span += span / 365
		}
	}
	for _, t := range s.Tiers {
		span = max(span, t.Long.Std()+t.For.Std())
	}
	return span + s.Budgeting.SliceWindow.Std()
}

// Step is the length of a bucket.
func (s *Series) Step() time.Duration { return s.step }

// unixRange bounds the times a series takes, well inside what
// time.Time.UnixNano can represent.
var (
	minTime = time.Unix(0, 0)
	maxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// floorIndex is the number of whole steps from the epoch to t.
func (s *Series) floorIndex(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return 0
	case t.After(maxTime):
		t = maxTime
	}
	return t.UnixNano() / int64(s.step)
}

// maxCount bounds a point's total, far above any real count, so that a
// hostile value cannot turn a bucket infinite.
const maxCount = 1e15

// Add counts a point's events. It reports false, counting nothing, for a
// point older than the span held or outside 1970–2200, or with a total
// that is negative, NaN or above 10^15. Good is clamped to [0, Total].
func (s *Series) Add(p Point) bool {
	if p.At.Before(minTime) || p.At.After(maxTime) ||
		!(p.Total >= 0 && p.Total <= maxCount) || math.IsNaN(p.Good) {
		return false
	}
	good := min(max(p.Good, 0), p.Total)
	bad := p.Total - good
	ns := p.At.UnixNano()
	k := ns / int64(s.step)
	if ns%int64(s.step) != 0 {
		k++
	}
	switch {
	case !s.started:
		s.started, s.latest = true, k
	case k > s.latest:
		s.advance(k)
	case k <= s.latest-s.capacity:
		return false
	}
	i := k % s.capacity
	s.bad[i] += float32(bad)
	s.total[i] += float32(p.Total)
	// The oldest held block shares its slot with the newest one once the
	// newest has begun; its sum there is the newest's, so only blocks
	// younger than that are updated.
	if block := k / blockSize; block > s.latest/blockSize-int64(len(s.blockBad)) {
		j := block % int64(len(s.blockBad))
		s.blockBad[j] += bad
		s.blockTotal[j] += p.Total
	}
	return true
}

// advance makes k the newest bucket, clearing the buckets in between.
func (s *Series) advance(k int64) {
	from := s.latest + 1
	if k-from >= s.capacity {
		from = k - s.capacity + 1
	}
	for b := from; b <= k; b++ {
		i := b % s.capacity
		s.bad[i], s.total[i] = 0, 0
		if b%blockSize == 0 {
			j := (b / blockSize) % int64(len(s.blockBad))
			s.blockBad[j], s.blockTotal[j] = 0, 0
		}
	}
	// A block whose start was not passed keeps its sum: it is either the
	// newest block, whose sum never counted the stale buckets beyond
	// latest, or the oldest held block, whose sum is never read.
	s.latest = k
}

// Sum returns the bad and total events of the buckets that end in
// (from, to] to the step: the events of [from, to) once whole steps. Only
// the span held counts.
func (s *Series) Sum(from, to time.Time) (bad, total float64) {
	return s.sumIndex(s.floorIndex(from), s.floorIndex(to))
}

// sumIndex sums the buckets a < k ≤ b that are held.
func (s *Series) sumIndex(a, b int64) (bad, total float64) {
	if !s.started {
		return 0, 0
	}
	a = max(a, s.latest-s.capacity, -1)
	b = min(b, s.latest)
	lo, hi := a+1, b // inclusive bucket range
	if lo > hi {
		return 0, 0
	}
	// Whole blocks count by their sums. The oldest held block, when partial,
	// shares its slot with the newest one; lo lies past its start then, so
	// it is never taken whole.
	firstBlock := (lo + blockSize - 1) / blockSize
	lastBlock := (hi+1)/blockSize - 1 // last block ending at or before hi
	if firstBlock > lastBlock {
		return s.sumBuckets(lo, hi)
	}
	bad, total = s.sumBuckets(lo, firstBlock*blockSize-1)
	b1, t1 := sumRing64(s.blockBad, s.blockTotal, firstBlock, lastBlock)
	b2, t2 := s.sumBuckets((lastBlock+1)*blockSize, hi)
	return bad + b1 + b2, total + t1 + t2
}

// sumBuckets adds buckets lo..hi one by one.
func (s *Series) sumBuckets(lo, hi int64) (bad, total float64) {
	if lo > hi {
		return 0, 0
	}
	// The ring holds lo..hi as at most two runs; walking the runs avoids a
	// division per bucket.
	i, n := lo%s.capacity, hi-lo+1
	for n > 0 {
		run := min(n, s.capacity-i)
		for _, v := range s.bad[i : i+run] {
			bad += float64(v)
		}
		for _, v := range s.total[i : i+run] {
			total += float64(v)
		}
		n -= run
		i = 0
	}
	return bad, total
}

// sumRing64 adds the entries first..last of two rings of equal length.
func sumRing64(bads, totals []float64, first, last int64) (bad, total float64) {
	size := int64(len(bads))
	i, n := first%size, last-first+1
	for n > 0 {
		run := min(n, size-i)
		for _, v := range bads[i : i+run] {
			bad += v
		}
		for _, v := range totals[i : i+run] {
			total += v
		}
		n -= run
		i = 0
	}
	return bad, total
}

// countSlices judges slices first ≤ j < last of m buckets each (slice j
// holds buckets j·m < k ≤ (j+1)·m) that the series holds whole: a slice
// with events is good when its share of good events is at least target.
// It returns the bad slices and the slices with events, in one pass over
// the buckets.
func (s *Series) countSlices(first, last, m int64, target float64) (bad, total float64) {
	if !s.started || m < 1 {
		return 0, 0
	}
	oldest := s.latest - s.capacity // buckets after it are held
	first = max(first, (oldest+m-1)/m, 0)
	last = min(last, s.latest/m)
	if first >= last {
		return 0, 0
	}
	i := (first*m + 1) % s.capacity
	var sliceBad, sliceTotal float64
	left := m
	for n := (last - first) * m; n > 0; n-- {
		sliceBad += float64(s.bad[i])
		sliceTotal += float64(s.total[i])
		if i++; i == s.capacity {
			i = 0
		}
		if left--; left > 0 {
			continue
		}
		if sliceTotal > 0 {
			total++
			if sliceTotal-sliceBad < target*sliceTotal { // good share below target
				bad++
			}
		}
		sliceBad, sliceTotal, left = 0, 0, m
	}
	return bad, total
}
