package schedule

import (
	"sort"
	"time"
)

// Answers are the engine's answers over one range, worked out once from
// the range's shifts, so that asking about many instants in it costs a
// binary search each instead of walking the layers and overrides every
// time. Outside the range it asks the engine. It is immutable.
type Answers struct {
	e        *Engine
	from, to time.Time
	shifts   []Shift
	// who[i] is shifts[i].User as OnCall answers it, one slice per user
	// shared by all their shifts.
	who [][]string
}

// Answers works out who is on call over [from, to); the range may be at
// most MaxRange long.
func (e *Engine) Answers(from, to time.Time) (*Answers, error) {
	shifts, err := e.Shifts(from, to)
	if err != nil {
		return nil, err
	}
	a := &Answers{e: e, from: from, to: to, shifts: shifts, who: make([][]string, len(shifts))}
	byUser := map[string][]string{}
	for i, s := range shifts {
		w, ok := byUser[s.User]
		if !ok {
			w = []string{s.User}
			byUser[s.User] = w
		}
		a.who[i] = w
	}
	return a, nil
}

// OnCall answers as Engine.OnCall does. The slice it returns is shared:
// callers must not change it.
func (a *Answers) OnCall(at time.Time) []string {
	if at.Before(a.from) || !at.Before(a.to) {
		return a.e.OnCall(at)
	}
	// The shifts are sorted, do not overlap, and the gaps between them
	// are times nobody is on call.
	i := sort.Search(len(a.shifts), func(i int) bool { return at.Before(a.shifts[i].End) })
	if i == len(a.shifts) || at.Before(a.shifts[i].Start) {
		return nil
	}
	return a.who[i]
}

// Shifts are the range's shifts, as Engine.Shifts gives them. The slice
// is shared: callers must not change it.
func (a *Answers) Shifts() []Shift { return a.shifts }
