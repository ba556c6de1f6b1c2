// Package report computes what on-call costs, from the history the server
// keeps (or the simulator makes): interruptions by business, off and sleep
// hours in each person's own zone, response times, cost, coverage, toil,
// the biggest reliability risks and the signs of unclear business value.
//
// It is a pure core: each report is a function of the organisation (Org)
// and of history records (pages, incidents, served shifts, alerts) over a
// period, with no SQL, HTTP or clock. The store feeds it on the server;
// the simulator feeds it from a replayed history.
package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/hours"
)

// Names of the reports, as the API and the CLI spell them.
const (
	NameInterruptions = "interruptions"
	NameResponse      = "response"
	NameCost          = "cost"
	NameCoverage      = "coverage"
	NameToil          = "toil"
	NameRisks         = "risks"
	NameUnclearValue  = "unclear-value"
)

// Names lists every report.
var Names = []string{NameInterruptions, NameResponse, NameCost, NameCoverage, NameToil, NameRisks, NameUnclearValue}

// MaxPeriod is the longest period a report covers.
const MaxPeriod = 400 * 24 * time.Hour

// Period is the half-open span [From, To) a report covers.
type Period struct {
	From, To time.Time
}

// Check refuses a period that is empty, backwards or longer than MaxPeriod.
func (p Period) Check() error {
	switch {
	case p.From.IsZero() || p.To.IsZero():
		return fmt.Errorf("a report needs both from and to")
	case !p.To.After(p.From):
		return fmt.Errorf("to (%s) is not after from (%s)", p.To.Format(time.RFC3339), p.From.Format(time.RFC3339))
	case p.To.Sub(p.From) > MaxPeriod:
		return fmt.Errorf("from %s to %s is longer than %d days: ask for a shorter period",
			p.From.Format(time.RFC3339), p.To.Format(time.RFC3339), int(MaxPeriod/(24*time.Hour)))
	}
	return nil
}

// Contains reports whether t falls in the period.
func (p Period) Contains(t time.Time) bool { return !t.Before(p.From) && t.Before(p.To) }

// clip returns the part of [start, end) inside the period.
func (p Period) clip(start, end time.Time) (time.Time, time.Time, bool) {
	if start.Before(p.From) {
		start = p.From
	}
	if end.After(p.To) {
		end = p.To
	}
	return start, end, start.Before(end)
}

// Weeks are the Mondays (00:00 UTC) of the weeks the period touches, for
// the weekly trends.
func (p Period) Weeks() []time.Time {
	var out []time.Time
	for w := weekOf(p.From); w.Before(p.To); w = w.AddDate(0, 0, 7) {
		out = append(out, w)
	}
	return out
}

// weekOf is the Monday 00:00 UTC that begins t's week.
func weekOf(t time.Time) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	back := (int(day.Weekday()) + 6) % 7 // days since Monday
	return day.AddDate(0, 0, -back)
}

// weekCount is the period's length in weeks, for rates per week.
func (p Period) weekCount() float64 { return p.To.Sub(p.From).Hours() / (7 * 24) }

// Org is what the reports read of the configuration.
type Org struct {
	Hours hours.Hours
	Rates Rates
	// People, Teams and Services are sorted by id.
	People   []Person
	Teams    []Team
	Services []Service
	// PagingSchedules are the schedules some escalation policy pages:
	// time on call on them is standby.
	PagingSchedules map[string]bool
	// Holiday reports whether a date is a public holiday in a country
	// (holiday.IsHoliday fits); nil knows none.
	Holiday func(country string, date time.Time) (string, bool)

	// graph is the catalog's dependency graph, for availability
	// ceilings; nil knows no dependencies.
	graph    *catalog.Graph
	people   map[string]int
	teams    map[string]int
	services map[string]int
	zones    map[string]*time.Location
	holidays map[holidayKey]bool
}

// holidayKey is a date in a country.
type holidayKey struct {
	country string
	y       int
	m       time.Month
	d       int
}

// Person is someone who may be paged.
type Person struct {
	ID       string `json:"id"`
	Name     string `json:"name,omitempty"`
	TimeZone string `json:"time_zone"`
	// Teams are the teams listing them as a member, in configuration order.
	Teams []string `json:"teams"`
	// Country is the country of their first team that has one: its public
	// holidays are theirs.
	Country string `json:"country,omitempty"`
}

