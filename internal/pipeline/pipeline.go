// Package pipeline runs the alert flow with small workers, each with one
// job: the inbox committer stores accepted events, the processor turns
// them into alerts and incidents, the escalator runs due escalation steps,
// the dispatcher delivers the notification outbox, the sweeper resolves
// quiet alerts and opens alerts for missed heartbeats, the shift
// recorder keeps the served on-call history, and the reminders tell
// owner teams of their overdue action items. Incidents and Inbound take
// people's actions. The workers share the store, the configuration
// snapshot and the rules that run inside a transaction (flow), never each
// other; Pipeline owns them, and Run drives each worker's RunOnce until its
// context ends. Time comes from an injected clock, so tests drive each
// worker directly without sleeping.
package pipeline

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/correlate"
	"github.com/vigil-oncall/vigil/internal/links"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/phone"
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
	// ClaimLease is how long a dispatcher's claim on the notifications it
	// sends lasts without renewal: it renews them every third of the
	// lease while it sends, and those of a replica that died are sent by
	// another one (or by the restarted server) once it ends. Zero means
	// ten seconds.
	ClaimLease time.Duration
	// InboxQueue bounds the events waiting for a group commit; beyond it
	// ingest is shed with ErrOverloaded. Zero means 16384.
	InboxQueue int
	// Correlation, when set, gives the rule that decides which open
	// incident a new alert joins, in place of the configuration's
	// correlation index (to compare rules on the same pipeline).
	Correlation func(*org.Snapshot) correlate.Rule
}

// Pipeline owns the workers: it builds them around one store and one
// configuration, and Run starts and stops them. Drive a worker directly
// with its RunOnce (tests do).
type Pipeline struct {
	Inbox      *Committer
	Processor  *Processor
	Escalator  *Escalator
	Dispatcher *Dispatcher
	Sweeper    *Sweeper
	Shifts     *ShiftRecorder
	Reminders  *Reminders
	// Incidents and Inbound take people's actions on incidents: through
	// the API and CLI, and through links, replies and buttons.
	Incidents *Incidents
	Inbound   *Inbound
	// Phones verifies the numbers of sms and voice contact methods.
	Phones *phone.Verifier

	env *env
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
	e := &env{
		store: o.Store, org: o.Org, now: o.Now, log: o.Logger,
		oncall:       routing.NewOnCall(),
		metrics:      newMetrics(o.Registry),
		wakeProcess:  make(chan struct{}, 1),
		wakeDispatch: make(chan struct{}, 1),
	}
	rules := &flow{env: e, correlation: o.Correlation}
	channels := map[string]notify.Channel{}
	for _, c := range o.Channels {
		channels[c.Type()] = c
	}
	callbackKey := append([]byte(nil), o.CallbackKey...)
	phones := phone.New(phone.Options{Store: o.Store, Org: o.Org, Now: o.Now, Key: callbackKey, Channels: channels,
		Destination: func(u *catalog.User, cm *catalog.ContactMethod) notify.Destination {
			return destination(u, cm, o.Getenv)
		}})
	// The committer and the processor share the inbox queue and its
	// signals: ingest goes first (see runPaced).
	queue := &inboxQueue{requests: make(chan *inboxRequest, o.InboxQueue), commits: newCommitSignal(), meter: &ingestMeter{},
		critical: make(chan struct{}, 1)}
	return &Pipeline{
		Inbox:     &Committer{env: e, queue: queue},
		Processor: &Processor{env: e, flow: rules, queue: queue},
		Escalator: &Escalator{env: e, flow: rules},
		Dispatcher: &Dispatcher{env: e, channels: channels, signer: o.Signer, publicURL: o.PublicURL, getenv: o.Getenv,
			callbackKey: callbackKey, claimLease: o.ClaimLease, phones: phones},
		Sweeper:   &Sweeper{env: e, flow: rules},
		Shifts:    &ShiftRecorder{env: e},
		Reminders: &Reminders{env: e},
		Incidents: &Incidents{env: e, flow: rules},
		Inbound:   &Inbound{env: e, flow: rules, signer: o.Signer, callbackKey: callbackKey},
		Phones:    phones,
		env:       e,
	}
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
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
	if reg != nil {
		reg.MustRegister(m.accepted, m.processed, m.steps, m.sent, m.failed, m.cancelled, m.batchSize, m.unreadable)
	}
	return m
}

