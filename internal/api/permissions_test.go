package api

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/store"
)

// permissionOrg has two dev teams, two irt teams and the global IRT:
//
//	search   owned by shop (alice)                 not critical
//	billing  owned by pay (bob)                    not critical
//	checkout owned by pay, revenue-critical        covered by irt-core (ivan)
//	payments owned by pay, critical via checkout   covered by irt-edge (erin)
//
// gina is the global IRT; zed belongs to no team.
func permissionOrg() map[string]any {
	user := func(id string) map[string]any {
		return map[string]any{"id": id, "name": id, "time_zone": "Europe/Berlin"}
	}
	team := func(id, kind string, members ...string) map[string]any {
		return map[string]any{"id": id, "kind": kind, "members": members}
	}
	core := team("irt-core", "irt", "ivan")
	core["covers"] = []string{"checkout"}
	edge := team("irt-edge", "irt", "erin")
	edge["covers"] = []string{"payments"}
	return map[string]any{
		"users": []any{user("alice"), user("bob"), user("ivan"), user("erin"), user("gina"), user("zed")},
		"teams": []any{team("shop", "dev", "alice"), team("pay", "dev", "bob"), core, edge, team("irt-global", "global-irt", "gina")},
		"services": []any{
			map[string]any{"id": "search", "name": "Search", "owner": "shop"},
			map[string]any{"id": "billing", "owner": "pay"},
			map[string]any{"id": "checkout", "owner": "pay", "revenue_critical": true, "depends_on": []any{map[string]any{"service": "payments", "kind": "hard"}}},
			map[string]any{"id": "payments", "owner": "pay"},
		},
	}
}

// caller is one column of the matrix.
type caller struct {
	name, token, actor string
}

func permissionCallers(f *fixture) []caller {
	f.t.Helper()
	cs := []caller{
		{"viewer", f.viewer, "token:viewer"},
		{"admin", adminSecret, "token:admin"},
	}
	for _, u := range []string{"alice", "bob", "ivan", "erin", "gina"} {
		secret := "permission-token-of-" + u
		tok := store.Token{ID: "perm-" + u, Name: u, Hash: auth.Hash(secret), UserID: u, Role: auth.RoleUser, CreatedAt: time.Now()}
		if err := f.store.CreateToken(f.t.Context(), tok, store.AuditEntry{At: time.Now(), Actor: "test", Action: "token.create", Kind: "token", ObjID: tok.ID}); err != nil {
			f.t.Fatal(err)
		}
		cs = append(cs, caller{u, secret, "user:" + u})
	}
	return cs
}

// mayAct is the permission rule of DESIGN.md worked out by hand for each
// incident service and caller: viewers only read; a team member acts on
// its team's services, an irt member on the services its team covers, the
// global IRT and admins anywhere.
var mayAct = map[string]map[string]bool{
	// shop's own service: alice (owner) yes; bob (another dev team), ivan
	// and erin (irt teams that do not cover it) no.
	"search": {"viewer": false, "admin": true, "alice": true, "bob": false, "ivan": false, "erin": false, "gina": true},
	// pay's service, not critical: bob yes; alice and both irt teams no.
	"billing": {"viewer": false, "admin": true, "alice": false, "bob": true, "ivan": false, "erin": false, "gina": true},
	// pay's critical service covered by irt-core: bob (owner) and ivan
	// (covering irt) yes; alice (another dev team) and erin (an irt that
	// covers payments, not checkout) no.
	"checkout": {"viewer": false, "admin": true, "alice": false, "bob": true, "ivan": true, "erin": false, "gina": true},
}

// newestAudit returns the id of the newest audit entry (0 for none).
func (f *fixture) newestAudit() int64 {
	f.t.Helper()
	entries := f.auditActions("limit=1")
	if len(entries) == 0 {
		return 0
	}
	return entries[0].ID
}

// auditSince returns the entries by actor newer than id, newest first.
func (f *fixture) auditSince(id int64, actor string) []store.AuditEntry {
	f.t.Helper()
	var out []store.AuditEntry
	for _, e := range f.auditActions("actor=" + url.QueryEscape(actor)) {
		if e.ID > id {
			out = append(out, e)
		}
	}
	return out
}

