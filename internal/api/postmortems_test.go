package api

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/postgres/pgtest"
)

// learningOrg: checkout (revenue-critical, team shop in Berlin) needs
// ledger (team data in New York); bob is on a team that owns neither.
func learningOrg() map[string]any {
	return map[string]any{
		"users": []any{
			map[string]any{"id": "alice", "name": "Alice", "time_zone": "Europe/Berlin"},
			map[string]any{"id": "dora", "name": "Dora", "time_zone": "America/New_York"},
			map[string]any{"id": "bob", "name": "Bob", "time_zone": "Europe/Berlin"},
			map[string]any{"id": "gina", "name": "Gina", "time_zone": "America/New_York"},
		},
		"teams": []any{
			map[string]any{"id": "shop", "kind": "dev", "members": []string{"alice"}, "time_zone": "Europe/Berlin", "country": "DE"},
			map[string]any{"id": "data", "kind": "dev", "members": []string{"dora"}, "time_zone": "America/New_York", "country": "US"},
			map[string]any{"id": "other", "kind": "dev", "members": []string{"bob"}},
			map[string]any{"id": "irt", "kind": "global-irt", "members": []string{"gina"}},
		},
		"services": []any{
			map[string]any{"id": "checkout", "owner": "shop", "revenue_critical": true, "depends_on": []any{map[string]any{"service": "ledger", "kind": "hard"}}},
			map[string]any{"id": "ledger", "owner": "data"},
			map[string]any{"id": "search", "owner": "other"},
		},
	}
}

func learningFixture(t *testing.T, dsn string) *fixture {
	f := startFixture(t, fixtureOptions{dsn: dsn, users: []string{"alice", "dora", "bob"}})
	f.apply(learningOrg())
	return f
}

// pmView is what the tests read of a post-mortem.
type pmView struct {
	ID                  int64    `json:"id"`
	IncidentID          int64    `json:"incident_id"`
	Status              string   `json:"status"`
	Version             int64    `json:"version"`
	Summary             string   `json:"summary"`
	Impact              string   `json:"impact"`
	Timeline            string   `json:"timeline"`
	ContributingFactors string   `json:"contributing_factors"`
	OwnerTeam           string   `json:"owner_team"`
	Required            bool     `json:"required"`
	RequiredBecause     []string `json:"required_because"`
	Due                 *string  `json:"due"`
	Overdue             bool     `json:"overdue"`
	UpdatedBy           string   `json:"updated_by"`
	ActionItems         []struct {
		ID        int64  `json:"id"`
		Title     string `json:"title"`
		OwnerTeam string `json:"owner_team"`
		Due       string `json:"due"`
		Status    string `json:"status"`
		URL       string `json:"url"`
		Overdue   bool   `json:"overdue"`
	} `json:"action_items"`
}

// declareSEV opens an incident on service by hand, at sev, as admin.
func (f *fixture) declareSEV(service, sev string) int64 {
	f.t.Helper()
	var inc struct{ ID int64 }
	if code := f.call("POST", "/api/v1/incidents", adminSecret, map[string]any{"title": "Checkout failing", "service": service, "severity": sev}, &inc); code != 201 {
		f.t.Fatalf("declare = %d", code)
	}
	return inc.ID
}

func (f *fixture) resolve(id int64) {
	f.t.Helper()
	if code := f.call("POST", fmt.Sprintf("/api/v1/incidents/%d/resolve", id), adminSecret, nil, nil); code != 200 {
		f.t.Fatalf("resolve = %d", code)
	}
}

func TestPostmortemLifecycle(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testPostmortemLifecycle(t, learningFixture(t, "")) })
	t.Run("postgres", func(t *testing.T) { testPostmortemLifecycle(t, learningFixture(t, pgtest.Schema(t))) })
}

