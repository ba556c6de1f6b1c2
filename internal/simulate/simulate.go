// Package simulate replays a recorded alert history against alternative
// organisations — each a configuration as "vigil validate" accepts — and
// answers who would have been woken, how often, how many hours of
// guaranteed response each needs, what it costs and how long until someone
// is engaged.
//
// It runs the server's own rules and nothing of its own: urgency
// (alert.UrgencyOf), who is on call (routing and schedule), the policy a
// service runs with its IRT coverage woven in (routing.EffectivePolicy),
// escalation steps (escalation.State), correlation (correlate), business,
// off and sleep hours (hours), and the reports' interruptions, standby,
// coverage and cost (report), over a simulated clock: the alerts' own
// timestamps. It is a pure core: no I/O, no clock.
package simulate

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/correlate"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/holiday"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/report"
	"github.com/vigil-oncall/vigil/internal/routing"
	"github.com/vigil-oncall/vigil/internal/schedule"
)

// Alert is one alert of a history, as "vigil export history" writes it,
// one JSON object a line.
type Alert struct {
	Timestamp time.Time `json:"timestamp"`
	Service   string    `json:"service"`
	Severity  string    `json:"severity"`
	Summary   string    `json:"summary"`
	DedupKey  string    `json:"dedup_key"`
	// AcknowledgedAt and ResolvedAt are when the alert was acknowledged
	// and resolved, where the history knows.
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	ResolvedAt     *time.Time `json:"resolved_at,omitempty"`
}

// Org is an organisation to replay the history against.
type Org struct {
	Name string
	Snap *org.Snapshot
}

// Options tune a simulation.
type Options struct {
	// From and To bound the period replayed; zero: the history's span in
	// whole UTC days. Alerts outside it are left out.
	From, To time.Time
}

// Result is the answer for every organisation, with the differences from
// the first.
type Result struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Alerts int       `json:"alerts"`
	// Notes say what the history did not tell and how the replay filled
	// it in.
	Notes       []string     `json:"notes"`
	Orgs        []OrgResult  `json:"orgs"`
	Differences []Difference `json:"differences"`
	Method      []string     `json:"method"`
}

// OrgResult is what one organisation would have lived through.
type OrgResult struct {
	Name     string      `json:"name"`
	Currency string      `json:"currency,omitempty"`
	People   []PersonRow `json:"people"`
	Teams    []TeamRow   `json:"teams"`
	Totals   Totals      `json:"totals"`
	// Unmapped are the services of the history this organisation lacks,
	// with how many alerts each had: they paged nobody here.
	Unmapped []Unmapped `json:"unmapped"`
}

// Figures are what the comparison counts, for a person, a team or a
// whole organisation.
type Figures struct {
	// Pages are the incidents that paged people, split by the part of the
	// paged person's day in their own zone.
	Pages    int `json:"pages"`
	Business int `json:"business"`
	Off      int `json:"off"`
	Sleep    int `json:"sleep"`
	// Notices are low-urgency incidents told in business hours: nobody is
	// woken for those.
	Notices int `json:"notices"`
	// StandbyHours are hours on call on schedules that a policy pages.
	StandbyHours float64 `json:"standby_hours"`
	// Cost is org.costs over the standby, the pages and response time.
	Cost float64 `json:"cost"`
	// EngageMinutes is the mean time from an incident's first alert to
	// the page: for a person, their page; for a team or the whole
	// organisation, the page that was acknowledged (the last before the
	// acknowledgement, the first where none is known).
	EngageMinutes float64 `json:"engage_minutes"`
}

// PersonRow is one person's figures.
type PersonRow struct {
	User     string   `json:"user"`
	Name     string   `json:"name,omitempty"`
	TimeZone string   `json:"time_zone"`
	Teams    []string `json:"teams"`
	Figures
	// Holiday counts the pages on a public holiday of their country.
	Holiday int `json:"holiday"`
}

