package web

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/vigil-oncall/vigil/internal/opsrun/opstest"
)

// platformToken is the platform's credential, in the server's environment.
const platformToken = "web-platform-token-0123456789"

// TestBrowserDrainFromTheIncidentPage: a responder drains checkout from
// its incident's page, confirming the exact request first; the platform
// stand-in receives exactly that request, and the timeline, the runs list
// and the audit log show the run.
func TestBrowserDrainFromTheIncidentPage(t *testing.T) {
	s := newServer(t)
	s.applyShop()
	platform := opstest.StartPlatform(t)
	org := shop()
	org["operations"] = []any{
		map[string]any{"id": "drain", "description": "Drain traffic away from one region", "confirm": true, "timeout": "10s",
			"params": []any{map[string]any{"name": "region", "required": true, "pattern": "^[a-z]+-[0-9]+$"}},
			"driver": map[string]any{"http": map[string]any{"method": "POST", "url": platform.URL() + "/v1/services/{{service}}/drain",
				"headers": map[string]any{"Authorization": "Bearer {{env.PLATFORM_TOKEN}}"},
				"body":    `{"region": "{{param.region}}", "incident": "{{incident}}", "requested_by": "{{actor}}"}`}}},
		map[string]any{"id": "restart", "driver": map[string]any{"http": map[string]any{"url": platform.URL() + "/v1/services/{{service}}/restart"}}},
	}
	org["services"].([]any)[0].(map[string]any)["operation_params"] = map[string]any{"drain": map[string]any{"region": "eu-1"}}
	s.apply(org)
	inc := s.trigger("Checkout in eu-1 failing")
	id := strconv.FormatInt(inc.ID, 10)

	b := newBrowser(t)
	b.do("sign in as alice",
		chromedp.Navigate(s.url+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=user]`), "alice"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), alicePassword),
		chromedp.Click(chromedp.CSS(`form[aria-labelledby=pw-title] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-incident="`+id+`"]`)))
	drain := `div.operation[data-operation=drain][data-service=checkout]`
	b.do("open the incident", chromedp.Navigate(s.url+"/incidents/"+id), chromedp.WaitReady(chromedp.CSS(drain)))
	var verbs []string
	b.eval("the verbs offered", `[...document.querySelectorAll('section[aria-labelledby=operations-title] div.operation')].map((d) => d.querySelector('button.verb').textContent)`, &verbs)
	if len(verbs) != 2 || !strings.HasPrefix(verbs[0], "drain checkout") || !strings.HasPrefix(verbs[1], "restart checkout") {
		t.Errorf("verbs offered = %q", verbs)
	}
	var region string
	b.do("open drain", chromedp.Click(chromedp.CSS(drain+` button.verb`)), chromedp.WaitVisible(chromedp.CSS(drain+` input[name=region]`)))
	b.eval("region", `document.querySelector('`+drain+` input[name=region]').value`, &region)
	if region != "eu-1" {
		t.Errorf("the region field holds %q, want the service's eu-1", region)
	}
	b.do("review", chromedp.Click(chromedp.CSS(drain+` button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(drain+` pre.run-request`)))
	shown := b.text(drain + ` pre.run-request`)
	wantBody := fmt.Sprintf(`{"region": "eu-1", "incident": "%s", "requested_by": "user:alice"}`, id)
	wantShown := "POST " + platform.URL() + "/v1/services/checkout/drain\nAuthorization: Bearer ***\nContent-Type: application/json\n\n" + wantBody
	if strings.TrimSpace(shown) != wantShown {
		t.Errorf("the confirmation shows\n%s\nwant\n%s", shown, wantShown)
	}
	if n := len(platform.Requests()); n != 0 {
		t.Fatalf("the review sent %d requests", n)
	}
	b.do("confirm",
		chromedp.Click(chromedp.CSS(`button[data-confirm=drain]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[@role="status" and contains(., "drain on checkout: succeeded.")]`)))
	b.waitFor("the run in the runs list", `!!document.querySelector('section[aria-labelledby=operations-title] tr[data-status=succeeded]')`)
	b.waitFor("the run on the timeline", `document.querySelectorAll('table.timeline tr[data-kind=operation]').length === 2`)
	b.screenshot("incident-operations", 1280)

	got := platform.Requests()
	if len(got) != 1 {
		t.Fatalf("the platform received %d requests, want 1", len(got))
	}
	r := got[0]
	if r.Method != "POST" || r.Path != "/v1/services/checkout/drain" || r.RawQuery != "" || r.Body != wantBody ||
		r.Header.Get("Authorization") != "Bearer "+platformToken || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("the platform received %+v, want exactly the request shown", r)
	}

	var runs struct {
		Runs []struct {
			ID      int64  `json:"id"`
			Status  string `json:"status"`
			Actor   string `json:"actor"`
			Channel string `json:"channel"`
			Request string `json:"request"`
		} `json:"runs"`
	}
	if code := s.call("GET", "/api/v1/operations/runs?incident="+id, adminSecret, nil, &runs); code != 200 || len(runs.Runs) != 1 {
		t.Fatalf("runs = %d, %+v", code, runs.Runs)
	}
	run := runs.Runs[0]
	if run.Status != "succeeded" || run.Actor != "user:alice" || run.Channel != "web" || strings.TrimSpace(run.Request) != wantShown {
		t.Errorf("run = %+v", run)
	}
	timeline := s.incident(inc.ID).Timeline
	var kinds []string
	for _, e := range timeline {
		if e.Kind == "operation" {
			kinds = append(kinds, e.Actor+"/"+e.Channel)
		}
	}
	if strings.Join(kinds, ",") != "user:alice/web,user:alice/web" {
		t.Errorf("operation entries on the timeline: %v", kinds)
	}
	var audit struct {
		Entries []struct {
			Action string `json:"action"`
			ObjID  string `json:"object_id"`
		} `json:"audit_entries"`
	}
	if code := s.call("GET", "/api/v1/audit?actor="+url.QueryEscape("user:alice")+"&kind=operation_run", adminSecret, nil, &audit); code != 200 {
		t.Fatalf("audit = %d", code)
	}
	var actions []string
	for _, e := range audit.Entries {
		actions = append(actions, e.Action+" "+e.ObjID)
	}
	if want := fmt.Sprintf("operation.succeeded %d,operation.run %d", run.ID, run.ID); strings.Join(actions, ",") != want {
		t.Errorf("audit = %v, want %s", actions, want)
	}
}
