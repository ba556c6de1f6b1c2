package slo

import (
	"fmt"
	"time"

	"github.com/vigil-oncall/vigil/internal/alert"
	"github.com/vigil-oncall/vigil/internal/duration"
)

// Status is an SLO's state at one instant. Every number is finite: where a
// ratio would divide by zero, NoData says so and the ratio is 0.
type Status struct {
	SLO         string    `json:"slo"`
	Service     string    `json:"service"`
	At          time.Time `json:"at"`
	WindowStart time.Time `json:"window_start"`
	// NoData is set when the window holds no events (no slices with data
	// under Timeslices). SLI, the budget consumed and the burn rates are
	// then 0 and the budget remaining is 1: nothing measured, nothing spent.
	NoData bool `json:"no_data"`
	// Good and Total count events, or slices under Timeslices budgeting.
	Good            float64 `json:"good"`
	Total           float64 `json:"total"`
	SLI             float64 `json:"sli"`
	Objective       float64 `json:"objective"`
	ErrorBudget     float64 `json:"error_budget"`
	BudgetConsumed  float64 `json:"budget_consumed"`
	BudgetRemaining float64 `json:"budget_remaining"`
	// BurnRate is the burn rate over the last hour.
	BurnRate float64 `json:"burn_rate"`
	// TimeToExhaustion is how long the budget remaining lasts at BurnRate:
	// nil when not burning, 0 when the budget is spent.
	TimeToExhaustion *duration.Duration `json:"time_to_exhaustion"`
	// Frozen is set when the budget remaining is at or below the policy's
	// FreezeBelow: the service's releases are denied.
	Frozen bool         `json:"frozen"`
	Tiers  []TierStatus `json:"tiers"`
	// Firing is the fastest tier that fires, if any; the slower tiers that
	// also fire are suppressed.
	Firing *Firing `json:"firing"`
}

// TierStatus is a burn-rate tier's state.
type TierStatus struct {
	Tier
	LongBurnRate  float64 `json:"long_burn_rate"`
	ShortBurnRate float64 `json:"short_burn_rate"`
	// LongEvents are the events in the long window, against MinEvents.
	LongEvents float64 `json:"long_events"`
	// Met: both burn rates exceed the factor with enough events, now and
	// throughout For, and the tier is enabled.
	Met        bool `json:"met"`
	Suppressed bool `json:"suppressed"`
}

// Firing is what a firing tier's alert carries.
type Firing struct {
	Tier     string `json:"tier"`
	Severity string `json:"severity"`
	// Urgency: a page is high urgency, a ticket low.
	Urgency          alert.Urgency      `json:"urgency"`
	Factor           float64            `json:"factor"`
	BurnRate         float64            `json:"burn_rate"`
	ShortBurnRate    float64            `json:"short_burn_rate"`
	Long             duration.Duration  `json:"long"`
	Short            duration.Duration  `json:"short"`
	BudgetRemaining  float64            `json:"budget_remaining"`
	TimeToExhaustion *duration.Duration `json:"time_to_exhaustion"`
}

// freezeTolerance absorbs float rounding at the freeze threshold: 1 bad
// event in 1,000 against 99.9% is exactly the budget, though 1 − 0.999 is
// not exactly 0.001 in binary.
const freezeTolerance = 1e-9

// burnWindow is the window of the burn rate that time to exhaustion uses.
const burnWindow = time.Hour

