package schedule

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

var randomZones = []string{"UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe", "Asia/Kolkata"}

var randomRotations = []string{"1d", "2d", "1w", "2w", "1h", "3h", "8h", "12h", "36h", "1d6h"}

// fakeHoliday makes about one day in nine a holiday, so that the tests do
// not depend on a real calendar.
func fakeHoliday(country string, date time.Time) (string, bool) {
	y, m, d := date.Date()
	if (y*372+int(m)*31+d+len(country))%9 == 0 {
		return "Fake Day", true
	}
	return "", false
}

// randomSchedule builds a schedule around 2026 whose shape comes from rng:
// one to four layers in assorted zones, rotations, windows (some at times
// that DST skips or repeats) and holidays, and up to four overrides.
func randomSchedule(rng *rand.Rand) Schedule {
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	base := time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)
	randomTime := func(days int) time.Time {
		return base.Add(time.Duration(rng.IntN(days*24*4)) * 15 * time.Minute)
	}
	clock := func() string {
		// Half-hour steps, with a bias to 02:00–03:00 where DST bites.
		if rng.IntN(4) == 0 {
			return fmt.Sprintf("02:%02d", rng.IntN(60))
		}
		return TimeOfDay(rng.IntN(48) * 30).String()
	}
	s := Schedule{ID: "random", TimeZone: pick(randomZones)}
	users := []string{"u0", "u1", "u2", "u3", "u4"}
	for i := range 1 + rng.IntN(4) {
		l := Layer{
			ID:       fmt.Sprintf("layer%d", i),
			Rotation: Rotation{Every: pick(randomRotations)},
			Start:    randomTime(400),
		}
		for range 1 + rng.IntN(4) {
			l.Users = append(l.Users, pick(users))
		}
		if rng.IntN(2) == 0 {
			l.TimeZone = pick(randomZones)
		}
		for range rng.IntN(3) {
			w := Window{From: clock(), To: clock()}
			for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
				if rng.IntN(3) > 0 {
					w.Days = append(w.Days, d)
				}
			}
			l.Active = append(l.Active, w)
		}
		if rng.IntN(3) == 0 {
			l.SkipHolidays = "XX"
		}
		if rng.IntN(4) == 0 {
			l.End = l.Start.Add(time.Duration(1+rng.IntN(60*24*4)) * 15 * time.Minute)
		}
		s.Layers = append(s.Layers, l)
	}
	// Overrides cluster within ten days so that some overlap.
	center := randomTime(400)
	for range rng.IntN(5) {
		o := Override{User: pick(users), Start: center.Add(time.Duration(rng.IntN(10*24*4)) * 15 * time.Minute)}
		o.End = o.Start.Add(time.Duration(1+rng.IntN(5*24*4)) * 15 * time.Minute)
		if rng.IntN(2) == 0 {
			o.Replaces = pick(users)
		}
		s.Overrides = append(s.Overrides, o)
	}
	return s
}

