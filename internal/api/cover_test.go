package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/cover"
	"github.com/vigil-oncall/vigil/internal/notify"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/postgres/pgtest"
)

// hooks records the webhooks posted to it, by path.
type hooks struct {
	mu   sync.Mutex
	got  map[string][]map[string]any
	http *httptest.Server
}

func newHooks(t *testing.T) *hooks {
	h := &hooks{got: map[string][]map[string]any{}}
	h.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var v map[string]any
		_ = json.Unmarshal(body, &v)
		h.mu.Lock()
		h.got[r.URL.Path] = append(h.got[r.URL.Path], v)
		h.mu.Unlock()
	}))
	t.Cleanup(h.http.Close)
	return h
}

func (h *hooks) of(path string) []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.got[path])
}

// coverRota is rota() with a webhook contact method for everyone.
func coverRota(hookURL string) map[string]any {
	b := rota()
	for _, u := range b["users"].([]any) {
		m := u.(map[string]any)
		m["contact_methods"] = []any{map[string]any{"id": m["id"].(string) + "-hook", "type": "webhook", "url": hookURL + "/" + m["id"].(string)}}
	}
	return b
}

// coverBackends runs test on a fixture run by hand on SQLite and on
// PostgreSQL (skipped when VIGIL_TEST_POSTGRES is unset), applying
// coverRota, with user tokens for everyone.
func coverBackends(t *testing.T, test func(t *testing.T, f *fixture, h *hooks)) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			o := fixtureOptions{byHand: true, users: []string{"alice", "bob", "carol", "dana"}}
			if backend == "postgres" {
				o.dsn = pgtest.Schema(t)
			}
			f := startFixture(t, o)
			h := newHooks(t)
			f.apply(coverRota(h.http.URL))
			test(t, f, h)
		})
	}
}

