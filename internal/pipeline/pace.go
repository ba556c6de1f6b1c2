package pipeline

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Ingest goes first. Senders wait for their events to be committed, and a
// processing transaction holds the store's writer: after one, while
// senders are queued, the processor waits for two inbox commits (the one
// that waited for the writer and the one that answers those queued behind
// it) before going on. In an ingest storm (processing behind, taking full
// batches, while events arrive at stormRate or faster) it also rests
// ingestShare times as long as its batch took, so that senders keep being
// answered quickly; the backlog waits, durable, in the inbox and is
// processed at full speed once the storm is over.
//
// The arrival rate is measured between drains of the commit queue that no
// processing transaction overlapped (see ingestMeter): where processing
// holds the writer, senders that wait for each answer before sending again
// send less, and a rate measured there would hide the storm from the very
// processor causing it. A processor behind under a steady, lower load sees
// that load's rate and never slows itself down further.
const (
	stormRate = 2000 // events/s
	// stormWaiting is how many events queued for a commit behind one
	// processing transaction make a storm: at 1,000 events/s a
	// transaction would have to hold the writer for 32 ms.
	stormWaiting = 32
	ingestShare  = 9
	// commitWait bounds the wait for an inbox commit.
	commitWait = 100 * time.Millisecond
)

// A critical alert (alert.LaneCritical) committed during a storm cuts
// the processor's rest short: processing takes it first, so it waits for
// at most the batch in progress instead of a rest nine times as long.
// Only the critical lane does, so that a storm of urgent alerts still
// lets ingest go first.

// restAfter is how long the processor rests after taking taken events (of
// at most batch) in elapsed, while events arrive at rate per second (0
// when no rate is known) and waiting events queued for a commit behind
// it: ingestShare times elapsed in an ingest storm, else nothing. A storm
// is processing behind (a full batch) while events arrive at stormRate or
// faster; or, while no rate is known, at least stormWaiting events queued
// behind one processing transaction. The second catches a storm's first
// moments, before a rate can be measured: while processing keeps the
// writer busy, no span between drains is free of it, and a processor that
// keeps up one small batch after another would otherwise slow ingest to
// its own pace. A rate known to be below stormRate is no storm, however
// many wait: a processor whose transactions take longer than stormWaiting
// events' arrival under a steady load (1,000/s on a slow disk) would
// otherwise rest, fall behind, take full batches that take as long again,
// and never catch up.
func restAfter(taken, batch, waiting int, rate float64, elapsed time.Duration) time.Duration {
	if taken == 0 || elapsed <= 0 {
		return 0
	}
	switch {
	case rate > 0 && rate < stormRate:
		return 0
	case waiting >= stormWaiting, taken >= batch && rate >= stormRate:
		return ingestShare * elapsed
	}
	return 0
}

// Rates of arrival are summed over at least rateWindow of measured time,
// and forgotten after rateStale without a new measure.
const (
	rateWindow = 20 * time.Millisecond
	rateStale  = time.Second
)

// ingestMeter measures how fast senders' events arrive: the events the
// committer takes from its queue at a drain arrived since the one before.
// Only the spans between drains that no processing transaction overlapped
// count.
type ingestMeter struct {
	// processing is odd while a processing transaction runs: it grows by
	// one at its start and at its end.
	processing atomic.Int64

	// The committer's own: its last drain and processing's count then,
	// and the events and time summed toward the next rate.
	lastDrain time.Time
	lastProc  int64
	events    int
	span      time.Duration

	mu   sync.Mutex
	rate float64
	at   time.Time
}

// drained records that the committer took n events from its queue at now.
func (m *ingestMeter) drained(now time.Time, n int) {
	proc := m.processing.Load()
	if span := now.Sub(m.lastDrain); !m.lastDrain.IsZero() && proc == m.lastProc && proc%2 == 0 && span > 0 {
		m.events += n
		m.span += span
		if m.span >= rateWindow {
			m.mu.Lock()
			m.rate, m.at = float64(m.events)/m.span.Seconds(), now
			m.mu.Unlock()
			m.events, m.span = 0, 0
		}
	}
	m.lastDrain, m.lastProc = now, proc
}

// arrivalRate is the latest rate, or 0 when it is stale.
func (m *ingestMeter) arrivalRate(now time.Time) float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.at.IsZero() || now.Sub(m.at) > rateStale {
		return 0
	}
	return m.rate
}

// processIngestFirst processes a batch, then lets ingest go first as the
// comment on stormRate says.
func (p *Processor) runPaced(ctx context.Context) (int, error) {
	start := time.Now() // pacing measures real time, whatever p.now says
	p.queue.meter.processing.Add(1)
	n, err := p.RunOnce(ctx)
	p.queue.meter.processing.Add(1)
	if err != nil {
		return n, err
	}
	elapsed := time.Since(start)
	waiting := len(p.queue.requests)
	if waiting > 0 {
		p.awaitCommit(ctx)
		p.awaitCommit(ctx)
	}
	if rest := restAfter(n, p.batchSize(), waiting, p.queue.meter.arrivalRate(time.Now()), elapsed); rest > 0 {
		t := time.NewTimer(rest)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		case <-p.queue.critical:
		}
	}
	return n, nil
}

// awaitCommit waits up to commitWait for the next inbox commit.
func (p *Processor) awaitCommit(ctx context.Context) {
	next := p.queue.commits.next()
	t := time.NewTimer(commitWait)
	defer t.Stop()
	select {
	case <-next:
	case <-t.C:
	case <-ctx.Done():
	}
}
