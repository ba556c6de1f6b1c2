package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigil-oncall/vigil/internal/report"
	"github.com/vigil-oncall/vigil/internal/store"
	"github.com/vigil-oncall/vigil/internal/vigiltest"
)

// handClock is a clock the test moves by hand.
type handClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *handClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *handClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// payments is the organisation of the hand-worked history: the payments
// team (Germany) has alice in Berlin and kenji in Tokyo, whom checkout's
// policy pages at once; gina in New York is the global IRT (United
// States), paged at once too as checkout is revenue-critical. org.costs
// is config.md's example. Pages go to a local hook.
func payments(hook string) map[string]any {
	user := func(id, zone string) map[string]any {
		return map[string]any{"id": id, "time_zone": zone,
			"contact_methods":    []any{map[string]any{"id": id + "-hook", "type": "webhook", "url": hook + "/" + id}},
			"notification_rules": []any{map[string]any{"contact_method": id + "-hook"}}}
	}
	return map[string]any{
		"org": map[string]any{"costs": map[string]any{"currency": "EUR", "standby_per_hour": 2.5, "per_interruption": 15,
			"off_hours_multiplier": 1.5, "sleep_multiplier": 3, "holiday_multiplier": 2,
			"response_per_hour": map[string]float64{"commander": 120, "responder": 80, "comms": 60, "scribe": 60}}},
		"users": []any{user("alice", "Europe/Berlin"), user("kenji", "Asia/Tokyo"), user("gina", "America/New_York")},
		"teams": []any{
			map[string]any{"id": "payments", "kind": "dev", "time_zone": "Europe/Berlin", "country": "DE", "members": []string{"alice", "kenji"},
				"escalation_policy": "payments-default"},
			map[string]any{"id": "irt", "kind": "global-irt", "time_zone": "America/New_York", "country": "US", "members": []string{"gina"}},
		},
		"schedules": []any{map[string]any{"id": "payments-primary", "time_zone": "Europe/Berlin", "layers": []any{
			map[string]any{"id": "weekly", "users": []string{"alice"}, "rotation": map[string]any{"every": "1w"}, "start": "2026-01-05T09:00:00Z"},
		}}},
		"escalation_policies": []any{map[string]any{"id": "payments-default", "steps": []any{
			map[string]any{"targets": []any{map[string]any{"user": "kenji"}, map[string]any{"user": "alice"}, map[string]any{"schedule": "payments-primary"}},
				"escalate_after": "30m"},
		}}},
		"services": []any{map[string]any{"id": "checkout", "owner": "payments", "revenue_critical": true,
			"integrations": []any{map[string]any{"type": "pagerduty", "key": checkoutKey}}}},
	}
}