// The fixture's now is Thursday 2026-11-26 12:00 UTC, in bob's week on
// payments-primary (to Monday Nov 30 09:00); carol is on call all Nov 27.
func TestCoverRequests(t *testing.T) {
	coverBackends(t, func(t *testing.T, f *fixture, h *hooks) {
		ctx := context.Background()
		bob, alice, carol := tokenOf("bob"), tokenOf("alice"), tokenOf("carol")
		saturday := map[string]any{"schedule": "payments-primary", "start": "2026-11-28T00:00:00Z", "end": "2026-11-29T00:00:00Z", "message": "a wedding"}

		refusals := []struct {
			name  string
			token string
			body  map[string]any
			want  int
		}{
			{"viewer", f.viewer, saturday, 403},
			{"alice for bob", alice, with(saturday, "requester", "bob"), 403},
			{"alice, not on call then", alice, saturday, 400},
			{"unknown schedule", bob, with(saturday, "schedule", "nope"), 404},
			{"end before start", bob, with(saturday, "end", "2026-11-27T00:00:00Z"), 400},
			{"in the past", bob, with(with(saturday, "start", "2026-11-24T00:00:00Z"), "end", "2026-11-25T00:00:00Z"), 400},
			{"no token", "", saturday, 401},
		}
		for _, r := range refusals {
			if code := f.call("POST", "/api/v1/cover_requests", r.token, r.body, nil); code != r.want {
				t.Errorf("%s: POST cover_requests = %d, want %d", r.name, code, r.want)
			}
		}

		var req cover.Request
		if code := f.call("POST", "/api/v1/cover_requests", bob, saturday, &req); code != 201 {
			t.Fatalf("bob asks for cover = %d", code)
		}
		if req.Status != "open" || req.Requester != "bob" || req.CreatedBy != "user:bob" || !slices.Equal(req.Candidates, []string{"alice"}) {
			t.Errorf("request = %+v, want open, alice the only teammate", req)
		}
		// alice (Berlin) is told now, at 13:00 her time.
		notices := func(user string) []notify.Notification {
			ns, err := f.store.ListNotifications(ctx, store.NotificationQuery{UserID: user})
			if err != nil {
				t.Fatal(err)
			}
			return ns
		}
		if ns := notices("alice"); len(ns) != 1 || ns[0].Kind != notify.KindCoverRequest || !ns[0].DueAt.Equal(fixtureNow) {
			t.Fatalf("alice's notices = %+v, want one cover request due now", ns)
		}
		f.settle()
		got := h.of("/alice")
		if len(got) != 1 || got[0]["kind"] != "cover_request" || !strings.Contains(fmt.Sprint(got[0]["incident"]), "bob asks for cover on payments-primary") {
			t.Fatalf("alice's webhooks = %v", got)
		}
		if u := got[0]["incident"].(map[string]any)["url"]; u != fmt.Sprintf("http://vigil.test/schedules/payments-primary?cover=%d", req.ID) {
			t.Errorf("the notice links to %v", u)
		}

		// An open request reaches everyone, each in their business hours:
		// bob in New York (07:00) at 08:00 his time, carol in Tokyo
		// (21:00) at 08:00 on Friday hers, dana in London now.
		var open cover.Request
		if code := f.call("POST", "/api/v1/cover_requests", alice, map[string]any{"schedule": "payments-primary",
			"start": "2026-11-30T09:00:00Z", "end": "2026-12-01T09:00:00Z", "open": true}, &open); code != 201 {
			t.Fatalf("alice asks anyone = %d", code)
		}
		if !slices.Equal(open.Candidates, []string{"bob", "carol", "dana"}) {
			t.Errorf("open candidates = %v", open.Candidates)
		}
		for user, due := range map[string]string{"bob": "2026-11-26T13:00:00Z", "carol": "2026-11-26T23:00:00Z", "dana": "2026-11-26T12:00:00Z"} {
			ns := notices(user)
			if len(ns) != 1 || ns[0].DueAt.Format(time.RFC3339) != due {
				t.Errorf("%s's notices = %+v, want one due %s", user, ns, due)
			}
		}

		// carol is no teammate of bob's: she may not take his request.
		path := fmt.Sprintf("/api/v1/cover_requests/%d", req.ID)
		for _, c := range []struct {
			name, token string
			body        any
			want        int
		}{
			{"carol", carol, nil, 403},
			{"viewer", f.viewer, nil, 403},
			{"bob himself", bob, nil, 403},
			{"alice for carol", alice, map[string]any{"user": "carol"}, 403},
			{"unknown request", alice, nil, 404},
		} {
			p := path + "/accept"
			if c.name == "unknown request" {
				p = "/api/v1/cover_requests/999999/accept"
			}
			if code := f.call("POST", p, c.token, c.body, nil); code != c.want {
				t.Errorf("%s accepts = %d, want %d", c.name, code, c.want)
			}
		}
		before := onCallAt(t, f, "2026-11-28T12:00:00Z")
		var accepted cover.Request
		if code := f.call("POST", path+"/accept", alice, nil, &accepted); code != 200 {
			t.Fatalf("alice accepts = %d", code)
		}
		if accepted.Status != "accepted" || accepted.AcceptedBy != "alice" || accepted.OverrideID == "" {
			t.Errorf("accepted = %+v", accepted)
		}
		if code := f.call("POST", path+"/accept", alice, nil, nil); code != 409 {
			t.Errorf("accepting twice = %d, want 409", code)
		}
		if code := f.call("POST", path+"/cancel", bob, nil, nil); code != 409 {
			t.Errorf("withdrawing an accepted request = %d, want 409", code)
		}
		// The schedule: alice instead of bob on Saturday, bob before and after.
		for at, want := range map[string]string{"2026-11-27T23:59:00Z": "carol", "2026-11-28T00:00:00Z": "alice", "2026-11-28T12:00:00Z": "alice", "2026-11-29T00:00:00Z": "bob"} {
			if got := onCallAt(t, f, at); got != want {
				t.Errorf("on call at %s = %s, want %s (was %s)", at, got, want, before)
			}
		}
		var list overridesBody
		f.call("GET", "/api/v1/schedules/payments-primary/overrides", f.viewer, nil, &list)
		if o := list.Overrides[len(list.Overrides)-1]; o.ID != accepted.OverrideID || o.User != "alice" || o.Replaces != "bob" || o.CreatedBy != "user:alice" {
			t.Errorf("override = %+v", o)
		}
		// iCal: alice's feed has Saturday; bob's does not.
		var feed feedBody
		f.call("POST", "/api/v1/users/alice/feed_token", alice, nil, &feed)
		code, _, body := f.rawGet(f.feedPath(feed.UserURL))
		saturdayStart := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
		if code != 200 || !slices.ContainsFunc(parseFeed(t, body), func(e event) bool { return e.start.Equal(saturdayStart) }) {
			t.Errorf("alice's feed = %d, lacks Saturday:\n%s", code, body)
		}
		f.call("POST", "/api/v1/users/bob/feed_token", bob, nil, &feed)
		_, _, body = f.rawGet(f.feedPath(feed.UserURL))
		for _, e := range parseFeed(t, body) {
			if e.start.Before(saturdayStart.Add(24*time.Hour)) && e.end.After(saturdayStart) {
				t.Errorf("bob's feed still has %+v", e)
			}
		}
		// Both people are told, in their business hours.
		f.clock.Set(time.Date(2026, 11, 26, 13, 0, 0, 0, time.UTC))
		f.settle()
		for _, user := range []string{"alice", "bob"} {
			got := h.of("/" + user)
			if !slices.ContainsFunc(got, func(m map[string]any) bool {
				return m["kind"] == "cover_accepted" && strings.Contains(fmt.Sprint(m["incident"]), "alice covers for bob")
			}) {
				t.Errorf("%s's webhooks = %v, lack the acceptance", user, got)
			}
		}

		// The audit log has the request, the acceptance and the override.
		var audit struct {
			Entries []store.AuditEntry `json:"audit_entries"`
		}
		f.call("GET", "/api/v1/audit?limit=50", adminSecret, nil, &audit)
		var actions []string
		for _, e := range audit.Entries {
			if e.Actor == "user:alice" || e.Actor == "user:bob" {
				actions = append(actions, e.Action)
			}
		}
		for _, want := range []string{"cover.request", "cover.accept", "schedule_override.create"} {
			if !slices.Contains(actions, want) {
				t.Errorf("audit actions by alice and bob = %v, lack %s", actions, want)
			}
		}

		// Withdrawing: only the requester (or an admin); the pending
		// notices go with it.
		openPath := fmt.Sprintf("/api/v1/cover_requests/%d", open.ID)
		if code := f.call("POST", openPath+"/cancel", bob, nil, nil); code != 403 {
			t.Errorf("bob withdraws alice's request = %d, want 403", code)
		}
		var cancelled cover.Request
		if code := f.call("POST", openPath+"/cancel", alice, nil, &cancelled); code != 200 || cancelled.Status != "cancelled" {
			t.Errorf("alice withdraws = %d %+v", code, cancelled)
		}
		if ns := notices("carol"); len(ns) != 1 || ns[0].Status != notify.StatusCancelled {
			t.Errorf("carol's notice after the withdrawal = %+v, want cancelled", ns)
		}
		if code := f.call("POST", openPath+"/accept", carol, nil, nil); code != 409 {
			t.Errorf("accepting a withdrawn request = %d, want 409", code)
		}

		var all struct {
			CoverRequests []cover.Request `json:"cover_requests"`
			NextCursor    *string         `json:"next_cursor"`
		}
		for q, want := range map[string]int{"": 2, "?status=open": 0, "?status=accepted": 1, "?user=alice": 2, "?user=carol": 0, "?limit=1": 1} {
			if code := f.call("GET", "/api/v1/cover_requests"+q, f.viewer, nil, &all); code != 200 || len(all.CoverRequests) != want {
				t.Errorf("list%s = %d, %d requests, want %d", q, code, len(all.CoverRequests), want)
			}
		}
		if code := f.call("GET", "/api/v1/cover_requests?status=bogus", f.viewer, nil, nil); code != 400 {
			t.Errorf("list with a bad status = %d, want 400", code)
		}
		// A request nobody took is expired once its span ends.
		var late cover.Request
		f.call("POST", "/api/v1/cover_requests", bob, with(with(saturday, "start", "2026-11-29T00:00:00Z"), "end", "2026-11-29T06:00:00Z"), &late)
		f.clock.Set(time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC))
		if f.call("GET", fmt.Sprintf("/api/v1/cover_requests/%d", late.ID), f.viewer, nil, &late); late.Status != "expired" {
			t.Errorf("status after the span = %s, want expired", late.Status)
		}
		if code := f.call("GET", "/api/v1/cover_requests?status=expired", f.viewer, nil, &all); code != 200 || len(all.CoverRequests) != 1 {
			t.Errorf("expired list = %d %+v", code, all.CoverRequests)
		}
	})
}

