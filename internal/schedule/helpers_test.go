package schedule

import (
	"fmt"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the host's zone files

	"github.com/vigil-oncall/vigil/internal/vigiltest"
)

// ts reads an RFC 3339 timestamp.
func ts(t testing.TB, s string) time.Time {
	t.Helper()
	return vigiltest.Instant(t, s)
}

func compile(t testing.TB, s Schedule, opts Options) *Engine {
	t.Helper()
	e, err := Compile(s, opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// want is an expected shift: user, RFC 3339 start and end, and layer.
type want struct {
	user, start, end, layer string
}

func checkShifts(t *testing.T, got []Shift, wants []want) {
	t.Helper()
	var problems []string
	if len(got) != len(wants) {
		problems = append(problems, fmt.Sprintf("got %d shifts, want %d", len(got), len(wants)))
	}
	for i := 0; i < len(got) && i < len(wants); i++ {
		g, w := got[i], wants[i]
		if g.User != w.user || !g.Start.Equal(ts(t, w.start)) || !g.End.Equal(ts(t, w.end)) || g.Layer != w.layer {
			problems = append(problems, fmt.Sprintf("shift %d: got %s, want %s %s..%s (%s)", i, fmtShift(g), w.user, w.start, w.end, w.layer))
		}
	}
	if len(problems) > 0 {
		var all []string
		for _, s := range got {
			all = append(all, fmtShift(s))
		}
		t.Errorf("%s\nall shifts:\n  %s", strings.Join(problems, "\n"), strings.Join(all, "\n  "))
	}
}

// checkTimeline checks both views of [from, to) against the expected
// shifts: Shifts must list them, and OnCall must name each shift's user at
// its first and last instants and nobody in the gaps between them.
func checkTimeline(t *testing.T, e *Engine, from, to string, wants []want) {
	t.Helper()
	checkShifts(t, shifts(t, e, from, to), wants)
	cursor := ts(t, from)
	probeGap := func(a, b time.Time) {
		t.Helper()
		if !a.Before(b) {
			return
		}
		for _, at := range []time.Time{a, b.Add(-time.Nanosecond)} {
			if got := onCall(e, at); got != "" {
				t.Errorf("OnCall(%s) = %q, want nobody", at.UTC().Format(time.RFC3339Nano), got)
			}
		}
	}
	for _, w := range wants {
		start, end := ts(t, w.start), ts(t, w.end)
		probeGap(cursor, start)
		for _, at := range []time.Time{start, start.Add(end.Sub(start) / 2), end.Add(-time.Nanosecond)} {
			if got := onCall(e, at); got != w.user {
				t.Errorf("OnCall(%s) = %q, want %q", at.UTC().Format(time.RFC3339Nano), got, w.user)
			}
		}
		cursor = end
	}
	probeGap(cursor, ts(t, to))
}

func fmtShift(s Shift) string {
	return fmt.Sprintf("%s %s..%s (%s)", s.User, s.Start.UTC().Format(time.RFC3339), s.End.UTC().Format(time.RFC3339), s.Layer)
}

func shifts(t *testing.T, e *Engine, from, to string) []Shift {
	t.Helper()
	got, err := e.Shifts(ts(t, from), ts(t, to))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func onCall(e *Engine, at time.Time) string {
	users := e.OnCall(at)
	switch len(users) {
	case 0:
		return ""
	case 1:
		return users[0]
	}
	return fmt.Sprintf("several: %v", users)
}
