package api

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

const orgPDKey = "0123456789abcdef0123456789abcdef"

// routedOrg is shop() with config.md's org-wide integrations and rules,
// and no unrouted_service: the global IRT (gina) takes what no rule routes.
func routedOrg() map[string]any {
	b := shop()
	b["escalation_policies"] = []any{map[string]any{"id": "irt-pol", "steps": []any{
		map[string]any{"targets": []any{map[string]any{"user": "gina"}}, "escalate_after": "10m"}}}}
	b["teams"].([]any)[1].(map[string]any)["escalation_policy"] = "irt-pol"
	b["org"] = map[string]any{
		"integrations": []any{
			map[string]any{"type": "alertmanager", "key": "am-org"},
			map[string]any{"type": "pagerduty", "key": orgPDKey},
			map[string]any{"type": "generic", "key": "gen-org"},
		},
		"event_rules": []any{
			map[string]any{"match": map[string]any{"labels": map[string]any{"env": "staging"}}, "suppress": true},
			map[string]any{"match": map[string]any{"labels": map[string]any{"team": "payments"}, "labels_re": map[string]any{"alertname": "^Ledger"}}, "service": "ledger"},
			map[string]any{"match": map[string]any{"labels": map[string]any{"service": "*"}}, "service": "{{labels.service}}", "severity": "{{labels.severity}}"},
		},
	}
	return b
}

// amAlert is one firing Alertmanager alert with these labels.
func amAlert(fingerprint, status, labels string) string {
	return fmt.Sprintf(`{"status":%q,"labels":{%s},"annotations":{},"startsAt":"2026-11-26T11:58:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":%q}`, status, labels, fingerprint)
}

func amGroup(alerts ...string) string {
	return `{"version":"4","groupKey":"{}:{}","status":"firing","receiver":"vigil","groupLabels":{},"commonLabels":{},"alerts":[` + strings.Join(alerts, ",") + `]}`
}

type ruledList struct {
	Events     []ruledEvent `json:"events"`
	NextCursor *string      `json:"next_cursor"`
}

