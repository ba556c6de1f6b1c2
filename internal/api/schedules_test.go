package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/vigil-oncall/vigil/internal/routing"
	"github.com/vigil-oncall/vigil/internal/store"
)

// rota is a small organisation on call. payments-primary (UTC) rotates
// alice and bob weekly from Monday 2026-11-02 09:00, so alice holds the
// weeks from Nov 2, 16, 30 and bob those from Nov 9, 23; carol covers
// Nov 27 alone (a configured override). office (UTC) has alice on
// weekdays, whole days, under carol every day 09:00–17:00. The fixture's
// now is Thursday 2026-11-26 12:00 UTC: bob's week.
func rota() map[string]any {
	return map[string]any{
		"org": map[string]any{"night_hours": map[string]any{"start": "22:00", "end": "08:00"}},
		"users": []any{
			map[string]any{"id": "alice", "name": "Alice Martin", "time_zone": "Europe/Berlin"},
			map[string]any{"id": "bob", "name": "Bob Stone", "time_zone": "America/New_York"},
			map[string]any{"id": "carol", "name": "Carol Sato", "time_zone": "Asia/Tokyo"},
			map[string]any{"id": "dana", "name": "Dana Diaz", "time_zone": "Europe/London"},
		},
		"teams": []any{
			map[string]any{"id": "payments", "kind": "dev", "members": []string{"alice", "bob"}, "schedule": "payments-primary", "escalation_policy": "payments-default"},
			map[string]any{"id": "ops", "kind": "dev", "members": []string{"carol"}, "escalation_policy": "ops-default"},
			map[string]any{"id": "irt", "kind": "global-irt", "members": []string{"dana"}},
		},
		"schedules": []any{
			map[string]any{
				"id": "payments-primary", "name": "Payments primary", "time_zone": "UTC",
				"layers":    []any{map[string]any{"id": "weekly", "users": []string{"alice", "bob"}, "rotation": map[string]any{"every": "1w"}, "start": "2026-11-02T09:00:00Z"}},
				"overrides": []any{map[string]any{"id": "carol-cover", "user": "carol", "start": "2026-11-27T00:00:00Z", "end": "2026-11-28T00:00:00Z"}},
			},
			map[string]any{
				"id": "office", "name": "Office", "time_zone": "UTC",
				"layers": []any{
					map[string]any{"id": "weekdays", "users": []string{"alice"}, "rotation": map[string]any{"every": "1w"}, "start": "2026-11-02T00:00:00Z",
						"active": []any{map[string]any{"days": []string{"mon", "tue", "wed", "thu", "fri"}, "from": "00:00", "to": "00:00"}}},
					map[string]any{"id": "daytime", "users": []string{"carol"}, "rotation": map[string]any{"every": "1w"}, "start": "2026-11-02T00:00:00Z",
						"active": []any{map[string]any{"from": "09:00", "to": "17:00"}}},
				},
			},
		},
		"escalation_policies": []any{
			map[string]any{"id": "payments-default", "steps": []any{
				map[string]any{"targets": []any{map[string]any{"schedule": "payments-primary"}}, "escalate_after": "10m"},
				map[string]any{"targets": []any{map[string]any{"user": "dana"}}, "escalate_after": "10m"},
			}},
			map[string]any{"id": "ops-default", "steps": []any{
				map[string]any{"targets": []any{map[string]any{"team": "ops"}, map[string]any{"user": "dana"}}, "escalate_after": "10m"},
			}},
		},
		"services": []any{
			map[string]any{"id": "pay-api", "owner": "payments"},
			map[string]any{"id": "ops-tool", "owner": "ops"},
			map[string]any{"id": "lonely", "owner": "irt"},
		},
	}
}

func newRotaFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	f.apply(rota())
	return f
}

// userToken makes an API token acting as user.
func (f *fixture) userToken(user string) string {
	f.t.Helper()
	var tok struct {
		Secret string `json:"token"`
	}
	if code := f.call("POST", "/api/v1/tokens", adminSecret, map[string]any{"name": "as " + user, "user_id": user}, &tok); code != 201 {
		f.t.Fatalf("user token for %s = %d", user, code)
	}
	return tok.Secret
}

// rawGet fetches path without a bearer token and returns the raw answer.
func (f *fixture) rawGet(path string) (int, http.Header, []byte) {
	f.t.Helper()
	return f.raw("GET", path)
}

// raw sends method to path without a token or body and returns the raw
// answer.
func (f *fixture) raw(method, path string) (int, http.Header, []byte) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.http.URL+path, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, body
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

type onCallBody struct {
	Schedule string    `json:"schedule"`
	At       time.Time `json:"at"`
	OnCall   []userRef `json:"oncall"`
}

