package api

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/auth"
	"github.com/vigil-oncall/vigil/internal/store"
)

const pdKey = "aaaabbbbccccddddeeeeffff00001111"

// pagingOrg is shop() with integrations of every type on checkout, and a
// user token for alice (a member of the owner team) and for gina (the
// global IRT) and for a user of another team.
func (f *fixture) pagingOrg() {
	f.t.Helper()
	b := shop()
	users := b["users"].([]any)
	users = append(users, map[string]any{"id": "olga", "name": "Olga", "time_zone": "UTC"})
	b["users"] = users
	teams := b["teams"].([]any)
	teams = append(teams, map[string]any{"id": "other", "kind": "dev", "members": []string{"olga"}})
	b["teams"] = teams
	svcs := b["services"].([]any)
	svcs[0].(map[string]any)["integrations"] = []any{
		map[string]any{"type": "pagerduty", "key": pdKey},
		map[string]any{"type": "alertmanager", "key": "am-checkout"},
		map[string]any{"type": "grafana", "key": "gf-checkout"},
		map[string]any{"type": "generic", "key": "gen-checkout"},
		map[string]any{"type": "heartbeat", "key": "hb-checkout", "interval": "10m"},
		map[string]any{"type": "pagerduty", "key": "ffffeeeeddddccccbbbbaaaa00002222", "rate_limit": 1},
	}
	if code := f.call("POST", "/api/v1/config/apply", adminSecret, b, nil); code != 200 {
		f.t.Fatalf("apply = %d", code)
	}
	for _, u := range []string{"alice", "gina", "olga"} {
		tok := store.Token{ID: "tok-" + u, Name: u, Hash: auth.Hash("user-token-of-" + u), UserID: u, Role: auth.RoleUser, CreatedAt: time.Now()}
		if err := f.store.CreateToken(f.t.Context(), tok, store.AuditEntry{At: time.Now(), Actor: "test", Action: "token.create", Kind: "token", ObjID: tok.ID}); err != nil {
			f.t.Fatal(err)
		}
	}
}

// eventually polls cond for up to twenty seconds: the pipeline works
// apart from the request, and a loaded machine (the race detector, both
// backends at once) may take seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 2000; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

type alertList struct {
	Alerts []struct {
		ID         int64  `json:"id"`
		DedupKey   string `json:"dedup_key"`
		Status     string `json:"status"`
		Count      int    `json:"count"`
		Severity   string `json:"severity"`
		Summary    string `json:"summary"`
		IncidentID int64  `json:"incident_id"`
	} `json:"alerts"`
}

func (f *fixture) alerts(query string) alertList {
	var l alertList
	f.call("GET", "/api/v1/alerts?"+query, adminSecret, nil, &l)
	return l
}

