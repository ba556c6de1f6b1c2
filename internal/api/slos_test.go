package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/ingest"
	"github.com/vigil-oncall/vigil/internal/slo"
	"github.com/vigil-oncall/vigil/internal/slo/slotest"
	"github.com/vigil-oncall/vigil/internal/sloengine"
	"github.com/vigil-oncall/vigil/internal/store"
)

// sloOrg: checkout (owned by shop, in Berlin, Germany) needs payments hard
// and fraud soft; no Friday deploys after 16:00 in the owner's zone. The
// checkout SLO is pushed, 99.9% over 30 days, and lets security and p0
// changes through a budget freeze.
var sloOrg = `
org:
  freezes:
    - {id: friday-afternoons, every: "fri 16:00-23:59", time_zone: owner, reason: "no Friday deploys"}
users:
  - {id: alice, name: Alice, time_zone: Europe/Berlin}
  - {id: bob, name: Bob, time_zone: America/New_York}
  - {id: gina, name: Gina, time_zone: UTC}
teams:
  - {id: shop, kind: dev, time_zone: Europe/Berlin, country: DE, members: [alice]}
  - {id: search, kind: dev, time_zone: America/New_York, country: US, members: [bob]}
  - {id: irt, kind: global-irt, members: [gina]}
services:
  - id: checkout
    owner: shop
    depends_on: [{service: payments, kind: hard}, {service: fraud, kind: soft}]
    integrations: [{type: pagerduty, key: "c0ffee00c0ffee00c0ffee00c0ffee00"}]
  - {id: payments, owner: shop}
  - {id: fraud, owner: search}
  - {id: search, owner: search}
---
` + slotest.Edit(slotest.CheckoutAvailability, append(slotest.Over30Days,
	"metadata: {name: checkout-availability}", `metadata: {name: checkout-availability, annotations: {vigil.dev/exemptions: "security,p0"}}`)...) + `---
apiVersion: openslo/v1
kind: DataSource
metadata: {name: prom}
spec:
  type: Prometheus
  connectionDetails: [{url: "http://127.0.0.1:1"}]
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: search-latency}
spec:
  service: search
  indicator:
    metadata: {name: search-requests}
    spec:
      ratioMetric:
        counter: true
        good:  {metricSource: {metricSourceRef: prom, spec: {query: 'sum(increase(good_total[{{.window}}]))'}}}
        total: {metricSource: {metricSourceRef: prom, spec: {query: 'sum(increase(requests_total[{{.window}}]))'}}}
  timeWindow: [{duration: 7d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
`

// sloNow is a Thursday, 13:00 in Berlin. In the SLO organisation alice
// is in shop (checkout's owner), bob in search.
var sloNow = fixtureNow

type sloFixture struct {
	*fixture
}

func newSLOFixture(t *testing.T) *sloFixture {
	t.Helper()
	f := startSLOServer(t)
	f.t = t
	return f
}

// startSLOServer serves the SLO organisation on a fresh store; the bundle
// travels as `vigil apply` sends it, OpenSLO documents too.
func startSLOServer(tb testing.TB) *sloFixture {
	tb.Helper()
	return startSLOServerOf(tb, sloOrg)
}

// startSLOServerOf serves the organisation of a YAML configuration, with
// the SLO organisation's users.
func startSLOServerOf(tb testing.TB, yaml string) *sloFixture {
	tb.Helper()
	f := startFixture(tb, fixtureOptions{users: []string{"alice", "bob"}, slo: true})
	loaded := config.LoadBytes("shop.yaml", []byte(yaml))
	if len(loaded.Problems) > 0 {
		tb.Fatalf("config problems: %v", loaded.Problems)
	}
	if code, answer := postJSON(tb, f.http.URL+"/api/v1/config/apply", adminSecret, loaded.Bundle); code != http.StatusOK {
		tb.Fatalf("apply = %d %s", code, answer)
	}
	return &sloFixture{fixture: f}
}

// postJSON posts body as JSON with the token, for callers without a
// *testing.T (benchmarks, fixtures being built), and returns the answer.
func postJSON(tb testing.TB, url, token string, body any) (int, []byte) {
	tb.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		tb.Fatal(err)
	}
	req, _ := http.NewRequest("POST", url, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, answer
}

