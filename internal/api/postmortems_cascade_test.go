package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/ingest"
	"github.com/vigil-oncall/vigil/internal/slo/slotest"
	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/postgres/pgtest"
	"github.com/vigil-oncall/vigil/internal/vigiltest"
)

// cascadeOrg: checkout (team storefront, Berlin) needs payments (team
// payments, Berlin), which needs ledger (team data, New York), all
// through hard edges. Each team's policy pages its one member by webhook
// at once; gina is the global IRT in New York. checkout has the SLO of
// slotest.CheckoutAvailability.
const cascadeOrg = `
users:
  - {id: alice, time_zone: Europe/Berlin, contact_methods: [{id: alice-hook, type: webhook, url: "HOOK/alice"}]}
  - {id: pia, time_zone: Europe/Berlin, contact_methods: [{id: pia-hook, type: webhook, url: "HOOK/pia"}]}
  - {id: dora, time_zone: America/New_York, contact_methods: [{id: dora-hook, type: webhook, url: "HOOK/dora"}]}
  - {id: gina, time_zone: America/New_York, contact_methods: [{id: gina-hook, type: webhook, url: "HOOK/gina"}]}
teams:
  - {id: storefront, kind: dev, members: [alice], time_zone: Europe/Berlin, country: DE, escalation_policy: storefront}
  - {id: payments, kind: dev, members: [pia], time_zone: Europe/Berlin, country: DE, escalation_policy: payments}
  - {id: data, kind: dev, members: [dora], time_zone: America/New_York, country: US, escalation_policy: data}
  - {id: irt, kind: global-irt, members: [gina], time_zone: America/New_York, country: US, escalation_policy: irt}
escalation_policies:
  - {id: storefront, steps: [{targets: [{user: alice}], escalate_after: 30m}]}
  - {id: payments, steps: [{targets: [{user: pia}], escalate_after: 30m}]}
  - {id: data, steps: [{targets: [{user: dora}], escalate_after: 30m}]}
  - {id: irt, steps: [{targets: [{user: gina}], escalate_after: 30m}]}
services:
  - id: checkout
    owner: storefront
    revenue_critical: true
    depends_on: [{service: payments, kind: hard}]
    integrations: [{type: pagerduty, key: 11111111111111111111111111111111}]
  - id: payments
    owner: payments
    depends_on: [{service: ledger, kind: hard}]
    integrations: [{type: pagerduty, key: 22222222222222222222222222222222}]
  - id: ledger
    owner: data
    integrations: [{type: pagerduty, key: 33333333333333333333333333333333}]
`

// TestPostmortemOfACascade: a deploy of ledger at 00:50 UTC, and from
// 01:00 checkout, payments and ledger fail one after the other, at 02:00
// in Berlin and 20:00 in New York. Correlation makes one major incident
// of the three services of three teams; its draft names ledger and its
// deploy as the first suspect, the two people woken in Berlin (the two in
// New York were paged in their evening), and the 500% of checkout's error
// budget the half hour of failures consumed (300 bad of 60,000 events,
// 60 allowed at 99.9%).
func TestPostmortemOfACascade(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testPostmortemOfACascade(t, "") })
	t.Run("postgres", func(t *testing.T) { testPostmortemOfACascade(t, pgtest.Schema(t)) })
}

