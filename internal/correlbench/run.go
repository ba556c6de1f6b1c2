package correlbench

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/correlate"
	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/ingest"
	"github.com/vigil-oncall/vigil/internal/links"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/pipeline"
	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/sqlite"
)

// Contender is one way of grouping alerts, run through the same pipeline.
type Contender struct {
	Name string
	// Rule replaces the pipeline's correlation rule; nil keeps the
	// configuration's own.
	Rule func(*org.Snapshot) correlate.Rule
	// GroupByService gives every service a grouping rule that puts its
	// alerts within the correlation window into one incident, as
	// Alertmanager's group_by: [service] does.
	GroupByService bool
}

// Contenders are the correlation rule and the baselines it must beat.
func Contenders() []Contender {
	never := func(*org.Snapshot) correlate.Rule { return neverJoin{} }
	return []Contender{
		{Name: "one incident per alert", Rule: never},
		{Name: "group by service", Rule: never, GroupByService: true},
		{Name: "any shared dependency", Rule: func(s *org.Snapshot) correlate.Rule { return sharedDependency{s.Graph} }},
		{Name: "dependency graph", Rule: nil},
	}
}

// neverJoin keeps every alert in an incident of its own.
type neverJoin struct{}

func (neverJoin) Decide(string, []string, correlate.Evidence) correlate.Verdict {
	return correlate.Verdict{}
}

// sharedDependency is the rule correlation followed before it looked at
// how failures travel: an alert joins an incident when one service depends
// on the other in any way, or both depend on any common service. In a
// company where nearly everything shares a database or DNS, that is almost
// always.
type sharedDependency struct{ g *catalog.Graph }

func (r sharedDependency) Decide(service string, services []string, _ correlate.Evidence) correlate.Verdict {
	mine := map[string]bool{service: true}
	for _, d := range r.g.Reachable(service) {
		mine[d] = true
	}
	for _, s := range services {
		if s == service {
			continue
		}
		if mine[s] {
			return correlate.Verdict{Join: true, Reason: service + " depends on " + s}
		}
		for _, d := range r.g.Reachable(s) {
			if mine[d] {
				return correlate.Verdict{Join: true, Reason: service + " and " + s + " share " + d}
			}
		}
	}
	return correlate.Verdict{}
}

// Outcome is what the pipeline made of an injected scenario.
type Outcome struct {
	// IncidentOf holds the incident of each injected alert, by index.
	IncidentOf []int64
	Incidents  map[int64]incident.Incident
	// IRTPages counts the pages the global IRT received.
	IRTPages int
}

// pager is the channel every page goes through: it counts the global
// IRT's.
type pager struct {
	mu  sync.Mutex
	irt int
}

func (*pager) Type() string { return catalog.MethodWebhook }

func (p *pager) Send(_ context.Context, to notify.Destination, m notify.Message) error {
	if m.Kind == notify.KindPage && to.UserID == GlobalIRTUser {
		p.mu.Lock()
		p.irt += 1 + m.MoreAlerts
		p.mu.Unlock()
	}
	return nil
}

// escalateEvery is how often, in simulated time, escalations run and
// pages go out.
const escalateEvery = 30 * time.Second

