package report

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Kinds of unclear-value signal.
const (
	SignalSLONoise          = "slo_without_impact"  // SLOs red or paging for weeks, no customer-impacting incident
	SignalUnnoticed         = "unnoticed_incidents" // a non-critical service's incidents wait hours for anyone
	SignalServicesPerPerson = "services_per_person" // a team on call for many services per person
)

// Thresholds of the unclear-value signals.
const (
	// SLOWeeksThreshold is how many weeks of SLO alerts make "for weeks".
	SLOWeeksThreshold = 2
	// UnnoticedAfter is how long an incident may stay unacknowledged
	// before it counts as unnoticed.
	UnnoticedAfter = 2 * time.Hour
	// ServicesPerPersonThreshold is the most services per team member
	// before a team is stretched.
	ServicesPerPersonThreshold = 3.0
)

// AlertSpan is when an SLO's burn-rate alert was open on a service.
type AlertSpan struct {
	SLO     string     `json:"slo"`
	Service string     `json:"service"`
	Start   time.Time  `json:"start"`
	End     *time.Time `json:"end,omitempty"` // nil while it fires
}

// TeamLoad is how many services a team answers for per member.
type TeamLoad struct {
	Team              string  `json:"team"`
	Services          int     `json:"services"`
	Members           int     `json:"members"`
	ServicesPerPerson float64 `json:"services_per_person"`
}

// UnclearValue is the unclear-value report.
type UnclearValue struct {
	Heading
	Signals []Finding  `json:"signals"`
	Teams   []TeamLoad `json:"teams"`
	Method  []string   `json:"method"`
}