// Team is a team with its people, services and schedules.
type Team struct {
	ID       string   `json:"id"`
	Name     string   `json:"name,omitempty"`
	Kind     string   `json:"kind"`
	Country  string   `json:"country,omitempty"`
	TimeZone string   `json:"time_zone,omitempty"`
	Members  []string `json:"members"`
	// Services are the services it owns, and for an IRT those it covers
	// (for the global IRT: every critical service no other IRT covers).
	Services []string `json:"services"`
	// FirstResponse are the schedules the first step of its escalation
	// policy pages (its own schedule when it has no policy): hours
	// someone is on call on them are hours of guaranteed response.
	FirstResponse []string `json:"first_response"`
}

// Service is a service with what makes it critical.
type Service struct {
	ID       string   `json:"id"`
	Owner    string   `json:"owner"`
	Critical bool     `json:"critical"`
	Because  []string `json:"critical_because"`
	// HardDependencies are the services it needs through hard edges.
	HardDependencies []string `json:"hard_dependencies"`
}

// NewOrg reads what the reports need from a configuration and its graph.
// hrs are the org's hours (org.HoursOf reads them from the bundle).
func NewOrg(b *config.Bundle, g *catalog.Graph, hrs hours.Hours, holiday func(string, time.Time) (string, bool)) *Org {
	o := &Org{Hours: hrs, Rates: RatesOf(b.Org.Costs), Holiday: holiday, PagingSchedules: map[string]bool{}, graph: g}
	teamSchedule := map[string]string{}
	for _, t := range b.Teams {
		teamSchedule[t.ID] = t.Schedule
	}
	policies := map[string][]string{} // policy → schedules of its first step
	for _, p := range b.EscalationPolicies {
		for i, step := range p.Steps {
			for _, target := range step.Targets {
				s := target.Schedule
				if target.Team != "" {
					s = teamSchedule[target.Team]
				}
				if s == "" {
					continue
				}
				o.PagingSchedules[s] = true
				if i == 0 && !slices.Contains(policies[p.ID], s) {
					policies[p.ID] = append(policies[p.ID], s)
				}
			}
		}
	}
	countries := map[string]string{}
	for _, t := range b.Teams {
		team := Team{ID: t.ID, Name: t.Name, Kind: t.Kind, Country: t.Country, TimeZone: t.TimeZone,
			Members: slices.Clone(t.Members), Services: slices.Clone(t.Covers)}
		if team.Members == nil {
			team.Members = []string{}
		}
		switch {
		case t.EscalationPolicy != "":
			team.FirstResponse = slices.Clone(policies[t.EscalationPolicy])
		case t.Schedule != "":
			team.FirstResponse = []string{t.Schedule}
		}
		if team.FirstResponse == nil {
			team.FirstResponse = []string{}
		}
		for _, s := range b.Services {
			if s.Owner == t.ID && !slices.Contains(team.Services, s.ID) {
				team.Services = append(team.Services, s.ID)
			}
		}
		if team.Services == nil {
			team.Services = []string{}
		}
		sort.Strings(team.Services)
		o.Teams = append(o.Teams, team)
		for _, m := range t.Members {
			if _, ok := countries[m]; !ok || countries[m] == "" {
				countries[m] = t.Country
			}
		}
	}
	for _, u := range b.Users {
		p := Person{ID: u.ID, Name: u.Name, TimeZone: u.TimeZone, Country: countries[u.ID], Teams: []string{}}
		for _, t := range b.Teams {
			if slices.Contains(t.Members, u.ID) {
				p.Teams = append(p.Teams, t.ID)
			}
		}
		o.People = append(o.People, p)
	}
	for _, s := range b.Services {
		critical, because := false, []string(nil)
		if g != nil {
			critical, because = g.Criticality(s.ID)
		}
		svc := Service{ID: s.ID, Owner: s.Owner, Critical: critical, Because: because, HardDependencies: []string{}}
		if svc.Because == nil {
			svc.Because = []string{}
		}
		for _, d := range s.DependsOn {
			if d.Kind == catalog.Hard {
				svc.HardDependencies = append(svc.HardDependencies, d.Service)
			}
		}
		o.Services = append(o.Services, svc)
	}
	o.index()
	o.coverForGlobalIRT()
	return o
}

// coverForGlobalIRT gives the global IRT the critical services no other
// IRT covers: it is their emergency response.
func (o *Org) coverForGlobalIRT() {
	covered := map[string]bool{}
	for _, t := range o.Teams {
		if t.Kind == catalog.KindIRT {
			for _, s := range t.Services {
				covered[s] = true
			}
		}
	}
	for i := range o.Teams {
		t := &o.Teams[i]
		if t.Kind != catalog.KindGlobalIRT {
			continue
		}
		for _, s := range o.Services {
			if s.Critical && !covered[s.ID] && !slices.Contains(t.Services, s.ID) {
				t.Services = append(t.Services, s.ID)
			}
		}
		sort.Strings(t.Services)
	}
}