func TestScheduleOnCall(t *testing.T) {
	f := newRotaFixture(t)
	cases := []struct {
		name  string
		query string
		want  []userRef
	}{
		{"default is now, bob's week", "", []userRef{{"bob", "Bob Stone"}}},
		{"last second of alice's week", "?at=2026-11-23T08:59:59Z", []userRef{{"alice", "Alice Martin"}}},
		{"handoff belongs to the next week", "?at=2026-11-23T09:00:00Z", []userRef{{"bob", "Bob Stone"}}},
		{"configured override", "?at=2026-11-27T12:00:00Z", []userRef{{"carol", "Carol Sato"}}},
		{"override end is exclusive", "?at=2026-11-28T00:00:00Z", []userRef{{"bob", "Bob Stone"}}},
		{"offsets are honoured", "?at=" + url.QueryEscape("2026-11-27T00:30:00+01:00"), []userRef{{"bob", "Bob Stone"}}},
		{"before the first handoff is a gap", "?at=2026-11-01T12:00:00Z", []userRef{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got onCallBody
			if code := f.call("GET", "/api/v1/schedules/payments-primary/oncall"+c.query, f.viewer, nil, &got); code != 200 {
				t.Fatalf("status %d", code)
			}
			if got.Schedule != "payments-primary" || !slices.Equal(got.OnCall, c.want) {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
	var got onCallBody
	f.call("GET", "/api/v1/schedules/payments-primary/oncall", f.viewer, nil, &got)
	if !got.At.Equal(ts("2026-11-26T12:00:00Z")) {
		t.Errorf("default at = %s, want the server's now", got.At)
	}
	for path, want := range map[string]int{
		"/api/v1/schedules/payments-primary/oncall?at=yesterday":                    400,
		"/api/v1/schedules/payments-primary/oncall?at=2026-11-26":                   400,
		"/api/v1/schedules/payments-primary/oncall?at=" + strings.Repeat("9", 5000): 400,
		"/api/v1/schedules/nope/oncall":                                             404,
	} {
		if code := f.call("GET", path, f.viewer, nil, nil); code != want {
			t.Errorf("GET %.80s = %d, want %d", path, code, want)
		}
	}
}

type shiftsBody struct {
	Shifts     []shiftView `json:"shifts"`
	NextCursor *string     `json:"next_cursor"`
}

func sameShifts(t *testing.T, got []shiftView, want []shiftView) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d shifts %+v, want %+v", len(got), got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.User != w.User || !g.Start.Equal(w.Start) || !g.End.Equal(w.End) || g.Layer != w.Layer {
			t.Errorf("shift %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestScheduleShifts(t *testing.T) {
	f := newRotaFixture(t)
	alice, bob, carol := userRef{"alice", "Alice Martin"}, userRef{"bob", "Bob Stone"}, userRef{"carol", "Carol Sato"}
	bobsWeek := []shiftView{
		{bob, ts("2026-11-23T09:00:00Z"), ts("2026-11-27T00:00:00Z"), "weekly"},
		{carol, ts("2026-11-27T00:00:00Z"), ts("2026-11-28T00:00:00Z"), "override"},
		{bob, ts("2026-11-28T00:00:00Z"), ts("2026-11-30T09:00:00Z"), "weekly"},
	}
	var got shiftsBody
	if code := f.call("GET", "/api/v1/schedules/payments-primary/shifts?from=2026-11-23T09:00:00Z&to=2026-11-30T09:00:00Z", f.viewer, nil, &got); code != 200 {
		t.Fatalf("status %d", code)
	}
	sameShifts(t, got.Shifts, bobsWeek)
	if got.NextCursor != nil {
		t.Errorf("next_cursor = %q on the only page", *got.NextCursor)
	}

	// The default range is a week from now, clipped to it.
	f.call("GET", "/api/v1/schedules/payments-primary/shifts", f.viewer, nil, &got)
	sameShifts(t, got.Shifts, []shiftView{
		{bob, ts("2026-11-26T12:00:00Z"), ts("2026-11-27T00:00:00Z"), "weekly"},
		bobsWeek[1], bobsWeek[2],
		{alice, ts("2026-11-30T09:00:00Z"), ts("2026-12-03T12:00:00Z"), "weekly"},
	})

	// Pages of two.
	var page1, page2 shiftsBody
	f.call("GET", "/api/v1/schedules/payments-primary/shifts?from=2026-11-23T09:00:00Z&to=2026-11-30T09:00:00Z&limit=2", f.viewer, nil, &page1)
	if page1.NextCursor == nil {
		t.Fatal("first page of two has no next_cursor")
	}
	sameShifts(t, page1.Shifts, bobsWeek[:2])
	f.call("GET", "/api/v1/schedules/payments-primary/shifts?from=2026-11-23T09:00:00Z&to=2026-11-30T09:00:00Z&limit=2&cursor="+*page1.NextCursor, f.viewer, nil, &page2)
	sameShifts(t, page2.Shifts, bobsWeek[2:])
	if page2.NextCursor != nil {
		t.Error("last page has a next_cursor")
	}

	for path, want := range map[string]int{
		"?from=2026-01-01T00:00:00Z&to=2028-01-05T00:00:00Z": 400, // 734 days
		"?from=2026-01-01T00:00:00Z&to=2027-12-31T00:00:00Z": 200, // 729 days
		"?from=2026-11-30T00:00:00Z&to=2026-11-23T00:00:00Z": 400,
		"?from=not-a-time":         400,
		"?to=2026-13-01T00:00:00Z": 400,
		"?cursor=!!!":              400,
		"?cursor=bm90LWEtdGltZQ":   400, // "not-a-time"
		"?limit=0":                 400,
	} {
		if code := f.call("GET", "/api/v1/schedules/payments-primary/shifts"+path, f.viewer, nil, nil); code != want {
			t.Errorf("shifts%s = %d, want %d", path, code, want)
		}
	}
	if code := f.call("GET", "/api/v1/schedules/nope/shifts", f.viewer, nil, nil); code != 404 {
		t.Errorf("shifts of an unknown schedule = %d, want 404", code)
	}
}

func TestScheduleCoverage(t *testing.T) {
	f := newRotaFixture(t)
	alice, bob, carol := userRef{"alice", "Alice Martin"}, userRef{"bob", "Bob Stone"}, userRef{"carol", "Carol Sato"}
	cases := []struct {
		name, path string
		gaps       []spanView
		overlaps   []overlapView
		people     []personHours
	}{
		{
			// Bob (New York, UTC-5) holds the week but carol's day. His
			// local nights: 4h (04:00-08:00 on the 23rd), 3 x 10h, then
			// 10h + 10h + 6h (to 04:00 on the 30th): 60h. His weekend,
			// Sat 28 and Sun 29 local, lies wholly in his second stretch.
			// Carol (Tokyo, UTC+9) is on from 09:00 Fri to 09:00 Sat:
			// night 22:00-08:00, weekend 00:00-09:00 Saturday.
			name: "follow the sun on payments-primary",
			path: "/api/v1/schedules/payments-primary/coverage?from=2026-11-23T09:00:00Z&to=2026-11-30T09:00:00Z",
			people: []personHours{
				{User: bob, TimeZone: "America/New_York", OnCallHours: 144, NightHours: 60, WeekendHours: 48},
				{User: carol, TimeZone: "Asia/Tokyo", OnCallHours: 24, NightHours: 10, WeekendHours: 9},
			},
		},
		{
			// Friday: alice 00-09 and 17-24 UTC, carol over her 09-17.
			// Saturday: carol 09-17 only. Alice in Berlin (UTC+1): nights
			// 01:00-08:00 and 22:00-01:00, weekend 00:00-01:00 Saturday.
			// Carol in Tokyo: 18:00-02:00 twice, so nights 22:00-02:00
			// twice, weekend 00:00-02:00 Saturday and 18:00-02:00.
			name:     "gaps and overlaps on office",
			path:     "/api/v1/schedules/office/coverage?from=2026-11-27T00:00:00Z&to=2026-11-29T00:00:00Z",
			gaps:     []spanView{{ts("2026-11-28T00:00:00Z"), ts("2026-11-28T09:00:00Z"), 9}, {ts("2026-11-28T17:00:00Z"), ts("2026-11-29T00:00:00Z"), 7}},
			overlaps: []overlapView{{spanView{ts("2026-11-27T09:00:00Z"), ts("2026-11-27T17:00:00Z"), 8}, []layerUser{{"daytime", carol}, {"weekdays", alice}}}},
			people: []personHours{
				{User: alice, TimeZone: "Europe/Berlin", OnCallHours: 16, NightHours: 10, WeekendHours: 1},
				{User: carol, TimeZone: "Asia/Tokyo", OnCallHours: 16, NightHours: 8, WeekendHours: 10},
			},
		},
	}
	sameSpans := func(t *testing.T, got, want []spanView) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("got %+v, want %+v", got, want)
		}
		for i := range want {
			if !got[i].Start.Equal(want[i].Start) || !got[i].End.Equal(want[i].End) || got[i].Hours != want[i].Hours {
				t.Errorf("span %d = %+v, want %+v", i, got[i], want[i])
			}
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got coverageView
			if code := f.call("GET", c.path, f.viewer, nil, &got); code != 200 {
				t.Fatalf("status %d", code)
			}
			if got.Night.Start != "22:00" || got.Night.End != "08:00" {
				t.Errorf("night_hours = %+v", got.Night)
			}
			sameSpans(t, got.Gaps, c.gaps)
			if len(got.Overlaps) != len(c.overlaps) {
				t.Fatalf("overlaps = %+v, want %+v", got.Overlaps, c.overlaps)
			}
			for i, w := range c.overlaps {
				sameSpans(t, []spanView{got.Overlaps[i].spanView}, []spanView{w.spanView})
				if !slices.Equal(got.Overlaps[i].Layers, w.Layers) {
					t.Errorf("overlap %d layers = %+v, want %+v", i, got.Overlaps[i].Layers, w.Layers)
				}
			}
			if !slices.Equal(got.People, c.people) {
				t.Errorf("people = %+v\nwant %+v", got.People, c.people)
			}
		})
	}
	for path, want := range map[string]int{
		"/api/v1/schedules/office/coverage?from=2026-01-01T00:00:00Z&to=2028-01-05T00:00:00Z": 400,
		"/api/v1/schedules/office/coverage?from=tomorrow":                                     400,
		"/api/v1/schedules/nope/coverage":                                                     404,
	} {
		if code := f.call("GET", path, f.viewer, nil, nil); code != want {
			t.Errorf("GET %s = %d, want %d", path, code, want)
		}
	}
}

func TestWhoIsOnCall(t *testing.T) {
	f := newRotaFixture(t)
	cases := []struct {
		query  string
		policy string
		want   []routing.PagedPerson
		notes  []string
	}{
		{"service=pay-api", "payments-default", []routing.PagedPerson{{ID: "bob", Name: "Bob Stone", Reason: "on call for schedule payments-primary"}}, nil},
		{"service=pay-api&at=2026-11-27T12:00:00Z", "payments-default", []routing.PagedPerson{{ID: "carol", Name: "Carol Sato", Reason: "on call for schedule payments-primary"}}, nil},
		{"service=ops-tool", "ops-default", []routing.PagedPerson{{ID: "carol", Name: "Carol Sato", Reason: "on call for team ops"}, {ID: "dana", Name: "Dana Diaz", Reason: "named in the escalation policy"}}, nil},
		{"service=lonely", "", []routing.PagedPerson{}, []string{"service lonely has no escalation policy: nobody is paged"}},
		{"team=payments", "", []routing.PagedPerson{{ID: "bob", Name: "Bob Stone", Reason: "on call for schedule payments-primary"}}, nil},
		{"team=ops", "", []routing.PagedPerson{{ID: "carol", Name: "Carol Sato", Reason: "member of team ops"}}, nil},
		{"schedule=payments-primary&at=2026-11-16T09:00:00Z", "", []routing.PagedPerson{{ID: "alice", Name: "Alice Martin", Reason: "on call for schedule payments-primary"}}, nil},
		{"schedule=payments-primary&at=2026-11-01T00:00:00Z", "", []routing.PagedPerson{}, []string{"nobody is on call for schedule payments-primary"}},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			var got routing.Answer
			if code := f.call("GET", "/api/v1/oncall?"+c.query, f.viewer, nil, &got); code != 200 {
				t.Fatalf("status %d", code)
			}
			if got.EscalationPolicy != c.policy || !slices.Equal(got.OnCall, c.want) || !slices.Equal(got.Notes, append([]string{}, c.notes...)) {
				t.Errorf("got %+v, want policy %q, %+v, notes %q", got, c.policy, c.want, c.notes)
			}
		})
	}
	for query, want := range map[string]int{
		"":                                     400,
		"at=2026-11-26T12:00:00Z":              400,
		"service=pay-api&team=ops":             400,
		"team=ops&schedule=office":             400,
		"service=pay-api&at=monday":            400,
		"service=nope":                         404,
		"team=nope":                            404,
		"schedule=nope":                        404,
		"service=" + strings.Repeat("x", 3000): 404,
	} {
		if code := f.call("GET", "/api/v1/oncall?"+query, f.viewer, nil, nil); code != want {
			t.Errorf("oncall?%.60s = %d, want %d", query, code, want)
		}
	}
}