// Accept durably stores ingest events (see Committer.Accept).
func (p *Pipeline) Accept(ctx context.Context, events ...store.InboxEvent) error {
	return p.Inbox.Accept(ctx, events...)
}

// Intervals at which the loops look for work nobody woke them for (due
// escalations, retries, work of a replica that died).
const (
	pollProcess  = 500 * time.Millisecond
	pollEscalate = 250 * time.Millisecond
	pollDispatch = 250 * time.Millisecond
	pollSweep    = 5 * time.Second
)

// Run starts every worker and returns when ctx has ended and each has
// stopped.
func (p *Pipeline) Run(ctx context.Context) {
	var wg sync.WaitGroup
	loops := []func(context.Context){
		p.Inbox.run,
		p.loop("process", pollProcess, p.env.wakeProcess, p.Processor.runPaced),
		p.loop("escalate", pollEscalate, nil, p.Escalator.RunOnce),
		p.loop("dispatch", pollDispatch, p.env.wakeDispatch, p.Dispatcher.RunOnce),
		p.loop("sweep", pollSweep, nil, p.Sweeper.RunOnce),
		p.loop("served-shifts", pollServedShifts, nil, p.Shifts.RunOnce),
		p.loop("remind", pollRemind, nil, p.Reminders.RunOnce),
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

// env is what every worker shares: the store, the configuration, the
// clock, the log, the metrics, who is on call, and the signals that wake
// the processor and the dispatcher.
type env struct {
	store   store.Pipeline
	org     *org.Manager
	now     func() time.Time
	log     *slog.Logger
	oncall  *routing.OnCall
	metrics *metrics

	wakeProcess  chan struct{}
	wakeDispatch chan struct{}
}

type metrics struct {
	accepted, processed, steps prometheus.Counter
	sent, failed, cancelled    prometheus.Counter
	unreadable                 prometheus.Counter
	batchSize                  prometheus.Histogram
}

// flow holds the rules that run inside one transaction and that several
// workers share: opening and grouping alerts into incidents, starting a
// response, running an escalation step, paging, acknowledging and
// resolving.
type flow struct {
	*env
	// correlation: see Options.Correlation.
	correlation func(*org.Snapshot) correlate.Rule
}

// Processor applies accepted inbox events to alerts and incidents.
type Processor struct {
	*env
	flow  *flow
	queue *inboxQueue
	// batch, when set, replaces processBatch (benchmarks compare sizes).
	batch int
}

// Escalator runs the escalation steps that are due.
type Escalator struct {
	*env
	flow *flow
}

// Sweeper resolves alerts that stayed quiet and opens alerts for missed
// heartbeats.
type Sweeper struct {
	*env
	flow *flow
}

// ShiftRecorder records every schedule's shifts as they are served.
type ShiftRecorder struct{ *env }

// Incidents takes people's actions on incidents (acknowledge, resolve,
// declare, page, merge...) and on maintenance windows.
type Incidents struct {
	*env
	flow *flow
}

// Inbound takes the actions that arrive from outside the API: signed
// links, SMS and voice replies, chat buttons.
type Inbound struct {
	*env
	flow        *flow
	signer      *links.Signer
	callbackKey []byte
}

// Dispatcher delivers the notification outbox and takes providers'
// delivery reports.
type Dispatcher struct {
	*env
	channels    map[string]notify.Channel
	signer      *links.Signer
	publicURL   string
	getenv      func(string) string
	callbackKey []byte
	claimLease  time.Duration
	phones      *phone.Verifier
}

// wake tells a worker waiting on ch that there is work, unless it was told
// already.
func wake(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
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
						p.env.log.Error("pipeline step failed", "step", name, "err", err)
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