func TestOrgIntegrationRoutesByRules(t *testing.T) {
	f := newFixture(t)
	f.apply(routedOrg())
	body := amGroup(
		amAlert("a000000000000001", "firing", `"alertname":"LedgerLag","team":"payments","service":"checkout"`),
		amAlert("a000000000000002", "firing", `"alertname":"Latency","service":"payments","severity":"page"`),
		amAlert("a000000000000003", "firing", `"alertname":"Latency","service":"payments","env":"staging"`),
		amAlert("a000000000000004", "firing", `"alertname":"Disk","service":"nosuch"`),
		amAlert("a000000000000005", "firing", `"alertname":"Orphan"`),
	)
	if code := f.call("POST", "/api/v1/integrations/alertmanager/am-org", "", body, nil); code != 202 {
		t.Fatalf("alertmanager = %d", code)
	}
	pd := map[string]any{"routing_key": orgPDKey, "event_action": "trigger", "dedup_key": "pd-1",
		"payload": map[string]any{"summary": "fraud scores late", "source": "fraud-1", "severity": "warning",
			"custom_details": map[string]any{"service": "fraud", "severity": "critical", "shard": 7}}}
	if code := f.call("POST", "/v2/enqueue", "", pd, nil); code != 202 {
		t.Fatalf("pagerduty = %d", code)
	}
	gen := map[string]any{"summary": "checkout errors", "severity": "error", "dedup_key": "gen-1", "component": "web", "details": map[string]any{"service": "checkout"}}
	if code := f.call("POST", "/api/v1/integrations/generic/gen-org", "", gen, nil); code != 202 {
		t.Fatalf("generic = %d", code)
	}
	eventually(t, "six alerts", func() bool { return len(f.alerts("").Alerts) == 6 })

	for _, c := range []struct{ service, dedup, severity string }{
		{"ledger", "a000000000000001", "error"},
		{"payments", "a000000000000002", "critical"},
		{"fraud", "pd-1", "critical"}, // rewritten from the custom detail
		{"checkout", "gen-1", "error"},
		{"unrouted", "a000000000000004", "error"},
		{"unrouted", "a000000000000005", "error"},
	} {
		got := f.alerts("service=" + c.service + "&dedup_key=" + c.dedup).Alerts
		if len(got) != 1 || got[0].Severity != c.severity {
			t.Errorf("alert %s on %s: %+v, want one of severity %s", c.dedup, c.service, got, c.severity)
		}
	}
	if got := f.alerts("dedup_key=a000000000000003").Alerts; len(got) != 0 {
		t.Errorf("a suppressed event opened alerts: %+v", got)
	}

	// The global IRT is paged for what no rule routed.
	var incidents struct {
		Incidents []struct {
			ID       int64    `json:"id"`
			Services []string `json:"services"`
			Policy   string   `json:"escalation_policy"`
		} `json:"incidents"`
	}
	f.call("GET", "/api/v1/incidents?service=unrouted", adminSecret, nil, &incidents)
	if len(incidents.Incidents) != 2 {
		t.Fatalf("incidents on unrouted: %+v", incidents)
	}
	for _, inc := range incidents.Incidents {
		if inc.Policy != "irt-pol" {
			t.Errorf("incident %d pages policy %q, want the global IRT's irt-pol", inc.ID, inc.Policy)
		}
	}

	// Incidents link to the built-in service, which answers like the others.
	var svc struct {
		ID      string `json:"id"`
		Owner   string `json:"owner"`
		BuiltIn string `json:"built_in"`
	}
	if code := f.call("GET", "/api/v1/services/unrouted", f.viewer, nil, &svc); code != 200 || svc.Owner != "irt" || !strings.HasPrefix(svc.BuiltIn, "built in: ") {
		t.Errorf("GET /api/v1/services/unrouted = %d, %+v", code, svc)
	}
	var ledger map[string]any
	if code := f.call("GET", "/api/v1/services/ledger", f.viewer, nil, &ledger); code != 200 || ledger["built_in"] != nil {
		t.Errorf("GET /api/v1/services/ledger = %d, %+v", code, ledger)
	}

	var unrouted, suppressed ruledList
	eventually(t, "the lists", func() bool {
		f.call("GET", "/api/v1/events/unrouted", f.viewer, nil, &unrouted)
		f.call("GET", "/api/v1/events/suppressed", f.viewer, nil, &suppressed)
		return len(unrouted.Events) == 2 && len(suppressed.Events) == 1
	})
	if e := unrouted.Events[0]; e.Event.DedupKey != "a000000000000005" || e.Reason != "no rule of org.event_rules matched" || e.Service != "unrouted" || e.Labels["alertname"] != "Orphan" || e.Integration != "alertmanager" || e.Rule != nil {
		t.Errorf("newest unrouted event: %+v", e)
	}
	if e := unrouted.Events[1]; e.Event.DedupKey != "a000000000000004" || e.Reason != `org.event_rules[2] names service "nosuch", which does not exist` || e.Rule == nil || *e.Rule != 2 {
		t.Errorf("unrouted event of an unknown service: %+v", e)
	}
	if e := suppressed.Events[0]; e.Event.DedupKey != "a000000000000003" || e.Outcome != "suppressed" || e.Rule == nil || *e.Rule != 0 || e.Labels["env"] != "staging" {
		t.Errorf("suppressed event: %+v", e)
	}
	var page ruledList
	f.call("GET", "/api/v1/events/unrouted?limit=1", adminSecret, nil, &page)
	if len(page.Events) != 1 || page.NextCursor == nil {
		t.Fatalf("first page: %+v", page)
	}
	f.call("GET", "/api/v1/events/unrouted?limit=1&cursor="+*page.NextCursor, adminSecret, nil, &page)
	if len(page.Events) != 1 || page.Events[0].Event.DedupKey != "a000000000000004" || page.NextCursor != nil {
		t.Errorf("second page: %+v", page)
	}

	// Resolutions and acknowledgements find their alert, wherever it went.
	f.call("POST", "/api/v1/integrations/alertmanager/am-org", "", amGroup(amAlert("a000000000000001", "resolved", `"alertname":"LedgerLag","team":"payments"`)), nil)
	f.call("POST", "/v2/enqueue", "", map[string]any{"routing_key": orgPDKey, "event_action": "acknowledge", "dedup_key": "pd-1"}, nil)
	eventually(t, "the resolve and the acknowledgement", func() bool {
		l, p := f.alerts("dedup_key=a000000000000001").Alerts, f.alerts("dedup_key=pd-1").Alerts
		return len(l) == 1 && l[0].Status == "resolved" && len(p) == 1 && p[0].Status == "acknowledged"
	})

	metrics := f.metricsText()
	for _, want := range []string{
		`vigil_org_events_total{outcome="routed"} 6`, // four triggers, a resolve, an acknowledgement
		`vigil_org_events_total{outcome="suppressed"} 1`,
		`vigil_org_events_total{outcome="unrouted"} 2`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	for _, c := range []struct {
		method, path, token string
		body                any
		want                int
	}{
		{"GET", "/api/v1/events/unrouted", "", nil, 401},
		{"GET", "/api/v1/events/suppressed", "wrong", nil, 401},
		{"GET", "/api/v1/events/unrouted?limit=0", adminSecret, nil, 400},
		{"GET", "/api/v1/events/unrouted?cursor=zz", adminSecret, nil, 400},
		{"POST", "/api/v1/integrations/grafana/am-org", "", body, 404},
		{"POST", "/api/v1/heartbeat/am-org", "", nil, 404},
		{"POST", "/api/v1/integrations/alertmanager/am-org", "", `{"alerts":{}}`, 400},
	} {
		if got := f.call(c.method, c.path, c.token, c.body, nil); got != c.want {
			t.Errorf("%s %s = %d, want %d", c.method, c.path, got, c.want)
		}
	}
}

// With org.unrouted_service, what no rule routes goes there, and the
// unrouted list stays empty.
func TestOrgIntegrationUnroutedService(t *testing.T) {
	f := newFixture(t)
	b := routedOrg()
	b["org"].(map[string]any)["unrouted_service"] = "fraud"
	f.apply(b)
	f.call("POST", "/api/v1/integrations/alertmanager/am-org", "", amGroup(amAlert("b000000000000001", "firing", `"alertname":"Orphan"`)), nil)
	change := map[string]any{"routing_key": orgPDKey, "payload": map[string]any{"summary": "deploy v2", "custom_details": map[string]any{"service": "payments"}}}
	if code := f.call("POST", "/v2/change/enqueue", "", change, nil); code != 202 {
		t.Fatalf("change = %d", code)
	}
	if code := f.call("GET", "/api/v1/services/unrouted", adminSecret, nil, nil); code != 404 {
		t.Errorf("GET /api/v1/services/unrouted with an unrouted_service = %d, want 404", code)
	}
	eventually(t, "the alert on fraud", func() bool { return len(f.alerts("service=fraud&dedup_key=b000000000000001").Alerts) == 1 })
	var changes struct {
		Changes []struct {
			Service string `json:"service"`
		} `json:"changes"`
	}
	eventually(t, "the change on payments", func() bool {
		f.call("GET", "/api/v1/changes?service=payments", adminSecret, nil, &changes)
		return len(changes.Changes) == 1
	})
	var unrouted ruledList
	f.call("GET", "/api/v1/events/unrouted", adminSecret, nil, &unrouted)
	if len(unrouted.Events) != 0 {
		t.Errorf("unrouted list: %+v", unrouted)
	}
	if m := f.metricsText(); !strings.Contains(m, `vigil_org_events_total{outcome="unrouted"} 1`) {
		t.Errorf("metrics lack the unrouted event")
	}
}

// metricsText is the server's /metrics page.
func (f *fixture) metricsText() string {
	f.t.Helper()
	resp, err := http.Get(f.http.URL + "/metrics")
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

// Change events that no rule routes to a service are kept in the lists
// like alert events, and never open an alert.
func TestOrgChangeEventsKept(t *testing.T) {
	onBothBackends(t, func(t *testing.T, f *fixture) {
		f.apply(routedOrg())
		for _, c := range []struct {
			summary string
			details map[string]any
		}{
			{"deploy staging", map[string]any{"env": "staging", "service": "payments"}},
			{"deploy orphan", map[string]any{"repo": "infra"}},
			{"deploy payments", map[string]any{"service": "payments"}},
		} {
			change := map[string]any{"routing_key": orgPDKey, "payload": map[string]any{"summary": c.summary, "source": "ci", "custom_details": c.details}}
			if code := f.call("POST", "/v2/change/enqueue", "", change, nil); code != 202 {
				t.Fatalf("change %q = %d", c.summary, code)
			}
		}
		var unrouted, suppressed ruledList
		eventually(t, "the lists", func() bool {
			f.call("GET", "/api/v1/events/unrouted", f.viewer, nil, &unrouted)
			f.call("GET", "/api/v1/events/suppressed", f.viewer, nil, &suppressed)
			return len(unrouted.Events) == 1 && len(suppressed.Events) == 1
		})
		if e := unrouted.Events[0]; e.Change == nil || e.Change.Summary != "deploy orphan" || e.Outcome != "unrouted" || e.Reason != "no rule of org.event_rules matched" ||
			e.Service != "" || e.Labels["repo"] != "infra" || e.Integration != "pagerduty" || e.Event.DedupKey != "" || e.ReceivedAt.IsZero() {
			t.Errorf("unrouted change: %+v", e)
		}
		if e := suppressed.Events[0]; e.Change == nil || e.Change.Summary != "deploy staging" || e.Outcome != "suppressed" || e.Rule == nil || *e.Rule != 0 || e.Labels["env"] != "staging" {
			t.Errorf("suppressed change: %+v", e)
		}
		var changes struct {
			Changes []struct {
				Summary string `json:"summary"`
			} `json:"changes"`
		}
		eventually(t, "the routed change", func() bool {
			f.call("GET", "/api/v1/changes?service=payments", adminSecret, nil, &changes)
			return len(changes.Changes) == 1
		})
		if changes.Changes[0].Summary != "deploy payments" {
			t.Errorf("changes of payments: %+v", changes)
		}
		if got := f.alerts("").Alerts; len(got) != 0 {
			t.Errorf("changes opened alerts: %+v", got)
		}
		metrics := f.metricsText()
		for _, want := range []string{
			`vigil_org_events_total{outcome="routed"} 1`,
			`vigil_org_events_total{outcome="suppressed"} 1`,
			`vigil_org_events_total{outcome="unrouted"} 1`,
		} {
			if !strings.Contains(metrics, want) {
				t.Errorf("metrics lack %s", want)
			}
		}

		// from and to bound when the events were recorded.
		at := unrouted.Events[0].RecordedAt
		for _, c := range []struct {
			query string
			want  int
		}{
			{"from=" + at.Format(time.RFC3339), 1},
			{"from=" + at.Add(time.Second).Format(time.RFC3339), 0},
			{"to=" + at.Format(time.RFC3339), 0},
			{"to=" + at.Add(time.Second).Format(time.RFC3339), 1},
			{"from=" + at.Format(time.DateOnly), 1},
		} {
			var l ruledList
			if code := f.call("GET", "/api/v1/events/unrouted?"+c.query, f.viewer, nil, &l); code != 200 || len(l.Events) != c.want {
				t.Errorf("unrouted?%s = %d, %d events, want %d", c.query, code, len(l.Events), c.want)
			}
		}
		for _, q := range []string{"from=yesterday", "to=2026-13-01", "from=" + strings.Repeat("9", 100)} {
			if code := f.call("GET", "/api/v1/events/suppressed?"+q, f.viewer, nil, nil); code != 400 {
				t.Errorf("suppressed?%s = %d, want 400", q, code)
			}
		}
	})
}
