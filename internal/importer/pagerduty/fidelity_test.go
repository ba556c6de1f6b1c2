package pagerduty

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/importer"
	"github.com/vigil-oncall/vigil/internal/importer/importertest"
)

func mustDir(t *testing.T, dir string) *importer.Dir {
	t.Helper()
	src, err := importer.NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func readJSON[T any](t *testing.T, path, key string) T {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var envelope map[string]json.RawMessage
	var v T
	if err := json.Unmarshal(data, &envelope); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(envelope[key], &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// pdRules answers who is on call by PagerDuty's own rules, straight from
// the API's schedule: layers are listed top first, and the first layer
// that covers an instant decides; a layer covers from start until end,
// within its restrictions; its turn k starts at rotation_virtual_start +
// k × rotation_turn_length_seconds (a length of whole days counted in
// calendar days of the schedule's zone, so that the handoff keeps its
// local time); the user of turn k is users[k mod len(users)]. A daily
// restriction covers from start_time_of_day for duration_seconds of the
// local clock every day, a weekly one from start_day_of_week (1 Monday,
// 7 Sunday). Overrides come last: the last override holding the instant
// puts its user on call.
type pdRules struct {
	s         schedule
	overrides []override
	loc       *time.Location
}

func (p pdRules) onCall(t *testing.T, at time.Time) string {
	who := ""
	for _, l := range p.s.ScheduleLayers {
		if at.Before(importertest.Time(t, l.Start)) || l.End != nil && !at.Before(importertest.Time(t, *l.End)) || !p.restricted(t, l, at) {
			continue
		}
		k := p.turn(t, l, at)
		n := int64(len(l.Users))
		who = l.Users[((k%n)+n)%n].User.ID
		break
	}
	for _, o := range p.overrides {
		if !at.Before(importertest.Time(t, o.Start)) && at.Before(importertest.Time(t, o.End)) {
			who = o.User.ID
		}
	}
	return who
}

// turn counts turns from rotation_virtual_start, one at a time.
func (p pdRules) turn(t *testing.T, l layer, at time.Time) int64 {
	v := importertest.Time(t, l.RotationVirtualStart).In(p.loc)
	handoff := func(k int64) time.Time {
		if l.RotationTurnLengthSeconds%86400 == 0 {
			days := int(l.RotationTurnLengthSeconds / 86400)
			return time.Date(v.Year(), v.Month(), v.Day()+int(k)*days, v.Hour(), v.Minute(), v.Second(), 0, p.loc)
		}
		return v.Add(time.Duration(k*l.RotationTurnLengthSeconds) * time.Second)
	}
	k := int64(at.Sub(v) / (time.Duration(l.RotationTurnLengthSeconds) * time.Second)) // an estimate: DST moves calendar handoffs by an hour
	for handoff(k).After(at) {
		k--
	}
	for !handoff(k + 1).After(at) {
		k++
	}
	return k
}

func clockOf(t *testing.T, s string) (h, m, sec int) {
	parts := strings.Split(s, ":")
	v := make([]int, 3)
	for i, x := range parts {
		n, err := strconv.Atoi(x)
		if err != nil {
			t.Fatal(err)
		}
		v[i] = n
	}
	return v[0], v[1], v[2]
}

// spans are a restriction's stretches that start on the days around at.
func (p pdRules) spans(t *testing.T, r restriction, at time.Time) [][2]time.Time {
	h, m, s := clockOf(t, r.StartTimeOfDay)
	local := at.In(p.loc)
	var out [][2]time.Time
	for d := -8; d <= 1; d++ {
		day := time.Date(local.Year(), local.Month(), local.Day()+d, 0, 0, 0, 0, p.loc)
		if r.Type == "weekly_restriction" && int(day.Weekday()) != r.StartDayOfWeek%7 {
			continue
		}
		start := time.Date(day.Year(), day.Month(), day.Day(), h, m, s, 0, p.loc)
		end := time.Date(day.Year(), day.Month(), day.Day(), h, m, s+int(r.DurationSeconds), 0, p.loc)
		out = append(out, [2]time.Time{start, end})
	}
	return out
}

func (p pdRules) restricted(t *testing.T, l layer, at time.Time) bool {
	if len(l.Restrictions) == 0 {
		return true
	}
	for _, r := range l.Restrictions {
		for _, s := range p.spans(t, r, at) {
			if !at.Before(s[0]) && at.Before(s[1]) {
				return true
			}
		}
	}
	return false
}

// boundaries are where restrictions begin and end within [from, to).
func (p pdRules) boundaries(t *testing.T, from, to time.Time) []time.Time {
	var out []time.Time
	for at := from; at.Before(to); at = at.AddDate(0, 0, 7) {
		for _, l := range p.s.ScheduleLayers {
			for _, r := range l.Restrictions {
				for _, s := range p.spans(t, r, at) {
					out = append(out, s[0], s[1])
				}
			}
		}
	}
	return out
}

// TestFidelity compares, for every schedule of the fixture, who is on call
// by PagerDuty's rules and by Vigil's engine on the imported configuration,
// over 8 weeks around each of the two DST changes of the schedule's zone.
func TestFidelity(t *testing.T) {
	const dir = "testdata/acme"
	im := importertest.ImportAndLoad(t, Import, mustDir(t, dir))
	vigilID := map[string]string{} // PagerDuty user id -> Vigil id, by email
	for _, page := range []string{"users.json", "users-2.json"} {
		for _, u := range readJSON[[]user](t, filepath.Join(dir, page), "users") {
			vigilID[u.ID] = im.ByEmail[u.Email]
		}
	}
	rng := rand.New(rand.NewPCG(19, 1))
	var total importertest.Tally
	for _, item := range readJSON[[]schedule](t, filepath.Join(dir, "schedules.json"), "schedules") {
		path := filepath.Join(dir, "schedules", item.ID+".json")
		if _, err := os.Stat(path); err != nil {
			continue // not importable: the report says so
		}
		s := readJSON[schedule](t, path, "schedule")
		var ovs []override
		if _, err := os.Stat(filepath.Join(dir, "schedules", item.ID, "overrides.json")); err == nil {
			ovs = readJSON[[]override](t, filepath.Join(dir, "schedules", item.ID, "overrides.json"), "overrides")
		}
		loc, err := time.LoadLocation(s.TimeZone)
		if err != nil {
			t.Fatal(err)
		}
		rules := pdRules{s: s, overrides: ovs, loc: loc}
		es := im.EnginesOf(item.ID)
		if len(es) == 0 {
			t.Errorf("schedule %s was not imported", s.Name)
			continue
		}
		src := func(at time.Time) []string {
			if id := rules.onCall(t, at); id != "" {
				return []string{vigilID[id]}
			}
			return nil
		}
		total.Schedule(importertest.CompareSchedule(t, s.Name, rng, loc, importertest.Now(), src, es, func(from, to time.Time) []time.Time { return rules.boundaries(t, from, to) }))
	}
	total.Done(t, "PagerDuty", "restriction", 3)
}
