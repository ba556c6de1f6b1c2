package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigil-oncall/vigil/internal/slo/slotest"
)

// ceilingCells reads the cells of the ceiling's dependency rows, by
// dependency.
const ceilingCells = `Object.fromEntries([...document.querySelectorAll('section.ceiling tr[data-dependency]')]
	.map((tr) => [tr.dataset.dependency, [...tr.querySelectorAll('td')].map((td) => td.textContent).join(' | ')]))`

// ceilingKinds lists the kinds of the findings shown.
const ceilingKinds = `[...document.querySelectorAll('section.ceiling ul.findings > li')].map((li) => li.dataset.kind).join(',')`

// TestBrowserCeiling: checkout promises 99.99% and needs payments (SLO
// 99.95%, measured 997 good of 1,000) and, through it, ledger (no SLO).
// The ceiling is unknown and at most 99.95%, below the objective: the
// service page and the SLO page say so, with the dependency that pulls it
// down and the fixes.
func TestBrowserCeiling(t *testing.T) {
	s := newServerAt(t, sloNow)
	s.applyShopWith(slotest.Edit(checkoutSLO(), "target: 0.999", "target: 0.9999") + "---\n" +
		slotest.Edit(slotest.CheckoutAvailability, "name: checkout-availability", "name: payments-availability",
			"service: checkout", "service: payments", "target: 0.999", "target: 0.9995"))
	events := []map[string]any{{"timestamp": sloNow.Add(-time.Minute).Format(time.RFC3339), "good": 997, "total": 1000}}
	if code := s.call("POST", "/api/v1/slos/payments-availability/events", adminSecret, map[string]any{"batch_id": "b1", "events": events}, nil); code != http.StatusAccepted {
		t.Fatalf("push = %d", code)
	}

	b := newBrowser(t)
	b.emulateZone("UTC", "en_US")
	b.signInAsAdmin(s.url)
	check := func(page string, wantBadge string) {
		t.Helper()
		if badges := b.text("section.ceiling .badges"); badges != wantBadge {
			t.Errorf("%s: ceiling badges %q, want %q", page, badges, wantBadge)
		}
		wantSummary := "Unknown: ledger has no SLO, so checkout can reach at most 99.95% and less by what it fails. " +
			"Over their windows those with data measured 99.7%."
		if summary := b.text("section.ceiling .ceiling-summary"); summary != wantSummary {
			t.Errorf("%s: summary %q\nwant %q", page, summary, wantSummary)
		}
		var rows map[string]string
		b.eval("ceiling rows", ceilingCells, &rows)
		if rows["ledger"] != "ledger | payments | none: unknown | — | no data | no SLO" ||
			rows["payments"] != "payments | direct | payments-availability | 99.95% | 99.7% | short of one more nine" || len(rows) != 2 {
			t.Errorf("%s: dependency rows %q", page, rows)
		}
		var kinds string
		b.eval("finding kinds", ceilingKinds, &kinds)
		if kinds != "above_ceiling,no_slo,extra_nine" {
			t.Errorf("%s: findings %q, want above_ceiling, no_slo, extra_nine", page, kinds)
		}
		first := b.text("section.ceiling ul.findings > li")
		for _, want := range []string{"error", "SLO checkout-availability promises 99.99%, above the 99.95%", "pulled down by payments",
			"Fix: make checkout's dependency on payments soft, with a fallback"} {
			if !strings.Contains(first, want) {
				t.Errorf("%s: the first finding %q lacks %q", page, first, want)
			}
		}
	}

	b.do("the service page", chromedp.Navigate(s.url+"/services/checkout"), chromedp.WaitVisible(chromedp.CSS(`section.ceiling ul.findings`)))
	check("service page", "checkout-availability 99.99%: above its ceiling")
	var fits bool
	b.eval("width", fitsWidth, &fits)
	if !fits {
		t.Error("the service page scrolls sideways at 1280 pixels")
	}
	b.do("the SLO page", chromedp.Navigate(s.url+"/slos/checkout-availability"), chromedp.WaitVisible(chromedp.CSS(`section.ceiling ul.findings`)))
	check("SLO page", "checkout-availability 99.99%: above its ceiling")
	b.screenshot("slo-ceiling", 1280)
	b.do("narrow", chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`section.ceiling ul.findings`)))
	b.eval("narrow width", fitsWidth, &fits)
	if !fits {
		t.Error("the SLO page with its ceiling scrolls sideways at 390 pixels")
	}
	b.do("wide", chromedp.EmulateViewport(1280, 900))

	// The SLO page of a dependency shows its own ceiling: payments needs
	// ledger alone, which promises nothing.
	b.do("payments' SLO page", chromedp.Navigate(s.url+"/slos/payments-availability"), chromedp.WaitVisible(chromedp.CSS(`section.ceiling`)))
	if badges := b.text("section.ceiling .badges"); badges != "payments-availability 99.95%: within its ceiling" {
		t.Errorf("payments' ceiling badges %q", badges)
	}
	if summary := b.text("section.ceiling .ceiling-summary"); summary != "Unknown: ledger has no SLO, so how available payments can be is not known." {
		t.Errorf("payments' summary %q", summary)
	}
}