// TeamRow adds up a team's members (a person in two teams counts in both)
// and the incidents on the services it owns.
type TeamRow struct {
	Team    string `json:"team"`
	Kind    string `json:"kind"`
	Members int    `json:"members"`
	Figures
	// GuaranteedHours are the hours someone was on call on the schedules
	// its policy pages first (report.ReportCoverage); Needs24x7 says it
	// owns or covers a critical service.
	GuaranteedHours float64 `json:"guaranteed_hours"`
	Needs24x7       bool    `json:"needs_24x7"`
	// Incidents opened on services it owns.
	Incidents int `json:"incidents"`
}

// Totals are an organisation's figures, each person counted once.
type Totals struct {
	People int `json:"people"`
	Figures
	GuaranteedHours float64 `json:"guaranteed_hours"`
	// Incidents is how many the alerts formed (after dedup and
	// correlation), HighUrgency those that page, Major those that paged
	// the global IRT, Escalated those that went past their first step,
	// Unpaged high-urgency ones that found nobody to page.
	Incidents   int `json:"incidents"`
	HighUrgency int `json:"high_urgency"`
	Major       int `json:"major"`
	Escalated   int `json:"escalated"`
	Unpaged     int `json:"unpaged"`
	// Repeats are alerts that arrived while one with their dedup key was
	// open, Correlated those that joined another service's incident.
	Repeats    int `json:"repeats"`
	Correlated int `json:"correlated"`
	// Merged are incidents that correlation merged into another: an alert
	// whose service explains them (or joined one on the same evidence)
	// came later. They count in Incidents.
	Merged int `json:"merged"`
	// NoticeHours is the mean wait of a low-urgency incident for business
	// hours.
	NoticeHours float64 `json:"notice_hours"`
}

// Unmapped is a service of the history that an organisation lacks.
type Unmapped struct {
	Service string    `json:"service"`
	Alerts  int       `json:"alerts"`
	First   time.Time `json:"first"`
	Last    time.Time `json:"last"`
}

// Difference is an organisation's totals less those of the first one.
type Difference struct {
	Org             string  `json:"org"`
	Against         string  `json:"against"`
	Pages           int     `json:"pages"`
	Sleep           int     `json:"sleep"`
	Off             int     `json:"off"`
	StandbyHours    float64 `json:"standby_hours"`
	GuaranteedHours float64 `json:"guaranteed_hours"`
	Cost            float64 `json:"cost"`
	EngageMinutes   float64 `json:"engage_minutes"`
}

// Run replays the alerts against each organisation. The alerts need not
// be sorted; Run does not change them.
func Run(alerts []Alert, orgs []Org, opts Options) (*Result, error) {
	if len(orgs) == 0 {
		return nil, fmt.Errorf("no organisation to simulate")
	}
	sorted := slices.Clone(alerts)
	slices.SortStableFunc(sorted, func(a, b Alert) int { return a.Timestamp.Compare(b.Timestamp) })
	period := report.Period{From: opts.From, To: opts.To}
	if period.From.IsZero() && len(sorted) > 0 {
		period.From = sorted[0].Timestamp.UTC().Truncate(24 * time.Hour)
	}
	if period.To.IsZero() && len(sorted) > 0 {
		period.To = sorted[len(sorted)-1].Timestamp.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	}
	if err := period.Check(); err != nil {
		return nil, fmt.Errorf("period to replay: %w", err)
	}
	in := sorted[:0:0]
	for _, a := range sorted {
		if period.Contains(a.Timestamp) {
			in = append(in, a)
		}
	}
	res := &Result{From: period.From, To: period.To, Alerts: len(in), Orgs: make([]OrgResult, len(orgs)), Differences: []Difference{}}
	notes := notesOf(in)
	errs := make([]error, len(orgs))
	// The organisations are independent: each gets a goroutine, and Run
	// waits for all of them.
	done := make(chan struct{})
	for i, o := range orgs {
		go func() {
			defer func() { done <- struct{}{} }()
			res.Orgs[i], errs[i] = replay(in, o, period)
		}()
	}
	for range orgs {
		<-done
	}
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("organisation %s: %w", orgs[i].Name, err)
		}
	}
	res.Notes = notes
	res.Method = method
	for _, o := range res.Orgs[1:] {
		res.Differences = append(res.Differences, differenceOf(o, res.Orgs[0]))
	}
	return res, nil
}