type overridesBody struct {
	Overrides  []overrideView `json:"overrides"`
	NextCursor *string        `json:"next_cursor"`
}

func onCallAt(t *testing.T, f *fixture, at string) string {
	t.Helper()
	var got onCallBody
	if code := f.call("GET", "/api/v1/schedules/payments-primary/oncall?at="+at, f.viewer, nil, &got); code != 200 || len(got.OnCall) != 1 {
		t.Fatalf("on call at %s = %d %+v", at, code, got)
	}
	return got.OnCall[0].ID
}

func TestOverrides(t *testing.T) {
	f := newRotaFixture(t)
	aliceTok, carolTok := f.userToken("alice"), f.userToken("carol")
	const path = "/api/v1/schedules/payments-primary/overrides"
	swap := map[string]any{"user": "dana", "replaces": "bob", "start": "2026-11-26T13:00:00Z", "end": "2026-11-26T15:00:00Z"}

	if code := f.call("POST", path, f.viewer, swap, nil); code != 403 {
		t.Errorf("viewer override = %d, want 403", code)
	}
	if code := f.call("POST", path, carolTok, swap, nil); code != 403 {
		t.Errorf("override by carol, not on the payments team = %d, want 403", code)
	}
	var made overrideView
	if code := f.call("POST", path, aliceTok, swap, &made); code != 201 {
		t.Fatalf("override by alice, a payments member = %d, want 201", code)
	}
	if made.ID == "" || made.Source != "api" || made.User != "dana" || made.Replaces != "bob" || made.CreatedBy != "user:alice" {
		t.Errorf("created %+v", made)
	}
	var carolDay overrideView
	if code := f.call("POST", path, adminSecret, map[string]any{"user": "carol", "start": "2026-12-01T00:00:00Z", "end": "2026-12-02T00:00:00Z"}, &carolDay); code != 201 {
		t.Fatalf("admin override = %d", code)
	}

	// dana swaps in only where bob is on call, until 15:00 exclusive; the
	// configured carol-cover applies before the API-made swap.
	for at, want := range map[string]string{
		"2026-11-26T12:59:59Z": "bob",
		"2026-11-26T13:00:00Z": "dana",
		"2026-11-26T14:59:59Z": "dana",
		"2026-11-26T15:00:00Z": "bob",
		"2026-12-01T12:00:00Z": "carol", // alice's week
		"2026-11-27T12:00:00Z": "carol",
	} {
		if got := onCallAt(t, f, at); got != want {
			t.Errorf("on call at %s = %s, want %s", at, got, want)
		}
	}
	var who routing.Answer
	f.call("GET", "/api/v1/oncall?service=pay-api&at=2026-11-26T14:00:00Z", f.viewer, nil, &who)
	if len(who.OnCall) != 1 || who.OnCall[0].ID != "dana" {
		t.Errorf("paged for pay-api during the swap = %+v, want dana", who.OnCall)
	}

	var list overridesBody
	if code := f.call("GET", path, f.viewer, nil, &list); code != 200 || len(list.Overrides) != 3 || list.NextCursor != nil {
		t.Fatalf("list = %d %+v", code, list)
	}
	if o := list.Overrides[0]; o.ID != "carol-cover" || o.Source != "config" || o.User != "carol" {
		t.Errorf("first listed = %+v, want the configured carol-cover", o)
	}
	apiIDs := []string{list.Overrides[1].ID, list.Overrides[2].ID}
	if !slices.Contains(apiIDs, made.ID) || !slices.Contains(apiIDs, carolDay.ID) || list.Overrides[1].Source != "api" || list.Overrides[2].Source != "api" {
		t.Errorf("API-made overrides listed as %+v", list.Overrides[1:])
	}
	var seen []string
	cursor := ""
	for i := 0; i < 4; i++ {
		var page overridesBody
		f.call("GET", path+"?limit=1"+cursor, f.viewer, nil, &page)
		for _, o := range page.Overrides {
			seen = append(seen, o.ID)
		}
		if page.NextCursor == nil {
			break
		}
		cursor = "&cursor=" + *page.NextCursor
	}
	if len(seen) != 3 || seen[0] != "carol-cover" {
		t.Errorf("paged one at a time: %q", seen)
	}

	for name, c := range map[string]struct {
		body any
		want int
	}{
		"unknown user":      {map[string]any{"user": "zed", "start": "2026-12-01T00:00:00Z", "end": "2026-12-02T00:00:00Z"}, 400},
		"unknown replaced":  {map[string]any{"user": "dana", "replaces": "zed", "start": "2026-12-01T00:00:00Z", "end": "2026-12-02T00:00:00Z"}, 400},
		"replaces themself": {map[string]any{"user": "dana", "replaces": "dana", "start": "2026-12-01T00:00:00Z", "end": "2026-12-02T00:00:00Z"}, 400},
		"end before start":  {map[string]any{"user": "dana", "start": "2026-12-02T00:00:00Z", "end": "2026-12-01T00:00:00Z"}, 400},
		"empty":             {map[string]any{"user": "dana", "start": "2026-12-02T00:00:00Z", "end": "2026-12-02T00:00:00Z"}, 400},
		"ended in the past": {map[string]any{"user": "dana", "start": "2026-11-20T00:00:00Z", "end": "2026-11-21T00:00:00Z"}, 400},
		"no start":          {map[string]any{"user": "dana", "end": "2026-12-02T00:00:00Z"}, 400},
		"year zero start":   {map[string]any{"user": "dana", "start": "0000-01-01T00:00:00Z", "end": "2026-12-02T00:00:00Z"}, 400},
		"no user":           {map[string]any{"start": "2026-12-01T00:00:00Z", "end": "2026-12-02T00:00:00Z"}, 400},
		"unknown field":     {map[string]any{"user": "dana", "start": "2026-12-01T00:00:00Z", "end": "2026-12-02T00:00:00Z", "schedule": "office"}, 400},
		"not a time":        {`{"user": "dana", "start": "tomorrow", "end": "2026-12-02T00:00:00Z"}`, 400},
		"not JSON":          {`{"user": `, 400},
		"trailing data":     {`{"user": "dana", "start": "2026-12-01T00:00:00Z", "end": "2026-12-02T00:00:00Z"} {}`, 400},
		"oversized":         {`{"user": "` + strings.Repeat("a", 2<<20) + `"}`, 413},
	} {
		if code := f.call("POST", path, adminSecret, c.body, nil); code != c.want {
			t.Errorf("%s: POST = %d, want %d", name, code, c.want)
		}
	}
	if code := f.call("POST", "/api/v1/schedules/nope/overrides", adminSecret, swap, nil); code != 404 {
		t.Errorf("override of an unknown schedule = %d, want 404", code)
	}

	if code := f.call("DELETE", path+"/"+made.ID, f.viewer, nil, nil); code != 403 {
		t.Errorf("viewer delete = %d, want 403", code)
	}
	if code := f.call("DELETE", path+"/"+made.ID, carolTok, nil, nil); code != 403 {
		t.Errorf("non-member delete = %d, want 403", code)
	}
	if code := f.call("DELETE", path+"/carol-cover", adminSecret, nil, nil); code != 409 {
		t.Errorf("delete of a configured override = %d, want 409", code)
	}
	if code := f.call("DELETE", path+"/ovr-unknown", adminSecret, nil, nil); code != 404 {
		t.Errorf("delete of an unknown override = %d, want 404", code)
	}
	if code := f.call("DELETE", "/api/v1/schedules/office/overrides/"+made.ID, adminSecret, nil, nil); code != 404 {
		t.Errorf("delete through another schedule = %d, want 404", code)
	}
	if code := f.call("DELETE", path+"/"+made.ID, aliceTok, nil, nil); code != 204 {
		t.Fatalf("member delete = %d, want 204", code)
	}
	if code := f.call("DELETE", path+"/"+made.ID, aliceTok, nil, nil); code != 404 {
		t.Errorf("second delete = %d, want 404", code)
	}
	if got := onCallAt(t, f, "2026-11-26T14:00:00Z"); got != "bob" {
		t.Errorf("on call after the swap was deleted = %s, want bob", got)
	}

	var audit struct {
		Entries []store.AuditEntry `json:"audit_entries"`
	}
	f.call("GET", "/api/v1/audit?kind=schedule_override&object_id="+made.ID, adminSecret, nil, &audit)
	if len(audit.Entries) != 2 || audit.Entries[0].Action != "schedule_override.delete" || audit.Entries[1].Action != "schedule_override.create" ||
		audit.Entries[1].Actor != "user:alice" {
		t.Errorf("audit = %+v, want alice's create then delete", audit.Entries)
	}
}

