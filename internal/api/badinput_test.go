package api

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestEveryRouteChecksTheCaller walks the route table: a route that is not
// public answers 401 without a token and with an unknown one, and an admin
// route answers 403 to a viewer, before the handler reads anything.
func TestEveryRouteChecksTheCaller(t *testing.T) {
	f := newFixture(t)
	// Every refused token counts as a failure: the walk would be throttled
	// long before its end.
	f.srv.authFailures = newLimiter(1e6, 0, f.srv.now)
	fill := strings.NewReplacer("{id}", "x", "{mid}", "1", "{oid}", "x", "{cm}", "x", "{key}", "x", "{token}", "x")
	for _, rt := range f.srv.routes() {
		if rt.access == public {
			continue
		}
		path := fill.Replace(rt.pattern)
		for _, token := range []string{"", "not-a-token"} {
			if code := f.call(rt.method, path, token, "{}", nil); code != http.StatusUnauthorized {
				t.Errorf("%s %s with token %q = %d, want 401", rt.method, path, token, code)
			}
		}
		if rt.access == admin {
			if code := f.call(rt.method, path, f.viewer, "{}", nil); code != http.StatusForbidden {
				t.Errorf("%s %s by a viewer = %d, want 403", rt.method, path, code)
			}
		}
	}
}

// TestMalformedParametersAreRefused sends each endpoint's query, path and
// body parameters in bad forms: malformed, of the wrong type, oversized.
func TestMalformedParametersAreRefused(t *testing.T) {
	f := newFixture(t)
	f.pagingOrg()
	id := f.declareAsAdmin("checkout")
	cursor := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	incident := fmt.Sprintf("/api/v1/incidents/%d", id)
	huge := `{"title":"` + strings.Repeat("x", maxBody) + `"}`
	tests := []struct {
		method, path string
		body         any
		want         int
	}{
		// The lists paged by id.
		{"GET", "/api/v1/incidents?limit=0", nil, 400},
		{"GET", "/api/v1/incidents?limit=ten", nil, 400},
		{"GET", "/api/v1/incidents?cursor=!!!", nil, 400},
		{"GET", "/api/v1/incidents?cursor=" + cursor("abc"), nil, 400},
		{"GET", "/api/v1/incidents?cursor=" + cursor("0"), nil, 400},
		{"GET", "/api/v1/alerts?status=bogus", nil, 400},
		{"GET", "/api/v1/alerts?cursor=" + cursor("-5"), nil, 400},
		{"GET", "/api/v1/changes?cursor=" + cursor("abc"), nil, 400},
		{"GET", "/api/v1/changes?limit=-1", nil, 400},
		{"GET", "/api/v1/gate/overrides?cursor=" + cursor("abc"), nil, 400},
		{"GET", "/api/v1/audit?cursor=" + cursor("abc"), nil, 400},
		{"GET", "/api/v1/audit?cursor=" + cursor("0"), nil, 400},
		{"GET", "/api/v1/audit?limit=0", nil, 400},
		{"GET", "/api/v1/audit?kind=%00", nil, 400},
		{"GET", "/api/v1/audit?object_id=%ff", nil, 400},
		// The lists paged otherwise.
		{"GET", "/api/v1/tokens?limit=x", nil, 400},
		{"GET", "/api/v1/slos?limit=x", nil, 400},
		{"GET", "/api/v1/schedules/x/overrides?cursor=" + cursor("-1"), nil, 400},
		{"GET", "/api/v1/schedules/x/overrides?cursor=" + cursor("one"), nil, 400},
		// Times.
		{"GET", "/api/v1/services/checkout/responders?at=tomorrow", nil, 400},
		{"GET", "/api/v1/services/checkout/responders?at=" + strings.Repeat("9", 5000), nil, 400},
		{"GET", "/api/v1/gate?service=checkout&at=2026-11-26", nil, 400},
		// Ids in the path.
		{"GET", "/api/v1/incidents/abc", nil, 404},
		{"GET", "/api/v1/incidents/-1", nil, 404},
		{"GET", "/api/v1/incidents/99999999999999999999", nil, 404},
		{"GET", "/api/v1/alerts/abc", nil, 404},
		{"GET", "/api/v1/incidents/abc/alerts", nil, 404},
		{"POST", "/api/v1/incidents/abc/acknowledge", nil, 404},
		{"DELETE", "/api/v1/services/checkout/maintenance/abc", nil, 404},
		{"GET", "/api/v1/services/nope/responders", nil, 404},
		// Bodies.
		{"POST", "/api/v1/incidents", `{"title":`, 400},
		{"POST", "/api/v1/incidents", `{"title":5,"service":"checkout"}`, 400},
		{"POST", "/api/v1/incidents", `{"title":"x","service":"checkout","colour":"red"}`, 400},
		{"POST", "/api/v1/incidents", `{"title":"x","service":"checkout"} {}`, 400},
		{"POST", "/api/v1/incidents", huge, 413},
		{"POST", incident + "/notes", `{"message":`, 400},
		{"POST", incident + "/notes", `{"message":["a"]}`, 400},
		{"POST", incident + "/notes", huge, 413},
		{"POST", incident + "/split", `{"alerts":"all"}`, 400},
		{"POST", incident + "/merge", `{"incident":"one"}`, 400},
		{"POST", "/api/v1/services/checkout/maintenance", `{"start":"tomorrow"}`, 400},
		{"POST", "/api/v1/services/checkout/maintenance", `{"start":"2026-11-27T00:00:00Z","end":"2026-11-26T00:00:00Z"}`, 400},
		{"POST", "/api/v1/services/checkout/maintenance", huge, 413},
		{"POST", "/api/v1/gate/overrides", `{"service":"checkout","reason":"x","expires_in":5}`, 400},
		{"POST", "/api/v1/tokens", `{"name":"ci","role":"viewer","scopes":[]}`, 400},
		{"PUT", "/api/v1/org", `"org"`, 400},
		{"POST", "/api/v1/config/apply", huge, 413},
	}
	for _, tt := range tests {
		if code := f.call(tt.method, tt.path, adminSecret, tt.body, nil); code != tt.want {
			t.Errorf("%s %.120s = %d, want %d", tt.method, tt.path, code, tt.want)
		}
	}
}

