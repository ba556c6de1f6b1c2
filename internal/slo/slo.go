// Package slo is Vigil's SLO core: it reads OpenSLO v1 documents into compact
// SLO definitions and evaluates them against event counts — error budgets,
// multi-window multi-burn-rate alerts and the error-budget policy that
// freezes releases. It is pure: no I/O, no HTTP, no SQL; time is always
// passed in.
//
// # Definitions
//
// An error budget is the share of events allowed to be bad: 1 − objective.
// Every ratio over a window is a ratio of sums (Σbad / Σtotal over the
// window), never an average of per-minute ratios, so that a quiet minute
// weighs as little as it should. A window without events has "no data",
// said by a NoData field: no value is ever NaN or infinite.
//
//   - error ratio over a window = Σbad / Σtotal
//   - burn rate over a window = error ratio / (1 − objective); at burn rate 1
//     the budget lasts exactly the SLO window
//   - budget consumed = burn rate over the SLO window; budget remaining =
//     1 − consumed. Remaining goes negative when more than the budget has
//     been spent: −0.5 means half a budget too much.
//
// Under Timeslices budgeting the events are time slices: a slice with data
// is good when its own ratio of good to total meets the slice target, and
// slices without events count neither way.
//
// # Data
//
// A vigil-push indicator's counts arrive at Vigil's events endpoint. A
// Prometheus indicator names a DataSource (type Prometheus, with
// connectionDetails [{url: ...}]) in metricSourceRef; a ratio's queries
// count events over a range written {{.window}}, as in
// sum(increase(http_requests_total{code=~"5.."}[{{.window}}])), so that the
// same query serves every window: Vigil's minute-by-minute pull and the
// exported rules' burn-rate windows. A threshold query is an instant value;
// each sample (one a minute) is one event, good when "sample op value"
// holds for the objective's op and value.
//
// # Burn-rate tiers
//
// Without alertPolicies an SLO gets DefaultTiers for its window. With them,
// each burnrate AlertCondition becomes a tier named after the condition:
// its threshold is the factor, its lookbackWindow the long window (the
// short window is a twelfth of it), alertAfter its For, and severity page
// (or critical, high) pages while ticket (or warning, low, info) files a
// low-urgency alert. Notification targets are required by OpenSLO but
// Vigil alerts through the service's own escalation policy.
//
// # Vigil annotations
//
// OpenSLO v1 has no fields for Vigil's alerting and release policy, so an
// SLO document carries them as metadata annotations:
//
//	vigil.dev/min-events      events the long window of a burn-rate tier must
//	                          hold before the tier may fire (default 100)
//	vigil.dev/disabled-tiers  comma-separated tier names that never fire,
//	                          such as "ticket-1d,ticket-3d"
//	vigil.dev/freeze-below    releases freeze while the budget remaining is at
//	                          or below this ratio (default 0: exhausted)
//	vigil.dev/exemptions      comma-separated change types that pass a
//	                          budget freeze, such as "security,p0"
package slo

import (
	"time"

	"github.com/vigil-oncall/vigil/internal/duration"
)

// Indicator kinds.
const (
	// RatioGood counts good events against total events.
	RatioGood = "ratio-good/total"
	// RatioBad counts bad events against total events.
	RatioBad = "ratio-bad/total"
	// Threshold samples a value; a sample is good when it meets the
	// objective's operator and value, and each sample counts as one event.
	Threshold = "threshold"
)

// Indicator sources.
const (
	// SourcePush: counts are pushed to Vigil's events endpoint.
	SourcePush = "vigil-push"
	// SourcePrometheus: counts are pulled from a Prometheus-compatible API.
	SourcePrometheus = "prometheus"
)

// Budgeting methods.
const (
	Occurrences = "Occurrences"
	Timeslices  = "Timeslices"
)

// Tier severities.
const (
	SeverityPage   = "page"   // high urgency: pages now
	SeverityTicket = "ticket" // low urgency: never wakes anyone
)

// Defaults of the Vigil annotations.
const (
	DefaultMinEvents = 100
	// PostmortemShare is the share of a window's budget above which a
	// single incident is flagged for a post-mortem.
	PostmortemShare = 0.2
)

// WindowPlaceholder marks where a Prometheus query takes its range, as in
// sum(increase(http_requests_total{code=~"5.."}[{{.window}}])).
const WindowPlaceholder = "{{.window}}"

// SLO is one service level objective, resolved from its OpenSLO documents.
type SLO struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name,omitempty"`
	Description string `json:"description,omitempty"`
	// Service is the Vigil service the SLO belongs to.
	Service string `json:"service"`
	// Objective is the target share of good events, strictly between 0 and 1.
	Objective float64   `json:"objective"`
	Window    Window    `json:"window"`
	Budgeting Budgeting `json:"budgeting"`
	Indicator Indicator `json:"indicator"`
	// Tiers are the burn-rate alert rules, fastest first (shortest long
	// window). A disabled tier is kept, so that status pages can show it.
	Tiers     []Tier  `json:"tiers"`
	MinEvents float64 `json:"min_events"`
	Policy    Policy  `json:"policy"`
	// File and Line say where the SLO document starts.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
}

// ErrorBudget is the share of events allowed to be bad.
func (s SLO) ErrorBudget() float64 { return 1 - s.Objective }