func TestApplyKeepsAPIOverrides(t *testing.T) {
	f := newRotaFixture(t)
	const path = "/api/v1/schedules/payments-primary/overrides"
	var made overrideView
	if code := f.call("POST", path, adminSecret, map[string]any{"user": "dana", "start": "2026-11-26T13:00:00Z", "end": "2026-11-26T15:00:00Z"}, &made); code != 201 {
		t.Fatalf("override = %d", code)
	}
	var res applyResult
	if code := f.call("POST", "/api/v1/config/apply", adminSecret, rota(), &res); code != 200 || len(res.Changes) != 0 {
		t.Fatalf("re-apply = %d %+v, want no change", code, res.Changes)
	}
	if got := onCallAt(t, f, "2026-11-26T14:00:00Z"); got != "dana" {
		t.Errorf("on call after apply = %s, want dana (the API-made override)", got)
	}

	// Removing the schedule from the files takes its API-made overrides.
	b := rota()
	b["schedules"] = b["schedules"].([]any)[1:]
	b["teams"].([]any)[0].(map[string]any)["schedule"] = ""
	b["escalation_policies"].([]any)[0].(map[string]any)["steps"] = []any{
		map[string]any{"targets": []any{map[string]any{"team": "payments"}}, "escalate_after": "10m"},
	}
	if code := f.call("POST", "/api/v1/config/apply?dry_run=true", adminSecret, b, &res); code != 200 {
		t.Fatalf("dry run = %d", code)
	}
	var deleted []string
	for _, c := range res.Changes {
		if c.Action == "delete" {
			deleted = append(deleted, c.Kind+" "+c.ID)
		}
	}
	if want := []string{"schedule payments-primary", "schedule_override " + made.ID}; !slices.Equal(deleted, want) {
		t.Fatalf("dry run deletes %q, want %q", deleted, want)
	}
	if code := f.call("POST", "/api/v1/config/apply", adminSecret, b, &res); code != 200 {
		t.Fatalf("apply = %d", code)
	}
	var audit struct {
		Entries []store.AuditEntry `json:"audit_entries"`
	}
	f.call("GET", "/api/v1/audit?kind=schedule_override&object_id="+made.ID, adminSecret, nil, &audit)
	if len(audit.Entries) != 2 || audit.Entries[0].Details != "delete" || len(audit.Entries[0].Before) == 0 {
		t.Errorf("audit = %+v, want the delete with the override before it", audit.Entries)
	}
	// Back again, the schedule has only its configured override.
	f.apply(rota())
	var list overridesBody
	f.call("GET", path, f.viewer, nil, &list)
	if len(list.Overrides) != 1 || list.Overrides[0].ID != "carol-cover" {
		t.Errorf("overrides after the schedule came back = %+v", list.Overrides)
	}
}

