package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
)

// Rates are org.costs with every multiplier set (1 where left out).
type Rates struct {
	Currency        string             `json:"currency,omitempty"`
	StandbyPerHour  float64            `json:"standby_per_hour"`
	PerInterruption float64            `json:"per_interruption"`
	OffHours        float64            `json:"off_hours_multiplier"`
	Sleep           float64            `json:"sleep_multiplier"`
	Holiday         float64            `json:"holiday_multiplier"`
	ResponsePerHour map[string]float64 `json:"response_per_hour"`
}

// RatesOf reads org.costs; nil prices everything at 0.
func RatesOf(c *catalog.Costs) Rates {
	r := Rates{OffHours: 1, Sleep: 1, Holiday: 1, ResponsePerHour: map[string]float64{}}
	for _, role := range catalog.ResponseRoles {
		r.ResponsePerHour[role] = 0
	}
	if c == nil {
		return r
	}
	r.Currency, r.StandbyPerHour, r.PerInterruption = c.Currency, c.StandbyPerHour, c.PerInterruption
	orOne := func(m float64) float64 {
		if m == 0 {
			return 1
		}
		return m
	}
	r.OffHours, r.Sleep, r.Holiday = orOne(c.OffHoursMultiplier), orOne(c.SleepMultiplier), orOne(c.HolidayMultiplier)
	for role, rate := range c.ResponsePerHour {
		r.ResponsePerHour[role] = rate
	}
	return r
}

// Quantities are what on-call cost is computed from, for a person or a
// group of people.
type Quantities struct {
	// Standby is time on call on schedules that page, Holiday the part of
	// it on public holidays of the person's country.
	Standby, HolidayStandby time.Duration
	// Interruptions by bucket, HolidayInterruptions those on holidays
	// (not counted again in Interruptions).
	Interruptions, HolidayInterruptions Counts
	// Response is incident response time by role.
	Response map[string]time.Duration
}

// AddInterruption counts one bucketed page.
func (q *Quantities) AddInterruption(in Interruption) {
	if in.Holiday {
		q.HolidayInterruptions.add(in.Bucket, true)
		return
	}
	q.Interruptions.add(in.Bucket, false)
}

// AddResponse adds response time in a role.
func (q *Quantities) AddResponse(role string, d time.Duration) {
	if q.Response == nil {
		q.Response = map[string]time.Duration{}
	}
	q.Response[role] += d
}

// Plus returns q and o together.
func (q Quantities) Plus(o Quantities) Quantities {
	out := Quantities{Standby: q.Standby + o.Standby, HolidayStandby: q.HolidayStandby + o.HolidayStandby,
		Interruptions: q.Interruptions.plus(o.Interruptions), HolidayInterruptions: q.HolidayInterruptions.plus(o.HolidayInterruptions)}
	for role, d := range q.Response {
		out.AddResponse(role, d)
	}
	for role, d := range o.Response {
		out.AddResponse(role, d)
	}
	return out
}

// Money is a cost split by what it pays for.
type Money struct {
	Standby       float64 `json:"standby"`
	Interruptions float64 `json:"interruptions"`
	Response      float64 `json:"response"`
	Total         float64 `json:"total"`
}

// Cost prices quantities: standby hours at StandbyPerHour (times Holiday
// on holidays); each interruption at PerInterruption times its bucket's
// multiplier (1 for business hours, OffHours, Sleep) and times Holiday on
// holidays; response hours at their role's rate. The server's cost
// report and the simulator both price with it.
func (r Rates) Cost(q Quantities) Money {
	standby := r.StandbyPerHour * (q.Standby.Hours() - q.HolidayStandby.Hours() + q.HolidayStandby.Hours()*r.Holiday)
	interruptions := func(c Counts) float64 {
		return r.PerInterruption * (float64(c.Business) + float64(c.Off)*r.OffHours + float64(c.Sleep)*r.Sleep)
	}
	paged := interruptions(q.Interruptions) + interruptions(q.HolidayInterruptions)*r.Holiday
	var response float64
	for role, d := range q.Response {
		response += d.Hours() * r.ResponsePerHour[role]
	}
	m := Money{Standby: round2(standby), Interruptions: round2(paged), Response: round2(response)}
	m.Total = round2(standby + paged + response)
	return m
}

// Method says in words how Cost prices, with the rates.
func (r Rates) Method() []string {
	cur := r.Currency
	if cur == "" {
		cur = "(no currency set)"
	}
	roles := make([]string, 0, len(catalog.ResponseRoles))
	for _, role := range catalog.ResponseRoles {
		roles = append(roles, fmt.Sprintf("%s %g", role, r.ResponsePerHour[role]))
	}
	return []string{
		fmt.Sprintf("Amounts are in %s, from org.costs.", cur),
		fmt.Sprintf("Standby: %g per hour on call on a schedule that an escalation policy pages (from the shifts as they were served), times %g for hours on a public holiday of the person's team's country, read in the person's time zone.", r.StandbyPerHour, r.Holiday),
		fmt.Sprintf("Interruptions: %g per incident that paged the person (its notifications to them count once), times %g in off hours and %g in sleep hours (bucketed as in the interruptions report), and times %g on a public holiday.", r.PerInterruption, r.OffHours, r.Sleep, r.Holiday),
		fmt.Sprintf("Response: hours engaged on incidents by role, per hour %s: from a role's assignment (a responder: from their acknowledgement) until the role is handed over or the incident resolved, clipped to the period.", strings.Join(roles, ", ")),
		"A team's row adds up its members (a person in two teams counts in both); the total counts each person once.",
	}
}

