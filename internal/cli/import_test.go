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

// pagedFor sends a PagerDuty Events API v2 trigger with an imported
// integration key to a server and returns who the incident it opens pages
// first, from the incident's notifications.
func pagedFor(t *testing.T, url, routingKey, service string) []string {
	t.Helper()
	c, err := newClient(url, Env{Getenv: func(k string) string { return map[string]string{"VIGIL_TOKEN": testAdminToken}[k] }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	event := map[string]any{
		"routing_key": routingKey, "event_action": "trigger", "dedup_key": "import-round-trip-" + service,
		"payload": map[string]any{"summary": "Round trip after the import", "source": "importer-test", "severity": "critical"},
	}
	if err := c.do(ctx, "POST", "/v2/enqueue", event, nil); err != nil {
		t.Fatalf("enqueue with %s: %v", routingKey, err)
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
	out := importFixture(t, "pagerduty", "../importer/pagerduty/testdata/acme", "2026-02-01T00:00:00Z")
	url := startServerWith(t, "2026-03-10T09:00:00Z", out)
	if got := pagedFor(t, url, "a1b2c3d4e5f60718293a4b5c6d7e8f90", "payments-api"); !slices.Equal(got, []string{"dave"}) {
		t.Errorf("payments-api paged %v, want dave", got)
	}
	if got := pagedFor(t, url, "9f8e7d6c5b4a39281706f5e4d3c2b1a0", "ledger-db"); !slices.Equal(got, []string{"quinn"}) {
		t.Errorf("ledger-db paged %v, want quinn", got)
	}
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
