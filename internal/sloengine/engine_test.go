package sloengine

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/vigiltest/testdb"

	"github.com/vigil-oncall/vigil/internal/vigiltest"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/org"
	"github.com/vigil-oncall/vigil/internal/pipeline"
	"github.com/vigil-oncall/vigil/internal/slo"
	"github.com/vigil-oncall/vigil/internal/slo/slotest"
	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/store/sqlite"
)

// orgYAML is a small organisation with one pushed SLO on checkout: 99.9%
// over 30 days, so the page-1h tier fires above a burn rate of 14.4.
var orgYAML = testdb.Shop + `services:
  - {id: checkout, name: Checkout, owner: shop}
---
` + slotest.Edit(slotest.CheckoutAvailability, slotest.Over30Days...)

type fixture struct {
	store  *sqlite.Store
	org    *org.Manager
	pipe   *pipeline.Pipeline
	engine *Engine
	clock  *vigiltest.ManualClock
}

var t0 = time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)

func newFixture(t *testing.T, yaml string) *fixture {
	t.Helper()
	st := testdb.SQLite(t)
	clk := vigiltest.NewManualClock(t0)
	m := testdb.Org(t, st, clk.Now, yaml)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	pipe := pipeline.New(pipeline.Options{Store: st, Org: m, Now: clk.Now, Logger: logger})
	e := New(Options{
		Store: st,
		SLOs:  func() []slo.SLO { return m.Snapshot().SLOs() },
		// The inbox append is what pipeline.Accept commits; tests process
		// the inbox themselves, step by step.
		Accept: func(ctx context.Context, events ...store.InboxEvent) error { return st.AppendInbox(ctx, events) },
		Now:    clk.Now,
		Logger: logger,
	})
	return &fixture{store: st, org: m, pipe: pipe, engine: e, clock: clk}
}

// push stores one batch of minute points as the API does.
func (f *fixture) push(t *testing.T, batch string, points []store.SLOPoint) {
	t.Helper()
	ctx := context.Background()
	added, err := f.store.AddSLOBatch(ctx, "checkout-availability", batch, points, f.clock.Now())
	if err != nil || !added {
		t.Fatalf("AddSLOBatch = %v, %v", added, err)
	}
}

func (f *fixture) tick(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if err := f.engine.Tick(ctx, f.clock.Now()); err != nil {
		t.Fatalf("Tick: %v", err)
	}
	for {
		n, err := f.pipe.Processor.RunOnce(ctx)
		if err != nil {
			t.Fatalf("ProcessInbox: %v", err)
		}
		if n == 0 {
			return
		}
	}
}

// minutes returns one point a minute for minutes (from, to] after t0 with
// bad of 1,000 requests failing.
func minutes(from, to int, bad float64) []store.SLOPoint {
	var out []store.SLOPoint
	for m := from + 1; m <= to; m++ {
		out = append(out, store.SLOPoint{At: t0.Add(time.Duration(m) * time.Minute), Good: 1000 - bad, Total: 1000})
	}
	return out
}