func testPostmortemLifecycle(t *testing.T, f *fixture) {
	alice, dora, bob := tokenOf("alice"), tokenOf("dora"), tokenOf("bob")
	id := f.declareSEV("checkout", "SEV2")
	f.clock.Add(time.Hour)
	f.resolve(id)
	base := fmt.Sprintf("/api/v1/postmortems/%d", id)
	draft := fmt.Sprintf("/api/v1/incidents/%d/postmortem", id)

	if code := f.call("GET", draft, alice, nil, nil); code != 404 {
		t.Errorf("GET before a draft = %d, want 404", code)
	}
	for _, c := range []struct {
		who, token string
		want       int
	}{{"a viewer", f.viewer, 403}, {"another team", bob, 403}, {"nobody", "", 401}} {
		if code := f.call("POST", draft, c.token, nil, nil); code != c.want {
			t.Errorf("draft by %s = %d, want %d", c.who, code, c.want)
		}
	}
	if code := f.call("POST", "/api/v1/incidents/999/postmortem", alice, nil, nil); code != 404 {
		t.Errorf("draft of no incident = %d, want 404", code)
	}

	var pm pmView
	if code := f.call("POST", draft, alice, nil, &pm); code != 201 {
		t.Fatalf("draft = %d", code)
	}
	// Resolved Thursday 26 November at 14:00 in Berlin: due five German
	// business days later, Thursday 3 December at 18:00.
	if pm.ID != id || pm.IncidentID != id || pm.Status != "draft" || pm.Version != 1 || pm.OwnerTeam != "shop" || !pm.Required ||
		pm.RequiredBecause[0] != "severity SEV2" || pm.Due == nil || *pm.Due != "2026-12-03T17:00:00Z" {
		t.Fatalf("draft: %+v, due %v", pm, *pm.Due)
	}
	if !strings.Contains(pm.Summary, "SEV2 incident #") || !strings.Contains(pm.Timeline, "resolved") || !strings.Contains(pm.Impact, "checkout, owned by shop: critical") {
		t.Errorf("draft sections:\n%s\n%s\n%s", pm.Summary, pm.Impact, pm.Timeline)
	}
	if code := f.call("POST", draft, alice, nil, nil); code != 409 {
		t.Errorf("a second draft = %d, want 409", code)
	}

	// Edits name the version they were made on; a stale one is refused
	// and loses nothing.
	put := func(token string, body any) (int, pmView) {
		var out pmView
		code := f.call("PUT", base, token, body, &out)
		return code, out
	}
	code, pm := put(alice, map[string]any{"version": 1, "contributing_factors": "- no alert on ledger lag", "summary": "The ledger stalled."})
	if code != 200 || pm.Version != 2 || pm.ContributingFactors != "- no alert on ledger lag" || pm.UpdatedBy != "user:alice" {
		t.Fatalf("edit = %d %+v", code, pm)
	}
	if code, _ := put(dora, map[string]any{"version": 1, "summary": "lost?"}); code != 403 {
		t.Errorf("an edit by dora, whose team owns no service of the incident = %d, want 403", code)
	}
	if code, _ := put(alice, map[string]any{"version": 1, "summary": "lost?"}); code != 409 {
		t.Errorf("a stale edit = %d, want 409", code)
	}
	if code, _ := put(alice, map[string]any{"status": "published"}); code != 409 {
		t.Errorf("publishing a draft unreviewed = %d, want 409", code)
	}
	var read pmView
	f.call("GET", base, f.viewer, nil, &read)
	if read.Summary != "The ledger stalled." || read.Version != 2 {
		t.Errorf("after refused edits: %q version %d", read.Summary, read.Version)
	}

	// The whole post-mortem as read goes back with a change (If-Match
	// carries the version).
	var whole map[string]any
	f.call("GET", base, alice, nil, &whole)
	whole["went_well"] = "Paging worked."
	whole["action_items"] = []any{map[string]any{"title": "Alert on ledger lag", "owner_team": "data", "due": "2026-12-10"}}
	delete(whole, "version")
	code, pm = f.putIfMatch(base, alice, `"2"`, whole)
	if code != 200 || pm.Version != 3 || len(pm.ActionItems) != 1 || pm.ActionItems[0].Due != "2026-12-11T04:59:59Z" || pm.ActionItems[0].Status != "open" {
		t.Fatalf("edit sent back whole = %d %+v", code, pm)
	}
	if code, _ := f.putIfMatch(base, alice, `"2"`, map[string]any{"went_wrong": "x"}); code != 409 {
		t.Errorf("If-Match with a stale version = %d, want 409", code)
	}

	// Sent back exactly as read, nothing changes.
	f.call("GET", base, alice, nil, &whole)
	if code, same := put(alice, whole); code != 200 || same.Version != 3 {
		t.Errorf("a post-mortem sent back as read = %d, version %d; want 200, still 3", code, same.Version)
	}

	for _, step := range []string{"in_review", "draft", "in_review", "published"} {
		if code, pm = put(alice, map[string]any{"status": step}); code != 200 || pm.Status != step {
			t.Fatalf("to %s = %d %s", step, code, pm.Status)
		}
	}
	if code, _ := put(alice, map[string]any{"summary": "rewritten"}); code != 409 {
		t.Errorf("editing a published post-mortem's text = %d, want 409", code)
	}

	// Action items: listed org-wide and per team, overdue once their due
	// time passes; the owner team closes its own.
	item := pm.ActionItems[0]
	items := func(query string) string {
		var page struct {
			Items []struct {
				ID      int64 `json:"id"`
				Overdue bool  `json:"overdue"`
			} `json:"action_items"`
		}
		if code := f.call("GET", "/api/v1/action_items?"+query, f.viewer, nil, &page); code != 200 {
			return fmt.Sprint("status ", code)
		}
		var out []string
		for _, it := range page.Items {
			out = append(out, fmt.Sprintf("%d:%v", it.ID, it.Overdue))
		}
		return strings.Join(out, " ")
	}
	want := fmt.Sprintf("%d:false", item.ID)
	if got := items("status=open&team=data"); got != want {
		t.Errorf("open items of data: %q, want %q", got, want)
	}
	if got := items("status=open&overdue=true&team=data"); got != "" {
		t.Errorf("overdue items before the due date: %q", got)
	}
	f.clock.Set(time.Date(2026, 12, 11, 5, 0, 0, 0, time.UTC))
	if got := items("status=open&overdue=true&team=data"); got != fmt.Sprintf("%d:true", item.ID) {
		t.Errorf("overdue items after the due date: %q", got)
	}
	if got := items("overdue=false"); got != "" {
		t.Errorf("items not overdue: %q", got)
	}
	if got := items("team=shop"); got != "" {
		t.Errorf("items of shop: %q", got)
	}
	itemPath := fmt.Sprintf("/api/v1/action_items/%d", item.ID)
	if code := f.call("PUT", itemPath, bob, map[string]any{"status": "done"}, nil); code != 403 {
		t.Errorf("bob closing data's item = %d, want 403", code)
	}
	var closed struct {
		Status  string `json:"status"`
		Overdue bool   `json:"overdue"`
	}
	if code := f.call("PUT", itemPath, dora, map[string]any{"status": "done"}, &closed); code != 200 || closed.Status != "done" || closed.Overdue {
		t.Errorf("dora closing her team's item = %d %+v", code, closed)
	}
	if got := items("status=open"); got != "" {
		t.Errorf("open items after closing: %q", got)
	}

	// Who changed what.
	var history struct {
		History []struct{ Actor, Action, Details string } `json:"history"`
	}
	f.call("GET", base+"/history", f.viewer, nil, &history)
	var lines []string
	for _, h := range history.History {
		lines = append(lines, h.Actor+" "+h.Details)
	}
	wantHistory := []string{
		"user:dora action_items (version 8)",
		"user:alice status in_review → published (version 7)",
		"user:alice status draft → in_review (version 6)",
		"user:alice status in_review → draft (version 5)",
		"user:alice status draft → in_review (version 4)",
		"user:alice went_well; action_items (version 3)",
		"user:alice summary; contributing_factors (version 2)",
		"user:alice drafted from the incident's record",
	}
	if strings.Join(lines, "\n") != strings.Join(wantHistory, "\n") {
		t.Errorf("history:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(wantHistory, "\n"))
	}

	resp, err := http.DefaultClient.Do(f.request("GET", base+"/markdown", f.viewer, nil))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	status, header := resp.StatusCode, resp.Header
	if status != 200 || !strings.HasPrefix(header.Get("Content-Type"), "text/markdown") ||
		!strings.Contains(string(body), "## Contributing factors\n\n- no alert on ledger lag") || !strings.Contains(string(body), "| Alert on ledger lag | data |") {
		t.Errorf("markdown = %d %s:\n%s", status, header.Get("Content-Type"), body)
	}

	var inc struct {
		Timeline []struct{ Kind, Message string }
	}
	f.call("GET", fmt.Sprintf("/api/v1/incidents/%d", id), f.viewer, nil, &inc)
	var said []string
	for _, e := range inc.Timeline {
		if e.Kind == "postmortem" {
			said = append(said, e.Message)
		}
	}
	if strings.Join(said, ", ") != "post-mortem drafted, post-mortem sent to review, post-mortem sent back to draft, post-mortem sent to review, post-mortem published" {
		t.Errorf("the incident's timeline says %q", said)
	}
}

// putIfMatch edits with an If-Match header.
func (f *fixture) putIfMatch(path, token, match string, body any) (int, pmView) {
	f.t.Helper()
	var out pmView
	req := f.request("PUT", path, token, body)
	req.Header.Set("If-Match", match)
	code := f.do(req, &out)
	return code, out
}

func TestRequiredPostmortems(t *testing.T) {
	f := learningFixture(t, "")
	sev2, sev3, major := f.declareSEV("checkout", "SEV2"), f.declareSEV("search", "SEV3"), f.declareSEV("ledger", "SEV4")
	if code := f.call("POST", fmt.Sprintf("/api/v1/incidents/%d/major", major), adminSecret, map[string]any{"reason": "many teams"}, nil); code != 200 {
		t.Fatalf("major = %d", code)
	}
	f.clock.Add(time.Hour)
	for _, id := range []int64{sev2, sev3, major} {
		f.resolve(id)
	}
	required := func(query string) string {
		var page struct {
			Requirements []struct {
				IncidentID int64  `json:"incident_id"`
				Postmortem string `json:"postmortem"`
				Overdue    bool   `json:"overdue"`
				OwnerTeam  string `json:"owner_team"`
			} `json:"requirements"`
		}
		if code := f.call("GET", "/api/v1/postmortems/required?"+query, f.viewer, nil, &page); code != 200 {
			return fmt.Sprint("status ", code)
		}
		var out []string
		for _, r := range page.Requirements {
			out = append(out, fmt.Sprintf("%d:%s:%s:%v", r.IncidentID, r.OwnerTeam, r.Postmortem, r.Overdue))
		}
		return strings.Join(out, " ")
	}
	// The SEV3 needs none; the major SEV4 and the SEV2 do.
	if got, want := required(""), fmt.Sprintf("%d:data:missing:false %d:shop:missing:false", major, sev2); got != want {
		t.Errorf("required: %q, want %q", got, want)
	}
	if code := f.call("POST", fmt.Sprintf("/api/v1/incidents/%d/postmortem", sev2), tokenOf("alice"), nil, nil); code != 201 {
		t.Fatal("draft")
	}
	f.clock.Add(30 * 24 * time.Hour)
	if got, want := required("state=overdue"), fmt.Sprintf("%d:data:missing:true %d:shop:draft:true", major, sev2); got != want {
		t.Errorf("overdue: %q, want %q", got, want)
	}
	if got, want := required("team=shop&state=unfinished"), fmt.Sprintf("%d:shop:draft:true", sev2); got != want {
		t.Errorf("unfinished of shop: %q, want %q", got, want)
	}
	if got, want := required(fmt.Sprint("incident=", sev3)), ""; got != want {
		t.Errorf("the SEV3: %q", got)
	}
	var pms struct {
		Postmortems []pmView `json:"postmortems"`
	}
	f.call("GET", "/api/v1/postmortems?overdue=true", f.viewer, nil, &pms)
	if len(pms.Postmortems) != 1 || pms.Postmortems[0].ID != sev2 || !pms.Postmortems[0].Overdue {
		t.Errorf("overdue post-mortems: %+v", pms.Postmortems)
	}
	// The risks report lists both: the one not written and the draft.
	var risks struct {
		Risks []struct {
			Kind, Team, Summary string
		} `json:"risks"`
	}
	from := f.clock.Now().Add(-40 * 24 * time.Hour).UTC().Format(time.RFC3339)
	if code := f.call("GET", "/api/v1/reports/risks?from="+from, f.viewer, nil, &risks); code != 200 {
		t.Fatalf("risks = %d", code)
	}
	var late []string
	for _, r := range risks.Risks {
		if r.Kind == "missing_postmortems" {
			late = append(late, r.Team+": "+r.Summary)
		}
	}
	if want := []string{
		fmt.Sprintf("shop: overdue post-mortem of incident #%d (Checkout failing), still draft", sev2),
		fmt.Sprintf("data: overdue post-mortem of incident #%d (Checkout failing), not written", major),
	}; strings.Join(late, "\n") != strings.Join(want, "\n") {
		t.Errorf("risks report's post-mortems:\n%s\nwant\n%s", strings.Join(late, "\n"), strings.Join(want, "\n"))
	}

	// The org's policy decides: SEV3 and above, nothing else.
	org := learningOrg()
	org["org"] = map[string]any{"postmortems": map[string]any{"required_for": []string{"SEV1", "SEV2", "SEV3"}, "due_business_days": 2}}
	f.apply(org)
	if got, want := required(""), fmt.Sprintf("%d:other:missing:true %d:shop:draft:true", sev3, sev2); got != want {
		t.Errorf("required under SEV1-SEV3: %q, want %q", got, want)
	}
	org["org"] = map[string]any{"postmortems": map[string]any{"required_for": []string{"SEV9"}}}
	var refused map[string]any
	if code := f.call("POST", "/api/v1/config/apply", adminSecret, org, &refused); code != 400 || !strings.Contains(fmt.Sprint(refused), "org.postmortems.required_for[0]") {
		t.Errorf("a policy with SEV9 = %d %v", code, refused)
	}
}

func TestPostmortemBadInput(t *testing.T) {
	f := learningFixture(t, "")
	id := f.declareSEV("checkout", "SEV2")
	base := fmt.Sprintf("/api/v1/postmortems/%d", id)
	if code := f.call("POST", fmt.Sprintf("/api/v1/incidents/%d/postmortem", id), adminSecret, nil, nil); code != 201 {
		t.Fatal("draft")
	}
	huge := strings.Repeat("x", 200_000)
	for _, c := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"PUT", base, `{"summary":`, 400},
		{"PUT", base, `{"summary":"x","colour":"red"}`, 400},
		{"PUT", base, `{"summary":5}`, 400},
		{"PUT", base, `{"status":"done"}`, 400},
		{"PUT", base, `{"version":"one"}`, 400},
		{"PUT", base, map[string]any{"impact": huge}, 400},
		{"PUT", base, `{"summary":"` + strings.Repeat("x", maxBody) + `"}`, 413},
		{"PUT", base, `{"went_well":"a\u0000b"}`, 400},
		{"PUT", base, map[string]any{"action_items": []any{map[string]any{"title": "x", "owner_team": "nobody", "due": "2026-12-01"}}}, 400},
		{"PUT", base, map[string]any{"action_items": []any{map[string]any{"title": "x", "owner_team": "data", "due": "soon"}}}, 400},
		{"PUT", base, map[string]any{"action_items": []any{map[string]any{"title": "x", "owner_team": "data", "due": "2026-12-01", "url": "javascript:alert(1)"}}}, 400},
		{"PUT", base, map[string]any{"action_items": []any{map[string]any{"id": 12345}}}, 400},
		{"PUT", "/api/v1/postmortems/abc", `{}`, 404},
		{"PUT", "/api/v1/postmortems/999", `{}`, 404},
		{"GET", "/api/v1/postmortems/999", nil, 404},
		{"GET", "/api/v1/postmortems/999/markdown", nil, 404},
		{"GET", "/api/v1/postmortems/999/history", nil, 404},
		{"POST", "/api/v1/postmortems/999/action_items", `{"title":"x","owner_team":"data","due":"2026-12-01"}`, 404},
		{"POST", base + "/action_items", `{"title":"x"}`, 400},
		{"GET", "/api/v1/postmortems?status=closed", nil, 400},
		{"GET", "/api/v1/postmortems?team=nobody", nil, 400},
		{"GET", "/api/v1/postmortems?overdue=maybe", nil, 400},
		{"GET", "/api/v1/postmortems?cursor=%21", nil, 400},
		{"GET", "/api/v1/postmortems/required?from=yesterday", nil, 400},
		{"GET", "/api/v1/postmortems/required?incident=-1", nil, 400},
		{"GET", "/api/v1/postmortems/required?state=late", nil, 400},
		{"GET", "/api/v1/postmortems/required?incident=999", nil, 404},
		{"GET", "/api/v1/action_items?status=closed", nil, 400},
		{"GET", "/api/v1/action_items?overdue=yes%00", nil, 400},
		{"GET", "/api/v1/action_items?incident=x", nil, 400},
		{"GET", "/api/v1/action_items/abc", nil, 404},
		{"GET", "/api/v1/action_items/999", nil, 404},
		{"PUT", "/api/v1/action_items/999", `{"status":"done"}`, 404},
	} {
		if code := f.call(c.method, c.path, adminSecret, c.body, nil); code != c.want {
			t.Errorf("%s %.80s = %d, want %d", c.method, c.path, code, c.want)
		}
	}
	if code, _ := f.putIfMatch(base, adminSecret, "not-a-version", map[string]any{"summary": "x"}); code != 400 {
		t.Errorf("If-Match garbage = %d, want 400", code)
	}
	if code, _ := f.putIfMatch(base, adminSecret, `"1"`, map[string]any{"version": 2, "summary": "x"}); code != 400 {
		t.Errorf("If-Match and version disagreeing = %d, want 400", code)
	}
	var pm pmView
	f.call("GET", base, adminSecret, nil, &pm)
	if pm.Version != 1 {
		t.Errorf("refused input changed the post-mortem: version %d", pm.Version)
	}
	entries, err := f.store.ListAudit(t.Context(), store.AuditQuery{Kind: "postmortem"})
	if err != nil || len(entries) != 1 {
		t.Errorf("audit entries of post-mortems: %d, %v; want only the draft's", len(entries), err)
	}
}
