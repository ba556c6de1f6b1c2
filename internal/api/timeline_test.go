package api

import (
	"slices"
	"testing"
	"time"
)

type timelineBody struct {
	Schedule string `json:"schedule"`
	TimeZone string `json:"time_zone"`
	Source   string `json:"source"`
	Layers   []struct {
		ID     string      `json:"id"`
		Shifts []shiftView `json:"shifts"`
	} `json:"layers"`
	Overrides []overrideView `json:"overrides"`
	Final     []shiftView    `json:"final"`
	Rights    timelineRights `json:"rights"`
}

// The timeline of office (UTC): alice's weekday layer alone, carol's
// daytime layer alone, and the final rotation where carol's wins by day.
func TestScheduleTimeline(t *testing.T) {
	f := newRotaFixture(t)
	var tl timelineBody
	if code := f.call("GET", "/api/v1/schedules/office/timeline?from=2026-11-26T00:00:00Z&to=2026-11-27T00:00:00Z", f.viewer, nil, &tl); code != 200 {
		t.Fatalf("timeline = %d", code)
	}
	users := func(shifts []shiftView) []string {
		var out []string
		for _, sh := range shifts {
			out = append(out, sh.User.ID+"@"+sh.Start.Format("15:04")+"-"+sh.End.Format("15:04"))
		}
		return out
	}
	if len(tl.Layers) != 2 || tl.Layers[0].ID != "weekdays" || tl.Layers[1].ID != "daytime" {
		t.Fatalf("layers %+v", tl.Layers)
	}
	if got, want := users(tl.Layers[0].Shifts), []string{"alice@00:00-00:00"}; !slices.Equal(got, want) {
		t.Errorf("weekdays alone = %v, want %v", got, want)
	}
	if got, want := users(tl.Layers[1].Shifts), []string{"carol@09:00-17:00"}; !slices.Equal(got, want) {
		t.Errorf("daytime alone = %v, want %v", got, want)
	}
	if got, want := users(tl.Final), []string{"alice@00:00-09:00", "carol@09:00-17:00", "alice@17:00-00:00"}; !slices.Equal(got, want) {
		t.Errorf("final = %v, want %v", got, want)
	}
	if tl.Source != "config" || tl.Rights.Overrides || tl.Rights.Layers || tl.TimeZone != "UTC" {
		t.Errorf("viewer's timeline: source %q, rights %+v, zone %q", tl.Source, tl.Rights, tl.TimeZone)
	}
	f.call("GET", "/api/v1/schedules/payments-primary/timeline?from=2026-11-26T00:00:00Z", tokenOfUser(f, "alice"), nil, &tl)
	if !tl.Rights.Overrides || tl.Rights.Layers || len(tl.Overrides) != 1 || tl.Overrides[0].ID != "carol-cover" {
		t.Errorf("alice's timeline of her team's schedule: rights %+v, overrides %+v", tl.Rights, tl.Overrides)
	}
	if !tl.Final[0].Start.Equal(time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("final starts %v, want the range's start", tl.Final[0].Start)
	}
	for q, want := range map[string]int{"?from=bogus": 400, "?from=2026-11-27T00:00:00Z&to=2026-11-26T00:00:00Z": 400} {
		if code := f.call("GET", "/api/v1/schedules/office/timeline"+q, f.viewer, nil, nil); code != want {
			t.Errorf("timeline%s = %d, want %d", q, code, want)
		}
	}
	if code := f.call("GET", "/api/v1/schedules/nope/timeline", f.viewer, nil, nil); code != 404 {
		t.Errorf("timeline of no schedule = %d, want 404", code)
	}
	if code := f.call("GET", "/api/v1/schedules/office/timeline", "", nil, nil); code != 401 {
		t.Errorf("timeline without a token = %d, want 401", code)
	}
}

func tokenOfUser(f *fixture, user string) string { return f.userToken(user) }

// Moving an override: the same rights and checks as making one; the
// files' overrides are theirs.
func TestMoveOverride(t *testing.T) {
	f := newRotaFixture(t)
	alice, carol := f.userToken("alice"), f.userToken("carol")
	const path = "/api/v1/schedules/payments-primary/overrides"
	var made overrideView
	if code := f.call("POST", path, alice, map[string]any{"user": "dana", "replaces": "bob", "start": "2026-11-26T13:00:00Z", "end": "2026-11-26T15:00:00Z"}, &made); code != 201 {
		t.Fatalf("create = %d", code)
	}
	move := map[string]any{"user": "dana", "replaces": "bob", "start": "2026-11-28T13:00:00Z", "end": "2026-11-28T16:00:00Z"}
	for _, c := range []struct {
		name, token, oid string
		body             map[string]any
		want             int
	}{
		{"viewer", f.viewer, made.ID, move, 403},
		{"carol, not on the team", carol, made.ID, move, 403},
		{"the files' override", alice, "carol-cover", move, 409},
		{"no such override", alice, "ovr-nope", move, 404},
		{"end before start", alice, made.ID, with(move, "end", "2026-11-28T12:00:00Z"), 400},
		{"ends in the past", alice, made.ID, with(with(move, "start", "2026-11-20T12:00:00Z"), "end", "2026-11-21T12:00:00Z"), 400},
		{"unknown user", alice, made.ID, with(move, "user", "nobody"), 400},
	} {
		if code := f.call("PUT", path+"/"+c.oid, c.token, c.body, nil); code != c.want {
			t.Errorf("%s: PUT = %d, want %d", c.name, code, c.want)
		}
	}
	var moved overrideView
	if code := f.call("PUT", path+"/"+made.ID, alice, move, &moved); code != 200 {
		t.Fatalf("move = %d", code)
	}
	if moved.ID != made.ID || !moved.Start.Equal(time.Date(2026, 11, 28, 13, 0, 0, 0, time.UTC)) || moved.CreatedBy != "user:alice" {
		t.Errorf("moved = %+v", moved)
	}
	if got := onCallAt(t, f, "2026-11-26T14:00:00Z"); got != "bob" {
		t.Errorf("on call at the old span = %s, want bob again", got)
	}
	if got := onCallAt(t, f, "2026-11-28T15:30:00Z"); got != "dana" {
		t.Errorf("on call at the new span = %s, want dana", got)
	}
}
