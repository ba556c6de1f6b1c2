// Package gate decides whether a service may release now: the release gate
// that CI/CD pipelines ask. It is pure: every fact it weighs — the owner
// team's holidays, freeze windows, error budgets, open incidents and
// overrides — comes in through Input, and time is the Input's At.
package gate

import (
	"fmt"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/catalog"
	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/holiday"
	"github.com/vigil-oncall/vigil/internal/incident"
)

// Decisions.
const (
	Allow = "allow"
	Deny  = "deny"
)

// Reason kinds.
const (
	KindHoliday     = "holiday"
	KindFreeze      = "freeze"
	KindErrorBudget = "error_budget"
	KindIncident    = "incident"
)

// OwnerZone is the freeze time zone that means the owner team's.
const OwnerZone = "owner"

// Input is everything the gate weighs for one question.
type Input struct {
	Service string
	// Country is the owner team's country ("DE"), and Region its region
	// when the team follows a regional calendar ("BY" for Bavaria); a
	// Country already written "DE-BY" needs no Region.
	Country string
	Region  string
	// TimeZone is the owner team's zone: the holiday's date is read there,
	// and so are freezes in the "owner" zone (or none). Nil means UTC.
	TimeZone *time.Location
	At       time.Time
	// ChangeType is the kind of change asking, such as "security" or "p0";
	// an SLO's policy may exempt it from a budget freeze.
	ChangeType string
	// Freezes are the org's, the owner team's and the service's.
	Freezes []catalog.Freeze
	// IsHoliday tells whether a date is a public holiday of a country or
	// region code, and its name; nil uses package holiday.
	IsHoliday func(code string, date time.Time) (name string, ok bool)
	// Budgets are the error-budget states of the service's SLOs.
	Budgets []Budget
	// HardDependencies are the services this one needs, directly or
	// through other hard dependencies.
	HardDependencies []string
	// Incidents are the open incidents that may touch the service.
	Incidents []Incident
	// Overrides are the overrides granted for the service.
	Overrides []Override
}

// Budget is an SLO's error-budget state, as the SLO evaluation gives it.
type Budget struct {
	SLO             string
	Frozen          bool
	BudgetRemaining float64
	// Exemptions are the change types that pass this SLO's freeze.
	Exemptions []string
}

// Incident is an open incident.
type Incident struct {
	ID       string
	Severity incident.Severity // SEV1..SEV4
	Title    string
	Services []string
}

// Override lets releases through despite the reasons to deny them, from
// Start (when set) until Expires. Granting one is audited by its caller.
type Override struct {
	Reason  string    `json:"reason"`
	By      string    `json:"by,omitempty"`
	Start   time.Time `json:"start,omitzero"`
	Expires time.Time `json:"expires"`
}

// activeAt reports whether the override covers t.
func (o Override) activeAt(t time.Time) bool {
	return strings.TrimSpace(o.Reason) != "" && (o.Start.IsZero() || !t.Before(o.Start)) && t.Before(o.Expires)
}

// Decision is the gate's answer.
type Decision struct {
	Decision string   `json:"decision"`
	Reasons  []Reason `json:"reasons"`
	// Override is the override that turned a deny into an allow; the
	// reasons it overrode stay listed.
	Override *Override `json:"override,omitempty"`
}

// Reason is one thing that denies a release.
type Reason struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// Decide answers whether the service may release at in.At: deny when a
// public holiday of the owner team's country or a freeze window covers it,
// an SLO's error budget is frozen (unless the change type is exempt), or a
// SEV1 or SEV2 incident is open on the service or a hard dependency. An
// active override turns a deny into an allow.
func Decide(in Input) Decision {
	d := Decision{Decision: Allow, Reasons: []Reason{}}
	zone := in.TimeZone
	if zone == nil {
		zone = time.UTC
	}
	d.Reasons = append(d.Reasons, holidayReasons(in, zone)...)
	d.Reasons = append(d.Reasons, freezeReasons(in, zone)...)
	d.Reasons = append(d.Reasons, budgetReasons(in)...)
	d.Reasons = append(d.Reasons, incidentReasons(in)...)
	if len(d.Reasons) == 0 {
		return d
	}
	d.Decision = Deny
	if o, ok := activeOverride(in.Overrides, in.At); ok {
		d.Decision, d.Override = Allow, &o
	}
	return d
}

func holidayReasons(in Input, zone *time.Location) []Reason {
	code := in.Country
	if in.Region != "" && !strings.Contains(code, "-") {
		code += "-" + in.Region
	}
	if code == "" {
		return nil
	}
	isHoliday := in.IsHoliday
	if isHoliday == nil {
		isHoliday = holiday.IsHoliday
	}
	local := in.At.In(zone)
	name, ok := isHoliday(code, local)
	if !ok {
		return nil
	}
	return []Reason{{Kind: KindHoliday, Message: fmt.Sprintf("%s is a public holiday in %s (%s)", local.Format("Monday 2 January 2006"), code, name)}}
}

