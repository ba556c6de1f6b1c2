package report

import (
	"cmp"
	"slices"
	"time"

	"github.com/vigil-oncall/vigil/internal/hours"
)

// Stretch is a span of time with its length in hours.
type Stretch struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Hours float64   `json:"hours"`
}

// TeamCoverage is how a team's first response covered the period.
type TeamCoverage struct {
	Team string `json:"team"`
	// Schedules are the schedules its escalation policy pages first.
	Schedules []string `json:"schedules"`
	// GuaranteedHours are the hours someone on those schedules was on call
	// (paged at once); GapHours the rest of the period.
	GuaranteedHours float64 `json:"guaranteed_hours"`
	GapHours        float64 `json:"gap_hours"`
	// Coverage is GuaranteedHours as a share of the period.
	Coverage float64 `json:"coverage"`
	// OverlapHours are hours with two or more people on call at once.
	OverlapHours float64 `json:"overlap_hours"`
	// AlwaysCovered is 24/7 guaranteed response over the whole period.
	AlwaysCovered bool `json:"always_covered"`
	// CriticalServices are its critical services (owned, or covered as an
	// IRT): they need 24/7 response.
	CriticalServices []string `json:"critical_services"`
	Needs24x7        bool     `json:"needs_24x7"`
	// Verdict puts the two together: "needed and held", "needed, with
	// gaps", "held, not needed", "not needed".
	Verdict string `json:"verdict"`
	// FollowTheSunShare is the share of the guaranteed hours in which
	// someone on call was within their own business hours.
	FollowTheSunShare float64 `json:"follow_the_sun_share"`
	// Gaps are the longest stretches without anyone, longest first (at
	// most MaxGaps).
	Gaps []Stretch `json:"gaps"`
}

// MaxGaps bounds the gaps listed per team.
const MaxGaps = 20

// Verdicts of TeamCoverage.
const (
	VerdictNeededHeld    = "needed and held"
	VerdictNeededGaps    = "needed, with gaps"
	VerdictHeldNotNeeded = "held, not needed"
	VerdictNotNeeded     = "not needed"
)

// PersonCoverage is one person's time on call on schedules that page,
// split by the part of their day it fell in, in their own zone.
type PersonCoverage struct {
	User          string  `json:"user"`
	Name          string  `json:"name,omitempty"`
	TimeZone      string  `json:"time_zone"`
	OnCallHours   float64 `json:"oncall_hours"`
	BusinessHours float64 `json:"business_hours"`
	OffHours      float64 `json:"off_hours"`
	NightHours    float64 `json:"night_hours"`
}

// Coverage is the coverage report.
type Coverage struct {
	Heading
	Hours  HoursView        `json:"hours"`
	Teams  []TeamCoverage   `json:"teams"`
	People []PersonCoverage `json:"people"`
	Method []string         `json:"method"`
}

