package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/escalation"
	"github.com/vigil-oncall/vigil/internal/incident"
	"github.com/vigil-oncall/vigil/internal/ingest"
	"github.com/vigil-oncall/vigil/internal/report"
	"github.com/vigil-oncall/vigil/internal/schedule"
	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/postgres/pgtest"
	"github.com/vigil-oncall/vigil/internal/vigiltest"
)

// reportsBundle: payments (Germany) with alice in Berlin and kenji in
// Tokyo runs checkout; its policy pages both at once, then gina, the
// global IRT in New York (United States), after 30 minutes. org.costs is
// config.md's example.
func reportsBundle(hook string) *config.Bundle {
	noNotices := false // the hook receives pages alone: the reports count them
	user := func(id, zone string) catalog.User {
		return catalog.User{ID: id, TimeZone: zone, ContactMethods: []catalog.ContactMethod{{ID: id + "-hook", Type: "webhook", URL: hook + "/" + id}},
			NotificationRules: []catalog.NotificationRule{{ContactMethod: id + "-hook"}}, ActionNotices: &noNotices}
	}
	return &config.Bundle{
		Org: catalog.Org{Costs: &catalog.Costs{Currency: "EUR", StandbyPerHour: 2.5, PerInterruption: 15, OffHoursMultiplier: 1.5, SleepMultiplier: 3,
			HolidayMultiplier: 2, ResponsePerHour: map[string]float64{"commander": 120, "responder": 80, "comms": 60, "scribe": 60}}},
		Users: []catalog.User{user("alice", "Europe/Berlin"), user("kenji", "Asia/Tokyo"), user("gina", "America/New_York")},
		Teams: []catalog.Team{
			{ID: "payments", Kind: "dev", TimeZone: "Europe/Berlin", Country: "DE", Members: []string{"alice", "kenji"}, EscalationPolicy: "payments-default"},
			{ID: "irt", Kind: "global-irt", TimeZone: "America/New_York", Country: "US", Members: []string{"gina"}},
		},
		Schedules: []schedule.Schedule{{ID: "payments-primary", TimeZone: "Europe/Berlin", Layers: []schedule.Layer{
			{ID: "weekly", Users: []string{"alice"}, Rotation: schedule.Rotation{Every: "1w"}, Start: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)},
		}}},
		EscalationPolicies: []escalation.Policy{{ID: "payments-default", Steps: []escalation.Step{
			{Targets: []escalation.Target{{User: "kenji"}, {User: "alice"}, {Schedule: "payments-primary"}}, EscalateAfter: mustDuration("30m")},
			{Targets: []escalation.Target{{User: "gina"}}, EscalateAfter: mustDuration("30m")},
		}}},
		Services: []catalog.Service{{ID: "checkout", Owner: "payments", Integrations: []catalog.Integration{{Type: "pagerduty", Key: checkoutKey}}}},
	}
}

// reportsFixture runs the pipeline by hand on a pinned clock: each event
// and action happens at the instant the test sets.
type reportsFixture struct {
	*fixture
	ctx   context.Context
	pages chan string
}

func newReportsFixture(t *testing.T, dsn string) *reportsFixture {
	pages := make(chan string, 100)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Pages only: the notices that tell responders when others act
		// reach the same hook.
		var msg struct {
			Kind string `json:"kind"`
		}
		if err := json.NewDecoder(r.Body).Decode(&msg); err == nil && msg.Kind == "page" {
			pages <- strings.TrimPrefix(r.URL.Path, "/")
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hook.Close)
	f := startFixture(t, fixtureOptions{dsn: dsn, start: vigiltest.Instant(t, "2026-03-03T18:00:00Z"), users: []string{"alice", "kenji", "gina"},
		bundle: reportsBundle(hook.URL), byHand: true})
	return &reportsFixture{fixture: f, ctx: context.Background(), pages: pages}
}