// minutesOf returns events for the n minutes before end, bad of 1,000
// failing in each.
func minutesOf(end time.Time, n int, bad float64) []map[string]any {
	events := make([]map[string]any, n)
	for i := range events {
		events[i] = map[string]any{"timestamp": end.Add(time.Duration(i-n+1) * time.Minute).Format(time.RFC3339), "good": 1000 - bad, "total": 1000}
	}
	return events
}

type pushAnswer struct {
	Accepted  int  `json:"accepted"`
	Duplicate bool `json:"duplicate"`
}

func (f *sloFixture) status(name string) (sloView, string) {
	f.t.Helper()
	req, _ := http.NewRequest("GET", f.http.URL+"/api/v1/slos/"+name, nil)
	req.Header.Set("Authorization", "Bearer "+viewerSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		f.t.Fatalf("GET /api/v1/slos/%s = %d %s", name, resp.StatusCode, raw)
	}
	var v sloView
	if err := json.Unmarshal(raw, &v); err != nil {
		f.t.Fatalf("decode %s: %v", raw, err)
	}
	return v, string(raw)
}

func TestSLOPushIsIdempotentPerBatch(t *testing.T) {
	f := newSLOFixture(t)
	batch := map[string]any{"batch_id": "b-1", "events": minutesOf(sloNow, 10, 2)}
	var first, again pushAnswer
	if code := f.call("POST", "/api/v1/slos/checkout-availability/events", aliceToken, batch, &first); code != 202 || first.Accepted != 10 || first.Duplicate {
		t.Fatalf("first push = %d %+v, want 202, 10 accepted", code, first)
	}
	if code := f.call("POST", "/api/v1/slos/checkout-availability/events", adminSecret, batch, &again); code != 202 || again.Accepted != 0 || !again.Duplicate {
		t.Fatalf("repeated push = %d %+v, want 202, a duplicate", code, again)
	}
	v, _ := f.status("checkout-availability")
	// Counted once: 10 minutes of 1,000 events, 2 bad each.
	if v.Status.Total != 10000 || v.Status.Good != 9980 || v.Status.SLI == nil || *v.Status.SLI != 0.998 {
		t.Fatalf("status = %+v, want 9980 good of 10000", v.Status)
	}
	// 0.2% bad against a 0.1% budget: two budgets consumed.
	if v.Status.BudgetConsumed < 1.999 || v.Status.BudgetConsumed > 2.001 || !v.Status.Frozen {
		t.Errorf("budget consumed %v frozen %v, want 2 and frozen", v.Status.BudgetConsumed, v.Status.Frozen)
	}
	// A fresh engine reads the batch back from the store, once.
	fresh := sloengine.New(sloengine.Options{Store: f.store, SLOs: func() []slo.SLO { return f.org.Snapshot().SLOs() }, Now: f.clock.Now})
	fv, ok, err := fresh.Status(context.Background(), "checkout-availability", sloNow)
	if err != nil || !ok || fv.Status.Total != 10000 {
		t.Errorf("a fresh engine sees %v events (%v, %v), want 10000", fv.Status.Total, ok, err)
	}
}