// TestBurnPagesThenResolves: an hour of clean traffic, then 2% of requests
// fail (burn rate 20) from minute 60. At minute 61 one minute burns: the
// last hour burns at 20/60 ≈ 0.33 and the last 5 minutes at 4, below every
// tier. By minute 120 the last hour burns at 20, above page-1h's 14.4 over
// both 1h and 5m: a page, so an incident opens with high urgency. The
// failures stop at minute 120. At minute 127 page-1h has stopped (its last
// 5 minutes are clean) but page-6h still fires (the last 30 minutes burn at
// 21×20/30 = 14 > 6): the alert stays. Six hours later every short window,
// the longest being ticket-3d's 6h, is clean: the alert, and with it the
// incident, resolves.
func TestBurnPagesThenResolves(t *testing.T) {
	f := newFixture(t, orgYAML)
	ctx := context.Background()
	f.push(t, "clean", minutes(0, 60, 0))
	f.clock.Set(t0.Add(61 * time.Minute))
	f.push(t, "burn-1", minutes(60, 61, 20))
	f.tick(t)
	if incs, _ := f.store.ListIncidents(ctx, store.IncidentQuery{}); len(incs) != 0 {
		t.Fatalf("%d incidents after one burning minute, want none", len(incs))
	}

	f.clock.Set(t0.Add(120 * time.Minute))
	f.push(t, "burn-2", minutes(61, 120, 20))
	f.tick(t)
	incs, err := f.store.ListIncidents(ctx, store.IncidentQuery{})
	if err != nil || len(incs) != 1 {
		t.Fatalf("incidents = %v, %v; want one", incs, err)
	}
	inc := incs[0]
	if inc.Urgency != alert.UrgencyHigh || inc.Service != "checkout" || !inc.Open() {
		t.Fatalf("incident = %+v, want an open high-urgency incident on checkout", inc)
	}
	alerts, _ := f.store.ListAlerts(ctx, store.AlertQuery{DedupKey: "slo:checkout-availability"})
	if len(alerts) != 1 || alerts[0].Severity != alert.SeverityCritical || alerts[0].IntegrationKey != "slo:checkout-availability" {
		t.Fatalf("alerts = %+v, want one critical alert keyed by the SLO", alerts)
	}
	var details map[string]any
	if err := json.Unmarshal(alerts[0].Details, &details); err != nil {
		t.Fatal(err)
	}
	// Over the last hour 20 of 1,000 fail: 2% against a 0.1% budget is burn
	// rate 20. The window holds 120,000 events with 1,200 bad, an error
	// ratio of 1%: 10 budgets consumed, 9 too many, so the budget remaining
	// is −9 and nothing is left to exhaust.
	if details["tier"] != "page-1h" || details["burn_rate"] != 20.0 || details["budget_remaining"] != -9.0 ||
		details["time_to_exhaustion"] != "0s" || details["urgency"] != "high" {
		t.Errorf("details = %v, want tier page-1h, burn rate 20, budget remaining -9, exhausted, high urgency", details)
	}

	// A second tick while burning sends nothing new.
	f.clock.Set(t0.Add(121 * time.Minute))
	f.push(t, "burn-3", minutes(120, 121, 20))
	f.tick(t)
	if alerts, _ := f.store.ListAlerts(ctx, store.AlertQuery{DedupKey: "slo:checkout-availability"}); len(alerts) != 1 || alerts[0].Count != 1 {
		t.Fatalf("alerts after a second burning tick = %+v, want the one alert, count 1", alerts)
	}

	f.clock.Set(t0.Add(127 * time.Minute))
	f.push(t, "clean-2", minutes(121, 127, 0))
	f.tick(t)
	if got, _ := f.store.GetIncident(ctx, inc.ID); !got.Open() {
		t.Fatalf("incident resolved at minute 127 while page-6h still fires")
	}

	f.clock.Set(t0.Add(482 * time.Minute))
	f.push(t, "clean-3", minutes(127, 482, 0))
	f.tick(t)
	got, err := f.store.GetIncident(ctx, inc.ID)
	if err != nil || got.Open() {
		t.Fatalf("incident after the burn stopped = %+v, %v; want resolved", got, err)
	}
	alerts, _ = f.store.ListAlerts(ctx, store.AlertQuery{DedupKey: "slo:checkout-availability"})
	if len(alerts) != 1 || alerts[0].Status != alert.StatusResolved {
		t.Fatalf("alerts = %+v, want the one alert resolved", alerts)
	}
}