// reportHistory plays the hand-worked history on a server whose clock the
// test moves, and waits for each page:
//
//  1. Tuesday 3 March 2026, 18:00 UTC: kenji (03:00 Wednesday in Tokyo:
//     sleep, whatever the hour in Berlin), alice (19:00 in Berlin: off) and
//     gina (13:00 in New York: business) are paged. Acknowledged at 18:10,
//     resolved with a note at 19:00.
//  2. Sunday 29 March, the night Berlin springs forward, 06:30 UTC: alice
//     (08:30 CEST: off; on winter time it would be 07:30, sleep), kenji
//     (15:30 Sunday: off), gina (02:30 EDT: sleep). Acknowledged at 06:35;
//     the monitoring resolves it at 06:45.
//  3. Christmas Day, 09:00 UTC: alice (10:00 Friday: business, a German
//     holiday), kenji (18:00 in Tokyo: off, on a holiday of his German
//     team), gina (04:00 in New York: sleep, a US holiday). It stays open.
//
// Alice was on call on payments-primary from 24 December, 00:00 in Berlin.
func reportHistory(t *testing.T) (*server, *handClock) {
	t.Helper()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(hook.Close)
	clk := &handClock{t: vigiltest.Instant(t, "2026-03-03T18:00:00Z")}
	s := newServerWithClock(t, clk.Now)
	s.apply(payments(hook.URL))
	at := func(when string) { clk.Set(vigiltest.Instant(t, when)) }
	event := func(action, dedup string) {
		body := map[string]any{"routing_key": checkoutKey, "event_action": action, "dedup_key": dedup,
			"payload": map[string]any{"summary": "checkout down " + dedup, "source": "web-1", "severity": "critical"}}
		if code := s.call("POST", "/v2/enqueue", "", body, nil); code != http.StatusAccepted {
			t.Fatalf("enqueue %s %s = %d", action, dedup, code)
		}
	}
	// pagedTimes waits until the history holds n interruptions.
	paged := func(n int) {
		deadline := time.Now().Add(20 * time.Second)
		for {
			var in report.Interruptions
			s.call("GET", "/api/v1/reports/interruptions?from=2026-03-01&to=2027-01-01", adminSecret, nil, &in)
			got := 0
			for _, p := range in.People {
				got += p.Total
			}
			if got == n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d interruptions after 20s, want %d", got, n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	act := func(id int, verb string, body any) {
		if code := s.call("POST", fmt.Sprintf("/api/v1/incidents/%d/%s", id, verb), adminSecret, body, nil); code != http.StatusOK {
			t.Fatalf("%s incident %d = %d", verb, id, code)
		}
	}
	resolved := func(id int) {
		deadline := time.Now().Add(20 * time.Second)
		for s.incident(int64(id)).Status != "resolved" {
			if time.Now().After(deadline) {
				t.Fatalf("incident %d is not resolved after 20s", id)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	event("trigger", "one")
	paged(3)
	at("2026-03-03T18:10:00Z")
	act(1, "acknowledge", map[string]any{})
	at("2026-03-03T19:00:00Z")
	act(1, "resolve", map[string]string{"note": "rolled back"})

	at("2026-03-29T06:30:00Z")
	event("trigger", "two")
	paged(6)
	at("2026-03-29T06:35:00Z")
	act(2, "acknowledge", map[string]any{})
	at("2026-03-29T06:45:00Z")
	event("resolve", "two")
	resolved(2)

	at("2026-12-25T09:00:00Z")
	event("trigger", "three")
	paged(9)
	at("2026-12-25T09:20:00Z")
	if err := s.store.Update(context.Background(), func(tx store.Tx) error {
		return tx.InsertServedShifts(&store.ServedShift{Schedule: "payments-primary", User: "alice", Layer: "weekly",
			Start: vigiltest.Instant(t, "2026-12-23T23:00:00Z"), End: vigiltest.Instant(t, "2026-12-26T23:00:00Z"), TimeZone: "Europe/Berlin"})
	}); err != nil {
		t.Fatal(err)
	}
	return s, clk
}

// figures reads the data-value of each figure in a table row, in order.
func figures(b *browser, row string) []float64 {
	b.t.Helper()
	var out []float64
	b.eval("figures of "+row, `[...document.querySelectorAll('`+row+` .figure')].map((el) => Number(el.dataset.value))`, &out)
	return out
}

// chartValues sums the drawn bars' values per series.
func chartValues(b *browser) map[string]float64 {
	b.t.Helper()
	out := map[string]float64{}
	b.eval("chart values", `(() => {
		const out = {};
		for (const r of document.querySelectorAll('svg.bar-chart rect[data-value]')) out[r.dataset.series] = (out[r.dataset.series] || 0) + Number(r.dataset.value);
		return out;
	})()`, &out)
	return out
}

// TestBrowserReports opens each report's page on the hand-worked history
// and holds its chart and numbers against the API's for the same period.
func TestBrowserReports(t *testing.T) {
	s, _ := reportHistory(t)
	b := newBrowser(t)
	b.signInAsAdmin(s.url)
	const period = "from=2026-03-01&to=2027-01-01"
	api := func(name, query string, out any) {
		t.Helper()
		if code := s.call("GET", "/api/v1/reports/"+name+"?"+query, adminSecret, nil, out); code != http.StatusOK {
			t.Fatalf("GET the %s report = %d", name, code)
		}
	}
	open := func(name, query string) {
		t.Helper()
		b.do("open the "+name+" report", chromedp.Navigate(s.url+"/reports/"+name+"?"+query),
			chromedp.WaitVisible(chromedp.CSS(`svg.bar-chart`)), chromedp.WaitVisible(chromedp.CSS(`section.method li`)))
		var missing []string
		b.eval("labels", unlabelled, &missing)
		if len(missing) != 0 {
			t.Errorf("%s report: controls without a label: %v", name, missing)
		}
		var fits bool
		b.eval("width", fitsWidth, &fits)
		if !fits {
			t.Errorf("the %s report scrolls sideways at 1280 pixels", name)
		}
		var stray string
		b.eval("stray values", `(document.querySelector('main').innerText.match(/\b(null|undefined|NaN)\b/) || [''])[0]`, &stray)
		if stray != "" {
			t.Errorf("the %s report shows %q", name, stray)
		}
		b.screenshot("report-"+name, 1280)
	}

	// The index links to every report, keeping the period.
	b.do("reports index", chromedp.Navigate(s.url+"/reports?"+period), chromedp.WaitVisible(chromedp.CSS(`ul.report-index`)))
	var links []string
	b.eval("report links", `[...document.querySelectorAll('ul.report-index a')].map((a) => a.getAttribute('href'))`, &links)
	var want []string
	for _, name := range report.Names {
		want = append(want, "/reports/"+name+"?"+period)
	}
	if !reflect.DeepEqual(links, want) {
		t.Errorf("the index links to %q, want %q", links, want)
	}
	b.screenshot("reports", 1280)

	{ // interruptions
		var in report.Interruptions
		api("interruptions", period, &in)
		open("interruptions", period)
		// By hand: 03:00 in Tokyo is sleep for kenji and business for
		// nobody; the DST morning is off hours for alice; Christmas is a
		// holiday for both.
		hand := map[string][]float64{"alice": {1, 2, 0, 3, 1}, "kenji": {0, 2, 1, 3, 1}, "gina": {1, 0, 2, 3, 1}}
		for _, p := range in.People {
			c := p.Counts
			fromAPI := []float64{float64(c.Business), float64(c.Off), float64(c.Sleep), float64(c.Total), float64(c.Holiday)}
			if !reflect.DeepEqual(fromAPI, hand[p.User]) {
				t.Errorf("API: %s's interruptions %v, worked by hand %v", p.User, fromAPI, hand[p.User])
			}
			if got := figures(b, `tr[data-user="`+p.User+`"]`); !reflect.DeepEqual(got, fromAPI) {
				t.Errorf("page: %s's interruptions %v, the API's %v", p.User, got, fromAPI)
			}
		}
		for _, tm := range in.Teams {
			c := tm.Counts
			if got, want := figures(b, `tr[data-team="`+tm.Team+`"]`), []float64{float64(tm.Members), float64(c.Business), float64(c.Off), float64(c.Sleep), float64(c.Total), float64(c.Holiday)}; !reflect.DeepEqual(got, want) {
				t.Errorf("page: team %s %v, the API's %v", tm.Team, got, want)
			}
		}
		// The weekly chart draws every week and adds up to the same.
		var bars int
		b.eval("bars", `Number(document.querySelector('svg.bar-chart').dataset.bars)`, &bars)
		if bars != len(in.Weeks) {
			t.Errorf("the chart draws %d weeks, the API has %d", bars, len(in.Weeks))
		}
		if got, want := chartValues(b), map[string]float64{"business": 2, "off": 4, "sleep": 3}; !reflect.DeepEqual(got, want) {
			t.Errorf("the chart's bars add up to %v, want %v", got, want)
		}
		// The team picker narrows it to one team, through the address.
		b.do("pick the irt team", chromedp.Evaluate[chromedp.Void](`(() => {
				const sel = document.querySelector('select[name=team]');
				sel.value = 'irt';
				sel.dispatchEvent(new Event('change'));
			})()`), chromedp.WaitVisible(chromedp.CSS(`tr[data-team="irt"]`)))
		b.waitFor("irt alone", `!document.querySelector('tr[data-team="payments"]') && location.search.includes('team=irt')`)
		if loc := b.location(); !strings.Contains(loc, "from=2026-03-01") || !strings.Contains(loc, "to=2027-01-01") {
			t.Errorf("picking a team lost the period: %s", loc)
		}
	}

	{ // response
		var rep report.Response
		api("response", period, &rep)
		open("response", period)
		co := rep.Services[0]
		// TTA 600 and 300 s, TTR 3600 and 900 s; one of three escalated
		// past step 1: none here, the policy has one step.
		if co.Service != "checkout" || co.Incidents != 3 || co.MTTA.Median != 450 || co.MTTR.Median != 2250 {
			t.Errorf("API: checkout %+v", co)
		}
		want := []float64{float64(co.Incidents), float64(co.Acknowledged), float64(co.Resolved), co.MTTA.Median, co.MTTA.P90, co.MTTA.Mean,
			co.MTTR.Median, co.MTTR.P90, co.MTTR.Mean, co.EscalationRate, co.AcknowledgedBy.Owner, co.AcknowledgedBy.IRT, co.PerWeek}
		if got := figures(b, `tr[data-service="checkout"]`); !reflect.DeepEqual(got, want) {
			t.Errorf("page: checkout %v, the API's %v", got, want)
		}
		if got := chartValues(b); got["step1"]+got["escalated"] != 3 {
			t.Errorf("the chart's bars add up to %v, want 3 incidents", got)
		}
		if txt := b.text(`tr[data-service="checkout"]`); !strings.Contains(txt, "7m") || !strings.Contains(txt, "37m") {
			t.Errorf("checkout's row %q lacks MTTA median 7m and MTTR median 37m", txt)
		}
	}

	{ // cost
		var rep report.CostReport
		api("cost", period, &rep)
		open("cost", period)
		for _, p := range rep.People {
			if p.User == "kenji" && p.Cost.Interruptions != 112.5 {
				// Sleep 45 + off 22.5 + off on a holiday 45.
				t.Errorf("API: kenji's interruptions cost %v, worked by hand 112.5", p.Cost.Interruptions)
			}
			got := figures(b, `tr[data-user="`+p.User+`"]`)
			if len(got) != 9 || got[0] != p.StandbyHours || got[1] != p.HolidayStandbyHours || got[2] != float64(p.Interruptions.Total) ||
				got[5] != p.Cost.Standby || got[6] != p.Cost.Interruptions || got[7] != p.Cost.Response || got[8] != p.Cost.Total {
				t.Errorf("page: %s's cost %v, the API's %+v", p.User, got, p)
			}
		}
		if got := figures(b, `tr[data-total]`); len(got) != 9 || got[8] != rep.Total.Cost.Total {
			t.Errorf("page: total %v, the API's %v", got, rep.Total.Cost.Total)
		}
		sum := 0.0
		for _, v := range chartValues(b) {
			sum += v
		}
		if diff := sum - rep.Total.Cost.Total; diff > 0.05 || diff < -0.05 || sum == 0 {
			t.Errorf("the chart's bars add up to %v, the total cost is %v", sum, rep.Total.Cost.Total)
		}
		if !strings.Contains(b.text("main"), "How these numbers were computed") || !strings.Contains(b.text(".rates"), "EUR") {
			t.Error("the cost report does not say how it was computed, or in which currency")
		}
	}

	{ // coverage
		const query = "from=2026-12-24&to=2026-12-25&team=payments"
		var rep report.Coverage
		api("coverage", query, &rep)
		open("coverage", query)
		tm := rep.Teams[0]
		if !tm.AlwaysCovered || tm.GuaranteedHours != 24 {
			t.Errorf("API: payments %+v", tm)
		}
		want := []float64{tm.GuaranteedHours, tm.GapHours, tm.Coverage, tm.OverlapHours, tm.FollowTheSunShare}
		if got := figures(b, `tr[data-team="payments"]`); !reflect.DeepEqual(got, want) {
			t.Errorf("page: payments %v, the API's %v", got, want)
		}
		p := rep.People[0]
		if got, want := figures(b, `tr[data-user="alice"]`), []float64{p.OnCallHours, p.BusinessHours, p.OffHours, p.NightHours}; !reflect.DeepEqual(got, want) || p.NightHours != 10 {
			t.Errorf("page: alice %v, the API's %v (10 night hours by hand)", got, want)
		}
		if got := chartValues(b); got["guaranteed_hours"] != 24 {
			t.Errorf("the chart draws %v", got)
		}
	}

	{ // toil
		var rep report.Toil
		api("toil", period, &rep)
		open("toil", period)
		r := rep.Total
		want := []float64{float64(r.Incidents), float64(r.AcknowledgedByHand), float64(r.ResolvedByHand), float64(r.SelfResolvedAcknowledged),
			float64(r.ClosedWithoutNote), float64(r.RepeatAlerts), float64(r.Operations), float64(r.ManualActions)}
		if got := figures(b, `tr[data-total]`); !reflect.DeepEqual(got, want) || r.SelfResolvedAcknowledged != 1 {
			t.Errorf("page: total %v, the API's %v (one acknowledged that then resolved itself)", got, want)
		}
		if got := chartValues(b); got["acknowledged_by_hand"] != float64(r.AcknowledgedByHand) || got["resolved_by_hand"] != float64(r.ResolvedByHand) {
			t.Errorf("the chart draws %v, the API has %+v", got, r)
		}
	}

	{ // risks
		var rep report.Risks
		api("risks", period, &rep)
		open("risks", period)
		var page []struct {
			Kind     string
			Rank     int
			Evidence int
		}
		b.eval("risks", `[...document.querySelectorAll('ol.ranked > li')].map((li) => ({kind: li.dataset.kind, rank: Number(li.dataset.rank), evidence: li.querySelectorAll('ul.evidence li').length}))`, &page)
		if len(page) != len(rep.Risks) || len(page) == 0 {
			t.Fatalf("page lists %d risks, the API %d", len(page), len(rep.Risks))
		}
		for i, r := range rep.Risks {
			if page[i].Kind != r.Kind || page[i].Rank != r.Rank || page[i].Evidence != len(r.Evidence) || len(r.Evidence) == 0 {
				t.Errorf("risk %d: page %+v, API %s rank %d with %d pieces of evidence", i, page[i], r.Kind, r.Rank, len(r.Evidence))
			}
		}
		var bars int
		b.eval("bars", `document.querySelectorAll('svg.bar-chart rect[data-value]').length`, &bars)
		if bars != min(len(rep.Risks), 15) {
			t.Errorf("the chart draws %d risks, the API has %d", bars, len(rep.Risks))
		}
	}

	{ // unclear-value
		var rep report.UnclearValue
		api("unclear-value", period, &rep)
		open("unclear-value", period)
		for _, tm := range rep.Teams {
			if got, want := figures(b, `tr[data-team="`+tm.Team+`"]`), []float64{float64(tm.Services), float64(tm.Members), tm.ServicesPerPerson}; !reflect.DeepEqual(got, want) {
				t.Errorf("page: team %s %v, the API's %v", tm.Team, got, want)
			}
		}
		var signals int
		b.eval("signals", `document.querySelectorAll('ol.ranked > li').length`, &signals)
		if signals != len(rep.Signals) {
			t.Errorf("page lists %d signals, the API %d", signals, len(rep.Signals))
		}
	}

	// A name that is no report says so.
	b.do("no such report", chromedp.Navigate(s.url+"/reports/nope"), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
	if h1 := b.text("main h1"); h1 != "No such report" {
		t.Errorf("/reports/nope says %q", h1)
	}
}
