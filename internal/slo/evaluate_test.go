package slo

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/duration"
)

// rolling30 is an SLO of 99.9% over a rolling 30 days with the workbook's
// tiers: a budget of 0.001 of the events.
func rolling30() SLO {
	return SLO{
		Name:      "checkout-availability",
		Service:   "checkout",
		Objective: 0.999,
		Window:    Window{Rolling: true, Duration: dur(30 * duration.Day)},
		Budgeting: Budgeting{Method: Occurrences},
		Indicator: Indicator{Kind: RatioGood, Source: SourcePush},
		Tiers:     DefaultTiers(30 * duration.Day),
		MinEvents: DefaultMinEvents,
	}
}

var now = time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)

// fill adds, for every minute ending in (from, to], total events of which
// bad are bad.
func fill(s *Series, from, to time.Time, total, bad float64) {
	for t := from.Add(time.Minute); !t.After(to); t = t.Add(time.Minute) {
		s.Add(Point{At: t, Good: total - bad, Total: total})
	}
}

func newSeries(s SLO) *Series { return NewSeries(time.Minute, SpanFor(s)) }

func TestBudgetArithmetic(t *testing.T) {
	s := rolling30()
	series := newSeries(s)
	// 1,000,000 events in 30 days, 400 of them bad, in ten minutes of
	// 100,000 events each, days apart; four of those minutes have 100 bad.
	for i := 0; i < 10; i++ {
		bad := 0.0
		if i < 4 {
			bad = 100
		}
		series.Add(Point{At: now.Add(-time.Duration(i*3+1) * 24 * time.Hour), Good: 100_000 - bad, Total: 100_000})
	}
	st := Evaluate(s, series, now)
	// Budget: 1 − 0.999 = 0.001 of 1,000,000 = 1,000 bad events.
	// Consumed: (400 / 1,000,000) / 0.001 = 0.4; remaining 1 − 0.4 = 0.6.
	// SLI: 999,600 / 1,000,000 = 0.9996.
	if st.NoData || st.Total != 1_000_000 || st.Good != 999_600 {
		t.Fatalf("counts: no data %v, good %v of %v", st.NoData, st.Good, st.Total)
	}
	check(t, "SLI", st.SLI, 0.9996)
	check(t, "error budget", st.ErrorBudget, 0.001)
	check(t, "consumed", st.BudgetConsumed, 0.4)
	check(t, "remaining", st.BudgetRemaining, 0.6)
	if st.Frozen || st.Firing != nil || st.TimeToExhaustion != nil {
		t.Errorf("frozen %v, firing %+v, time to exhaustion %v; want none", st.Frozen, st.Firing, st.TimeToExhaustion)
	}
}

func TestRatioOfSumsNotAverageOfRatios(t *testing.T) {
	s := rolling30()
	series := newSeries(s)
	// A quiet minute with 1 bad of 2 and a busy one with 0 bad of 998:
	// the average of the two ratios would be 25%, the ratio of sums is
	// 1 / 1,000 = 0.1%, exactly the budget: consumed 1, remaining 0.
	series.Add(Point{At: now.Add(-2 * time.Hour), Good: 1, Total: 2})
	series.Add(Point{At: now.Add(-3 * time.Hour), Good: 998, Total: 998})
	st := Evaluate(s, series, now)
	check(t, "SLI", st.SLI, 0.999)
	check(t, "remaining", st.BudgetRemaining, 0)
	if !st.Frozen {
		t.Error("a spent budget (remaining 0 ≤ freeze-below 0) should freeze releases")
	}
}

func TestOverspentBudgetGoesNegative(t *testing.T) {
	s := rolling30()
	series := newSeries(s)
	// 3 bad of 1,000: error ratio 0.003, three budgets: consumed 3,
	// remaining −2.
	series.Add(Point{At: now.Add(-50 * time.Hour), Good: 997, Total: 1000})
	st := Evaluate(s, series, now)
	check(t, "remaining", st.BudgetRemaining, -2)
	if !st.Frozen {
		t.Error("an overspent budget should freeze releases")
	}
	if st.TimeToExhaustion != nil {
		t.Errorf("no burn in the last hour, yet time to exhaustion %v", *st.TimeToExhaustion)
	}
}