// method says how the figures come about.
var method = []string{
	"Each alert goes through the organisation's own rules, with the server's code: severity to urgency (low urgency never pages; it notifies the owner team's on-call when its business hours next begin), dedup while an alert with the same service and dedup key is open, correlation into an open incident over the dependency graph within the correlation window (the server's placement: the most strongly linked incident, and the other open incidents the alert's service explains merge into it, their escalation stopped), and the service's escalation policy with its IRT coverage woven in, resolved against the schedules at each step's instant.",
	"A correlated incident whose services two or more teams own is major and pages the global IRT, which takes the commander role.",
	"Escalation proceeds until the alert's acknowledgement in the history; an alert acknowledged at no known time is taken as acknowledged by the first step.",
	"Pages, standby, guaranteed response and cost are the server's reports over the replayed pages and the schedules' shifts: one page is one incident paging one person, bucketed in their own zone; standby is time on call on schedules that a policy pages; cost is org.costs over those (response time: everyone paged is engaged from their page, the commander from their role, until the incident resolved).",
	"Engage minutes: from an incident's first alert to the page that was acknowledged (the last before the acknowledgement; the first where none is known). Notice hours: from a low-urgency alert to the notice in business hours.",
}

// notesOf says what the history leaves out.
func notesOf(alerts []Alert) []string {
	var noAck, noResolve int
	for _, a := range alerts {
		if a.AcknowledgedAt == nil {
			noAck++
		}
		if a.ResolvedAt == nil {
			noResolve++
		}
	}
	notes := []string{"The history holds no change events: correlation joins on the dependency graph and the alerts alone."}
	if noAck > 0 {
		notes = append(notes, fmt.Sprintf("%d of %d alerts have no acknowledgement time: their first escalation step is taken as acknowledging them.", noAck, len(alerts)))
	}
	if noResolve > 0 {
		notes = append(notes, fmt.Sprintf("%d of %d alerts have no resolution time: they stay open for dedup, and their incidents count no response time after acknowledgement.", noResolve, len(alerts)))
	}
	return notes
}

func differenceOf(o, base OrgResult) Difference {
	return Difference{Org: o.Name, Against: base.Name,
		Pages: o.Totals.Pages - base.Totals.Pages, Sleep: o.Totals.Sleep - base.Totals.Sleep, Off: o.Totals.Off - base.Totals.Off,
		StandbyHours:    round2(o.Totals.StandbyHours - base.Totals.StandbyHours),
		GuaranteedHours: round2(o.Totals.GuaranteedHours - base.Totals.GuaranteedHours),
		Cost:            round2(o.Totals.Cost - base.Totals.Cost),
		EngageMinutes:   round2(o.Totals.EngageMinutes - base.Totals.EngageMinutes)}
}

// replay runs the history through one organisation.
func replay(alerts []Alert, o Org, period report.Period) (OrgResult, error) {
	r := newReplayer(o.Snap, period)
	for i := range alerts {
		r.alert(&alerts[i])
	}
	return r.result(o.Name, period)
}

// simIncident is a simulated incident.
type simIncident struct {
	id       int64
	created  time.Time
	service  string
	services []string
	high     bool
	major    bool
	ackAt    *time.Time
	resolved *time.Time
	end      time.Time // resolution, else acknowledgement, else opening
	// paged are the people paged so far, each once, and when: a handful,
	// so a slice rather than a map. People of an incident merged into
	// this one count from the merge.
	paged []pagedAt
	// escalatedAt is when it first went past its first step.
	escalatedAt time.Time
	// mergedAt is when correlation merged it into another incident
	// (zero: never): its pages after then were never sent.
	mergedAt time.Time
	// one holds services while the incident has only its first.
	one [1]string
	// engaged is when the page that was acknowledged went out: the last
	// page before the acknowledgement (the first, where none is known).
	engaged time.Time
	rec     report.Incident
}

type pagedAt struct {
	user string
	at   time.Time
}

func (inc *simIncident) pagedAlready(user string) bool {
	return slices.ContainsFunc(inc.paged, func(p pagedAt) bool { return p.user == user })
}

