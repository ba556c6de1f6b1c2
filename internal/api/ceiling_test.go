package api

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/ceiling"
	"github.com/vigil-oncall/vigil/internal/report"
	"github.com/vigil-oncall/vigil/internal/slo/slotest"
)

// ceilingOrg: revenue-critical checkout (99.95%) needs payments (99.95%),
// which needs ledger (99.99%); fraud is soft. The ceiling is
// 99.95% × 99.99% = 99.940005%, below checkout's objective.
var ceilingOrg = `
users:
  - {id: alice, name: Alice, time_zone: Europe/Berlin}
  - {id: bob, name: Bob, time_zone: America/New_York}
teams:
  - {id: shop, kind: dev, time_zone: Europe/Berlin, country: DE, members: [alice]}
  - {id: irt, kind: global-irt, members: [bob]}
services:
  - {id: checkout, owner: shop, revenue_critical: true, depends_on: [{service: payments, kind: hard}, {service: fraud, kind: soft}]}
  - {id: payments, owner: shop, depends_on: [{service: ledger, kind: hard}]}
  - {id: ledger, owner: shop}
  - {id: fraud, owner: shop}
` + pushedSLO("checkout-availability", "checkout", "0.9995") + pushedSLO("payments-availability", "payments", "0.9995") +
	pushedSLO("ledger-availability", "ledger", "0.9999")

func pushedSLO(name, service, target string) string {
	return "---\n" + slotest.Edit(slotest.CheckoutAvailability, "name: checkout-availability", "name: "+name,
		"service: checkout", "service: "+service, "target: 0.999", "target: "+target)
}

func TestServiceCeiling(t *testing.T) {
	f := startSLOServerOf(t, ceilingOrg)
	f.t = t
	// payments measured 998 good of 1,000; ledger has no data yet.
	var pushed pushAnswer
	if code := f.call("POST", "/api/v1/slos/payments-availability/events", tokenOf("alice"),
		map[string]any{"batch_id": "b1", "events": minutesOf(sloNow.Add(-time.Minute), 1, 2)}, &pushed); code != http.StatusAccepted {
		t.Fatalf("push = %d", code)
	}
	var got ceilingView
	if code := f.call("GET", "/api/v1/services/checkout/ceiling", viewerSecret, nil, &got); code != http.StatusOK {
		t.Fatalf("ceiling = %d", code)
	}
	near := func(p *float64, want float64) bool { return p != nil && math.Abs(*p-want) < 1e-12 }
	if got.Service != "checkout" || !got.Critical || !near(got.Objective, 0.9995) || !near(got.Ceiling.Ceiling, 0.99940005) || !got.AboveCeiling ||
		strings.Join(got.PulledDownBy, ",") != "payments" || len(got.Unknown) != 0 || !got.At.Equal(sloNow) {
		t.Errorf("ceiling of checkout: %+v", got)
	}
	if got.Measured != nil || math.Abs(got.MeasuredAtMost-0.998) > 1e-12 {
		t.Errorf("measured %v at most %v: want unknown (ledger has no data), at most 99.8%%", got.Measured, got.MeasuredAtMost)
	}
	if len(got.Dependencies) != 2 || got.Dependencies[1].Service != "payments" || !near(got.Dependencies[1].Measured, 0.998) ||
		got.Dependencies[0].Service != "ledger" || strings.Join(got.Dependencies[0].Via, ",") != "checkout,payments,ledger" ||
		got.Dependencies[0].ExtraNine != ceiling.NineOK || got.Dependencies[1].ExtraNine != ceiling.NineShort {
		t.Errorf("dependencies: %+v", got.Dependencies)
	}
	var kinds []string
	for _, fd := range got.Findings {
		kinds = append(kinds, fd.Level+" "+fd.Kind)
	}
	if strings.Join(kinds, ",") != "error above_ceiling,warning extra_nine" || !strings.Contains(got.Findings[0].Suggestions[0], "soft") {
		t.Errorf("findings: %+v", got.Findings)
	}

	// fraud has an SLO-less life and needs nothing: no objective, ceiling 1.
	if code := f.call("GET", "/api/v1/services/fraud/ceiling", viewerSecret, nil, &got); code != http.StatusOK ||
		got.Objective != nil || !near(got.Ceiling.Ceiling, 1) || len(got.Dependencies) != 0 || len(got.Findings) != 0 {
		t.Errorf("ceiling of fraud = %d %+v", code, got)
	}
	if code := f.call("GET", "/api/v1/services/nope/ceiling", viewerSecret, nil, nil); code != http.StatusNotFound {
		t.Errorf("unknown service = %d, want 404", code)
	}
	if code := f.call("GET", "/api/v1/services/checkout/ceiling", "", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("no token = %d, want 401", code)
	}
}

// A hard dependency without an SLO is named, and the ceiling is unknown.
func TestServiceCeilingUnknown(t *testing.T) {
	f := newSLOFixture(t)
	var got ceilingView
	if code := f.call("GET", "/api/v1/services/checkout/ceiling", viewerSecret, nil, &got); code != http.StatusOK {
		t.Fatalf("ceiling = %d", code)
	}
	if got.Ceiling.Ceiling != nil || got.AtMost != 1 || strings.Join(got.Unknown, ",") != "payments" || got.AboveCeiling ||
		len(got.Findings) != 1 || got.Findings[0].Kind != ceiling.KindNoSLO || !got.Dependencies[0].Unknown {
		t.Errorf("ceiling of checkout: %+v", got)
	}
}

// The risks report lists the ceiling's findings with the other risks:
// checkout above its ceiling, pulled down by payments, and payments short
// of the extra nine checkout's 99.95% wants (payments' own ceiling, the
// ledger's 99.99%, allows its 99.95%, and ledger has its fourth nine).
func TestRisksReportCeilings(t *testing.T) {
	f := startSLOServerOf(t, ceilingOrg)
	f.t = t
	var got report.Risks
	if code := f.call("GET", "/api/v1/reports/risks", viewerSecret, nil, &got); code != http.StatusOK {
		t.Fatalf("risks = %d", code)
	}
	var lines []string
	for _, r := range got.Risks {
		switch r.Kind {
		case report.RiskAboveCeiling, report.RiskExtraNine, report.RiskUnknownDependency:
			lines = append(lines, fmt.Sprintf("%s %s %s %g %t %s", r.Kind, r.Service, r.Team, r.Score, r.Critical, r.Evidence[1]))
		}
	}
	want := []string{
		"above_ceiling checkout shop 76 true hard dependencies concerned: payments",
		"extra_nine checkout shop 68 true hard dependencies concerned: payments",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("ceiling risks:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	for _, r := range got.Risks {
		if r.Kind == report.RiskAboveCeiling && !strings.Contains(strings.Join(r.Evidence, "\n"),
			"fix: make checkout's dependency on payments soft, with a fallback") {
			t.Errorf("the paper's fixes are missing: %q", r.Evidence)
		}
	}
	if code := f.call("GET", "/api/v1/reports/risks", "", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("no token = %d, want 401", code)
	}
}
