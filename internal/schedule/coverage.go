package schedule

import (
	"slices"
	"sort"
	"time"

	"github.com/vigil-oncall/vigil/internal/hours"
)

// Report describes how a schedule covers a range.
type Report struct {
	From, To time.Time
	// Gaps are the stretches with nobody on call, after overrides.
	Gaps []Interval
	// Overlaps are the stretches where two or more layers are active with
	// different users. Only the top one is on call; the others show
	// redundancy (or a layer order to review). Overrides play no part.
	Overlaps []Overlap
	// People holds each on-call user's hours, sorted by user id.
	People []PersonHours
}

// Interval is the half-open range [Start, End).
type Interval struct {
	Start, End time.Time
}

// Overlap is a stretch over which the same layers are active with the
// same, not all equal, users.
type Overlap struct {
	Start, End time.Time
	// Layers are the active layers' ids, top (the one that wins) first;
	// Users are their users in the same order.
	Layers []string
	Users  []string
}

// PersonHours sums one user's time on call, after overrides. Night (sleep)
// and weekend hours are read in the user's own time zone.
type PersonHours struct {
	User    string
	OnCall  time.Duration
	Night   time.Duration
	Weekend time.Duration
}

// Coverage reports gaps, overlaps and per-person hours of [from, to), at
// most MaxRange long. userZone gives each user's time zone (nil, or a nil
// result, means the schedule's); night hours are the sleep hours of the
// org's hours h. An empty weekend means Saturday and Sunday.
func Coverage(e *Engine, from, to time.Time, userZone func(user string) *time.Location, h hours.Hours, weekend []time.Weekday) (Report, error) {
	tl, err := e.timeline(from, to)
	if err != nil {
		return Report{}, err
	}
	if len(weekend) == 0 {
		weekend = []time.Weekday{time.Saturday, time.Sunday}
	}
	weekendDays := weekly{from: 0, to: 0} // to <= from: midnight to midnight
	for _, wd := range weekend {
		if wd >= time.Sunday && wd <= time.Saturday {
			weekendDays.days[wd] = true
		}
	}

	r := Report{From: from, To: to}
	for _, seg := range tl.segments {
		if seg.user == "" {
			if n := len(r.Gaps); n > 0 && r.Gaps[n-1].End.Equal(seg.start) {
				r.Gaps[n-1].End = seg.end
			} else {
				r.Gaps = append(r.Gaps, Interval{seg.start, seg.end})
			}
		}
		r.addOverlap(e, seg, tl.covers[seg.coverFrom:seg.coverTo])
	}

	byUser := map[string]*PersonHours{}
	for _, s := range e.shiftsOf(tl) {
		p := byUser[s.User]
		if p == nil {
			p = &PersonHours{User: s.User}
			byUser[s.User] = p
		}
		loc := e.loc
		if userZone != nil {
			if z := userZone(s.User); z != nil {
				loc = z
			}
		}
		iv := interval{s.Start, s.End}
		p.OnCall += iv.duration()
		p.Night += h.Split(iv.start, iv.end, loc).Sleep
		p.Weekend += overlapTotal(iv, weekendDays, loc)
	}
	for _, p := range byUser {
		r.People = append(r.People, *p)
	}
	sort.Slice(r.People, func(i, j int) bool { return r.People[i].User < r.People[j].User })
	return r, nil
}

func (r *Report) addOverlap(e *Engine, seg segment, covers []cover) {
	if len(covers) < 2 {
		return
	}
	distinct := false
	for _, c := range covers[1:] {
		if c.user != covers[0].user {
			distinct = true
		}
	}
	if !distinct {
		return
	}
	layers := make([]string, len(covers))
	users := make([]string, len(covers))
	for i, c := range covers {
		layers[i], users[i] = e.layers[c.layer].id, c.user
	}
	if n := len(r.Overlaps); n > 0 {
		last := &r.Overlaps[n-1]
		if last.End.Equal(seg.start) && slices.Equal(last.Layers, layers) && slices.Equal(last.Users, users) {
			last.End = seg.end
			return
		}
	}
	r.Overlaps = append(r.Overlaps, Overlap{Start: seg.start, End: seg.end, Layers: layers, Users: users})
}