// Standby splits a stretch on call into all of it and the part on public
// holidays of the person's country, days read in their own zone.
func (o *Org) Standby(user string, start, end time.Time) (all, holiday time.Duration) {
	if !start.Before(end) {
		return 0, 0
	}
	all = end.Sub(start)
	p := o.Person(user)
	if o.Holiday == nil || p == nil || p.Country == "" {
		return all, 0
	}
	loc := o.zone(p.TimeZone)
	for t := start; t.Before(end); {
		lt := t.In(loc)
		next := time.Date(lt.Year(), lt.Month(), lt.Day()+1, 0, 0, 0, 0, loc)
		if !next.After(t) { // a zone whose midnight a DST change skips
			next = t.Add(time.Hour)
		}
		if next.After(end) {
			next = end
		}
		if o.holidayOn(p.Country, lt) {
			holiday += next.Sub(t)
		}
		t = next
	}
	return all, holiday
}

// Responses adds up each person's response time by role on an incident
// within the period. A person holding two named roles is counted in the
// one with the higher rate.
func (o *Org) Responses(inc Incident, period Period) map[string]map[string]time.Duration {
	out := map[string]map[string]time.Duration{}
	o.responses(inc, period, func(user, role string, d time.Duration) {
		if out[user] == nil {
			out[user] = map[string]time.Duration{}
		}
		out[user][role] += d
	})
	return out
}

// responses calls add with each stretch of response time on an incident
// within the period: who, in which role, how long. It keeps a handful of
// people and roles in slices, as an incident has, so that a report over
// hundreds of thousands of incidents does not allocate maps for each.
func (o *Org) responses(inc Incident, period Period, add func(user, role string, d time.Duration)) {
	end := period.To
	if inc.ResolvedAt != nil && inc.ResolvedAt.Before(end) {
		end = *inc.ResolvedAt
	}
	byAt := func(a, b Engagement) int { return a.At.Compare(b.At) }
	events := inc.Engagements
	if !slices.IsSortedFunc(events, byAt) {
		events = slices.Clone(events)
		slices.SortStableFunc(events, byAt)
	}
	type holder struct{ role, user string }
	var holders []holder // named roles and who holds them
	var engaged []string // users engaged so far, each once
	holds := func(user, role string) bool {
		return slices.Contains(holders, holder{role, user})
	}
	roleOf := func(user string) string {
		best, rate := RoleResponder, -1.0
		for _, role := range catalog.ResponseRoles {
			if role != RoleResponder && holds(user, role) && o.Rates.ResponsePerHour[role] > rate {
				best, rate = role, o.Rates.ResponsePerHour[role]
			}
		}
		return best
	}
	credit := func(from, to time.Time) {
		from, to, ok := period.clip(from, to)
		if !ok {
			return
		}
		for _, user := range engaged {
			add(user, roleOf(user), to.Sub(from))
		}
	}
	var last time.Time
	for i, e := range events {
		if e.User == "" || !e.At.Before(end) {
			break
		}
		if i > 0 {
			credit(last, e.At)
		}
		if !slices.Contains(engaged, e.User) {
			engaged = append(engaged, e.User)
		}
		if e.Role != RoleResponder {
			at := slices.IndexFunc(holders, func(h holder) bool { return h.role == e.Role })
			if at < 0 {
				holders = append(holders, holder{e.Role, e.User})
			} else {
				holders[at].user = e.User
			}
		}
		last = e.At
	}
	if len(engaged) > 0 {
		credit(last, end)
	}
}

// PersonCost is one person's on-call cost and what it is made of.
type PersonCost struct {
	User                string             `json:"user"`
	Name                string             `json:"name,omitempty"`
	StandbyHours        float64            `json:"standby_hours"`
	HolidayStandbyHours float64            `json:"holiday_standby_hours"`
	Interruptions       Counts             `json:"interruptions"`
	ResponseHours       map[string]float64 `json:"response_hours"`
	Cost                Money              `json:"cost"`
}

// TeamCost adds up a team's members.
type TeamCost struct {
	Team                string             `json:"team"`
	Members             int                `json:"members"`
	StandbyHours        float64            `json:"standby_hours"`
	HolidayStandbyHours float64            `json:"holiday_standby_hours"`
	Interruptions       Counts             `json:"interruptions"`
	ResponseHours       map[string]float64 `json:"response_hours"`
	Cost                Money              `json:"cost"`
}

