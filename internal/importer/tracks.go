package importer

import (
	"sort"

	"github.com/vigil-oncall/vigil/internal/schedule"
)

// Part is what one source rotation contributes to a schedule (or one
// member of a rotation whose turns put several people on call together):
// layers that never cover at the same time as each other, at a precedence
// level. Parts of a higher level hide those of lower levels wherever they
// cover; parts of one level are on call together.
type Part struct {
	Level  int
	Layers []schedule.Layer
	// Alone keeps the part out of shared tracks, for overrides that
	// replace its users wherever it covers and must not touch others.
	Alone bool
}

// Track is one Vigil schedule built from parts: its layers, bottom first,
// and the indexes of the parts whose layers it holds.
type Track struct {
	Layers []schedule.Layer
	Parts  []int
}

// Tracks turns parts into Vigil schedules whose answers, taken together,
// are at every instant exactly the users of the covering parts of the
// highest covering level. A Vigil schedule answers one user at a time, so
// a source schedule that puts several people on call at once (Opsgenie's
// rotations, Grafana OnCall's shifts of one level) needs several.
//
// Parts of one level share a lane when they never cover at the same time;
// each lane gives a track holding the lane and, above it, every part of a
// higher level. Where a higher part covers, every track answers with one
// (the same person twice is paged once); where none does, each lane's
// covering part shows in its own track. A track whose layers are the top
// of another's adds nothing and is left out, so a source with plain
// precedence (PagerDuty's layers) gives one track.
func Tracks(parts []Part, zone string) []Track {
	type lane struct {
		level int
		parts []int
	}
	var lanes []lane
	order := make([]int, len(parts))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return parts[order[a]].Level < parts[order[b]].Level })
	for _, i := range order {
		placed := false
		for l := range lanes {
			if lanes[l].level != parts[i].Level || parts[i].Alone {
				continue
			}
			fits := true
			for _, j := range lanes[l].parts {
				if parts[j].Alone || !apart(parts[i], parts[j], zone) {
					fits = false
					break
				}
			}
			if fits {
				lanes[l].parts = append(lanes[l].parts, i)
				placed = true
				break
			}
		}
		if !placed {
			lanes = append(lanes, lane{level: parts[i].Level, parts: []int{i}})
		}
	}
	var tracks []Track
	for l, ln := range lanes {
		var t Track
		t.Parts = append(t.Parts, ln.parts...)
		for _, above := range lanes[l+1:] {
			if above.level > ln.level {
				t.Parts = append(t.Parts, above.parts...)
			}
		}
		tracks = append(tracks, t)
	}
	var kept []Track
	for i, t := range tracks {
		redundant := false
		for j, u := range tracks {
			if i != j && len(u.Parts) > len(t.Parts) && isSuffix(t.Parts, u.Parts) {
				redundant = true
				break
			}
		}
		if !redundant {
			for _, p := range t.Parts {
				t.Layers = append(t.Layers, parts[p].Layers...)
			}
			kept = append(kept, t)
		}
	}
	return kept
}

func isSuffix(short, long []int) bool {
	off := len(long) - len(short)
	for i := range short {
		if long[off+i] != short[i] {
			return false
		}
	}
	return true
}

// apart reports whether two parts can never cover at the same instant:
// every pair of their layers is apart in time or in the week.
func apart(a, b Part, zone string) bool {
	for _, x := range a.Layers {
		for _, y := range b.Layers {
			if !layersApart(x, y, zone) {
				return false
			}
		}
	}
	return true
}

func layersApart(x, y schedule.Layer, zone string) bool {
	if !x.End.IsZero() && !x.End.After(y.Start) || !y.End.IsZero() && !y.End.After(x.Start) {
		return true
	}
	zx, zy := x.TimeZone, y.TimeZone
	if zx == "" {
		zx = zone
	}
	if zy == "" {
		zy = zone
	}
	if zx != zy || len(x.Active) == 0 || len(y.Active) == 0 || !onTheHour(x.Active) || !onTheHour(y.Active) {
		return false
	}
	mx, ok1 := minutesOf(x.Active)
	my, ok2 := minutesOf(y.Active)
	if !ok1 || !ok2 {
		return false
	}
	for m := range mx {
		if mx[m] && my[m] {
			return false
		}
	}
	return true
}