// Window is the period an SLO is measured over: rolling (the last Duration,
// moving with now) or calendar (periods of whole days or months from a
// start in a time zone, the budget reset at each period's start).
type Window struct {
	Rolling bool `json:"rolling"`
	// Duration is the rolling length, or a calendar period's nominal length
	// (a month counts 30 days), which scales the burn-rate tiers.
	Duration duration.Duration `json:"duration"`
	// Calendar periods step by Months and Days from Start, a period
	// boundary, read in Location.
	Months   int            `json:"months,omitempty"`
	Days     int            `json:"days,omitempty"`
	Start    time.Time      `json:"start,omitzero"`
	Location *time.Location `json:"-"`
}

// Budgeting says what a budget counts: events (Occurrences) or time slices.
type Budgeting struct {
	Method string `json:"method"`
	// SliceTarget is the share of good events that makes a slice good.
	SliceTarget float64 `json:"slice_target,omitempty"`
	// SliceWindow is a slice's length, a whole number of minutes that
	// divides a day.
	SliceWindow duration.Duration `json:"slice_window,omitempty"`
}

// Indicator is what an SLO measures and where its data comes from.
type Indicator struct {
	Name   string `json:"name,omitempty"`
	Kind   string `json:"kind"`
	Source string `json:"source"`
	// DataSource names the OpenSLO DataSource of a Prometheus source, and
	// URL is its API's address.
	DataSource string `json:"data_source,omitempty"`
	URL        string `json:"url,omitempty"`
	// Good, Bad and Total are PromQL queries of a ratio indicator (Good or
	// Bad is empty); each returns the count of events over the range written
	// as {{.window}}.
	Good  string `json:"good,omitempty"`
	Bad   string `json:"bad,omitempty"`
	Total string `json:"total,omitempty"`
	// Query, Op and Value define a threshold indicator: a sample is good
	// when "sample Op Value" holds (Op is gt, gte, lt or lte).
	Query string  `json:"query,omitempty"`
	Op    string  `json:"op,omitempty"`
	Value float64 `json:"value,omitempty"`
}

// SampleGood reports whether a threshold indicator's sample is good.
func (ind Indicator) SampleGood(v float64) bool {
	switch ind.Op {
	case "gt":
		return v > ind.Value
	case "gte":
		return v >= ind.Value
	case "lt":
		return v < ind.Value
	case "lte":
		return v <= ind.Value
	}
	return false
}

// Tier is one multi-window burn-rate rule: it fires when the burn rate over
// both the Long and the Short window exceeds Factor, and has done so for
// For, and the long window holds at least the SLO's MinEvents events.
type Tier struct {
	Name     string            `json:"name"`
	Severity string            `json:"severity"`
	Factor   float64           `json:"factor"`
	Long     duration.Duration `json:"long"`
	Short    duration.Duration `json:"short"`
	For      duration.Duration `json:"for"`
	Disabled bool              `json:"disabled,omitempty"`
}

// Policy is the error-budget policy: releases freeze while the budget
// remaining is at or below FreezeBelow, except for the Exemptions' change
// types.
type Policy struct {
	FreezeBelow float64  `json:"freeze_below"`
	Exemptions  []string `json:"exemptions"`
}

// The SRE Workbook's tiers for a 30-day window: the share of the budget that
// each long window may consume before it alerts.
var workbookTiers = [...]struct {
	severity    string
	budgetShare float64
	long, short time.Duration
}{
	{SeverityPage, 0.02, time.Hour, 5 * time.Minute},
	{SeverityPage, 0.05, 6 * time.Hour, 30 * time.Minute},
	{SeverityTicket, 0.10, duration.Day, 2 * time.Hour},
	{SeverityTicket, 0.10, 3 * duration.Day, 6 * time.Hour},
}

// DefaultTiers returns the SRE Workbook's multi-window, multi-burn-rate
// tiers for an SLO window. The workbook fixes the share of the budget each
// long window may consume: 2% in 1h, 5% in 6h, 10% in 1d and 10% in 3d. A
// tier's factor is the burn rate that consumes that share in the long
// window:
//
//	factor = share × window / long window
//
// For 30 days that gives the workbook's table: 0.02 × 720h / 1h = 14.4,
// 0.05 × 720h / 6h = 6, 0.10 × 30d / 1d = 3 and 0.10 × 30d / 3d = 1. The
// factors are proportional to the window, so for 28 days they are 28/30 of
// those: 13.44, 5.6, 2.8 and 0.9333…. Tiers whose long window is longer
// than the SLO window are left out.
func DefaultTiers(window time.Duration) []Tier {
	tiers := make([]Tier, 0, len(workbookTiers))
	for _, w := range workbookTiers {
		if w.long > window {
			continue
		}
		tiers = append(tiers, Tier{
			Name:     tierName(w.severity, w.long),
			Severity: w.severity,
			Factor:   w.budgetShare * float64(window) / float64(w.long),
			Long:     duration.Duration(w.long),
			Short:    duration.Duration(w.short),
		})
	}
	return tiers
}

// tierName names a tier by its severity and long window: "page-1h".
func tierName(severity string, long time.Duration) string {
	return severity + "-" + duration.Format(long)
}
