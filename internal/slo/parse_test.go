package slo

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/slo/slotest"
)

// services are the Vigil services the tests' SLOs may name.
func isService(id string) bool { return id == "checkout" || id == "payments-api" }

// parseYAML loads text as the config loader would load the file "slo.yaml"
// and parses the OpenSLO documents it sets aside.
func parseYAML(t *testing.T, text string) ([]SLO, []config.Problem) {
	t.Helper()
	l := config.LoadBytes("slo.yaml", []byte(strings.TrimPrefix(text, "\n")))
	return ParseDocuments(l.OpenSLO, isService)
}

func mustParse(t *testing.T, text string) []SLO {
	t.Helper()
	slos, problems := parseYAML(t, text)
	for _, p := range problems {
		t.Errorf("unexpected problem: %s", p)
	}
	return slos
}

// checkoutSLO is the example of the configuration contract, after an
// empty line.
const checkoutSLO = "\n" + slotest.CheckoutAvailability

func TestParseContractExample(t *testing.T) {
	slos := mustParse(t, checkoutSLO)
	if len(slos) != 1 {
		t.Fatalf("got %d SLOs, want 1", len(slos))
	}
	want := SLO{
		Name:      "checkout-availability",
		Service:   "checkout",
		Objective: 0.999,
		Window:    Window{Rolling: true, Duration: duration.Duration(28 * duration.Day)},
		Budgeting: Budgeting{Method: Occurrences},
		Indicator: Indicator{Name: "checkout-requests", Kind: RatioGood, Source: SourcePush},
		// 28 days: 14.4, 6, 3 and 1 scaled by 28/30.
		Tiers: []Tier{
			{Name: "page-1h", Severity: SeverityPage, Factor: 13.44, Long: dur(time.Hour), Short: dur(5 * time.Minute)},
			{Name: "page-6h", Severity: SeverityPage, Factor: 5.6, Long: dur(6 * time.Hour), Short: dur(30 * time.Minute)},
			{Name: "ticket-1d", Severity: SeverityTicket, Factor: 2.8, Long: dur(24 * time.Hour), Short: dur(2 * time.Hour)},
			{Name: "ticket-3d", Severity: SeverityTicket, Factor: 0.1 * 28 / 3, Long: dur(72 * time.Hour), Short: dur(6 * time.Hour)},
		},
		MinEvents: 100,
		Policy:    Policy{Exemptions: []string{}},
		File:      "slo.yaml",
		Line:      1,
	}
	got := slos[0]
	for i := range got.Tiers {
		if i < len(want.Tiers) && closeTo(got.Tiers[i].Factor, want.Tiers[i].Factor) {
			got.Tiers[i].Factor = want.Tiers[i].Factor
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func dur(d time.Duration) duration.Duration { return duration.Duration(d) }

func closeTo(a, b float64) bool {
	d := a - b
	return d < 1e-9 && d > -1e-9
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		check func(t *testing.T, s SLO)
	}{
		{
			name: "indicatorRef to a separate SLI document, bad over total, targetPercent",
			yaml: `
apiVersion: openslo/v1
kind: SLI
metadata: {name: payment-errors}
spec:
  ratioMetric:
    counter: true
    bad:   {metricSource: {type: vigil-push}}
    total: {metricSource: {type: vigil-push}}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: payments}
spec:
  service: payments-api
  indicatorRef: payment-errors
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{targetPercent: 99.5}]
`,
			check: func(t *testing.T, s SLO) {
				if s.Indicator != (Indicator{Name: "payment-errors", Kind: RatioBad, Source: SourcePush}) {
					t.Errorf("indicator = %+v", s.Indicator)
				}
				if !closeTo(s.Objective, 0.995) {
					t.Errorf("objective = %v, want 0.995", s.Objective)
				}
				// 30 days: the workbook's own table.
				factors := []float64{14.4, 6, 3, 1}
				for i, tier := range s.Tiers {
					if !closeTo(tier.Factor, factors[i]) {
						t.Errorf("tier %s factor = %v, want %v", tier.Name, tier.Factor, factors[i])
					}
				}
			},
		},
		{
			name: "Prometheus data source",
			yaml: `
apiVersion: openslo/v1
kind: DataSource
metadata: {name: prom}
spec:
  type: Prometheus
  connectionDetails: [{url: "http://prometheus:9090"}]
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: checkout-http}
spec:
  service: checkout
  indicator:
    metadata: {name: checkout-http}
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            metricSourceRef: prom
            spec: {query: 'sum(increase(http_requests_total{job="checkout",code!~"5.."}[{{.window}}]))'}
        total:
          metricSource:
            metricSourceRef: prom
            type: Prometheus
            spec: {query: 'sum(increase(http_requests_total{job="checkout"}[{{.window}}]))'}
  timeWindow: [{duration: 4w, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
`,
			check: func(t *testing.T, s SLO) {
				want := Indicator{
					Name: "checkout-http", Kind: RatioGood, Source: SourcePrometheus,
					DataSource: "prom", URL: "http://prometheus:9090",
					Good:  `sum(increase(http_requests_total{job="checkout",code!~"5.."}[{{.window}}]))`,
					Total: `sum(increase(http_requests_total{job="checkout"}[{{.window}}]))`,
				}
				if s.Indicator != want {
					t.Errorf("indicator = %+v\nwant        %+v", s.Indicator, want)
				}
				if s.Window.Duration.Std() != 28*duration.Day {
					t.Errorf("window = %v, want 4w", s.Window.Duration)
				}
			},
		},
		{
			name: "threshold SLI, DataSource as a single mapping",
			yaml: `
apiVersion: openslo/v1
kind: DataSource
metadata: {name: prom}
spec: {type: prometheus, connectionDetails: {url: "https://prom.example.com"}}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: checkout-latency}
spec:
  service: checkout
  indicator:
    metadata: {name: p99}
    spec:
      thresholdMetric:
        metricSource:
          metricSourceRef: prom
          spec: {query: 'histogram_quantile(0.99, sum by (le) (rate(http_duration_seconds_bucket[5m])))'}
  timeWindow: [{duration: 7d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{op: lt, value: 0.3, target: 0.95}]
`,
			check: func(t *testing.T, s SLO) {
				ind := s.Indicator
				if ind.Kind != Threshold || ind.Op != "lt" || ind.Value != 0.3 || ind.URL != "https://prom.example.com" ||
					!strings.HasPrefix(ind.Query, "histogram_quantile(0.99") {
					t.Errorf("indicator = %+v", ind)
				}
				if !ind.SampleGood(0.29) || ind.SampleGood(0.3) {
					t.Errorf("lt 0.3: 0.29 should be good and 0.3 bad")
				}
				// 7 days: 14.4 × 7/30 = 3.36 over 1h; the 3d tier fits too.
				if len(s.Tiers) != 4 || !closeTo(s.Tiers[0].Factor, 3.36) {
					t.Errorf("tiers = %+v", s.Tiers)
				}
			},
		},
		{
			name: "calendar month in a time zone",
			yaml: `
apiVersion: openslo/v1
kind: SLO
metadata: {name: checkout-monthly}
spec:
  service: checkout
  indicator:
    metadata: {name: req}
    spec: {ratioMetric: {counter: true, good: {metricSource: {type: vigil-push}}, total: {metricSource: {type: vigil-push}}}}
  timeWindow:
    - duration: 1M
      isRolling: false
      calendar: {startTime: "2026-01-01 00:00:00", timeZone: Europe/Berlin}
  budgetingMethod: Occurrences
  objectives: [{target: 0.999}]
`,
			check: func(t *testing.T, s SLO) {
				w := s.Window
				if w.Rolling || w.Months != 1 || w.Days != 0 || w.Location.String() != "Europe/Berlin" ||
					!w.Start.Equal(time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC)) || w.Duration.Std() != 30*duration.Day {
					t.Errorf("window = %+v", w)
				}
			},
		},
		{
			name: "Timeslices",
			yaml: `
apiVersion: openslo/v1
kind: SLO
metadata: {name: checkout-slices}
spec:
  service: checkout
  indicator:
    metadata: {name: req}
    spec: {ratioMetric: {counter: true, good: {metricSource: {type: vigil-push}}, total: {metricSource: {type: vigil-push}}}}
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Timeslices
  objectives: [{target: 0.99, timeSliceTarget: 0.95, timeSliceWindow: 5m}]
`,
			check: func(t *testing.T, s SLO) {
				want := Budgeting{Method: Timeslices, SliceTarget: 0.95, SliceWindow: dur(5 * time.Minute)}
				if s.Budgeting != want {
					t.Errorf("budgeting = %+v, want %+v", s.Budgeting, want)
				}
			},
		},
		{
			name: "alert policies replace the default tiers; Vigil annotations",
			yaml: `
apiVersion: openslo/v1
kind: AlertCondition
metadata: {name: slow-burn}
spec:
  severity: ticket
  condition: {kind: burnrate, op: gt, threshold: 2, lookbackWindow: 1d}
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata: {name: slow}
spec:
  conditions: [{conditionRef: slow-burn}]
  notificationTargets: [{targetRef: team}]
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-custom
  annotations:
    vigil.dev/min-events: "500"
    vigil.dev/freeze-below: "0.1"
    vigil.dev/exemptions: "security, p0"
    vigil.dev/disabled-tiers: slow-burn
spec:
  service: checkout
  indicator:
    metadata: {name: req}
    spec: {ratioMetric: {counter: true, good: {metricSource: {type: vigil-push}}, total: {metricSource: {type: vigil-push}}}}
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.999}]
  alertPolicies:
    - alertPolicyRef: slow
    - kind: AlertPolicy
      metadata: {name: fast}
      spec:
        conditions:
          - kind: AlertCondition
            metadata: {name: fast-burn}
            spec:
              severity: page
              condition: {kind: burnrate, op: gte, threshold: 10, lookbackWindow: 2h, alertAfter: 2m}
        notificationTargets: [{targetRef: team}]
`,
			check: func(t *testing.T, s SLO) {
				want := []Tier{
					{Name: "fast-burn", Severity: SeverityPage, Factor: 10, Long: dur(2 * time.Hour), Short: dur(10 * time.Minute), For: dur(2 * time.Minute)},
					{Name: "slow-burn", Severity: SeverityTicket, Factor: 2, Long: dur(24 * time.Hour), Short: dur(2 * time.Hour), Disabled: true},
				}
				if !reflect.DeepEqual(s.Tiers, want) {
					t.Errorf("tiers = %+v\nwant    %+v", s.Tiers, want)
				}
				if s.MinEvents != 500 {
					t.Errorf("min events = %v, want 500", s.MinEvents)
				}
				wantPolicy := Policy{FreezeBelow: 0.1, Exemptions: []string{"security", "p0"}}
				if !reflect.DeepEqual(s.Policy, wantPolicy) {
					t.Errorf("policy = %+v, want %+v", s.Policy, wantPolicy)
				}
			},
		},
		{
			name: "an OpenSLO Service naming a Vigil service",
			yaml: `
apiVersion: openslo/v1
kind: Service
metadata: {name: checkout}
spec: {description: The checkout}
---
` + strings.TrimPrefix(checkoutSLO, "\n"),
			check: func(t *testing.T, s SLO) {
				if s.Line != 6 {
					t.Errorf("line = %d, want 6", s.Line)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			slos := mustParse(t, tc.yaml)
			if len(slos) != 1 {
				t.Fatalf("got %d SLOs, want 1", len(slos))
			}
			tc.check(t, slos[0])
		})
	}
}

// sloWith returns the contract's example SLO with one line replaced.
func sloWith(old, new string) yamlText {
	return yamlText(checkoutSLO).replace(old, new)
}

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml yamlText
		// slos is the number of SLOs still read.
		slos int
		// want is "line path: message part" of each problem.
		want []string
	}{
		{
			name: "unknown service",
			yaml: sloWith("service: checkout", "service: chekout"),
			want: []string{`5 spec.service: unknown service "chekout"`},
		},
		{
			name: "target of 1 or more (the SDK's rule)",
			yaml: sloWith("target: 0.999", "target: 1.5"),
			want: []string{`15 spec.objectives[0].target: must be less than '1'`},
		},
		{
			name: "target of 0",
			yaml: sloWith("target: 0.999", "target: 0"),
			want: []string{`15 spec.objectives[0].target: strictly between 0 and 1`},
		},
		{
			name: "no target",
			yaml: sloWith("target: 0.999", "displayName: x"),
			want: []string{`15 spec.objectives[0]: one of [target, targetPercent] properties must be set`},
		},
		{
			name: "target not a number",
			yaml: sloWith("target: 0.999", "target: high"),
			want: []string{`15 spec.objectives[0].target: expected a number, got string`},
		},
		{
			name: "unknown field",
			yaml: sloWith("budgetingMethod: Occurrences", "budgetingMethod: Occurrences\n  budgetMethod: x"),
			want: []string{`15 spec.budgetMethod: unknown field "budgetMethod"`},
		},
		{
			name: "rolling window in months",
			yaml: sloWith("duration: 28d", "duration: 1M"),
			want: []string{`13 spec.timeWindow[0].duration: a rolling window is whole hours, days or weeks`},
		},
		{
			name: "rolling window in minutes",
			yaml: sloWith("duration: 28d", "duration: 90m"),
			want: []string{`13 spec.timeWindow[0].duration: a rolling window is whole hours, days or weeks`},
		},
		{
			name: "rolling window too long",
			yaml: sloWith("duration: 28d", "duration: 400d"),
			want: []string{`13 spec.timeWindow[0].duration: a rolling window lies between 1h and 366d`},
		},
		{
			name: "zero window",
			yaml: sloWith("duration: 28d", "duration: 0d"),
			want: []string{`13 spec.timeWindow[0].duration: the window must be longer than zero`},
		},
		{
			name: "window unit unknown (the SDK's rule)",
			yaml: sloWith("duration: 28d", "duration: 28x"),
			want: []string{`13 spec.timeWindow[0].duration.unit: must be one of`},
		},
		{
			name: "window without a unit",
			yaml: sloWith("duration: 28d", "duration: days"),
			want: []string{`13 spec.timeWindow[0].duration: invalid duration "days"`},
		},
		{
			name: "calendar window in an unknown zone",
			yaml: sloWith("{duration: 28d, isRolling: true}", `{duration: 1M, isRolling: false, calendar: {startTime: "2026-01-01 00:00:00", timeZone: Mars/Olympus}}`),
			want: []string{`13 spec.timeWindow[0].calendar.timeZone: must be a valid IANA Time Zone`},
		},
		{
			name: "calendar month starting on the 31st",
			yaml: sloWith("{duration: 28d, isRolling: true}", `{duration: 1M, isRolling: false, calendar: {startTime: "2026-01-31 00:00:00", timeZone: UTC}}`),
			want: []string{`13 spec.timeWindow[0].calendar.startTime: starts on day 1 to 28`},
		},
		{
			name: "RatioTimeslices",
			yaml: sloWith("budgetingMethod: Occurrences", "budgetingMethod: RatioTimeslices").
				replace("target: 0.999", "target: 0.999, timeSliceWindow: 1m"),
			want: []string{`14 spec.budgetingMethod: budgeting method RatioTimeslices is not supported`},
		},
		{
			name: "Timeslices without a slice target (the SDK's rule)",
			yaml: sloWith("budgetingMethod: Occurrences", "budgetingMethod: Timeslices").
				replace("target: 0.999", "target: 0.999, timeSliceWindow: 1m"),
			want: []string{`15 spec.objectives[0].timeSliceTarget: property is required`},
		},
		{
			name: "time slice that does not divide a day",
			yaml: sloWith("budgetingMethod: Occurrences", "budgetingMethod: Timeslices").
				replace("target: 0.999", "target: 0.999, timeSliceTarget: 0.9, timeSliceWindow: 7m"),
			want: []string{`15 spec.objectives[0].timeSliceWindow: a time slice divides a day evenly`},
		},
		{
			name: "two objectives",
			yaml: sloWith("objectives: [{displayName: available, target: 0.999}]", "objectives: [{target: 0.999}, {target: 0.99}]"),
			want: []string{`15 spec.objectives: one objective per SLO, this one has 2`},
		},
		{
			name: "indicator and indicatorRef missing",
			yaml: sloWith("  indicator:\n    metadata: {name: checkout-requests}\n    spec:\n      ratioMetric:\n        counter: true\n        good:  {metricSource: {type: vigil-push}}\n        total: {metricSource: {type: vigil-push}}\n", ""),
			want: []string{`4 spec: 'indicator' or 'indicatorRef' fields must either be defined`},
		},
		{
			name: "indicatorRef to no SLI",
			yaml: sloWith("  indicator:\n    metadata: {name: checkout-requests}\n    spec:\n      ratioMetric:\n        counter: true\n        good:  {metricSource: {type: vigil-push}}\n        total: {metricSource: {type: vigil-push}}\n", "  indicatorRef: nothing\n"),
			want: []string{`6 spec.indicatorRef: no SLI named "nothing"`},
		},
		{
			name: "unsupported metric source type",
			yaml: sloWith("good:  {metricSource: {type: vigil-push}}", "good:  {metricSource: {type: Datadog, spec: {query: x}}}"),
			want: []string{`11 spec.indicator.spec.ratioMetric.good.metricSource.type: unsupported metric source type "Datadog"`},
		},
		{
			name: "Prometheus without a DataSource",
			yaml: sloWith("good:  {metricSource: {type: vigil-push}}", "good:  {metricSource: {type: Prometheus, spec: {query: 'sum(increase(ok[{{.window}}]))'}}}").
				replace("total: {metricSource: {type: vigil-push}}", "total: {metricSource: {type: Prometheus, spec: {query: 'sum(increase(all[{{.window}}]))'}}}"),
			want: []string{
				`11 spec.indicator.spec.ratioMetric.good.metricSource: names the DataSource`,
				`12 spec.indicator.spec.ratioMetric.total.metricSource: names the DataSource`,
			},
		},
		{
			name: "metricSourceRef to no DataSource",
			yaml: sloWith("good:  {metricSource: {type: vigil-push}}", "good:  {metricSource: {metricSourceRef: prom, spec: {query: x}}}"),
			want: []string{`11 spec.indicator.spec.ratioMetric.good.metricSource.metricSourceRef: no DataSource named "prom"`},
		},
		{
			name: "Prometheus ratio query without a window; DataSource without a URL",
			yaml: `
apiVersion: openslo/v1
kind: DataSource
metadata: {name: prom}
spec: {type: Prometheus, connectionDetails: {address: "x"}}
---
` + sloWith("good:  {metricSource: {type: vigil-push}}", "good:  {metricSource: {metricSourceRef: prom, spec: {query: 'sum(ok)'}}}").
				replace("total: {metricSource: {type: vigil-push}}", "total: {metricSource: {metricSourceRef: prom, spec: {query: 'sum(increase(all[{{.window}}]))'}}}").trim(),
			want: []string{
				`4 spec.connectionDetails: needs connectionDetails with its url`,
				`16 spec.indicator.spec.ratioMetric.good.metricSource.spec.query: a ratio query counts events over a range written {{.window}}`,
			},
		},
		{
			name: "sources of good and total differ",
			yaml: `
apiVersion: openslo/v1
kind: DataSource
metadata: {name: prom}
spec: {type: Prometheus, connectionDetails: {url: "http://p:9090"}}
---
` + sloWith("good:  {metricSource: {type: vigil-push}}", "good:  {metricSource: {metricSourceRef: prom, spec: {query: 'sum(increase(ok[{{.window}}]))'}}}").trim(),
			want: []string{`17 spec.indicator.spec.ratioMetric.total: good and total events come from different sources`},
		},
		{
			name: "raw ratio",
			yaml: sloWith("good:  {metricSource: {type: vigil-push}}\n        total: {metricSource: {type: vigil-push}}", "rawType: success\n        raw: {metricSource: {type: vigil-push}}"),
			want: []string{`9 spec.indicator.spec.ratioMetric: raw ratio metrics are not supported`},
		},
		{
			name: "threshold without op and value",
			yaml: sloWith("ratioMetric:\n        counter: true\n        good:  {metricSource: {type: vigil-push}}\n        total: {metricSource: {type: vigil-push}}", "thresholdMetric: {metricSource: {type: vigil-push}}"),
			want: []string{
				`12 spec.objectives[0].value: property is required`,
				`12 spec.objectives[0].op: property is required`,
			},
		},
		{
			name: "duplicate SLO names",
			yaml: yamlText(checkoutSLO + "---\n" + strings.TrimPrefix(checkoutSLO, "\n")),
			slos: 1,
			want: []string{`19 metadata.name: duplicate SLO name "checkout-availability", first defined at slo.yaml:1`},
		},
		{
			name: "unsupported apiVersion",
			yaml: sloWith("apiVersion: openslo/v1", "apiVersion: openslo/v2alpha"),
			want: []string{`1 apiVersion: unsupported apiVersion "openslo/v2alpha"`},
		},
		{
			name: "unknown kind",
			yaml: sloWith("kind: SLO", "kind: Slo"),
			want: []string{`2 kind: unknown kind "Slo"`},
		},
		{
			name: "name not a DNS label (the SDK's rule)",
			yaml: sloWith("name: checkout-availability}", "name: Checkout_Availability}"),
			want: []string{`3 metadata.name: string must match regular expression`},
		},
		{
			name: "unknown Vigil annotation, bad values",
			yaml: sloWith("metadata: {name: checkout-availability}", `metadata:
  name: checkout-availability
  annotations: {vigil.dev/min-event: "5", vigil.dev/freeze-below: "1", vigil.dev/disabled-tiers: page-2h, vigil.dev/exemptions: "P0"}`),
			want: []string{
				`5 metadata.annotations['vigil.dev/min-event']: unknown Vigil annotation`,
				`5 metadata.annotations['vigil.dev/freeze-below']: freeze-below is a share of the budget from 0 up to 1`,
				`5 metadata.annotations['vigil.dev/disabled-tiers']: the SLO has no burn-rate tier "page-2h": its tiers are page-1h, page-6h, ticket-1d, ticket-3d`,
				`5 metadata.annotations['vigil.dev/exemptions']: invalid change type "P0"`,
			},
		},
		{
			name: "OpenSLO Service naming no Vigil service",
			yaml: "apiVersion: openslo/v1\nkind: Service\nmetadata: {name: shop}\nspec: {}\n",
			want: []string{`3 metadata.name: unknown service "shop"`},
		},
		{
			name: "alert condition that fires below its threshold",
			yaml: sloWith("objectives: [{displayName: available, target: 0.999}]", `objectives: [{target: 0.999}]
  alertPolicies:
    - kind: AlertPolicy
      metadata: {name: p}
      spec:
        conditions:
          - kind: AlertCondition
            metadata: {name: c}
            spec: {severity: page, condition: {kind: burnrate, op: lt, threshold: 2, lookbackWindow: 1h}}
        notificationTargets: [{targetRef: t}]`),
			want: []string{`23 spec.alertPolicies[0].spec.conditions[0].spec.condition.op: use op gt or gte`},
		},
		{
			name: "alertPolicyRef to no policy",
			yaml: sloWith("objectives: [{displayName: available, target: 0.999}]", "objectives: [{target: 0.999}]\n  alertPolicies: [{alertPolicyRef: nope}]"),
			want: []string{`16 spec.alertPolicies[0].alertPolicyRef: no AlertPolicy named "nope"`},
		},
		{
			name: "not a finite number",
			yaml: sloWith("target: 0.999", "target: .nan"),
			want: []string{`15 : .nan is not a finite number`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			slos, problems := parseYAML(t, string(tc.yaml))
			if len(slos) != tc.slos {
				t.Errorf("got %d SLOs from a document with problems", len(slos))
			}
			var got []string
			for _, p := range problems {
				if p.File != "slo.yaml" {
					t.Errorf("problem without the file: %s", p)
				}
				got = append(got, p.String())
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for i, w := range tc.want {
				line, rest, _ := strings.Cut(w, " ")
				path, msg, _ := strings.Cut(rest, ": ")
				p := problems[i]
				if strconv.Itoa(p.Line) != line || p.Path != path || !strings.Contains(p.Message, msg) {
					t.Errorf("problem %d = %s\nwant line %s, path %q, message containing %q", i, p, line, path, msg)
				}
			}
		})
	}
}

type yamlText string

func (y yamlText) replace(old, new string) yamlText {
	if !strings.Contains(string(y), old) {
		panic("no " + old)
	}
	return yamlText(strings.Replace(string(y), old, new, 1))
}

func (y yamlText) trim() yamlText { return yamlText(strings.TrimPrefix(string(y), "\n")) }