func (f *fixture) declareAsAdmin(service string) int64 {
	f.t.Helper()
	var inc struct {
		ID int64 `json:"id"`
	}
	if code := f.call("POST", "/api/v1/incidents", adminSecret, map[string]any{"title": "trouble on " + service, "service": service}, &inc); code != 201 {
		f.t.Fatalf("declare on %s = %d", service, code)
	}
	return inc.ID
}

// checkWrite runs one write as c and asserts its status code and its audit
// trail: an entry with the wanted action by c for a success, nothing at all
// for a refusal.
func (f *fixture) checkWrite(c caller, what, method, path string, body any, want int, audit string) {
	f.t.Helper()
	before := f.newestAudit()
	if got := f.call(method, path, c.token, body, nil); got != want {
		f.t.Errorf("%s by %s: %s %s = %d, want %d", what, c.name, method, path, got, want)
		return
	}
	entries := f.auditSince(before, c.actor)
	if want >= 300 {
		if newest := f.newestAudit(); newest != before {
			f.t.Errorf("%s by %s was refused (%d) but the audit log grew", what, c.name, want)
		}
		return
	}
	for _, e := range entries {
		if e.Action == audit {
			return
		}
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Action)
	}
	f.t.Errorf("%s by %s: audit entries %v lack %s", what, c.name, got, audit)
}