// TestInboundBodiesAreBounded posts bodies over maxInboundBody to the
// providers' endpoints, which are refused before any credential is
// checked, and malformed ones where no credential is needed to read them.
func TestInboundBodiesAreBounded(t *testing.T) {
	f := newFixture(t)
	huge := "Body=" + strings.Repeat("a", maxInboundBody)
	for _, path := range []string{
		"/api/v1/twilio/sms", "/api/v1/twilio/voice", "/api/v1/twilio/status",
		"/api/v1/integrations/slack/actions", "/api/v1/integrations/mattermost/actions",
	} {
		if code := f.call("POST", path, "", huge, nil); code != http.StatusRequestEntityTooLarge {
			t.Errorf("POST %s with %d bytes = %d, want 413", path, len(huge), code)
		}
	}
	for _, body := range []string{"", "{", `{"context":"x"}`, `[1,2]`} {
		if code := f.call("POST", "/api/v1/integrations/mattermost/actions", "", body, nil); code != http.StatusBadRequest {
			t.Errorf("mattermost action %q = %d, want 400", body, code)
		}
	}
}

// TestIngestRefusesBadForms covers the change events and webhooks the way
// TestPagerDutyEvents covers /v2/enqueue: malformed, unknown keys,
// oversized, too fast.
func TestIngestRefusesBadForms(t *testing.T) {
	f := newFixture(t)
	f.pagingOrg()
	const slowKey = "ffffeeeeddddccccbbbbaaaa00002222" // rate_limit 1: a burst of 2
	change := func(key string) string {
		return fmt.Sprintf(`{"routing_key":%q,"payload":{"summary":"deploy","source":"ci","timestamp":"2026-11-26T11:50:00Z"}}`, key)
	}
	changes := []struct {
		name, body string
		want       int
	}{
		{"not json", `{"routing_key":`, 400},
		{"no routing key", `{"payload":{"summary":"deploy","source":"ci"}}`, 400},
		{"unknown routing key", change("00000000000000000000000000000000"), 400},
		{"summary of the wrong type", fmt.Sprintf(`{"routing_key":%q,"payload":{"summary":5,"source":"ci"}}`, pdKey), 400},
		{"too large", fmt.Sprintf(`{"routing_key":%q,"payload":{"summary":"x","source":"ci","custom_details":{"x":%q}}}`, pdKey, strings.Repeat("a", 600<<10)), 413},
		{"first of the burst", change(slowKey), 202},
		{"second of the burst", change(slowKey), 202},
		{"too fast", change(slowKey), 429},
	}
	for _, tt := range changes {
		var ans pdAnswer
		if code := f.call("POST", "/v2/change/enqueue", "", tt.body, &ans); code != tt.want {
			t.Errorf("change event, %s: %d, want %d", tt.name, code, tt.want)
		} else if code >= 400 && ans.Status == "" {
			t.Errorf("change event, %s: answer %+v is not PagerDuty's", tt.name, ans)
		}
	}
	webhooks := []struct {
		name, path, body string
		want             int
	}{
		{"grafana, not json", "/api/v1/integrations/grafana/gf-checkout", `{"alerts":`, 400},
		{"grafana, alerts of the wrong type", "/api/v1/integrations/grafana/gf-checkout", `{"alerts":"many"}`, 400},
		{"generic, not json", "/api/v1/integrations/generic/gen-checkout", `[`, 400},
		{"generic, too large", "/api/v1/integrations/generic/gen-checkout", `{"summary":"` + strings.Repeat("a", 520<<10) + `"}`, 413},
		{"generic key on grafana", "/api/v1/integrations/grafana/gen-checkout", `{}`, 404},
		{"heartbeat, too large", "/api/v1/heartbeat/hb-checkout", strings.Repeat("a", 520<<10), 413},
	}
	for _, tt := range webhooks {
		if code := f.call("POST", tt.path, "", tt.body, nil); code != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, code, tt.want)
		}
	}
}

