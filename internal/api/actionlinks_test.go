package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/web/secure"
)

// openIncident triggers an alert on checkout and returns its incident.
func (f *fixture) openIncident(dedupKey string) int64 {
	f.t.Helper()
	f.call("POST", "/v2/enqueue", "", fmt.Sprintf(`{"routing_key":%q,"event_action":"trigger","dedup_key":%q,"payload":{"summary":"links","source":"x","severity":"error"}}`, pdKey, dedupKey), nil)
	var id int64
	eventually(f.t, "the incident", func() bool {
		if a := f.alerts("dedup_key=" + dedupKey).Alerts; len(a) == 1 {
			id = a[0].IncidentID
		}
		return id != 0
	})
	return id
}

// link signs an action link for user on incident id.
func (f *fixture) link(id int64, verb, user string) string {
	f.t.Helper()
	a, err := f.srv.signer.NewAction(id, verb, user, 1, time.Hour)
	if err != nil {
		f.t.Fatal(err)
	}
	return "/a/" + f.srv.signer.Sign(a)
}

// openLink sends method to a link path and returns the answer's status,
// headers and body.
func (f *fixture) openLink(method, path string) (int, http.Header, string) {
	f.t.Helper()
	code, hdr, body := f.raw(method, path)
	return code, hdr, string(body)
}

func (f *fixture) incidentStatus(id int64) string {
	f.t.Helper()
	var inc struct{ Status string }
	f.call("GET", fmt.Sprintf("/api/v1/incidents/%d", id), adminSecret, nil, &inc)
	return inc.Status
}

// TestActionLinkActsOnlyWhileItsUserMay: a link stops working once its
// user leaves the team that let them act, and once they leave the
// configuration, as their API token does; a user paged by name from
// another team, made a responder, keeps theirs. On both backends, since the link's use is
// recorded in the store.
func TestActionLinkActsOnlyWhileItsUserMay(t *testing.T) {
	onBothBackends(t, func(t *testing.T, f *fixture) {
		f.pagingOrg()
		id := f.openIncident("gone")
		aliceLink := f.link(id, "acknowledge", "alice")
		olgaLink := f.link(id, "resolve", "olga")
		if code, _, _ := f.openLink("GET", olgaLink); code != 403 {
			t.Fatalf("a link of a user of another team, not paged = %d, want 403", code)
		}

		// alice leaves the team that owns checkout.
		var team map[string]any
		f.call("GET", "/api/v1/teams/shop", adminSecret, nil, &team)
		team["members"] = []string{}
		if code := f.call("PUT", "/api/v1/teams/shop", adminSecret, team, nil); code != 200 {
			t.Fatalf("remove alice from shop = %d", code)
		}
		for _, method := range []string{"GET", "POST"} {
			if code, _, body := f.openLink(method, aliceLink); code != 403 || !strings.Contains(body, "may no longer act") {
				t.Errorf("%s the link of a user who left the team = %d %q, want 403 saying so", method, code, body)
			}
		}
		// And the configuration.
		if code := f.call("DELETE", "/api/v1/users/alice", adminSecret, nil, nil); code != 204 {
			t.Fatalf("delete alice = %d", code)
		}
		for _, method := range []string{"GET", "POST"} {
			if code, _, _ := f.openLink(method, aliceLink); code != 403 {
				t.Errorf("%s the link of a deleted user = %d, want 403", method, code)
			}
		}
		if got := f.incidentStatus(id); got != "triggered" {
			t.Fatalf("refused links left the incident %s", got)
		}

		// olga, made a responder by name, may act through her link.
		if code := f.call("POST", fmt.Sprintf("/api/v1/incidents/%d/roles", id), adminSecret, map[string]any{"role": "scribe", "user": "olga"}, nil); code != 200 {
			t.Fatalf("make olga scribe = %d", code)
		}
		if code, _, _ := f.openLink("POST", olgaLink); code != 200 {
			t.Fatalf("the link of a responder = %d, want 200", code)
		}
		if got := f.incidentStatus(id); got != "resolved" {
			t.Fatalf("after olga's link the incident is %s", got)
		}
	})
}

// TestActionLinkPagesCarryTheUIHeaders: every page of /a/{token} — the
// confirmation, the result, and the refusals — carries the headers the
// UI's pages do, and no referrer leaves it.
func TestActionLinkPagesCarryTheUIHeaders(t *testing.T) {
	f := newFixture(t)
	f.pagingOrg()
	id := f.openIncident("headers")
	link := f.link(id, "acknowledge", "alice")
	ui := http.Header{}
	secure.Headers(ui)
	pages := []struct {
		name, method, path string
		want               int
	}{
		{"confirmation", "GET", link, 200},
		{"result", "POST", link, 200},
		{"replay", "POST", link, 409},
		{"forged", "GET", link[:len(link)-3] + "abc", 403},
		{"unknown incident", "GET", f.link(999, "acknowledge", "alice"), 404},
	}
	for _, p := range pages {
		code, hdr, _ := f.openLink(p.method, p.path)
		if code != p.want {
			t.Errorf("%s: %d, want %d", p.name, code, p.want)
		}
		for _, name := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Cross-Origin-Opener-Policy"} {
			if got, want := hdr.Get(name), ui.Get(name); got != want || want == "" {
				t.Errorf("%s: %s = %q, want the UI's %q", p.name, name, got, want)
			}
		}
		if got := hdr.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("%s: Referrer-Policy = %q, want no-referrer", p.name, got)
		}
		if got := hdr.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control = %q, want no-store", p.name, got)
		}
	}
}

func TestActionLinks(t *testing.T) {
	f := newFixture(t)
	f.pagingOrg()
	id := f.openIncident("l1")
	link := f.link(id, "acknowledge", "alice")
	if code, hdr, _ := f.openLink("GET", link); code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
		t.Fatalf("GET link = %d %s", code, hdr.Get("Content-Type"))
	}
	if got := f.incidentStatus(id); got != "triggered" {
		t.Fatalf("a GET changed the incident to %s", got)
	}
	if code, _, _ := f.openLink("POST", link); code != 200 {
		t.Fatalf("POST link = %d", code)
	}
	if got := f.incidentStatus(id); got != "acknowledged" {
		t.Fatalf("after POST the incident is %s", got)
	}
	if code, _, _ := f.openLink("POST", link); code != 409 {
		t.Fatalf("replayed link = %d, want 409", code)
	}
	if code, _, _ := f.openLink("POST", link[:len(link)-3]+"abc"); code != 403 {
		t.Fatalf("forged link = %d, want 403", code)
	}
}