func TestPermissionMatrix(t *testing.T) {
	f := newFixture(t)
	f.apply(permissionOrg())
	callers := permissionCallers(f)

	// Reads
	{
		id := f.declareAsAdmin("search")
		reads := []struct {
			path string
			want map[string]int // caller -> code, when not 200
		}{
			{"/api/v1/incidents", nil},
			{fmt.Sprintf("/api/v1/incidents/%d", id), nil},
			{"/api/v1/services", nil},
			{"/api/v1/services/checkout", nil},
			{"/api/v1/alerts", nil},
			{"/api/v1/teams", nil},
			{"/api/v1/services/checkout/responders", nil},
			{"/api/v1/tokens", map[string]int{"viewer": 403, "alice": 403, "bob": 403, "ivan": 403, "erin": 403, "gina": 403}},
			{"/api/v1/audit", map[string]int{"viewer": 403, "alice": 403, "bob": 403, "ivan": 403, "erin": 403, "gina": 403}},
		}
		for _, r := range reads {
			for _, c := range callers {
				want := 200
				if code, ok := r.want[c.name]; ok {
					want = code
				}
				if got := f.call("GET", r.path, c.token, nil, nil); got != want {
					t.Errorf("GET %s by %s = %d, want %d", r.path, c.name, got, want)
				}
			}
		}
	}

	// Every incident action, on an incident of each service, by every
	// caller: the action's success code where mayAct says so, else 403.
	actions := []struct {
		verb    string
		body    func(svc string) any
		success int
		audit   string
	}{
		{"acknowledge", nil, 200, "incident.acknowledge"},
		{"resolve", func(string) any { return map[string]any{"note": "fixed"} }, 200, "incident.resolve"},
		{"notes", func(string) any { return map[string]any{"message": "looking"} }, 200, "incident.note"},
		{"snooze", func(string) any { return map[string]any{"duration": "30m"} }, 200, "incident.snooze"},
		{"reassign", func(string) any { return map[string]any{"user": "zed"} }, 200, "incident.reassign"},
		// Paging another team for help on one's own incident, and a user.
		{"page", func(string) any { return map[string]any{"team": "pay", "message": "need help"} }, 200, "incident.page"},
		{"page", func(string) any { return map[string]any{"user": "zed"} }, 200, "incident.page"},
		{"roles", func(string) any { return map[string]any{"role": "scribe", "user": "zed"} }, 200, "incident.role"},
		{"updates", func(string) any { return map[string]any{"message": "investigating"} }, 200, "incident.update"},
		{"subscribers", func(string) any { return map[string]any{"user": "zed"} }, 200, "incident.subscribe"},
		{"severity", func(string) any { return map[string]any{"severity": "SEV3"} }, 200, "incident.severity"},
		{"major", func(string) any { return map[string]any{"reason": "spreading"} }, 200, "incident.major"},
		// Merging another incident of the same service into this one.
		{"merge", func(svc string) any { return map[string]any{"incident": f.declareAsAdmin(svc)} }, 200, "incident.merge"},
	}
	for _, a := range actions {
		for _, svc := range []string{"search", "billing", "checkout"} {
			for _, c := range callers {
				id := f.declareAsAdmin(svc)
				var body any
				if a.body != nil {
					body = a.body(svc)
				}
				want := 403
				if mayAct[svc][c.name] {
					want = a.success
				}
				f.checkWrite(c, a.verb+" on "+svc, "POST", fmt.Sprintf("/api/v1/incidents/%d/%s", id, a.verb), body, want, a.audit)
			}
		}
	}

	// Merge needs the right on both incidents
	{
		tests := []struct {
			caller     string
			into, from string
			want       int
		}{
			{"alice", "search", "billing", 403},   // billing is not hers
			{"bob", "search", "billing", 403},     // search is not his
			{"bob", "billing", "checkout", 200},   // both pay's
			{"ivan", "checkout", "billing", 403},  // irt-core covers checkout only
			{"gina", "search", "checkout", 200},   // the global IRT acts anywhere
			{"viewer", "search", "search", 403},   // viewers never act
			{"admin", "billing", "search", 200},   // admins act anywhere
			{"erin", "checkout", "checkout", 403}, // irt-edge covers payments only
		}
		for _, tt := range tests {
			into, from := f.declareAsAdmin(tt.into), f.declareAsAdmin(tt.from)
			c := callerNamed(callers, tt.caller)
			f.checkWrite(c, "merge "+tt.from+" into "+tt.into, "POST", fmt.Sprintf("/api/v1/incidents/%d/merge", into), map[string]any{"incident": from}, tt.want, "incident.merge")
		}
	}

	// Declare
	{
		for _, svc := range []string{"search", "billing", "checkout"} {
			for _, c := range callers {
				want := 403
				if mayAct[svc][c.name] {
					want = 201
				}
				f.checkWrite(c, "declare on "+svc, "POST", "/api/v1/incidents", map[string]any{"title": "by hand", "service": svc}, want, "incident.declare")
			}
		}
		// An incident of one's own service may name another team's service
		// too (and page it); one naming only others' services may not.
		alice := callerNamed(callers, "alice")
		f.checkWrite(alice, "declare on own and other", "POST", "/api/v1/incidents", map[string]any{"title": "x", "services": []string{"search", "billing"}}, 201, "incident.declare")
		f.checkWrite(alice, "declare on others only", "POST", "/api/v1/incidents", map[string]any{"title": "x", "services": []string{"billing", "checkout"}}, 403, "")
	}

	// Maintenance
	{
		now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
		window := map[string]any{"start": now.Add(time.Hour), "end": now.Add(2 * time.Hour), "reason": "upgrade"}
		for _, svc := range []string{"search", "billing", "checkout"} {
			for _, c := range callers {
				want := 403
				if mayAct[svc][c.name] {
					want = 201
				}
				f.checkWrite(c, "maintenance on "+svc, "POST", "/api/v1/services/"+svc+"/maintenance", window, want, "maintenance.create")
			}
			for _, c := range callers {
				var mw struct {
					ID int64 `json:"id"`
				}
				if code := f.call("POST", "/api/v1/services/"+svc+"/maintenance", adminSecret, window, &mw); code != 201 {
					t.Fatalf("admin maintenance = %d", code)
				}
				want := 403
				if mayAct[svc][c.name] {
					want = 204
				}
				f.checkWrite(c, "delete maintenance of "+svc, "DELETE", fmt.Sprintf("/api/v1/services/%s/maintenance/%d", svc, mw.ID), nil, want, "maintenance.delete")
			}
		}
		// The right on one service's windows reaches no other service's:
		// alice names her own service in the path and billing's window id.
		var billing struct {
			ID int64 `json:"id"`
		}
		f.call("POST", "/api/v1/services/billing/maintenance", adminSecret, window, &billing)
		alice := callerNamed(callers, "alice")
		f.checkWrite(alice, "delete another service's window through her own", "DELETE", fmt.Sprintf("/api/v1/services/search/maintenance/%d", billing.ID), nil, 404, "")
		var left struct {
			Windows []struct {
				ID int64 `json:"id"`
			} `json:"maintenance_windows"`
		}
		f.call("GET", "/api/v1/services/billing/maintenance", adminSecret, nil, &left)
		found := false
		for _, w := range left.Windows {
			found = found || w.ID == billing.ID
		}
		if !found {
			t.Error("billing's maintenance window was deleted through search's path")
		}
	}

	// Configuration and tokens are for admins
	{
		search := permissionOrg()["services"].([]any)[0].(map[string]any)
		search["name"] = "Search v2"
		writes := []struct {
			what, method, path string
			body               any
			success            int
			audit              string
		}{
			{"create user", "POST", "/api/v1/users", map[string]any{"id": "newbie", "time_zone": "UTC"}, 201, "user.create"},
			{"replace service", "PUT", "/api/v1/services/search", search, 200, "service.update"},
			{"delete user", "DELETE", "/api/v1/users/newbie", nil, 204, "user.delete"},
			{"apply", "POST", "/api/v1/config/apply", permissionOrg(), 200, "config.apply"},
			{"org", "PUT", "/api/v1/org", map[string]any{"correlation_window": "10m"}, 200, "org.create"},
			{"create token", "POST", "/api/v1/tokens", map[string]any{"name": "ci", "role": "viewer"}, 201, "token.create"},
		}
		for _, w := range writes {
			for _, c := range callers {
				want := 403
				if c.name == "admin" {
					want = w.success
				}
				f.checkWrite(c, w.what, w.method, w.path, w.body, want, w.audit)
			}
		}
		// Configuration writes carry the object before and after.
		entries := f.auditActions("kind=service&object_id=search&limit=1")
		if len(entries) != 1 || entries[0].Action != "config.apply" ||
			!strings.Contains(string(entries[0].Before), "Search v2") || strings.Contains(string(entries[0].After), "Search v2") {
			t.Errorf("audit of the apply that renamed search back = %+v, want before with Search v2 and after without", entries)
		}
		entries = f.auditActions("kind=service&object_id=search&limit=2")
		if len(entries) != 2 || entries[1].Action != "service.update" || !strings.Contains(string(entries[1].After), "Search v2") || len(entries[1].Before) == 0 {
			t.Errorf("audit of PUT /api/v1/services/search = %+v, want before and after", entries)
		}
	}
}