// TestTextRuleAtTheEdge sends NUL characters and invalid UTF-8 in query
// parameters and in JSON string fields of several endpoints: each is
// refused with 400 naming the field, nothing is stored and nothing is
// logged as an error, on both backends.
func TestTextRuleAtTheEdge(t *testing.T) {
	onBothBackends(t, func(t *testing.T, f *fixture) {
		f.pagingOrg()
		id := f.declareAsAdmin("checkout")
		incident := fmt.Sprintf("/api/v1/incidents/%d", id)
		before := f.auditActions("limit=1000")
		tests := []struct {
			method, path string
			body         string
			field        string
		}{
			{"GET", "/api/v1/alerts?dedup_key=a%00b", "", "dedup_key"},
			{"GET", "/api/v1/alerts?service=dur%00", "", "service"},
			{"GET", "/api/v1/alerts?dedup_key=%ff%fe", "", "dedup_key"},
			{"GET", "/api/v1/incidents?service=%00", "", "service"},
			{"GET", "/api/v1/changes?service=%c3%28", "", "service"},
			{"GET", "/api/v1/gate/overrides?service=x%00", "", "service"},
			{"GET", "/api/v1/oncall?team=%ff", "", "team"},
			{"POST", incident + "/notes", `{"message":"a\u0000b"}`, "message"},
			{"POST", incident + "/notes", "{\"message\":\"a\xffb\"}", "message"},
			{"POST", incident + "/resolve", `{"note":"\u0000"}`, "note"},
			{"POST", "/api/v1/services/checkout/maintenance", `{"start":"2026-11-27T00:00:00Z","end":"2026-11-28T00:00:00Z","reason":"db\u0000"}`, "reason"},
			{"POST", "/api/v1/gate/overrides", `{"service":"checkout","reason":"hotfix\u0000","expires_in":"1h"}`, "reason"},
			{"POST", "/api/v1/tokens", `{"name":"ci\u0000","role":"viewer"}`, "name"},
			{"POST", "/api/v1/incidents", `{"title":"down\u0000","service":"checkout"}`, "title"},
			{"POST", "/api/v1/users", `{"id":"nul","name":"N\u0000L","time_zone":"UTC"}`, "name"},
			{"POST", "/api/v1/config/apply", `{"users":[{"id":"nul","name":"\u0000","time_zone":"UTC"}]}`, "users[0].name"},
			{"POST", "/api/v1/login", `{"user":"ali\u0000ce","password":"x"}`, "user"},
		}
		for _, tt := range tests {
			var e errorBody
			if code := f.call(tt.method, tt.path, adminSecret, tt.body, &e); code != 400 {
				t.Errorf("%s %s = %d, want 400", tt.method, tt.path, code)
				continue
			}
			if e.Code != "bad_request" || !strings.Contains(e.Message, tt.field) {
				t.Errorf("%s %s: %s %q, want bad_request naming %s", tt.method, tt.path, e.Code, e.Message, tt.field)
			}
		}
		if after := f.auditActions("limit=1000"); len(after) != len(before) {
			t.Errorf("refused requests wrote %d audit entries", len(after)-len(before))
		}
		var incs struct {
			Incidents []struct{ Title string } `json:"incidents"`
		}
		f.call("GET", "/api/v1/incidents", adminSecret, nil, &incs)
		if len(incs.Incidents) != 1 {
			t.Errorf("%d open incidents, want only the one declared", len(incs.Incidents))
		}
		if errs := f.logs.errors(); len(errs) > 0 {
			t.Errorf("bad text was logged as an error:\n%s", strings.Join(errs, "\n"))
		}
	})
}

// TestTextRuleOnProviderCallbacks: what providers post follows the same
// rule, before any credential is checked: a form field, a JSON document
// and a JSON document inside a form field with a NUL or invalid UTF-8 are
// refused with 400 naming where.
func TestTextRuleOnProviderCallbacks(t *testing.T) {
	f := newFixture(t)
	const form = "application/x-www-form-urlencoded"
	tests := []struct {
		path, contentType, body, names string
	}{
		{"/api/v1/twilio/sms", form, "From=%2B4915100000001&Body=ack%00", `form field "Body"`},
		{"/api/v1/twilio/status", form, "MessageStatus=%ff", `form field "MessageStatus"`},
		{"/api/v1/integrations/slack/actions", form, "payload=" + url.QueryEscape(`{"user":{"name":"eve\u0000"}}`), "form field payload: user.name"},
		{"/api/v1/integrations/mattermost/actions", "application/json", `{"user_name":"eve\u0000","context":{}}`, "user_name"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest("POST", f.http.URL+tt.path, strings.NewReader(tt.body))
		req.Header.Set("Content-Type", tt.contentType)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e errorBody
		_ = json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(e.Message, tt.names) {
			t.Errorf("POST %s %q = %d %q, want 400 naming %s", tt.path, tt.body, resp.StatusCode, e.Message, tt.names)
		}
	}
	if errs := f.logs.errors(); len(errs) > 0 {
		t.Errorf("bad text was logged as an error:\n%s", strings.Join(errs, "\n"))
	}
}