// acknowledgedBy reports whether the incident is acknowledged by t.
func (inc *simIncident) acknowledgedBy(t time.Time) bool {
	return inc.ackAt != nil && !inc.ackAt.After(t)
}

type replayer struct {
	snap   *org.Snapshot
	oncall *routing.OnCall
	rule   *correlate.Index
	window time.Duration

	incidents []*simIncident
	// slab is where the next incidents are made: a year's replay makes
	// hundreds of thousands, allocated a block at a time.
	slab  []simIncident
	pages []report.Page
	// open maps an alert's service and dedup key to when that alert
	// resolves (zero: never, as far as the history knows).
	open map[[2]string]time.Time
	// recent are the high-urgency incidents that may still take an alert,
	// oldest first; alerting the alerts of the correlation window.
	recent   []*simIncident
	alerting []timedService
	// open2 and verdicts are place's scratch space.
	open2    []*simIncident
	verdicts []correlate.Verdict
	counts   map[string]int

	unmapped map[string]*Unmapped
	notices  map[string]int
	engage   map[string]*mean // by person
	teamEng  map[string]*mean // by owner team
	teamInc  map[string]int
	totals   Totals
	totEng   mean
	noticeW  mean
	zones    map[string]*time.Location
}

type timedService struct {
	at      time.Time
	service string
}

type mean struct {
	sum time.Duration
	n   int
}

// meanOf returns the mean kept under key, made on first use.
func meanOf(means map[string]*mean, key string) *mean {
	m := means[key]
	if m == nil {
		m = &mean{}
		means[key] = m
	}
	return m
}

func (m *mean) add(d time.Duration) { m.sum += d; m.n++ }

func (m *mean) minutes() float64 {
	if m == nil || m.n == 0 {
		return 0
	}
	return round2(m.sum.Minutes() / float64(m.n))
}

// newReplayer replays against snap; schedules answer instants of the
// period from their shifts over it, worked out once.
func newReplayer(snap *org.Snapshot, period report.Period) *replayer {
	return &replayer{
		snap: snap, oncall: routing.NewOnCallOver(period.From, period.To), rule: snap.Correlation(), window: correlationWindow(snap),
		open: map[[2]string]time.Time{}, counts: map[string]int{}, unmapped: map[string]*Unmapped{},
		notices: map[string]int{}, engage: map[string]*mean{}, zones: map[string]*time.Location{}, teamEng: map[string]*mean{}, teamInc: map[string]int{},
	}
}

// defaultCorrelationWindow applies when org.correlation_window is unset,
// as on the server.
const defaultCorrelationWindow = 5 * time.Minute

func correlationWindow(snap *org.Snapshot) time.Duration {
	if w := snap.Bundle.Org.CorrelationWindow.Std(); w > 0 {
		return w
	}
	return defaultCorrelationWindow
}

// alert replays one alert at its own timestamp.
func (r *replayer) alert(a *Alert) {
	now := a.Timestamp
	svc := r.snap.Service(a.Service)
	if svc == nil {
		u := r.unmapped[a.Service]
		if u == nil {
			u = &Unmapped{Service: a.Service, First: now}
			r.unmapped[a.Service] = u
		}
		u.Alerts++
		u.Last = now
		return
	}
	if a.DedupKey != "" {
		key := [2]string{a.Service, a.DedupKey}
		if until, ok := r.open[key]; ok && (until.IsZero() || until.After(now)) {
			r.totals.Repeats++ // a repeat of an open alert pages nobody
			return
		}
		var until time.Time
		if a.ResolvedAt != nil {
			until = *a.ResolvedAt
		}
		r.open[key] = until
	}
	r.slide(now, a.Service)
	sev := alert.Severity(a.Severity)
	if alert.UrgencyOf(sev, svc.Urgency) != alert.UrgencyHigh {
		r.lowUrgency(svc, a)
		return
	}
	if inc, merge := r.place(svc, now); inc != nil {
		r.join(inc, merge, svc, now)
		return
	}
	r.highUrgency(svc, a)
}