func TestNoDataIsExplicit(t *testing.T) {
	s := rolling30()
	st := Evaluate(s, newSeries(s), now)
	if !st.NoData || st.SLI != 0 || st.BudgetRemaining != 1 || st.BudgetConsumed != 0 || st.BurnRate != 0 ||
		st.TimeToExhaustion != nil || st.Frozen || st.Firing != nil {
		t.Errorf("empty series: %+v", st)
	}
	for _, ts := range st.Tiers {
		if ts.Met || ts.LongBurnRate != 0 || ts.ShortBurnRate != 0 {
			t.Errorf("tier %s on no data: %+v", ts.Name, ts)
		}
	}
	// encoding/json refuses NaN and infinities: marshalling proves there
	// are none.
	if _, err := json.Marshal(st); err != nil {
		t.Errorf("status is not JSON-safe: %v", err)
	}
	// Events with a total of 0 are no data too.
	series := newSeries(s)
	series.Add(Point{At: now.Add(-time.Minute), Good: 0, Total: 0})
	if st := Evaluate(s, series, now); !st.NoData {
		t.Error("zero totals should be no data")
	}
}

func TestPageTierFiresWithDetails(t *testing.T) {
	s := rolling30()
	series := newSeries(s)
	// 1,000 events a minute for 30 days; in the last hour 15 of each
	// minute's are bad: error ratio 0.015, burn rate 0.015/0.001 = 15 over
	// both 1h and 5m, above 14.4.
	fill(series, now.Add(-30*duration.Day), now.Add(-time.Hour), 1000, 0)
	fill(series, now.Add(-time.Hour), now, 1000, 15)
	st := Evaluate(s, series, now)

	// 30 days: 43,200 minutes, 43,200,000 events; 60 × 15 = 900 bad.
	// Consumed: (900 / 43,200,000) / 0.001 = 1/48; remaining 47/48.
	check(t, "remaining", st.BudgetRemaining, 47.0/48)
	check(t, "burn rate 1h", st.BurnRate, 15)
	// 6h: 900 bad of 360,000 = 0.0025, burn 2.5, under 6.
	// 1d: 900 of 1,440,000 = 0.000625, burn 0.625, under 3.
	// 3d: 900 of 4,320,000, burn 0.2083, under 1.
	wantBurn := map[string][2]float64{
		"page-1h": {15, 15}, "page-6h": {2.5, 15}, "ticket-1d": {0.625, 7.5}, "ticket-3d": {900.0 / 4320, 2.5},
	}
	for _, ts := range st.Tiers {
		w := wantBurn[ts.Name]
		check(t, ts.Name+" long", ts.LongBurnRate, w[0])
		check(t, ts.Name+" short", ts.ShortBurnRate, w[1])
		if ts.Met != (ts.Name == "page-1h") || ts.Suppressed {
			t.Errorf("tier %s: met %v, suppressed %v", ts.Name, ts.Met, ts.Suppressed)
		}
	}
	if st.Firing == nil || st.Firing.Tier != "page-1h" || st.Firing.Urgency != "high" {
		t.Fatalf("firing = %+v, want page-1h at high urgency", st.Firing)
	}
	// Time to exhaustion at 15×: the whole budget lasts 720h / 15 = 48h;
	// the 47/48 left last 47h.
	if st.TimeToExhaustion == nil || st.TimeToExhaustion.Std() != 47*time.Hour {
		t.Errorf("time to exhaustion = %v, want 47h", st.TimeToExhaustion)
	}
	a, ok := st.Alert()
	if !ok {
		t.Fatal("no alert from a firing status")
	}
	if a.DedupKey != "slo:checkout-availability" || a.Service != "checkout" || a.Severity != "critical" ||
		!closeTo(a.Details.BurnRate, 15) || a.Details.TimeToExhaustion.Std() != 47*time.Hour || !closeTo(a.Details.BudgetRemaining, 47.0/48) {
		t.Errorf("alert = %+v", a)
	}
	want := "SLO checkout-availability burns its error budget at 15.0× over 1h (98% of the budget left)"
	if a.Summary != want {
		t.Errorf("summary = %q\nwant      %q", a.Summary, want)
	}

	// The burn stops: ten minutes later the 5m window is clean and the
	// alert resolves, though the 1h window still burns at 15 × 50/60.
	fill(series, now, now.Add(10*time.Minute), 1000, 0)
	later := Evaluate(s, series, now.Add(10*time.Minute))
	if later.Firing != nil {
		t.Errorf("still firing after the burn stopped: %+v", later.Firing)
	}
	if _, ok := later.Alert(); ok {
		t.Error("an alert from a status that does not fire")
	}
	check(t, "1h burn after", later.Tiers[0].LongBurnRate, 12.5)
}