// checkConsistency verifies, for one schedule and range, that the shift
// list is well formed and agrees with point queries: at sampled instants
// (random ones, and each shift's edges) OnCall gives the user of the shift
// holding the instant, or nobody where no shift does.
func checkConsistency(t *testing.T, rng *rand.Rand, e *Engine, from, to time.Time) {
	t.Helper()
	got, err := e.Shifts(from, to)
	if err != nil {
		t.Fatalf("Shifts: %v", err)
	}
	for i, s := range got {
		if s.User == "" || !s.Start.Before(s.End) || s.Start.Before(from) || s.End.After(to) {
			t.Fatalf("shift %d is malformed: %s (range %s..%s)", i, fmtShift(s), from, to)
		}
		if i > 0 {
			prev := got[i-1]
			if s.Start.Before(prev.End) {
				t.Fatalf("shifts %d and %d overlap: %s, %s", i-1, i, fmtShift(prev), fmtShift(s))
			}
			if s.Start.Equal(prev.End) && s.User == prev.User {
				t.Fatalf("shifts %d and %d touch with the same user: %s, %s", i-1, i, fmtShift(prev), fmtShift(s))
			}
		}
	}
	userAt := func(at time.Time) string {
		for _, s := range got {
			if !at.Before(s.Start) && at.Before(s.End) {
				return s.User
			}
		}
		return ""
	}
	answers, err := e.Answers(from, to)
	if err != nil {
		t.Fatalf("Answers: %v", err)
	}
	if !slices.Equal(answers.Shifts(), got) {
		t.Fatalf("Answers hold other shifts than Shifts gives")
	}
	var samples []time.Time
	for range 60 {
		samples = append(samples, from.Add(time.Duration(rng.Int64N(int64(to.Sub(from))))))
	}
	for _, s := range got {
		samples = append(samples, s.Start, s.End.Add(-time.Nanosecond), s.End)
	}
	for _, o := range e.overrides {
		samples = append(samples, o.span.start, o.span.end.Add(-time.Nanosecond), o.span.end)
	}
	for _, at := range append(samples, from.Add(-time.Hour), to) {
		if !slices.Equal(e.OnCall(at), answers.OnCall(at)) {
			t.Fatalf("at %s OnCall says %q, Answers say %q", at.UTC().Format(time.RFC3339Nano), e.OnCall(at), answers.OnCall(at))
		}
	}
	for _, at := range samples {
		if at.Before(from) || !at.Before(to) {
			continue
		}
		users := e.OnCall(at)
		if len(users) > 1 {
			t.Fatalf("OnCall(%s) = %v: more than one answer", at, users)
		}
		if point, list := onCall(e, at), userAt(at); point != list {
			t.Fatalf("at %s OnCall says %q, Shifts say %q", at.UTC().Format(time.RFC3339Nano), point, list)
		}
	}
}

func TestPointQueriesAgreeWithShifts(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		s := randomSchedule(rng)
		e, err := Compile(s, Options{Holiday: fakeHoliday})
		if err != nil {
			t.Fatalf("schedule %d: %v", i, err)
		}
		from := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(330*24)) * time.Hour)
		if len(s.Overrides) > 0 && rng.IntN(2) == 0 {
			from = s.Overrides[0].Start.Add(-time.Duration(rng.IntN(5*24)) * time.Hour)
		}
		to := from.Add(time.Duration(1+rng.IntN(60*24)) * time.Hour)
		t.Run(fmt.Sprint(i), func(t *testing.T) { checkConsistency(t, rng, e, from, to) })
	}
}

// Splitting a range in two never changes the answer: the shifts of the
// halves, joined, are the shifts of the whole.
func TestShiftsAreAdditive(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 100 {
		e, err := Compile(randomSchedule(rng), Options{Holiday: fakeHoliday})
		if err != nil {
			t.Fatal(err)
		}
		from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(300*24)) * time.Hour)
		mid := from.Add(time.Duration(1+rng.IntN(20*24*60)) * time.Minute)
		to := mid.Add(time.Duration(1+rng.IntN(20*24*60)) * time.Minute)
		whole, _ := e.Shifts(from, to)
		a, _ := e.Shifts(from, mid)
		b, _ := e.Shifts(mid, to)
		joined := append(a, b...)
		if n := len(a); n > 0 && len(b) > 0 && a[n-1].User == b[0].User && a[n-1].End.Equal(b[0].Start) {
			a[n-1].End = b[0].End
			joined = append(a, b[1:]...)
		}
		if len(joined) != len(whole) {
			t.Fatalf("case %d: whole has %d shifts, halves %d", i, len(whole), len(joined))
		}
		for j := range whole {
			if whole[j].User != joined[j].User || !whole[j].Start.Equal(joined[j].Start) || !whole[j].End.Equal(joined[j].End) {
				t.Fatalf("case %d shift %d: whole %s, halves %s", i, j, fmtShift(whole[j]), fmtShift(joined[j]))
			}
		}
	}
}