// slide moves the correlation window to now and counts the alert in it.
func (r *replayer) slide(now time.Time, service string) {
	from := now.Add(-r.window)
	n := 0
	for n < len(r.alerting) && r.alerting[n].at.Before(from) {
		if r.counts[r.alerting[n].service]--; r.counts[r.alerting[n].service] == 0 {
			delete(r.counts, r.alerting[n].service)
		}
		n++
	}
	r.alerting = append(r.alerting[:0], r.alerting[n:]...)
	r.alerting = append(r.alerting, timedService{now, service})
	r.counts[service]++
	m := 0
	for m < len(r.recent) && r.recent[m].created.Before(from) {
		m++
	}
	r.recent = append(r.recent[:0], r.recent[m:]...)
}

func (r *replayer) newIncident(svc *catalog.Service, a *Alert, high bool) *simIncident {
	if len(r.slab) == 0 {
		r.slab = make([]simIncident, 1024)
	}
	inc := &r.slab[0]
	r.slab = r.slab[1:]
	*inc = simIncident{id: int64(len(r.incidents) + 1), created: a.Timestamp, service: svc.ID,
		high: high, ackAt: a.AcknowledgedAt, resolved: a.ResolvedAt}
	inc.one[0] = svc.ID
	inc.services = inc.one[:]
	switch {
	case a.ResolvedAt != nil && !a.ResolvedAt.Before(a.Timestamp):
		inc.end = *a.ResolvedAt
	case a.AcknowledgedAt != nil && !a.AcknowledgedAt.Before(a.Timestamp):
		inc.end = *a.AcknowledgedAt
	default:
		inc.end = a.Timestamp
	}
	urgency := alert.UrgencyLow
	if high {
		urgency = alert.UrgencyHigh
	}
	inc.rec = report.Incident{ID: inc.id, Title: a.Summary, Service: svc.ID, Services: inc.services,
		Severity: string(alert.Severity(a.Severity).Incident()), Urgency: string(urgency), CreatedAt: a.Timestamp}
	r.incidents = append(r.incidents, inc)
	r.totals.Incidents++
	r.teamInc[svc.Owner]++
	return inc
}

// lowUrgency notifies the owner team's on-call when its business hours
// next begin, as the server does; nobody is paged.
func (r *replayer) lowUrgency(svc *catalog.Service, a *Alert) {
	r.newIncident(svc, a, false)
	team := r.snap.Team(svc.Owner)
	if team == nil {
		return
	}
	due := r.snap.Hours().NextBusiness(a.Timestamp, r.zone(team.TimeZone))
	r.noticeW.add(due.Sub(a.Timestamp))
	for _, user := range r.oncall.TeamOnCall(r.snap, team, due) {
		r.notices[user]++
	}
}

// highUrgency opens an incident that pages: the IRT covering a critical
// service takes the commander role (parallel and primary coverage), and
// the effective policy runs until the alert's acknowledgement.
func (r *replayer) highUrgency(svc *catalog.Service, a *Alert) {
	now := a.Timestamp
	inc := r.newIncident(svc, a, true)
	r.totals.HighUrgency++
	r.recent = append(r.recent, inc)
	cov := routing.CoverageOf(r.snap, svc)
	if cov.IRT != nil && cov.Mode != catalog.CoverageBackup {
		if who := r.oncall.TeamOnCall(r.snap, cov.IRT, now); len(who) > 0 {
			inc.rec.Engagements = append(inc.rec.Engagements, report.Engagement{At: now, User: who[0], Role: string(incident.RoleCommander)})
		}
	}
	policy, ok := routing.EffectivePolicy(r.snap, svc, cov)
	if ok {
		r.escalate(inc, policy)
	}
	if len(inc.paged) == 0 {
		r.totals.Unpaged++
	}
}

// escalate runs the policy from the incident's opening: each step at its
// instant, until the acknowledgement the history records; without one,
// the first step is taken as acknowledging; a resolution ends it too.
func (r *replayer) escalate(inc *simIncident, policy escalation.Policy) {
	st := escalation.Start(inc.id, policy, inc.created)
	var stop *time.Time
	switch {
	case inc.ackAt != nil:
		stop = inc.ackAt
	case inc.end.After(inc.created):
		stop = &inc.end // resolved unacknowledged: it escalated until then
	}
	for first := true; ; first = false {
		step, ok := st.Due()
		if !ok || (!first && (stop == nil || !st.NextAt.Before(*stop))) {
			return
		}
		if (st.Step > 0 || st.Round > 0) && !inc.rec.Escalated {
			r.totals.Escalated++
			inc.rec.Escalated, inc.escalatedAt = true, st.NextAt
		}
		r.page(inc, step.Targets, st.NextAt)
		st = st.Advance(st.NextAt)
	}
}

