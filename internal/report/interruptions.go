package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/hours"
)

// Counts are interruptions by the bucket they fell in.
type Counts struct {
	Business int `json:"business"`
	Off      int `json:"off"`
	Sleep    int `json:"sleep"`
	Total    int `json:"total"`
	// Holiday counts those (of any bucket) on a public holiday of the
	// person's team's country.
	Holiday int `json:"holiday"`
}

func (c *Counts) add(b hours.Bucket, holiday bool) {
	switch b {
	case hours.Business:
		c.Business++
	case hours.Sleep:
		c.Sleep++
	default:
		c.Off++
	}
	c.Total++
	if holiday {
		c.Holiday++
	}
}

// PersonInterruptions are one person's interruptions.
type PersonInterruptions struct {
	User string `json:"user"`
	Name string `json:"name,omitempty"`
	Counts
}

// TeamInterruptions are the interruptions of a team's members: a person
// in two teams counts in both.
type TeamInterruptions struct {
	Team    string `json:"team"`
	Members int    `json:"members"`
	Counts
}

// WeekInterruptions are the interruptions of a week starting on Monday
// (00:00 UTC).
type WeekInterruptions struct {
	Week string `json:"week"` // YYYY-MM-DD
	Counts
}

// HoursView says which hours the buckets stand for.
type HoursView struct {
	Business string `json:"business"` // "08:00-18:00 mon tue wed thu fri"
	Night    string `json:"night"`    // "22:00-08:00"
}

func hoursView(h hours.Hours) HoursView {
	var days []string
	for _, d := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday} {
		if h.Business.Days[d] {
			days = append(days, strings.ToLower(d.String()[:3]))
		}
	}
	return HoursView{
		Business: fmt.Sprintf("%s-%s %s", hours.Clock(h.Business.Start), hours.Clock(h.Business.End), strings.Join(days, " ")),
		Night:    fmt.Sprintf("%s-%s", hours.Clock(h.Night.Start), hours.Clock(h.Night.End)),
	}
}

// Interruptions is the interruptions report.
type Interruptions struct {
	Heading
	Hours  HoursView             `json:"hours"`
	People []PersonInterruptions `json:"people"`
	Teams  []TeamInterruptions   `json:"teams"`
	Weeks  []WeekInterruptions   `json:"weeks"`
	Method []string              `json:"method"`
}

// Interruption is one page bucketed: who, when, in which part of their
// day, and whether on a public holiday of their country.
type Interruption struct {
	Page
	Bucket  hours.Bucket
	Holiday bool
}

// Bucket reads a page in the zone recorded with it. It is the one rule
// by which every report (and the simulator) buckets a page.
func (o *Org) Bucket(p Page) Interruption {
	loc := o.zone(p.TimeZone)
	return Interruption{Page: p, Bucket: o.Hours.Bucket(p.At, loc), Holiday: o.isHoliday(p.User, p.At, loc)}
}

// ReportInterruptions counts, per person, team and week, the incidents
// that paged people in the period: each (incident, person) page once, at
// its first notification, in the zone recorded with it.
func ReportInterruptions(o *Org, period Period, f Filter, pages []Page) Interruptions {
	rep := Interruptions{Heading: heading(period, f), Hours: hoursView(o.Hours),
		People: []PersonInterruptions{}, Teams: []TeamInterruptions{}, Weeks: []WeekInterruptions{}}
	people := map[string]*PersonInterruptions{}
	person := func(user string) *PersonInterruptions {
		if p, ok := people[user]; ok {
			return p
		}
		p := &PersonInterruptions{User: user}
		if known := o.Person(user); known != nil {
			p.Name = known.Name
		}
		people[user] = p
		return p
	}
	for _, t := range o.teamsOf(f) {
		for _, m := range t.Members {
			person(m)
		}
	}
	weeks := map[string]*Counts{}
	for _, w := range period.Weeks() {
		weeks[w.Format(time.DateOnly)] = &Counts{}
	}
	for _, pg := range firstPages(pages) {
		if !period.Contains(pg.At) || !o.keepsPerson(f, pg.User) {
			continue
		}
		in := o.Bucket(pg)
		person(pg.User).add(in.Bucket, in.Holiday)
		weeks[weekOf(pg.At).Format(time.DateOnly)].add(in.Bucket, in.Holiday)
	}
	for _, p := range people {
		rep.People = append(rep.People, *p)
	}
	slices.SortFunc(rep.People, func(a, b PersonInterruptions) int {
		return cmp.Or(cmp.Compare(b.Total, a.Total), cmp.Compare(b.Sleep, a.Sleep), cmp.Compare(a.User, b.User))
	})
	for _, t := range o.teamsOf(f) {
		row := TeamInterruptions{Team: t.ID, Members: len(t.Members)}
		for _, m := range t.Members {
			if p, ok := people[m]; ok {
				row.Counts = row.Counts.plus(p.Counts)
			}
		}
		rep.Teams = append(rep.Teams, row)
	}
	slices.SortFunc(rep.Teams, func(a, b TeamInterruptions) int {
		return cmp.Or(cmp.Compare(b.Total, a.Total), cmp.Compare(b.Sleep, a.Sleep), cmp.Compare(a.Team, b.Team))
	})
	for _, w := range period.Weeks() {
		key := w.Format(time.DateOnly)
		rep.Weeks = append(rep.Weeks, WeekInterruptions{Week: key, Counts: *weeks[key]})
	}
	rep.Method = []string{
		"One interruption is one incident paging one person: the first notification of that incident to that person counts, however many notifications and escalation steps followed.",
		fmt.Sprintf("Each is bucketed in the time zone recorded with that notification: sleep hours %s every day, business hours %s, off hours the rest (evenings and weekends).", rep.Hours.Night, rep.Hours.Business),
		"Holiday counts those that fell on a public holiday of the person's team's country. A person in several teams counts in each team's row.",
		"Weeks start on Monday, 00:00 UTC.",
	}
	return rep
}

func (c Counts) plus(o Counts) Counts {
	return Counts{Business: c.Business + o.Business, Off: c.Off + o.Off, Sleep: c.Sleep + o.Sleep, Total: c.Total + o.Total, Holiday: c.Holiday + o.Holiday}
}

// firstPages keeps each (incident, person)'s earliest page, in case a
// source hands over more than one.
func firstPages(pages []Page) []Page {
	type key struct {
		incident int64
		user     string
	}
	first := make(map[key]int, len(pages))
	out := make([]Page, 0, len(pages))
	for _, p := range pages {
		k := key{p.Incident, p.User}
		if i, ok := first[k]; ok {
			if p.At.Before(out[i].At) {
				out[i] = p
			}
			continue
		}
		first[k] = len(out)
		out = append(out, p)
	}
	return out
}