func TestSLOPushValidation(t *testing.T) {
	f := newSLOFixture(t)
	good := func(n float64) *float64 { return &n }
	event := func(at time.Time, g, total *float64) map[string]any {
		e := map[string]any{"timestamp": at.Format(time.RFC3339)}
		if g != nil {
			e["good"] = *g
		}
		if total != nil {
			e["total"] = *total
		}
		return e
	}
	tooMany := minutesOf(sloNow, 10001, 0)
	cases := []struct {
		name, path, token string
		body              any
		want              int
		wantErr           string
	}{
		{"good above total", "checkout-availability", adminSecret, map[string]any{"batch_id": "x1", "events": []any{event(sloNow, good(5), good(4))}}, 400, "more than total"},
		{"negative", "checkout-availability", adminSecret, map[string]any{"batch_id": "x2", "events": []any{event(sloNow, good(-1), good(4))}}, 400, "not negative"},
		{"missing total", "checkout-availability", adminSecret, map[string]any{"batch_id": "x3", "events": []any{event(sloNow, good(1), nil)}}, 400, "required"},
		{"no batch id", "checkout-availability", adminSecret, map[string]any{"events": []any{event(sloNow, good(1), good(1))}}, 400, "batch_id"},
		{"no events", "checkout-availability", adminSecret, map[string]any{"batch_id": "x4", "events": []any{}}, 400, "at least one"},
		{"too many events", "checkout-availability", adminSecret, map[string]any{"batch_id": "x5", "events": tooMany}, 400, "more than the 10000"},
		{"older than the window", "checkout-availability", adminSecret, map[string]any{"batch_id": "x6", "events": []any{event(sloNow.Add(-40*24*time.Hour), good(1), good(1))}}, 400, "older than"},
		{"in the future", "checkout-availability", adminSecret, map[string]any{"batch_id": "x7", "events": []any{event(sloNow.Add(time.Hour), good(1), good(1))}}, 400, "future"},
		{"no timestamp", "checkout-availability", adminSecret, map[string]any{"batch_id": "x8", "events": []any{map[string]any{"good": 1, "total": 1}}}, 400, "timestamp"},
		{"oversized batch id", "checkout-availability", adminSecret, map[string]any{"batch_id": strings.Repeat("b", 256), "events": []any{event(sloNow, good(1), good(1))}}, 400, "longer than"},
		{"not a number", "checkout-availability", adminSecret, `{"batch_id":"x9","events":[{"timestamp":"2026-11-26T12:00:00Z","good":"1","total":1}]}`, 400, ""},
		{"huge number", "checkout-availability", adminSecret, `{"batch_id":"x9","events":[{"timestamp":"2026-11-26T12:00:00Z","good":1,"total":1e400}]}`, 400, ""},
		{"unknown field", "checkout-availability", adminSecret, `{"batch_id":"x9","evnts":[]}`, 400, ""},
		{"body over 1 MiB", "checkout-availability", adminSecret, `{"batch_id":"` + strings.Repeat("a", 1<<20) + `"}`, 413, ""},
		{"unknown SLO", "nope", adminSecret, map[string]any{"batch_id": "x", "events": []any{event(sloNow, good(1), good(1))}}, 404, ""},
		{"pulled from Prometheus", "search-latency", adminSecret, map[string]any{"batch_id": "x", "events": []any{event(sloNow, good(1), good(1))}}, 409, ""},
		{"viewer", "checkout-availability", viewerSecret, map[string]any{"batch_id": "x", "events": []any{event(sloNow, good(1), good(1))}}, 403, ""},
		{"another team's member", "checkout-availability", bobToken, map[string]any{"batch_id": "x", "events": []any{event(sloNow, good(1), good(1))}}, 403, ""},
		{"no token", "checkout-availability", "", map[string]any{"batch_id": "x", "events": []any{event(sloNow, good(1), good(1))}}, 401, ""},
		{"the owner team's member", "checkout-availability", aliceToken, map[string]any{"batch_id": "ok", "events": []any{event(sloNow, good(1), good(1)), event(sloNow.Add(3*time.Minute), good(0), good(0))}}, 202, ""},
	}
	for _, c := range cases {
		var answer struct {
			Errors []string `json:"errors"`
		}
		code := f.call("POST", "/api/v1/slos/"+c.path+"/events", c.token, c.body, &answer)
		if code != c.want {
			t.Errorf("%s: %d, want %d", c.name, code, c.want)
			continue
		}
		if c.wantErr != "" && !strings.Contains(strings.Join(answer.Errors, "; "), c.wantErr) {
			t.Errorf("%s: errors %v, want one saying %q", c.name, answer.Errors, c.wantErr)
		}
	}
	// Nothing refused was counted: only the accepted batch's one event.
	if v, _ := f.status("checkout-availability"); v.Status.Total != 1 {
		t.Errorf("total %v after the refused batches, want 1", v.Status.Total)
	}
}

