package slo

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigil-oncall/vigil/internal/duration"
	"github.com/vigil-oncall/vigil/internal/vigiltest"
)

// promSLOs are SLOs of every kind Rules writes.
func promSLOs() []SLO {
	ratio := rolling30()
	ratio.Name = "checkout-http"
	ratio.Indicator = Indicator{
		Kind: RatioGood, Source: SourcePrometheus, DataSource: "prom", URL: "http://prom:9090",
		Good:  `sum(increase(http_requests_total{job="checkout",code!~"5.."}[{{.window}}]))`,
		Total: `sum(increase(http_requests_total{job="checkout"}[{{.window}}]))`,
	}
	ratio.Tiers[3].Disabled = true // ticket-3d

	bad := rolling30()
	bad.Name = "payments-errors"
	bad.Service = "payments-api"
	bad.Objective = 0.995
	bad.Indicator = Indicator{
		Kind: RatioBad, Source: SourcePrometheus, DataSource: "prom",
		Bad:   `sum(increase(payments_errors_total[{{.window}}]))`,
		Total: `sum(increase(payments_total[{{.window}}]))`,
	}
	bad.Tiers = []Tier{{Name: "fast", Severity: SeverityPage, Factor: 10, Long: dur(2 * time.Hour), Short: dur(10 * time.Minute), For: dur(2 * time.Minute)}}

	latency := rolling30()
	latency.Name = "checkout-latency"
	latency.Window.Duration = dur(7 * duration.Day)
	latency.Tiers = DefaultTiers(7 * duration.Day)
	latency.Indicator = Indicator{
		Kind: Threshold, Source: SourcePrometheus, DataSource: "prom",
		Query: `histogram_quantile(0.99, sum by (le) (rate(http_duration_seconds_bucket[5m])))`, Op: "lt", Value: 0.3,
	}

	slices := rolling30()
	slices.Name = "checkout-slices"
	slices.Budgeting = Budgeting{Method: Timeslices, SliceTarget: 0.95, SliceWindow: dur(5 * time.Minute)}
	slices.Indicator = ratio.Indicator
	slices.Tiers = DefaultTiers(30 * duration.Day)

	pushed := rolling30()
	pushed.Name = "pushed"
	return []SLO{ratio, bad, latency, slices, pushed}
}

// TestRulesContent compares the whole rules file written for SLOs of every
// kind with testdata/rules.golden (go test -run TestRulesContent -update
// rewrites it, for the diff to be read). What to read there: error ratios
// over each enabled tier's windows (none for the disabled ticket-3d),
// events over the long windows, SLOErrorBudgetBurn per tier firing above
// factor × (1 − objective) in both windows with enough events, a slower
// tier silent while a faster one fires, bad over total for payments, a
// sample per minute for the latency threshold, a slice per 5 minutes for
// timeslices, and the pushed SLO left out in a comment.
func TestRulesContent(t *testing.T) {
	out, err := Rules(promSLOs())
	if err != nil {
		t.Fatal(err)
	}
	vigiltest.Golden(t, "rules", out)
	var file ruleFile
	if err := yaml.Unmarshal(out, &file); err != nil {
		t.Fatalf("output is not YAML: %v\n%s", err, out)
	}
}

func TestRulesRefusesIncompleteSLOs(t *testing.T) {
	noQuery := promSLOs()[0]
	noQuery.Indicator.Total = ""
	noOp := promSLOs()[2]
	noOp.Indicator.Op = "eq"
	dup := promSLOs()[0]
	for name, slos := range map[string][]SLO{
		"ratio without a total query":  {noQuery},
		"threshold with an unknown op": {noOp},
		"the same SLO twice":           {dup, dup},
	} {
		if _, err := Rules(slos); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	out, err := Rules(nil)
	if err != nil || string(out) != "# Prometheus rules for Vigil's SLOs, written by \"vigil slo rules\".\ngroups: []\n" {
		t.Errorf("no SLOs: %q, %v", out, err)
	}
}

// TestRulesPassPromtool checks the rules with Prometheus's own checker.
// Install it with
//
//	go install github.com/prometheus/prometheus/cmd/promtool@v0.316.0
func TestRulesPassPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not on PATH; install it with: go install github.com/prometheus/prometheus/cmd/promtool@v0.316.0")
	}
	out, err := Rules(promSLOs())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	msg, err := exec.Command(promtool, "check", "rules", path).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s\nrules:\n%s", err, msg, out)
	}
}