func TestFasterTierSuppressesSlower(t *testing.T) {
	s := rolling30()
	series := newSeries(s)
	// 1,000 events a minute for 30 days; 10 bad a minute from 6h to 1h
	// ago, 20 bad a minute in the last hour.
	fill(series, now.Add(-30*duration.Day), now.Add(-6*time.Hour), 1000, 0)
	fill(series, now.Add(-6*time.Hour), now.Add(-time.Hour), 1000, 10)
	fill(series, now.Add(-time.Hour), now, 1000, 20)
	st := Evaluate(s, series, now)
	// 1h: 20/1000 → burn 20; 5m: 20. Met (> 14.4).
	// 6h: (300 × 10 + 60 × 20) / 360,000 = 4,200 / 360,000 → burn 11.67;
	//     30m: 20. Met (> 6), suppressed by page-1h.
	// 1d: 4,200 / 1,440,000 → burn 2.917, under 3.
	// 3d: 4,200 / 4,320,000 → burn 0.972, under 1.
	check(t, "6h burn", st.Tiers[1].LongBurnRate, 4200.0/360)
	check(t, "1d burn", st.Tiers[2].LongBurnRate, 4200.0/1440)
	got := [][2]bool{}
	for _, ts := range st.Tiers {
		got = append(got, [2]bool{ts.Met, ts.Suppressed})
	}
	want := [][2]bool{{true, false}, {true, true}, {false, false}, {false, false}}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("tier %s: met, suppressed = %v, want %v", st.Tiers[i].Name, got[i], want[i])
		}
	}
	if st.Firing == nil || st.Firing.Tier != "page-1h" {
		t.Errorf("firing = %+v, want page-1h", st.Firing)
	}

	// With page-1h disabled, page-6h fires and nothing suppresses it.
	s.Tiers[0].Disabled = true
	st = Evaluate(s, series, now)
	if st.Firing == nil || st.Firing.Tier != "page-6h" || st.Tiers[0].Met || st.Tiers[1].Suppressed {
		t.Errorf("page-1h disabled: firing %+v, tiers %+v", st.Firing, st.Tiers[:2])
	}
}

func TestMinEventsGuard(t *testing.T) {
	s := rolling30()
	series := newSeries(s)
	// 10 requests an hour (one every 6 minutes) for 30 days, and the
	// latest, 3 minutes ago, failed.
	for t := now.Add(-30 * duration.Day).Add(3 * time.Minute); t.Before(now); t = t.Add(6 * time.Minute) {
		good := 1.0
		if now.Sub(t) == 3*time.Minute {
			good = 0
		}
		series.Add(Point{At: t, Good: good, Total: 1})
	}
	st := Evaluate(s, series, now)
	// 1h: 1 bad of 10 = 0.1, burn 100, but 10 events < 100: not met.
	// 6h: 1 of 60, burn 16.7 > 6, but 60 events < 100: not met.
	// 1d: 1 of 240, burn 4.17 > 3, with 240 events; 2h: 1 of 20, burn
	//     50: met — a ticket, not a page.
	tiers := st.Tiers
	check(t, "1h burn", tiers[0].LongBurnRate, 100)
	if tiers[0].LongEvents != 10 || tiers[0].Met || tiers[1].LongEvents != 60 || tiers[1].Met {
		t.Errorf("page tiers: %+v", tiers[:2])
	}
	check(t, "1d burn", tiers[2].LongBurnRate, 1000.0/240)
	if st.Firing == nil || st.Firing.Tier != "ticket-1d" || st.Firing.Urgency != "low" {
		t.Errorf("firing = %+v, want ticket-1d", st.Firing)
	}
	if a, _ := st.Alert(); a.Severity != "warning" {
		t.Errorf("a ticket's alert severity = %q, want warning", a.Severity)
	}

	// Without the guard the single failure pages.
	s.MinEvents = 0
	if st := Evaluate(s, series, now); st.Firing == nil || st.Firing.Tier != "page-1h" {
		t.Errorf("min events 0: firing = %+v, want page-1h", st.Firing)
	}
}

