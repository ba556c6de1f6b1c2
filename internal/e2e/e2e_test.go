package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// pdKey is the test service's PagerDuty routing key (32 characters).
const pdKey = "e2e0e2e1e2e2e2e3e2e4e2e5e2e6e2e7"

// vigilConfig is one service with an Alertmanager and a PagerDuty
// integration, whose policy pages one user at once through a webhook.
func vigilConfig(webhookURL string) string {
	return `
users:
  - id: olivia
    name: Olivia On-Call
    time_zone: UTC
    contact_methods:
      - {id: olivia-hook, type: webhook, url: "` + webhookURL + `"}
    notification_rules:
      - {contact_method: olivia-hook, delay: 0m}
teams:
  - id: web
    name: Web
    kind: dev
    time_zone: UTC
    members: [olivia]
    escalation_policy: web-now
  - id: irt-global
    name: Global IRT
    kind: global-irt
    time_zone: UTC
    members: [olivia]
    escalation_policy: web-now
escalation_policies:
  - id: web-now
    steps:
      - targets: [{user: olivia}]
        escalate_after: 30m
services:
  - id: web-frontend
    name: Web Frontend
    owner: web
    escalation_policy: web-now
    integrations:
      - {type: alertmanager, key: am-web-frontend}
      - {type: pagerduty, key: "` + pdKey + `"}
`
}

// alertmanagerConfig routes every alert, grouped by alertname, to one
// receiver, with short waits so that the tests are quick.
func alertmanagerConfig(receiver string) string {
	return `
route:
  receiver: vigil
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: vigil
` + receiver
}

// startStack starts a page receiver, a vigil paging it and an Alertmanager
// whose receiver, given vigil's URL, receiver writes.
func startStack(t *testing.T, receiver func(vigilURL string) string) (*pageReceiver, *vigil, *alertmanager) {
	t.Helper()
	requireAlertmanager(t)
	rc := &pageReceiver{}
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	v := startVigil(t, vigilConfig(hook.URL+"/page"))
	return rc, v, startAlertmanager(t, alertmanagerConfig(receiver(v.url)))
}

// notifyLimit bounds each wait for Alertmanager and Vigil to act.
const notifyLimit = 30 * time.Second

func TestAlertmanagerWebhook(t *testing.T) {
	t.Parallel()
	rc, v, am := startStack(t, func(vigilURL string) string {
		return `
    webhook_configs:
      - url: "` + vigilURL + `/api/v1/integrations/alertmanager/am-web-frontend"
        send_resolved: true
`
	})

	firing := amAlert{
		Labels: map[string]string{"alertname": "E2EWebhookLatency", "service": "web-frontend",
			"severity": "critical", "instance": "web-1:9100"},
		Annotations:  map[string]string{"summary": "Web frontend p99 latency above 2s"},
		StartsAt:     time.Now().Add(-time.Minute).UTC().Truncate(time.Second),
		GeneratorURL: "http://prometheus.invalid/graph?g0.expr=latency",
	}
	am.post(t, firing)
	fingerprint := am.fingerprints(t)["E2EWebhookLatency"]
	if len(fingerprint) != 16 {
		t.Fatalf("Alertmanager fingerprint = %q, want 16 hex characters", fingerprint)
	}

	p := waitForPage(t, rc)
	checkPage(t, p, v, "Web frontend p99 latency above 2s", "SEV2")

	alerts := v.alerts(t)
	if len(alerts) != 1 {
		t.Fatalf("alerts = %+v, want one", alerts)
	}
	want := apiAlert{ID: alerts[0].ID, Service: "web-frontend", DedupKey: fingerprint, Summary: "Web frontend p99 latency above 2s",
		Severity: "critical", Status: "triggered", IncidentID: p.Incident.ID}
	if alerts[0] != want {
		t.Errorf("alert = %+v\nwant    %+v", alerts[0], want)
	}
	checkIncident(t, v, p.Incident.ID, "Web frontend p99 latency above 2s", "triggered")

	ended := time.Now().UTC()
	firing.EndsAt = &ended
	am.post(t, firing)
	waitForResolved(t, v)
	checkOnePage(t, rc)
}

func TestAlertmanagerPagerDuty(t *testing.T) {
	t.Parallel()
	rc, v, am := startStack(t, func(vigilURL string) string {
		return `
    pagerduty_configs:
      - routing_key: "` + pdKey + `"
        url: "` + vigilURL + `/v2/enqueue"
        send_resolved: true
`
	})

	firing := amAlert{
		Labels: map[string]string{"alertname": "E2EPagerDutyErrors", "service": "web-frontend",
			"severity": "critical", "instance": "web-1:9100"},
		Annotations: map[string]string{"summary": "Web frontend 5xx above 1%"},
		StartsAt:    time.Now().Add(-time.Minute).UTC().Truncate(time.Second),
	}
	am.post(t, firing)

	// Alertmanager's default PagerDuty description is its subject
	// template: status and count, the group label values, then the other
	// common label values sorted by label name (instance, service,
	// severity).
	const title = "[FIRING:1] E2EPagerDutyErrors (web-1:9100 web-frontend critical)"
	p := waitForPage(t, rc)
	// Alertmanager's pagerduty_config sends severity "error" unless told
	// otherwise, which Vigil files as SEV3 and pages for.
	checkPage(t, p, v, title, "SEV3")

	// Alertmanager's dedup key is the SHA-256 of the group key: the root
	// route's matchers ({}) and the group labels.
	sum := sha256.Sum256([]byte(`{}:{alertname="E2EPagerDutyErrors"}`))
	alerts := v.alerts(t)
	if len(alerts) != 1 {
		t.Fatalf("alerts = %+v, want one", alerts)
	}
	want := apiAlert{ID: alerts[0].ID, Service: "web-frontend", DedupKey: hex.EncodeToString(sum[:]), Summary: title,
		Severity: "error", Status: "triggered", IncidentID: p.Incident.ID}
	if alerts[0] != want {
		t.Errorf("alert = %+v\nwant    %+v", alerts[0], want)
	}
	checkIncident(t, v, p.Incident.ID, title, "triggered")

	ended := time.Now().UTC()
	firing.EndsAt = &ended
	am.post(t, firing)
	waitForResolved(t, v)
	checkOnePage(t, rc)
}

