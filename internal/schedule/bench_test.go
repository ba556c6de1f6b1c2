package schedule

import (
	"github.com/vigil-oncall/vigil/internal/hours"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/holiday"
)

// BenchmarkOnCall10k asks 10,000 compiled schedules (random shapes: one to
// four layers, windows, holidays, overrides) who is on call, one query
// each per op; ns/query is the cost of one answer.
func BenchmarkOnCall10k(b *testing.B) {
	const n = 10_000
	rng := rand.New(rand.NewPCG(10, 20))
	engines := make([]*Engine, n)
	instants := make([]time.Time, n)
	for i := range engines {
		e, err := Compile(randomSchedule(rng), Options{Holiday: fakeHoliday})
		if err != nil {
			b.Fatal(err)
		}
		engines[i] = e
		instants[i] = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.Int64N(int64(365 * 24 * time.Hour))))
	}
	b.ResetTimer()
	for b.Loop() {
		for i, e := range engines {
			e.OnCall(instants[i])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/query")
}

// fourLayerFollowTheSun is a 24/7 weekly base layer with APAC, EU and US
// daytime layers on top (daily rotations, weekdays 07:00–19:00 local),
// the EU one skipping German holidays, and a few overrides.
func fourLayerFollowTheSun(b *testing.B) *Engine {
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	weekdays := []string{"mon", "tue", "wed", "thu", "fri"}
	day := []Window{{Days: weekdays, From: "07:00", To: "19:00"}}
	s := Schedule{
		ID: "global", TimeZone: "UTC",
		Layers: []Layer{
			{ID: "base", Users: []string{"b1", "b2", "b3", "b4"}, Rotation: Rotation{Every: "1w"}, Start: start},
			{ID: "apac", Users: []string{"a1", "a2", "a3"}, Rotation: Rotation{Every: "1d"}, Start: start, TimeZone: "Australia/Sydney", Active: day},
			{ID: "eu", Users: []string{"e1", "e2", "e3"}, Rotation: Rotation{Every: "1d"}, Start: start, TimeZone: "Europe/Berlin", Active: day, SkipHolidays: "DE"},
			{ID: "us", Users: []string{"u1", "u2", "u3"}, Rotation: Rotation{Every: "1d"}, Start: start, TimeZone: "America/New_York", Active: day},
		},
	}
	for i := range 20 {
		o := Override{User: "sub", Start: start.AddDate(0, 0, 17*i), End: start.AddDate(0, 0, 17*i).Add(30 * time.Hour)}
		if i%2 == 0 {
			o.Replaces = "e1"
		}
		s.Overrides = append(s.Overrides, o)
	}
	e, err := Compile(s, Options{Holiday: holiday.IsHoliday})
	if err != nil {
		b.Fatal(err)
	}
	return e
}

func BenchmarkShiftsYearFollowTheSun(b *testing.B) {
	e := fourLayerFollowTheSun(b)
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	var count int
	for b.Loop() {
		shifts, err := e.Shifts(from, to)
		if err != nil {
			b.Fatal(err)
		}
		count = len(shifts)
	}
	b.ReportMetric(float64(count), "shifts")
}

func BenchmarkCoverageYearFollowTheSun(b *testing.B) {
	e := fourLayerFollowTheSun(b)
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		if _, err := Coverage(e, from, to, nil, hours.Default, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkICalYear(b *testing.B) {
	e := fourLayerFollowTheSun(b)
	shifts, err := e.Shifts(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		ICal("global", shifts, nil, now)
	}
}