// index sorts the org and makes its look-ups; NewOrg calls it, and so
// must anyone who builds an Org by hand.
func (o *Org) index() {
	slices.SortFunc(o.People, func(a, b Person) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(o.Teams, func(a, b Team) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(o.Services, func(a, b Service) int { return cmp.Compare(a.ID, b.ID) })
	o.people, o.teams, o.services = map[string]int{}, map[string]int{}, map[string]int{}
	for i, p := range o.People {
		o.people[p.ID] = i
	}
	for i, t := range o.Teams {
		o.teams[t.ID] = i
	}
	for i, s := range o.Services {
		o.services[s.ID] = i
	}
	o.zones = map[string]*time.Location{}
	o.holidays = map[holidayKey]bool{}
}

// Index prepares an Org built by hand (not by NewOrg) for the reports.
func (o *Org) Index() { o.index() }

// Person returns the person with this id, or nil.
func (o *Org) Person(id string) *Person {
	if i, ok := o.people[id]; ok {
		return &o.People[i]
	}
	return nil
}

// Team returns the team with this id, or nil.
func (o *Org) Team(id string) *Team {
	if i, ok := o.teams[id]; ok {
		return &o.Teams[i]
	}
	return nil
}

// Service returns the service with this id, or nil.
func (o *Org) Service(id string) *Service {
	if i, ok := o.services[id]; ok {
		return &o.Services[i]
	}
	return nil
}

// zone loads a time zone once; a name that does not load is UTC.
func (o *Org) zone(name string) *time.Location {
	if loc, ok := o.zones[name]; ok {
		return loc
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "" || name == "Local" {
		loc = time.UTC
	}
	o.zones[name] = loc
	return loc
}

// personZone is a person's configured zone, UTC for someone unknown.
func (o *Org) personZone(user string) *time.Location {
	if p := o.Person(user); p != nil {
		return o.zone(p.TimeZone)
	}
	return time.UTC
}

// isHoliday reports whether t, read in loc, falls on a public holiday of
// the person's country.
func (o *Org) isHoliday(user string, t time.Time, loc *time.Location) bool {
	p := o.Person(user)
	if o.Holiday == nil || p == nil || p.Country == "" {
		return false
	}
	return o.holidayOn(p.Country, t.In(loc))
}

// holidayOn reports whether the date of local is a public holiday in
// country, asking o.Holiday once per date: a year of pages falls on a few
// hundred dates.
func (o *Org) holidayOn(country string, local time.Time) bool {
	y, m, d := local.Date()
	k := holidayKey{country, y, m, d}
	is, ok := o.holidays[k]
	if !ok {
		_, is = o.Holiday(country, local)
		o.holidays[k] = is
	}
	return is
}

// Filter is what a report is asked about: a team, or the whole org.
type Filter struct {
	Team string
}

// teamsOf lists the teams a report shows: the one asked for, or all.
func (o *Org) teamsOf(f Filter) []Team {
	if f.Team == "" {
		return o.Teams
	}
	if t := o.Team(f.Team); t != nil {
		return []Team{*t}
	}
	return nil
}

// hasMember reports whether the filter keeps a person: everyone, or the
// members of the team asked for.
func (o *Org) keepsPerson(f Filter, user string) bool {
	if f.Team == "" {
		return true
	}
	t := o.Team(f.Team)
	return t != nil && slices.Contains(t.Members, user)
}

// keepsService reports whether the filter keeps a service: every one, or
// those of the team asked for.
func (o *Org) keepsService(f Filter, service string) bool {
	if f.Team == "" {
		return true
	}
	t := o.Team(f.Team)
	return t != nil && slices.Contains(t.Services, service)
}

// ownerOf is the team owning a service, "" when it is not configured.
func (o *Org) ownerOf(service string) string {
	if s := o.Service(service); s != nil {
		return s.Owner
	}
	return ""
}

// Durations are reported in hours with two decimals, money with two.
func round2(v float64) float64 { return math.Round(v*100) / 100 }

func hoursOf(d time.Duration) float64 { return round2(d.Hours()) }

// share is part/whole, 0 when whole is 0, with four decimals.
func share(part, whole float64) float64 {
	if whole == 0 {
		return 0
	}
	return math.Round(part/whole*1e4) / 1e4
}

// Heading is what every report starts with: its period, and the team it
// is about ("" for the whole org).
type Heading struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	Team string    `json:"team,omitempty"`
}

func heading(p Period, f Filter) Heading { return Heading{From: p.From, To: p.To, Team: f.Team} }
