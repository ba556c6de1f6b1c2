package report

import (
	"cmp"
	"slices"
	"time"
)

// ManualOperation is an operation (drain, roll back, restart…) a person
// ran by hand on a service.
type ManualOperation struct {
	Service   string    `json:"service"`
	Operation string    `json:"operation"`
	Actor     string    `json:"actor"`
	At        time.Time `json:"at"`
}

// ToilRow is the manual work on a service, or a team's services.
type ToilRow struct {
	Service string `json:"service,omitempty"`
	Team    string `json:"team,omitempty"`
	// Incidents opened in the period.
	Incidents int `json:"incidents"`
	// AcknowledgedByHand and ResolvedByHand count incidents a person
	// acknowledged first, and resolved.
	AcknowledgedByHand int `json:"acknowledged_by_hand"`
	ResolvedByHand     int `json:"resolved_by_hand"`
	// SelfResolvedAcknowledged are incidents a person acknowledged that
	// then resolved themselves (the monitoring sent the resolve): the
	// acknowledgement bought nothing.
	SelfResolvedAcknowledged int `json:"self_resolved_acknowledged"`
	// ClosedWithoutNote are incidents a person resolved with no note.
	ClosedWithoutNote int `json:"closed_without_note"`
	// RepeatAlerts are triggers repeated with a dedup key already seen
	// in the period: every trigger after a key's first.
	RepeatAlerts int `json:"repeat_alerts"`
	// Operations are operations run by hand.
	Operations int `json:"operations"`
	// ManualActions adds up the acknowledgements, resolutions and
	// operations by hand.
	ManualActions int `json:"manual_actions"`
}

func (r *ToilRow) addIncident(inc Incident) {
	r.Incidents++
	ackByHand := inc.AcknowledgedAt != nil && byPerson(inc.AcknowledgedBy)
	if ackByHand {
		r.AcknowledgedByHand++
	}
	if inc.ResolvedAt == nil {
		return
	}
	if byPerson(inc.ResolvedBy) {
		r.ResolvedByHand++
		if inc.Notes == 0 {
			r.ClosedWithoutNote++
		}
	} else if ackByHand {
		r.SelfResolvedAcknowledged++
	}
}

func (r *ToilRow) plus(o ToilRow) {
	r.Incidents += o.Incidents
	r.AcknowledgedByHand += o.AcknowledgedByHand
	r.ResolvedByHand += o.ResolvedByHand
	r.SelfResolvedAcknowledged += o.SelfResolvedAcknowledged
	r.ClosedWithoutNote += o.ClosedWithoutNote
	r.RepeatAlerts += o.RepeatAlerts
	r.Operations += o.Operations
}

// RepeatView is a dedup key that kept coming back.
type RepeatView struct {
	RepeatKey
	Repeats int `json:"repeats"`
}

// Toil is the toil report.
type Toil struct {
	Heading
	Services []ToilRow    `json:"services"`
	Teams    []ToilRow    `json:"teams"`
	Total    ToilRow      `json:"total"`
	Repeats  []RepeatView `json:"top_repeats"`
	Method   []string     `json:"method"`
}

// MaxRepeats bounds the dedup keys the toil report lists.
const MaxRepeats = 20

// ReportToil counts the manual work per service and team: what people
// acknowledged and resolved by hand (and what of it was wasted on alerts
// that resolved themselves, or closed without a word), alerts that keep
// repeating, and operations run by hand.
func ReportToil(o *Org, period Period, f Filter, incidents []Incident, keys []RepeatKey, operations []ManualOperation) Toil {
	rep := Toil{Heading: heading(period, f), Services: []ToilRow{}, Teams: []ToilRow{}, Repeats: []RepeatView{}}
	services := map[string]*ToilRow{}
	row := func(svc string) *ToilRow {
		if r, ok := services[svc]; ok {
			return r
		}
		r := &ToilRow{Service: svc, Team: o.ownerOf(svc)}
		services[svc] = r
		return r
	}
	for _, inc := range incidents {
		// Toil belongs to the service the incident opened on: one
		// acknowledgement is one action, however many services it spans.
		if period.Contains(inc.CreatedAt) && o.keepsService(f, inc.Service) {
			row(inc.Service).addIncident(inc)
		}
	}
	for _, k := range keys {
		if k.Repeats() == 0 || !o.keepsService(f, k.Service) {
			continue
		}
		row(k.Service).RepeatAlerts += k.Repeats()
		rep.Repeats = append(rep.Repeats, RepeatView{RepeatKey: k, Repeats: k.Repeats()})
	}
	slices.SortFunc(rep.Repeats, func(a, b RepeatView) int {
		return cmp.Or(cmp.Compare(b.Repeats, a.Repeats), cmp.Compare(a.Service, b.Service), cmp.Compare(a.DedupKey, b.DedupKey))
	})
	if len(rep.Repeats) > MaxRepeats {
		rep.Repeats = rep.Repeats[:MaxRepeats]
	}
	for _, op := range operations {
		if period.Contains(op.At) && byPerson(op.Actor) && o.keepsService(f, op.Service) {
			row(op.Service).Operations++
		}
	}
	teams := map[string]*ToilRow{}
	for _, t := range o.teamsOf(f) {
		teams[t.ID] = &ToilRow{Team: t.ID}
	}
	for _, r := range services {
		r.ManualActions = r.AcknowledgedByHand + r.ResolvedByHand + r.Operations
		rep.Services = append(rep.Services, *r)
		if t := teams[r.Team]; t != nil {
			t.plus(*r)
		}
		rep.Total.plus(*r)
	}
	slices.SortFunc(rep.Services, func(a, b ToilRow) int {
		return cmp.Or(cmp.Compare(b.ManualActions+b.RepeatAlerts, a.ManualActions+a.RepeatAlerts), cmp.Compare(a.Service, b.Service))
	})
	for _, t := range o.teamsOf(f) {
		r := teams[t.ID]
		r.ManualActions = r.AcknowledgedByHand + r.ResolvedByHand + r.Operations
		rep.Teams = append(rep.Teams, *r)
	}
	slices.SortFunc(rep.Teams, func(a, b ToilRow) int {
		return cmp.Or(cmp.Compare(b.ManualActions+b.RepeatAlerts, a.ManualActions+a.RepeatAlerts), cmp.Compare(a.Team, b.Team))
	})
	rep.Total.ManualActions = rep.Total.AcknowledgedByHand + rep.Total.ResolvedByHand + rep.Total.Operations
	rep.Method = []string{
		"Incidents opened in the period, each counted on the service it opened on.",
		"By hand: the first acknowledgement, or the resolution, came from a person (a user or their API token) rather than from the monitoring or Vigil.",
		"Acknowledged, then resolved itself: a person acknowledged it and the monitoring's resolve closed it. Closed without a note: a person resolved it and no note was written on it.",
		"Repeat alerts: triggers with a dedup key already seen in the period on the same service (repeats of an open alert, and alerts opened again with the key).",
		"Operations: operations run by a person on the service. Manual actions add up acknowledgements, resolutions and operations by hand.",
	}
	return rep
}
