package reliability

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// ingestRoutes are the ingest endpoints the fuzz target posts to, with
// the keys of ingestConfig.
var ingestRoutes = []string{
	"/v2/enqueue",
	"/v2/change/enqueue",
	"/api/v1/integrations/alertmanager/am-fuzz",
	"/api/v1/integrations/grafana/gf-fuzz",
	"/api/v1/integrations/generic/gn-fuzz",
	"/api/v1/heartbeat/hb-fuzz",
}

const fuzzPD = "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0"

func ingestConfig() string {
	return `
users:
  - {id: alice, name: Alice, time_zone: UTC}
  - {id: gina, name: Gina, time_zone: UTC}
teams:
  - {id: ops, name: Ops, kind: dev, time_zone: UTC, country: DE, members: [alice], escalation_policy: one}
  - {id: irt, name: IRT, kind: global-irt, members: [gina]}
escalation_policies:
  - {id: one, steps: [{targets: [{user: alice}], escalate_after: 1h}]}
services:
  - id: svc
    name: Service
    owner: ops
    integrations:
      - {type: pagerduty, key: "` + fuzzPD + `"}
      - {type: alertmanager, key: am-fuzz}
      - {type: grafana, key: gf-fuzz}
      - {type: generic, key: gn-fuzz, mapping: {summary: /alert/title, dedup_key: /alert/id, severity: /alert/level}}
      - {type: heartbeat, key: hb-fuzz, interval: 1h}
`
}

// FuzzIngestHandlers posts arbitrary bodies to every ingest endpoint of a
// running pipeline: whatever the bytes, the answer is one a sender can
// act on (accepted, invalid, too large, or retry later) and never a
// crash or a 500.
func FuzzIngestHandlers(f *testing.F) {
	seeds := []string{
		string(pdTrigger(fuzzPD, "k1", "disk full", "critical")),
		`{"routing_key":"` + fuzzPD + `","event_action":"resolve","dedup_key":"k1"}`,
		`{"routing_key":"` + fuzzPD + `","payload":{"summary":"deploy 42","source":"ci","timestamp":"2026-03-10T10:00:00Z"}}`,
		string(alertmanagerBatch("svc", 0, 3)),
		`{"version":"1","state":"alerting","title":"t","alerts":[{"status":"firing","labels":{"alertname":"a"}}]}`,
		`{"alert":{"title":"from a tool","id":"x-1","level":"critical"}}`,
		`{"status":"trigger","summary":"generic","severity":"error","dedup_key":"g1"}`,
		``, `null`, `[]`, `{}`, `{`, `"`, `0`, `1e999999`, `{"a":` + strings.Repeat("[", 10000),
		"{\"routing_key\":\"\xff\xfe\"}", "{\"summary\":\"\x00\"}",
		`{"routing_key":"` + fuzzPD + `","event_action":"trigger","payload":{"summary":"` + strings.Repeat("s", 2000) + `","source":"x","severity":"critical"}}`,
		`{"alerts":[` + strings.Repeat(`{"status":"firing","labels":{"a":"b"}},`, 200) + `{"status":"firing","labels":{}}]}`,
	}
	for i, s := range seeds {
		for r := range ingestRoutes {
			if (i+r)%2 == 0 || i < 7 {
				f.Add(uint8(r), []byte(s))
			}
		}
	}
	h := newInProcess(f, ingestConfig(), nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { // owner: this fuzz target; ends at cancel
		defer close(done)
		h.pipe.Run(ctx)
	}()
	f.Cleanup(func() { cancel(); <-done })
	client := newClient(4)
	allowed := map[int]bool{
		http.StatusAccepted: true, http.StatusBadRequest: true, http.StatusRequestEntityTooLarge: true,
		http.StatusTooManyRequests: true, http.StatusServiceUnavailable: true,
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		h.clock.Add(time.Second) // the rate limits refill
		path := ingestRoutes[int(route)%len(ingestRoutes)]
		req, err := http.NewRequest("POST", h.api.URL+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		resp.Body.Close()
		if !allowed[resp.StatusCode] {
			t.Fatalf("POST %s with %q: %d", path, truncated(body), resp.StatusCode)
		}
	})
}