// CostReport is the cost report.
type CostReport struct {
	Heading
	Rates  Rates        `json:"rates"`
	People []PersonCost `json:"people"`
	Teams  []TeamCost   `json:"teams"`
	Total  TeamCost     `json:"total"`
	Method []string     `json:"method"`
}

// ReportCost prices each person's on-call in the period: standby from the
// served shifts of schedules that page, interruptions from the pages, and
// response time from the incidents' role history.
func ReportCost(o *Org, period Period, f Filter, pages []Page, shifts []Shift, incidents []Incident) CostReport {
	q := o.Quantities(period, pages, shifts, incidents)
	rep := CostReport{Heading: heading(period, f), Rates: o.Rates, People: []PersonCost{}, Teams: []TeamCost{}, Method: o.Rates.Method()}
	people := map[string]bool{}
	for _, t := range o.teamsOf(f) {
		for _, m := range t.Members {
			people[m] = true
		}
	}
	for user := range q {
		if o.keepsPerson(f, user) {
			people[user] = true
		}
	}
	var total Quantities
	for user := range people {
		pq := q[user]
		total = total.Plus(pq)
		row := PersonCost{User: user}
		if p := o.Person(user); p != nil {
			row.Name = p.Name
		}
		row.StandbyHours, row.HolidayStandbyHours, row.Interruptions, row.ResponseHours, row.Cost = o.figures(pq)
		rep.People = append(rep.People, row)
	}
	slices.SortFunc(rep.People, func(a, b PersonCost) int {
		return cmp.Or(cmp.Compare(b.Cost.Total, a.Cost.Total), cmp.Compare(a.User, b.User))
	})
	for _, t := range o.teamsOf(f) {
		var tq Quantities
		for _, m := range t.Members {
			tq = tq.Plus(q[m])
		}
		row := TeamCost{Team: t.ID, Members: len(t.Members)}
		row.StandbyHours, row.HolidayStandbyHours, row.Interruptions, row.ResponseHours, row.Cost = o.figures(tq)
		rep.Teams = append(rep.Teams, row)
	}
	slices.SortFunc(rep.Teams, func(a, b TeamCost) int {
		return cmp.Or(cmp.Compare(b.Cost.Total, a.Cost.Total), cmp.Compare(a.Team, b.Team))
	})
	rep.Total = TeamCost{Members: len(people)}
	rep.Total.StandbyHours, rep.Total.HolidayStandbyHours, rep.Total.Interruptions, rep.Total.ResponseHours, rep.Total.Cost = o.figures(total)
	return rep
}

// figures turns quantities into the numbers a cost row shows.
func (o *Org) figures(q Quantities) (standby, holiday float64, in Counts, response map[string]float64, cost Money) {
	response = map[string]float64{}
	for _, role := range catalog.ResponseRoles {
		response[role] = hoursOf(q.Response[role])
	}
	return hoursOf(q.Standby), hoursOf(q.HolidayStandby), q.Interruptions.plus(q.HolidayInterruptions), response, o.Rates.Cost(q)
}

// Quantities gathers each person's standby, interruptions and response
// time in the period.
func (o *Org) Quantities(period Period, pages []Page, shifts []Shift, incidents []Incident) map[string]Quantities {
	q := map[string]Quantities{}
	for user, spans := range o.standbySpans(period, shifts) {
		pq := q[user]
		for _, s := range spans {
			all, holiday := o.Standby(user, s.start, s.end)
			pq.Standby += all
			pq.HolidayStandby += holiday
		}
		q[user] = pq
	}
	for _, pg := range firstPages(pages) {
		if !period.Contains(pg.At) {
			continue
		}
		pq := q[pg.User]
		pq.AddInterruption(o.Bucket(pg))
		q[pg.User] = pq
	}
	for _, inc := range incidents {
		o.responses(inc, period, func(user, role string, d time.Duration) {
			pq := q[user]
			pq.AddResponse(role, d)
			q[user] = pq
		})
	}
	return q
}

type span struct{ start, end time.Time }

// standbySpans are each person's stretches on call on schedules that
// page, within the period, merged where they overlap (two schedules at
// once are one hour of standby).
func (o *Org) standbySpans(period Period, shifts []Shift) map[string][]span {
	byUser := map[string][]span{}
	for _, s := range shifts {
		if !o.PagingSchedules[s.Schedule] {
			continue
		}
		if start, end, ok := period.clip(s.Start, s.End); ok {
			byUser[s.User] = append(byUser[s.User], span{start, end})
		}
	}
	for user, spans := range byUser {
		byUser[user] = mergeSpans(spans)
	}
	return byUser
}

// mergeSpans sorts spans and joins those that overlap or touch.
func mergeSpans(spans []span) []span {
	slices.SortFunc(spans, func(a, b span) int { return cmp.Or(a.start.Compare(b.start), a.end.Compare(b.end)) })
	var out []span
	for _, s := range spans {
		if n := len(out); n > 0 && !s.start.After(out[n-1].end) {
			if s.end.After(out[n-1].end) {
				out[n-1].end = s.end
			}
			continue
		}
		out = append(out, s)
	}
	return out
}
