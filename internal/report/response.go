package report

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
)

// Times summarises durations, in seconds.
type Times struct {
	Median float64 `json:"median"`
	P90    float64 `json:"p90"`
	Mean   float64 `json:"mean"`
}

// summarise is the median, 90th percentile and mean of durations, or nil
// when there are none. Percentiles interpolate between the two nearest
// ranks, as spreadsheets' PERCENTILE.INC does.
func summarise(ds []time.Duration) *Times {
	if len(ds) == 0 {
		return nil
	}
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	var sum float64
	for _, d := range sorted {
		sum += d.Seconds()
	}
	return &Times{Median: quantile(sorted, 0.5), P90: quantile(sorted, 0.9), Mean: math.Round(sum / float64(len(sorted)))}
}

func quantile(sorted []time.Duration, p float64) float64 {
	h := float64(len(sorted)-1) * p
	lo := int(math.Floor(h))
	hi := min(lo+1, len(sorted)-1)
	return math.Round(sorted[lo].Seconds() + (h-float64(lo))*(sorted[hi].Seconds()-sorted[lo].Seconds()))
}

// AckShares say who acknowledged first, as shares of the acknowledged
// incidents: the owning team, an IRT, someone else, or the monitoring
// (an acknowledge event from the source).
type AckShares struct {
	Owner  float64 `json:"owner"`
	IRT    float64 `json:"irt"`
	Other  float64 `json:"other"`
	Source float64 `json:"source"`
}

// ResponseRow is the response figures of a service, a team or everything.
type ResponseRow struct {
	Service      string `json:"service,omitempty"`
	Team         string `json:"team,omitempty"`
	Critical     bool   `json:"critical,omitempty"`
	Incidents    int    `json:"incidents"`
	Acknowledged int    `json:"acknowledged"`
	Resolved     int    `json:"resolved"`
	MTTA         *Times `json:"mtta_seconds"`
	MTTR         *Times `json:"mttr_seconds"`
	Escalated    int    `json:"escalated"`
	// EscalationRate is the share of incidents that went past the first
	// step of their escalation policy.
	EscalationRate float64   `json:"escalation_rate"`
	AcknowledgedBy AckShares `json:"acknowledged_by"`
	PerWeek        float64   `json:"incidents_per_week"`

	tta, ttr  []time.Duration
	ackCounts [4]int
}

// WeekResponse counts a week's incidents.
type WeekResponse struct {
	Week      string `json:"week"`
	Incidents int    `json:"incidents"`
	Escalated int    `json:"escalated"`
}

// Response is the response report.
type Response struct {
	Heading
	Services []ResponseRow  `json:"services"`
	Teams    []ResponseRow  `json:"teams"`
	Total    ResponseRow    `json:"total"`
	Weeks    []WeekResponse `json:"weeks"`
	Method   []string       `json:"method"`
}

const (
	ackOwner = iota
	ackIRT
	ackOther
	ackSource
)

// ackerKind says who acknowledged an incident of a service first.
func (o *Org) ackerKind(inc Incident, service string) int {
	if !byPerson(inc.AcknowledgedBy) {
		return ackSource
	}
	user := userOf(inc.AcknowledgedBy)
	if owner := o.Team(o.ownerOf(service)); owner != nil && slices.Contains(owner.Members, user) {
		return ackOwner
	}
	if p := o.Person(user); p != nil {
		for _, id := range p.Teams {
			if t := o.Team(id); t != nil && (t.Kind == catalog.KindIRT || t.Kind == catalog.KindGlobalIRT) {
				return ackIRT
			}
		}
	}
	return ackOther
}

func (r *ResponseRow) add(inc Incident, acker int) {
	r.Incidents++
	if inc.Escalated {
		r.Escalated++
	}
	if inc.ResolvedAt != nil {
		r.Resolved++
	}
	if inc.AcknowledgedAt == nil {
		return
	}
	r.Acknowledged++
	r.ackCounts[acker]++
	if inc.ResolvedAt != nil {
		tta := max(inc.AcknowledgedAt.Sub(inc.CreatedAt), 0)
		r.tta = append(r.tta, tta)
		r.ttr = append(r.ttr, max(inc.ResolvedAt.Sub(inc.CreatedAt), tta))
	}
}

