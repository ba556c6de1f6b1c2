package opsgenie

import (
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/importer"
	"github.com/vigil-oncall/vigil/internal/importer/importertest"
)

func data[T any](t *testing.T, files importertest.Files, name string) T {
	t.Helper()
	v, err := importer.Object[T](files[name], name, "data")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// ogRules answers who is on call by Opsgenie's own rules, straight from
// the API's schedule: every rotation is on call at once (all on-call
// participants are notified). A rotation covers from startDate to
// endDate, within its time restriction; its turn k starts at startDate +
// k × length hours, days or weeks (days and weeks counted on the
// schedule's calendar, keeping the local handoff time), held by
// participants[k mod n]. A time-of-day restriction covers every day from
// its start to its end, past midnight when the end comes first; each
// weekday-and-time-of-day restriction covers from its start day and time
// to its end day and time. Overrides apply in order: one without rotations
// puts its user on call alone; one with rotations takes the turns of
// those rotations' participants.
type ogRules struct {
	s         schedule
	overrides []override
	loc       *time.Location
}

var weekday = map[string]time.Weekday{"sunday": 0, "monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6}

func (o ogRules) onCall(t *testing.T, at time.Time) []string {
	answer := make([]string, len(o.s.Rotations))
	for i, r := range o.s.Rotations {
		if at.Before(importertest.Time(t, r.StartDate)) || r.EndDate != "" && !at.Before(importertest.Time(t, r.EndDate)) || !o.restricted(r, at) {
			continue
		}
		k := o.turn(t, r, at)
		n := int64(len(r.Participants))
		answer[i] = r.Participants[((k%n)+n)%n].ID
	}
	for _, ov := range o.overrides {
		if at.Before(importertest.Time(t, ov.StartDate)) || !at.Before(importertest.Time(t, ov.EndDate)) {
			continue
		}
		if len(ov.Rotations) == 0 {
			for i := range answer {
				answer[i] = ov.User.ID
			}
			continue
		}
		for i, r := range o.s.Rotations {
			for _, target := range ov.Rotations {
				if target.ID == r.ID && isParticipant(r, answer[i]) {
					answer[i] = ov.User.ID
				}
			}
		}
	}
	var who []string
	for _, a := range answer {
		if a != "" {
			who = append(who, a)
		}
	}
	return who
}

func isParticipant(r rotation, id string) bool {
	for _, p := range r.Participants {
		if p.ID == id && id != "" {
			return true
		}
	}
	return false
}

func (o ogRules) turn(t *testing.T, r rotation, at time.Time) int64 {
	start := importertest.Time(t, r.StartDate).In(o.loc)
	handoff := func(k int64) time.Time {
		switch r.Type {
		case "hourly":
			return start.Add(time.Duration(k*int64(r.Length)) * time.Hour)
		case "daily":
			return time.Date(start.Year(), start.Month(), start.Day()+int(k)*r.Length, start.Hour(), start.Minute(), 0, 0, o.loc)
		}
		return time.Date(start.Year(), start.Month(), start.Day()+int(k)*7*r.Length, start.Hour(), start.Minute(), 0, 0, o.loc)
	}
	unit := map[string]time.Duration{"hourly": time.Hour, "daily": 24 * time.Hour}[r.Type]
	if unit == 0 {
		unit = 7 * 24 * time.Hour
	}
	k := int64(at.Sub(start) / (unit * time.Duration(r.Length))) // an estimate: DST moves calendar handoffs by an hour
	for handoff(k).After(at) {
		k--
	}
	for !handoff(k + 1).After(at) {
		k++
	}
	return k
}

// spans are the stretches of a rotation's restriction that start in the
// eight days up to at.
func (o ogRules) spans(r rotation, at time.Time) [][2]time.Time {
	tr := r.TimeRestriction
	if tr == nil {
		return nil
	}
	local := at.In(o.loc)
	var out [][2]time.Time
	for d := -8; d <= 0; d++ {
		day := time.Date(local.Year(), local.Month(), local.Day()+d, 0, 0, 0, 0, o.loc)
		at := func(days, h, m int) time.Time {
			return time.Date(day.Year(), day.Month(), day.Day()+days, h, m, 0, 0, o.loc)
		}
		switch tr.Type {
		case "time-of-day":
			x := tr.Restriction
			s, e := at(0, *x.StartHour, *x.StartMin), at(0, *x.EndHour, *x.EndMin)
			if !e.After(s) {
				e = at(1, *x.EndHour, *x.EndMin)
			}
			out = append(out, [2]time.Time{s, e})
		case "weekday-and-time-of-day":
			for _, x := range tr.Restrictions {
				if day.Weekday() != weekday[x.StartDay] {
					continue
				}
				days := (int(weekday[x.EndDay]) - int(weekday[x.StartDay]) + 7) % 7
				s, e := at(0, *x.StartHour, *x.StartMin), at(days, *x.EndHour, *x.EndMin)
				if !e.After(s) {
					e = at(days+7, *x.EndHour, *x.EndMin)
				}
				out = append(out, [2]time.Time{s, e})
			}
		}
	}
	return out
}

func (o ogRules) restricted(r rotation, at time.Time) bool {
	if r.TimeRestriction == nil {
		return true
	}
	for _, s := range o.spans(r, at) {
		if !at.Before(s[0]) && at.Before(s[1]) {
			return true
		}
	}
	return false
}

func (o ogRules) boundaries(from, to time.Time) []time.Time {
	var out []time.Time
	for at := from; at.Before(to); at = at.AddDate(0, 0, 7) {
		for _, r := range o.s.Rotations {
			for _, s := range o.spans(r, at) {
				out = append(out, s[0], s[1])
			}
		}
	}
	return out
}

// TestFidelity compares, for every schedule of the fixture that carries
// over, who is on call by Opsgenie's rules and by Vigil's engine on the
// imported configuration (the union over the Vigil schedules made from
// it), over 8 weeks around each of the two DST changes of its zone.
func TestFidelity(t *testing.T) {
	files := importertest.ReadFiles(t, "testdata/acme")
	im := importertest.ImportAndLoad(t, Import, files)
	vigilID := map[string]string{}
	for _, page := range []string{"users.json", "users-2.json"} {
		for _, u := range data[[]user](t, files, page) {
			vigilID[u.ID] = im.ByEmail[u.Username]
		}
	}
	rng := rand.New(rand.NewPCG(19, 2))
	var total importertest.Tally
	for _, s := range data[[]schedule](t, files, "schedules.json") {
		es := im.EnginesOf(s.ID)
		if len(es) == 0 {
			if !strings.HasPrefix(s.Name, "Legacy") {
				t.Errorf("schedule %s was not imported", s.Name)
			}
			continue // the report says why
		}
		ovs := data[[]override](t, files, filepath.ToSlash(filepath.Join("schedules", s.ID, "overrides.json")))
		loc, err := time.LoadLocation(s.Timezone)
		if err != nil {
			t.Fatal(err)
		}
		rules := ogRules{s: s, overrides: ovs, loc: loc}
		src := func(at time.Time) []string {
			var who []string
			for _, id := range rules.onCall(t, at) {
				who = append(who, vigilID[id])
			}
			return who
		}
		total.Schedule(importertest.CompareSchedule(t, s.Name, rng, loc, importertest.Now(), src, es, rules.boundaries))
	}
	total.Done(t, "Opsgenie", "restriction", 3)
}
