package pipeline

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-oncall/vigil/internal/links"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/phone"
	"github.com/vigil-oncall/vigil/internal/routing"
	"github.com/vigil-oncall/vigil/internal/store"
)

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
type flow struct{ *env }

// Processor applies accepted inbox events to alerts and incidents.
type Processor struct {
	*env
	flow  *flow
	queue *inboxQueue
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

func (e *env) wakeProcessor() {
	select {
	case e.wakeProcess <- struct{}{}:
	default:
	}
}

func (e *env) wakeDispatcher() {
	select {
	case e.wakeDispatch <- struct{}{}:
	default:
	}
}

// loop calls step whenever woken or every poll interval, and again at once
// while it keeps finding work.
func (e *env) loop(name string, poll time.Duration, wake <-chan struct{}, step func(context.Context) (int, error)) func(context.Context) {
	return func(ctx context.Context) {
		t := time.NewTicker(poll)
		defer t.Stop()
		for {
			for ctx.Err() == nil {
				n, err := step(ctx)
				if err != nil {
					if ctx.Err() == nil {
						e.log.Error("pipeline step failed", "step", name, "err", err)
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
