package postmortem

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/holiday"
	"github.com/vigil-oncall/vigil/internal/hours"
	"github.com/vigil-oncall/vigil/internal/incident"
)

// Policy says which incidents need a post-mortem and by when: the org's
// postmortems.required_for and due_business_days.
type Policy struct {
	// Severities that need one.
	Severities []incident.Severity
	// Major incidents need one.
	Major bool
	// BudgetShare, when above 0, is the share of an SLO's error budget
	// beyond which an incident needs one.
	BudgetShare float64
	// DueBusinessDays is how many business days of the owner team's
	// calendar after resolution the post-mortem is due.
	DueBusinessDays int
}

// Defaults of the policy: SEV1, SEV2, major incidents, and incidents that
// consumed more than a fifth of a budget (the share SLO policies commonly
// name, as slo.PostmortemShare does), due in five business days.
const (
	DefaultBudgetShare     = 0.2
	DefaultDueBusinessDays = 5
	// MaxDueBusinessDays bounds the due time: about a year.
	MaxDueBusinessDays = 260
)

// DefaultRequiredFor is required_for when the configuration leaves it out.
var DefaultRequiredFor = []string{"SEV1", "SEV2", "major", "budget>20%"}

// DefaultPolicy is the policy of an org that configures none.
var DefaultPolicy = Policy{
	Severities: []incident.Severity{incident.SEV1, incident.SEV2}, Major: true,
	BudgetShare: DefaultBudgetShare, DueBusinessDays: DefaultDueBusinessDays,
}

// ParsePolicy reads the configured policy. requiredFor lists conditions,
// any of which makes an incident need a post-mortem: a severity (SEV1 to
// SEV4), "major", or "budget>N%" (also "budget>0.N"): more than that share
// of one SLO's error budget consumed. An empty list keeps the defaults;
// "none" alone means never. dueBusinessDays 0 keeps the default.
func ParsePolicy(requiredFor []string, dueBusinessDays int) (Policy, error) {
	p := DefaultPolicy
	if dueBusinessDays < 0 || dueBusinessDays > MaxDueBusinessDays {
		return DefaultPolicy, fmt.Errorf("due_business_days %d is not between 1 and %d", dueBusinessDays, MaxDueBusinessDays)
	}
	if dueBusinessDays > 0 {
		p.DueBusinessDays = dueBusinessDays
	}
	if len(requiredFor) == 0 {
		return p, nil
	}
	p.Severities, p.Major, p.BudgetShare = nil, false, 0
	for i, item := range requiredFor {
		if err := p.addCondition(item, len(requiredFor)); err != nil {
			return DefaultPolicy, fmt.Errorf("required_for[%d]: %w", i, err)
		}
	}
	return p, nil
}

// CheckCondition checks one item of a required_for list of n items.
func CheckCondition(item string, n int) error {
	var p Policy
	return p.addCondition(item, n)
}

// addCondition adds one item of required_for; n is how many there are.
func (p *Policy) addCondition(item string, n int) error {
	s := strings.TrimSpace(item)
	lower := strings.ToLower(s)
	switch {
	case lower == "none":
		if n > 1 {
			return fmt.Errorf("%q stands alone: it means no incident needs a post-mortem", item)
		}
		return nil
	case lower == "major":
		p.Major = true
		return nil
	case strings.HasPrefix(lower, "budget"):
		share, err := parseShare(strings.TrimSpace(strings.TrimPrefix(lower, "budget")))
		if err != nil {
			return fmt.Errorf("%.60q: %w", item, err)
		}
		p.BudgetShare = share
		return nil
	}
	sev := incident.Severity(strings.ToUpper(s))
	switch sev {
	case incident.SEV1, incident.SEV2, incident.SEV3, incident.SEV4:
		if !slices.Contains(p.Severities, sev) {
			p.Severities = append(p.Severities, sev)
		}
		return nil
	}
	return fmt.Errorf("unknown condition %.60q (SEV1 to SEV4, major, budget>20%%, or none)", item)
}

