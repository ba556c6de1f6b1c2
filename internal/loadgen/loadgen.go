package loadgen

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds on a run, so that a typo cannot start an endless flood.
const (
	MaxConcurrency = 4096
	MaxDuration    = time.Hour
	MaxRequests    = 100_000_000
	MaxRate        = 1_000_000
	MaxDrain       = 10 * time.Minute
)

// maxAnswerBody bounds what is read of an answer (to reuse the connection).
const maxAnswerBody = 1 << 20

// Options configures a run.
type Options struct {
	Target Target
	// Client, when set, sends the requests. By default each client has a
	// keep-alive connection of its own that it writes and reads itself
	// (https targets use NewClient).
	Client *http.Client
	// Concurrency is the number of requests in flight at most.
	Concurrency int
	// Sending stops after Duration or after Requests requests, whichever
	// comes first; at least one must be set.
	Duration time.Duration
	Requests int64
	// Rate, when set, sends that many events per second on schedule (open
	// loop); latencies then count from when each request was due, so a
	// server that falls behind cannot hide it. Zero sends as fast as the
	// server answers (closed loop).
	Rate float64
	// Receiver, when set, gets the pages: after sending, Run waits up to
	// Drain for a page for every accepted trigger and measures
	// trigger-to-page latency.
	Receiver *Receiver
	Drain    time.Duration
	// Now stamps sends and answers (nil: time.Now).
	Now func() time.Time
}

// Result is what a run measured.
type Result struct {
	Sent   int64         // requests sent
	OK     int64         // answered 2xx
	Status map[int]int64 // other answers, by status code
	Errors int64         // requests without an answer (refused, timed out)
	// FirstError is the first transport error, to say what went wrong.
	FirstError string
	// Elapsed runs from the first send to the last answer.
	Elapsed time.Duration
	// PerSecond counts the 2xx answers in each whole second of the run.
	PerSecond []int64
	Latency   Summary // of answered requests
	// Pages is nil without a receiver.
	Pages *PageResult
}

// PageResult is what the receiver saw of the run's triggers.
type PageResult struct {
	Expected int // accepted triggers with distinct titles
	Received int // of those, how many had a page
	Repeats  int // pages delivered more than once
	Latency  Summary
}

// Rate is the accepted events per second over the whole run.
func (r *Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OK) / r.Elapsed.Seconds()
}

// MedianPerSecond is the median of the per-second accepted counts, which a
// slow start or a stall at the end moves less than Rate; it is Rate when
// the run lasted less than two whole seconds.
func (r *Result) MedianPerSecond() float64 {
	if len(r.PerSecond) < 2 {
		return r.Rate()
	}
	xs := make([]float64, len(r.PerSecond))
	for i, n := range r.PerSecond {
		xs[i] = float64(n)
	}
	return Median(xs)
}

// NewClient returns an HTTP client that keeps one connection per
// concurrent request alive.
func NewClient(concurrency int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = concurrency
	t.MaxIdleConnsPerHost = concurrency
	t.MaxConnsPerHost = concurrency
	t.DisableCompression = true
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}

func (o *Options) check() error {
	var errs []error
	if o.Target == nil {
		errs = append(errs, errors.New("no target"))
	}
	if o.Concurrency < 1 || o.Concurrency > MaxConcurrency {
		errs = append(errs, fmt.Errorf("concurrency %d: want 1 to %d", o.Concurrency, MaxConcurrency))
	}
	if o.Duration <= 0 && o.Requests <= 0 {
		errs = append(errs, errors.New("set a duration or a number of requests"))
	}
	if o.Duration < 0 || o.Duration > MaxDuration {
		errs = append(errs, fmt.Errorf("duration %s: want at most %s", o.Duration, MaxDuration))
	}
	if o.Requests < 0 || o.Requests > MaxRequests {
		errs = append(errs, fmt.Errorf("requests %d: want at most %d", o.Requests, MaxRequests))
	}
	if o.Rate < 0 || o.Rate > MaxRate || o.Rate != o.Rate {
		errs = append(errs, fmt.Errorf("rate %g: want 0 (as fast as answered) to %d events/s", o.Rate, MaxRate))
	}
	if o.Drain < 0 || o.Drain > MaxDrain {
		errs = append(errs, fmt.Errorf("drain %s: want at most %s", o.Drain, MaxDrain))
	}
	return errors.Join(errs...)
}

// job is one request to send; due is when it was due (open loop) or zero.
type job struct {
	seq int64
	due time.Time
}

// tally is one worker's share of the result; merged after the run.
type tally struct {
	sent, ok, errs int64
	status         map[int]int64
	firstErr       string
	latency        []time.Duration
	perSecond      []int64
	last           time.Time
	sentAt         map[string]time.Time // titles of accepted triggers
}