// TestSLOStatusHasNoNaN: an SLO without data (and with a 0-of-0 minute)
// answers numbers or null, never NaN, and spends no budget.
func TestSLOStatusHasNoNaN(t *testing.T) {
	f := newSLOFixture(t)
	batch := map[string]any{"batch_id": "zero", "events": []any{map[string]any{"timestamp": sloNow.Format(time.RFC3339), "good": 0, "total": 0}}}
	if code := f.call("POST", "/api/v1/slos/checkout-availability/events", adminSecret, batch, nil); code != 202 {
		t.Fatalf("push = %d", code)
	}
	v, raw := f.status("checkout-availability")
	if strings.Contains(raw, "NaN") || strings.Contains(raw, "Inf") {
		t.Fatalf("status has NaN or Inf: %s", raw)
	}
	var generic map[string]any
	if err := json.Unmarshal([]byte(raw), &generic); err != nil {
		t.Fatal(err)
	}
	st := generic["status"].(map[string]any)
	if st["sli"] != nil || st["no_data"] != true || st["budget_remaining"] != 1.0 || st["time_to_exhaustion"] != nil || st["firing"] != nil || st["frozen"] != false {
		t.Errorf("status without data = %v, want sli null, no_data, the whole budget left, not frozen", st)
	}
	if len(v.Status.Tiers) != 4 {
		t.Errorf("%d tiers, want the 4 default ones", len(v.Status.Tiers))
	}
	var list struct {
		SLOs       []sloView `json:"slos"`
		NextCursor *string   `json:"next_cursor"`
	}
	if code := f.call("GET", "/api/v1/slos?limit=1", viewerSecret, nil, &list); code != 200 || len(list.SLOs) != 1 || list.NextCursor == nil || list.SLOs[0].Name != "checkout-availability" {
		t.Fatalf("first page = %d %+v", code, list)
	}
	if code := f.call("GET", "/api/v1/slos?limit=1&cursor="+*list.NextCursor, viewerSecret, nil, &list); code != 200 || len(list.SLOs) != 1 || list.NextCursor != nil || list.SLOs[0].Name != "search-latency" {
		t.Fatalf("second page = %d %+v", code, list)
	}
	if code := f.call("GET", "/api/v1/slos?service=search", viewerSecret, nil, &list); code != 200 || len(list.SLOs) != 1 || list.SLOs[0].SLI.Source != slo.SourcePrometheus {
		t.Fatalf("SLOs of search = %d %+v", code, list)
	}
	if code := f.call("GET", "/api/v1/slos/nope", viewerSecret, nil, nil); code != 404 {
		t.Errorf("unknown SLO = %d, want 404", code)
	}
}

type gateResult struct {
	Decision string `json:"decision"`
	Reasons  []struct {
		Kind    string `json:"kind"`
		Message string `json:"message"`
	} `json:"reasons"`
	Override *struct {
		ID     int64  `json:"id"`
		Reason string `json:"reason"`
	} `json:"override"`
	DecisionID int64 `json:"decision_id"`
}

func (g gateResult) kinds() string {
	var ks []string
	for _, r := range g.Reasons {
		ks = append(ks, r.Kind)
	}
	return strings.Join(ks, ",")
}

func (f *sloFixture) gate(query string) gateResult {
	f.t.Helper()
	var g gateResult
	if code := f.call("GET", "/api/v1/gate?"+query, viewerSecret, nil, &g); code != 200 {
		f.t.Fatalf("gate %s = %d", query, code)
	}
	return g
}

func (f *sloFixture) declare(service, severity string) int64 {
	f.t.Helper()
	var inc struct {
		ID int64 `json:"id"`
	}
	if code := f.call("POST", "/api/v1/incidents", adminSecret, map[string]any{"title": severity + " on " + service, "service": service, "severity": severity}, &inc); code != 201 {
		f.t.Fatalf("declare = %d", code)
	}
	return inc.ID
}

func TestGate(t *testing.T) {
	f := newSLOFixture(t)
	at := func(s string) string { return "service=checkout&at=" + s }
	cases := []struct {
		name, query, want, kinds string
	}{
		{"a Thursday afternoon", at("2026-11-26T15:30:00Z"), "allow", ""},
		{"Christmas Day in Germany", at("2026-12-25T10:00:00Z"), "deny", "holiday"},
		{"Friday 16:30 in Berlin", at("2026-11-27T15:30:00Z"), "deny", "freeze"},
		{"Friday 15:30 in Berlin", at("2026-11-27T14:30:00Z"), "allow", ""},
		{"a service of the US team on Friday afternoon in Berlin", "service=search&at=2026-11-27T15:30:00Z", "allow", ""},
	}
	for _, c := range cases {
		g := f.gate(c.query)
		if g.Decision != c.want || g.kinds() != c.kinds || g.DecisionID == 0 {
			t.Errorf("%s: %s %v (decision %d), want %s with reasons %q", c.name, g.Decision, g.Reasons, g.DecisionID, c.want, c.kinds)
		}
	}
	g := f.gate(at("2026-11-27T15:30:00Z"))
	if len(g.Reasons) != 1 || !strings.Contains(g.Reasons[0].Message, "no Friday deploys") {
		t.Errorf("freeze reason %v, want the freeze's reason", g.Reasons)
	}
	// Each decision is recorded.
	d, err := f.store.GetGateDecision(context.Background(), g.DecisionID)
	if err != nil || d.Decision != "deny" || d.Service != "checkout" || !d.At.Equal(time.Date(2026, 11, 27, 15, 30, 0, 0, time.UTC)) {
		t.Errorf("recorded decision = %+v, %v", d, err)
	}
	for _, bad := range []string{"", "service=nope", "service=checkout&at=tomorrow", "service=checkout&change_type=" + strings.Repeat("x", 65), "service=checkout&change_type=a%20b"} {
		if code := f.call("GET", "/api/v1/gate?"+bad, viewerSecret, nil, nil); code != 400 && code != 404 {
			t.Errorf("gate?%s = %d, want 400 or 404", bad, code)
		}
	}
}