// TestRulesAlertAsVigilDoes runs the exported rules in promtool's rule
// tests and Vigil's evaluation on the same traffic: 1,000 requests a
// minute, 30 of them failing from minute 100 to minute 400, then none.
//
// At minute 400 the last hour fails at 3%, 30 times the 0.1% budget:
// page-1h fires (above 14.4 over 1h and 5m), and page-6h, also above 6,
// is suppressed. At minute 420 the last 5 minutes are clean, page-1h stops
// and page-6h fires: 9,000 failures of the 359,000 requests Prometheus
// counts between the samples of the last 6h, 2.507%, and over 30 minutes
// 9 (Prometheus) or 10 (Vigil) failing minutes of 30, 0.9% or 1%.
func TestRulesAlertAsVigilDoes(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not on PATH; install it with: go install github.com/prometheus/prometheus/cmd/promtool@v0.316.0")
	}
	s := rolling30()
	s.Name = "checkout-http"
	s.Indicator = Indicator{
		Kind: RatioGood, Source: SourcePrometheus, DataSource: "prom",
		Good:  `sum(increase(requests_good_total[{{.window}}]))`,
		Total: `sum(increase(requests_total[{{.window}}]))`,
	}
	rules, err := Rules([]SLO{s})
	if err != nil {
		t.Fatal(err)
	}
	const unit = `rule_files: [rules.yaml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: requests_total
        values: '0+1000x420'
      - series: requests_good_total
        values: '0+1000x100 100970+970x299 392000+1000x19'
    alert_rule_test:
      - eval_time: 400m
        alertname: SLOErrorBudgetBurn
        exp_alerts:
          - exp_labels: {slo: checkout-http, service: checkout, severity: page, tier: page-1h}
            exp_annotations:
              summary: SLO checkout-http burns its error budget faster than 14.4× over 1h and 5m
              description: 'The error ratio over 1h is 3%, more than 14.4 times the 0.1% that the objective 0.999 allows: at that rate the 30d error budget lasts 50h.'
      - eval_time: 420m
        alertname: SLOErrorBudgetBurn
        exp_alerts:
          - exp_labels: {slo: checkout-http, service: checkout, severity: page, tier: page-6h}
            exp_annotations:
              summary: SLO checkout-http burns its error budget faster than 6× over 6h and 30m
              description: 'The error ratio over 6h is 2.507%, more than 6 times the 0.1% that the objective 0.999 allows: at that rate the 30d error budget lasts 5d.'
`
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), rules, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "unit.yaml"), []byte(unit), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(promtool, "test", "rules", "unit.yaml")
	cmd.Dir = dir
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool test rules: %v\n%s", err, msg)
	}

	series := newSeries(s)
	start := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	for m := 1; m <= 420; m++ {
		bad := 0.0
		if m > 100 && m <= 400 {
			bad = 30
		}
		series.Add(Point{At: start.Add(time.Duration(m) * time.Minute), Good: 1000 - bad, Total: 1000})
	}
	for _, tc := range []struct {
		minute int
		tier   string
	}{{400, "page-1h"}, {420, "page-6h"}} {
		st := Evaluate(s, series, start.Add(time.Duration(tc.minute)*time.Minute))
		if st.Firing == nil || st.Firing.Tier != tc.tier {
			t.Errorf("Vigil at minute %d fires %+v, want %s", tc.minute, st.Firing, tc.tier)
		}
	}
}