// event sends a PagerDuty event for checkout at the clock's instant and
// runs the pipeline until it is idle.
func (f *reportsFixture) event(action ingest.Action, dedup string) {
	f.t.Helper()
	body, _ := json.Marshal(ingest.Event{Action: action, DedupKey: dedup, Summary: "checkout down " + dedup, Source: "web-1", Severity: alert.SeverityCritical})
	if err := f.store.AppendInbox(f.ctx, []store.InboxEvent{{ReceivedAt: f.clock.Now(), Kind: store.InboxAlert, IntegrationKey: checkoutKey, Service: "checkout", Payload: body}}); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.pipe.Processor.RunOnce(f.ctx); err != nil {
		f.t.Fatal(err)
	}
	f.settle()
}

func (f *reportsFixture) at(s string) { f.clock.Set(vigiltest.Instant(f.t, s)) }

func (f *reportsFixture) act(id int64, verb, user string, body any) {
	f.t.Helper()
	if code := f.call("POST", fmt.Sprintf("/api/v1/incidents/%d/%s", id, verb), tokenOf(user), body, nil); code != http.StatusOK {
		f.t.Fatalf("%s incident %d as %s: %d", verb, id, user, code)
	}
}

// history plays the hand-worked year: three incidents on checkout.
//
//  1. Tuesday 3 March, 18:00 UTC: kenji (03:00 Wednesday in Tokyo: sleep)
//     and alice (19:00 in Berlin: off) are paged; a repeated trigger at
//     18:05 pages nobody again. Alice acknowledges at 18:10, gina takes
//     command at 18:20, alice resolves with a note at 19:00.
//  2. Sunday 29 March, the night Berlin springs forward, 06:30 UTC: alice
//     (08:30 CEST: off, where 07:30 on winter time would be sleep) and kenji
//     (15:30, Sunday: off). Kenji acknowledges at 06:35; the monitoring
//     resolves it at 06:45.
//  3. Christmas Day, 09:00 UTC: alice (10:00, Friday: business, on a German
//     holiday), kenji (18:00 in Tokyo: off, a holiday of his German team).
//     Nobody acknowledges: at 09:30 gina is paged (04:30 in New York:
//     sleep, on a US holiday). It stays open.
func (f *reportsFixture) history() {
	f.t.Helper()
	f.event(ingest.ActionTrigger, "one")
	f.at("2026-03-03T18:05:00Z")
	f.event(ingest.ActionTrigger, "one")
	f.at("2026-03-03T18:10:00Z")
	f.act(1, "acknowledge", "alice", nil)
	f.at("2026-03-03T18:20:00Z")
	f.act(1, "roles", "alice", map[string]string{"role": "commander", "user": "gina"})
	f.at("2026-03-03T19:00:00Z")
	f.act(1, "resolve", "alice", map[string]string{"note": "rolled back"})

	f.at("2026-03-29T06:30:00Z")
	f.event(ingest.ActionTrigger, "two")
	f.at("2026-03-29T06:35:00Z")
	f.act(2, "acknowledge", "kenji", nil)
	f.at("2026-03-29T06:45:00Z")
	f.event(ingest.ActionResolve, "two")

	f.at("2026-12-25T09:00:00Z")
	f.event(ingest.ActionTrigger, "three")
	f.act(3, "impact", "alice", map[string]bool{"customer_impact": true})
	f.at("2026-12-25T09:30:00Z")
	f.settle()
	f.at("2026-12-25T10:00:00Z")

	// Alice was on call on payments-primary from 24 December, 00:00 in
	// Berlin, on: 35 hours until now, 11 of them on Christmas Day.
	if err := f.store.Update(f.ctx, func(tx store.Tx) error {
		return tx.InsertServedShifts(&store.ServedShift{Schedule: "payments-primary", User: "alice", Layer: "weekly",
			Start: vigiltest.Instant(f.t, "2026-12-23T23:00:00Z"), End: vigiltest.Instant(f.t, "2026-12-26T23:00:00Z"), TimeZone: "Europe/Berlin"})
	}); err != nil {
		f.t.Fatal(err)
	}
}