func TestDeletingAUserTakesTheirOverrides(t *testing.T) {
	f := newRotaFixture(t)
	var made overrideView
	f.call("POST", "/api/v1/schedules/payments-primary/overrides", adminSecret, map[string]any{"user": "dana", "start": "2026-12-01T00:00:00Z", "end": "2026-12-02T00:00:00Z"}, &made)
	f.call("POST", "/api/v1/users", adminSecret, map[string]any{"id": "erin", "time_zone": "UTC"}, nil)
	var byErin overrideView
	if code := f.call("POST", "/api/v1/schedules/payments-primary/overrides", adminSecret, map[string]any{"user": "erin", "replaces": "alice", "start": "2026-12-01T00:00:00Z", "end": "2026-12-03T00:00:00Z"}, &byErin); code != 201 {
		t.Fatalf("override = %d", code)
	}
	if code := f.call("DELETE", "/api/v1/users/erin", adminSecret, nil, nil); code != 204 {
		t.Fatalf("delete erin = %d", code)
	}
	var list overridesBody
	f.call("GET", "/api/v1/schedules/payments-primary/overrides", f.viewer, nil, &list)
	if len(list.Overrides) != 2 || list.Overrides[1].ID != made.ID {
		t.Errorf("overrides after erin left = %+v, want carol-cover and dana's", list.Overrides)
	}
}

