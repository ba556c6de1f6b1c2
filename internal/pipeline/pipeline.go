// Package pipeline runs the alert flow: accepted events are committed to
// the inbox, processed into alerts and incidents, escalated through each
// service's policy, and delivered through the notification outbox. Every
// step is a transaction on the store; the loops that drive them are owned
// by Run and stop with its context. Time comes from an injected clock, so
// tests drive each step directly without sleeping.
package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-oncall/vigil/internal/links"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/routing"
	"github.com/vigil-oncall/vigil/internal/store"
)

// Options configures a Pipeline.
type Options struct {
	Store  store.Pipeline
	Org    *org.Manager
	Now    func() time.Time
	Logger *slog.Logger
	// Channels deliver notifications, by contact method type.
	Channels []notify.Channel
	// Signer signs acknowledge/resolve links; PublicURL is the base URL
	// people reach this server at (links are PublicURL + "/a/" + token).
	Signer    *links.Signer
	PublicURL string
	// Getenv reads secrets named in configuration (webhook secret_env).
	Getenv func(string) string
	// CallbackKey authenticates what providers call back with (Twilio key
	// presses and delivery reports, Mattermost buttons) and keys the hashes
	// of phone verification codes. Replicas share it. Empty disables
	// callbacks and phone verification.
	CallbackKey []byte
	// Registry, when set, receives the pipeline's metrics.
	Registry prometheus.Registerer
	// ClaimLease is how long a dispatcher holds the notifications it
	// claimed: those of a replica that died are sent by another one (or
	// by the restarted server) once it ends. Keep it above the 10s send
	// timeout, or a slow send may be claimed and sent twice. Zero means
	// one minute.
	ClaimLease time.Duration
	// InboxQueue bounds the events waiting for a group commit; beyond it
	// ingest is shed with ErrOverloaded. Zero means 16384.
	InboxQueue int
}

// Pipeline is the alert flow. Create it with New and drive it with Run.
type Pipeline struct {
	store     store.Pipeline
	org       *org.Manager
	now       func() time.Time
	log       *slog.Logger
	oncall    *routing.OnCall
	channels  map[string]notify.Channel
	signer    *links.Signer
	publicURL string
	getenv    func(string) string
	// callbackKey: see Options.CallbackKey.
	callbackKey []byte
	claimLease  time.Duration

	inbox        chan *inboxRequest
	commits      *commitSignal
	ingest       ingestMeter
	wakeProcess  chan struct{}
	wakeDispatch chan struct{}
	metrics      metrics
}

type metrics struct {
	accepted, processed, steps prometheus.Counter
	sent, failed, cancelled    prometheus.Counter
	unreadable                 prometheus.Counter
	batchSize                  prometheus.Histogram
}

