package e2e

import (
	"fmt"
	"net/http/httptest"
	"sort"
	"testing"
	"time"
)

// routedConfig is three services of three teams, each on call alone with
// a webhook of their own, a global IRT, and one org-wide Alertmanager
// key routed by config.md's rules.
func routedConfig(hooks map[string]string) string {
	user := func(id string) string {
		return fmt.Sprintf(`  - id: %[1]s
    time_zone: UTC
    contact_methods: [{id: %[1]s-hook, type: webhook, url: "%[2]s"}]
    notification_rules: [{contact_method: %[1]s-hook, delay: 0m}]
`, id, hooks[id])
	}
	team := func(id, kind, member string) string {
		return fmt.Sprintf("  - {id: %s, kind: %s, time_zone: UTC, members: [%s], escalation_policy: %s-now}\n", id, kind, member, member)
	}
	policy := func(member string) string {
		return fmt.Sprintf("  - {id: %[1]s-now, steps: [{targets: [{user: %[1]s}], escalate_after: 30m}]}\n", member)
	}
	return "users:\n" + user("dana") + user("carl") + user("sam") + user("gina") +
		"teams:\n" + team("payments", "dev", "dana") + team("shop", "dev", "carl") + team("search", "dev", "sam") + team("irt", "global-irt", "gina") +
		"escalation_policies:\n" + policy("dana") + policy("carl") + policy("sam") + policy("gina") + `services:
  - {id: ledger-db, owner: payments}
  - {id: checkout, owner: shop}
  - {id: search, owner: search}
org:
  integrations: [{type: alertmanager, key: am-org}]
  event_rules:
    - {match: {labels: {env: staging}}, suppress: true}
    - {match: {labels: {team: payments}, labels_re: {alertname: "^Ledger"}}, service: ledger-db}
    - {match: {labels: {service: "*"}}, service: "{{labels.service}}", severity: "{{labels.severity}}"}
`
}

// TestAlertmanagerOneReceiverRoutedByRules: the real Alertmanager sends
// everything through one receiver to one org key; the rules page the
// owners of three services, the global IRT for what no rule routes, and
// nobody for what they suppress.
func TestAlertmanagerOneReceiverRoutedByRules(t *testing.T) {
	t.Parallel()
	requireAlertmanager(t)
	receivers := map[string]*pageReceiver{}
	hooks := map[string]string{}
	for _, u := range []string{"dana", "carl", "sam", "gina"} {
		rc := &pageReceiver{}
		hook := httptest.NewServer(rc)
		t.Cleanup(hook.Close)
		receivers[u], hooks[u] = rc, hook.URL+"/page"
	}
	v := startVigil(t, routedConfig(hooks))
	am := startAlertmanager(t, alertmanagerConfig(`
    webhook_configs:
      - url: "`+v.url+`/api/v1/integrations/alertmanager/am-org"
        send_resolved: true
`))

	startsAt := time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	alert := func(summary string, labels map[string]string) amAlert {
		return amAlert{Labels: labels, Annotations: map[string]string{"summary": summary}, StartsAt: startsAt}
	}
	am.post(t,
		alert("ledger replication lag", map[string]string{"alertname": "LedgerReplicationLag", "team": "payments", "severity": "critical"}),
		alert("checkout 5xx", map[string]string{"alertname": "CheckoutErrors", "service": "checkout", "severity": "page"}),
		alert("search slow", map[string]string{"alertname": "SearchSlow", "service": "search", "severity": "error"}),
		alert("staging noise", map[string]string{"alertname": "StagingNoise", "service": "checkout", "env": "staging", "severity": "critical"}),
		alert("nobody's alert", map[string]string{"alertname": "Orphan", "severity": "critical"}),
	)

	want := map[string]struct{ service, title, severity string }{
		"dana": {"ledger-db", "ledger replication lag", "SEV2"},
		"carl": {"checkout", "checkout 5xx", "SEV2"},
		"sam":  {"search", "search slow", "SEV3"},
		"gina": {"unrouted", "nobody's alert", "SEV2"},
	}
	for who, w := range want {
		p := waitForPage(t, receivers[who])
		if p.Incident.Service != w.service || p.Incident.Title != w.title || p.Incident.Severity != w.severity {
			t.Errorf("%s was paged for %+v, want %s on %s (%s)", who, p.Incident, w.title, w.service, w.severity)
		}
	}

	// The suppressed alert reached Vigil: it is listed, and paged nobody.
	var suppressed, unrouted struct {
		Events []struct {
			Labels map[string]string `json:"labels"`
			Reason string            `json:"reason"`
		} `json:"events"`
	}
	waitFor(t, notifyLimit, "the suppressed event", func() (bool, error) {
		v.get(t, "/api/v1/events/suppressed", &suppressed)
		return len(suppressed.Events) == 1, nil
	})
	if e := suppressed.Events[0]; e.Labels["alertname"] != "StagingNoise" || e.Reason != "suppressed by org.event_rules[0]" {
		t.Errorf("suppressed event %+v", e)
	}
	v.get(t, "/api/v1/events/unrouted", &unrouted)
	if len(unrouted.Events) != 1 || unrouted.Events[0].Labels["alertname"] != "Orphan" {
		t.Errorf("unrouted events %+v", unrouted.Events)
	}
	var services []string
	for _, a := range v.alerts(t) {
		services = append(services, a.Service)
	}
	sort.Strings(services)
	if fmt.Sprint(services) != "[checkout ledger-db search unrouted]" {
		t.Errorf("alerts on %v, want one on each of checkout, ledger-db, search and unrouted", services)
	}
	// Alertmanager's repeats and the suppressed alert page nobody more.
	time.Sleep(3 * time.Second)
	for who, rc := range receivers {
		if pages, _ := rc.received(); len(pages) != 1 {
			t.Errorf("%s got %d pages, want one", who, len(pages))
		}
	}
}