func TestPagerDutyEvents(t *testing.T) {
	f := newFixture(t)
	f.pagingOrg()
	trigger := fmt.Sprintf(`{"routing_key":%q,"event_action":"trigger","dedup_key":"k1","payload":{"summary":"checkout down","source":"web-1","severity":"critical","timestamp":"2026-11-26T11:59:00+0000"}}`, pdKey)
	var ans pdAnswer
	if code := f.call("POST", "/v2/enqueue", "", trigger, &ans); code != 202 || ans.Status != "success" || ans.DedupKey != "k1" || ans.Message != "Event processed" {
		t.Fatalf("trigger = %d %+v", code, ans)
	}
	eventually(t, "the alert", func() bool { return len(f.alerts("dedup_key=k1").Alerts) == 1 })
	f.call("POST", "/v2/enqueue", "", trigger, nil)
	eventually(t, "the repeat", func() bool { a := f.alerts("dedup_key=k1").Alerts; return len(a) == 1 && a[0].Count == 2 })

	// No dedup key: one is made and returned.
	f.call("POST", "/v2/enqueue", "", fmt.Sprintf(`{"routing_key":%q,"event_action":"trigger","payload":{"summary":"x","source":"y","severity":"warning"}}`, pdKey), &ans)
	if len(ans.DedupKey) < 16 {
		t.Fatalf("generated dedup key %q", ans.DedupKey)
	}
	// Acknowledge and resolve without an open alert: 202, dropped.
	for _, action := range []string{"acknowledge", "resolve"} {
		if code := f.call("POST", "/v2/enqueue", "", fmt.Sprintf(`{"routing_key":%q,"event_action":%q,"dedup_key":"nope"}`, pdKey, action), nil); code != 202 {
			t.Fatalf("%s of nothing = %d", action, code)
		}
	}
	if code := f.call("POST", "/v2/enqueue", "", fmt.Sprintf(`{"routing_key":%q,"event_action":"resolve","dedup_key":"k1"}`, pdKey), nil); code != 202 {
		t.Fatal("resolve refused")
	}
	eventually(t, "the resolve", func() bool { a := f.alerts("dedup_key=k1").Alerts; return len(a) == 1 && a[0].Status == "resolved" })
	if got := f.alerts("dedup_key=nope").Alerts; len(got) != 0 {
		t.Fatalf("ack/resolve of nothing created %+v", got)
	}

	tests := []struct {
		name, body string
		want       int
		wantError  string
	}{
		{"not json", `{"routing_key":`, 400, ""},
		{"missing routing key", `{"event_action":"trigger","payload":{"summary":"x","source":"y","severity":"info"}}`, 400, "routing_key"},
		{"unknown routing key", `{"routing_key":"00000000000000000000000000000000","event_action":"trigger","payload":{"summary":"x","source":"y","severity":"info"}}`, 400, "routing_key"},
		{"alertmanager key on /v2", `{"routing_key":"am-checkout","event_action":"trigger","payload":{"summary":"x","source":"y","severity":"info"}}`, 400, "routing_key"},
		{"bad action", fmt.Sprintf(`{"routing_key":%q,"event_action":"explode"}`, pdKey), 400, "event_action"},
		{"bad severity", fmt.Sprintf(`{"routing_key":%q,"event_action":"trigger","payload":{"summary":"x","source":"y","severity":"urgent"}}`, pdKey), 400, "payload.severity"},
		{"summary too long", fmt.Sprintf(`{"routing_key":%q,"event_action":"trigger","payload":{"summary":%q,"source":"y","severity":"info"}}`, pdKey, strings.Repeat("s", 1025)), 400, "payload.summary"},
		{"too large", fmt.Sprintf(`{"routing_key":%q,"event_action":"trigger","payload":{"summary":"x","source":"y","severity":"info","custom_details":{"x":%q}}}`, pdKey, strings.Repeat("a", 600<<10)), 413, ""},
	}
	for _, tt := range tests {
		var ans pdAnswer
		code := f.call("POST", "/v2/enqueue", "", tt.body, &ans)
		if code != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, code, tt.want)
			continue
		}
		if code == 400 && (ans.Status != "invalid event" || ans.Message != "Event object is invalid") {
			t.Errorf("%s: body %+v is not PagerDuty's", tt.name, ans)
		}
		if tt.wantError != "" && !strings.Contains(strings.Join(ans.Errors, ";"), tt.wantError) {
			t.Errorf("%s: errors %v do not name %s", tt.name, ans.Errors, tt.wantError)
		}
	}
}

func TestIngestRateLimits(t *testing.T) {
	f := newFixture(t)
	f.pagingOrg()
	body := `{"routing_key":"ffffeeeeddddccccbbbbaaaa00002222","event_action":"trigger","payload":{"summary":"x","source":"y","severity":"info"}}`
	codes := []int{}
	for i := 0; i < 3; i++ { // rate 1/s allows a burst of 2
		codes = append(codes, f.call("POST", "/v2/enqueue", "", body, nil))
	}
	if fmt.Sprint(codes) != "[202 202 429]" {
		t.Fatalf("codes = %v, want [202 202 429]", codes)
	}
}