func TestGateErrorBudget(t *testing.T) {
	f := newSLOFixture(t)
	// An hour with 1% failing: ten budgets of a 0.1% objective.
	batch := map[string]any{"batch_id": "burn", "events": minutesOf(sloNow, 60, 10)}
	if code := f.call("POST", "/api/v1/slos/checkout-availability/events", adminSecret, batch, nil); code != 202 {
		t.Fatalf("push = %d", code)
	}
	cases := []struct{ change, want, kinds string }{
		{"", "deny", "error_budget"},
		{"&change_type=feature", "deny", "error_budget"},
		{"&change_type=security", "allow", ""},
		{"&change_type=P0", "allow", ""},
	}
	for _, c := range cases {
		g := f.gate("service=checkout" + c.change)
		if g.Decision != c.want || g.kinds() != c.kinds {
			t.Errorf("change%s: %s %v, want %s", c.change, g.Decision, g.Reasons, c.want)
		}
	}
	// payments has no SLO: its releases pass.
	if g := f.gate("service=payments"); g.Decision != "allow" {
		t.Errorf("payments: %s %v", g.Decision, g.Reasons)
	}
	v, _ := f.status("checkout-availability")
	if !v.Status.Frozen || v.Status.BudgetRemaining > -8.99 || v.Status.BudgetRemaining < -9.01 || strings.Join(v.Status.Exemptions, ",") != "security,p0" {
		t.Errorf("status frozen %v, remaining %v, exemptions %v; want frozen, -9, [security p0]", v.Status.Frozen, v.Status.BudgetRemaining, v.Status.Exemptions)
	}
}

func TestGateIncidents(t *testing.T) {
	f := newSLOFixture(t)
	f.declare("fraud", "SEV2") // a soft dependency
	f.declare("payments", "SEV3")
	if g := f.gate("service=checkout"); g.Decision != "allow" {
		t.Fatalf("with a SEV3 on a hard dependency and a SEV2 on a soft one: %s %v, want allow", g.Decision, g.Reasons)
	}
	id := f.declare("payments", "SEV2")
	g := f.gate("service=checkout")
	if g.Decision != "deny" || g.kinds() != "incident" || !strings.Contains(g.Reasons[0].Message, fmt.Sprintf("SEV2 incident %d is open on hard dependency payments", id)) {
		t.Fatalf("with a SEV2 on a hard dependency: %s %v", g.Decision, g.Reasons)
	}
	if code := f.call("POST", fmt.Sprintf("/api/v1/incidents/%d/resolve", id), adminSecret, map[string]any{}, nil); code != 200 {
		t.Fatalf("resolve = %d", code)
	}
	if g := f.gate("service=checkout"); g.Decision != "allow" {
		t.Errorf("after the SEV2 resolved: %s %v", g.Decision, g.Reasons)
	}
}