func with(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{}
	for kk, vv := range m {
		out[kk] = vv
	}
	out[k] = v
	return out
}

// Several people accepting one open request at once, through two
// replicas of the server on one database: exactly one gets the shifts.
func TestCoverRequestRace(t *testing.T) {
	coverBackends(t, func(t *testing.T, f *fixture, _ *hooks) {
		var req cover.Request
		if code := f.call("POST", "/api/v1/cover_requests", tokenOf("bob"), map[string]any{"schedule": "payments-primary",
			"start": "2026-11-28T00:00:00Z", "end": "2026-11-29T00:00:00Z", "open": true}, &req); code != 201 {
			t.Fatalf("request = %d", code)
		}
		replica := f.replica()
		path := fmt.Sprintf("/api/v1/cover_requests/%d/accept", req.ID)
		codes := map[string]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, user := range []string{"alice", "carol", "dana", "alice", "carol", "dana"} {
			wg.Go(func() {
				<-start
				base := f.http.URL
				if i%2 == 1 {
					base = replica
				}
				r, _ := http.NewRequest("POST", base+path, nil)
				r.Header.Set("Authorization", "Bearer "+tokenOf(user))
				resp, err := http.DefaultClient.Do(r)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				mu.Lock()
				codes[fmt.Sprintf("%d %s", i, user)] = resp.StatusCode
				mu.Unlock()
			})
		}
		close(start)
		wg.Wait()
		won := 0
		for who, code := range codes {
			switch code {
			case 200:
				won++
			case 409:
			default:
				t.Errorf("%s: %d, want 200 or 409", who, code)
			}
		}
		if won != 1 {
			t.Fatalf("%d acceptances won (%v), want exactly one", won, codes)
		}
		if err := f.org.Load(context.Background()); err != nil {
			t.Fatal(err)
		}
		var got cover.Request
		f.call("GET", fmt.Sprintf("/api/v1/cover_requests/%d", req.ID), f.viewer, nil, &got)
		overrides := f.org.Snapshot().ScheduleOverrides("payments-primary")
		if len(overrides) != 1 || overrides[0].ID != got.OverrideID || overrides[0].User != got.AcceptedBy {
			t.Errorf("overrides %+v for the request %+v: want exactly the winner's", overrides, got)
		}
		entries, err := f.store.ListAudit(context.Background(), store.AuditQuery{Kind: "cover_request", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		accepts := 0
		for _, e := range entries {
			if e.Action == "cover.accept" {
				accepts++
			}
		}
		if accepts != 1 {
			t.Errorf("%d cover.accept audit entries, want 1", accepts)
		}
	})
}

// replica serves a second server on the fixture's database, with its own
// configuration manager, as another replica would; it returns its URL.
func (f *fixture) replica() string {
	f.t.Helper()
	m := org.NewManager(f.store, f.clock.Now)
	if err := m.Load(context.Background()); err != nil {
		f.t.Fatal(err)
	}
	srv := New(Options{Store: f.store, Pipeline: f.pipe, Org: m, Now: f.clock.Now, Version: "test"})
	hs := httptest.NewServer(srv.Handler())
	f.t.Cleanup(hs.Close)
	return hs.URL
}