// page pages the targets' users at an instant, each person once per
// incident: its first page to them is the interruption.
func (r *replayer) page(inc *simIncident, targets []escalation.Target, at time.Time) {
	users, _ := r.oncall.Targets(r.snap, targets, at)
	for _, u := range users {
		person := r.snap.User(u.User)
		if inc.pagedAlready(u.User) || person == nil || len(person.ContactMethods) == 0 {
			continue // as on the server, someone without a contact method is not paged
		}
		inc.paged = append(inc.paged, pagedAt{u.User, at})
		r.pages = append(r.pages, report.Page{Incident: inc.id, User: u.User, At: at, TimeZone: person.TimeZone})
		inc.rec.Engagements = append(inc.rec.Engagements, report.Engagement{At: at, User: u.User, Role: report.RoleResponder})
		if inc.engaged.IsZero() || (inc.ackAt != nil && at.After(inc.engaged) && !at.After(*inc.ackAt)) {
			inc.engaged = at
		}
	}
}

// place finds, by correlation, the open high-urgency incident an alert on
// svc joins and the others that merge into it, with the server's rule
// (correlate.Place).
func (r *replayer) place(svc *catalog.Service, now time.Time) (join *simIncident, merge []*simIncident) {
	if len(r.recent) == 0 || len(r.snap.Graph.Dependencies(svc.ID)) == 0 && len(r.snap.Graph.Dependents(svc.ID)) == 0 {
		return nil, nil
	}
	ev := &windowEvidence{r: r, self: svc.ID}
	open, verdicts := r.open2[:0], r.verdicts[:0]
	for _, inc := range r.recent {
		if inc.resolved != nil && !inc.resolved.After(now) {
			continue // resolved by now
		}
		open = append(open, inc)
		verdicts = append(verdicts, r.rule.Decide(svc.ID, inc.services, ev))
	}
	r.open2, r.verdicts = open, verdicts
	p := correlate.Place(verdicts)
	if p.Join < 0 {
		return nil, nil
	}
	for _, i := range p.Merge {
		merge = append(merge, open[i])
	}
	return open[p.Join], merge
}

// windowEvidence is what the replay knows while an alert is placed: the
// services that alerted within the correlation window. The history has
// no change events.
type windowEvidence struct {
	r         *replayer
	self      string
	coFailing map[string]bool
}

func (e *windowEvidence) Alerting(service string) bool { return e.r.counts[service] > 0 }

func (e *windowEvidence) Changed(string) bool { return false }

func (e *windowEvidence) DependentsFailing(service string) bool {
	if e.coFailing == nil {
		alerting := make([]string, 0, len(e.r.counts)+1)
		for s := range e.r.counts {
			alerting = append(alerting, s)
		}
		sort.Strings(alerting)
		e.coFailing = map[string]bool{}
		for _, s := range e.r.rule.CoFailing(append(alerting, e.self)) {
			e.coFailing[s] = true
		}
	}
	return e.coFailing[service]
}