// The reports through the API, on both store backends, from a history
// made by the real pipeline: pages, acknowledgements, roles and
// resolutions as they happen.
func TestReports(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testReports(t, newReportsFixture(t, "")) })
	t.Run("postgres", func(t *testing.T) { testReports(t, newReportsFixture(t, pgtest.Schema(t))) })
}

// getReport reads the report name as the viewer, with the query; the test
// ends unless the report is answered.
func (f *reportsFixture) getReport(name, query string, out any) {
	f.t.Helper()
	if code := f.call("GET", "/api/v1/reports/"+name+query, f.viewer, nil, out); code != http.StatusOK {
		f.t.Fatalf("%s: %d", name, code)
	}
}

// wantByKey checks a report's rows, each read as a key and a value by kv,
// against want.
func wantByKey[T, V any](t *testing.T, what string, rows []T, kv func(T) (string, V), want map[string]V) {
	t.Helper()
	got := map[string]V{}
	for _, row := range rows {
		k, v := kv(row)
		got[k] = v
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}

func testReports(t *testing.T, f *reportsFixture) {
	f.history()
	if n := len(f.pages); n != 7 {
		t.Errorf("the hook was called %d times, want 7 pages", n)
	}
	const period = "?from=2026-03-01&to=2027-01-01"

	var in report.Interruptions
	f.getReport("interruptions", period, &in)
	wantByKey(t, "interruptions per person", in.People, func(p report.PersonInterruptions) (string, report.Counts) { return p.User, p.Counts },
		map[string]report.Counts{
			"alice": {Business: 1, Off: 2, Total: 3, Holiday: 1},
			"kenji": {Off: 2, Sleep: 1, Total: 3, Holiday: 1},
			"gina":  {Sleep: 1, Total: 1, Holiday: 1},
		})
	wantByKey(t, "interruptions per team", in.Teams, func(tm report.TeamInterruptions) (string, report.Counts) { return tm.Team, tm.Counts },
		map[string]report.Counts{"payments": {Business: 1, Off: 4, Sleep: 1, Total: 6, Holiday: 2}, "irt": {Sleep: 1, Total: 1, Holiday: 1}})
	if !in.From.Equal(vigiltest.Instant(t, "2026-03-01T00:00:00Z")) || len(in.Weeks) != 45 {
		t.Errorf("from %v, %d weeks", in.From, len(in.Weeks))
	}

	var resp report.Response
	f.getReport("response", period, &resp)
	if len(resp.Services) != 1 {
		t.Fatalf("response services: %+v", resp.Services)
	}
	co := resp.Services[0]
	// TTA 600 and 300 s, TTR 3600 and 900 s; the third is open.
	if co.Incidents != 3 || co.Acknowledged != 2 || co.Resolved != 2 || *co.MTTA != (report.Times{Median: 450, P90: 570, Mean: 450}) ||
		*co.MTTR != (report.Times{Median: 2250, P90: 3330, Mean: 2250}) || co.EscalationRate != 0.3333 || co.AcknowledgedBy.Owner != 1 {
		t.Errorf("checkout: %+v, MTTA %+v, MTTR %+v", co, co.MTTA, co.MTTR)
	}

	var cost report.CostReport
	f.getReport("cost", period, &cost)
	wantByKey(t, "cost per person", cost.People, func(p report.PersonCost) (string, report.Money) { return p.User, p.Cost },
		map[string]report.Money{
			// Standby 2.5 × (24 + 11 × 2); pages off 22.5 + 22.5 + business on
			// a holiday 30; responder 18:10-19:00, 50 min × 80.
			"alice": {Standby: 115, Interruptions: 75, Response: 66.67, Total: 256.67},
			// Sleep 45 + off 22.5 + off on a holiday 45; responder 06:35-06:45.
			"kenji": {Interruptions: 112.5, Response: 13.33, Total: 125.83},
			// Sleep on a holiday 90; commander 18:20-19:00, 40 min × 120.
			"gina": {Interruptions: 90, Response: 80, Total: 170},
		})
	if cost.Total.Cost.Total != 552.5 || cost.Rates.Currency != "EUR" || len(cost.Method) == 0 {
		t.Errorf("cost total %+v, rates %+v", cost.Total.Cost, cost.Rates)
	}

	var toil report.Toil
	f.getReport("toil", period, &toil)
	if toil.Total.AcknowledgedByHand != 2 || toil.Total.ResolvedByHand != 1 || toil.Total.SelfResolvedAcknowledged != 1 ||
		toil.Total.ClosedWithoutNote != 0 || toil.Total.RepeatAlerts != 1 || toil.Total.ManualActions != 3 {
		t.Errorf("toil total: %+v", toil.Total)
	}

	var inc incident.Incident
	f.call("GET", "/api/v1/incidents/3", f.viewer, nil, &inc)
	if !inc.CustomerImpact || !inc.Escalated {
		t.Errorf("incident 3: customer impact %v, escalated %v", inc.CustomerImpact, inc.Escalated)
	}

	var cov report.Coverage
	f.getReport("coverage", "?from=2026-12-24&to=2026-12-25&team=payments", &cov)
	if len(cov.Teams) != 1 || !cov.Teams[0].AlwaysCovered || cov.Teams[0].Verdict != report.VerdictHeldNotNeeded || len(cov.People) != 1 || cov.People[0].NightHours != 10 {
		t.Errorf("coverage: %+v", cov)
	}

	// Incident 3 has waited an hour for an acknowledgement, now: not the
	// week to the period's end.
	var uv report.UnclearValue
	f.getReport("unclear-value", period, &uv)
	for _, s := range uv.Signals {
		if s.Kind == report.SignalUnnoticed {
			t.Errorf("unclear-value counts time still to come: %+v", s)
		}
	}
	if !uv.To.Equal(vigiltest.Instant(t, "2027-01-01T00:00:00Z")) {
		t.Errorf("unclear-value to %v, want the period asked for", uv.To)
	}

	for _, name := range report.Names {
		var body map[string]any
		if code := f.call("GET", "/api/v1/reports/"+name+period+"&team=payments", f.viewer, nil, &body); code != http.StatusOK || body["team"] != "payments" {
			t.Errorf("%s for payments: %d %v", name, code, body["team"])
		}
	}
}

func TestReportRequests(t *testing.T) {
	f := newReportsFixture(t, "")
	for _, c := range []struct {
		path, token string
		want        int
	}{
		{"/api/v1/reports/interruptions", "", http.StatusUnauthorized},
		{"/api/v1/reports/interruptions", "wrong-token-0123456789", http.StatusUnauthorized},
		{"/api/v1/reports/interruptions", f.viewer, http.StatusOK},
		{"/api/v1/reports/nope", f.viewer, http.StatusNotFound},
		{"/api/v1/reports/interruptions?team=nobody", f.viewer, http.StatusNotFound},
		{"/api/v1/reports/interruptions?from=yesterday", f.viewer, http.StatusBadRequest},
		{"/api/v1/reports/interruptions?from=2026-03-02&to=2026-03-01", f.viewer, http.StatusBadRequest},
		{"/api/v1/reports/interruptions?from=2026-03-01&to=2026-03-01", f.viewer, http.StatusBadRequest},
		{"/api/v1/reports/interruptions?from=2020-01-01&to=2026-03-01", f.viewer, http.StatusBadRequest},
		{"/api/v1/reports/cost?to=2026-03-01T00:00:00%2B09:00", f.viewer, http.StatusOK},
		{"/api/v1/reports/risks?team=%00", f.viewer, http.StatusBadRequest},
	} {
		if code := f.call("GET", c.path, c.token, nil, nil); code != c.want {
			t.Errorf("GET %s: %d, want %d", c.path, code, c.want)
		}
	}
	// The default period is the 30 days to now.
	var in report.Interruptions
	f.call("GET", "/api/v1/reports/interruptions", f.viewer, nil, &in)
	if !in.To.Equal(f.clock.Now()) || in.To.Sub(in.From) != 30*24*time.Hour {
		t.Errorf("default period %v to %v", in.From, in.To)
	}
}
