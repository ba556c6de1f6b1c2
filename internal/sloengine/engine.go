// Package sloengine runs Vigil's SLOs: it keeps each SLO's event counts in
// memory (pushed points from the store, Prometheus SLIs pulled on a
// schedule), evaluates every SLO each minute with package slo, and raises
// and resolves burn-rate alerts through the alert pipeline.
//
// The engine is owned by `vigil serve`: Run drives it until its context
// ends. Time comes from an injected clock, and Tick is one whole cycle, so
// tests drive the engine minute by minute without sleeping.
//
// Several replicas may run an engine each: pushed points reach every one
// through the store (a replica picks up the points others stored by their
// receive time), each pulls Prometheus itself, and their alerts meet in the
// pipeline, which deduplicates them by the SLO's dedup key.
package sloengine

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/ingest"
	"github.com/vigil-oncall/vigil/internal/slo"
	"github.com/vigil-oncall/vigil/internal/store"
)

// Store is what the engine reads pushed points from.
type Store interface {
	ListSLOPoints(ctx context.Context, q store.SLOPointQuery) ([]store.SLOPoint, error)
	PruneSLOData(ctx context.Context, before time.Time) (int64, error)
}

// Defaults of Options.
const (
	DefaultInterval  = time.Minute
	DefaultPullDelay = 30 * time.Second
	// step is the length of a series bucket and of a pulled sample.
	step = time.Minute
	// receiveSlack is how far back each poll of the store looks for points
	// other replicas stored: longer than any write transaction stays open,
	// so that a point committed late is still seen.
	receiveSlack = 2 * time.Minute
	// chunkSteps bounds the samples one range query asks for, well below
	// Prometheus's 11,000 points per series.
	chunkSteps = 1440
	// pruneEvery is how often stored points past every window are deleted,
	// and minRetention how long they are kept at least.
	pruneEvery   = time.Hour
	minRetention = 35 * duration.Day
)

// Options configures an Engine.
type Options struct {
	Store Store
	// SLOs returns the configured SLOs (the configuration snapshot's). A
	// slice it returns must not change afterwards: a new configuration
	// comes as a new slice, and the same slice again means no change.
	SLOs func() []slo.SLO
	// Accept stores alert events durably in the pipeline's inbox.
	Accept func(ctx context.Context, events ...store.InboxEvent) error
	// Client queries Prometheus; nil means one with a 10s timeout.
	Client *http.Client
	Now    func() time.Time
	Logger *slog.Logger
	// Interval is the evaluation cycle of Run; zero means a minute.
	Interval time.Duration
	// PullDelay is how long after a minute ends it is pulled, so that the
	// scrapes of that minute have reached Prometheus; zero means 30s.
	PullDelay time.Duration
}

// Engine evaluates SLOs. Create it with New.
type Engine struct {
	store     Store
	slos      func() []slo.SLO
	accept    func(ctx context.Context, events ...store.InboxEvent) error
	prom      promClient
	now       func() time.Time
	log       *slog.Logger
	interval  time.Duration
	pullDelay time.Duration

	// pullMu serialises cycles: a cycle's pulls run without mu held, so
	// that status reads are not held up by Prometheus.
	pullMu sync.Mutex
	// raiseMu serialises raising alerts, by cycles and by pushes, from
	// evaluation to recording what was sent; raisedAt is the latest
	// instant evaluated for alerts, which never goes back, so that a cycle
	// begun before a push cannot resolve the alert the push raised.
	raiseMu  sync.Mutex
	raisedAt time.Time

	mu     sync.Mutex
	states map[string]*state
	// seen holds the ids of pushed points already counted, with their
	// receive time, for as long as a poll may return them again.
	seen   map[int64]time.Time
	loaded bool
	// synced is the slice of definitions the states follow: while SLOs
	// hands out the same one, syncLocked has nothing to compare.
	synced    []slo.SLO
	lastPoll  time.Time
	lastPrune time.Time
}

// state is one SLO's data and alert.
type state struct {
	def         slo.SLO
	fingerprint string
	series      *slo.Series
	// pulledTo is the end of the last minute pulled from Prometheus; zero
	// until the first backfill.
	pulledTo time.Time
	pullErr  string
	// alertKnown is false until the engine has told the pipeline this SLO's
	// alert state once; alertSeverity is the severity of the open alert
	// ("" for none).
	alertKnown    bool
	alertSeverity string
}