// TestGateAtAnswersFromHistory: asked about an instant in the past, the
// gate weighs the incidents open then and the error budget as the data
// received by then left it; about a later instant, those of now.
//
//	Thu 26 Nov 2026 12:00 UTC  a SEV2 opens on payments, a hard dependency of checkout
//	                13:00      it is resolved; an hour of 1% failing (ten budgets) arrives
//	Sat 28 Nov      13:00      now
func TestGateAtAnswersFromHistory(t *testing.T) {
	f := newSLOFixture(t)
	t0 := f.clock.Now()
	id := f.declare("payments", "SEV2")
	f.clock.Add(time.Hour)
	if code := f.call("POST", fmt.Sprintf("/api/v1/incidents/%d/resolve", id), adminSecret, map[string]any{}, nil); code != 200 {
		t.Fatalf("resolve = %d", code)
	}
	batch := map[string]any{"batch_id": "burn", "events": minutesOf(f.clock.Now(), 60, 10)}
	if code := f.call("POST", "/api/v1/slos/checkout-availability/events", adminSecret, batch, nil); code != 202 {
		t.Fatalf("push = %d", code)
	}
	f.clock.Add(48 * time.Hour)
	for _, c := range []struct {
		name  string
		at    time.Time
		kinds string
	}{
		{"before anything", t0.Add(-time.Minute), ""},
		{"while the SEV2 was open, before the data", t0.Add(30 * time.Minute), "incident"},
		{"after the SEV2, as the data arrived", t0.Add(time.Hour + time.Minute), "error_budget"},
		{"now", f.clock.Now(), "error_budget"},
		{"next week: the budget of now", f.clock.Now().Add(7 * 24 * time.Hour), "error_budget"},
	} {
		g := f.gate("service=checkout&at=" + c.at.Format(time.RFC3339))
		want := "allow"
		if c.kinds != "" {
			want = "deny"
		}
		if g.Decision != want || g.kinds() != c.kinds {
			t.Errorf("%s (%s): %s %v, want %s with reasons %q", c.name, c.at.Format(time.RFC3339), g.Decision, g.Reasons, want, c.kinds)
		}
	}
}

// TestGateAtWeighsSeverityOfThen: an incident open at the instant asked
// about weighs with the severity it had then, read from its timeline, not
// the one it has now.
//
//	Thu 26 Nov 2026 12:00 UTC  a SEV3 opens on payments, a hard dependency of checkout
//	                12:20      raised to SEV1
//	                12:40      lowered to SEV2, and still open
//	                14:00      now
func TestGateAtWeighsSeverityOfThen(t *testing.T) {
	f := newSLOFixture(t)
	t0 := f.clock.Now()
	id := f.declare("payments", "SEV3")
	for _, sev := range []string{"SEV1", "SEV2"} {
		f.clock.Add(20 * time.Minute)
		if code := f.call("POST", fmt.Sprintf("/api/v1/incidents/%d/severity", id), adminSecret, map[string]any{"severity": sev}, nil); code != 200 {
			t.Fatalf("severity %s = %d", sev, code)
		}
	}
	f.clock.Set(t0.Add(2 * time.Hour))
	for _, c := range []struct {
		name     string
		at       time.Time
		severity string // of the incident reason; "" for allow
	}{
		{"while SEV3: it did not block then", t0.Add(10 * time.Minute), ""},
		{"while SEV1", t0.Add(30 * time.Minute), "SEV1"},
		{"the instant it was lowered", t0.Add(40 * time.Minute), "SEV2"},
		{"now", f.clock.Now(), "SEV2"},
	} {
		g := f.gate("service=checkout&at=" + c.at.Format(time.RFC3339))
		switch {
		case c.severity == "" && g.Decision != "allow":
			t.Errorf("%s (%s): %s %v, want allow", c.name, c.at.Format(time.RFC3339), g.Decision, g.Reasons)
		case c.severity != "" && (g.Decision != "deny" || g.kinds() != "incident" ||
			!strings.HasPrefix(g.Reasons[0].Message, fmt.Sprintf("%s incident %d is open on hard dependency payments", c.severity, id))):
			t.Errorf("%s (%s): %s %v, want deny for the %s incident", c.name, c.at.Format(time.RFC3339), g.Decision, g.Reasons, c.severity)
		}
	}
}