func (r *ResponseRow) finish(weeks float64) {
	r.MTTA, r.MTTR = summarise(r.tta), summarise(r.ttr)
	r.EscalationRate = share(float64(r.Escalated), float64(r.Incidents))
	n := float64(r.Acknowledged)
	r.AcknowledgedBy = AckShares{Owner: share(float64(r.ackCounts[ackOwner]), n), IRT: share(float64(r.ackCounts[ackIRT]), n),
		Other: share(float64(r.ackCounts[ackOther]), n), Source: share(float64(r.ackCounts[ackSource]), n)}
	if weeks > 0 {
		r.PerWeek = round2(float64(r.Incidents) / weeks)
	}
}

// ReportResponse computes time to acknowledge and to resolve, escalation
// rates and who acknowledges, per service and team, over the incidents
// opened in the period.
func ReportResponse(o *Org, period Period, f Filter, incidents []Incident) Response {
	rep := Response{Heading: heading(period, f), Services: []ResponseRow{}, Teams: []ResponseRow{}, Weeks: []WeekResponse{}}
	services := map[string]*ResponseRow{}
	teams := map[string]*ResponseRow{}
	for _, t := range o.teamsOf(f) {
		teams[t.ID] = &ResponseRow{Team: t.ID}
	}
	weeks := map[string]*WeekResponse{}
	for _, w := range period.Weeks() {
		key := w.Format(time.DateOnly)
		weeks[key] = &WeekResponse{Week: key}
		rep.Weeks = append(rep.Weeks, WeekResponse{Week: key})
	}
	for _, inc := range incidents {
		if !period.Contains(inc.CreatedAt) {
			continue
		}
		counted := false
		seenTeams := map[string]bool{}
		for _, svc := range incidentServices(inc) {
			if !o.keepsService(f, svc) {
				continue
			}
			row := services[svc]
			if row == nil {
				row = &ResponseRow{Service: svc, Team: o.ownerOf(svc)}
				if s := o.Service(svc); s != nil {
					row.Critical = s.Critical
				}
				services[svc] = row
			}
			acker := o.ackerKind(inc, svc)
			row.add(inc, acker)
			if t := teams[row.Team]; t != nil && !seenTeams[row.Team] {
				seenTeams[row.Team] = true
				t.add(inc, acker)
			}
			if !counted {
				counted = true
				rep.Total.add(inc, acker)
				w := weeks[weekOf(inc.CreatedAt).Format(time.DateOnly)]
				w.Incidents++
				if inc.Escalated {
					w.Escalated++
				}
			}
		}
	}
	n := period.weekCount()
	for _, row := range services {
		row.finish(n)
		rep.Services = append(rep.Services, *row)
	}
	slices.SortFunc(rep.Services, func(a, b ResponseRow) int {
		return cmp.Or(cmp.Compare(b.Incidents, a.Incidents), cmp.Compare(a.Service, b.Service))
	})
	for _, t := range o.teamsOf(f) {
		row := teams[t.ID]
		row.finish(n)
		rep.Teams = append(rep.Teams, *row)
	}
	slices.SortFunc(rep.Teams, func(a, b ResponseRow) int {
		return cmp.Or(cmp.Compare(b.Incidents, a.Incidents), cmp.Compare(a.Team, b.Team))
	})
	rep.Total.finish(n)
	for i := range rep.Weeks {
		rep.Weeks[i] = *weeks[rep.Weeks[i].Week]
	}
	rep.Method = []string{
		"Incidents opened in the period. An incident counts for every service with an alert in it, once for each team owning one of them, and once in the total.",
		"MTTA is the time from opening to the first acknowledgement, MTTR from opening to resolution, in seconds, both over the same incidents: those acknowledged before they were resolved. Median and 90th percentile interpolate between ranks; mean is the average.",
		"Escalation rate is the share of incidents whose escalation went past the first step. Acknowledged by: who acknowledged first, as shares of the acknowledged incidents (a member of the owning team, of an IRT, someone else, or the monitoring's own acknowledge event).",
		"Incidents per week divides the count by the period's length in weeks; the weekly trend starts weeks on Monday, 00:00 UTC.",
	}
	return rep
}

// incidentServices lists the services of an incident once each, the one it
// opened on first.
func incidentServices(inc Incident) []string {
	out := []string{inc.Service}
	for _, s := range inc.Services {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if out[0] == "" {
		out = out[1:]
	}
	return out
}