// join adds an alert's service to a correlated incident, as the server
// does: the incidents correlation found one failure with it merge in
// first; while the incident is unacknowledged its owner's first step and
// the IRT covering it are paged (those not yet responding), and an
// incident spanning two or more teams becomes major and pages the global
// IRT.
func (r *replayer) join(inc *simIncident, merge []*simIncident, svc *catalog.Service, now time.Time) {
	r.totals.Correlated++
	for _, src := range merge {
		r.merge(inc, src, now)
	}
	if !slices.Contains(inc.services, svc.ID) {
		inc.services = append(inc.services, svc.ID)
		inc.rec.Services = inc.services
		if !inc.acknowledgedBy(now) {
			if p := r.snap.Policy(routing.PolicyOf(r.snap, svc)); p != nil && len(p.Steps) > 0 {
				r.page(inc, p.Steps[0].Targets, now)
			}
			if cov := routing.CoverageOf(r.snap, svc); cov.IRT != nil && cov.Mode != catalog.CoverageBackup {
				r.page(inc, []escalation.Target{{Team: cov.IRT.ID}}, now)
			}
		}
	}
	if inc.major || len(r.owningTeams(inc.services)) < 2 {
		return
	}
	inc.major, inc.rec.Major = true, true
	r.totals.Major++
	g := routing.GlobalIRT(r.snap)
	if g == nil {
		return
	}
	if who := r.oncall.TeamOnCall(r.snap, g, now); len(who) > 0 {
		inc.rec.Engagements = append(inc.rec.Engagements, report.Engagement{At: now, User: who[0], Role: string(incident.RoleCommander)})
	}
	r.page(inc, []escalation.Target{{Team: g.ID}}, now)
}

// merge resolves src into inc as the server does when correlation finds
// them one failure: src's services join inc's, src's escalation stops
// (what it would have paged after now was never sent), and the people it
// paged respond on inc from now, without being paged again.
func (r *replayer) merge(inc, src *simIncident, now time.Time) {
	r.totals.Merged++
	for _, s := range src.services {
		if !slices.Contains(inc.services, s) {
			inc.services = append(inc.services, s)
		}
	}
	inc.rec.Services = inc.services
	resolved := now
	src.mergedAt, src.resolved = now, &resolved
	if src.end.After(now) {
		src.end = now
	}
	src.paged = slices.DeleteFunc(src.paged, func(p pagedAt) bool { return p.at.After(now) })
	src.rec.Engagements = slices.DeleteFunc(src.rec.Engagements, func(e report.Engagement) bool { return e.At.After(now) })
	if src.engaged.After(now) {
		src.engaged = time.Time{}
		for _, p := range src.paged {
			if p.at.After(src.engaged) {
				src.engaged = p.at
			}
		}
	}
	if src.rec.Escalated && src.escalatedAt.After(now) {
		src.rec.Escalated = false
		r.totals.Escalated--
	}
	for _, p := range src.paged {
		if !inc.pagedAlready(p.user) {
			inc.paged = append(inc.paged, pagedAt{p.user, now})
			inc.rec.Engagements = append(inc.rec.Engagements, report.Engagement{At: now, User: p.user, Role: report.RoleResponder})
		}
	}
}

func (r *replayer) owningTeams(services []string) map[string]bool {
	set := map[string]bool{}
	for _, id := range services {
		if s := r.snap.Service(id); s != nil && s.Owner != "" {
			set[s.Owner] = true
		}
	}
	return set
}