// TestPushPagesAtOnce: the burn of TestBurnPagesThenResolves, its data
// handed over by the push endpoint (Added) at minute 120 with no cycle
// after it: the page is raised by the push itself. A cycle that began
// before the push, at minute 61 (when the last hour held one burning
// minute), cannot resolve it: alerts are evaluated at the latest instant
// seen.
func TestPushPagesAtOnce(t *testing.T) {
	f := newFixture(t, orgYAML)
	ctx := context.Background()
	f.push(t, "clean", minutes(0, 60, 0))
	f.clock.Set(t0.Add(60 * time.Minute))
	f.tick(t)
	f.clock.Set(t0.Add(120 * time.Minute))
	burn := minutes(60, 120, 20)
	if _, err := f.store.AddSLOBatch(ctx, "checkout-availability", "burn", burn, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := f.engine.Added(ctx, burn); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pipe.Processor.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	incs, err := f.store.ListIncidents(ctx, store.IncidentQuery{})
	if err != nil || len(incs) != 1 || incs[0].Urgency != alert.UrgencyHigh || !incs[0].Open() {
		t.Fatalf("incidents after the push = %+v, %v; want one open high-urgency incident", incs, err)
	}

	if err := f.engine.Tick(ctx, t0.Add(61*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pipe.Processor.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	alerts, _ := f.store.ListAlerts(ctx, store.AlertQuery{DedupKey: "slo:checkout-availability"})
	if len(alerts) != 1 || alerts[0].Status == alert.StatusResolved || alerts[0].Count != 1 {
		t.Fatalf("alerts after an older cycle = %+v, want the one alert, open, count 1", alerts)
	}

	// Points of another SLO, or repeated, evaluate nothing.
	if err := f.engine.Added(ctx, burn); err != nil {
		t.Fatal(err)
	}
	if n, err := f.store.InboxBacklog(ctx); err != nil || n != 0 {
		t.Errorf("inbox after repeated points = %d, %v; want nothing sent", n, err)
	}
}

// TestTicketThenPage: a slow burn files a low-urgency ticket; when it turns
// into a fast burn the ticket is closed and a page opens.
func TestTicketThenPage(t *testing.T) {
	f := newFixture(t, orgYAML)
	ctx := context.Background()
	// 0.5% failing for a day: burn rate 5 over 1d and 2h, above
	// ticket-1d's 3 and below page-6h's 6.
	day := 24 * 60
	f.clock.Set(t0.Add(time.Duration(day) * time.Minute))
	f.push(t, "slow", minutes(0, day, 5))
	f.tick(t)
	incs, _ := f.store.ListIncidents(ctx, store.IncidentQuery{})
	if len(incs) != 1 || incs[0].Urgency != alert.UrgencyLow {
		t.Fatalf("incidents after a slow burn = %+v, want one low-urgency incident", incs)
	}
	// Then 5% failing for an hour: burn rate 50 over 1h and 5m.
	f.clock.Set(t0.Add(time.Duration(day+60) * time.Minute))
	f.push(t, "fast", minutes(day, day+60, 50))
	f.tick(t)
	alerts, _ := f.store.ListAlerts(ctx, store.AlertQuery{DedupKey: "slo:checkout-availability"})
	if len(alerts) != 2 {
		t.Fatalf("alerts = %+v, want the ticket and the page", alerts)
	}
	page, ticket := alerts[0], alerts[1] // newest first
	if page.Severity != alert.SeverityCritical || page.Status == alert.StatusResolved {
		t.Errorf("page alert = %+v, want open and critical", page)
	}
	if ticket.Severity != alert.SeverityWarning || ticket.Status != alert.StatusResolved {
		t.Errorf("ticket alert = %+v, want resolved warning", ticket)
	}
	inc, _ := f.store.GetIncident(ctx, page.IncidentID)
	if inc.Urgency != alert.UrgencyHigh {
		t.Errorf("the page's incident has urgency %s, want high", inc.Urgency)
	}
}

// pushAndHandOver stores points as the push endpoint does and hands them
// over to the engine.
func (f *fixture) pushAndHandOver(t *testing.T, source string, points []store.SLOPoint) {
	t.Helper()
	ctx := context.Background()
	if _, err := f.store.AddSLOBatch(ctx, "checkout-availability", source, points, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := f.engine.Added(ctx, points); err != nil {
		t.Fatal(err)
	}
}

// TestPointsReachTheEngineOnce: points added by the push endpoint and read
// again by the poll count once; points another replica stored are read by
// the poll; a fresh engine loads the window from the store.
func TestPointsReachTheEngineOnce(t *testing.T) {
	f := newFixture(t, orgYAML)
	ctx := context.Background()
	f.tick(t)
	f.pushAndHandOver(t, "local", minutes(0, 10, 1))
	// Stored by another replica: only the poll sees it.
	f.push(t, "remote", minutes(10, 20, 2))
	f.clock.Set(t0.Add(20 * time.Minute))
	f.tick(t)
	f.clock.Set(t0.Add(21 * time.Minute))
	f.tick(t)
	check := func(e *Engine) {
		t.Helper()
		v, ok, err := e.Status(ctx, "checkout-availability", t0.Add(21*time.Minute))
		if err != nil || !ok {
			t.Fatalf("Status = %v, %v", ok, err)
		}
		// 20 minutes of 1,000 events: 10 with 1 bad, 10 with 2 bad.
		if v.Status.Total != 20000 || v.Status.Good != 20000-30 {
			t.Errorf("total %v good %v, want 20000 and 19970", v.Status.Total, v.Status.Good)
		}
	}
	check(f.engine)
	fresh := New(Options{Store: f.store, SLOs: f.engine.slos, Now: f.clock.Now})
	check(fresh)
}

// lowerObjective applies orgYAML with the SLO's objective lowered from
// 99.9% to 99%.
func (f *fixture) lowerObjective(t *testing.T) {
	t.Helper()
	changed := config.LoadBytes("org.yaml", []byte(orgYAML[:len(orgYAML)-len("target: 0.999}]\n")]+"target: 0.99}]\n"))
	if len(changed.Problems) > 0 {
		t.Fatal(changed.Problems)
	}
	if _, err := f.org.Apply(context.Background(), &changed.Bundle, "test", false); err != nil {
		t.Fatal(err)
	}
}

// status is the SLO's status now.
func (f *fixture) status(t *testing.T) View {
	t.Helper()
	v, _, err := f.engine.Status(context.Background(), "checkout-availability", f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestDefinitionChange: a changed objective keeps the pushed points (they
// are read again) and uses the new objective; points handed over by the
// push endpoint after the definition changed, before the engine followed the
// change, count under the new definition.
func TestDefinitionChange(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after bool // the second half of the points arrives after the change
		check func(s slo.Status) bool
		want  string
	}{
		{"StartsAfresh", false, func(s slo.Status) bool {
			// 10 bad of 10,000 is 0.1%: a tenth of the 1% budget.
			return s.Objective == 0.99 && s.Total == 10000 && s.BudgetConsumed > 0.0999 && s.BudgetConsumed < 0.1001
		}, "objective 0.99, total 10000, consumed 0.1"},
		{"AddedAfterwards", true, func(s slo.Status) bool {
			return s.Objective == 0.99 && s.Total == 10000 && s.Good == 10000-10
		}, "objective 0.99, total 10000, good 9990"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, orgYAML)
			f.clock.Set(t0.Add(10 * time.Minute))
			if !tc.after {
				f.push(t, "b", minutes(0, 10, 1))
			} else {
				f.push(t, "a", minutes(0, 5, 1))
			}
			f.tick(t)
			f.lowerObjective(t)
			if tc.after {
				f.pushAndHandOver(t, "b", minutes(5, 10, 1))
			}
			if s := f.status(t).Status; !tc.check(s) {
				t.Errorf("objective %v, total %v, good %v, consumed %v; want %s", s.Objective, s.Total, s.Good, s.BudgetConsumed, tc.want)
			}
		})
	}
}
