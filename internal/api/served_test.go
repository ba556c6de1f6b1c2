package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/store"
)

// servedFixture is the rota organisation with a recorded history:
// payments-primary's last weeks, and the history of old-rota, a schedule
// since deleted. Every history is recorded up to the fixture's now, so
// that the pipeline running beside the server has nothing to add.
func servedFixture(t *testing.T) *fixture {
	t.Helper()
	f := newRotaFixture(t)
	now := f.srv.now()
	at := func(day, hour int) time.Time { return time.Date(2026, 11, day, hour, 0, 0, 0, time.UTC) }
	shift := func(schedule, user, layer string, start, end time.Time) *store.ServedShift {
		return &store.ServedShift{Schedule: schedule, User: user, Layer: layer, Start: start, End: end, TimeZone: "UTC"}
	}
	histories := map[string][]*store.ServedShift{
		"payments-primary": {
			shift("payments-primary", "bob", "weekly", at(9, 9), at(16, 9)),
			shift("payments-primary", "alice", "weekly", at(16, 9), at(23, 9)),
			shift("payments-primary", "bob", "weekly", at(23, 9), at(25, 10)),
			shift("payments-primary", "carol", "override", at(25, 10), at(25, 12)),
			shift("payments-primary", "bob", "weekly", at(25, 12), now),
		},
		"old-rota": {shift("old-rota", "dana", "daily", at(1, 0), at(2, 0))},
	}
	err := f.store.Update(context.Background(), func(tx store.Tx) error {
		for schedule, shifts := range histories {
			if _, err := tx.LockServedUntil(schedule, shifts[0].Start); err != nil {
				return err
			}
			if err := tx.InsertServedShifts(shifts...); err != nil {
				return err
			}
			if err := tx.SetServedUntil(schedule, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

type servedPage struct {
	ServedShifts []store.ServedShift `json:"served_shifts"`
	NextCursor   *string             `json:"next_cursor"`
}

// servedLabels shows each shift as "user start-end", days and hours of
// November 2026.
func servedLabels(shifts []store.ServedShift) string {
	var out []string
	for _, sh := range shifts {
		out = append(out, sh.User+" "+sh.Start.Format("2T15")+"-"+sh.End.Format("2T15"))
	}
	return strings.Join(out, " ")
}

const servedPath = "/api/v1/schedules/payments-primary/served-shifts"

func TestServedShiftsPages(t *testing.T) {
	f := servedFixture(t)

	var all servedPage
	if code := f.call("GET", servedPath, f.viewer, nil, &all); code != 200 {
		t.Fatalf("GET served shifts = %d", code)
	}
	const history = "bob 9T09-16T09 alice 16T09-23T09 bob 23T09-25T10 carol 25T10-25T12 bob 25T12-26T12"
	if got := servedLabels(all.ServedShifts); got != history || all.NextCursor != nil {
		t.Fatalf("served shifts = %q, next %v; want %q and no next page", got, all.NextCursor, history)
	}

	var pages []string
	cursor := ""
	for i := 0; ; i++ {
		if i > 5 {
			t.Fatal("the pages do not end")
		}
		path := servedPath + "?limit=2"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		var page servedPage
		if code := f.call("GET", path, f.viewer, nil, &page); code != 200 {
			t.Fatalf("GET %s = %d", path, code)
		}
		pages = append(pages, servedLabels(page.ServedShifts))
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	want := []string{"bob 9T09-16T09 alice 16T09-23T09", "bob 23T09-25T10 carol 25T10-25T12", "bob 25T12-26T12"}
	if strings.Join(pages, " | ") != strings.Join(want, " | ") {
		t.Errorf("pages = %q, want %q", pages, want)
	}

	// Every field of a shift, and null for the last page's cursor.
	var raw map[string]json.RawMessage
	f.call("GET", servedPath+"?from=2026-11-25T11:00:00Z&to=2026-11-25T11:30:00Z", f.viewer, nil, &raw)
	if string(raw["next_cursor"]) != "null" {
		t.Errorf("next_cursor = %s, want null", raw["next_cursor"])
	}
	var shifts []map[string]any
	if err := json.Unmarshal(raw["served_shifts"], &shifts); err != nil || len(shifts) != 1 {
		t.Fatalf("served_shifts = %s (%v)", raw["served_shifts"], err)
	}
	wantShift := map[string]any{"id": all.ServedShifts[3].ID, "schedule": "payments-primary", "user": "carol", "layer": "override",
		"start": "2026-11-25T10:00:00Z", "end": "2026-11-25T12:00:00Z", "time_zone": "UTC"}
	got, _ := json.Marshal(shifts[0])
	wantJSON, _ := json.Marshal(wantShift)
	if string(got) != string(wantJSON) {
		t.Errorf("shift = %s, want %s", got, wantJSON)
	}
}

func TestServedShiftsWindow(t *testing.T) {
	f := servedFixture(t)
	tests := []struct {
		query, want string
	}{
		{"", "bob 9T09-16T09 alice 16T09-23T09 bob 23T09-25T10 carol 25T10-25T12 bob 25T12-26T12"},
		{"from=2026-11-20T00:00:00Z", "alice 16T09-23T09 bob 23T09-25T10 carol 25T10-25T12 bob 25T12-26T12"},
		{"to=2026-11-16T09:00:00Z", "bob 9T09-16T09"},
		// Shifts overlapping the window: one ending at from or starting at
		// to is outside it.
		{"from=2026-11-23T09:00:00Z&to=2026-11-25T12:00:00Z", "bob 23T09-25T10 carol 25T10-25T12"},
		{"from=2026-11-25T11:00:00%2B01:00&to=2026-11-25T11:00:00Z", "carol 25T10-25T12"}, // 10:00 to 11:00 UTC
		// An empty window overlaps nothing.
		{"from=2026-11-24T00:00:00Z&to=2026-11-24T00:00:00Z", ""},
		{"from=2026-12-01T00:00:00Z", ""},
		{"to=2026-11-01T00:00:00Z", ""},
		{"from=2026-11-20T00:00:00Z&limit=1", "alice 16T09-23T09"},
	}
	for _, tt := range tests {
		var page servedPage
		if code := f.call("GET", servedPath+"?"+tt.query, f.viewer, nil, &page); code != 200 {
			t.Errorf("?%s = %d", tt.query, code)
			continue
		}
		if got := servedLabels(page.ServedShifts); got != tt.want {
			t.Errorf("?%s = %q, want %q", tt.query, got, tt.want)
		}
	}
}

func TestServedShiftsOfWhichSchedule(t *testing.T) {
	f := servedFixture(t)
	tests := []struct {
		name, schedule string
		want           int
		shifts         string
	}{
		{"configured, with a history", "payments-primary", 200, "bob 9T09-16T09 alice 16T09-23T09 bob 23T09-25T10 carol 25T10-25T12 bob 25T12-26T12"},
		{"configured, nothing recorded yet", "office", 200, ""},
		{"deleted, with a history", "old-rota", 200, "dana 1T00-2T00"},
		{"never existed", "nope", 404, ""},
		{"NUL", "%00", 404, ""},
		{"invalid UTF-8", "%FF", 404, ""},
		{"quotes", "x'%20OR%20'1'='1", 404, ""},
	}
	for _, tt := range tests {
		var page servedPage
		code := f.call("GET", "/api/v1/schedules/"+tt.schedule+"/served-shifts", f.viewer, nil, &page)
		if code != tt.want {
			t.Errorf("%s: = %d, want %d", tt.name, code, tt.want)
			continue
		}
		if code != 200 {
			continue
		}
		if page.ServedShifts == nil {
			t.Errorf("%s: served_shifts is missing or null", tt.name)
		}
		if got := servedLabels(page.ServedShifts); got != tt.shifts {
			t.Errorf("%s: served shifts = %q, want %q", tt.name, got, tt.shifts)
		}
	}
}

func TestServedShiftsBadRequests(t *testing.T) {
	f := servedFixture(t)
	cursor := func(s string) string { return url.QueryEscape(base64.RawURLEncoding.EncodeToString([]byte(s))) }
	tests := []struct {
		query, mention string
	}{
		{"from=yesterday", "from"},
		{"from=2026-11-25", "from"},
		{"from=2026-13-01T00:00:00Z", "from"},
		{"from=2026-11-25T10:00:00", "from"},
		{"from=2026-11-25T10:00:00Z'%20OR%201=1--", "from"},
		{"from=%00", "from"},
		{"from=" + strings.Repeat("9", 5000), "from"},
		{"to=now", "to"},
		{"to=-0001-01-01T00:00:00Z", "to"},
		{"from=2026-11-25T00:00:00Z&to=2026-11-24T00:00:00Z", "before"},
		{"limit=0", "limit"},
		{"limit=-1", "limit"},
		{"limit=abc", "limit"},
		{"limit=1.5", "limit"},
		{"limit=99999999999999999999999", "limit"},
		{"cursor=!!!", "cursor"},
		{"cursor=" + cursor("abc"), "cursor"},
		{"cursor=" + cursor("0"), "cursor"},
		{"cursor=" + cursor("-3"), "cursor"},
		{"cursor=" + cursor("1 OR 1=1"), "cursor"},
		{"cursor=" + cursor("99999999999999999999999"), "cursor"},
		{"cursor=" + cursor("\x00"), "cursor"},
		{"cursor=" + url.QueryEscape(base64.RawURLEncoding.EncodeToString([]byte{0xff, 0xfe})), "cursor"},
	}
	for _, tt := range tests {
		var e errorBody
		if code := f.call("GET", servedPath+"?"+tt.query, f.viewer, nil, &e); code != 400 {
			t.Errorf("?%.80s = %d, want 400", tt.query, code)
			continue
		}
		if e.Code != "bad_request" || !strings.Contains(e.Message, tt.mention) || len(e.Message) > 300 {
			t.Errorf("?%.80s: error %q %q, want a short bad_request that mentions %q", tt.query, e.Code, e.Message, tt.mention)
		}
	}

	// A limit above the largest is cut to it, not refused.
	if code := f.call("GET", servedPath+"?limit=5000", f.viewer, nil, nil); code != 200 {
		t.Errorf("limit=5000 = %d, want 200", code)
	}
	// A cursor past the end is an empty last page.
	var page servedPage
	if code := f.call("GET", servedPath+"?cursor="+cursor("1000000"), f.viewer, nil, &page); code != 200 || len(page.ServedShifts) != 0 || page.NextCursor != nil {
		t.Errorf("cursor past the end = %d, %d shifts, next %v", code, len(page.ServedShifts), page.NextCursor)
	}
}

func TestServedShiftsNeedAToken(t *testing.T) {
	f := servedFixture(t)
	tests := []struct {
		name, token string
		want        int
	}{
		{"no token", "", 401},
		{"wrong token", "not-a-token-0123456789", 401},
		{"reader", f.viewer, 200},
		{"admin", adminSecret, 200},
	}
	for _, tt := range tests {
		if code := f.call("GET", servedPath, tt.token, nil, nil); code != tt.want {
			t.Errorf("%s: GET served shifts = %d, want %d", tt.name, code, tt.want)
		}
	}
}