// Run feeds an injected scenario through a pipeline on a fresh SQLite
// store in dir, driven by a simulated clock, and reads back the incidents.
func Run(ctx context.Context, dir string, w *World, in *Injected, window time.Duration, c Contender) (*Outcome, error) {
	st, err := sqlite.Open(ctx, filepath.Join(dir, "vigil.db"))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return nil, err
	}
	now := in.Start.Add(-time.Hour)
	clock := func() time.Time { return now }
	m := org.NewManager(st, clock)
	if err := m.Load(ctx); err != nil {
		return nil, err
	}
	bundle := *w.Bundle
	bundle.Org.CorrelationWindow = duration.Duration(window)
	if c.GroupByService {
		bundle.Services = slices.Clone(bundle.Services)
		for i := range bundle.Services {
			bundle.Services[i].Grouping = &catalog.Grouping{By: catalog.GroupBySource, Window: duration.Duration(window)}
		}
	}
	if _, err := m.Apply(ctx, &bundle, "correlbench", false); err != nil {
		return nil, fmt.Errorf("apply the generated configuration: %w", err)
	}
	signer, err := links.NewSigner([]byte("correlbench-correlbench-correlbe"), clock)
	if err != nil {
		return nil, err
	}
	pages := &pager{}
	p := pipeline.New(pipeline.Options{Store: st, Org: m, Now: clock, Signer: signer, PublicURL: "http://vigil.test",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Channels: []notify.Channel{pages}, Correlation: c.Rule})

	drain := func(step func(context.Context) (int, error)) error {
		for range 1000 {
			n, err := step(ctx)
			if err != nil || n == 0 {
				return err
			}
		}
		return fmt.Errorf("still busy after 1000 rounds")
	}
	escalate := func() error {
		if err := drain(p.Escalator.RunOnce); err != nil {
			return fmt.Errorf("escalations: %w", err)
		}
		if err := drain(p.Dispatcher.RunOnce); err != nil {
			return fmt.Errorf("dispatch: %w", err)
		}
		return nil
	}
	nextEscalation := in.Start
	for _, ev := range feed(in) {
		for !nextEscalation.After(ev.ReceivedAt) {
			now = nextEscalation
			if err := escalate(); err != nil {
				return nil, err
			}
			nextEscalation = nextEscalation.Add(escalateEvery)
		}
		now = ev.ReceivedAt
		if err := st.AppendInbox(ctx, []store.InboxEvent{ev}); err != nil {
			return nil, err
		}
		if err := drain(p.Processor.RunOnce); err != nil {
			return nil, fmt.Errorf("process: %w", err)
		}
	}
	now = in.End.Add(time.Minute)
	if err := escalate(); err != nil {
		return nil, err
	}

	out := &Outcome{IncidentOf: make([]int64, len(in.Alerts)), Incidents: map[int64]incident.Incident{}}
	for before := int64(0); ; {
		alerts, err := st.ListAlerts(ctx, store.AlertQuery{BeforeID: before, Limit: 500})
		if err != nil {
			return nil, err
		}
		if len(alerts) == 0 {
			break
		}
		for _, a := range alerts {
			i, err := strconv.Atoi(a.DedupKey)
			if err != nil || i < 0 || i >= len(in.Alerts) {
				return nil, fmt.Errorf("alert %d has a dedup key that names no injected alert: %q", a.ID, a.DedupKey)
			}
			out.IncidentOf[i] = a.IncidentID
			if _, ok := out.Incidents[a.IncidentID]; !ok {
				inc, err := st.GetIncident(ctx, a.IncidentID)
				if err != nil {
					return nil, err
				}
				out.Incidents[a.IncidentID] = inc
			}
		}
		before = alerts[len(alerts)-1].ID
	}
	for i, id := range out.IncidentOf {
		if id == 0 {
			return nil, fmt.Errorf("injected alert %d on %s was never stored", i, in.Alerts[i].Service)
		}
	}
	out.IRTPages = pages.irt
	return out, nil
}

// feed turns the injected alerts and changes into inbox events in time
// order. An alert's dedup key is its index.
func feed(in *Injected) []store.InboxEvent {
	events := make([]store.InboxEvent, 0, len(in.Alerts)+len(in.Changes))
	for i, a := range in.Alerts {
		body, _ := json.Marshal(ingest.Event{Action: ingest.ActionTrigger, DedupKey: strconv.Itoa(i), Summary: a.Service + " is failing",
			Source: "correlbench", Severity: "critical", Timestamp: a.At})
		events = append(events, store.InboxEvent{ReceivedAt: a.At, Kind: store.InboxAlert, IntegrationKey: IntegrationKey(a.Service), Service: a.Service, Payload: body})
	}
	for _, c := range in.Changes {
		body, _ := json.Marshal(ingest.ChangeEvent{Summary: "deploy of " + c.Service, Source: "ci", Timestamp: c.At})
		events = append(events, store.InboxEvent{ReceivedAt: c.At, Kind: store.InboxChange, IntegrationKey: IntegrationKey(c.Service), Service: c.Service, Payload: body})
	}
	slices.SortStableFunc(events, func(a, b store.InboxEvent) int { return cmp.Compare(a.ReceivedAt.UnixNano(), b.ReceivedAt.UnixNano()) })
	return events
}
