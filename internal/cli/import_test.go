package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// importFixture runs vigil import on a vendor's fixture and checks that
// vigil validate accepts what it wrote.
func importFixture(t *testing.T, vendor, fixture, at string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "imported")
	code, stdout, stderr := run(t, nil, "import", vendor, "--from", fixture, "--out", out, "--at", at)
	if code != exitOK || !strings.Contains(stdout, "IMPORT-REPORT.md") {
		t.Fatalf("vigil import %s: exit %d\n%s%s", vendor, code, stdout, stderr)
	}
	if code, stdout, stderr := run(t, nil, "validate", "-f", out); code != exitOK {
		t.Fatalf("vigil validate on the import: exit %d\n%s%s", code, stdout, stderr)
	}
	return out
}

// pagerDutyEvent is an Events API v2 trigger for a routing key.
func pagerDutyEvent(routingKey string) (string, any) {
	return "/v2/enqueue", map[string]any{
		"routing_key": routingKey, "event_action": "trigger", "dedup_key": "import-round-trip",
		"payload": map[string]any{"summary": "Round trip after the import", "source": "importer-test", "severity": "critical"},
	}
}

// alertmanagerEvent is an Alertmanager webhook (version 4) with one firing
// critical alert, for an alertmanager integration key.
func alertmanagerEvent(key string) (string, any) {
	return "/api/v1/integrations/alertmanager/" + key, map[string]any{
		"version": "4", "groupKey": `{}:{alertname="RoundTrip"}`, "status": "firing", "receiver": "vigil", "truncatedAlerts": 0,
		"groupLabels": map[string]string{"alertname": "RoundTrip"}, "commonLabels": map[string]string{"alertname": "RoundTrip", "severity": "critical"},
		"commonAnnotations": map[string]string{"summary": "Round trip after the import"}, "externalURL": "http://alertmanager.example.com",
		"alerts": []map[string]any{{
			"status": "firing", "labels": map[string]string{"alertname": "RoundTrip", "severity": "critical"},
			"annotations": map[string]string{"summary": "Round trip after the import"}, "startsAt": "2026-03-10T09:00:00Z",
			"endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus.example.com/graph", "fingerprint": "0123456789abcdef",
		}},
	}
}

// grafanaEvent is a Grafana alerting webhook: the Alertmanager shape with
// Grafana's version and state.
func grafanaEvent(key string) (string, any) {
	_, event := alertmanagerEvent("")
	event.(map[string]any)["version"] = "1"
	event.(map[string]any)["state"] = "alerting"
	event.(map[string]any)["title"] = "[FIRING:1] RoundTrip"
	return "/api/v1/integrations/grafana/" + key, event
}