func TestTierFor(t *testing.T) {
	s := rolling30()
	s.Tiers = []Tier{{Name: "fast", Severity: SeverityPage, Factor: 10, Long: dur(time.Hour), Short: dur(5 * time.Minute), For: dur(2 * time.Minute)}}
	s.MinEvents = 0
	series := newSeries(s)
	fill(series, now.Add(-2*time.Hour), now.Add(-2*time.Minute), 1000, 0)
	// The last two minutes are all bad: at now the 5m burn is
	// (2,000/5,000)/0.001 = 400 and the 1h burn (2,000/60,000)/0.001 = 33;
	// a minute ago 1,000 bad: 5m 200, 1h 16.7; two minutes ago nothing.
	fill(series, now.Add(-2*time.Minute), now, 1000, 1000)
	if st := Evaluate(s, series, now); st.Firing != nil {
		t.Errorf("fired before holding for 2m: %+v", st.Tiers[0])
	}
	fill(series, now, now.Add(time.Minute), 1000, 1000)
	if st := Evaluate(s, series, now.Add(time.Minute)); st.Firing == nil {
		t.Errorf("did not fire after holding at now, now−1m and now−2m: %+v", st.Tiers[0])
	}
}

func TestCalendarMonthResetsAcrossDST(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	w := Window{Duration: dur(30 * duration.Day), Months: 1, Start: time.Date(2026, 1, 1, 0, 0, 0, 0, berlin), Location: berlin}
	tests := []struct {
		at         time.Time
		start, end time.Time
		hours      float64 // the period's length
	}{
		// March 2026: CET until Sunday 29 March, CEST after: 31 days less
		// an hour, from 1 March 00:00 CET (28 Feb 23:00 UTC) to 1 April
		// 00:00 CEST (31 March 22:00 UTC).
		{time.Date(2026, 3, 31, 21, 30, 0, 0, time.UTC), time.Date(2026, 2, 28, 23, 0, 0, 0, time.UTC), time.Date(2026, 3, 31, 22, 0, 0, 0, time.UTC), 31*24 - 1},
		// Half an hour later it is 00:30 on 1 April in Berlin: April.
		{time.Date(2026, 3, 31, 22, 30, 0, 0, time.UTC), time.Date(2026, 3, 31, 22, 0, 0, 0, time.UTC), time.Date(2026, 4, 30, 22, 0, 0, 0, time.UTC), 30 * 24},
		// October 2026: CEST until Sunday 25 October: 31 days and an hour.
		{time.Date(2026, 10, 25, 12, 0, 0, 0, time.UTC), time.Date(2026, 9, 30, 22, 0, 0, 0, time.UTC), time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC), 31*24 + 1},
		// Exactly at a period's start the new period begins.
		{time.Date(2026, 2, 28, 23, 0, 0, 0, time.UTC), time.Date(2026, 2, 28, 23, 0, 0, 0, time.UTC), time.Date(2026, 3, 31, 22, 0, 0, 0, time.UTC), 31*24 - 1},
		// Before the configured start, periods run backwards from it.
		{time.Date(2025, 6, 15, 0, 0, 0, 0, time.UTC), time.Date(2025, 5, 31, 22, 0, 0, 0, time.UTC), time.Date(2025, 6, 30, 22, 0, 0, 0, time.UTC), 30 * 24},
	}
	for _, tc := range tests {
		start, end := w.Period(tc.at)
		if !start.Equal(tc.start) || !end.Equal(tc.end) || end.Sub(start).Hours() != tc.hours {
			t.Errorf("period at %v = [%v, %v), want [%v, %v) of %vh", tc.at, start.UTC(), end.UTC(), tc.start, tc.end, tc.hours)
		}
	}

	// Weeks from Monday 23 March 2026: the week of the DST change has 167
	// hours.
	weekly := Window{Duration: dur(7 * duration.Day), Days: 7, Start: time.Date(2026, 3, 23, 0, 0, 0, 0, berlin), Location: berlin}
	for _, tc := range []struct{ at, start, end time.Time }{
		{time.Date(2026, 3, 29, 21, 30, 0, 0, time.UTC), time.Date(2026, 3, 22, 23, 0, 0, 0, time.UTC), time.Date(2026, 3, 29, 22, 0, 0, 0, time.UTC)},
		{time.Date(2026, 3, 29, 22, 30, 0, 0, time.UTC), time.Date(2026, 3, 29, 22, 0, 0, 0, time.UTC), time.Date(2026, 4, 5, 22, 0, 0, 0, time.UTC)},
		{time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), time.Date(2026, 2, 22, 23, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC)},
	} {
		start, end := weekly.Period(tc.at)
		if !start.Equal(tc.start) || !end.Equal(tc.end) {
			t.Errorf("week at %v = [%v, %v), want [%v, %v)", tc.at, start.UTC(), end.UTC(), tc.start, tc.end)
		}
	}

	s := rolling30()
	s.Window = w
	series := newSeries(s)
	// March: 1,000 events a minute on 31 March from 20:00 to 21:00 UTC, all
	// bad in the last ten minutes. April: 1,000 good a minute from 22:00.
	fill(series, time.Date(2026, 3, 31, 20, 0, 0, 0, time.UTC), time.Date(2026, 3, 31, 20, 50, 0, 0, time.UTC), 1000, 0)
	fill(series, time.Date(2026, 3, 31, 20, 50, 0, 0, time.UTC), time.Date(2026, 3, 31, 21, 0, 0, 0, time.UTC), 1000, 1000)
	fill(series, time.Date(2026, 3, 31, 22, 0, 0, 0, time.UTC), time.Date(2026, 3, 31, 22, 30, 0, 0, time.UTC), 1000, 0)

	march := Evaluate(s, series, time.Date(2026, 3, 31, 21, 30, 0, 0, time.UTC))
	// 10,000 bad of 60,000: error ratio 1/6, consumed 1/6 / 0.001 = 166.7.
	check(t, "March remaining", march.BudgetRemaining, 1-1000.0/6)
	april := Evaluate(s, series, time.Date(2026, 3, 31, 22, 30, 0, 0, time.UTC))
	// The budget starts afresh: 30,000 good events of April only.
	if april.Total != 30_000 || april.BudgetRemaining != 1 || april.Frozen {
		t.Errorf("April: total %v, remaining %v, frozen %v; want 30000, 1, false", april.Total, april.BudgetRemaining, april.Frozen)
	}
	if !april.WindowStart.Equal(time.Date(2026, 3, 31, 22, 0, 0, 0, time.UTC)) {
		t.Errorf("April window starts %v", april.WindowStart)
	}
}