type feedBody struct {
	Token               string `json:"token"`
	UserURL             string `json:"user_url"`
	ScheduleURLTemplate string `json:"schedule_url_template"`
}

// feedPath turns an absolute feed URL into a path the fixture can get.
func (f *fixture) feedPath(u string) string {
	f.t.Helper()
	if !strings.HasPrefix(u, f.http.URL+"/") {
		f.t.Fatalf("feed URL %q is not on the server %s", u, f.http.URL)
	}
	return strings.TrimPrefix(u, f.http.URL)
}

type event struct {
	start, end time.Time
	summary    string
}

func parseFeed(t *testing.T, body []byte) []event {
	t.Helper()
	cal, err := ics.ParseCalendar(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse feed: %v\n%s", err, body)
	}
	var out []event
	for _, ev := range cal.Events() {
		start, err1 := ev.GetStartAt()
		end, err2 := ev.GetEndAt()
		if err1 != nil || err2 != nil {
			t.Fatalf("event times: %v %v", err1, err2)
		}
		out = append(out, event{start, end, ev.GetProperty(ics.ComponentPropertySummary).Value})
	}
	return out
}

func TestCalendarFeeds(t *testing.T) {
	f := newRotaFixture(t)
	aliceTok := f.userToken("alice")

	if code := f.call("POST", "/api/v1/users/alice/feed_token", f.viewer, nil, nil); code != 403 {
		t.Errorf("viewer makes a feed token = %d, want 403", code)
	}
	if code := f.call("POST", "/api/v1/users/bob/feed_token", aliceTok, nil, nil); code != 403 {
		t.Errorf("alice makes bob's feed token = %d, want 403", code)
	}
	if code := f.call("POST", "/api/v1/users/nope/feed_token", adminSecret, nil, nil); code != 404 {
		t.Errorf("feed token of an unknown user = %d, want 404", code)
	}
	var alice, bob feedBody
	if code := f.call("POST", "/api/v1/users/alice/feed_token", aliceTok, nil, &alice); code != 201 {
		t.Fatalf("alice's own feed token = %d", code)
	}
	if code := f.call("POST", "/api/v1/users/bob/feed_token", adminSecret, nil, &bob); code != 201 {
		t.Fatalf("admin makes bob's feed token = %d", code)
	}
	if want := f.http.URL + "/api/v1/users/alice/calendar.ics?token=" + url.QueryEscape(alice.Token); alice.UserURL != want {
		t.Errorf("user_url = %q, want %q", alice.UserURL, want)
	}
	if want := f.http.URL + "/api/v1/schedules/{schedule}/calendar.ics?token=" + url.QueryEscape(alice.Token); alice.ScheduleURLTemplate != want {
		t.Errorf("schedule_url_template = %q, want %q", alice.ScheduleURLTemplate, want)
	}

	// Alice's feed: from 2026-11-19 00:00 (a week before today's
	// midnight) to 2027-02-25 00:00 (91 days after it). Her
	// payments-primary weeks start on every second Monday from Nov 2;
	// the first is cut at the range start, the last at its end.
	code, header, body := f.rawGet(f.feedPath(alice.UserURL))
	if code != 200 || header.Get("Content-Type") != "text/calendar; charset=utf-8" {
		t.Fatalf("alice's feed = %d %q", code, header.Get("Content-Type"))
	}
	var payments []event
	for _, ev := range parseFeed(t, body) {
		if !strings.HasPrefix(ev.summary, "On call: Alice Martin (") {
			t.Errorf("someone else's shift in alice's feed: %q", ev.summary)
		}
		if ev.summary == "On call: Alice Martin (Payments primary)" {
			payments = append(payments, ev)
		}
	}
	wantStarts := []string{"2026-11-19T00:00:00Z", "2026-11-30T09:00:00Z", "2026-12-14T09:00:00Z", "2026-12-28T09:00:00Z",
		"2027-01-11T09:00:00Z", "2027-01-25T09:00:00Z", "2027-02-08T09:00:00Z", "2027-02-22T09:00:00Z"}
	wantEnds := []string{"2026-11-23T09:00:00Z", "2026-12-07T09:00:00Z", "2026-12-21T09:00:00Z", "2027-01-04T09:00:00Z",
		"2027-01-18T09:00:00Z", "2027-02-01T09:00:00Z", "2027-02-15T09:00:00Z", "2027-02-25T00:00:00Z"}
	if len(payments) != len(wantStarts) {
		t.Fatalf("alice has %d payments-primary events, want %d: %+v", len(payments), len(wantStarts), payments)
	}
	for i, ev := range payments {
		if !ev.start.Equal(ts(wantStarts[i])) || !ev.end.Equal(ts(wantEnds[i])) {
			t.Errorf("event %d = %s to %s, want %s to %s", i, ev.start, ev.end, wantStarts[i], wantEnds[i])
		}
	}

	// The schedule feed, with bob's token: 8 weeks of alice, 7 of bob
	// with carol's configured day cutting one of them in two.
	schedulePath := f.feedPath(strings.Replace(bob.ScheduleURLTemplate, "{schedule}", "payments-primary", 1))
	code, _, body = f.rawGet(schedulePath)
	if code != 200 {
		t.Fatalf("schedule feed = %d: %s", code, body)
	}
	count := map[string]int{}
	for _, ev := range parseFeed(t, body) {
		count[ev.summary]++
	}
	want := map[string]int{
		"On call: Alice Martin (Payments primary)": 8,
		"On call: Bob Stone (Payments primary)":    8,
		"On call: Carol Sato (Payments primary)":   1,
	}
	if len(count) != len(want) || count["On call: Alice Martin (Payments primary)"] != 8 ||
		count["On call: Bob Stone (Payments primary)"] != 8 || count["On call: Carol Sato (Payments primary)"] != 1 {
		t.Errorf("schedule feed events = %v, want %v", count, want)
	}

	aliceFeed := "/api/v1/users/alice/calendar.ics?token="
	for name, c := range map[string]struct {
		path string
		want int
	}{
		"no token":                    {"/api/v1/users/alice/calendar.ics", 401},
		"wrong token":                 {aliceFeed + "vgl_wrong", 401},
		"oversized token":             {aliceFeed + strings.Repeat("a", 600), 401},
		"an API token":                {aliceFeed + adminSecret, 403},
		"bob's token, alice's feed":   {aliceFeed + url.QueryEscape(bob.Token), 403},
		"unknown schedule":            {"/api/v1/schedules/nope/calendar.ics?token=" + url.QueryEscape(bob.Token), 404},
		"schedule feed, no token":     {"/api/v1/schedules/payments-primary/calendar.ics", 401},
		"schedule feed, a user token": {"/api/v1/schedules/payments-primary/calendar.ics?token=" + url.QueryEscape(aliceTok), 403},
	} {
		if code := f.call("GET", c.path, "", nil, nil); code != c.want {
			t.Errorf("%s: GET = %d, want %d", name, code, c.want)
		}
	}

	// A feed token opens nothing else.
	if code := f.call("GET", "/api/v1/users", alice.Token, nil, nil); code != 403 {
		t.Errorf("feed token on /api/v1/users = %d, want 403", code)
	}
	if code := f.call("POST", "/api/v1/users/alice/feed_token", alice.Token, nil, nil); code != 403 {
		t.Errorf("feed token making a feed token = %d, want 403", code)
	}

	// A new token replaces the old one.
	var again feedBody
	f.call("POST", "/api/v1/users/alice/feed_token", aliceTok, nil, &again)
	if code := f.call("GET", aliceFeed+url.QueryEscape(alice.Token), "", nil, nil); code != 401 {
		t.Errorf("replaced feed token = %d, want 401", code)
	}
	if code, _, _ := f.rawGet(f.feedPath(again.UserURL)); code != 200 {
		t.Errorf("new feed token = %d, want 200", code)
	}

	// An admin revokes it like any token.
	var toks struct {
		Tokens []store.Token `json:"tokens"`
	}
	f.call("GET", "/api/v1/tokens", adminSecret, nil, &toks)
	live := 0
	for _, tok := range toks.Tokens {
		if tok.Role != "feed" || tok.UserID != "alice" || tok.RevokedAt != nil {
			continue
		}
		live++
		if code := f.call("DELETE", "/api/v1/tokens/"+tok.ID, adminSecret, nil, nil); code != 204 {
			t.Fatalf("revoke %s = %d", tok.ID, code)
		}
	}
	if live != 1 {
		t.Errorf("alice has %d live feed tokens, want 1", live)
	}
	if code := f.call("GET", aliceFeed+url.QueryEscape(again.Token), "", nil, nil); code != 401 {
		t.Errorf("revoked feed token = %d, want 401", code)
	}
}