func testPostmortemOfACascade(t *testing.T, dsn string) {
	var mu sync.Mutex
	paged := map[string]int{}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paged[strings.TrimPrefix(r.URL.Path, "/")]++
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hook.Close)
	loaded := config.LoadBytes("cascade.yaml", []byte(strings.ReplaceAll(cascadeOrg, "HOOK", hook.URL)+"---\n"+slotest.CheckoutAvailability))
	if len(loaded.Problems) > 0 {
		t.Fatalf("config problems: %v", loaded.Problems)
	}
	f := startFixture(t, fixtureOptions{dsn: dsn, start: vigiltest.Instant(t, "2026-11-26T00:50:00Z"), bundle: &loaded.Bundle,
		users: []string{"gina"}, byHand: true, slo: true})
	ctx := context.Background()
	send := func(kind, key, service string, payload any) {
		t.Helper()
		body, _ := json.Marshal(payload)
		if err := f.store.AppendInbox(ctx, []store.InboxEvent{{ReceivedAt: f.clock.Now(), Kind: kind, IntegrationKey: key, Service: service, Payload: body}}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.pipe.Processor.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		f.settle()
	}
	send(store.InboxChange, "33333333333333333333333333333333", "ledger", ingest.ChangeEvent{Summary: "deploy ledger v2.3", Source: "ci"})
	for i, svc := range []struct{ id, key string }{
		{"checkout", "11111111111111111111111111111111"}, {"payments", "22222222222222222222222222222222"}, {"ledger", "33333333333333333333333333333333"},
	} {
		f.clock.Set(vigiltest.Instant(t, "2026-11-26T01:00:00Z").Add(time.Duration(i) * time.Minute))
		send(store.InboxAlert, svc.key, svc.id, ingest.Event{Action: ingest.ActionTrigger, DedupKey: svc.id, Summary: svc.id + " failing", Source: "prom", Severity: alert.SeverityCritical})
	}
	var list struct {
		Incidents []struct {
			ID       int64    `json:"id"`
			Major    bool     `json:"major"`
			Services []string `json:"services"`
		} `json:"incidents"`
	}
	f.call("GET", "/api/v1/incidents", f.viewer, nil, &list)
	if len(list.Incidents) != 1 || len(list.Incidents[0].Services) != 3 || !list.Incidents[0].Major {
		t.Fatalf("want one major incident of three services: %+v", list.Incidents)
	}
	id := list.Incidents[0].ID

	// Half an hour of failures on checkout, after half an hour without.
	f.clock.Set(vigiltest.Instant(t, "2026-11-26T01:30:00Z"))
	for i, batch := range []map[string]any{
		{"batch_id": "before", "events": minutesOf(vigiltest.Instant(t, "2026-11-26T01:00:00Z"), 30, 0)},
		{"batch_id": "during", "events": minutesOf(vigiltest.Instant(t, "2026-11-26T01:30:00Z"), 30, 10)},
	} {
		if code := f.call("POST", "/api/v1/slos/checkout-availability/events", adminSecret, batch, nil); code != 202 {
			t.Fatalf("push %d = %d", i, code)
		}
	}
	if code := f.call("POST", fmt.Sprintf("/api/v1/incidents/%d/resolve", id), tokenOf("gina"), nil, nil); code != 200 {
		t.Fatalf("resolve = %d", code)
	}

	var pm struct {
		Required        bool     `json:"required"`
		RequiredBecause []string `json:"required_because"`
		Summary         string   `json:"summary"`
		Impact          string   `json:"impact"`
		Suspects        string   `json:"suspects"`
		Timeline        string   `json:"timeline"`
		Facts           struct {
			Major    bool     `json:"major"`
			Teams    []string `json:"teams"`
			Pages    int      `json:"pages"`
			Woken    int      `json:"people_woken"`
			Services []struct {
				Service  string `json:"service"`
				Owner    string `json:"owner"`
				Critical bool   `json:"critical"`
			} `json:"services"`
			People []struct {
				User  string `json:"user"`
				Hours string `json:"hours"`
			} `json:"people_paged"`
			Budgets []struct {
				SLO   string  `json:"slo"`
				Share float64 `json:"budget_consumed"`
			} `json:"slo_budgets"`
			Suspects []struct {
				Service string `json:"service"`
				Changes []struct {
					Summary string `json:"summary"`
				} `json:"changes"`
			} `json:"suspects"`
		} `json:"facts"`
	}
	if code := f.call("POST", fmt.Sprintf("/api/v1/incidents/%d/postmortem", id), tokenOf("gina"), nil, &pm); code != 201 {
		t.Fatalf("draft = %d", code)
	}
	facts := pm.Facts
	if !facts.Major || strings.Join(facts.Teams, " ") != "storefront payments data" || len(facts.Services) != 3 {
		t.Errorf("major %v, teams %q, services %+v", facts.Major, facts.Teams, facts.Services)
	}
	if len(facts.Suspects) == 0 || facts.Suspects[0].Service != "ledger" || len(facts.Suspects[0].Changes) != 1 || facts.Suspects[0].Changes[0].Summary != "deploy ledger v2.3" {
		t.Errorf("suspects %+v, want ledger and its deploy first", facts.Suspects)
	}
	var people []string
	for _, p := range facts.People {
		people = append(people, p.User+":"+p.Hours)
	}
	mu.Lock()
	delivered := len(paged)
	mu.Unlock()
	if facts.Woken != 2 || strings.Join(people, " ") != "alice:sleep gina:off pia:sleep dora:off" || facts.Pages != 4 || delivered != 4 {
		t.Errorf("pages %d (%d people reached), woken %d, people %q; want 4 pages, alice and pia woken", facts.Pages, delivered, facts.Woken, people)
	}
	if len(facts.Budgets) != 1 || facts.Budgets[0].SLO != "checkout-availability" || facts.Budgets[0].Share != 5 {
		t.Errorf("budgets %+v, want checkout-availability at 5 (500%%)", facts.Budgets)
	}
	wantWhy := "severity SEV2; major incident; consumed 500% of SLO checkout-availability's error budget (more than 20%)"
	if !pm.Required || strings.Join(pm.RequiredBecause, "; ") != wantWhy {
		t.Errorf("required %v because %q, want %q", pm.Required, pm.RequiredBecause, wantWhy)
	}
	for _, needle := range []string{"1. **ledger**", "deploy ledger v2.3 (ci)"} {
		if !strings.Contains(pm.Suspects, needle) {
			t.Errorf("suspects section lacks %q:\n%s", needle, pm.Suspects)
		}
	}
	for _, needle := range []string{"4 pages sent to 4 people; 2 paged in their sleep hours.", "- alice: first paged 2026-11-26 01:00 UTC, 02:00 in Europe/Berlin (sleep hours)",
		"- SLO checkout-availability (checkout): 500% of the error budget consumed", "- ledger, owned by data: critical (checkout → payments → ledger)"} {
		if !strings.Contains(pm.Impact, needle) {
			t.Errorf("impact section lacks %q:\n%s", needle, pm.Impact)
		}
	}
	if !strings.Contains(pm.Timeline, "— change — ci: deploy ledger v2.3 on ledger") || strings.Contains(pm.Timeline, "— notified —") {
		t.Errorf("timeline:\n%s", pm.Timeline)
	}
}