const amFiring = `{"version":"4","groupKey":"{}:{alertname=\"High\"}","truncatedAlerts":0,"status":"firing","receiver":"vigil",
"groupLabels":{"alertname":"High"},"commonLabels":{"alertname":"High"},"commonAnnotations":{},"externalURL":"http://am:9093",
"alerts":[
 {"status":"firing","labels":{"alertname":"High","instance":"web-1","severity":"critical"},"annotations":{"summary":"latency high on web-1"},"startsAt":"2026-11-26T11:58:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prom/graph","fingerprint":"1111111111111111"},
 {"status":"firing","labels":{"alertname":"High","instance":"web-2","severity":"warning"},"annotations":{"summary":"latency high on web-2"},"startsAt":"2026-11-26T11:58:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prom/graph","fingerprint":"2222222222222222"}]}`

func TestAlertmanagerWebhook(t *testing.T) {
	f := newFixture(t)
	f.pagingOrg()
	if code := f.call("POST", "/api/v1/integrations/alertmanager/am-checkout", "", amFiring, nil); code != 202 {
		t.Fatalf("firing = %d", code)
	}
	eventually(t, "two alerts", func() bool { return len(f.alerts("service=checkout&status=triggered").Alerts) == 2 })
	// Alertmanager re-sends the group: dedup by fingerprint.
	f.call("POST", "/api/v1/integrations/alertmanager/am-checkout", "", amFiring, nil)
	eventually(t, "repeats counted", func() bool {
		for _, a := range f.alerts("dedup_key=1111111111111111").Alerts {
			if a.Count == 2 {
				return true
			}
		}
		return false
	})
	if n := len(f.alerts("service=checkout").Alerts); n != 2 {
		t.Fatalf("%d alerts after a re-send, want 2", n)
	}
	resolved := strings.Replace(amFiring, `"status":"firing","labels":{"alertname":"High","instance":"web-1"`, `"status":"resolved","labels":{"alertname":"High","instance":"web-1"`, 1)
	f.call("POST", "/api/v1/integrations/alertmanager/am-checkout", "", resolved, nil)
	eventually(t, "the resolve", func() bool {
		a := f.alerts("dedup_key=1111111111111111").Alerts
		return len(a) == 1 && a[0].Status == "resolved"
	})
	tests := []struct {
		name, path, body string
		want             int
	}{
		{"unknown key", "/api/v1/integrations/alertmanager/nope", amFiring, 404},
		{"key of another type", "/api/v1/integrations/alertmanager/gf-checkout", amFiring, 404},
		{"not json", "/api/v1/integrations/alertmanager/am-checkout", "{", 400},
		{"alerts not a list", "/api/v1/integrations/alertmanager/am-checkout", `{"version":"4","alerts":{}}`, 400},
		{"too large", "/api/v1/integrations/alertmanager/am-checkout", `{"x":"` + strings.Repeat("a", 520<<10) + `"}`, 413},
	}
	for _, tt := range tests {
		if code := f.call("POST", tt.path, "", tt.body, nil); code != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, code, tt.want)
		}
	}
}

func TestOtherIngestPaths(t *testing.T) {
	f := newFixture(t)
	f.pagingOrg()
	grafana := `{"version":"1","orgId":1,"status":"firing","state":"alerting","title":"[FIRING:1] Disk","groupKey":"g1","receiver":"vigil","message":"disk",
"groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://grafana",
"alerts":[{"status":"firing","labels":{"alertname":"Disk","severity":"error"},"annotations":{"summary":"disk full"},"startsAt":"2026-11-26T11:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"abcdabcdabcdabcd","dashboardURL":"http://g/d","values":{"A":97.5}}]}`
	if code := f.call("POST", "/api/v1/integrations/grafana/gf-checkout", "", grafana, nil); code != 202 {
		t.Fatalf("grafana = %d", code)
	}
	generic := `{"summary":"queue backed up","severity":"error","dedup_key":"queue-1","status":"trigger"}`
	if code := f.call("POST", "/api/v1/integrations/generic/gen-checkout", "", generic, nil); code != 202 {
		t.Fatalf("generic = %d", code)
	}
	if code := f.call("POST", "/api/v1/heartbeat/hb-checkout", "", nil, nil); code != 202 {
		t.Fatalf("heartbeat = %d", code)
	}
	if code := f.call("POST", "/api/v1/heartbeat/am-checkout", "", nil, nil); code != 404 {
		t.Fatalf("heartbeat on a non-heartbeat key = %d", code)
	}
	change := fmt.Sprintf(`{"routing_key":%q,"payload":{"summary":"deploy v42","source":"ci","timestamp":"2026-11-26T11:50:00Z"},"links":[{"href":"http://ci/42"}]}`, pdKey)
	if code := f.call("POST", "/v2/change/enqueue", "", change, nil); code != 202 {
		t.Fatalf("change = %d", code)
	}
	eventually(t, "grafana and generic alerts", func() bool {
		return len(f.alerts("dedup_key=abcdabcdabcdabcd").Alerts) == 1 && len(f.alerts("dedup_key=queue-1").Alerts) == 1
	})
	var changes struct {
		Changes []struct {
			Summary string `json:"summary"`
			Service string `json:"service"`
		} `json:"changes"`
	}
	eventually(t, "the change event", func() bool {
		f.call("GET", "/api/v1/changes?service=checkout", adminSecret, nil, &changes)
		return len(changes.Changes) == 1 && changes.Changes[0].Summary == "deploy v42"
	})
}