func TestFeedURLs(t *testing.T) {
	f := newRotaFixture(t)
	post := func(h http.Handler, proto string) feedBody {
		t.Helper()
		req := httptest.NewRequest("POST", "http://vigil.internal:8080/api/v1/users/alice/feed_token", nil)
		req.Header.Set("Authorization", "Bearer "+adminSecret)
		if proto != "" {
			req.Header.Set("X-Forwarded-Proto", proto)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var out feedBody
		if rec.Code != 201 || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
			t.Fatalf("feed token = %d %s", rec.Code, rec.Body)
		}
		return out
	}
	for _, c := range []struct {
		publicURL, proto, want string
	}{
		{"", "", "http://vigil.internal:8080/api/v1/users/alice/calendar.ics?token="},
		{"", "https", "https://vigil.internal:8080/api/v1/users/alice/calendar.ics?token="},
		{"", "gopher", "http://vigil.internal:8080/api/v1/users/alice/calendar.ics?token="},
		{"https://oncall.example.com/", "http", "https://oncall.example.com/api/v1/users/alice/calendar.ics?token="},
	} {
		srv := New(Options{Store: f.store, Org: f.org, Logger: f.srv.log, Now: f.srv.now, PublicURL: c.publicURL})
		got := post(srv.Handler(), c.proto)
		if got.UserURL != c.want+url.QueryEscape(got.Token) {
			t.Errorf("public URL %q, proto %q: user_url = %q, want %q + token", c.publicURL, c.proto, got.UserURL, c.want)
		}
	}
}