// parseShare reads ">20%" or ">0.2" as a share between 0 and 1.
func parseShare(s string) (float64, error) {
	rest, ok := strings.CutPrefix(s, ">")
	if !ok {
		return 0, fmt.Errorf("write the budget condition as budget>20%% (or budget>0.2)")
	}
	rest = strings.TrimSpace(rest)
	percent := strings.HasSuffix(rest, "%")
	v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(rest, "%")), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a number", rest)
	}
	if percent {
		v /= 100
	}
	if v <= 0 || v >= 1 {
		return 0, fmt.Errorf("the share must be above 0 and below 100%%")
	}
	return v, nil
}

// Budget is the share of one SLO's error budget an incident consumed.
type Budget struct {
	SLO     string  `json:"slo"`
	Service string  `json:"service"`
	Share   float64 `json:"budget_consumed"`
}

// Required says why an incident needs a post-mortem under the policy:
// every condition it meets; none when it needs none.
func (p Policy) Required(sev incident.Severity, major bool, budgets []Budget) []string {
	var why []string
	if slices.Contains(p.Severities, sev) {
		why = append(why, fmt.Sprintf("severity %s", sev))
	}
	if p.Major && major {
		why = append(why, "major incident")
	}
	if p.BudgetShare > 0 {
		for _, b := range budgets {
			if b.Share > p.BudgetShare {
				why = append(why, fmt.Sprintf("consumed %s of SLO %s's error budget (more than %s)", Percent(b.Share), b.SLO, Percent(p.BudgetShare)))
			}
		}
	}
	return why
}

// Percent shows a share as a percentage with at most one decimal.
func Percent(share float64) string {
	return strconv.FormatFloat(math.Round(share*1000)/10, 'f', -1, 64) + "%"
}

// Calendar is a team's working time: business hours in its zone, less the
// public holidays of its country.
type Calendar struct {
	Hours    hours.Workweek
	Location *time.Location
	// Country is an ISO 3166 code ("DE", "DE-BY"); empty: no holidays.
	Country string
	// IsHoliday reports public holidays; nil asks package holiday.
	IsHoliday func(country string, date time.Time) (string, bool)
}

func (c Calendar) loc() *time.Location {
	if c.Location == nil {
		return time.UTC
	}
	return c.Location
}

// businessDay reports whether the local date of day is a working day.
func (c Calendar) businessDay(day time.Time) bool {
	if !c.Hours.Days[day.Weekday()] {
		return false
	}
	if c.Country == "" {
		return true
	}
	isHoliday := c.IsHoliday
	if isHoliday == nil {
		isHoliday = holiday.IsHoliday
	}
	_, ok := isHoliday(c.Country, day)
	return !ok
}

// maxCalendarDays bounds every walk over days: a calendar with no working
// day at all ends there.
const maxCalendarDays = 3 * 366

// AddBusinessDays is the end of business hours on the n-th business day
// after t's local date (t's own day never counts, so an incident resolved
// at 17:59 gets as many whole days as one resolved at 08:00).
func (c Calendar) AddBusinessDays(t time.Time, n int) time.Time {
	loc := c.loc()
	lt := t.In(loc)
	day := time.Date(lt.Year(), lt.Month(), lt.Day(), 12, 0, 0, 0, loc)
	for i, counted := 0, 0; i < maxCalendarDays && counted < n; i++ {
		day = day.AddDate(0, 0, 1)
		if c.businessDay(day) {
			counted++
		}
	}
	return time.Date(day.Year(), day.Month(), day.Day(), c.Hours.End/60, c.Hours.End%60, 0, 0, loc).UTC()
}

// NextBusiness is t when it falls in business hours on a working day,
// else the instant such hours next begin; t itself when there are none.
func (c Calendar) NextBusiness(t time.Time) time.Time {
	loc := c.loc()
	from := t
	for i := 0; i < maxCalendarDays; i++ {
		next := c.Hours.Next(from, loc)
		if !c.Hours.Contains(next, loc) {
			return t // no business hours at all
		}
		lt := next.In(loc)
		if c.businessDay(lt) {
			return next
		}
		from = time.Date(lt.Year(), lt.Month(), lt.Day()+1, 0, 0, 0, 0, loc)
	}
	return t
}

// Due is when a post-mortem of an incident resolved at resolved is due
// under the policy, in the owner team's calendar.
func (p Policy) Due(resolved time.Time, c Calendar) time.Time {
	return c.AddBusinessDays(resolved, p.DueBusinessDays)
}