// result prices and adds up what the replay made, with the report
// package's own rules.
func (r *replayer) result(name string, period report.Period) (OrgResult, error) {
	ro := report.NewOrg(r.snap.Bundle, r.snap.Graph, r.snap.Hours(), holiday.IsHoliday)
	var shifts []report.Shift
	for _, id := range slices.Sorted(maps.Keys(ro.PagingSchedules)) {
		served, err := r.shifts(id, period)
		if err != nil {
			return OrgResult{}, fmt.Errorf("schedule %s: %w", id, err)
		}
		for _, s := range served {
			shifts = append(shifts, report.Shift{Schedule: id, User: s.User, Start: s.Start, End: s.End})
		}
	}
	records := make([]report.Incident, len(r.incidents))
	for i, inc := range r.incidents {
		rec := inc.rec
		end := inc.end
		rec.ResolvedAt = &end
		records[i] = rec
		if !inc.high || inc.engaged.IsZero() {
			continue
		}
		d := inc.engaged.Sub(inc.created)
		r.totEng.add(d)
		if owner := r.snap.Service(inc.service).Owner; owner != "" {
			meanOf(r.teamEng, owner).add(d)
		}
	}
	pages := r.sentPages()
	cost := report.ReportCost(ro, period, report.Filter{}, pages, shifts, records)
	coverage := report.ReportCoverage(ro, period, report.Filter{}, shifts)
	out := OrgResult{Name: name, Currency: ro.Rates.Currency, People: []PersonRow{}, Teams: []TeamRow{}, Unmapped: []Unmapped{}}
	for _, p := range cost.People {
		row := PersonRow{User: p.User, Name: p.Name, Teams: []string{}, Holiday: p.Interruptions.Holiday,
			Figures: figures(p.Interruptions, p.StandbyHours, p.Cost.Total, r.notices[p.User], r.engage[p.User])}
		if person := ro.Person(p.User); person != nil {
			row.TimeZone, row.Teams = person.TimeZone, person.Teams
		}
		out.People = append(out.People, row)
	}
	slices.SortFunc(out.People, func(a, b PersonRow) int {
		return cmp.Or(cmp.Compare(b.Pages, a.Pages), cmp.Compare(b.Sleep, a.Sleep), cmp.Compare(a.User, b.User))
	})
	guaranteed := map[string]report.TeamCoverage{}
	for _, t := range coverage.Teams {
		guaranteed[t.Team] = t
	}
	for _, t := range cost.Teams {
		team := ro.Team(t.Team)
		notices := 0
		for _, m := range team.Members {
			notices += r.notices[m]
		}
		out.Teams = append(out.Teams, TeamRow{Team: t.Team, Kind: team.Kind, Members: t.Members,
			Figures:         figures(t.Interruptions, t.StandbyHours, t.Cost.Total, notices, r.teamEng[t.Team]),
			GuaranteedHours: guaranteed[t.Team].GuaranteedHours, Needs24x7: guaranteed[t.Team].Needs24x7, Incidents: r.teamInc[t.Team]})
	}
	slices.SortFunc(out.Teams, func(a, b TeamRow) int { return cmp.Compare(a.Team, b.Team) })
	tot := r.totals
	notices := 0
	for _, n := range r.notices {
		notices += n
	}
	tot.People = cost.Total.Members
	tot.Figures = figures(cost.Total.Interruptions, cost.Total.StandbyHours, cost.Total.Cost.Total, notices, &r.totEng)
	for _, t := range out.Teams {
		tot.GuaranteedHours += t.GuaranteedHours
	}
	tot.GuaranteedHours = round2(tot.GuaranteedHours)
	tot.NoticeHours = round2(r.noticeW.minutes() / 60)
	out.Totals = tot
	for _, u := range r.unmapped {
		out.Unmapped = append(out.Unmapped, *u)
	}
	slices.SortFunc(out.Unmapped, func(a, b Unmapped) int { return cmp.Compare(a.Service, b.Service) })
	return out, nil
}

// sentPages are the pages that went out, leaving out those of merged
// incidents after their merge, and counts each person's time to engage.
func (r *replayer) sentPages() []report.Page {
	sent := r.pages[:0]
	for _, p := range r.pages {
		inc := r.incidents[p.Incident-1]
		if !inc.mergedAt.IsZero() && p.At.After(inc.mergedAt) {
			continue
		}
		sent = append(sent, p)
		meanOf(r.engage, p.User).add(p.At.Sub(inc.created))
	}
	r.pages = sent
	return sent
}

// shifts are the schedule's shifts over the period: the replay's own
// answers where it has them.
func (r *replayer) shifts(id string, period report.Period) ([]schedule.Shift, error) {
	a, err := r.oncall.Answers(r.snap, id)
	if err != nil {
		return nil, err
	}
	if a != nil {
		return a.Shifts(), nil
	}
	e, err := r.oncall.Engine(r.snap, id)
	if err != nil {
		return nil, err
	}
	return e.Shifts(period.From, period.To)
}

// figures puts together a row's figures from the cost report's.
func figures(in report.Counts, standby, cost float64, notices int, engage *mean) Figures {
	return Figures{Pages: in.Total, Business: in.Business, Off: in.Off, Sleep: in.Sleep, Notices: notices,
		StandbyHours: standby, Cost: cost, EngageMinutes: engage.minutes()}
}

// zone loads a time zone once; a name that does not load (validation
// refuses those) is UTC.
func (r *replayer) zone(name string) *time.Location {
	if loc, ok := r.zones[name]; ok {
		return loc
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "" {
		loc = time.UTC
	}
	r.zones[name] = loc
	return loc
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