// Evaluate computes an SLO's status at now from its series.
func Evaluate(s SLO, series *Series, now time.Time) Status {
	from, _ := s.Window.Bounds(now)
	st := Status{
		SLO:         s.Name,
		Service:     s.Service,
		At:          now,
		WindowStart: from,
		Objective:   s.Objective,
		ErrorBudget: s.ErrorBudget(),
		Tiers:       make([]TierStatus, len(s.Tiers)),
	}
	bad, total := s.windowCounts(series, from, now)
	st.Total, st.Good = total, total-bad
	if total > 0 {
		st.SLI = st.Good / total
		st.BudgetConsumed = s.burn(bad, total)
	} else {
		st.NoData = true
	}
	st.BudgetRemaining = 1 - st.BudgetConsumed
	st.Frozen = !st.NoData && st.BudgetRemaining <= s.Policy.FreezeBelow+freezeTolerance

	b, t := s.trailing(series, burnWindow, now)
	if t > 0 {
		st.BurnRate = s.burn(b, t)
	}
	st.TimeToExhaustion = s.timeToExhaustion(st.BudgetRemaining, st.BurnRate)

	for i, tier := range s.Tiers {
		ts := TierStatus{Tier: tier}
		ts.LongBurnRate, ts.ShortBurnRate, ts.LongEvents, ts.Met = s.tierAt(series, tier, now)
		if ts.Met && !tier.Disabled {
			// For: the condition must also have held at every step back to
			// now − For, as a Prometheus alerting rule's "for" asks.
			for back := series.Step(); back <= tier.For.Std() && ts.Met; back += series.Step() {
				_, _, _, ts.Met = s.tierAt(series, tier, now.Add(-back))
			}
		} else {
			ts.Met = false
		}
		if ts.Met && st.Firing != nil {
			ts.Suppressed = true
		}
		if ts.Met && st.Firing == nil {
			st.Firing = &Firing{
				Tier:             tier.Name,
				Severity:         tier.Severity,
				Urgency:          urgency(tier.Severity),
				Factor:           tier.Factor,
				BurnRate:         ts.LongBurnRate,
				ShortBurnRate:    ts.ShortBurnRate,
				Long:             tier.Long,
				Short:            tier.Short,
				BudgetRemaining:  st.BudgetRemaining,
				TimeToExhaustion: st.TimeToExhaustion,
			}
		}
		st.Tiers[i] = ts
	}
	return st
}

// windowCounts returns the bad and total of the window [from, now) that
// counts at now.
func (s SLO) windowCounts(series *Series, from, now time.Time) (bad, total float64) {
	if s.Window.Rolling {
		return s.trailing(series, s.Window.Duration.Std(), now)
	}
	return s.count(series, from, now)
}

// tierAt computes a tier's burn rates at t and whether its condition holds
// there: both rates above the factor, with at least MinEvents events in the
// long window.
func (s SLO) tierAt(series *Series, tier Tier, t time.Time) (long, short, events float64, met bool) {
	lb, lt := s.trailing(series, tier.Long.Std(), t)
	sb, st := s.trailing(series, tier.Short.Std(), t)
	events = lt
	if s.Budgeting.Method == Timeslices {
		_, events = series.Sum(t.Add(-tier.Long.Std()), t)
	}
	if lt > 0 {
		long = s.burn(lb, lt)
	}
	if st > 0 {
		short = s.burn(sb, st)
	}
	met = lt > 0 && st > 0 && events >= s.MinEvents && long > tier.Factor && short > tier.Factor
	return long, short, events, met
}

// burn is the burn rate of bad out of total: the error ratio over the
// error budget.
func (s SLO) burn(bad, total float64) float64 {
	budget := s.ErrorBudget()
	if total <= 0 || budget <= 0 {
		return 0
	}
	return bad / total / budget
}

// timeToExhaustion: at burn rate b the whole budget lasts window / b, so
// the remaining share r lasts r × window / b.
func (s SLO) timeToExhaustion(remaining, burnRate float64) *duration.Duration {
	if burnRate <= 0 {
		return nil
	}
	d := duration.Duration(0)
	if remaining > 0 {
		secs := remaining * s.Window.Duration.Std().Seconds() / burnRate
		secs = min(secs, maxWindow.Seconds()*100) // keeps the conversion in range
		d = duration.Duration(time.Duration(secs) * time.Second)
	}
	return &d
}

func urgency(severity string) alert.Urgency {
	if severity == SeverityPage {
		return alert.UrgencyHigh
	}
	return alert.UrgencyLow
}