// An override changes nothing outside [start, end): removing it leaves the
// answer the same at every instant outside its range. Inside the range, an
// override without replaces that no later override overlaps decides alone.
func TestOverridesNeverLeak(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 200 {
		s := randomSchedule(rng)
		if len(s.Overrides) == 0 {
			continue
		}
		with, err := Compile(s, Options{Holiday: fakeHoliday})
		if err != nil {
			t.Fatal(err)
		}
		j := rng.IntN(len(s.Overrides))
		o := s.Overrides[j]
		without := s
		without.Overrides = append(append([]Override{}, s.Overrides[:j]...), s.Overrides[j+1:]...)
		e2, err := Compile(without, Options{Holiday: fakeHoliday})
		if err != nil {
			t.Fatal(err)
		}
		length := o.End.Sub(o.Start)
		outside := []time.Time{o.Start.Add(-time.Nanosecond), o.End, o.Start.Add(-time.Hour), o.End.Add(time.Hour)}
		for range 40 {
			off := time.Duration(rng.Int64N(int64(10 * 24 * time.Hour)))
			outside = append(outside, o.Start.Add(-time.Nanosecond-off), o.End.Add(off))
		}
		for _, at := range outside {
			if a, b := onCall(with, at), onCall(e2, at); a != b {
				t.Fatalf("case %d: override %d (%s %s..%s) changes %s from %q to %q", i, j, o.User, o.Start, o.End, at, b, a)
			}
		}
		// The override's whole effect over a range containing it stays
		// within its bounds in the shift list too.
		from, to := o.Start.Add(-48*time.Hour), o.End.Add(48*time.Hour)
		sw, _ := with.Shifts(from, to)
		sn, _ := e2.Shifts(from, to)
		for _, at := range []time.Time{from, o.Start.Add(-time.Nanosecond), o.End, to.Add(-time.Nanosecond)} {
			if a, b := shiftUser(sw, at), shiftUser(sn, at); a != b {
				t.Fatalf("case %d: shifts differ outside the override at %s: %q vs %q", i, at, a, b)
			}
		}
		if o.Replaces != "" || overlappedLater(s.Overrides, j) {
			continue
		}
		for range 20 {
			at := o.Start.Add(time.Duration(rng.Int64N(int64(length))))
			if got := onCall(with, at); got != o.User {
				t.Fatalf("case %d: inside override %d at %s: %q, want %q", i, j, at, got, o.User)
			}
		}
	}
}

func shiftUser(shifts []Shift, at time.Time) string {
	for _, s := range shifts {
		if !at.Before(s.Start) && at.Before(s.End) {
			return s.User
		}
	}
	return ""
}

func overlappedLater(overrides []Override, j int) bool {
	for _, o := range overrides[j+1:] {
		if o.Start.Before(overrides[j].End) && overrides[j].Start.Before(o.End) {
			return true
		}
	}
	return false
}

// FuzzEngine runs the consistency check on schedules grown from fuzzed
// seeds.
func FuzzEngine(f *testing.F) {
	f.Add(uint64(1), uint64(2), int64(0), uint16(24))
	f.Add(uint64(7), uint64(99), int64(3600*24*90), uint16(2000))
	f.Fuzz(func(t *testing.T, seed1, seed2 uint64, offset int64, hours uint16) {
		rng := rand.New(rand.NewPCG(seed1, seed2))
		e, err := Compile(randomSchedule(rng), Options{Holiday: fakeHoliday})
		if err != nil {
			t.Fatal(err)
		}
		from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(offset%(3*365*24*3600)) * time.Second)
		to := from.Add(time.Duration(1+int(hours)%(90*24)) * time.Hour)
		checkConsistency(t, rng, e, from, to)
	})
}

// Many overlapping overrides of both kinds: the sweep in Shifts must apply
// them in list order exactly as OnCall does.
func TestManyOverrides(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	s := Schedule{
		ID: "busy", TimeZone: "Europe/Berlin",
		Layers: []Layer{{ID: "weekly", Users: []string{"u0", "u1", "u2"}, Rotation: Rotation{Every: "1w"}, Start: ts(t, "2026-01-05T09:00:00+01:00")}},
	}
	base := ts(t, "2026-02-01T00:00:00Z")
	users := []string{"u0", "u1", "u2", "u3", "u4"}
	for range 1000 {
		o := Override{User: users[rng.IntN(len(users))], Start: base.Add(time.Duration(rng.IntN(60*24*60)) * time.Minute)}
		o.End = o.Start.Add(time.Duration(1+rng.IntN(3*24*60)) * time.Minute)
		if rng.IntN(2) == 0 {
			o.Replaces = users[rng.IntN(len(users))]
		}
		s.Overrides = append(s.Overrides, o)
	}
	e := compile(t, s, Options{})
	checkConsistency(t, rng, e, base.Add(-24*time.Hour), base.Add(63*24*time.Hour))
}