func TestIncidentActionsAndPermissions(t *testing.T) {
	f := newFixture(t)
	f.pagingOrg()
	f.call("POST", "/v2/enqueue", "", fmt.Sprintf(`{"routing_key":%q,"event_action":"trigger","dedup_key":"p1","payload":{"summary":"pay fails","source":"x","severity":"error"}}`, pdKey), nil)
	var id int64
	eventually(t, "the incident", func() bool {
		a := f.alerts("dedup_key=p1").Alerts
		if len(a) == 1 {
			id = a[0].IncidentID
		}
		return id != 0
	})
	path := fmt.Sprintf("/api/v1/incidents/%d/", id)
	tests := []struct {
		who, verb string
		body      any
		want      int
	}{
		{viewerSecret, "acknowledge", nil, 403},
		{"user-token-of-olga", "acknowledge", nil, 403}, // another team's service
		{"user-token-of-alice", "notes", map[string]any{"message": "looking"}, 200},
		{"user-token-of-alice", "snooze", map[string]any{"duration": "soon"}, 400},
		{"user-token-of-alice", "acknowledge", nil, 200},
		{"user-token-of-gina", "reassign", map[string]any{"user": "nobody"}, 400},
		{"user-token-of-gina", "reassign", map[string]any{"user": "alice"}, 200}, // the global IRT acts anywhere
		{adminSecret, "resolve", map[string]any{"note": "fixed"}, 200},
		{adminSecret, "acknowledge", nil, 409}, // resolved
	}
	for _, tt := range tests {
		if code := f.call("POST", path+tt.verb, tt.who, tt.body, nil); code != tt.want {
			t.Errorf("%s by %s = %d, want %d", tt.verb, tt.who, code, tt.want)
		}
	}
	if code := f.call("POST", "/api/v1/incidents/999999/acknowledge", adminSecret, nil, nil); code != 404 {
		t.Errorf("unknown incident = %d", code)
	}
	var inc struct {
		Status   string `json:"status"`
		Timeline []struct {
			Kind, Actor, Channel, Message string
		} `json:"timeline"`
	}
	f.call("GET", fmt.Sprintf("/api/v1/incidents/%d", id), viewerSecret, nil, &inc)
	var kinds []string
	for _, e := range inc.Timeline {
		kinds = append(kinds, e.Kind+"/"+e.Actor)
	}
	got := strings.Join(kinds, ",")
	for _, want := range []string{"note/user:alice", "acknowledged/user:alice", "reassigned/user:gina", "resolved/token:admin"} {
		if !strings.Contains(got, want) {
			t.Errorf("timeline %s lacks %s", got, want)
		}
	}
	var list struct {
		Incidents []struct{ ID int64 } `json:"incidents"`
	}
	f.call("GET", "/api/v1/incidents", adminSecret, nil, &list)
	if len(list.Incidents) != 0 {
		t.Errorf("default incident list shows resolved ones: %+v", list.Incidents)
	}
	f.call("GET", "/api/v1/incidents?status=resolved&service=checkout", adminSecret, nil, &list)
	if len(list.Incidents) != 1 {
		t.Errorf("resolved incidents of checkout = %+v", list.Incidents)
	}
	if code := f.call("GET", "/api/v1/incidents?status=bogus", adminSecret, nil, nil); code != 400 {
		t.Errorf("bad status filter = %d", code)
	}
}