func freezeReasons(in Input, owner *time.Location) []Reason {
	var out []Reason
	for _, f := range in.Freezes {
		covers, err := freezeCovers(f, in.At, owner)
		switch {
		case err != nil:
			// A freeze that cannot be read denies: a gate fails closed.
			out = append(out, Reason{Kind: KindFreeze, Message: fmt.Sprintf("freeze %s cannot be evaluated: %v", f.ID, err)})
		case covers:
			out = append(out, Reason{Kind: KindFreeze, Message: freezeMessage(f)})
		}
	}
	return out
}

// freezeCovers reports whether a freeze covers t. A one-off freeze covers
// [from, to). A recurring one covers, on each of its days, the local
// times from its start through the whole minute of its end ("fri
// 16:00-23:59" holds until midnight), running past midnight when the end
// is before the start.
func freezeCovers(f catalog.Freeze, t time.Time, owner *time.Location) (bool, error) {
	if f.Every == "" {
		if f.From == nil || f.To == nil {
			return false, fmt.Errorf("it has neither from and to nor every")
		}
		return !t.Before(*f.From) && t.Before(*f.To), nil
	}
	r, err := config.ParseRecurrence(f.Every)
	if err != nil {
		return false, err
	}
	zone := owner
	if f.TimeZone != "" && f.TimeZone != OwnerZone {
		if zone, err = time.LoadLocation(f.TimeZone); err != nil {
			return false, fmt.Errorf("unknown time zone %q", f.TimeZone)
		}
	}
	local := t.In(zone)
	minute := local.Hour()*60 + local.Minute()
	today := local.Weekday()
	yesterday := (today + 6) % 7
	if r.From <= r.To {
		return r.Days[today] && minute >= r.From && minute <= r.To, nil
	}
	return r.Days[today] && minute >= r.From || r.Days[yesterday] && minute <= r.To, nil
}

func freezeMessage(f catalog.Freeze) string {
	var when string
	if f.Every != "" {
		zone := f.TimeZone
		if zone == "" || zone == OwnerZone {
			zone = "the owner team's time zone"
		}
		when = fmt.Sprintf("every %s, %s", f.Every, zone)
	} else {
		when = fmt.Sprintf("%s to %s", f.From.Format(time.RFC3339), f.To.Format(time.RFC3339))
	}
	msg := fmt.Sprintf("freeze %s (%s)", f.ID, when)
	if f.Reason != "" {
		msg += ": " + f.Reason
	}
	return msg
}

func budgetReasons(in Input) []Reason {
	var out []Reason
	change := strings.ToLower(strings.TrimSpace(in.ChangeType))
	for _, b := range in.Budgets {
		if !b.Frozen || change != "" && exempt(b.Exemptions, change) {
			continue
		}
		out = append(out, Reason{Kind: KindErrorBudget, Message: fmt.Sprintf(
			"the error budget of SLO %s is spent: %.1f%% left; releases are frozen until it recovers", b.SLO, 100*b.BudgetRemaining)})
	}
	return out
}

func exempt(exemptions []string, change string) bool {
	for _, e := range exemptions {
		if strings.EqualFold(e, change) {
			return true
		}
	}
	return false
}

// blockingSeverities are the incident severities that close the gate.
var blockingSeverities = map[incident.Severity]bool{incident.SEV1: true, incident.SEV2: true}

func incidentReasons(in Input) []Reason {
	relevant := map[string]string{in.Service: "the service"}
	for _, dep := range in.HardDependencies {
		if dep != in.Service {
			relevant[dep] = "hard dependency " + dep
		}
	}
	var out []Reason
	for _, inc := range in.Incidents {
		if !blockingSeverities[incident.Severity(strings.ToUpper(string(inc.Severity)))] {
			continue
		}
		var on []string
		seen := map[string]bool{}
		for _, s := range inc.Services {
			if what, ok := relevant[s]; ok && !seen[s] {
				seen[s] = true
				on = append(on, what)
			}
		}
		if len(on) == 0 {
			continue
		}
		msg := fmt.Sprintf("%s incident %s is open on %s", strings.ToUpper(string(inc.Severity)), inc.ID, strings.Join(on, " and "))
		if inc.Title != "" {
			msg += ": " + inc.Title
		}
		out = append(out, Reason{Kind: KindIncident, Message: msg})
	}
	return out
}

// activeOverride returns the active override that lasts longest.
func activeOverride(overrides []Override, at time.Time) (Override, bool) {
	var best Override
	found := false
	for _, o := range overrides {
		if o.activeAt(at) && (!found || o.Expires.After(best.Expires)) {
			best, found = o, true
		}
	}
	return best, found
}