// New builds a pipeline.
func New(o Options) *Pipeline {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	if o.ClaimLease <= 0 {
		o.ClaimLease = defaultClaimLease
	}
	if o.InboxQueue <= 0 {
		o.InboxQueue = 16384
	}
	p := &Pipeline{
		store: o.Store, org: o.Org, now: o.Now, log: o.Logger,
		oncall:       routing.NewOnCall(),
		channels:     map[string]notify.Channel{},
		signer:       o.Signer,
		publicURL:    o.PublicURL,
		getenv:       o.Getenv,
		callbackKey:  append([]byte(nil), o.CallbackKey...),
		claimLease:   o.ClaimLease,
		inbox:        make(chan *inboxRequest, o.InboxQueue),
		commits:      newCommitSignal(),
		wakeProcess:  make(chan struct{}, 1),
		wakeDispatch: make(chan struct{}, 1),
	}
	for _, c := range o.Channels {
		p.channels[c.Type()] = c
	}
	p.metrics = metrics{
		accepted:  prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_events_accepted_total", Help: "Ingest events durably accepted."}),
		processed: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_events_processed_total", Help: "Inbox events applied to alerts."}),
		steps:     prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_escalation_steps_total", Help: "Escalation steps run."}),
		sent:      prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_notifications_sent_total", Help: "Notifications delivered to a provider."}),
		failed:    prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_notification_failures_total", Help: "Failed notification attempts."}),
		unreadable: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_inbox_unreadable_total",
			Help: "Inbox events set aside in the audit log because no version of processing can apply them."}),
		cancelled: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_notifications_cancelled_total", Help: "Notifications no longer needed when due."}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vigil_inbox_commit_batch_size", Help: "Events per inbox group commit.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 12)}),
	}
	if o.Registry != nil {
		o.Registry.MustRegister(p.metrics.accepted, p.metrics.processed, p.metrics.steps, p.metrics.sent,
			p.metrics.failed, p.metrics.cancelled, p.metrics.batchSize, p.metrics.unreadable)
	}
	return p
}

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
func (p *Pipeline) Accept(ctx context.Context, events ...store.InboxEvent) error {
	reqs := make([]*inboxRequest, 0, len(events))
	for _, ev := range events {
		req := &inboxRequest{event: ev, done: make(chan error, 1)}
		select {
		case p.inbox <- req:
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

// maxCommitBatch bounds one group commit.
const maxCommitBatch = 2048

// commitTimeout bounds one group commit: past it, its senders are answered
// with an error (a 5xx: they retry, maybe on another replica) rather than
// kept waiting on a stuck store.
const commitTimeout = 10 * time.Second

// commitInbox is the group-commit loop: it takes every waiting event, writes
// them in one transaction and answers each request.
func (p *Pipeline) commitInbox(ctx context.Context) {
	batch := make([]*inboxRequest, 0, maxCommitBatch)
	events := make([]store.InboxEvent, 0, maxCommitBatch)
	lastBatch := 0
	for {
		select {
		case <-ctx.Done():
			p.failQueued(ctx.Err())
			return
		case req := <-p.inbox:
			batch = append(batch[:0], req)
		}
		batch = p.fillBatch(batch, lastBatch)
		lastBatch = len(batch)
		p.ingest.drained(time.Now(), len(batch))
		events = events[:0]
		for _, r := range batch {
			events = append(events, r.event)
		}
		commitCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
		err := p.store.AppendInbox(commitCtx, events)
		cancel()
		if err != nil {
			p.log.Error("inbox commit failed", "events", len(events), "err", err)
		} else {
			p.metrics.accepted.Add(float64(len(events)))
			p.metrics.batchSize.Observe(float64(len(events)))
		}
		for _, r := range batch {
			r.done <- err
		}
		p.commits.committed()
		if err == nil {
			p.wakeProcessor()
		}
	}
}

// fillBatch takes the waiting requests into batch. Under load (the last
// batch held several events) it first lets the goroutines that are ready to
// run go ahead, up to lingerRounds times while they keep adding events:
// handlers already parsing a request join this commit instead of paying for
// one of their own. It waits for nothing but CPU time, so an idle server
// commits at once.
func (p *Pipeline) fillBatch(batch []*inboxRequest, lastBatch int) []*inboxRequest {
	drain := func() int {
		n := 0
		for len(batch) < maxCommitBatch {
			select {
			case req := <-p.inbox:
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

func (p *Pipeline) failQueued(err error) {
	for {
		select {
		case req := <-p.inbox:
			req.done <- err
		default:
			return
		}
	}
}

func (p *Pipeline) wakeProcessor() {
	select {
	case p.wakeProcess <- struct{}{}:
	default:
	}
}

func (p *Pipeline) wakeDispatcher() {
	select {
	case p.wakeDispatch <- struct{}{}:
	default:
	}
}

// Intervals at which the loops look for work nobody woke them for (due
// escalations, retries, work of a replica that died).
const (
	pollProcess  = 500 * time.Millisecond
	pollEscalate = 250 * time.Millisecond
	pollDispatch = 250 * time.Millisecond
	pollSweep    = 5 * time.Second
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

// restAfter is how long the processor rests after taking taken events (of
// at most batch) in elapsed, while events arrive at rate per second and
// waiting events queued for a commit behind it: ingestShare times elapsed
// in an ingest storm, else nothing. A storm is either processing behind
// (a full batch) while events arrive at stormRate or faster, or at least
// stormWaiting events queued behind one processing transaction. The
// second catches a storm's first moments, before a rate can be measured:
// while processing keeps the writer busy, no span between drains is free
// of it, and a processor that keeps up one small batch after another would
// otherwise slow ingest to its own pace.
func restAfter(taken, batch, waiting int, rate float64, elapsed time.Duration) time.Duration {
	if taken == 0 || elapsed <= 0 {
		return 0
	}
	if (taken < batch || rate < stormRate) && waiting < stormWaiting {
		return 0
	}
	return ingestShare * elapsed
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
func (p *Pipeline) processIngestFirst(ctx context.Context) (int, error) {
	start := time.Now() // pacing measures real time, whatever p.now says
	p.ingest.processing.Add(1)
	n, err := p.ProcessInbox(ctx)
	p.ingest.processing.Add(1)
	if err != nil {
		return n, err
	}
	elapsed := time.Since(start)
	waiting := len(p.inbox)
	if waiting > 0 {
		p.awaitCommit(ctx)
		p.awaitCommit(ctx)
	}
	if rest := restAfter(n, processBatch, waiting, p.ingest.arrivalRate(time.Now()), elapsed); rest > 0 {
		t := time.NewTimer(rest)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
	return n, nil
}

// awaitCommit waits up to commitWait for the next inbox commit.
func (p *Pipeline) awaitCommit(ctx context.Context) {
	next := p.commits.next()
	t := time.NewTimer(commitWait)
	defer t.Stop()
	select {
	case <-next:
	case <-t.C:
	case <-ctx.Done():
	}
}

// Run drives the pipeline until ctx ends, then waits for its loops.
func (p *Pipeline) Run(ctx context.Context) {
	var wg sync.WaitGroup
	loops := []func(context.Context){
		p.commitInbox,
		p.loop("process", pollProcess, p.wakeProcess, p.processIngestFirst),
		p.loop("escalate", pollEscalate, nil, p.RunEscalations),
		p.loop("dispatch", pollDispatch, p.wakeDispatch, p.DispatchDue),
		p.loop("sweep", pollSweep, nil, p.Sweep),
		p.loop("served-shifts", pollServedShifts, nil, p.RecordServedShifts),
	}
	for _, l := range loops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l(ctx)
		}()
	}
	wg.Wait()
}

// loop calls step whenever woken or every poll interval, and again at once
// while it keeps finding work.
func (p *Pipeline) loop(name string, poll time.Duration, wake <-chan struct{}, step func(context.Context) (int, error)) func(context.Context) {
	return func(ctx context.Context) {
		t := time.NewTicker(poll)
		defer t.Stop()
		for {
			for ctx.Err() == nil {
				n, err := step(ctx)
				if err != nil {
					if ctx.Err() == nil {
						p.log.Error("pipeline step failed", "step", name, "err", err)
					}
					break
				}
				if n == 0 {
					break
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-wake:
			case <-t.C:
			}
		}
	}
}