// count returns the bad and total of [from, to): events, or under
// Timeslices the bad slices and the slices with data among those wholly in
// [from, to).
func (s SLO) count(series *Series, from, to time.Time) (bad, total float64) {
	if s.Budgeting.Method != Timeslices {
		return series.Sum(from, to)
	}
	m := s.sliceBuckets(series)
	a, b := series.floorIndex(from), series.floorIndex(to)
	return s.countSlices(series, (a+m-1)/m, b/m)
}

// trailing is count over the window of length d ending at to. Under
// Timeslices it counts the last d/slice whole slices, at least one, so
// that a window shorter than a slice, or not aligned with slices, still
// sees the latest slices.
func (s SLO) trailing(series *Series, d time.Duration, to time.Time) (bad, total float64) {
	if s.Budgeting.Method != Timeslices {
		return series.Sum(to.Add(-d), to)
	}
	m := s.sliceBuckets(series)
	n := max(int64(d/s.Budgeting.SliceWindow.Std()), 1)
	last := series.floorIndex(to) / m
	return s.countSlices(series, last-n, last)
}

// sliceBuckets is the number of buckets in a slice; slices are aligned to
// the epoch, bucket j·m ending slice j−1.
func (s SLO) sliceBuckets(series *Series) int64 {
	return max(int64(s.Budgeting.SliceWindow.Std()/series.Step()), 1)
}

// countSlices counts slices first ≤ j < last: slice j holds buckets
// j·m < k ≤ (j+1)·m.
func (s SLO) countSlices(series *Series, first, last int64) (bad, total float64) {
	return series.countSlices(first, last, s.sliceBuckets(series), s.Budgeting.SliceTarget)
}

// Alert is the alert a firing status raises on the SLO's service; it
// resolves when the status no longer fires.
type Alert struct {
	Service  string `json:"service"`
	DedupKey string `json:"dedup_key"`
	Summary  string `json:"summary"`
	// Severity is critical for a page (high urgency) and warning for a
	// ticket (low urgency).
	Severity alert.Severity `json:"severity"`
	Details  Firing         `json:"details"`
}

// Alert returns the alert of a firing status.
func (st Status) Alert() (Alert, bool) {
	f := st.Firing
	if f == nil {
		return Alert{}, false
	}
	severity := alert.SeverityWarning
	if f.Severity == SeverityPage {
		severity = alert.SeverityCritical
	}
	summary := fmt.Sprintf("SLO %s burns its error budget at %.1f× over %s (%.0f%% of the budget left)",
		st.SLO, f.BurnRate, f.Long, 100*f.BudgetRemaining)
	return Alert{
		Service:  st.Service,
		DedupKey: "slo:" + st.SLO,
		Summary:  summary,
		Severity: severity,
		Details:  *f,
	}, true
}

// IncidentShare is the share of the SLO window's error budget that the bad
// events of [from, to) consumed. The budget is that of the window ending at
// to; a calendar period still under way counts its events so far scaled up
// to the whole period, so that an incident early in a month is weighed
// against the month's budget rather than a few days'. It is 0 when the
// window has no events. The series must still hold the window ending at
// to: evaluate shares when incidents resolve.
func IncidentShare(s SLO, series *Series, from, to time.Time) float64 {
	bad, _ := s.count(series, from, to)
	start, end := s.Window.Period(to)
	var total float64
	if s.Window.Rolling {
		_, total = s.trailing(series, s.Window.Duration.Std(), to)
	} else {
		_, total = s.count(series, start, to)
	}
	if !s.Window.Rolling {
		if elapsed := to.Sub(start); elapsed > 0 {
			total *= float64(end.Sub(start)) / float64(elapsed)
		}
	}
	allowed := total * s.ErrorBudget()
	if allowed <= 0 {
		return 0
	}
	return bad / allowed
}

// NeedsPostmortem reports whether an incident that consumed share of a
// budget calls for a post-mortem: more than PostmortemShare.
func NeedsPostmortem(share float64) bool { return share > PostmortemShare }
