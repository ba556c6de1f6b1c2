package api

import (
	"fmt"
	"net/url"
	"testing"
	"time"
)

// The alert history the simulator replays: the alerts opened in the
// period, as simulate.Alert records, each once across pages; a token is
// required.
func TestAlertHistory(t *testing.T) {
	f := newFixture(t)
	f.pagingOrg()
	for i := range 3 {
		f.call("POST", "/v2/enqueue", "", fmt.Sprintf(`{"routing_key":%q,"event_action":"trigger","dedup_key":"h%d","payload":{"summary":"down %d","source":"web-1","severity":"critical"}}`, pdKey, i, i), nil)
	}
	f.call("POST", "/v2/enqueue", "", fmt.Sprintf(`{"routing_key":%q,"event_action":"resolve","dedup_key":"h0"}`, pdKey), nil)
	eventually(t, "the alerts", func() bool { a := f.alerts("status=resolved").Alerts; return len(a) == 1 })

	type page struct {
		Alerts []struct {
			Timestamp  time.Time  `json:"timestamp"`
			Service    string     `json:"service"`
			Severity   string     `json:"severity"`
			Summary    string     `json:"summary"`
			DedupKey   string     `json:"dedup_key"`
			ResolvedAt *time.Time `json:"resolved_at"`
		} `json:"alerts"`
		NextCursor *string `json:"next_cursor"`
	}
	from, to := fixtureNow.Add(-time.Hour).Format(time.RFC3339), fixtureNow.Add(time.Hour).Format(time.RFC3339)
	q := url.Values{"from": {from}, "to": {to}, "limit": {"2"}}
	var keys []string
	resolved := 0
	for pages := 0; ; pages++ {
		var p page
		if code := f.call("GET", "/api/v1/history/alerts?"+q.Encode(), viewerSecret, nil, &p); code != 200 || pages > 3 {
			t.Fatalf("page %d: %d", pages, code)
		}
		for _, a := range p.Alerts {
			if a.Service == "" || a.Severity != "critical" || a.Timestamp.IsZero() {
				t.Errorf("record %+v", a)
			}
			if a.ResolvedAt != nil {
				resolved++
			}
			keys = append(keys, a.DedupKey)
		}
		if p.NextCursor == nil {
			break
		}
		q.Set("cursor", *p.NextCursor)
	}
	if fmt.Sprint(keys) != "[h2 h1 h0]" || resolved != 1 {
		t.Errorf("history %v (%d resolved), want [h2 h1 h0] with h0 resolved", keys, resolved)
	}
	var none page
	later := url.Values{"from": {fixtureNow.Add(time.Hour).Format(time.RFC3339)}, "to": {fixtureNow.Add(2 * time.Hour).Format(time.RFC3339)}}
	if code := f.call("GET", "/api/v1/history/alerts?"+later.Encode(), viewerSecret, nil, &none); code != 200 || len(none.Alerts) != 0 {
		t.Errorf("a later period: %d %+v", code, none)
	}
	for _, tc := range []struct {
		token, query string
		code         int
	}{
		{"", "", 401},
		{"wrong", "", 401},
		{viewerSecret, "from=yesterday", 400},
		{viewerSecret, "from=2026-01-02&to=2026-01-01", 400},
	} {
		if code := f.call("GET", "/api/v1/history/alerts?"+tc.query, tc.token, nil, nil); code != tc.code {
			t.Errorf("token %q, query %q: %d, want %d", tc.token, tc.query, code, tc.code)
		}
	}
}