// New returns an engine; call Run, or Tick from tests.
func New(o Options) *Engine {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.PullDelay <= 0 {
		o.PullDelay = DefaultPullDelay
	}
	if o.SLOs == nil {
		o.SLOs = func() []slo.SLO { return nil }
	}
	return &Engine{
		store: o.Store, slos: o.SLOs, accept: o.Accept, prom: promClient{http: o.Client},
		now: o.Now, log: o.Logger, interval: o.Interval, pullDelay: o.PullDelay,
		states: map[string]*state{}, seen: map[int64]time.Time{},
	}
}

// Run ticks every interval until ctx ends.
func (e *Engine) Run(ctx context.Context) {
	t := time.NewTicker(e.interval)
	defer t.Stop()
	for {
		if err := e.Tick(ctx, e.now()); err != nil && ctx.Err() == nil {
			e.log.Error("SLO evaluation failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick is one cycle at now: it follows configuration changes, reads the
// points other replicas stored, pulls Prometheus SLIs, evaluates every SLO
// and raises or resolves its alert.
func (e *Engine) Tick(ctx context.Context, now time.Time) error {
	e.pullMu.Lock()
	defer e.pullMu.Unlock()
	e.mu.Lock()
	err := e.syncLocked(ctx, now)
	if err == nil {
		err = e.pollLocked(ctx, now)
	}
	jobs := e.pullJobsLocked(now)
	e.mu.Unlock()
	if err != nil {
		return err
	}

	results := make([]pullResult, len(jobs))
	for i, j := range jobs {
		results[i] = e.pull(ctx, j)
	}

	e.mu.Lock()
	e.applyPullsLocked(results)
	e.mu.Unlock()
	if err := e.raise(ctx, now, nil); err != nil {
		return err
	}
	e.prune(ctx, now)
	return nil
}

// raise evaluates the SLOs named in only (every SLO when nil) at now, or
// at the latest instant evaluated before if that is later, and raises or
// resolves their alerts through the pipeline.
func (e *Engine) raise(ctx context.Context, now time.Time, only map[string]bool) error {
	e.raiseMu.Lock()
	defer e.raiseMu.Unlock()
	if now.Before(e.raisedAt) {
		now = e.raisedAt
	}
	e.raisedAt = now
	e.mu.Lock()
	events, sent := e.alertsLocked(now, only)
	e.mu.Unlock()
	if len(events) == 0 || e.accept == nil {
		return nil
	}
	if err := e.accept(ctx, events...); err != nil {
		return fmt.Errorf("send SLO alerts: %w", err)
	}
	e.mu.Lock()
	for name, severity := range sent {
		if st := e.states[name]; st != nil {
			st.alertKnown, st.alertSeverity = true, severity
		}
	}
	e.mu.Unlock()
	return nil
}

// syncLocked follows the configuration: new SLOs get a series (filled from
// the store when pushed), changed ones start afresh, removed ones go.
func (e *Engine) syncLocked(ctx context.Context, now time.Time) error {
	defs := e.slos()
	if e.loaded && sameSlice(defs, e.synced) {
		return nil
	}
	want := make(map[string]bool, len(defs))
	var reload []string
	for _, def := range defs {
		want[def.Name] = true
		fp := fingerprint(def)
		if st, ok := e.states[def.Name]; ok && st.fingerprint == fp {
			continue
		}
		old := e.states[def.Name]
		st := &state{def: def, fingerprint: fp, series: slo.NewSeries(step, slo.SpanFor(def))}
		if old != nil {
			// The alert outlives a change of definition: the next
			// evaluation raises or resolves it.
			st.alertKnown, st.alertSeverity = old.alertKnown, old.alertSeverity
		}
		e.states[def.Name] = st
		if def.Indicator.Source == slo.SourcePush {
			reload = append(reload, def.Name)
		}
	}
	for name := range e.states {
		if !want[name] {
			delete(e.states, name)
		}
	}
	if !e.loaded {
		if err := e.loadLocked(ctx, "", now); err != nil {
			return err
		}
		e.loaded, e.lastPoll, e.synced = true, now, defs
		return nil
	}
	for _, name := range reload {
		if err := e.loadLocked(ctx, name, now); err != nil {
			return err
		}
	}
	e.synced = defs
	return nil
}

// sameSlice reports whether a and b are the same slice, not merely equal.
func sameSlice(a, b []slo.SLO) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// loadLocked reads the stored points of one SLO ("" for every SLO) that
// its window still needs.
func (e *Engine) loadLocked(ctx context.Context, name string, now time.Time) error {
	if e.store == nil {
		return nil
	}
	var span time.Duration
	for _, st := range e.states {
		if name == "" || st.def.Name == name {
			span = max(span, slo.SpanFor(st.def))
		}
	}
	if span == 0 {
		return nil
	}
	q := store.SLOPointQuery{SLO: name, Since: now.Add(-span), Limit: store.MaxSLOPointLimit}
	for {
		points, err := e.store.ListSLOPoints(ctx, q)
		if err != nil {
			return fmt.Errorf("load SLO points: %w", err)
		}
		// The series being filled are new: every point counts, and the
		// recent ones are marked so that the next poll skips them.
		for _, p := range points {
			e.addLocked(p)
			if !p.ReceivedAt.Before(now.Add(-receiveSlack)) {
				e.seen[p.ID] = p.ReceivedAt
			}
		}
		if len(points) < q.Limit {
			return nil
		}
		q.AfterID = points[len(points)-1].ID
	}
}

// pollLocked reads the points stored since the last poll, by any replica.
func (e *Engine) pollLocked(ctx context.Context, now time.Time) error {
	if e.store == nil {
		return nil
	}
	from := e.lastPoll.Add(-receiveSlack)
	q := store.SLOPointQuery{ReceivedSince: from, Limit: store.MaxSLOPointLimit}
	for {
		points, err := e.store.ListSLOPoints(ctx, q)
		if err != nil {
			return fmt.Errorf("poll SLO points: %w", err)
		}
		for _, p := range points {
			if _, dup := e.seen[p.ID]; dup {
				continue
			}
			e.seen[p.ID] = p.ReceivedAt
			e.addLocked(p)
		}
		if len(points) < q.Limit {
			break
		}
		q.AfterID = points[len(points)-1].ID
	}
	e.lastPoll = now
	// Later polls start after from: ids received before it cannot come back.
	for id, at := range e.seen {
		if at.Before(from) {
			delete(e.seen, id)
		}
	}
	return nil
}

// addLocked counts a pushed point; it reports whether it counted.
func (e *Engine) addLocked(p store.SLOPoint) bool {
	st := e.states[p.SLO]
	if st == nil || st.def.Indicator.Source != slo.SourcePush {
		return false
	}
	return st.series.Add(slo.Point{At: p.At, Good: p.Good, Total: p.Total})
}

// Added counts points just stored by this replica (the push endpoint) and
// evaluates their SLOs at once, raising or resolving their alerts, so
// that a fast burn pages within moments of the data that shows it rather
// than at the next cycle.
func (e *Engine) Added(ctx context.Context, points []store.SLOPoint) error {
	now := e.now()
	e.mu.Lock()
	if err := e.syncLocked(ctx, now); err != nil {
		e.mu.Unlock()
		return err
	}
	changed := map[string]bool{}
	for _, p := range points {
		if _, dup := e.seen[p.ID]; dup || p.ID == 0 {
			continue
		}
		e.seen[p.ID] = p.ReceivedAt
		if e.addLocked(p) {
			changed[p.SLO] = true
		}
	}
	e.mu.Unlock()
	if len(changed) == 0 {
		return nil
	}
	return e.raise(ctx, now, changed)
}

// prune deletes stored points that no window needs any more, once an hour.
func (e *Engine) prune(ctx context.Context, now time.Time) {
	if e.store == nil || now.Sub(e.lastPrune) < pruneEvery {
		return
	}
	e.lastPrune = now
	keep := minRetention
	for _, def := range e.slos() {
		keep = max(keep, slo.SpanFor(def)+duration.Day)
	}
	if _, err := e.store.PruneSLOData(ctx, now.Add(-keep)); err != nil {
		e.log.Warn("prune SLO points", "err", err)
	}
}

// fingerprint identifies a definition: a change of any field starts the
// SLO afresh.
func fingerprint(def slo.SLO) string {
	b, err := json.Marshal(def)
	if err != nil {
		return def.Name
	}
	if def.Window.Location != nil {
		b = append(b, def.Window.Location.String()...)
	}
	return string(b)
}

// View is an SLO as the engine sees it at one instant.
type View struct {
	SLO    slo.SLO    `json:"slo"`
	Status slo.Status `json:"status"`
	// PullError is the last failure to pull the SLI from Prometheus, empty
	// when the last pull worked.
	PullError string `json:"pull_error,omitempty"`
	// PulledTo is the end of the last minute pulled from Prometheus.
	PulledTo *time.Time `json:"pulled_to,omitempty"`
}

// Status evaluates one SLO at now; ok is false for an unknown SLO.
func (e *Engine) Status(ctx context.Context, name string, now time.Time) (View, bool, error) {
	return e.statusAt(ctx, name, now, now)
}

// StatusAt evaluates one SLO at at as it stood then, when at is before
// now: a pushed SLI from its stored points that had arrived by then, a
// pulled one from the series the engine keeps. Points older than the
// engine keeps (its spans and a day) count as missing. At or after now it
// is Status at now: a budget cannot be known ahead. ok is false for an
// unknown SLO.
func (e *Engine) StatusAt(ctx context.Context, name string, at time.Time) (View, bool, error) {
	now := e.now()
	if at.After(now) {
		at = now
	}
	return e.statusAt(ctx, name, now, at)
}

// statusAt brings the SLOs up to date at now and evaluates one at at, no
// later than now.
func (e *Engine) statusAt(ctx context.Context, name string, now, at time.Time) (View, bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.syncLocked(ctx, now); err != nil {
		return View{}, false, err
	}
	st := e.states[name]
	if st == nil {
		return View{}, false, nil
	}
	if !at.Before(now) || st.def.Indicator.Source != slo.SourcePush || e.store == nil {
		return viewOf(st, at), true, nil
	}
	span := slo.SpanFor(st.def)
	series := slo.NewSeries(step, span)
	q := store.SLOPointQuery{SLO: name, Since: at.Add(-span), Limit: store.MaxSLOPointLimit}
	for {
		points, err := e.store.ListSLOPoints(ctx, q)
		if err != nil {
			return View{}, false, fmt.Errorf("SLO points of %s: %w", name, err)
		}
		for _, p := range points {
			if p.At.Before(at) && !p.ReceivedAt.After(at) {
				series.Add(slo.Point{At: p.At, Good: p.Good, Total: p.Total})
			}
		}
		if len(points) < q.Limit {
			break
		}
		q.AfterID = points[len(points)-1].ID
	}
	return View{SLO: st.def, Status: slo.Evaluate(st.def, series, at)}, true, nil
}

// Statuses evaluates every SLO at now, by name.
func (e *Engine) Statuses(ctx context.Context, now time.Time) ([]View, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.syncLocked(ctx, now); err != nil {
		return nil, err
	}
	out := make([]View, 0, len(e.states))
	for _, st := range e.states {
		out = append(out, viewOf(st, now))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SLO.Name < out[j].SLO.Name })
	return out, nil
}

func viewOf(st *state, now time.Time) View {
	v := View{SLO: st.def, Status: slo.Evaluate(st.def, st.series, now), PullError: st.pullErr}
	if !st.pulledTo.IsZero() {
		t := st.pulledTo
		v.PulledTo = &t
	}
	return v
}

// IncidentShare is the share of an SLO's error budget that the bad events
// of [from, to) consumed; ok is false for an unknown SLO.
func (e *Engine) IncidentShare(name string, from, to time.Time) (float64, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.states[name]
	if st == nil {
		return 0, false
	}
	return slo.IncidentShare(st.def, st.series, from, to), true
}

// Share is an incident with the share of an SLO's error budget it
// consumed.
type Share struct {
	Incident incident.Incident
	// Budget is the share, rounded to four places.
	Budget float64
	// NeedsPostmortem is set past the share that calls for one.
	NeedsPostmortem bool
}

// IncidentShares weighs incidents against the error budget of the SLO of
// v: each open at some time in its window, with the share of the budget
// the bad events of its time consumed (up to now while it is open).
func (e *Engine) IncidentShares(v View, incs []incident.Incident, now time.Time) []Share {
	out := []Share{}
	for _, inc := range incs {
		end := now
		if inc.ResolvedAt != nil {
			end = *inc.ResolvedAt
		}
		if end.Before(v.Status.WindowStart) {
			continue
		}
		share, ok := e.IncidentShare(v.SLO.Name, inc.CreatedAt, end)
		if !ok {
			continue
		}
		out = append(out, Share{Incident: inc, Budget: math.Round(share*1e4) / 1e4, NeedsPostmortem: slo.NeedsPostmortem(share)})
	}
	return out
}

// alertsLocked evaluates the SLOs named in only (every SLO when nil) and
// returns the alert events their states call for, with the alert severity
// each SLO has once they are sent.
func (e *Engine) alertsLocked(now time.Time, only map[string]bool) ([]store.InboxEvent, map[string]string) {
	var events []store.InboxEvent
	sent := map[string]string{}
	names := make([]string, 0, len(e.states))
	for name := range e.states {
		if only == nil || only[name] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		st := e.states[name]
		status := slo.Evaluate(st.def, st.series, now)
		a, firing := status.Alert()
		switch {
		case firing && (!st.alertKnown || st.alertSeverity == ""):
			events = append(events, alertEvent(st.def, ingest.ActionTrigger, a, status, now))
			sent[name] = a.Details.Severity
		case firing && st.alertSeverity == slo.SeverityTicket && a.Details.Severity == slo.SeverityPage:
			// A ticket alert is low urgency and would stay so: a faster burn
			// closes it and opens a page.
			events = append(events, alertEvent(st.def, ingest.ActionResolve, a, status, now),
				alertEvent(st.def, ingest.ActionTrigger, a, status, now))
			sent[name] = slo.SeverityPage
		case !firing && (!st.alertKnown || st.alertSeverity != ""):
			a = slo.Alert{Service: st.def.Service, DedupKey: dedupKey(st.def)}
			events = append(events, alertEvent(st.def, ingest.ActionResolve, a, status, now))
			sent[name] = ""
		}
	}
	return events, sent
}

// IntegrationKey is the synthetic integration key of an SLO's alerts.
func IntegrationKey(sloName string) string { return "slo:" + sloName }

func dedupKey(def slo.SLO) string {
	st := slo.Status{SLO: def.Name, Service: def.Service, Firing: &slo.Firing{}}
	a, _ := st.Alert()
	return a.DedupKey
}

// alertEvent is the pipeline event of an SLO's alert.
func alertEvent(def slo.SLO, action ingest.Action, a slo.Alert, status slo.Status, now time.Time) store.InboxEvent {
	ev := ingest.Event{Action: action, DedupKey: a.DedupKey, Timestamp: now.UTC()}
	if action == ingest.ActionTrigger {
		f := a.Details
		var exhaustion any
		if f.TimeToExhaustion != nil {
			exhaustion = f.TimeToExhaustion.String()
		}
		ev.Summary, ev.Severity, ev.Source = a.Summary, a.Severity, "vigil-slo"
		ev.Component, ev.Class = def.Name, "slo-burn-rate"
		ev.Details = map[string]any{
			"slo":                def.Name,
			"tier":               f.Tier,
			"tier_severity":      f.Severity,
			"urgency":            f.Urgency,
			"burn_rate":          round(f.BurnRate),
			"short_burn_rate":    round(f.ShortBurnRate),
			"factor":             f.Factor,
			"long_window":        f.Long.String(),
			"short_window":       f.Short.String(),
			"budget_remaining":   round(f.BudgetRemaining),
			"budget_consumed":    round(status.BudgetConsumed),
			"time_to_exhaustion": exhaustion,
			"objective":          def.Objective,
		}
	}
	body, _ := json.Marshal(ev) // plain values always encode
	return store.InboxEvent{
		Kind: store.InboxAlert, IntegrationKey: IntegrationKey(def.Name), Service: def.Service,
		Payload: body, ReceivedAt: now.UTC(),
	}
}

// round keeps four decimals: the details are for people.
func round(f float64) float64 { return math.Round(f*1e4) / 1e4 }

// pullJob is one SLO's pull from Prometheus: the minutes ending in
// (from, to].
type pullJob struct {
	name, fingerprint string
	ind               slo.Indicator
	from, to          time.Time
}

type pullResult struct {
	job    pullJob
	points []slo.Point
	err    error
}

// pullJobsLocked lists the pulls due at now: every whole minute ending at
// or before now − the pull delay that was not pulled yet, back to the
// start of the SLO's span.
func (e *Engine) pullJobsLocked(now time.Time) []pullJob {
	end := now.Add(-e.pullDelay).Truncate(step)
	var jobs []pullJob
	for name, st := range e.states {
		if st.def.Indicator.Source != slo.SourcePrometheus || st.def.Indicator.URL == "" {
			continue
		}
		from := end.Add(-slo.SpanFor(st.def)).Truncate(step)
		if st.pulledTo.After(from) {
			from = st.pulledTo
		}
		if !end.After(from) {
			continue
		}
		jobs = append(jobs, pullJob{name: name, fingerprint: st.fingerprint, ind: st.def.Indicator, from: from, to: end})
	}
	sort.Slice(jobs, func(i, j int) bool { return jobs[i].name < jobs[j].name })
	return jobs
}

func (e *Engine) applyPullsLocked(results []pullResult) {
	for _, r := range results {
		st := e.states[r.job.name]
		if st == nil || st.fingerprint != r.job.fingerprint {
			continue // the definition changed meanwhile
		}
		if r.err != nil {
			st.pullErr = r.err.Error()
			e.log.Warn("SLO pull failed", "slo", r.job.name, "err", r.err)
			continue
		}
		for _, p := range r.points {
			st.series.Add(p)
		}
		st.pulledTo, st.pullErr = r.job.to, ""
	}
}

// pull reads one job's minutes: instant queries for a single minute, range
// queries in chunks for more (a backfill, or catching up after an outage).
func (e *Engine) pull(ctx context.Context, j pullJob) pullResult {
	res := pullResult{job: j}
	for from := j.from; from.Before(j.to); {
		to := from.Add(chunkSteps * step)
		if to.After(j.to) {
			to = j.to
		}
		points, err := e.pullRange(ctx, j.ind, from, to)
		if err != nil {
			res.err = err
			return res
		}
		res.points = append(res.points, points...)
		from = to
	}
	return res
}

// pullRange reads the minutes ending in (from, to].
func (e *Engine) pullRange(ctx context.Context, ind slo.Indicator, from, to time.Time) ([]slo.Point, error) {
	query := func(q string) ([]sample, error) {
		q = strings.ReplaceAll(q, slo.WindowPlaceholder, "1m")
		if to.Sub(from) == step {
			v, ok, err := e.prom.instant(ctx, ind.URL, q, to)
			if err != nil || !ok {
				return nil, err
			}
			return []sample{{At: to, Value: v}}, nil
		}
		return e.prom.rangeQuery(ctx, ind.URL, q, from.Add(step), to, step)
	}
	if ind.Kind == slo.Threshold {
		samples, err := query(ind.Query)
		if err != nil {
			return nil, err
		}
		points := make([]slo.Point, len(samples))
		for i, s := range samples {
			good := 0.0
			if ind.SampleGood(s.Value) {
				good = 1
			}
			points[i] = slo.Point{At: s.At, Good: good, Total: 1}
		}
		return points, nil
	}
	counted := ind.Good
	if ind.Kind == slo.RatioBad {
		counted = ind.Bad
	}
	countedSamples, err := query(counted)
	if err != nil {
		return nil, err
	}
	totals, err := query(ind.Total)
	if err != nil {
		return nil, err
	}
	byTime := make(map[int64]float64, len(countedSamples))
	for _, s := range countedSamples {
		byTime[s.At.UnixMilli()] = s.Value
	}
	points := make([]slo.Point, 0, len(totals))
	for _, t := range totals {
		if t.Value <= 0 {
			continue
		}
		c := max(byTime[t.At.UnixMilli()], 0)
		good := c
		if ind.Kind == slo.RatioBad {
			good = t.Value - min(c, t.Value)
		}
		points = append(points, slo.Point{At: t.At, Good: min(good, t.Value), Total: t.Value})
	}
	return points, nil
}