func TestTimeslices(t *testing.T) {
	s := SLO{
		Name: "slices", Service: "checkout", Objective: 0.99,
		Window:    Window{Rolling: true, Duration: dur(duration.Day)},
		Budgeting: Budgeting{Method: Timeslices, SliceTarget: 0.95, SliceWindow: dur(5 * time.Minute)},
		MinEvents: DefaultMinEvents,
	}
	series := newSeries(s)
	start := now.Add(-24 * time.Hour)
	// 288 slices of 5 minutes, 100 events a minute. Slices 0–7 have no
	// events; slices 100 and 200 have 6 bad a minute (470/500 = 0.94 < 0.95:
	// bad); slice 150 has 5 bad a minute (475/500 = 0.95: good, it meets
	// the target).
	for i := 0; i < 1440; i++ {
		slice := i / 5
		if slice < 8 {
			continue
		}
		bad := 0.0
		switch slice {
		case 100, 200:
			bad = 6
		case 150:
			bad = 5
		}
		series.Add(Point{At: start.Add(time.Duration(i+1) * time.Minute), Good: 100 - bad, Total: 100})
	}
	st := Evaluate(s, series, now)
	// 280 slices with data, 2 bad: SLI 278/280; error ratio 2/280 = 1/140;
	// consumed (1/140)/0.01 = 5/7; remaining 2/7.
	if st.Total != 280 || st.Good != 278 {
		t.Errorf("slices: %v good of %v, want 278 of 280", st.Good, st.Total)
	}
	check(t, "SLI", st.SLI, 278.0/280)
	check(t, "remaining", st.BudgetRemaining, 2.0/7)

	// A window shorter than a slice sees the last whole slice: two minutes
	// into slice 201 that is slice 200, a bad one.
	at := start.Add(201*5*time.Minute + 2*time.Minute)
	b, n := s.trailing(series, time.Minute, at)
	if b != 1 || n != 1 {
		t.Errorf("1m window in slice 201: %v bad of %v slices, want 1 of 1", b, n)
	}
}

