package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/ingest"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/store"
)

// ErrOverloaded is returned when the inbox queue is full: the caller sheds
// the event (503 or 429) and the sender retries.
var ErrOverloaded = errors.New("ingest queue is full")

type inboxRequest struct {
	event store.InboxEvent
	done  chan error
}

// Accept durably stores ingest events. Events from concurrent requests
// share one transaction (group commit); Accept returns once every event
// is committed. When the queue is full it returns ErrOverloaded, and
// events already queued may still be stored: senders retry, and dedup keys
// make the retry harmless.
func (c *Committer) Accept(ctx context.Context, events ...store.InboxEvent) error {
	reqs := make([]*inboxRequest, 0, len(events))
	for _, ev := range events {
		req := &inboxRequest{event: ev, done: make(chan error, 1)}
		select {
		case c.queue.requests <- req:
			reqs = append(reqs, req)
		default:
			return ErrOverloaded
		}
	}
	for _, req := range reqs {
		select {
		case err := <-req.done:
			if err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// AlertEvent is an alert event from the integration key of svc as the
// inbox keeps it, in its lane: a high-urgency trigger is processed ahead
// of low-urgency noise, on a critical service first of all.
func AlertEvent(snap *org.Snapshot, key string, svc *catalog.Service, ev ingest.Event) store.InboxEvent {
	body, _ := json.Marshal(ev) // values from the ingest parsers always encode
	e := store.InboxEvent{Kind: store.InboxAlert, IntegrationKey: key, Service: svc.ID, Payload: body, DedupKey: ev.DedupKey}
	if ev.Action == ingest.ActionTrigger {
		critical, _ := snap.Graph.Criticality(svc.ID)
		e.Lane = alert.Lane(ev.Severity, svc.Urgency, critical)
	}
	return e
}

// maxCommitBatch bounds one group commit.
const maxCommitBatch = 2048

// commitTimeout bounds one group commit: past it, its senders are answered
// with an error (a 5xx: they retry, maybe on another replica) rather than
// kept waiting on a stuck store.
const commitTimeout = 10 * time.Second

// commitInbox is the group-commit loop: it takes every waiting event, writes
// them in one transaction and answers each request.
func (c *Committer) run(ctx context.Context) {
	batch := make([]*inboxRequest, 0, maxCommitBatch)
	events := make([]store.InboxEvent, 0, maxCommitBatch)
	lastBatch := 0
	for {
		select {
		case <-ctx.Done():
			c.failQueued(ctx.Err())
			return
		case req := <-c.queue.requests:
			batch = append(batch[:0], req)
		}
		batch = c.fillBatch(batch, lastBatch)
		lastBatch = len(batch)
		c.queue.meter.drained(time.Now(), len(batch))
		events = events[:0]
		critical := false
		for _, r := range batch {
			events = append(events, r.event)
			critical = critical || r.event.Lane == alert.LaneCritical
		}
		commitCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
		err := c.store.AppendInbox(commitCtx, events)
		cancel()
		if err != nil {
			c.log.Error("inbox commit failed", "events", len(events), "err", err)
		} else {
			c.metrics.accepted.Add(float64(len(events)))
			c.metrics.batchSize.Observe(float64(len(events)))
		}
		for _, r := range batch {
			r.done <- err
		}
		c.queue.commits.committed()
		if err == nil {
			wake(c.wakeProcess)
			if critical {
				wake(c.queue.critical)
			}
		}
	}
}

// fillBatch takes the waiting requests into batch. Under load (the last
// batch held several events) it first lets the goroutines that are ready to
// run go ahead, up to lingerRounds times while they keep adding events:
// handlers already parsing a request join this commit instead of paying for
// one of their own. It waits for nothing but CPU time, so an idle server
// commits at once.
func (c *Committer) fillBatch(batch []*inboxRequest, lastBatch int) []*inboxRequest {
	drain := func() int {
		n := 0
		for len(batch) < maxCommitBatch {
			select {
			case req := <-c.queue.requests:
				batch = append(batch, req)
				n++
			default:
				return n
			}
		}
		return n
	}
	drain()
	if lastBatch < lingerFrom {
		return batch
	}
	for range lingerRounds {
		if len(batch) >= maxCommitBatch {
			break
		}
		runtime.Gosched()
		if drain() == 0 {
			break
		}
	}
	return batch
}

// The committer lingers only after a commit of lingerFrom events or more,
// and for at most lingerRounds turns of the scheduler: enough for the
// handlers of 64 concurrent senders to finish parsing on two cores.
const (
	lingerFrom   = 4
	lingerRounds = 4
)

// commitSignal tells the processor that an inbox commit finished.
type commitSignal struct {
	mu   sync.Mutex
	done chan struct{} // closed by the next commit
}

func newCommitSignal() *commitSignal { return &commitSignal{done: make(chan struct{})} }

func (s *commitSignal) next() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.done
}

func (s *commitSignal) committed() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.done)
	s.done = make(chan struct{})
}

func (c *Committer) failQueued(err error) {
	for {
		select {
		case req := <-c.queue.requests:
			req.done <- err
		default:
			return
		}
	}
}

// Committer stores accepted ingest events in the inbox, many senders'
// events in one transaction (group commit).
type Committer struct {
	*env
	queue *inboxQueue
}

// inboxQueue is what the committer and the processor share: the events
// waiting for a commit, the signal that a commit finished, and the rate at
// which events arrive.
type inboxQueue struct {
	requests chan *inboxRequest
	commits  *commitSignal
	meter    *ingestMeter
	// critical is signalled by a commit that stored an event of the
	// critical lane: a processor resting in a storm goes on at once.
	critical chan struct{}
}