func TestMergeAndSplitThroughTheAPI(t *testing.T) {
	f := newFixture(t)
	f.pagingOrg()
	ids := map[string]int64{}
	for _, k := range []string{"m1", "m2"} {
		f.call("POST", "/v2/enqueue", "", fmt.Sprintf(`{"routing_key":%q,"event_action":"trigger","dedup_key":%q,"payload":{"summary":"x","source":"y","severity":"error"}}`, pdKey, k), nil)
		eventually(t, "alert "+k, func() bool {
			if a := f.alerts("dedup_key=" + k).Alerts; len(a) == 1 && a[0].IncidentID != 0 {
				ids[k] = a[0].IncidentID
				return true
			}
			return false
		})
	}
	base := fmt.Sprintf("/api/v1/incidents/%d/", ids["m1"])
	if code := f.call("POST", base+"merge", adminSecret, map[string]any{"incident": ids["m2"]}, nil); code != 200 {
		t.Fatalf("merge = %d", code)
	}
	alertID := f.alerts("dedup_key=m2").Alerts[0].ID
	tests := []struct {
		name string
		body any
		want int
	}{
		{"no alerts", map[string]any{"alerts": []int64{}}, 400},
		{"an alert of another incident", map[string]any{"alerts": []int64{999999}}, 400},
		{"unknown field", map[string]any{"alertz": []int64{alertID}}, 400},
		{"viewer", nil, 403},
	}
	for _, tt := range tests {
		tok := adminSecret
		body := tt.body
		if tt.name == "viewer" {
			tok, body = f.viewer, map[string]any{"alerts": []int64{alertID}}
		}
		if code := f.call("POST", base+"split", tok, body, nil); code != tt.want {
			t.Errorf("split with %s = %d, want %d", tt.name, code, tt.want)
		}
	}
	var created struct {
		ID       int64    `json:"id"`
		Services []string `json:"services"`
	}
	if code := f.call("POST", base+"split", adminSecret, map[string]any{"alerts": []int64{alertID}}, &created); code != 201 {
		t.Fatalf("split = %d, want 201", code)
	}
	if created.ID == 0 || created.ID == ids["m1"] || created.ID == ids["m2"] {
		t.Fatalf("split answered incident %d, want a new one", created.ID)
	}
	if got := f.alerts("dedup_key=m2").Alerts[0].IncidentID; got != created.ID {
		t.Fatalf("the split alert is in incident %d, want %d", got, created.ID)
	}
}

// Ingest bodies are read into reused buffers: events sent at the same time
// over many connections must each be stored as sent, none with another's
// bytes.
func TestConcurrentIngestKeepsEachBody(t *testing.T) {
	f := newFixture(t)
	f.pagingOrg()
	const senders, each = 8, 25
	var wg sync.WaitGroup
	failures := make(chan string, senders*each)
	for s := range senders {
		wg.Go(func() {
			for i := range each {
				key := fmt.Sprintf("sender-%d-event-%d", s, i)
				// Bodies of different lengths, so that a stale tail would show.
				body := fmt.Sprintf(`{"routing_key":%q,"event_action":"trigger","dedup_key":%q,"payload":{"summary":"summary of %s%s","source":"s","severity":"info"}}`,
					pdKey, key, key, strings.Repeat("!", (s*7+i)%13))
				if code := f.call("POST", "/v2/enqueue", "", body, nil); code != 202 {
					failures <- fmt.Sprintf("%s: %d", key, code)
				}
			}
		})
	}
	wg.Wait()
	close(failures)
	for msg := range failures {
		t.Error(msg)
	}
	eventually(t, "every alert", func() bool { return len(f.alerts("limit=500").Alerts) == senders*each })
	for _, a := range f.alerts("limit=500").Alerts {
		if want := "summary of " + a.DedupKey; strings.TrimRight(a.Summary, "!") != want {
			t.Errorf("alert %s has summary %q, want %q and its own tail", a.DedupKey, a.Summary, want)
		}
	}
}