// ReportUnclearValue lists the operating model's signs that a service's
// business value is unclear: SLOs red or paging for weeks while no
// incident is marked customer-impacting; non-critical services whose
// incidents wait hours without anyone noticing; teams on call for many
// services per person.
func ReportUnclearValue(o *Org, period Period, f Filter, incidents []Incident, slos []SLOState, alerts []AlertSpan) UnclearValue {
	rep := UnclearValue{Heading: heading(period, f), Teams: []TeamLoad{}}
	var signals []Finding
	impact := map[string]int{}
	for _, inc := range incidents {
		if inc.CustomerImpact && period.Contains(inc.CreatedAt) {
			for _, s := range incidentServices(inc) {
				impact[s]++
			}
		}
	}
	weeks := map[string]map[time.Time]bool{} // SLO → weeks it paged in
	service := map[string]string{}
	for _, a := range alerts {
		end := period.To
		if a.End != nil && a.End.Before(end) {
			end = *a.End
		}
		start, end, ok := period.clip(a.Start, end)
		if !ok {
			continue
		}
		if weeks[a.SLO] == nil {
			weeks[a.SLO] = map[time.Time]bool{}
		}
		service[a.SLO] = a.Service
		for w := weekOf(start); w.Before(end); w = w.AddDate(0, 0, 7) {
			weeks[a.SLO][w] = true
		}
	}
	red := map[string]SLOState{}
	for _, st := range slos {
		service[st.Name] = st.Service
		if st.BudgetRemaining <= 0 {
			red[st.Name] = st
		}
	}
	for _, name := range sortedKeys(service) {
		svc := service[name]
		paging := len(weeks[name])
		st, isRed := red[name]
		if (paging < SLOWeeksThreshold && !isRed) || impact[svc] > 0 {
			continue
		}
		evidence := []string{fmt.Sprintf("SLO %s paged in %d week(s) of the period", name, paging)}
		if isRed {
			evidence = append(evidence, fmt.Sprintf("its error budget is spent (%.1f%% left)", st.BudgetRemaining*100))
		}
		evidence = append(evidence, "no incident of the service in the period is marked customer-impacting: is the SLO measuring what customers need, or does the service matter less than its objective says?")
		signals = append(signals, Finding{Kind: SignalSLONoise, Service: svc, Score: float64(50 + paging),
			Summary: fmt.Sprintf("%s: SLO %s red or paging for weeks, and no customer-impacting incident", svc, name), Evidence: evidence})
	}
	unnoticed := map[string][]Incident{}
	for _, inc := range incidents {
		if !period.Contains(inc.CreatedAt) {
			continue
		}
		if s := o.Service(inc.Service); s != nil && s.Critical {
			continue
		}
		if waited := unacknowledgedFor(inc, period.To); waited >= UnnoticedAfter {
			unnoticed[inc.Service] = append(unnoticed[inc.Service], inc)
		}
	}
	for _, svc := range sortedKeys(unnoticed) {
		incs := unnoticed[svc]
		longest := slices.MaxFunc(incs, func(a, b Incident) int {
			return cmp.Compare(unacknowledgedFor(a, period.To), unacknowledgedFor(b, period.To))
		})
		signals = append(signals, Finding{Kind: SignalUnnoticed, Service: svc, Score: float64(40 + min(len(incs), 20)),
			Summary: fmt.Sprintf("%s: %d incident(s) waited %s or more for anyone to acknowledge them", svc, len(incs), roughly(UnnoticedAfter)),
			Evidence: []string{fmt.Sprintf("longest: incident #%d %q, %s unacknowledged", longest.ID, longest.Title, roughly(unacknowledgedFor(longest, period.To))),
				"a non-critical service whose incidents nobody misses for hours may not need paging at all"}})
	}
	for _, t := range o.teamsOf(f) {
		load := TeamLoad{Team: t.ID, Services: len(t.Services), Members: len(t.Members)}
		if load.Members > 0 {
			load.ServicesPerPerson = round2(float64(load.Services) / float64(load.Members))
		}
		rep.Teams = append(rep.Teams, load)
		if load.Services > 0 && (load.Members == 0 || load.ServicesPerPerson > ServicesPerPersonThreshold) {
			signals = append(signals, Finding{Kind: SignalServicesPerPerson, Team: t.ID, Score: 30 + load.ServicesPerPerson,
				Summary:  fmt.Sprintf("team %s is on call for %d services with %d people", t.ID, load.Services, load.Members),
				Evidence: []string{fmt.Sprintf("%.2f services per person (more than %g): some of them may not be worth a pager", load.ServicesPerPerson, ServicesPerPersonThreshold)}})
		}
	}
	slices.SortFunc(rep.Teams, func(a, b TeamLoad) int {
		return cmp.Or(cmp.Compare(b.ServicesPerPerson, a.ServicesPerPerson), cmp.Compare(a.Team, b.Team))
	})
	rep.Signals = o.rank(f, signals, MaxRisks)
	rep.Method = []string{
		fmt.Sprintf("SLO without impact: an SLO whose burn-rate alert fired in %d or more weeks of the period, or whose budget is spent now, on a service none of whose incidents in the period is marked customer-impacting.", SLOWeeksThreshold),
		fmt.Sprintf("Unnoticed incidents: incidents of non-critical services opened in the period that stayed unacknowledged %s or more (until acknowledged, resolved, or the period's end).", roughly(UnnoticedAfter)),
		fmt.Sprintf("Services per person: the services a team owns (and covers, for an IRT) divided by its members; more than %g is listed.", ServicesPerPersonThreshold),
	}
	return rep
}

// unacknowledgedFor is how long an incident waited for an
// acknowledgement: until the first one, else until it was resolved, else
// until end.
func unacknowledgedFor(inc Incident, end time.Time) time.Duration {
	switch {
	case inc.AcknowledgedAt != nil:
		return inc.AcknowledgedAt.Sub(inc.CreatedAt)
	case inc.ResolvedAt != nil:
		return inc.ResolvedAt.Sub(inc.CreatedAt)
	}
	return end.Sub(inc.CreatedAt)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// rank fills in each finding's team and criticality, keeps those of the
// team asked for, orders them by score and numbers them.
func (o *Org) rank(f Filter, findings []Finding, limit int) []Finding {
	out := []Finding{}
	for _, r := range findings {
		if r.Team == "" {
			r.Team = o.ownerOf(r.Service)
		}
		if s := o.Service(r.Service); s != nil {
			r.Critical = s.Critical
		}
		if f.Team != "" && r.Team != f.Team && !o.keepsService(f, r.Service) {
			continue
		}
		if r.Evidence == nil {
			r.Evidence = []string{}
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.Service, b.Service), cmp.Compare(a.Team, b.Team), cmp.Compare(a.Kind, b.Kind))
	})
	if len(out) > limit {
		out = out[:limit]
	}
	for i := range out {
		out[i].Rank = i + 1
	}
	return out
}