func TestIncidentShare(t *testing.T) {
	s := rolling30()
	series := newSeries(s)
	incidentStart := now.Add(-time.Hour)
	fill(series, now.Add(-30*duration.Day), incidentStart, 1000, 0)
	// The last hour, the incident's, has 200 bad events a minute.
	fill(series, incidentStart, now, 1000, 200)
	// The window's budget: 43,200,000 events × 0.001 = 43,200 bad.
	// The incident: 60 × 200 = 12,000 bad = 0.2778 of it.
	share := IncidentShare(s, series, incidentStart, now)
	check(t, "share", share, 12000.0/43200)
	if !NeedsPostmortem(share) {
		t.Error("an incident taking 28% of the budget needs a post-mortem")
	}
	// Exactly 20% does not: 60 × 144 = 8,640 = 0.2 × 43,200.
	if NeedsPostmortem(0.2) {
		t.Error("20% exactly is not more than 20%")
	}

	// A calendar month 10 days in: 14,400,000 events so far, scaled to the
	// 30 days of April: 43,200,000, a budget of 43,200. 12,960 bad = 0.3.
	m := rolling30()
	m.Window = Window{Duration: dur(30 * duration.Day), Months: 1, Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Location: time.UTC}
	ms := newSeries(m)
	april := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	fill(ms, april, april.Add(10*duration.Day-time.Hour), 1000, 0)
	fill(ms, april.Add(10*duration.Day-time.Hour), april.Add(10*duration.Day), 1000, 216)
	check(t, "calendar share", IncidentShare(m, ms, april.Add(10*duration.Day-time.Hour), april.Add(10*duration.Day)), 0.3)

	if got := IncidentShare(s, newSeries(s), incidentStart, now); got != 0 {
		t.Errorf("share with no data = %v, want 0", got)
	}
}

func TestDefaultTiers(t *testing.T) {
	tests := []struct {
		window  time.Duration
		factors []float64
	}{
		{30 * duration.Day, []float64{14.4, 6, 3, 1}},
		// 28/30 of the 30-day factors.
		{28 * duration.Day, []float64{13.44, 5.6, 2.8, 0.1 * 28 / 3}},
		{7 * duration.Day, []float64{3.36, 1.4, 0.7, 0.1 * 7 / 3}},
		// A 2-day window has no room for the 3-day tier.
		{2 * duration.Day, []float64{0.96, 0.4, 0.2}},
	}
	for _, tc := range tests {
		tiers := DefaultTiers(tc.window)
		if len(tiers) != len(tc.factors) {
			t.Errorf("%v: %d tiers, want %d", tc.window, len(tiers), len(tc.factors))
			continue
		}
		for i, f := range tc.factors {
			check(t, tiers[i].Name, tiers[i].Factor, f)
		}
	}
	names := []string{"page-1h", "page-6h", "ticket-1d", "ticket-3d"}
	for i, tier := range DefaultTiers(30 * duration.Day) {
		if tier.Name != names[i] || tier.Short.Std()*12 != tier.Long.Std() {
			t.Errorf("tier %d = %+v", i, tier)
		}
	}
}

func check(t *testing.T, what string, got, want float64) {
	t.Helper()
	if d := got - want; d > 1e-9 || d < -1e-9 {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}
