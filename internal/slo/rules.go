package slo

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigil-oncall/vigil/internal/duration"
)

// Names of the exported Prometheus series and alert.
const (
	recordErrorRatio = "vigil_slo:error_ratio:" // + window, such as "1h"
	recordEvents     = "vigil_slo:events:"      // + window
	recordSampleBad  = "vigil_slo:sample_bad"   // threshold indicators: 1 for a bad sample
	recordSliceBad   = "vigil_slo:slice_bad"    // Timeslices: 1 for a bad slice
	alertName        = "SLOErrorBudgetBurn"
)

type ruleFile struct {
	Groups []ruleGroup `yaml:"groups"`
}

type ruleGroup struct {
	Name     string `yaml:"name"`
	Interval string `yaml:"interval,omitempty"`
	Rules    []rule `yaml:"rules"`
}

type rule struct {
	Record      string            `yaml:"record,omitempty"`
	Alert       string            `yaml:"alert,omitempty"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

// Rules writes Prometheus recording and alerting rules that evaluate the
// SLOs as Vigil does, for teams who alert in Prometheus. Each SLO whose data
// Prometheus has gets its rule groups:
//
//   - vigil_slo:error_ratio:<w>, the ratio of sums Σbad/Σtotal over each
//     window w of its burn-rate tiers (Σbad slices/Σslices under
//     Timeslices), and vigil_slo:events:<w>, the events over each long
//     window, for the minimum-events guard;
//   - for a threshold indicator, vigil_slo:sample_bad, 1 for each bad
//     sample, evaluated every minute: one sample is one event;
//   - under Timeslices, vigil_slo:slice_bad, 1 for each bad slice, in a
//     group evaluated once a slice;
//   - an alert SLOErrorBudgetBurn for each enabled tier, labelled with its
//     severity (page or ticket) and tier, firing when both windows burn
//     faster than the factor with enough events, held for the tier's For,
//     and unless a faster tier fires.
//
// SLOs whose data is pushed to Vigil have nothing for Prometheus to read;
// they are listed in a comment at the top.
func Rules(slos []SLO) ([]byte, error) {
	var file ruleFile
	var pushed []string
	seen := map[string]bool{}
	for _, s := range slos {
		if seen[s.Name] {
			return nil, fmt.Errorf("prometheus rules: SLO %q appears twice", s.Name)
		}
		seen[s.Name] = true
		if s.Indicator.Source != SourcePrometheus {
			pushed = append(pushed, s.Name)
			continue
		}
		groups, err := sloRules(s)
		if err != nil {
			return nil, fmt.Errorf("prometheus rules: SLO %q: %w", s.Name, err)
		}
		file.Groups = append(file.Groups, groups...)
	}
	var buf bytes.Buffer
	buf.WriteString("# Prometheus rules for Vigil's SLOs, written by \"vigil slo rules\".\n")
	if len(pushed) > 0 {
		fmt.Fprintf(&buf, "# Left out, their data is pushed to Vigil: %s.\n", strings.Join(pushed, ", "))
	}
	if len(file.Groups) == 0 {
		buf.WriteString("groups: []\n")
		return buf.Bytes(), nil
	}
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(file); err != nil {
		return nil, fmt.Errorf("prometheus rules: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("prometheus rules: %w", err)
	}
	return buf.Bytes(), nil
}

// promSLO builds one SLO's expressions.
type promSLO struct {
	SLO
	labels   map[string]string
	selector string // {slo="…"}
}

func sloRules(s SLO) ([]ruleGroup, error) {
	p := promSLO{
		SLO:      s,
		labels:   map[string]string{"slo": s.Name, "service": s.Service},
		selector: "{slo=" + strconv.Quote(s.Name) + "}",
	}
	switch s.Indicator.Kind {
	case RatioGood, RatioBad:
		if s.Indicator.Total == "" || s.Indicator.Good == "" && s.Indicator.Bad == "" {
			return nil, fmt.Errorf("a ratio indicator needs its good or bad query and its total query")
		}
	case Threshold:
		if s.Indicator.Query == "" || opNegation[s.Indicator.Op] == "" {
			return nil, fmt.Errorf("a threshold indicator needs its query, op and value")
		}
	default:
		return nil, fmt.Errorf("unknown indicator kind %q", s.Indicator.Kind)
	}
	base := "vigil-slo-" + s.Name
	var groups []ruleGroup
	if s.Indicator.Kind == Threshold {
		// One sample a minute is one event, as Vigil counts them.
		groups = append(groups, ruleGroup{Name: base + "-samples", Interval: "1m", Rules: []rule{{
			Record: recordSampleBad,
			Expr:   fmt.Sprintf("(%s) %s bool %s", s.Indicator.Query, opNegation[s.Indicator.Op], formatFloat(s.Indicator.Value)),
			Labels: p.labels,
		}}})
	}
	if s.Budgeting.Method == Timeslices {
		slice := s.Budgeting.SliceWindow.Std()
		groups = append(groups, ruleGroup{Name: base + "-slices", Interval: promDuration(slice), Rules: []rule{{
			Record: recordSliceBad,
			Expr:   fmt.Sprintf("(%s) > bool (1 - %s)", p.eventErrorRatio(slice), formatFloat(s.Budgeting.SliceTarget)),
			Labels: p.labels,
		}}})
	}
	main := ruleGroup{Name: base}
	for _, w := range p.windows() {
		main.Rules = append(main.Rules, rule{Record: recordErrorRatio + promDuration(w), Expr: p.errorRatio(w), Labels: p.labels})
	}
	for _, w := range p.longWindows() {
		main.Rules = append(main.Rules, rule{Record: recordEvents + promDuration(w), Expr: p.events(w), Labels: p.labels})
	}
	var faster []string
	for _, t := range s.Tiers {
		if t.Disabled {
			continue
		}
		cond := p.condition(t)
		expr := cond
		if len(faster) > 0 {
			// unless binds tighter than or: the faster conditions are
			// grouped as one operand.
			expr = "(" + cond + ")\nunless\n(\n(" + strings.Join(faster, ")\nor\n(") + ")\n)"
		}
		faster = append(faster, cond)
		main.Rules = append(main.Rules, rule{
			Alert: alertName,
			Expr:  expr,
			For:   promDuration(t.For.Std()),
			Labels: map[string]string{
				"slo": s.Name, "service": s.Service, "severity": t.Severity, "tier": t.Name,
			},
			Annotations: map[string]string{
				"summary": fmt.Sprintf("SLO %s burns its error budget faster than %s× over %s and %s",
					s.Name, formatFloat(t.Factor), t.Long, t.Short),
				"description": fmt.Sprintf("The error ratio over %s is {{ $value | humanizePercentage }}, more than %s times the %s that the objective %s allows: at that rate the %s error budget lasts %s.",
					t.Long, formatFloat(t.Factor), strconv.FormatFloat(100*(1-s.Objective), 'g', 6, 64)+"%", formatFloat(s.Objective), s.Window.Duration, exhaustion(s.Window.Duration.Std(), t.Factor)),
			},
		})
	}
	groups = append(groups, main)
	return groups, nil
}

// opNegation maps a threshold's "good" operator to the one that makes a
// sample bad.
var opNegation = map[string]string{"gt": "<=", "gte": "<", "lt": ">=", "lte": ">"}

// windows are the distinct tier windows, shortest first.
func (p promSLO) windows() []time.Duration {
	set := map[time.Duration]bool{}
	for _, t := range p.Tiers {
		if !t.Disabled {
			set[p.effective(t.Long.Std())] = true
			set[p.effective(t.Short.Std())] = true
		}
	}
	return sorted(set)
}

func (p promSLO) longWindows() []time.Duration {
	set := map[time.Duration]bool{}
	for _, t := range p.Tiers {
		if !t.Disabled {
			set[t.Long.Std()] = true
		}
	}
	return sorted(set)
}

func sorted(set map[time.Duration]bool) []time.Duration {
	out := make([]time.Duration, 0, len(set))
	for w := range set {
		out = append(out, w)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// effective widens a window to at least one slice under Timeslices, as
// Vigil counts at least the last whole slice.
func (p promSLO) effective(w time.Duration) time.Duration {
	if p.Budgeting.Method == Timeslices {
		return max(w, p.Budgeting.SliceWindow.Std())
	}
	return w
}

// errorRatio is the expression of the error ratio over w.
func (p promSLO) errorRatio(w time.Duration) string {
	if p.Budgeting.Method == Timeslices {
		return fmt.Sprintf("avg_over_time(%s%s[%s])", recordSliceBad, p.selector, promDuration(w))
	}
	return p.eventErrorRatio(w)
}

// eventErrorRatio is Σbad/Σtotal of the events over w.
func (p promSLO) eventErrorRatio(w time.Duration) string {
	ind := p.Indicator
	win := promDuration(w)
	switch ind.Kind {
	case Threshold:
		return fmt.Sprintf("avg_over_time(%s%s[%s])", recordSampleBad, p.selector, win)
	case RatioBad:
		return fmt.Sprintf("(%s)\n/\n(%s)", withWindow(ind.Bad, win), withWindow(ind.Total, win))
	default:
		return fmt.Sprintf("1 - (\n  (%s)\n  /\n  (%s)\n)", withWindow(ind.Good, win), withWindow(ind.Total, win))
	}
}

// events is the expression of the number of events over w.
func (p promSLO) events(w time.Duration) string {
	if p.Indicator.Kind == Threshold {
		return fmt.Sprintf("count_over_time(%s%s[%s])", recordSampleBad, p.selector, promDuration(w))
	}
	return withWindow(p.Indicator.Total, promDuration(w))
}

// condition is a tier's multi-window condition.
func (p promSLO) condition(t Tier) string {
	threshold := fmt.Sprintf("%s * (1 - %s)", formatFloat(t.Factor), formatFloat(p.Objective))
	return fmt.Sprintf("%s%s%s > %s\nand\n%s%s%s > %s\nand\n%s%s%s >= %s",
		recordErrorRatio, promDuration(p.effective(t.Long.Std())), p.selector, threshold,
		recordErrorRatio, promDuration(p.effective(t.Short.Std())), p.selector, threshold,
		recordEvents, promDuration(t.Long.Std()), p.selector, formatFloat(p.MinEvents))
}

// exhaustion is how long a whole budget lasts at a burn rate, to the
// minute: window / factor.
func exhaustion(window time.Duration, factor float64) string {
	return duration.Format(time.Duration(float64(window) / factor).Round(time.Minute))
}

func withWindow(query, window string) string {
	return strings.ReplaceAll(query, WindowPlaceholder, window)
}

// promDuration writes a duration as Prometheus reads it: "5m", "1h", "3d".
func promDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	return duration.Format(d)
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
