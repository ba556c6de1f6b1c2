package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserUnroutedEvents: an org-wide Alertmanager key routes by rules;
// the Events page lists what no rule routed and what a rule suppressed,
// with their labels and why.
func TestBrowserUnroutedEvents(t *testing.T) {
	s := newServer(t)
	org := shop()
	org["org"] = map[string]any{
		"integrations": []any{map[string]any{"type": "alertmanager", "key": "am-org"}, map[string]any{"type": "pagerduty", "key": "feedfacefeedfacefeedfacefeedface"}},
		"event_rules": []any{
			map[string]any{"match": map[string]any{"labels": map[string]any{"env": "staging"}}, "suppress": true},
			map[string]any{"match": map[string]any{"labels": map[string]any{"service": "*"}}, "service": "{{labels.service}}"},
		},
	}
	s.apply(org)
	body := `{"version":"4","groupKey":"g","status":"firing","alerts":[
 {"status":"firing","labels":{"alertname":"Orphan","instance":"db-9"},"annotations":{"summary":"orphan alert"},"fingerprint":"c000000000000001"},
 {"status":"firing","labels":{"alertname":"Noise","env":"staging","service":"search"},"annotations":{"summary":"staging noise"},"fingerprint":"c000000000000002"},
 {"status":"firing","labels":{"alertname":"Slow","service":"search"},"annotations":{"summary":"search slow"},"fingerprint":"c000000000000003"}]}`
	req, _ := http.NewRequest("POST", s.url+"/api/v1/integrations/alertmanager/am-org", strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("alertmanager: %v %v", resp, err)
	}
	resp.Body.Close()
	change := map[string]any{"routing_key": "feedfacefeedfacefeedfacefeedface", "payload": map[string]any{"summary": "staging deploy", "custom_details": map[string]any{"env": "staging"}}}
	if code := s.call("POST", "/v2/change/enqueue", "", change, nil); code != http.StatusAccepted {
		t.Fatalf("change = %d", code)
	}

	// The pipeline works apart from the request: wait for both lists.
	var unrouted, suppressed struct{ Events []any }
	for deadline := time.Now().Add(20 * time.Second); len(unrouted.Events) != 1 || len(suppressed.Events) != 2; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("unrouted %v, suppressed %v", unrouted, suppressed)
		}
		s.call("GET", "/api/v1/events/unrouted", adminSecret, nil, &unrouted)
		s.call("GET", "/api/v1/events/suppressed", adminSecret, nil, &suppressed)
	}

	b := newBrowser(t)
	b.emulateZone("UTC", "en_US")
	b.signInAsAdmin(s.url)
	b.do("the events page", chromedp.Navigate(s.url+"/events"), chromedp.WaitVisible(chromedp.CSS(`#suppressed tbody`)))
	if got := b.text("#unrouted h2"); got != "Unrouted (1)" {
		t.Errorf("unrouted heading %q", got)
	}
	if got := b.text("#unrouted tbody"); !strings.Contains(got, "orphan alert") || !strings.Contains(got, "alertname=Orphan") ||
		!strings.Contains(got, "instance=db-9") || !strings.Contains(got, "no rule of org.event_rules matched") || !strings.Contains(got, "unrouted") {
		t.Errorf("unrouted list: %q", got)
	}
	if got := b.text("#suppressed tbody"); !strings.Contains(got, "staging noise") || !strings.Contains(got, "env=staging") || !strings.Contains(got, "suppressed by org.event_rules[0]") ||
		!strings.Contains(got, "staging deploy") || !strings.Contains(got, "change") {
		t.Errorf("suppressed list: %q", got)
	}
	if cur := b.text(`header nav a[aria-current="page"]`); cur != "Events" {
		t.Errorf("navigation marks %q", cur)
	}
	var fits bool
	b.eval("width", fitsWidth, &fits)
	if !fits {
		t.Error("the events page scrolls sideways at 1280 pixels")
	}
	b.screenshot("events", 1280)

	// An unrouted event links to the built-in service, whose page says so.
	b.do("the unrouted service", chromedp.Navigate(s.url+"/services/unrouted"), chromedp.WaitVisible(chromedp.CSS(`#built-in`)))
	if got := b.text("#built-in"); !strings.Contains(got, "built in") || !strings.Contains(got, "global IRT") {
		t.Errorf("built-in note %q", got)
	}
}
