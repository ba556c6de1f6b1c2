package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/notify/webhook"
)

// pushOrg: alice, paged at once through a webhook at hook, runs checkout,
// whose SLO is pushed: 99.9% over 30 days.
func pushOrg(hook string) string {
	return fmt.Sprintf(`
users:
  - id: alice
    time_zone: Europe/Berlin
    contact_methods: [{id: alice-hook, type: webhook, url: "%s"}]
    notification_rules: [{contact_method: alice-hook, delay: 0m}]
  - {id: bob, time_zone: America/New_York}
teams:
  - {id: shop, kind: dev, time_zone: Europe/Berlin, members: [alice], escalation_policy: shop}
  - {id: irt, kind: global-irt, members: [bob]}
escalation_policies:
  - {id: shop, steps: [{targets: [{user: alice}], escalate_after: 10m}]}
services:
  - {id: checkout, owner: shop}
`, hook) + "---\n" + pushedSLO("checkout-availability", "checkout", "0.999")
}

// BenchmarkPushToPage measures what a push of SLI data takes to page
// someone: from the POST of an hour of failing requests to
// /api/v1/slos/{name}/events to the page's arrival at the person's
// webhook, through the SLO evaluation the push starts, the alert, the
// incident, the escalation and the notification outbox. Between pages
// (untimed) the clock moves on four days, past every burn-rate window,
// and a clean minute resolves the alert.
func BenchmarkPushToPage(b *testing.B) {
	pages := make(chan int64, 16)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p webhook.Payload
		if err := json.NewDecoder(r.Body).Decode(&p); err == nil && p.Kind == "page" {
			pages <- p.Incident.ID
		}
	}))
	defer hook.Close()
	f := startSLOServerOf(b, pushOrg(hook.URL))
	push := func(batch string, minutes int, bad float64) {
		body := map[string]any{"batch_id": batch, "events": minutesOf(f.clock.Now(), minutes, bad)}
		if code, answer := postJSON(b, f.http.URL+"/api/v1/slos/checkout-availability/events", adminSecret, body); code != http.StatusAccepted {
			b.Fatalf("push %s = %d %s", batch, code, answer)
		}
	}
	seen := map[int64]bool{}
	n := 0
	for b.Loop() {
		b.StopTimer()
		n++
		f.clock.Add(4 * duration.Day)
		push(fmt.Sprintf("clean-%d", n), 1, 0)
		b.StartTimer()
		// 5% of requests fail for an hour: a burn rate of 50 over 1h and
		// 5m, above page-1h's 14.4.
		push(fmt.Sprintf("burn-%d", n), 60, 50)
		for paged := false; !paged; {
			select {
			case id := <-pages:
				paged = !seen[id]
				seen[id] = true
			case <-time.After(30 * time.Second):
				b.Fatalf("no page within 30s of push %d", n)
			}
		}
	}
}
