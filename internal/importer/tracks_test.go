package importer

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/schedule"
)

func layer(id string, users []string, every string, start time.Time, active ...schedule.Window) schedule.Layer {
	return schedule.Layer{ID: id, Users: users, Rotation: schedule.Rotation{Every: every}, Start: start, Active: active}
}

func compileLayers(t *testing.T, zone string, layers []schedule.Layer) *schedule.Engine {
	t.Helper()
	e, err := schedule.Compile(schedule.Schedule{ID: "t", TimeZone: zone, Layers: layers}, schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// answers compiles each part, or each track, once.
type answers struct {
	levels  []int
	engines []*schedule.Engine
}

func partAnswers(t *testing.T, zone string, parts []Part) answers {
	var a answers
	for _, p := range parts {
		a.levels = append(a.levels, p.Level)
		a.engines = append(a.engines, compileLayers(t, zone, p.Layers))
	}
	return a
}

func trackAnswers(t *testing.T, zone string, tracks []Track) answers {
	var a answers
	for _, tr := range tracks {
		a.levels = append(a.levels, 0)
		a.engines = append(a.engines, compileLayers(t, zone, tr.Layers))
	}
	return a
}

// at is every user of a covering engine of the highest covering level:
// for parts, the source's answer; for tracks (all level 0), their union.
func (a answers) at(at time.Time) []string {
	best := -1 << 31
	var who []string
	for i, e := range a.engines {
		u := e.OnCall(at)
		switch level := a.levels[i]; {
		case len(u) == 0:
		case level > best:
			best, who = level, u
		case level == best:
			who = append(who, u...)
		}
	}
	return sortedSet(who)
}

func sortedSet(s []string) []string {
	sort.Strings(s)
	return slices.Compact(s)
}

func TestTracksCases(t *testing.T) {
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	day := w(nil, "08:00", "20:00")
	night := w(nil, "20:00", "08:00")
	tests := []struct {
		name   string
		parts  []Part
		tracks int
	}{
		{"plain precedence is one schedule", []Part{
			{Level: 0, Layers: []schedule.Layer{layer("a", []string{"a1", "a2"}, "1w", start)}},
			{Level: 1, Layers: []schedule.Layer{layer("b", []string{"b1"}, "1d", start, day)}},
			{Level: 2, Layers: []schedule.Layer{layer("c", []string{"c1"}, "1d", start, w([]string{"sat"}, "10:00", "12:00"))}},
		}, 1},
		{"day and night at one level share a schedule", []Part{
			{Level: 0, Layers: []schedule.Layer{layer("d", []string{"d1", "d2"}, "1d", start, day)}},
			{Level: 0, Layers: []schedule.Layer{layer("n", []string{"n1"}, "1w", start, night)}},
		}, 1},
		{"two rotations on call together", []Part{
			{Level: 0, Layers: []schedule.Layer{layer("p", []string{"p1", "p2"}, "1w", start)}},
			{Level: 0, Layers: []schedule.Layer{layer("s", []string{"s1", "s2", "s3"}, "1d", start)}},
		}, 2},
		{"overlapping parts under a higher level", []Part{
			{Level: 0, Layers: []schedule.Layer{layer("p", []string{"p1"}, "1w", start)}},
			{Level: 0, Layers: []schedule.Layer{layer("s", []string{"s1"}, "1w", start, day)}},
			{Level: 5, Layers: []schedule.Layer{layer("h", []string{"h1"}, "1d", start, w([]string{"mon"}, "10:00", "14:00"))}},
		}, 2},
		{"alone parts keep their own schedule", []Part{
			{Level: 0, Layers: []schedule.Layer{layer("d", []string{"d1"}, "1d", start, day)}, Alone: true},
			{Level: 0, Layers: []schedule.Layer{layer("n", []string{"n1"}, "1d", start, night)}},
		}, 2},
		{"a part that ends before another starts", []Part{
			{Level: 0, Layers: []schedule.Layer{func() schedule.Layer {
				l := layer("old", []string{"o1"}, "1w", start)
				l.End = start.AddDate(0, 0, 10)
				return l
			}()}},
			{Level: 0, Layers: []schedule.Layer{layer("new", []string{"n1"}, "1w", start.AddDate(0, 0, 10))}},
		}, 1},
	}
	for _, tt := range tests {
		tracks := Tracks(tt.parts, "Europe/Berlin")
		if len(tracks) != tt.tracks {
			t.Errorf("%s: %d tracks, want %d", tt.name, len(tracks), tt.tracks)
		}
		src, out := partAnswers(t, "Europe/Berlin", tt.parts), trackAnswers(t, "Europe/Berlin", tracks)
		for h := range 24 * 21 {
			at := start.Add(time.Duration(h)*time.Hour + 17*time.Minute)
			if got, want := out.at(at), src.at(at); !slices.Equal(got, want) {
				t.Fatalf("%s: at %s the tracks answer %v, the parts %v", tt.name, at, got, want)
			}
		}
	}
}

// Random parts at random levels: the union of the tracks is always the
// source's answer, DST changes included.
func TestTracksRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 2026))
	zone := "America/New_York"
	base := time.Date(2026, 2, 20, 0, 0, 0, 0, time.UTC)
	for round := range 60 {
		var parts []Part
		for i := range 1 + rng.IntN(5) {
			l := layer(fmt.Sprintf("l%d", i), []string{fmt.Sprintf("u%d", rng.IntN(6)), fmt.Sprintf("u%d", rng.IntN(6))},
				[]string{"1d", "1w", "12h", "3d"}[rng.IntN(4)], base.Add(time.Duration(rng.IntN(200))*time.Hour))
			for range rng.IntN(3) {
				from := rng.IntN(24) * 60
				ws, _ := WeeklyWindows(time.Weekday(rng.IntN(7)), from, (1+rng.IntN(72))*60)
				l.Active = append(l.Active, ws...)
			}
			if rng.IntN(4) == 0 {
				l.End = l.Start.Add(time.Duration(24+rng.IntN(400)) * time.Hour)
			}
			parts = append(parts, Part{Level: rng.IntN(3), Layers: []schedule.Layer{l}, Alone: rng.IntN(5) == 0})
		}
		tracks := Tracks(parts, zone)
		src, out := partAnswers(t, zone, parts), trackAnswers(t, zone, tracks)
		for range 300 {
			at := base.Add(time.Duration(rng.IntN(40*24*60)) * time.Minute)
			if got, want := out.at(at), src.at(at); !slices.Equal(got, want) {
				t.Fatalf("round %d: at %s the tracks answer %v, the parts %v", round, at, got, want)
			}
		}
	}
}