func TestGateOverride(t *testing.T) {
	f := newSLOFixture(t)
	friday := time.Date(2026, 11, 27, 15, 30, 0, 0, time.UTC) // 16:30 in Berlin
	f.clock.Set(friday)
	bad := []struct {
		name, token string
		body        map[string]any
		want        int
	}{
		{"no reason", aliceToken, map[string]any{"service": "checkout", "expires_in": "2h"}, 400},
		{"blank reason", aliceToken, map[string]any{"service": "checkout", "reason": "  ", "expires_in": "2h"}, 400},
		{"no expiry", aliceToken, map[string]any{"service": "checkout", "reason": "hotfix"}, 400},
		{"expired", aliceToken, map[string]any{"service": "checkout", "reason": "hotfix", "expires_at": friday.Add(-time.Minute)}, 400},
		{"eight days", aliceToken, map[string]any{"service": "checkout", "reason": "hotfix", "expires_in": "8d"}, 400},
		{"both expiries", aliceToken, map[string]any{"service": "checkout", "reason": "hotfix", "expires_in": "2h", "expires_at": friday.Add(time.Hour)}, 400},
		{"bad duration", aliceToken, map[string]any{"service": "checkout", "reason": "hotfix", "expires_in": "soon"}, 400},
		{"unknown service", adminSecret, map[string]any{"service": "nope", "reason": "hotfix", "expires_in": "2h"}, 400},
		{"viewer", viewerSecret, map[string]any{"service": "checkout", "reason": "hotfix", "expires_in": "2h"}, 403},
		{"another team", bobToken, map[string]any{"service": "checkout", "reason": "hotfix", "expires_in": "2h"}, 403},
	}
	for _, b := range bad {
		if code := f.call("POST", "/api/v1/gate/overrides", b.token, b.body, nil); code != b.want {
			t.Errorf("%s: %d, want %d", b.name, code, b.want)
		}
	}
	var created struct {
		ID        int64     `json:"id"`
		ExpiresAt time.Time `json:"expires_at"`
		CreatedBy string    `json:"created_by"`
	}
	if code := f.call("POST", "/api/v1/gate/overrides", aliceToken, map[string]any{"service": "checkout", "reason": "hotfix for INC-7", "expires_in": "2h"}, &created); code != 201 {
		t.Fatalf("create override = %d", code)
	}
	if !created.ExpiresAt.Equal(friday.Add(2*time.Hour)) || created.CreatedBy != "user:alice" {
		t.Errorf("override = %+v, want until 17:30Z by user:alice", created)
	}
	g := f.gate("service=checkout")
	if g.Decision != "allow" || g.kinds() != "freeze" || g.Override == nil || g.Override.ID != created.ID {
		t.Fatalf("during the override: %s %v override %+v; want allow, the freeze still listed, the override", g.Decision, g.Reasons, g.Override)
	}
	d, _ := f.store.GetGateDecision(context.Background(), g.DecisionID)
	if d.OverrideID != created.ID || d.Decision != "allow" {
		t.Errorf("recorded decision %+v, want allow through override %d", d, created.ID)
	}
	// Past its expiry the freeze denies again.
	if g := f.gate("service=checkout&at=2026-11-27T17:31:00Z"); g.Decision != "deny" || g.Override != nil {
		t.Errorf("after the override expired: %s %v", g.Decision, g.Reasons)
	}
	// Another service is not overridden.
	if g := f.gate("service=payments"); g.Decision != "deny" {
		t.Errorf("payments during checkout's override: %s", g.Decision)
	}
	var list struct {
		Overrides []struct {
			ID     int64 `json:"id"`
			Active bool  `json:"active"`
		} `json:"overrides"`
	}
	if code := f.call("GET", "/api/v1/gate/overrides?service=checkout", viewerSecret, nil, &list); code != 200 || len(list.Overrides) != 1 || !list.Overrides[0].Active {
		t.Errorf("overrides = %d %+v", code, list)
	}
	var audit struct {
		Entries []store.AuditEntry `json:"audit_entries"`
	}
	f.call("GET", "/api/v1/audit?kind=gate_override", adminSecret, nil, &audit)
	if len(audit.Entries) != 1 || audit.Entries[0].Actor != "user:alice" || !strings.Contains(audit.Entries[0].Details, "hotfix for INC-7") {
		t.Errorf("audit = %+v, want alice's override", audit.Entries)
	}
}