// waitForPage waits for the first page at the receiver.
func waitForPage(t *testing.T, rc *pageReceiver) page {
	t.Helper()
	var first page
	waitFor(t, notifyLimit, "a page at the webhook receiver", func() (bool, error) {
		pages, bad := rc.received()
		if len(bad) > 0 {
			return false, fmt.Errorf("malformed page: %s", bad[0])
		}
		if len(pages) == 0 {
			return false, nil
		}
		first = pages[0]
		return true, nil
	})
	return first
}

// checkPage checks a page's payload against the incident it names.
func checkPage(t *testing.T, p page, v *vigil, title, severity string) {
	t.Helper()
	if p.Version != 1 || p.Kind != "page" {
		t.Errorf("page version %d kind %q, want 1 and page", p.Version, p.Kind)
	}
	inc := p.Incident
	if inc.Title != title || inc.Service != "web-frontend" || inc.Severity != severity ||
		inc.Urgency != "high" || inc.Status != "triggered" {
		t.Errorf("paged incident = %+v, want title %q on web-frontend, %s, high urgency, triggered", inc, title, severity)
	}
	if want := fmt.Sprintf("%s/incidents/%d", v.url, inc.ID); inc.URL != want {
		t.Errorf("incident url = %q, want %q", inc.URL, want)
	}
	if prefix := fmt.Sprintf("vigil-%d-page-", inc.ID); !strings.HasPrefix(p.IdempotencyKey, prefix) {
		t.Errorf("idempotency key = %q, want it to start with %q", p.IdempotencyKey, prefix)
	}
	if h := p.header.Get("Idempotency-Key"); h != p.IdempotencyKey {
		t.Errorf("Idempotency-Key header = %q, body says %q", h, p.IdempotencyKey)
	}
	for name, link := range map[string]string{"acknowledge": p.Actions.Acknowledge, "resolve": p.Actions.Resolve} {
		if !strings.HasPrefix(link, v.url+"/a/") {
			t.Errorf("%s link = %q, want a signed link under %s/a/", name, link, v.url)
		}
	}
}

// checkIncident checks that Vigil holds exactly the one incident paged.
func checkIncident(t *testing.T, v *vigil, id int64, title, status string) {
	t.Helper()
	incs := v.incidents(t)
	if len(incs) != 1 {
		t.Fatalf("incidents = %+v, want one", incs)
	}
	got := incs[0]
	if got.ID != id || got.Title != title || got.Status != status || got.Service != "web-frontend" || got.Urgency != "high" {
		t.Errorf("incident = %d %q %s on %s (%s urgency), want %d %q %s on web-frontend (high)",
			got.ID, got.Title, got.Status, got.Service, got.Urgency, id, title, status)
	}
}

// waitForResolved waits until Alertmanager's resolve reached Vigil and
// closed the alert and its incident.
func waitForResolved(t *testing.T, v *vigil) {
	t.Helper()
	waitFor(t, notifyLimit, "the alert and incident to resolve", func() (bool, error) {
		alerts, incs := v.alerts(t), v.incidents(t)
		if len(alerts) != 1 || len(incs) != 1 {
			return false, fmt.Errorf("%d alerts and %d incidents, want one of each", len(alerts), len(incs))
		}
		return alerts[0].Status == "resolved" && incs[0].Status == "resolved", nil
	})
	inc := v.incidents(t)[0]
	resolvedBySource := false
	for _, e := range inc.Timeline {
		if e.Kind == "alert" && strings.Contains(e.Message, "resolved by its source") {
			resolvedBySource = true
		}
	}
	if !resolvedBySource {
		t.Errorf("timeline %+v has no entry for the source resolving the alert", inc.Timeline)
	}
}

// checkOnePage checks that the incident paged exactly once: Alertmanager's
// repeats and its resolve page nobody.
func checkOnePage(t *testing.T, rc *pageReceiver) {
	t.Helper()
	pages, bad := rc.received()
	if len(bad) > 0 {
		t.Errorf("malformed requests at the receiver: %q", bad)
	}
	n := 0
	for _, p := range pages {
		if p.Kind == "page" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d pages, want exactly 1: %+v", n, pages)
	}
}