func TestIncidentAuditEntriesShowBeforeAndAfter(t *testing.T) {
	f := newFixture(t)
	f.apply(permissionOrg())
	callers := permissionCallers(f)
	bob := callerNamed(callers, "bob")
	id := f.declareAsAdmin("billing")
	if code := f.call("POST", fmt.Sprintf("/api/v1/incidents/%d/acknowledge", id), bob.token, map[string]any{"channel": "cli"}, nil); code != 200 {
		t.Fatalf("acknowledge = %d", code)
	}
	entries := f.auditActions("actor=user%3Abob&kind=incident")
	if len(entries) != 1 {
		t.Fatalf("bob's incident audit entries = %+v, want 1", entries)
	}
	e := entries[0]
	if e.Action != "incident.acknowledge" || e.ObjID != fmt.Sprint(id) || e.Details != "acknowledged (via cli)" ||
		!strings.Contains(string(e.Before), `"status":"triggered"`) || !strings.Contains(string(e.After), `"status":"acknowledged"`) {
		t.Fatalf("audit entry = %+v (before %s, after %s)", e, e.Before, e.After)
	}
	// The actor filter is exact and refuses what is not text.
	if got := f.auditActions("actor=user%3Abo"); len(got) != 0 {
		t.Errorf("actor=user:bo matched %d entries", len(got))
	}
	if code := f.call("GET", "/api/v1/audit?actor=%ff", adminSecret, nil, nil); code != 400 {
		t.Errorf("actor of invalid UTF-8 = %d, want 400", code)
	}
}

func callerNamed(cs []caller, name string) caller {
	for _, c := range cs {
		if c.name == name {
			return c
		}
	}
	panic("no caller " + name)
}