// Run sends the events and measures. It returns early, with what was
// measured so far, when ctx ends.
func Run(ctx context.Context, o Options) (*Result, error) {
	if err := o.check(); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	newPoster := func() poster { return newRawPoster(ctx) }
	if o.Client != nil || !strings.HasPrefix(o.Target.Event(0).URL, "http://") {
		if o.Client == nil {
			o.Client = NewClient(o.Concurrency)
		}
		newPoster = func() poster { return clientPoster{o.Client} }
	}
	start := o.Now()
	var stopAt time.Time
	if o.Duration > 0 {
		stopAt = start.Add(o.Duration)
	}
	// more reports whether the seq-th event is still to be sent.
	more := func(seq int64, at time.Time) bool {
		if ctx.Err() != nil {
			return false
		}
		if o.Requests > 0 && seq >= o.Requests {
			return false
		}
		return stopAt.IsZero() || at.Before(stopAt)
	}

	tallies := make([]*tally, o.Concurrency)
	var wg sync.WaitGroup
	if o.Rate > 0 {
		jobs := make(chan job, o.Concurrency)
		wg.Add(1)
		go func() { // owner: Run; ends when the schedule does
			defer wg.Done()
			defer close(jobs)
			schedule(ctx, o, start, more, jobs)
		}()
		for i := range tallies {
			tallies[i] = newTally(o.Receiver != nil)
			wg.Add(1)
			go func() { // owner: Run; ends when jobs closes
				defer wg.Done()
				p := newPoster()
				defer p.close()
				for j := range jobs {
					send(ctx, o, p, start, j.seq, j.due, tallies[i])
				}
			}()
		}
	} else {
		var next atomic.Int64
		for i := range tallies {
			tallies[i] = newTally(o.Receiver != nil)
			wg.Add(1)
			go func() { // owner: Run; ends when the run's bound is reached
				defer wg.Done()
				p := newPoster()
				defer p.close()
				for {
					seq := next.Add(1) - 1
					if !more(seq, o.Now()) {
						return
					}
					send(ctx, o, p, start, seq, time.Time{}, tallies[i])
				}
			}()
		}
	}
	wg.Wait()

	res, sentAt := merge(tallies, start)
	if o.Receiver != nil {
		res.Pages = drainPages(ctx, o, sentAt)
	}
	return res, ctx.Err()
}

// schedule hands out jobs at the rate asked for. When every worker is
// busy it falls behind, and the late jobs go out as soon as one is free
// (their latency counting from when they were due).
func schedule(ctx context.Context, o Options, start time.Time, more func(int64, time.Time) bool, jobs chan<- job) {
	interval := time.Duration(float64(time.Second) / o.Rate)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for seq := int64(0); ; seq++ {
		due := start.Add(time.Duration(seq) * interval)
		if !more(seq, due) {
			return
		}
		if wait := due.Sub(o.Now()); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		}
		select {
		case jobs <- job{seq: seq, due: due}:
		case <-ctx.Done():
			return
		}
	}
}

func newTally(trackPages bool) *tally {
	t := &tally{status: map[int]int64{}}
	if trackPages {
		t.sentAt = map[string]time.Time{}
	}
	return t
}

// send sends one event and counts its answer. Its latency counts from
// due, when set, else from now.
func send(ctx context.Context, o Options, p poster, start time.Time, seq int64, due time.Time, t *tally) {
	r := o.Target.Event(seq)
	began := o.Now()
	if !due.IsZero() {
		began = due
	}
	t.sent++
	status, err := p.post(ctx, r.URL, r.Body)
	if err != nil {
		t.fail(err)
		return
	}
	done := o.Now()
	t.last = later(t.last, done)
	t.latency = append(t.latency, done.Sub(began))
	if status < 200 || status > 299 {
		t.status[status]++
		return
	}
	t.ok++
	sec := int(done.Sub(start) / time.Second)
	for len(t.perSecond) <= sec {
		t.perSecond = append(t.perSecond, 0)
	}
	t.perSecond[sec]++
	if t.sentAt != nil && r.Title != "" {
		if first, ok := t.sentAt[r.Title]; !ok || began.Before(first) {
			t.sentAt[r.Title] = began
		}
	}
}

func (t *tally) fail(err error) {
	t.errs++
	if t.firstErr == "" {
		t.firstErr = err.Error()
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// merge adds the workers' tallies up.
func merge(tallies []*tally, start time.Time) (*Result, map[string]time.Time) {
	res := &Result{Status: map[int]int64{}}
	var latency []time.Duration
	var perSecond []int64
	last := start
	sentAt := map[string]time.Time{}
	for _, t := range tallies {
		res.Sent += t.sent
		res.OK += t.ok
		res.Errors += t.errs
		if res.FirstError == "" {
			res.FirstError = t.firstErr
		}
		for code, n := range t.status {
			res.Status[code] += n
		}
		latency = append(latency, t.latency...)
		for len(perSecond) < len(t.perSecond) {
			perSecond = append(perSecond, 0)
		}
		for i, n := range t.perSecond {
			perSecond[i] += n
		}
		last = later(last, t.last)
		for title, at := range t.sentAt {
			if first, ok := sentAt[title]; !ok || at.Before(first) {
				sentAt[title] = at
			}
		}
	}
	res.Elapsed = last.Sub(start)
	whole := int(res.Elapsed / time.Second)
	res.PerSecond = perSecond[:min(whole, len(perSecond))]
	res.Latency = Summarize(latency)
	return res, sentAt
}

// pagePoll is how often the drain looks for missing pages.
const pagePoll = 20 * time.Millisecond

// drainPages waits for the pages of the accepted triggers and measures how
// long each took from its trigger.
func drainPages(ctx context.Context, o Options, sentAt map[string]time.Time) *PageResult {
	pending := maps.Clone(sentAt)
	deadline := time.NewTimer(o.Drain)
	defer deadline.Stop()
	tick := time.NewTicker(pagePoll)
	defer tick.Stop()
wait:
	for {
		for title := range pending {
			if _, ok := o.Receiver.FirstPage(title); ok {
				delete(pending, title)
			}
		}
		if len(pending) == 0 {
			break
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			break wait
		case <-ctx.Done():
			break wait
		}
	}
	res := &PageResult{Expected: len(sentAt), Repeats: o.Receiver.Stats().Repeats}
	var latency []time.Duration
	for title, sent := range sentAt {
		if at, ok := o.Receiver.FirstPage(title); ok {
			latency = append(latency, at.Sub(sent))
		}
	}
	res.Received = len(latency)
	res.Latency = Summarize(latency)
	return res
}