// pagedFor sends an event to a server with an imported integration key
// and returns who the incident it opens on service pages first, from the
// incident's notifications.
func pagedFor(t *testing.T, url, service, path string, event any) []string {
	t.Helper()
	c, err := newClient(url, Env{Getenv: func(k string) string { return map[string]string{"VIGIL_TOKEN": testAdminToken}[k] }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.do(ctx, "POST", path, event, nil); err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	for range 300 {
		var incidents struct {
			Incidents []struct {
				ID int64 `json:"id"`
			} `json:"incidents"`
		}
		if err := c.do(ctx, "GET", "/api/v1/incidents?service="+service, nil, &incidents); err != nil {
			t.Fatal(err)
		}
		if len(incidents.Incidents) == 1 {
			var ns struct {
				Notifications []struct {
					UserID string `json:"user_id"`
					Step   int    `json:"step"`
				} `json:"notifications"`
			}
			if err := c.do(ctx, "GET", fmt.Sprintf("/api/v1/incidents/%d/notifications", incidents.Incidents[0].ID), nil, &ns); err != nil {
				t.Fatal(err)
			}
			var users []string
			for _, n := range ns.Notifications {
				if n.Step == 0 && !slices.Contains(users, n.UserID) {
					users = append(users, n.UserID)
				}
			}
			if len(users) > 0 {
				slices.Sort(users)
				return users
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no page for %s within 30s", service)
	return nil
}

// pagedWant is an event sent with an imported integration key, built by
// event, and whom it must page on service.
type pagedWant struct {
	service string
	event   func(key string) (path string, body any)
	key     string
	want    []string
}

// roundTrip imports the vendor's fixture as on 1 February 2026, serves it
// on Tuesday 10 March 2026 at 09:00 UTC and checks whom each event pages.
func roundTrip(t *testing.T, vendor, fixture string, events ...pagedWant) {
	t.Helper()
	out := importFixture(t, vendor, fixture, "2026-02-01T00:00:00Z")
	url := startServerWith(t, "2026-03-10T09:00:00Z", out)
	for _, e := range events {
		path, body := e.event(e.key)
		if got := pagedFor(t, url, e.service, path, body); !slices.Equal(got, e.want) {
			t.Errorf("%s paged %v, want %v", e.service, got, e.want)
		}
	}
}

// PagerDuty round trip: the import of the fixture account validates, a
// server runs on it, and an event sent with an imported integration key
// pages whom PagerDuty would have paged. The server stands on Tuesday 10
// March 2026 at 10:00 in Berlin (09:00 UTC):
//
//   - Payments API (key a1b2…8f90) pages Payments Default, whose first
//     rule is the Payments Primary schedule. At 10:00 on a Tuesday its top
//     layers are off (weekend nights: Friday 22:00 to Monday 08:00) or on
//     (business hours, Monday to Friday 08:00 to 18:00): a daily rotation
//     of dave and erin from Monday 5 January 08:00. 10 March is 64 days
//     later, an even turn: dave.
//   - Ledger DB (key 9f8e…b1a0) pages Databases: Database On-Call, in
//     Sydney, where it is 20:00. The weekday-mornings layer (07:00 to
//     12:00) is off; the weekly rotation of oscar, pia and quinn from
//     Wednesday 7 January 10:00 is in its ninth week (turn 8): quinn.
func TestImportPagerDutyRoundTrip(t *testing.T) {
	roundTrip(t, "pagerduty", "../importer/pagerduty/testdata/acme",
		pagedWant{"payments-api", pagerDutyEvent, "a1b2c3d4e5f60718293a4b5c6d7e8f90", []string{"dave"}},
		pagedWant{"ledger-db", pagerDutyEvent, "9f8e7d6c5b4a39281706f5e4d3c2b1a0", []string{"quinn"}})
}

// Opsgenie round trip, on Tuesday 10 March 2026 at 09:00 UTC:
//
//   - The Prometheus integration's key (5f1c…1a90) becomes an alertmanager
//     integration of a service owned by Payments, whose default routing
//     rule runs Payments_escalation: first Payments_schedule, whose
//     rotations are all on call. At 10:00 in Berlin the weekday rotation
//     (daily from Monday 5 January 08:00, alice, bob, carol) is in turn
//     64, bob's; nights and weekends are off; the shadow rotation (09:00
//     to 17:00, two weeks a turn from 5 January 09:00, frank and carol)
//     is in turn 4 (day 64 of 14-day turns), frank's.
//   - The Grafana integration's key (0b6f…4c38) becomes a grafana
//     integration of Cluster, owned by SRE, whose default routing rule
//     notifies SRE_schedule. At 05:00 in New York the 12-hour primary
//     rotation from 5 January 13:00 UTC is 1532 hours on, turn 127 of
//     hank, ivy, jack, kim: kim; the secondary (20:00 to 08:00, two-day
//     turns from 5 January 08:00, ivy and kim) is in turn 31: kim again.
func TestImportOpsgenieRoundTrip(t *testing.T) {
	roundTrip(t, "opsgenie", "../importer/opsgenie/testdata/acme",
		pagedWant{"prometheus-payments", alertmanagerEvent, "5f1c2e7a-3b9d-4c1e-9a7f-2d8b6e4c1a90", []string{"bob", "frank-becker"}},
		pagedWant{"cluster", grafanaEvent, "0b6f7c2d-8e1a-4d3b-b5c9-7a2e1f6d4c38", []string{"kim"}})
}

// Grafana OnCall round trip, on Tuesday 10 March 2026 at 09:00 UTC:
//
//   - The Alertmanager integration's token (Kx9m…gH6) becomes an
//     alertmanager integration of its own service, paging payments-chain:
//     first the Payments schedule. At 10:00 in Berlin the weekday rotation
//     (level 1, 09:00 to 17:00, a week each for alice, bob and carol from
//     the week of 5 January) is in week 9: alice, above the weekly base.
//   - The Grafana integration's token (Gz5Y…uW9) pages sre-chain: the SRE
//     schedule, where at 05:00 in New York the six-hour shadow (level 2,
//     mike and nina from 5 January 07:00 UTC) is 1538 hours on, turn 256:
//     mike, above the night rotation.
func TestImportGrafanaOnCallRoundTrip(t *testing.T) {
	roundTrip(t, "grafana-oncall", "../importer/grafanaoncall/testdata/acme",
		pagedWant{"alertmanager-payments", alertmanagerEvent, "Kx9mTq2LpW7vRb3NcD4eF5gH6", []string{"alice"}},
		pagedWant{"grafana-sre", grafanaEvent, "Gz5Yh8Qa1Jc4Vn6MpR7sT8uW9", []string{"mike"}})
}

func TestImportFlags(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		vars map[string]string
		want string
	}{
		{"no vendor", []string{"import"}, nil, ""},
		{"unknown vendor", []string{"import", "splunk", "--from", dir, "--out", dir}, nil, `unknown vendor "splunk"`},
		{"no out", []string{"import", "pagerduty", "--from", dir}, nil, "--out"},
		{"no source", []string{"import", "pagerduty", "--out", dir}, nil, "--from and --api-url"},
		{"bad time", []string{"import", "pagerduty", "--from", dir, "--out", dir, "--at", "soon"}, nil, "RFC 3339"},
		{"missing directory", []string{"import", "pagerduty", "--from", filepath.Join(dir, "nope"), "--out", dir}, nil, "nope"},
		{"empty directory", []string{"import", "pagerduty", "--from", dir, "--out", filepath.Join(dir, "out")}, nil, "no PagerDuty responses"},
		{"api without token", []string{"import", "pagerduty", "--api-url", "https://api.pagerduty.com", "--out", dir}, nil, "VIGIL_IMPORT_TOKEN"},
		{"api not a URL", []string{"import", "pagerduty", "--api-url", "ftp://x", "--out", dir}, map[string]string{"VIGIL_IMPORT_TOKEN": "t"}, "not an http(s) URL"},
		{"api unreachable", []string{"import", "pagerduty", "--api-url", "http://127.0.0.1:1", "--out", dir, "--token-env", "PD_TOKEN"}, map[string]string{"PD_TOKEN": "t"}, "127.0.0.1:1"},
	}
	for _, tt := range tests {
		code, _, stderr := run(t, tt.vars, tt.args...)
		if code != exitError || !strings.Contains(stderr, tt.want) {
			t.Errorf("%s: exit %d, stderr %q; want %d naming %q", tt.name, code, stderr, exitError, tt.want)
		}
	}
	if code, stdout, _ := run(t, nil, "import", "--help"); code != exitOK || !strings.Contains(stdout, "pagerduty") {
		t.Errorf("--help: exit %d\n%s", code, stdout)
	}
}