// ReportCoverage measures, from the shifts as they were served, each
// team's hours of guaranteed response, its gaps and overlaps, whether it
// has the 24/7 response its critical services need, and each person's
// hours on call by the part of their day.
func ReportCoverage(o *Org, period Period, f Filter, shifts []Shift) Coverage {
	rep := Coverage{Heading: heading(period, f), Hours: hoursView(o.Hours), Teams: []TeamCoverage{}, People: []PersonCoverage{}}
	bySchedule := map[string][]Shift{}
	for _, s := range shifts {
		bySchedule[s.Schedule] = append(bySchedule[s.Schedule], s)
	}
	length := period.To.Sub(period.From)
	for _, t := range o.teamsOf(f) {
		row := TeamCoverage{Team: t.ID, Schedules: t.FirstResponse, CriticalServices: []string{}, Gaps: []Stretch{}}
		var covered, business []span
		var people []personSpan
		for _, id := range t.FirstResponse {
			for _, s := range bySchedule[id] {
				start, end, ok := period.clip(s.Start, s.End)
				if !ok {
					continue
				}
				covered = append(covered, span{start, end})
				people = append(people, personSpan{s.User, span{start, end}})
				o.Hours.Stretches(start, end, o.personZone(s.User), func(a, b time.Time, bucket hours.Bucket) {
					if bucket == hours.Business {
						business = append(business, span{a, b})
					}
				})
			}
		}
		covered = mergeSpans(covered)
		guaranteed := total(covered)
		row.GuaranteedHours = hoursOf(guaranteed)
		row.GapHours = hoursOf(length - guaranteed)
		row.Coverage = share(guaranteed.Hours(), length.Hours())
		row.OverlapHours = hoursOf(overlapOfPeople(people))
		row.AlwaysCovered = guaranteed == length
		row.FollowTheSunShare = share(total(mergeSpans(business)).Hours(), guaranteed.Hours())
		row.Gaps = gapsOf(period, covered)
		for _, id := range t.Services {
			if s := o.Service(id); s != nil && s.Critical {
				row.CriticalServices = append(row.CriticalServices, id)
			}
		}
		row.Needs24x7 = len(row.CriticalServices) > 0
		switch {
		case row.Needs24x7 && row.AlwaysCovered:
			row.Verdict = VerdictNeededHeld
		case row.Needs24x7:
			row.Verdict = VerdictNeededGaps
		case row.AlwaysCovered:
			row.Verdict = VerdictHeldNotNeeded
		default:
			row.Verdict = VerdictNotNeeded
		}
		rep.Teams = append(rep.Teams, row)
	}
	for user, spans := range o.standbySpans(period, shifts) {
		if !o.keepsPerson(f, user) {
			continue
		}
		loc := o.personZone(user)
		var split hours.Split
		var all time.Duration
		for _, s := range spans {
			split = split.Add(o.Hours.Split(s.start, s.end, loc))
			all += s.end.Sub(s.start)
		}
		row := PersonCoverage{User: user, TimeZone: loc.String(), OnCallHours: hoursOf(all),
			BusinessHours: hoursOf(split.Business), OffHours: hoursOf(split.Off), NightHours: hoursOf(split.Sleep)}
		if p := o.Person(user); p != nil {
			row.Name = p.Name
		}
		rep.People = append(rep.People, row)
	}
	slices.SortFunc(rep.People, func(a, b PersonCoverage) int {
		return cmp.Or(cmp.Compare(b.NightHours, a.NightHours), cmp.Compare(b.OnCallHours, a.OnCallHours), cmp.Compare(a.User, b.User))
	})
	rep.Method = []string{
		"From the shifts as they were served (recorded while they happened; time before recording began shows as a gap).",
		"Guaranteed response: hours in which someone was on call on a schedule that the first step of the team's escalation policy pages (the team's own schedule when it has no policy): paged at once.",
		"A team needs 24/7 response when it owns, or covers as an IRT, a critical service (revenue-critical, or a hard dependency of one). Always covered means no gap in the whole period.",
		"Overlap: hours with two or more different people on call at once on those schedules. Follow the sun: the share of the guaranteed hours in which someone on call was within their own business hours.",
		"People: hours on call on any schedule that an escalation policy pages, split in each person's own time zone (night = sleep hours " + rep.Hours.Night + "); a DST night counts the hours it really has.",
	}
	return rep
}

type personSpan struct {
	user string
	span
}

func total(spans []span) time.Duration {
	var d time.Duration
	for _, s := range spans {
		d += s.end.Sub(s.start)
	}
	return d
}

// overlapOfPeople is the time during which two or more different people
// hold a span at once.
func overlapOfPeople(spans []personSpan) time.Duration {
	type edge struct {
		at    time.Time
		user  string
		delta int
	}
	var edges []edge
	for _, s := range spans {
		edges = append(edges, edge{s.start, s.user, +1}, edge{s.end, s.user, -1})
	}
	// Ends before starts at the same instant: a handover is no overlap.
	slices.SortFunc(edges, func(a, b edge) int { return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.delta, b.delta)) })
	holding := map[string]int{}
	var overlap time.Duration
	for i, e := range edges {
		holding[e.user] += e.delta
		if holding[e.user] == 0 {
			delete(holding, e.user)
		}
		if len(holding) >= 2 && i+1 < len(edges) {
			overlap += edges[i+1].at.Sub(e.at)
		}
	}
	return overlap
}

// gapsOf lists the stretches of the period that covered leaves open,
// longest first, at most MaxGaps.
func gapsOf(period Period, covered []span) []Stretch {
	var gaps []Stretch
	at := period.From
	add := func(start, end time.Time) {
		if start.Before(end) {
			gaps = append(gaps, Stretch{Start: start, End: end, Hours: hoursOf(end.Sub(start))})
		}
	}
	for _, c := range covered {
		add(at, c.start)
		at = c.end
	}
	add(at, period.To)
	slices.SortStableFunc(gaps, func(a, b Stretch) int { return cmp.Compare(b.End.Sub(b.Start), a.End.Sub(a.Start)) })
	if len(gaps) > MaxGaps {
		gaps = gaps[:MaxGaps]
	}
	if gaps == nil {
		gaps = []Stretch{}
	}
	return gaps
}
