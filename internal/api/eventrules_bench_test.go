package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/config"
)

// benchRules are 200 rules of which only the last matches the benchmark's
// events: every event is tried against all of them.
func benchRules() []any {
	rules := make([]any, 0, 200)
	for i := range 100 {
		rules = append(rules, map[string]any{"match": map[string]any{"labels": map[string]any{"team": fmt.Sprintf("team-%d", i), "env": "*"}}, "service": "ledger"})
	}
	for i := range 99 {
		rules = append(rules, map[string]any{"match": map[string]any{"labels_re": map[string]any{"alertname": fmt.Sprintf("^Disk.*Full%d$", i)}}, "service": "fraud"})
	}
	return append(rules, map[string]any{"match": map[string]any{"labels": map[string]any{"service": "*"}}, "service": "{{labels.service}}", "severity": "{{labels.severity}}"})
}

// BenchmarkOrgIngestRules measures ingest (an Alertmanager notification of
// 100 alerts parsed, stored durably and answered) through a service's own
// key and through an org-wide key whose 200 rules route every alert, in
// one run: each iteration sends one of each, in alternating order. It
// reports both throughputs and their ratio; the pipeline processes the
// alerts (repeats after the first request) behind, as in production.
func BenchmarkOrgIngestRules(b *testing.B) {
	f := startFixture(b, fixtureOptions{})
	doc := shop()
	doc["services"].([]any)[0].(map[string]any)["integrations"] = []any{map[string]any{"type": "alertmanager", "key": "am-checkout", "rate_limit": 1e9}}
	doc["org"] = map[string]any{"integrations": []any{map[string]any{"type": "alertmanager", "key": "am-org", "rate_limit": 1e9}}, "event_rules": benchRules()}
	raw, _ := json.Marshal(doc)
	var bundle config.Bundle
	if err := json.Unmarshal(raw, &bundle); err != nil {
		b.Fatal(err)
	}
	if _, err := f.org.Apply(context.Background(), &bundle, "bench", false); err != nil {
		b.Fatal(err)
	}
	const perRequest = 100
	alerts := make([]string, perRequest)
	for i := range alerts {
		alerts[i] = amAlert(fmt.Sprintf("%016x", i), "firing",
			fmt.Sprintf(`"alertname":"HighLatency","service":"checkout","severity":"warning","instance":"web-%d:9100","team":"shop"`, i))
	}
	body := amGroup(alerts...)
	h := f.srv.Handler()
	send := func(key string) time.Duration {
		req := httptest.NewRequest("POST", "/api/v1/integrations/alertmanager/"+key, strings.NewReader(body))
		rec := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(rec, req)
		took := time.Since(start)
		if rec.Code != 202 {
			b.Fatalf("%s: %d %s", key, rec.Code, rec.Body)
		}
		return took
	}
	var plain, ruled []time.Duration
	i := 0
	for b.Loop() {
		if i%2 == 0 {
			plain, ruled = append(plain, send("am-checkout")), append(ruled, send("am-org"))
		} else {
			ruled, plain = append(ruled, send("am-org")), append(plain, send("am-checkout"))
		}
		i++
	}
	// The machine's load drifts: the ratio is the median of the ratios of
	// requests sent back to back, which the drift touches alike.
	ratios := make([]float64, len(plain))
	for i := range plain {
		ratios[i] = ruled[i].Seconds() / plain[i].Seconds()
	}
	b.ReportMetric(perRequest/median(plain).Seconds(), "events/s-service-key")
	b.ReportMetric(perRequest/median(ruled).Seconds(), "events/s-org-key-200-rules")
	b.ReportMetric(median(ratios), "time-ratio")
}

func median[T time.Duration | float64](xs []T) T {
	s := append([]T(nil), xs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