// TestDeployLinksToGateDecision: a deploy reported as a change event links
// to the decision it names, else to its service's latest of the hour.
func TestDeployLinksToGateDecision(t *testing.T) {
	f := newSLOFixture(t)
	first := f.gate("service=checkout")
	second := f.gate("service=checkout")
	send := func(details map[string]any) {
		t.Helper()
		body := map[string]any{"routing_key": "c0ffee00c0ffee00c0ffee00c0ffee00", "payload": map[string]any{"summary": "deploy v42", "source": "ci", "custom_details": details}}
		if code := f.call("POST", "/v2/change/enqueue", "", body, nil); code != 202 {
			t.Fatalf("change enqueue = %d", code)
		}
	}
	send(map[string]any{"gate_decision_id": first.DecisionID, "commit": "abc"})
	send(nil)
	send(map[string]any{"gate_decision_id": 999999})
	deadline := time.Now().Add(5 * time.Second)
	var list struct {
		Changes []struct {
			Details map[string]any `json:"custom_details"`
		} `json:"changes"`
	}
	for time.Now().Before(deadline) {
		list.Changes = nil // decoding into the maps of the last poll would merge them
		f.call("GET", "/api/v1/changes?service=checkout", viewerSecret, nil, &list)
		if len(list.Changes) == 3 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(list.Changes) != 3 {
		t.Fatalf("%d changes, want 3", len(list.Changes))
	}
	// Newest first.
	unknown, latest, named := list.Changes[0].Details, list.Changes[1].Details, list.Changes[2].Details
	if named["gate_decision_id"] != float64(first.DecisionID) || named["gate_decision"] != "allow" || named["commit"] != "abc" {
		t.Errorf("named decision: details %v, want decision %d", named, first.DecisionID)
	}
	if latest["gate_decision_id"] != float64(second.DecisionID) {
		t.Errorf("unnamed decision: details %v, want the latest, %d", latest, second.DecisionID)
	}
	if _, linked := unknown["gate_decision"]; linked {
		t.Errorf("an unknown decision id was linked: %v", unknown)
	}
	// An hour later nothing links.
	f.clock.Set(sloNow.Add(61 * time.Minute))
	late := ingest.ChangeEvent{Summary: "late deploy"}
	late.Details = f.srv.gate.LinkDeploy(context.Background(), "checkout", late.Details, nil)
	if late.Details != nil {
		t.Errorf("a deploy an hour after the decision linked to it: %v", late.Details)
	}
}

// BenchmarkSLOPush measures the push endpoint end to end over HTTP on
// SQLite: batches of minute points, each stored durably and counted.
func BenchmarkSLOPush(b *testing.B) {
	for _, size := range []int{60, 1000} {
		b.Run(fmt.Sprintf("points=%d", size), func(b *testing.B) {
			f := startSLOServer(b)
			events := minutesOf(sloNow, size, 1)
			i := 0
			for b.Loop() {
				i++
				body, _ := json.Marshal(map[string]any{"batch_id": fmt.Sprintf("b%d", i), "events": events})
				req, _ := http.NewRequest("POST", f.http.URL+"/api/v1/slos/checkout-availability/events", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+adminSecret)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 202 {
					b.Fatalf("push = %d", resp.StatusCode)
				}
			}
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "points/s")
		})
	}
}

// TestIncidentBudgetShare: an incident during which 300 of the window's
// 60,000 events failed consumed five budgets (60 events allowed at 99.9%)
// and is flagged for a post-mortem; one resolved before the failures
// consumed nothing.
func TestIncidentBudgetShare(t *testing.T) {
	f := newSLOFixture(t)
	// The clock only moves forward: the API's rate limiters refill by it.
	now := sloNow.Add(time.Hour)
	f.clock.Set(now.Add(-50 * time.Minute))
	quiet := f.declare("checkout", "SEV3")
	f.clock.Set(now.Add(-40 * time.Minute))
	if code := f.call("POST", fmt.Sprintf("/api/v1/incidents/%d/resolve", quiet), adminSecret, map[string]any{}, nil); code != 200 {
		t.Fatalf("resolve = %d", code)
	}
	f.clock.Set(now.Add(-30 * time.Minute))
	burning := f.declare("checkout", "SEV2")
	f.clock.Set(now)
	for i, batch := range []map[string]any{
		{"batch_id": "clean", "events": minutesOf(now.Add(-30*time.Minute), 30, 0)},
		{"batch_id": "burn", "events": minutesOf(now, 30, 10)},
	} {
		if code := f.call("POST", "/api/v1/slos/checkout-availability/events", adminSecret, batch, nil); code != 202 {
			t.Fatalf("push %d = %d", i, code)
		}
	}
	v, _ := f.status("checkout-availability")
	shares := map[int64]incidentShare{}
	for _, inc := range v.Incidents {
		shares[inc.ID] = inc
	}
	if s, ok := shares[burning]; !ok || s.BudgetShare != 5 || !s.NeedsPostmortem {
		t.Errorf("the burning incident: %+v (found %v), want share 5 and a post-mortem", s, ok)
	}
	if s, ok := shares[quiet]; !ok || s.BudgetShare != 0 || s.NeedsPostmortem {
		t.Errorf("the quiet incident: %+v (found %v), want share 0", s, ok)
	}
}
